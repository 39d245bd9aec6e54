//! Lease load test: N concurrent visitors leasing, heartbeating, calling and leaving on a pool
//! of M numbers, against the real collector over loopback HTTP.
//!
//! ```text
//! cargo run --profile server -p ringtrail-collector --example lease_load -- \
//!     --visitors 200 --numbers 200 [--visits 5] [--heartbeats 3]
//! ```
//!
//! Starts the collector in-process on 127.0.0.1 (free port, temporary database, no rate limit)
//! with a generated one-pool config. Each simulated visitor runs `--visits` visits on its own
//! keep-alive connection: lease (half come back as the same visitor, half as new ones),
//! heartbeats, one call to the number it was shown (through the authenticated webhook, while
//! it still holds the lease), then release. Prints attribution accuracy (calls to a leased
//! number attributed to the visitor who was shown it), the overflow rate, and lease requests/s
//! with latency percentiles. With M >= N every visitor gets a number and accuracy must be
//! 100%; with M < N some get the fallback, and their calls are attributable to nobody by design.
//! Everything stays on 127.0.0.1 and in a temporary directory; it gives up after 120 s.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use ringtrail_collector::calls::WebhookSecrets;
use ringtrail_collector::serve::serve;
use ringtrail_collector::{AppState, Db, Options, Sites, SqliteStore};
use serde_json::{json, Value};

const SECRET: &str = "load-test-secret";
const DEADLINE: Duration = Duration::from_secs(120);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy)]
struct Args {
    visitors: usize,
    numbers: usize,
    visits: usize,
    heartbeats: usize,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        visitors: 200,
        numbers: 200,
        visits: 5,
        heartbeats: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value: usize = it
            .next()
            .ok_or_else(|| format!("{flag}: missing value"))?
            .parse()?;
        match flag.as_str() {
            "--visitors" => args.visitors = value.clamp(1, 5000),
            "--numbers" => args.numbers = value.clamp(1, 9000),
            "--visits" => args.visits = value.clamp(1, 1000),
            "--heartbeats" => args.heartbeats = value.min(100),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(args)
}

/// A one-pool JP config with `numbers` numbers 03-5000-1000 and up.
fn config(numbers: usize) -> String {
    let list: Vec<String> = (0..numbers)
        .map(|i| format!("\"03-5{:03}-{:04}\"", 100 + i / 9000, 1000 + i % 9000))
        .collect();
    format!(
        r#"{{"site": "load", "region": "JP", "targets": ["03-1234-5678"],
            "sources": [{{"name": "ads", "match": {{"utm_source": "google"}},
                          "numbers": {{"03-1234-5678": {{"pool": "p"}}}}}}],
            "pools": {{"p": {{"numbers": [{}], "fallback": "03-4999-0000"}}}}}}"#,
        list.join(", ")
    )
}

#[derive(Debug, Default)]
struct Tally {
    lease_requests: u64,
    lease_latencies: Vec<Duration>,
    leases: u64,
    fallbacks: u64,
    calls_to_leased: u64,
    correct: u64,
    calls_to_fallback: u64,
    wrong: Vec<String>,
}

struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Client, BoxError> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Client { sender })
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        auth: bool,
    ) -> Result<(u16, Value), BoxError> {
        self.sender.ready().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", "text/plain");
        if auth {
            req = req.header("authorization", format!("Bearer {SECRET}"));
        }
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let response = self
            .sender
            .send_request(req.body(Full::new(Bytes::from(bytes)))?)
            .await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        let value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)?
        };
        Ok((status, value))
    }
}

