//! The config and test-call subcommands: `check`, `preview`, `compile`, `schema`, `call`.
//!
//! The work is in [`crate::check`] (pure) and the collector's HTTP API; these are the shells
//! that read files, print and choose exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use ringtrail::config::Config;
use serde_json::{json, Value};

use crate::calls::{parse_time_text, SECRET_ENV};
use crate::check;

/// `ringtrail check CONFIG...`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Config files to validate.
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
}

/// Prints every error of each config (with its JSON path and a hint); exit 1 on any error.
pub fn run_check(args: &CheckArgs) -> ExitCode {
    let mut ok = true;
    for path in &args.configs {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let report = check::check(&name, &text);
                if report.ok {
                    print!("{}", report.text);
                } else {
                    eprint!("{}", report.text);
                    ok = false;
                }
            }
            Err(err) => {
                eprintln!("{name}: cannot read: {err}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `ringtrail preview CONFIG --url URL [--referrer URL]`.
#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Config file.
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
    /// The landing page URL, with its query (`https://shop.example/?gclid=x`).
    #[arg(long)]
    pub url: String,
    /// The referrer, if any.
    #[arg(long, default_value = "")]
    pub referrer: String,
}

/// Prints the source a browser would attribute for the visit and each target's number.
pub fn run_preview(args: &PreviewArgs) -> ExitCode {
    let Some(config) = load_valid(&args.config) else {
        return ExitCode::FAILURE;
    };
    let now = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
    print!(
        "{}",
        check::preview(&config, &args.url, &args.referrer, now)
    );
    ExitCode::SUCCESS
}

fn load_valid(path: &PathBuf) -> Option<Config> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("{name}: cannot read: {err}");
            return None;
        }
    };
    let report = check::check(&name, &text);
    if !report.ok {
        eprint!("{}", report.text);
        return None;
    }
    Config::from_json(&text).ok()
}

/// `ringtrail compile CONFIG`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Config file.
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
}

