//! The event batch the snippet posts, and its validation.
//!
//! Validation is hand-written over `serde_json::Value` rather than derived: every error names the
//! JSON path it is about (`events[3].id: expected a UUID`), which is what someone debugging a
//! snippet integration needs, and unknown fields are ignored so an older collector keeps
//! accepting events from a newer snippet.

use serde_json::{Map, Value};

use crate::store::NewEvent;

/// Most events one request may carry.
pub const MAX_EVENTS_PER_BATCH: usize = 500;
/// Longest visitor / session id.
const MAX_ID_LEN: usize = 128;
/// Longest URL or referrer.
const MAX_URL_LEN: usize = 4096;
/// Longest title or source field.
const MAX_TEXT_LEN: usize = 1024;
/// Largest client timestamp accepted: 2^53 - 1, the largest integer a JS number holds exactly.
const MAX_TS: i64 = (1 << 53) - 1;

/// The kinds of events the snippet sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A page (or SPA route) was shown.
    PageView,
    /// Engaged time and scroll depth.
    Engagement,
    /// A number was swapped (number shown, lease id).
    Swap,
    /// A configured trigger fired.
    Trigger,
    /// A `tel:` link was clicked.
    CallClick,
    /// A tracked form was submitted.
    FormSubmit,
    /// The site identified the visitor.
    Identify,
    /// A lead was captured.
    Lead,
    /// A site-defined event from `ringtrail('track', name, props)`.
    Custom,
}

impl EventType {
    /// Every type, in documentation order.
    pub const ALL: [EventType; 9] = [
        EventType::PageView,
        EventType::Engagement,
        EventType::Swap,
        EventType::Trigger,
        EventType::CallClick,
        EventType::FormSubmit,
        EventType::Identify,
        EventType::Lead,
        EventType::Custom,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PageView => "page_view",
            EventType::Engagement => "engagement",
            EventType::Swap => "swap",
            EventType::Trigger => "trigger",
            EventType::CallClick => "call_click",
            EventType::FormSubmit => "form_submit",
            EventType::Identify => "identify",
            EventType::Lead => "lead",
            EventType::Custom => "custom",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The referrer group (`search`, `social`, `email`, `paid`, `referral`, `direct`) of an
/// event's `source` object, classified here from its fields with the known medium and host
/// patterns ([`ringtrail::source::GROUP_TABLE`]): the snippet does not send one, and one
/// sent anyway is not trusted. The same rules the snippet's `referrer_group` conditions use.
pub fn source_group(source: &Map<String, Value>) -> &'static str {
    let field = |key: &str| {
        source
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let touch = ringtrail::source::Touch {
        utm_source: field("utm_source"),
        utm_medium: field("utm_medium"),
        utm_campaign: field("utm_campaign"),
        utm_term: field("utm_term"),
        utm_content: field("utm_content"),
        click_id: field("click_id"),
        referrer_host: field("referrer_host").to_ascii_lowercase(),
        ..Default::default()
    };
    touch.group(ringtrail::source::GROUP_TABLE).as_str()
}

/// A batch that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Site id.
    pub site: String,
    /// The events, in the order received (duplicates included; the store skips them).
    pub events: Vec<NewEvent>,
    /// Events the browser dropped from a full queue before this batch (`"dropped": N`).
    pub dropped: u64,
}

/// Why a batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A field is missing or wrong; `path` is its JSON path.
    #[error("{path}: {message}")]
    Invalid {
        /// JSON path, e.g. `events[3].id`.
        path: String,
        /// What was expected.
        message: String,
    },
    /// More events than [`MAX_EVENTS_PER_BATCH`].
    #[error("events: {0} events in one request; at most {MAX_EVENTS_PER_BATCH} are accepted, send smaller batches")]
    TooManyEvents(usize),
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> BatchError {
    BatchError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// Checks a site id: 1–64 of lowercase ASCII letters, digits, `-`, `_`.
pub fn is_valid_site_id(site: &str) -> bool {
    !site.is_empty()
        && site.len() <= 64
        && site
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Validates a posted batch; `received_at` is the server's receive time in ms.
///
/// # Errors
/// The first problem found, naming its JSON path.
pub fn parse_batch(body: &Value, received_at: i64) -> Result<Batch, BatchError> {
    let obj = body
        .as_object()
        .ok_or_else(|| invalid("body", "expected an object with \"site\" and \"events\""))?;
    let top = Fields::new(String::new(), obj);
    let site = top.required_str("site", 64)?;
    if !is_valid_site_id(site) {
        return Err(invalid(
            "site",
            "expected a site id: lowercase letters, digits, '-' and '_'",
        ));
    }
    let sent_at = top.optional_ts("sent_at")?;
    let dropped = match obj.get("dropped") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| invalid("dropped", "expected a non-negative integer"))?,
    };
    let events = match obj.get("events") {
        Some(Value::Array(events)) => events,
        Some(_) => return Err(invalid("events", "expected an array of events")),
        None => return Err(invalid("events", "missing")),
    };
    if events.len() > MAX_EVENTS_PER_BATCH {
        return Err(BatchError::TooManyEvents(events.len()));
    }
    let events = events
        .iter()
        .enumerate()
        .map(|(index, event)| parse_event(index, event, site, sent_at, received_at))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch {
        site: site.to_owned(),
        events,
        dropped,
    })
}

