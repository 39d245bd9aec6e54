//! Call webhooks: validating a provider's call, and the visitor journey a call is attributed to.
//!
//! Pure functions over JSON values and stored rows; the handler in `api::calls` wires them to
//! the store. Numbers are normalized to E.164 at entry with the snippet's own parser
//! (`ringtrail::phone`), so a number matches its lease however the provider writes it.

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::http::{header, HeaderMap};
use ringtrail::phone::{PhoneNumber, Region};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::store::RawEvent;

/// Longest provider call id.
const MAX_CALL_ID_LEN: usize = 256;
/// Longest recording URL.
const MAX_URL_LEN: usize = 2048;
/// Longest call, seconds (two days: anything longer is a provider bug).
const MAX_DURATION_S: i64 = 2 * 86_400;
/// Calls may start at most this far in the future of the collector's clock (clock skew).
const MAX_FUTURE_MS: i64 = 3_600_000;
/// Earliest start accepted: 2000-01-01.
const MIN_STARTED_AT: i64 = 946_684_800_000;
/// Most page views an attribution lists.
pub const MAX_PAGES: usize = 50;
/// Header that may carry the webhook secret instead of `Authorization: Bearer`.
pub const SECRET_HEADER: &str = "x-ringtrail-secret";
/// Environment variable with webhook secrets (`SITE=SECRET,...`; `*=SECRET` for every site).
pub const SECRET_ENV: &str = "RINGTRAIL_WEBHOOK_SECRET";

/// A call as the webhook delivered it, validated and normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    /// Site id.
    pub site: String,
    /// The provider's call id: the idempotency key (with the site).
    pub call_id: String,
    /// Called number, E.164.
    pub called_number: String,
    /// Caller, E.164; `None` when withheld.
    pub caller_number: Option<String>,
    /// Start, ms since the epoch.
    pub started_at: i64,
    /// Talk time in seconds; 0 for unanswered calls.
    pub duration_s: i64,
    /// Recording, if the provider made one.
    pub recording_url: Option<String>,
}

/// The `site` of a webhook body, read before anything else so the right secret can be checked
/// before the rest is validated.
///
/// # Errors
/// 400 when it is missing or not a string.
pub fn body_site(body: &Value) -> Result<&str, AppError> {
    match body.get("site") {
        Some(Value::String(site)) => Ok(site),
        Some(_) => Err(bad("site: expected a string")),
        None if body.is_object() => Err(bad("site: required")),
        None => Err(bad("body: expected a JSON object")),
    }
}

/// Validates a webhook body. `region` reads national-format numbers; `now` bounds `started_at`.
///
/// # Errors
/// 400 naming the field at fault.
pub fn parse_call(body: &Value, region: Region, now: i64) -> Result<IncomingCall, AppError> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body: expected a JSON object"))?;
    let site = body_site(body)?.to_owned();
    let call_id = required_str(obj, "call_id")?;
    if call_id.is_empty() || call_id.len() > MAX_CALL_ID_LEN {
        return Err(bad(format!(
            "call_id: expected 1 to {MAX_CALL_ID_LEN} characters"
        )));
    }
    let called = required_str(obj, "called_number")?;
    let called_number = PhoneNumber::parse(called, region)
        .map_err(|e| bad(format!("called_number: not a phone number: {e}")))?
        .e164();
    let caller_number = match obj.get("caller_number") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => normalize_caller(s, region)?,
        Some(_) => return Err(bad("caller_number: expected a string or null")),
    };
    let started_at = match obj.get("started_at") {
        None => return Err(bad("started_at: required (RFC 3339 or ms since the epoch)")),
        Some(v) => parse_time(v).map_err(|e| bad(format!("started_at: {e}")))?,
    };
    if started_at < MIN_STARTED_AT {
        return Err(bad("started_at: before 2000-01-01"));
    }
    if started_at > now.saturating_add(MAX_FUTURE_MS) {
        return Err(bad(
            "started_at: more than an hour in the future of the collector's clock",
        ));
    }
    let duration_s = match obj.get("duration_s") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => {
            let secs = n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite())
                        .map(|f| f.round() as i64)
                })
                .unwrap_or(-1);
            if !(0..=MAX_DURATION_S).contains(&secs) {
                return Err(bad(format!(
                    "duration_s: expected 0 to {MAX_DURATION_S} seconds"
                )));
            }
            secs
        }
        Some(_) => return Err(bad("duration_s: expected a number of seconds")),
    };
    let recording_url = match obj.get("recording_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(url)) if url.is_empty() => None,
        Some(Value::String(url)) => {
            let lower = url.to_ascii_lowercase();
            if url.len() > MAX_URL_LEN
                || !(lower.starts_with("https://") || lower.starts_with("http://"))
                || url.chars().any(char::is_control)
            {
                return Err(bad(format!(
                    "recording_url: expected an http(s) URL of at most {MAX_URL_LEN} characters"
                )));
            }
            Some(url.clone())
        }
        Some(_) => return Err(bad("recording_url: expected a string or null")),
    };
    Ok(IncomingCall {
        site,
        call_id: call_id.to_owned(),
        called_number,
        caller_number,
        started_at,
        duration_s,
        recording_url,
    })
}

