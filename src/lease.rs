//! Visitor-level pool numbers on the snippet side: the lease request, the collector's answer,
//! and the lease kept in storage so a returning visitor sees their number at once.
//!
//! Pure; the web layer does the HTTP (`POST /v1/leases`, heartbeats) and the timing.

use crate::json::{self, ObjectWriter};
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

impl Lease {
    /// Reads the collector's answer (`{lease_id, number, display, expires_at, heartbeat_ms,
    /// fallback}`) as the runtime hands it over: `lease_id`, `display` (or `number`),
    /// `expires_at` and `heartbeat_ms`, joined by U+001F in that order, each empty when absent
    /// or null (the runtime parses the body with the browser's `JSON.parse`, so the snippet
    /// links no JSON parser). `None` when it names no number to show (empty: not JSON).
    ///
    /// # Example
    /// ```
    /// use ringtrail::lease::Lease;
    /// let l = Lease::from_answer("L1\u{1f}03-5555-0001\u{1f}1700000900000\u{1f}20000").unwrap();
    /// assert_eq!((l.id.as_str(), l.expires_at_ms, l.heartbeat_ms), ("L1", 1_700_000_900_000, 20_000));
    /// assert!(Lease::from_answer("").is_none());
    /// ```
    pub fn from_answer(fields: &str) -> Option<Lease> {
        let (id, rest) = url::cut(fields, 0x1f);
        let (display, rest) = url::cut(rest, 0x1f);
        let (expires, heartbeat) = url::cut(rest, 0x1f);
        if display.is_empty() {
            return None;
        }
        // A number that is not whole and positive (or absent) reads as 0, as before.
        let whole = |s| url::parse_u64(s).unwrap_or(0);
        Some(Lease {
            id: id.into(),
            display: display.into(),
            expires_at_ms: whole(expires),
            heartbeat_ms: match whole(heartbeat) {
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

    /// An answer as `js/run.js` hands it over (`answer`): the fields joined by U+001F.
    fn fields(f: [&str; 4]) -> String {
        f.join("\u{1f}")
    }

    #[test]
    fn reads_answers() {
        // {"lease_id":"L1","number":"+81355550001","display":"03-5555-0001",
        //  "expires_at":1700000900000,"heartbeat_ms":60000,"fallback":false}
        let a =
            Lease::from_answer(&fields(["L1", "03-5555-0001", "1700000900000", "60000"])).unwrap();
        assert_eq!(a.id, "L1");
        assert_eq!(a.display, "03-5555-0001");
        assert_eq!(a.expires_at_ms, 1_700_000_900_000);
        assert_eq!(a.heartbeat_ms, 60_000);
        assert!(a.usable(1_700_000_000_000) && !a.usable(1_700_000_900_000));
        // The fallback: {"lease_id":null,"display":"03-5555-0000","expires_at":null,...}
        let fb = Lease::from_answer(&fields(["", "03-5555-0000", "", ""])).unwrap();
        assert_eq!(
            (fb.id.as_str(), fb.display.as_str(), fb.heartbeat_ms),
            ("", "03-5555-0000", 60_000)
        );
        assert!(!fb.usable(0));
        // {"error":"no such pool"}: no number; a body that is not JSON: nothing at all.
        assert!(Lease::from_answer(&fields(["", "", "", ""])).is_none());
        assert!(Lease::from_answer("").is_none());
    }

    #[test]
    fn answers_with_odd_numbers() {
        let l = |expires, heartbeat| {
            let a = Lease::from_answer(&fields(["L1", "03-5555-0001", expires, heartbeat]));
            a.map(|a| (a.expires_at_ms, a.heartbeat_ms))
        };
        // The heartbeat pace is kept between 1 s and 5 min.
        assert_eq!(l("9", "10"), Some((9, 1_000)));
        assert_eq!(l("9", "86400000"), Some((9, 300_000)));
        // What `String(n)` gives for numbers that are not whole and positive reads as 0.
        assert_eq!(l("1.5", "-1"), Some((0, 60_000)));
        assert_eq!(l("1e+21", "6e4"), Some((0, 60_000)));
        // Fields missing at the end (an older runtime, a cut string) are empty.
        let short = Lease::from_answer("L1\u{1f}03-5555-0001").unwrap();
        assert_eq!((short.expires_at_ms, short.heartbeat_ms), (0, 60_000));
        assert!(!short.usable(0));
    }

    #[test]
    fn renewal_keeps_the_id() {
        let l = Lease::from_answer(&fields(["L1", "03-5555-0001", "9", "20000"])).unwrap();
        // The renewal's expiry and pace replace the old ones; the id stays the lease's own.
        let r = l
            .renewed(&fields(["", "03-5555-0001", "99", "30000"]))
            .unwrap();
        assert_eq!(
            (r.id.as_str(), r.expires_at_ms, r.heartbeat_ms),
            ("L1", 99, 30_000)
        );
        assert_eq!(l.renewed(""), None);
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