fn parse_event(
    index: usize,
    event: &Value,
    site: &str,
    sent_at: Option<i64>,
    received_at: i64,
) -> Result<NewEvent, BatchError> {
    let path = format!("events[{index}]");
    let obj = event
        .as_object()
        .ok_or_else(|| invalid(path.clone(), "expected an event object"))?;
    let f = Fields::new(path, obj);

    let id = f.required_str("id", 64)?;
    let id = uuid::Uuid::try_parse(id)
        .map_err(|_| f.error("id", "expected a UUID"))?
        .hyphenated()
        .to_string();
    let type_name = f.required_str("type", 64)?;
    let kind = EventType::parse(type_name).ok_or_else(|| {
        let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        f.error(
            "type",
            format!(
                "unknown event type {:?}; expected one of {}",
                truncate(type_name, 64),
                known.join(", ")
            ),
        )
    })?;
    let ts = f
        .optional_ts("ts")?
        .ok_or_else(|| f.error("ts", "missing; expected milliseconds since the epoch"))?;
    // Empty when the visitor may not be stored (no consent, storage blocked): still counted.
    let visitor = f.required_str("visitor", MAX_ID_LEN)?;
    let session = f.required_str("session", MAX_ID_LEN)?;
    let url = f.required_str("url", MAX_URL_LEN)?;
    let referrer = f.optional_str("referrer", MAX_URL_LEN)?.unwrap_or("");
    let title = f.optional_str("title", MAX_TEXT_LEN)?;
    let revisit = match obj.get("revisit") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|n| *n >= 0)
                .ok_or_else(|| f.error("revisit", "expected a non-negative integer"))?,
        ),
    };
    let (source_name, source_group) = match obj.get("source") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(source)) => parse_source(&f.child("source", source))?,
        Some(_) => return Err(f.error("source", "expected an object or null")),
    };
    let data = match obj.get("data") {
        None | Some(Value::Null) => None,
        Some(data @ Value::Object(fields)) => {
            check_data(kind, &f.child("data", fields))?;
            Some(data.to_string())
        }
        Some(_) => return Err(f.error("data", "expected an object")),
    };
    if data.is_none() {
        check_data(kind, &f.child("data", &Map::new()))?;
    }
    Ok(NewEvent {
        id,
        site: site.to_owned(),
        kind,
        visitor: visitor.to_owned(),
        session: session.to_owned(),
        ts,
        received_at,
        sent_at,
        url: url.to_owned(),
        path: url_path(url).to_owned(),
        referrer: referrer.to_owned(),
        title: title.map(str::to_owned),
        source_name,
        source_group,
        revisit,
        data,
        raw: event.to_string(),
    })
}

fn parse_source(f: &Fields<'_>) -> Result<(Option<String>, Option<String>), BatchError> {
    let name = f.optional_str("name", MAX_TEXT_LEN)?.map(str::to_owned);
    for key in [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "click_id",
        "referrer_host",
        "landing",
    ] {
        f.optional_str(key, MAX_URL_LEN)?;
    }
    Ok((name, Some(source_group(f.obj).to_owned())))
}

