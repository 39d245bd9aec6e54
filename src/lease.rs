//! Visitor-level pool numbers on the snippet side: the lease request, the collector's answer,
//! and the lease kept in storage so a returning visitor sees their number at once.
//!
//! Pure; the web layer does the HTTP (`POST /v1/leases`, heartbeats) and the timing.

use crate::json::{self, ObjectWriter, Value};
use crate::prelude::*;
use crate::url;

/// A number leased (or the fallback answered) for one pool target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Lease id for heartbeats; empty for a fallback answer (nothing to keep alive).
    pub id: String,
    /// The number to show, as written in the config (its grouping is displayed).
    pub display: String,
    /// When the lease lapses without a heartbeat, ms since the epoch (0 for a fallback).
    pub expires_at_ms: u64,
    /// How often to heartbeat while the page is visible.
    pub heartbeat_ms: u64,
}

/// Storage key of the lease for target `target` of `pool` on `site` (sites sharing an origin
/// never see each other's numbers).
pub fn storage_key(site: &str, pool: &str, target: usize) -> String {
    let mut k = String::from("lease:");
    k.push_str(site);
    k.push(':');
    k.push_str(pool);
    k.push(':');
    json::push_u64(&mut k, target as u64);
    k
}

/// The `POST /v1/leases` body.
pub fn request_body(
    site: &str,
    visitor: &str,
    session: &str,
    pool: &str,
    target_e164: &str,
    source: &str,
) -> String {
    let mut o = ObjectWriter::new();
    o.str("site", site)
        .str("visitor_id", visitor)
        .str("session_id", session)
        .str("pool", pool)
        .str("target", target_e164);
    if !source.is_empty() {
        o.str("source", source);
    }
    o.finish()
}

fn number(v: &Value, key: &str) -> u64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.bytes().try_fold(0u64, |acc, b| {
            b.is_ascii_digit()
                .then(|| acc.saturating_mul(10).saturating_add(u64::from(b - b'0')))
        }),
        _ => None,
    }
    .unwrap_or(0)
}

impl Lease {
    /// Reads the collector's answer (`{lease_id, number, display, expires_at, heartbeat_ms,
    /// fallback}`); `None` when it is not one.
    pub fn from_answer(text: &str) -> Option<Lease> {
        let v = json::parse(text).ok()?;
        let display = v
            .get("display")
            .and_then(Value::as_str)
            .or_else(|| v.get("number").and_then(Value::as_str))?;
        Some(Lease {
            id: v
                .get("lease_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
            display: display.into(),
            expires_at_ms: number(&v, "expires_at"),
            heartbeat_ms: match number(&v, "heartbeat_ms") {
                0 => 60_000,
                n => n.clamp(1_000, 300_000),
            },
        })
    }

    /// Whether a stored lease can still be shown (it has an id and has not lapsed).
    pub fn usable(&self, now_ms: u64) -> bool {
        !self.id.is_empty() && self.expires_at_ms > now_ms
    }

    /// Storage form: `id|expires|heartbeat|display`.
    pub fn encode(&self) -> String {
        let mut s = self.id.clone();
        s.push('|');
        json::push_u64(&mut s, self.expires_at_ms);
        s.push('|');
        json::push_u64(&mut s, self.heartbeat_ms);
        s.push('|');
        s.push_str(&self.display);
        s
    }

    /// Reads [`Lease::encode`]'s form; garbage gives `None`.
    pub fn decode(s: &str) -> Option<Lease> {
        // `cut` rather than `splitn` + `str::parse`: the byte splitter and digit reader the
        // other storage forms use (an empty or non-digit number is `None` either way).
        let (id, rest) = url::cut(s, b'|');
        let (expires, rest) = url::cut(rest, b'|');
        let (heartbeat, display) = url::cut(rest, b'|');
        let expires_at_ms = url::parse_u64(expires)?;
        let heartbeat_ms = url::parse_u64(heartbeat)?;
        if display.is_empty() {
            return None;
        }
        Some(Lease {
            id: id.into(),
            display: display.into(),
            expires_at_ms,
            heartbeat_ms,
        })
    }

    /// The lease after a successful heartbeat answer (new expiry), or `None` when the answer
    /// is not readable.
    pub fn renewed(&self, answer: &str) -> Option<Lease> {
        let a = Lease::from_answer(answer)?;
        Some(Lease {
            id: self.id.clone(),
            display: a.display,
            expires_at_ms: a.expires_at_ms,
            heartbeat_ms: a.heartbeat_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_answers() {
        let a = Lease::from_answer(
            r#"{"lease_id":"L1","number":"+81355550001","display":"03-5555-0001","expires_at":1700000900000,"heartbeat_ms":60000,"fallback":false,"returning":false}"#,
        )
        .unwrap();
        assert_eq!(a.id, "L1");
        assert_eq!(a.display, "03-5555-0001");
        assert_eq!(a.expires_at_ms, 1_700_000_900_000);
        assert!(a.usable(1_700_000_000_000) && !a.usable(1_700_000_900_000));
        let fb = Lease::from_answer(
            r#"{"lease_id":null,"number":"+81355550000","display":"03-5555-0000","expires_at":null,"heartbeat_ms":null,"fallback":true}"#,
        )
        .unwrap();
        assert_eq!(
            (fb.id.as_str(), fb.display.as_str(), fb.heartbeat_ms),
            ("", "03-5555-0000", 60_000)
        );
        assert!(!fb.usable(0));
        assert!(Lease::from_answer(r#"{"error":"no such pool"}"#).is_none());
        assert!(Lease::from_answer("<html>").is_none());
    }

    #[test]
    fn storage_round_trip_and_garbage() {
        let l = Lease {
            id: "L|1".into(),
            display: "03-5555-0001".into(),
            expires_at_ms: 9,
            heartbeat_ms: 60_000,
        };
        // An id with the separator cannot round-trip: ids from the collector never have one,
        // and a bad stored value only costs a new lease request.
        assert_ne!(Lease::decode(&l.encode()).as_ref(), Some(&l));
        let l = Lease {
            id: "L1".into(),
            ..l
        };
        assert_eq!(Lease::decode(&l.encode()), Some(l));
        for bad in ["", "x", "L1|a|1|03", "L1|1|1|", "L1|1"] {
            assert_eq!(Lease::decode(bad), None, "{bad}");
        }
        assert_eq!(storage_key("demo", "organic", 1), "lease:demo:organic:1");
    }

    #[test]
    fn request_body_names_the_fields() {
        let b = request_body("demo", "v1", "s1", "organic", "+81312345678", "");
        assert_eq!(
            b,
            r#"{"site":"demo","visitor_id":"v1","session_id":"s1","pool":"organic","target":"+81312345678"}"#
        );
    }
}