fn bad(message: impl Into<String>) -> AppError {
    AppError::BadRequest(message.into())
}

fn required_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, AppError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(format!("{key}: expected a string"))),
        None => Err(bad(format!("{key}: required"))),
    }
}

/// A caller number in E.164. Withheld callers (`anonymous`, `private`, empty...) are `None`.
/// International numbers of countries the phone parser has no rules for are kept when they
/// are already in E.164 shape (`+` and 8 to 15 digits).
fn normalize_caller(s: &str, region: Region) -> Result<Option<String>, AppError> {
    let trimmed = s.trim();
    let lower = trimmed.to_ascii_lowercase();
    if trimmed.is_empty()
        || [
            "anonymous",
            "private",
            "unknown",
            "restricted",
            "unavailable",
            "withheld",
        ]
        .contains(&lower.as_str())
    {
        return Ok(None);
    }
    match PhoneNumber::parse(trimmed, region) {
        Ok(n) => Ok(Some(n.e164())),
        Err(e) => {
            let digits: String = trimmed
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
                .collect();
            let e164_shape = digits.strip_prefix('+').is_some_and(|d| {
                (8..=15).contains(&d.len())
                    && d.bytes().all(|b| b.is_ascii_digit())
                    && !d.starts_with('0')
            });
            if e164_shape {
                Ok(Some(digits))
            } else {
                Err(bad(format!(
                    "caller_number: not a phone number: {e} (send null when withheld)"
                )))
            }
        }
    }
}

/// A time as RFC 3339 text (`2024-05-01T09:30:00+09:00`) or ms since the epoch.
///
/// # Errors
/// A short reason.
pub fn parse_time(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| "expected whole milliseconds since the epoch".to_owned()),
        Value::String(s) => parse_time_text(s),
        _ => Err("expected RFC 3339 text or ms since the epoch".to_owned()),
    }
}

/// [`parse_time`] for text: RFC 3339, or digits (ms since the epoch).
///
/// # Errors
/// A short reason.
pub fn parse_time_text(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| "milliseconds out of range".to_owned());
    }
    jiff::Timestamp::from_str(s)
        .map(|t| t.as_millisecond())
        .map_err(|_| "expected RFC 3339 like 2024-05-01T09:30:00+09:00, or ms".to_owned())
}

/// `2024-05-01T00:30:00Z` for ms since the epoch.
pub fn format_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Webhook secrets by site, from `--webhook-secret SITE=SECRET` and the environment.
#[derive(Clone, Default)]
pub struct WebhookSecrets {
    by_site: BTreeMap<String, String>,
    any_site: Option<String>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        f.debug_struct("WebhookSecrets")
            .field("sites", &self.by_site.keys().collect::<Vec<_>>())
            .field("any_site", &self.any_site.is_some())
            .finish()
    }
}