/// Largest `engaged_ms` accepted: 2^53 - 1 (a JS safe integer). No tighter bound: a refused
/// batch loses all its events, and a long increment is the report's business, not ingest's.
const MAX_ENGAGED_MS: u64 = (1 << 53) - 1;

/// Light checks of the type-specific `data` fields the reports read. Fields are optional unless
/// a report cannot use the event without them (`engaged_ms`, a trigger's or custom event's
/// `name`); present fields must have the documented type; unknown fields are ignored.
fn check_data(kind: EventType, f: &Fields<'_>) -> Result<(), BatchError> {
    match kind {
        EventType::PageView => {
            f.optional_str("path", MAX_URL_LEN)?;
            f.optional_str("nav", 64)?;
        }
        EventType::Engagement => {
            match f.obj.get("engaged_ms") {
                None | Some(Value::Null) => {
                    return Err(f.error("engaged_ms", "missing; expected a non-negative integer"))
                }
                Some(v) => {
                    v.as_u64()
                        .filter(|ms| *ms <= MAX_ENGAGED_MS)
                        .ok_or_else(|| {
                            f.error(
                                "engaged_ms",
                                "expected a non-negative integer (milliseconds)",
                            )
                        })?;
                }
            }
            match f.obj.get("scroll_pct") {
                None | Some(Value::Null) => {}
                Some(v) => {
                    v.as_f64()
                        .filter(|p| (0.0..=100.0).contains(p))
                        .ok_or_else(|| f.error("scroll_pct", "expected a number from 0 to 100"))?;
                }
            }
            f.optional_str("page_view", 64)?;
        }
        EventType::Swap => {
            for key in ["target", "number", "pool", "lease_id"] {
                f.optional_str(key, MAX_TEXT_LEN)?;
            }
        }
        EventType::Trigger => {
            f.required_str("name", MAX_TEXT_LEN)?;
        }
        EventType::CallClick => {
            f.optional_str("number", MAX_TEXT_LEN)?;
            f.optional_str("target", MAX_TEXT_LEN)?;
        }
        EventType::FormSubmit => {
            f.optional_str("form", MAX_TEXT_LEN)?;
            check_person(f)?;
            match f.obj.get("fields") {
                None | Some(Value::Null) => {}
                Some(Value::Object(fields)) => check_person(&f.child("fields", fields))?,
                Some(_) => return Err(f.error("fields", "expected an object")),
            }
        }
        EventType::Identify => {
            f.optional_str("user_id", MAX_TEXT_LEN)?;
            check_person(f)?;
            match f.obj.get("traits") {
                None | Some(Value::Null) => {}
                Some(Value::Object(traits)) => check_person(&f.child("traits", traits))?,
                Some(_) => return Err(f.error("traits", "expected an object")),
            }
        }
        EventType::Lead => {
            f.optional_str("channel", 64)?;
            f.optional_str("lead_token", MAX_TEXT_LEN)?;
            f.optional_str("user_id", MAX_TEXT_LEN)?;
            check_person(f)?;
        }
        EventType::Custom => {
            f.required_str("name", MAX_TEXT_LEN)?;
            match f.obj.get("props") {
                None | Some(Value::Null) | Some(Value::Object(_)) => {}
                Some(_) => return Err(f.error("props", "expected an object")),
            }
        }
    }
    Ok(())
}

/// The person fields of forms, traits and leads: strings when present.
fn check_person(f: &Fields<'_>) -> Result<(), BatchError> {
    for key in ["email", "phone", "name", "company"] {
        f.optional_str(key, MAX_TEXT_LEN)?;
    }
    for key in ["email_sha256", "phone_sha256"] {
        if let Some(hash) = f.optional_str(key, 64)? {
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(f.error(key, "expected 64 hex digits (SHA-256)"));
            }
        }
    }
    Ok(())
}

