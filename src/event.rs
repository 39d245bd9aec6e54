//! Events the snippet sends to the collector, as JSON text (built without serde).
//!
//! Every event carries its id (UUIDv7), type, client time, visitor, session, page URL, referrer
//! and the attributed source; `data` holds what is specific to the type. The collector's
//! `POST /v1/events` reads exactly these names.

use crate::json::ObjectWriter;
use crate::prelude::*;
use crate::source::Touch;

/// What every event of one page shares.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// Visitor id (empty when nothing may be stored).
    pub visitor: &'a str,
    /// Session id.
    pub session: &'a str,
    /// Page URL, with configured parameters already stripped.
    pub url: &'a str,
    /// `document.referrer` of the page view.
    pub referrer: &'a str,
    /// `document.title`.
    pub title: &'a str,
    /// Earlier sessions of this visitor.
    pub revisit: u32,
    /// The attributed source.
    pub touch: Option<&'a Touch>,
}

/// The `source` object of an event. Its group (search, social, ...) is not sent: the collector
/// classifies the fields with [`source::GROUP_TABLE`](crate::source::GROUP_TABLE).
pub fn source_json(t: &Touch) -> String {
    let mut o = ObjectWriter::new();
    if t.rule.is_empty() {
        o.raw("name", "null");
    } else {
        o.str("name", &t.rule);
    }
    o.opt_str("utm_source", opt(&t.utm_source))
        .opt_str("utm_medium", opt(&t.utm_medium))
        .opt_str("utm_campaign", opt(&t.utm_campaign))
        .opt_str("utm_term", opt(&t.utm_term))
        .opt_str("utm_content", opt(&t.utm_content))
        .opt_str("click_id", opt(&t.click_id))
        .opt_str("referrer_host", opt(&t.referrer_host))
        .str("landing", &t.landing_path)
        .num("first_seen", t.at_ms);
    o.finish()
}

/// `Some(s)` unless `s` is empty (absent fields are left out of the JSON).
fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// One event as JSON. `data` is a JSON object text (`{}` when there is nothing specific).
pub fn event_json(id: &str, kind: &str, ts_ms: u64, ctx: &Context<'_>, data: &str) -> String {
    let mut o = ObjectWriter::new();
    o.str("id", id)
        .str("type", kind)
        .num("ts", ts_ms)
        .str("visitor", ctx.visitor)
        .str("session", ctx.session)
        .str("url", ctx.url)
        .str("referrer", ctx.referrer);
    if !ctx.title.is_empty() {
        o.str("title", ctx.title);
    }
    o.num("revisit", u64::from(ctx.revisit));
    if let Some(t) = ctx.touch {
        o.raw("source", &source_json(t));
    }
    o.raw("data", if data.is_empty() { "{}" } else { data });
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Value};

    #[test]
    fn event_has_the_collector_fields() {
        let touch = Touch {
            utm_source: "news\"letter".into(),
            landing_path: "/lp".into(),
            at_ms: 5,
            rule: "newsletter".into(),
            ..Touch::default()
        };
        let ctx = Context {
            visitor: "v1",
            session: "s1",
            url: "https://a.example/lp?x=<1>",
            referrer: "",
            title: "Home",
            revisit: 2,
            touch: Some(&touch),
        };
        let text = event_json("0190-id", "page_view", 42, &ctx, "");
        let v = parse(&text).unwrap();
        assert_eq!(v.get("type").unwrap().as_str(), Some("page_view"));
        assert_eq!(v.get("ts").unwrap().as_u32(), Some(42));
        assert_eq!(v.get("revisit").unwrap().as_u32(), Some(2));
        assert_eq!(v.get("data").unwrap(), &Value::Object(vec![]));
        let s = v.get("source").unwrap();
        assert_eq!(s.get("name").unwrap().as_str(), Some("newsletter"));
        assert_eq!(s.get("utm_source").unwrap().as_str(), Some("news\"letter"));
        assert!(s.get("group").is_none());
        assert!(s.get("utm_medium").is_none());
    }

    #[test]
    fn unmatched_source_name_is_null() {
        let t = Touch::default();
        let v = parse(&source_json(&t)).unwrap();
        assert_eq!(v.get("name"), Some(&Value::Null));
        assert_eq!(v.get("landing").unwrap().as_str(), Some(""));
    }
}
