//! The real `ringtrail` binary on a free port: start, post, read the report, stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringtrail"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ringtrail");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    assert!(!addr.ends_with(":0"), "real port printed: {addr}");
    let second = lines.next().expect("a line").expect("utf-8");
    assert!(second.starts_with("database: "), "{second}");
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body).
fn http(addr: &str, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_ingests_and_reports_then_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("nested/dir/events.db");
    let mut server = start(&db);
    assert!(db.exists(), "database file and directories created");

    let (status, body) = http(&server.addr, "GET", "/healthz", "text/plain", "");
    assert_eq!((status, body.as_str()), (200, "ok"));

    let batch = r#"{"site":"demo-jp","events":[{"id":"01890a5d-ac96-774b-bcce-b302099a8057",
        "type":"page_view","ts":1700000000000,"visitor":"v1","session":"s1",
        "url":"http://127.0.0.1/binary-test-page","referrer":""}]}"#;
    let (status, body) = http(
        &server.addr,
        "POST",
        "/v1/events",
        "text/plain;charset=UTF-8",
        batch,
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, r#"{"accepted":1,"duplicates":0}"#);
    let (_, body) = http(
        &server.addr,
        "POST",
        "/v1/events",
        "application/json",
        batch,
    );
    assert_eq!(body, r#"{"accepted":0,"duplicates":1}"#);

    let (status, body) = http(&server.addr, "POST", "/v1/events", "application/json", "{");
    assert_eq!(status, 400);
    assert!(body.contains("invalid JSON"), "{body}");

    let (status, html) = http(&server.addr, "GET", "/", "text/plain", "");
    assert_eq!(status, 200);
    assert!(html.contains("binary-test-page"));

    #[cfg(unix)]
    {
        let pid = server.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait().expect("wait") {
                assert!(status.success(), "graceful exit on SIGTERM: {status}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn serve_refuses_a_bad_origin() {
    let output = Command::new(env!("CARGO_BIN_EXE_ringtrail"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--allow-origin",
            "shop.example",
        ])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expected an origin"), "{stderr}");
}

#[test]
fn serve_refuses_to_show_leads_to_the_network_without_a_reports_token() {
    let serve = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ringtrail"))
            .arg("serve")
            .args(args)
            .env_remove("RINGTRAIL_REPORTS_TOKEN")
            .output()
            .expect("run")
    };
    let output = serve(&["--addr", "0.0.0.0:0"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--reports-token"), "{stderr}");
    let output = serve(&["--addr", "127.0.0.1:0", "--reports-token", "short"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 16"));
}

#[test]
fn compile_prints_the_compiled_config_or_every_error() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/pools.json");
    let output = Command::new(env!("CARGO_BIN_EXE_ringtrail"))
        .args(["compile", config])
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = std::fs::read_to_string(config).expect("read");
    let expected = ringtrail::config::Config::from_json(&text)
        .expect("valid")
        .compile();
    // One line, a JSON string: printable, so it can be pasted into `data-config`.
    let printed: String =
        serde_json::from_slice(&output.stdout).expect("a JSON string on one line");
    assert_eq!(printed, expected);
    assert!(output.stdout.iter().all(|&b| b >= b' ' || b == b'\n'));

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"site": "x", "region": "JP", "targets": [], "sourcez": []}"#,
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_ringtrail"))
        .args(["compile", bad.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sourcez: unknown field"), "{stderr}");
    assert!(stderr.contains("targets: must not be empty"), "{stderr}");
}