/// The path of a URL: after the authority, before `?` or `#`; `/` when there is none.
pub fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find(['/', '?', '#']) {
                Some(j) => &after[j..],
                None => "",
            }
        }
        None => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..end];
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// Typed access to an object's fields, with errors that carry the path.
struct Fields<'a> {
    path: String,
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn new(path: String, obj: &'a Map<String, Value>) -> Self {
        Fields { path, obj }
    }

    fn child(&self, key: &str, obj: &'a Map<String, Value>) -> Fields<'a> {
        Fields::new(self.key_path(key), obj)
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> BatchError {
        invalid(self.key_path(key), message)
    }

    fn optional_str(&self, key: &str, max_len: usize) -> Result<Option<&'a str>, BatchError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() <= max_len => Ok(Some(s.as_str())),
            Some(Value::String(_)) => Err(self.error(key, format!("longer than {max_len} bytes"))),
            Some(_) => Err(self.error(key, "expected a string")),
        }
    }

    fn required_str(&self, key: &str, max_len: usize) -> Result<&'a str, BatchError> {
        self.optional_str(key, max_len)?
            .ok_or_else(|| self.error(key, "missing; expected a string"))
    }

    /// A timestamp in ms since the epoch: a non-negative number (fractions are dropped).
    fn optional_ts(&self, key: &str) -> Result<Option<i64>, BatchError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                let ms = n
                    .as_i64()
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.is_finite())
                            .map(|f| f.trunc() as i64)
                    })
                    .filter(|ms| (0..=MAX_TS).contains(ms))
                    .ok_or_else(|| {
                        self.error(key, "expected milliseconds since the epoch (0 to 2^53-1)")
                    })?;
                Ok(Some(ms))
            }
            Some(_) => Err(self.error(key, "expected a number (milliseconds since the epoch)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    fn event() -> Value {
        json!({
            "id": ID, "type": "page_view", "ts": 1_700_000_000_000_i64,
            "visitor": "v1", "session": "s1", "url": "https://example.jp/a/b?x=1#top",
            "referrer": "", "source": {"name": "google-ads", "group": "direct", "utm_source": "google", "click_id": "gclid"},
            "data": {"k": 1}
        })
    }

    fn batch_with(event: Value) -> Value {
        json!({"site": "demo-jp", "events": [event]})
    }

    fn error_of(body: Value) -> String {
        match parse_batch(&body, 5) {
            Ok(batch) => panic!("expected an error, got {batch:?}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_valid_batch_becomes_events() {
        let batch = parse_batch(&batch_with(event()), 42).expect("valid");
        assert_eq!(batch.site, "demo-jp");
        let e = &batch.events[0];
        assert_eq!(e.id, ID);
        assert_eq!(e.kind, EventType::PageView);
        assert_eq!(e.path, "/a/b");
        assert_eq!(e.received_at, 42);
        assert_eq!(e.source_name.as_deref(), Some("google-ads"));
        assert_eq!(e.source_group.as_deref(), Some("paid"));
        assert_eq!(e.data.as_deref(), Some(r#"{"k":1}"#));
    }

    #[test]
    fn uuids_are_normalized_to_lower_case() {
        let mut e = event();
        e["id"] = json!(ID.to_uppercase());
        let batch = parse_batch(&batch_with(e), 0).expect("valid");
        assert_eq!(batch.events[0].id, ID);
    }

    #[test]
    fn errors_name_the_path() {
        let table: &[(&str, Value, &str)] = &[
            ("id", json!("nope"), "events[0].id: expected a UUID"),
            ("id", json!(7), "events[0].id: expected a string"),
            ("ts", json!("yesterday"), "events[0].ts: expected a number"),
            ("ts", json!(-1), "events[0].ts: expected milliseconds"),
            (
                "type",
                json!("click"),
                "events[0].type: unknown event type \"click\"",
            ),
            ("visitor", json!(5), "events[0].visitor: expected a string"),
            (
                "session",
                json!("x".repeat(129)),
                "events[0].session: longer than 128 bytes",
            ),
            ("url", Value::Null, "events[0].url: missing"),
            (
                "source",
                json!("google"),
                "events[0].source: expected an object",
            ),
            (
                "source",
                json!({"utm_source": 3}),
                "events[0].source.utm_source: expected a string",
            ),
            ("data", json!([1]), "events[0].data: expected an object"),
            (
                "data",
                json!({"path": 5}),
                "events[0].data.path: expected a string",
            ),
            (
                "revisit",
                json!(-2),
                "events[0].revisit: expected a non-negative integer",
            ),
        ];
        for (key, value, want) in table {
            let mut e = event();
            e[*key] = value.clone();
            let got = error_of(batch_with(e));
            assert!(
                got.starts_with(want),
                "{key}={value}: got {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn batch_level_errors() {
        assert!(error_of(json!([])).starts_with("body: expected an object"));
        assert!(error_of(json!({"events": []})).starts_with("site: missing"));
        assert!(error_of(json!({"site": "Demo JP", "events": []}))
            .starts_with("site: expected a site id"));
        assert!(
            error_of(json!({"site": "x", "events": {}})).starts_with("events: expected an array")
        );
        let many = vec![event(); MAX_EVENTS_PER_BATCH + 1];
        assert!(error_of(json!({"site": "x", "events": many})).contains("at most 500"));
    }

    #[test]
    fn data_fields_are_checked_per_type() {
        let table: &[(&str, Value, Option<&str>)] = &[
            (
                "engagement",
                json!({"engaged_ms": 0, "scroll_pct": 100, "page_view": ID}),
                None,
            ),
            (
                "engagement",
                json!({"engaged_ms": 1500, "scroll_pct": 33.3}),
                None,
            ),
            (
                "engagement",
                json!({}),
                Some("events[0].data.engaged_ms: missing"),
            ),
            (
                "engagement",
                Value::Null,
                Some("events[0].data.engaged_ms: missing"),
            ),
            (
                "engagement",
                json!({"engaged_ms": -1}),
                Some("events[0].data.engaged_ms: expected a non-negative integer"),
            ),
            (
                "engagement",
                json!({"engaged_ms": 1.5}),
                Some("events[0].data.engaged_ms: expected"),
            ),
            (
                "engagement",
                json!({"engaged_ms": "10"}),
                Some("events[0].data.engaged_ms: expected"),
            ),
            (
                "engagement",
                json!({"engaged_ms": 1_u64 << 53}),
                Some("events[0].data.engaged_ms: expected"),
            ),
            (
                "engagement",
                json!({"engaged_ms": 1, "scroll_pct": 101}),
                Some("events[0].data.scroll_pct: expected a number from 0 to 100"),
            ),
            (
                "engagement",
                json!({"engaged_ms": 1, "page_view": 3}),
                Some("events[0].data.page_view: expected a string"),
            ),
            ("trigger", json!({"name": "pricing-chat"}), None),
            ("trigger", json!({}), Some("events[0].data.name: missing")),
            (
                "custom",
                json!({"name": "signup", "props": {"plan": "pro"}}),
                None,
            ),
            (
                "custom",
                json!({"name": "signup", "props": [1]}),
                Some("events[0].data.props: expected an object"),
            ),
            (
                "custom",
                json!({"props": {}}),
                Some("events[0].data.name: missing"),
            ),
            (
                "swap",
                json!({"target": "+81312345678", "number": "+81399990001", "pool": "p", "lease_id": "l"}),
                None,
            ),
            (
                "swap",
                json!({"number": 81399990001_i64}),
                Some("events[0].data.number: expected a string"),
            ),
            (
                "call_click",
                json!({"number": "+81399990001", "target": "+81312345678"}),
                None,
            ),
            (
                "form_submit",
                json!({"form": "contact", "fields": {"email": "a@b.jp", "phone": "+819012345678"}}),
                None,
            ),
            (
                "form_submit",
                json!({"form": "contact", "fields": {"email_sha256": "ab".repeat(32)}}),
                None,
            ),
            (
                "form_submit",
                json!({"fields": "a@b.jp"}),
                Some("events[0].data.fields: expected an object"),
            ),
            (
                "form_submit",
                json!({"fields": {"email": ["a@b.jp"]}}),
                Some("events[0].data.fields.email: expected a string"),
            ),
            (
                "form_submit",
                json!({"email_sha256": "xyz"}),
                Some("events[0].data.email_sha256: expected 64 hex digits"),
            ),
            (
                "identify",
                json!({"user_id": "u1", "traits": {"email": "a@b.jp"}}),
                None,
            ),
            (
                "identify",
                json!({"traits": 1}),
                Some("events[0].data.traits: expected an object"),
            ),
            (
                "lead",
                json!({"channel": "email_link", "lead_token": "t"}),
                None,
            ),
            (
                "lead",
                json!({"channel": 1}),
                Some("events[0].data.channel: expected a string"),
            ),
            (
                "lead",
                json!({"phone_sha256": "0".repeat(63)}),
                Some("events[0].data.phone_sha256: expected 64 hex digits"),
            ),
            (
                "page_view",
                json!({"path": "/pricing.html", "nav": "bfcache"}),
                None,
            ),
            ("page_view", Value::Null, None),
            // The snippet's own shapes (src/web/leads.rs): details flat, next to `channel`.
            (
                "identify",
                json!({"channel": "identify", "email": "a@b.jp", "user_id": "u1"}),
                None,
            ),
            (
                "identify",
                json!({"channel": "identify", "phone": 819012345678_i64}),
                Some("events[0].data.phone: expected a string"),
            ),
            (
                "form_submit",
                json!({"channel": "form", "email_sha256": "ab".repeat(32), "form": "f"}),
                None,
            ),
            (
                "call_click",
                json!({"channel": "call_click", "number": "+81399990001", "tracked": true, "target": "+81312345678"}),
                None,
            ),
            ("page_view", json!({"path": "/", "nav": "prerender"}), None),
        ];
        for (kind, data, want) in table {
            let mut e = event();
            e["type"] = json!(kind);
            e["data"] = data.clone();
            match (parse_batch(&batch_with(e), 0), want) {
                (Ok(_), None) => {}
                (Err(err), Some(want)) => assert!(
                    err.to_string().starts_with(want),
                    "{kind} {data}: got {err}, want {want}"
                ),
                (got, want) => panic!("{kind} {data}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn dropped_counts_are_read() {
        let mut body = batch_with(event());
        assert_eq!(parse_batch(&body, 0).expect("valid").dropped, 0);
        body["dropped"] = json!(7);
        assert_eq!(parse_batch(&body, 0).expect("valid").dropped, 7);
        body["dropped"] = json!(-1);
        assert!(error_of(body.clone()).starts_with("dropped: expected a non-negative integer"));
        body["dropped"] = json!("3");
        assert!(error_of(body).starts_with("dropped: expected"));
    }

    #[test]
    fn the_collector_classifies_the_source_group() {
        let table = [
            (json!({}), "direct"),
            (json!({"group": "paid", "landing": "/"}), "direct"),
            (json!({"utm_source": "flyer"}), "referral"),
            (json!({"referrer_host": "WWW.Google.co.jp"}), "search"),
            (json!({"referrer_host": "l.facebook.com"}), "social"),
            (json!({"referrer_host": "blog.example.org"}), "referral"),
            (
                json!({"utm_medium": "Email", "referrer_host": "t.co"}),
                "email",
            ),
            (
                json!({"click_id": "gclid", "utm_medium": "organic"}),
                "paid",
            ),
            (
                json!({"utm_medium": 5, "referrer_host": "bing.com"}),
                "search",
            ),
        ];
        for (source, want) in table {
            let Value::Object(map) = &source else {
                unreachable!()
            };
            assert_eq!(source_group(map), want, "{source}");
        }
        // In a batch: the sent group is replaced by the classified one.
        let batch = parse_batch(&batch_with(event()), 0).expect("valid");
        assert_eq!(batch.events[0].source_group.as_deref(), Some("paid"));
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let e = json!({"id": ID, "type": "lead", "ts": 1.5e12, "visitor": "v", "session": "s", "url": "/x"});
        let batch = parse_batch(&batch_with(e), 0).expect("valid");
        assert_eq!(batch.events[0].referrer, "");
        assert_eq!(batch.events[0].ts, 1_500_000_000_000);
        assert_eq!(batch.events[0].source_group, None);
    }

    #[test]
    fn url_paths() {
        for (url, path) in [
            ("https://a.jp", "/"),
            ("https://a.jp/", "/"),
            ("https://a.jp?x", "/"),
            ("https://a.jp/p/q?x=1#f", "/p/q"),
            ("/local#h", "/local"),
            ("", "/"),
        ] {
            assert_eq!(url_path(url), path, "{url}");
        }
    }
}