/// Prints the config compiled for the snippet, as a JSON string (what `GET /v1/config/{site}`
/// serves; paste it into `data-config`, or serve it from the site); a config with errors prints
/// them as `check` does, exit 1.
pub fn run_compile(args: &CompileArgs) -> ExitCode {
    match load_valid(&args.config) {
        Some(config) => {
            println!("{}", check::compiled_json(&config));
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

/// Prints the config's JSON Schema (the text of `schema/config.schema.json`).
pub fn run_schema() -> ExitCode {
    print!("{}", check::config_schema_text());
    ExitCode::SUCCESS
}

/// `ringtrail call`: posts a test call to a collector's webhook and prints the attribution.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The collector's base URL (`http://127.0.0.1:8787`).
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    pub collector: String,
    /// Site id.
    #[arg(long)]
    pub site: String,
    /// The called number (the tracking number the visitor saw), in any format.
    #[arg(long, value_name = "NUMBER")]
    pub to: String,
    /// The caller's number.
    #[arg(long, value_name = "NUMBER")]
    pub from: Option<String>,
    /// The site's webhook secret; defaults to `RINGTRAIL_WEBHOOK_SECRET` (a bare secret, or
    /// the `SITE=SECRET,...` list the collector reads).
    #[arg(long)]
    pub secret: Option<String>,
    /// When the call started: RFC 3339 or ms since the epoch; default now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Talk time in seconds (0: not answered).
    #[arg(long, default_value_t = 60)]
    pub duration: u32,
    /// The provider's call id; default a fresh `test-…` id. Send one twice to see duplicates.
    #[arg(long)]
    pub call_id: Option<String>,
}

/// The secret for `site` from `RINGTRAIL_WEBHOOK_SECRET`'s value: a bare secret, or the entry
/// for the site (or `*`) of a `SITE=SECRET,...` list.
pub fn secret_from_env(value: &str, site: &str) -> Option<String> {
    let value = value.trim();
    let entries: Vec<(&str, &str)> = value
        .split(',')
        .filter_map(|e| e.trim().split_once('='))
        .filter(|(s, _)| *s == "*" || crate::event::is_valid_site_id(s))
        .collect();
    if entries.is_empty() {
        return (!value.is_empty()).then(|| value.to_owned());
    }
    entries
        .iter()
        .find(|(s, _)| *s == site)
        .or_else(|| entries.iter().find(|(s, _)| *s == "*"))
        .map(|(_, secret)| (*secret).to_owned())
}

/// Posts the call and prints the collector's answer.
pub async fn run_call(args: CallArgs) -> ExitCode {
    let started_at = match &args.at {
        None => jiff::Timestamp::now().as_millisecond(),
        Some(at) => match parse_time_text(at) {
            Ok(ms) => ms,
            Err(err) => {
                eprintln!("error: --at {at:?}: {err}");
                return ExitCode::from(2);
            }
        },
    };
    let secret = args.secret.clone().or_else(|| {
        std::env::var(SECRET_ENV)
            .ok()
            .and_then(|v| secret_from_env(&v, &args.site))
    });
    let Some(secret) = secret else {
        eprintln!("error: no secret: pass --secret or set {SECRET_ENV}");
        return ExitCode::from(2);
    };
    let call_id = args
        .call_id
        .clone()
        .unwrap_or_else(|| format!("test-{}", uuid::Uuid::now_v7()));
    let body = json!({
        "site": args.site,
        "call_id": call_id,
        "called_number": args.to,
        "caller_number": args.from,
        "started_at": started_at,
        "duration_s": args.duration,
    });
    match post_json(&args.collector, "/v1/calls", &body, Some(&secret)).await {
        Ok((status, answer)) => {
            print!("{}", describe_call_answer(status, &answer));
            if (200..300).contains(&status) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A readable summary of the webhook's answer, then the answer itself.
pub fn describe_call_answer(status: u16, answer: &Value) -> String {
    let s = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("");
    let mut out = String::new();
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        return format!("{status}: {error}\n");
    }
    out.push_str(&format!(
        "{status}: call {} to {} at {}{}\n",
        s("call_id"),
        s("called_number"),
        s("started_at"),
        if answer.get("duplicate") == Some(&Value::Bool(true)) {
            " (duplicate delivery: stored attribution)"
        } else {
            ""
        }
    ));
    match s("attributed_to") {
        "visitor" => out.push_str(&format!(
            "attributed to visitor {} (session {}, lease {})\n",
            s("visitor"),
            s("session"),
            s("lease_id")
        )),
        "source" => out.push_str("attributed to a source (fixed number; no visitor)\n"),
        _ => out.push_str(&format!("not attributed: {}\n", s("reason"))),
    }
    if let Some(source) = answer.get("source").filter(|v| v.is_object()) {
        let f = |key: &str| source.get(key).and_then(Value::as_str).unwrap_or("");
        out.push_str(&format!("source: {}", f("name")));
        if !f("group").is_empty() {
            out.push_str(&format!(" ({})", f("group")));
        }
        if !f("utm_campaign").is_empty() {
            out.push_str(&format!(", campaign {}", f("utm_campaign")));
        }
        out.push('\n');
    }
    if !s("landing_page").is_empty() {
        out.push_str(&format!("landing page: {}\n", s("landing_page")));
    }
    if let Some(pages) = answer.get("pages").and_then(Value::as_array) {
        if !pages.is_empty() {
            out.push_str(&format!(
                "pages viewed: {}\n",
                answer.get("pages_viewed").unwrap_or(&Value::Null)
            ));
            for page in pages {
                out.push_str(&format!(
                    "  {}\n",
                    page.get("url").and_then(Value::as_str).unwrap_or("")
                ));
            }
        }
    }
    out.push_str(&serde_json::to_string_pretty(answer).unwrap_or_default());
    out.push('\n');
    out
}

/// Posts JSON to `base` + `path` over plain HTTP/1.1 and returns the status and JSON answer.
///
/// # Errors
/// An unreachable collector, an `https` URL (use a proxy or curl), or a non-JSON answer.
pub async fn post_json(
    base: &str,
    path: &str,
    body: &Value,
    bearer: Option<&str>,
) -> Result<(u16, Value), String> {
    let rest = base.strip_prefix("http://").ok_or_else(|| {
        format!("{base}: only http:// collectors are supported here (use curl for https)")
    })?;
    let (authority, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
    tokio::spawn(conn);
    let mut request = hyper::Request::post(format!("{prefix}{path}"))
        .header("host", authority)
        .header("content-type", "application/json");
    if let Some(secret) = bearer {
        request = request.header("authorization", format!("Bearer {secret}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| format!("bad request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    let answer = serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "{status}: the answer is not JSON: {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    Ok((status, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_from_the_environment() {
        assert_eq!(
            secret_from_env("s3cret-value", "demo").as_deref(),
            Some("s3cret-value")
        );
        assert_eq!(
            secret_from_env("demo=aaaaaaaa,other=bbbbbbbb", "other").as_deref(),
            Some("bbbbbbbb")
        );
        assert_eq!(
            secret_from_env("demo=aaaaaaaa,*=cccccccc", "third").as_deref(),
            Some("cccccccc")
        );
        assert_eq!(secret_from_env("demo=aaaaaaaa", "third"), None);
        assert_eq!(secret_from_env("", "demo"), None);
    }

    #[test]
    fn call_answers_read_well() {
        let answer = json!({
            "call_id": "c1", "called_number": "+81355550001", "started_at": "2024-01-01T00:00:00Z",
            "attributed_to": "visitor", "visitor": "v1", "session": "s1", "lease_id": "l1",
            "source": {"name": "ads", "group": "paid", "utm_campaign": "spring"},
            "landing_page": "/lp", "pages_viewed": 1, "pages": [{"url": "https://x/lp", "ts": 1}],
            "duplicate": false
        });
        let text = describe_call_answer(201, &answer);
        assert!(text.starts_with(
            "201: call c1 to +81355550001 at 2024-01-01T00:00:00Z\n\
             attributed to visitor v1 (session s1, lease l1)\n\
             source: ads (paid), campaign spring\n\
             landing page: /lp\npages viewed: 1\n  https://x/lp\n{"
        ));
        assert_eq!(
            describe_call_answer(401, &json!({"error": "wrong webhook secret"})),
            "401: wrong webhook secret\n"
        );
    }
}