impl WebhookSecrets {
    /// Parses entries `SITE=SECRET` (`*=SECRET` for every site); a later entry for the same
    /// site wins.
    ///
    /// # Errors
    /// The entry at fault, without its secret.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut secrets = WebhookSecrets::default();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let Some((site, secret)) = entry.split_once('=') else {
                return Err("expected SITE=SECRET (or *=SECRET for every site)".into());
            };
            if secret.len() < 8 {
                return Err(format!(
                    "the secret for {site:?} is shorter than 8 characters"
                ));
            }
            if site == "*" {
                secrets.any_site = Some(secret.to_owned());
            } else if crate::event::is_valid_site_id(site) {
                secrets.by_site.insert(site.to_owned(), secret.to_owned());
            } else {
                return Err(format!("{site:?} is not a site id"));
            }
        }
        Ok(secrets)
    }

    /// Adds the entries of [`SECRET_ENV`] (comma-separated) under those given on the command
    /// line.
    ///
    /// # Errors
    /// As [`WebhookSecrets::parse`].
    pub fn with_env_value(self, value: &str) -> Result<Self, String> {
        let env = WebhookSecrets::parse(value.split(','))?;
        let mut merged = env;
        merged.by_site.extend(self.by_site);
        if self.any_site.is_some() {
            merged.any_site = self.any_site;
        }
        Ok(merged)
    }

    /// Whether any secret is configured.
    pub fn is_empty(&self) -> bool {
        self.by_site.is_empty() && self.any_site.is_none()
    }

    /// Checks a request's secret for `site` (`Authorization: Bearer S` or `X-Ringtrail-Secret: S`).
    ///
    /// # Errors
    /// 401 with a reason that never includes the expected secret.
    pub fn check(&self, site: &str, headers: &HeaderMap) -> Result<(), AppError> {
        let expected = self
            .by_site
            .get(site)
            .or(self.any_site.as_ref())
            .ok_or_else(|| {
                AppError::Unauthorized(format!(
                    "no webhook secret is configured for site {site:?}; start the collector \
                     with --webhook-secret {site}=SECRET"
                ))
            })?;
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .or_else(|| headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok()))
            .map(str::trim);
        match given {
            None => Err(AppError::Unauthorized(
                "missing webhook secret: send Authorization: Bearer SECRET or X-Ringtrail-Secret"
                    .into(),
            )),
            Some(given) if crate::access::same_secret(given, expected) => Ok(()),
            Some(_) => Err(AppError::Unauthorized("wrong webhook secret".into())),
        }
    }
}

/// One page the visitor saw before calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PageSeen {
    /// Page URL.
    pub url: String,
    /// Title, when the snippet sent one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
    /// Client time, ms.
    pub ts: i64,
}

/// The visit a call came from, as read from the stored `page_view` events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Journey {
    /// Pages in order, at most [`MAX_PAGES`] (the latest ones).
    pub pages: Vec<PageSeen>,
    /// The `source` object of the latest page view that had one, with the `group` classified
    /// at ingest ([`RawEvent::event`]).
    pub source: Option<Value>,
    /// The landing page: the source's `landing` when given, else the first page's URL.
    pub landing_page: Option<String>,
    /// All page views of the session before the call, including any beyond `pages`.
    pub pages_viewed: usize,
}