async fn visitor(addr: SocketAddr, index: usize, args: Args) -> Result<Tally, BoxError> {
    let mut client = Client::connect(addr).await?;
    let mut tally = Tally::default();
    for visit in 0..args.visits {
        // Half the visitors come back as themselves; the others are new each time.
        let visitor_id = if index % 2 == 0 {
            format!("v{index}")
        } else {
            format!("v{index}-{visit}")
        };
        let session = format!("{visitor_id}-s{visit}");
        let body = json!({"site": "load", "visitor_id": visitor_id, "session_id": session,
                          "pool": "p", "target": "03-1234-5678", "source": "ads"});
        let start = Instant::now();
        let (status, lease) = client
            .send("POST", "/v1/leases", Some(&body), false)
            .await?;
        tally.lease_latencies.push(start.elapsed());
        tally.lease_requests += 1;
        if status != 200 {
            return Err(format!("lease: {status} {lease}").into());
        }
        let number = lease["number"].as_str().unwrap_or_default().to_owned();
        let lease_id = lease["lease_id"].as_str().map(str::to_owned);
        if lease["fallback"] == true {
            tally.fallbacks += 1;
        } else {
            tally.leases += 1;
        }
        if let Some(id) = &lease_id {
            for _ in 0..args.heartbeats {
                tokio::task::yield_now().await;
                let start = Instant::now();
                let (status, answer) = client
                    .send("POST", &format!("/v1/leases/{id}/heartbeat"), None, false)
                    .await?;
                tally.lease_latencies.push(start.elapsed());
                tally.lease_requests += 1;
                if status != 200 {
                    return Err(format!("heartbeat: {status} {answer}").into());
                }
            }
        }
        // The visitor calls the number they were shown, while still on the page (at least a
        // millisecond after seeing it: the collector never credits a lease issued in the very
        // millisecond a call starts).
        tokio::time::sleep(Duration::from_millis(1)).await;
        let now = jiff::Timestamp::now().as_millisecond();
        let call = json!({"site": "load", "call_id": format!("{session}-call"),
                          "called_number": number, "caller_number": null,
                          "started_at": now, "duration_s": 30});
        let (status, answer) = client.send("POST", "/v1/calls", Some(&call), true).await?;
        if status != 201 {
            return Err(format!("call: {status} {answer}").into());
        }
        if lease_id.is_some() {
            tally.calls_to_leased += 1;
            if answer["visitor"] == visitor_id.as_str() && answer["session"] == session.as_str() {
                tally.correct += 1;
            } else if tally.wrong.len() < 3 {
                tally.wrong.push(format!("{visitor_id}: {answer}"));
            }
        } else {
            tally.calls_to_fallback += 1;
        }
        if let Some(id) = &lease_id {
            let start = Instant::now();
            let (status, _) = client
                .send("DELETE", &format!("/v1/leases/{id}"), None, false)
                .await?;
            tally.lease_latencies.push(start.elapsed());
            tally.lease_requests += 1;
            if status != 204 {
                return Err(format!("release: {status}").into());
            }
        }
    }
    Ok(tally)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let dir = tempfile::tempdir()?;
    let sites = Sites::open().with_json(&config(args.numbers))?;
    let options = Options {
        rate_limit: None,
        max_concurrent_requests: 1024,
        webhook_secrets: WebhookSecrets::parse([format!("load={SECRET}").as_str()])?,
        ..Options::default()
    };
    let store = SqliteStore::open(&dir.path().join("load.db"))?;
    let state = AppState::new(Db::new(store), sites, options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stop_rx.await;
    }));

    println!(
        "lease_load: {} visitors x {} visits ({} heartbeats each) on {} numbers, collector {addr}",
        args.visitors, args.visits, args.heartbeats, args.numbers
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.visitors)
        .map(|i| tokio::spawn(visitor(addr, i, args)))
        .collect();
    let run = async {
        let mut total = Tally::default();
        for task in tasks {
            let t = task.await??;
            total.lease_requests += t.lease_requests;
            total.lease_latencies.extend(t.lease_latencies);
            total.leases += t.leases;
            total.fallbacks += t.fallbacks;
            total.calls_to_leased += t.calls_to_leased;
            total.correct += t.correct;
            total.calls_to_fallback += t.calls_to_fallback;
            total.wrong.extend(t.wrong);
        }
        Ok::<Tally, BoxError>(total)
    };
    let mut total = tokio::time::timeout(DEADLINE, run)
        .await
        .map_err(|_| "gave up after 120 s")??;
    let elapsed = started.elapsed();
    let _ = stop_tx.send(());
    let _ = server.await;

    total.lease_latencies.sort_unstable();
    let asked = total.leases + total.fallbacks;
    let accuracy = if total.calls_to_leased == 0 {
        100.0
    } else {
        total.correct as f64 * 100.0 / total.calls_to_leased as f64
    };
    println!(
        "lease requests: {} in {:.2} s = {:.0} req/s (lease + heartbeat + release; p50 {:.2} ms, p99 {:.2} ms)",
        total.lease_requests,
        elapsed.as_secs_f64(),
        total.lease_requests as f64 / elapsed.as_secs_f64(),
        percentile(&total.lease_latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&total.lease_latencies, 0.99).as_secs_f64() * 1000.0,
    );
    println!(
        "overflow: {} of {} lease requests got the fallback = {:.1}%",
        total.fallbacks,
        asked,
        if asked == 0 {
            0.0
        } else {
            total.fallbacks as f64 * 100.0 / asked as f64
        }
    );
    println!(
        "attribution accuracy: {} of {} calls to leased numbers attributed to the right visitor = {accuracy:.2}% ({} calls to the fallback number, unattributable by design)",
        total.correct, total.calls_to_leased, total.calls_to_fallback
    );
    for wrong in &total.wrong {
        println!("  misattributed: {wrong}");
    }
    if args.numbers >= args.visitors && (accuracy < 100.0 || total.fallbacks > 0) {
        return Err("with numbers >= visitors, accuracy must be 100% and nobody overflows".into());
    }
    Ok(())
}