/// Builds the journey from stored page views (any order) of one session, keeping those up to
/// `until` (the call's start plus a minute of clock skew).
pub fn journey(page_views: &[RawEvent], until: i64) -> Journey {
    let mut views: Vec<Value> = page_views
        .iter()
        .filter_map(RawEvent::event)
        .filter(|v| {
            v.get("ts")
                .and_then(Value::as_i64)
                .is_some_and(|ts| ts <= until)
        })
        .collect();
    views.sort_by_key(|v| v.get("ts").and_then(Value::as_i64).unwrap_or(0));
    let source = views
        .iter()
        .rev()
        .find_map(|v| v.get("source").filter(|s| s.is_object()).cloned());
    let landing_page = source
        .as_ref()
        .and_then(|s| s.get("landing"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            views
                .first()
                .and_then(|v| v.get("url"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let pages_viewed = views.len();
    let pages = views
        .iter()
        .skip(pages_viewed.saturating_sub(MAX_PAGES))
        .map(|v| PageSeen {
            url: v
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            title: v.get("title").and_then(Value::as_str).map(str::to_owned),
            ts: v.get("ts").and_then(Value::as_i64).unwrap_or(0),
        })
        .collect();
    Journey {
        pages,
        source,
        landing_page,
        pages_viewed,
    }
}

/// Why a call has no visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoVisitor {
    /// The pool's fallback number: shown to every visitor who overflowed.
    FallbackNumber,
    /// A pool number nobody held at that time (nor within the idle window before).
    NoLeaseAtThatTime,
    /// A number the site's config does not list.
    UnknownNumber,
    /// One of the site's own numbers (no swap: no rule matched, or the snippet did not run).
    SiteNumber,
}

impl NoVisitor {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoVisitor::FallbackNumber => "fallback_number",
            NoVisitor::NoLeaseAtThatTime => "no_lease_at_that_time",
            NoVisitor::UnknownNumber => "unknown_number",
            NoVisitor::SiteNumber => "site_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000_000;

    fn call(extra: Value) -> Value {
        let mut body = json!({
            "site": "demo", "call_id": "CA123", "called_number": "03-5555-0001",
            "caller_number": "090-1234-5678", "started_at": "2023-11-14T22:00:00Z",
            "duration_s": 42
        });
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        body
    }

    fn error(body: Value) -> String {
        match parse_call(&body, Region::JP, NOW) {
            Err(AppError::BadRequest(reason)) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_call_is_normalized() {
        let c = parse_call(&call(json!({})), Region::JP, NOW).expect("valid");
        assert_eq!(c.called_number, "+81355550001");
        assert_eq!(c.caller_number.as_deref(), Some("+819012345678"));
        assert_eq!(c.started_at, 1_699_999_200_000);
        assert_eq!(c.duration_s, 42);
        let c = parse_call(
            &call(json!({"started_at": NOW - 5, "caller_number": "anonymous",
                         "called_number": "+81 3-5555-0001", "duration_s": 2.6,
                         "recording_url": "https://rec.example/1.mp3"})),
            Region::JP,
            NOW,
        )
        .expect("valid");
        assert_eq!(c.started_at, NOW - 5);
        assert_eq!(c.caller_number, None);
        assert_eq!(c.called_number, "+81355550001");
        assert_eq!(c.duration_s, 3);
        assert_eq!(
            c.recording_url.as_deref(),
            Some("https://rec.example/1.mp3")
        );
        let c = parse_call(
            &call(json!({"caller_number": "+86 138 0013 8000", "started_at": "2023-11-15T07:00:00+09:00"})),
            Region::JP,
            NOW,
        )
        .expect("valid");
        assert_eq!(c.caller_number.as_deref(), Some("+8613800138000"));
        assert_eq!(c.started_at, 1_699_999_200_000);
    }

    #[test]
    fn bad_calls_name_the_field() {
        let cases = [
            (json!({"call_id": 5}), "call_id: expected a string"),
            (
                json!({"call_id": ""}),
                "call_id: expected 1 to 256 characters",
            ),
            (
                json!({"called_number": "hello"}),
                "called_number: not a phone number",
            ),
            (
                json!({"caller_number": "12ab"}),
                "caller_number: not a phone number",
            ),
            (
                json!({"started_at": "yesterday"}),
                "started_at: expected RFC 3339",
            ),
            (
                json!({"started_at": "2023-11-14T22:00:00"}),
                "started_at: expected RFC 3339",
            ),
            (json!({"started_at": 5}), "started_at: before 2000-01-01"),
            (
                json!({"started_at": NOW + 7_200_000}),
                "started_at: more than an hour",
            ),
            (json!({"duration_s": -1}), "duration_s: expected 0 to"),
            (json!({"duration_s": "10"}), "duration_s: expected a number"),
            (
                json!({"recording_url": "javascript:alert(1)"}),
                "recording_url: expected an http(s) URL",
            ),
            (json!({"site": 3}), "site: expected a string"),
        ];
        for (extra, want) in cases {
            let got = error(call(extra.clone()));
            assert!(got.starts_with(want), "{extra}: {got}");
        }
        assert_eq!(error(json!([1])), "body: expected a JSON object");
        assert_eq!(error(json!({"call_id": "x"})), "site: required");
    }

    #[test]
    fn secrets_come_from_flags_and_env() {
        let secrets = WebhookSecrets::parse(["demo=supersecret"])
            .and_then(|s| s.with_env_value("other=othersecret,*=fallbacksecret"))
            .expect("valid");
        let mut headers = HeaderMap::new();
        assert!(matches!(
            secrets.check("demo", &headers),
            Err(AppError::Unauthorized(m)) if m.starts_with("missing")
        ));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer supersecret"),
        );
        assert!(secrets.check("demo", &headers).is_ok());
        assert!(matches!(
            secrets.check("other", &headers),
            Err(AppError::Unauthorized(m)) if m == "wrong webhook secret"
        ));
        let mut headers = HeaderMap::new();
        headers.insert(SECRET_HEADER, HeaderValue::from_static("fallbacksecret"));
        assert!(secrets.check("third", &headers).is_ok());
        assert!(WebhookSecrets::parse(["demo"]).is_err());
        assert!(WebhookSecrets::parse(["demo=short"]).is_err());
        assert!(WebhookSecrets::parse(["Bad Site=supersecret"]).is_err());
        let none = WebhookSecrets::default();
        assert!(matches!(
            none.check("demo", &HeaderMap::new()),
            Err(AppError::Unauthorized(m)) if m.contains("--webhook-secret demo=SECRET")
        ));
        assert!(!format!("{secrets:?}").contains("supersecret"));
    }

    #[test]
    fn the_journey_comes_from_page_views_before_the_call() {
        let stored = |raw: String, source_group: Option<&str>| RawEvent {
            site: "demo".into(),
            received_at: NOW,
            raw,
            source_group: source_group.map(str::to_owned),
        };
        let view = |ts: i64, url: &str, source: Value| {
            let group = source.is_object().then_some("paid");
            let raw =
                json!({"type": "page_view", "ts": ts, "url": url, "title": "T", "source": source});
            stored(raw.to_string(), group)
        };
        let src = json!({"name": "google-ads", "click_id": "gclid", "landing": "/lp"});
        let raw = vec![
            view(NOW - 10_000, "https://demo.example/pricing", src.clone()),
            view(NOW - 20_000, "https://demo.example/lp?gclid=1", src.clone()),
            view(NOW + 600_000, "https://demo.example/after", src.clone()),
            stored("not json".to_owned(), None),
        ];
        let j = journey(&raw, NOW + 60_000);
        assert_eq!(j.pages_viewed, 2);
        assert_eq!(j.pages[0].url, "https://demo.example/lp?gclid=1");
        assert_eq!(j.pages[1].url, "https://demo.example/pricing");
        let mut classified = src.clone();
        classified["group"] = json!("paid");
        assert_eq!(j.source, Some(classified));
        assert_eq!(j.landing_page.as_deref(), Some("/lp"));
        let j = journey(&[view(NOW, "https://demo.example/a", Value::Null)], NOW);
        assert_eq!(j.source, None);
        assert_eq!(j.landing_page.as_deref(), Some("https://demo.example/a"));
        assert_eq!(journey(&[], NOW), Journey::default());
    }

    #[test]
    fn times_parse_both_ways() {
        assert_eq!(parse_time_text("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(
            parse_time_text("2023-11-14T22:13:20.5Z"),
            Ok(1_700_000_000_500)
        );
        assert_eq!(format_time(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
