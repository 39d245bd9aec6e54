//! Durable delivery policy: event ids, a bounded queue shared by tabs, batching, retry with
//! jittered backoff, claims so two tabs never send the same event at once, and the pagehide
//! beacon.
//!
//! The outbox does no I/O. The web layer keeps its encoded form in `localStorage` and drives it
//! with *load → change → store* steps; it passes the time, the tab id and random numbers in.
//!
//! # Delivery guarantee
//! An event leaves the queue only when the collector answered 2xx for its batch, or rejected it
//! with a 4xx that retrying cannot fix. Everything else (5xx, 408, 429, network errors, a tab
//! closed mid-request, a lost beacon) keeps the event and it is sent again later. So an event can
//! reach the collector more than once, and the collector removes such duplicates by event id:
//! *at least once* here, *exactly once* in storage.
//!
//! # Claims
//! Sending marks the batch's events as claimed by the sending tab until `now + claim_ms`; other
//! tabs skip claimed events, and the claiming tab removes them on success or releases them on a
//! retryable failure. A tab that dies mid-request leaves a claim that simply expires. Each tab has
//! at most one live claim, which is what keeps at most one request in flight per tab. The caller
//! must give up on a request (abort the fetch) before its claim expires, or another tab may send
//! the same events meanwhile (harmless for the collector, but wasted).
//!
//! # The beacon trade-off
//! On `pagehide` there is no time to wait for a response, so [`Outbox::drain_for_beacon`] puts
//! every unclaimed event into one `sendBeacon` payload and marks them claimed but does **not**
//! remove them: `sendBeacon` only says the browser queued the request, not that the collector
//! stored it. If the visitor opens another page of the site, that page sends those events again
//! once the claim expires. Usually the beacon did arrive, so that resend is a duplicate the
//! collector drops by id; if it did not, the resend is what saves the events. We pay some
//! duplicate traffic (only for events still queued at pagehide, typically the last engagement
//! event) to never lose an event to a lost beacon.
//!
//! # Example
//! ```
//! use ringtrail::outbox::{Outbox, Limits, Outcome, Delivery, uuid_v7};
//! let id = uuid_v7(1_700_000_000_000, &[7; 10]);
//! let mut ob = Outbox::decode("", Limits::default());
//! ob.push(&id, "{\"type\":\"page_view\"}").unwrap();
//! let batch = ob.next_batch("tab1", 1_000, "acme").unwrap();
//! assert!(batch.body.starts_with("{\"site\":\"acme\",\"sent_at\":1000,\"events\":[{"));
//! // ... fetch(batch.body) answered 202:
//! let d = ob.on_result("tab1", &batch.ids, Outcome::Status { code: 202, retry_after_s: None }, 1_200, 0);
//! assert_eq!(d, Delivery::Delivered { events: 1 });
//! assert!(ob.is_empty());
//! ```

use crate::json::{push_u64, write_str};
use crate::prelude::*;
use crate::url;

/// Tuning of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most events kept; the oldest are dropped (and counted) beyond it.
    pub max_events: usize,
    /// Most bytes of event JSON kept (storage quotas are ~5 MB per origin, shared with the site).
    pub max_queue_bytes: usize,
    /// Largest single event accepted by [`Outbox::push`].
    pub max_event_bytes: usize,
    /// Most events in one request.
    pub batch_events: usize,
    /// Most bytes in one request body.
    pub batch_bytes: usize,
    /// Most bytes in the pagehide beacon (`sendBeacon` refuses more than 64 KiB in flight).
    pub beacon_bytes: usize,
    /// How long a claim holds.
    pub claim_ms: u64,
    /// First retry delay ceiling; doubles with each failed attempt.
    pub backoff_base_ms: u64,
    /// Largest retry delay ceiling.
    pub backoff_cap_ms: u64,
    /// Largest `Retry-After` honoured (a misconfigured server must not park events for days).
    pub retry_after_cap_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: 500,
            max_queue_bytes: 512 * 1024,
            max_event_bytes: 16 * 1024,
            batch_events: 20,
            batch_bytes: 32 * 1024,
            beacon_bytes: 60 * 1024,
            claim_ms: 10_000,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 300_000,
            retry_after_cap_ms: 3_600_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim {
    tab: String,
    until_ms: u64,
    /// Made by the beacon: not a request this tab waits for.
    beacon: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    id: String,
    json: String,
    claim: Option<Claim>,
}

/// The queue of undelivered events, as shared by the tabs of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbox {
    events: Vec<Queued>,
    dropped: u32,
    attempts: u32,
    retry_at_ms: u64,
    limits: Limits,
}

/// Why [`Outbox::push`] refused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The id is not 1–64 characters of `A-Z a-z 0-9 - _` starting with a letter or digit.
    BadId,
    /// The event is not a JSON object (`{...}`).
    NotAnObject,
    /// The event is larger than [`Limits::max_event_bytes`].
    TooLarge,
}

/// A request to make: the body to POST and the ids it carries (pass them to
/// [`Outbox::on_result`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// `{"site":"...","sent_at":MS,["dropped":N,]"events":[...]}`.
    pub body: String,
    /// Ids of the events in `body`, in order.
    pub ids: Vec<String>,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The collector answered.
    Status {
        /// HTTP status.
        code: u16,
        /// `Retry-After` in seconds, if sent (see [`parse_retry_after`]).
        retry_after_s: Option<u32>,
    },
    /// No answer: offline, DNS, CORS, aborted after a timeout.
    NetworkError,
}

/// What [`Outbox::on_result`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// 2xx: the events are stored; removed here.
    Delivered {
        /// Events removed.
        events: usize,
    },
    /// A 4xx that retrying cannot fix: the events were dropped. Log it (one console message).
    Rejected {
        /// HTTP status.
        status: u16,
        /// Events dropped.
        events: usize,
    },
    /// Kept; nothing is sent before `at_ms`.
    Retry {
        /// Next attempt, ms since the epoch.
        at_ms: u64,
    },
}

impl Outbox {
    /// An empty outbox.
    pub fn new(limits: Limits) -> Outbox {
        Outbox {
            events: Vec::new(),
            dropped: 0,
            attempts: 0,
            retry_at_ms: 0,
            limits,
        }
    }

    /// Number of queued events (claimed ones included).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Events lost so far (queue bound, unreadable storage) and not yet reported to the collector.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Failed attempts in a row.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Nothing is sent before this time (0: no backoff). Useful to schedule the next timer.
    pub fn retry_at_ms(&self) -> u64 {
        self.retry_at_ms
    }

    /// Queues an event (its JSON, with `id` inside). An id already queued is ignored. When the
    /// queue is over its bounds the oldest events are dropped and counted in [`Outbox::dropped`].
    ///
    /// # Errors
    /// [`PushError`] when the id or the JSON cannot be queued; nothing changes.
    pub fn push(&mut self, id: &str, json: &str) -> Result<(), PushError> {
        if !is_token(id) {
            return Err(PushError::BadId);
        }
        let json = json.trim_ascii();
        if !is_object(json) {
            return Err(PushError::NotAnObject);
        }
        if json.len() > self.limits.max_event_bytes {
            return Err(PushError::TooLarge);
        }
        if self.has(id) {
            return Ok(());
        }
        // Raw line breaks can only be JSON whitespace (inside strings they are escaped), so
        // replacing them keeps the JSON and keeps one event per stored line.
        let mut line = String::with_capacity(json.len());
        url::push_escaped(&mut line, json, |b| {
            (b == b'\n' || b == b'\r').then_some(" ")
        });
        self.events.push(Queued {
            id: id.into(),
            json: line,
            claim: None,
        });
        self.enforce_bounds();
        Ok(())
    }

    /// Takes over the events of another tab's queue (a tab that closed or crashed): they are
    /// appended unclaimed, ids already here are skipped, and its drop count carries over.
    /// Nothing is lost; if that tab was only frozen and sends them too, the collector drops
    /// the duplicates by id.
    pub fn absorb(&mut self, other: Outbox) {
        self.dropped = self.dropped.saturating_add(other.dropped);
        for e in other.events {
            if !self.has(&e.id) {
                self.events.push(Queued { claim: None, ..e });
            }
        }
        self.enforce_bounds();
    }

    /// Whether an event with this id is queued (one copy of the search for push, absorb and
    /// decode).
    #[inline(never)]
    fn has(&self, id: &str) -> bool {
        self.events.iter().any(|e| e.id == id)
    }

    fn enforce_bounds(&mut self) {
        let mut bytes: usize = self.events.iter().map(|e| e.json.len()).sum();
        while !self.events.is_empty()
            && (self.events.len() > self.limits.max_events || bytes > self.limits.max_queue_bytes)
        {
            // The queue is short (hundreds at most): shifting is cheaper in bytes than `drain`.
            bytes -= self.events.remove(0).json.len();
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// A claim is live when it has not expired; a claim further in the future than a claim can
    /// reach comes from a clock that moved backwards and is ignored.
    fn live(&self, claim: &Option<Claim>, now_ms: u64) -> bool {
        live(claim, now_ms, self.limits.claim_ms)
    }

    fn backing_off(&self, now_ms: u64) -> bool {
        let horizon = self
            .limits
            .backoff_cap_ms
            .max(self.limits.retry_after_cap_ms);
        now_ms < self.retry_at_ms && self.retry_at_ms <= now_ms.saturating_add(horizon)
    }

    /// The next request for tab `tab`, or `None` when there is nothing to send, the outbox is
    /// backing off, or this tab already has a request in flight. The batch's events are claimed
    /// by `tab`; store the outbox before sending.
    pub fn next_batch(&mut self, tab: &str, now_ms: u64, site: &str) -> Option<Batch> {
        if self.backing_off(now_ms) {
            return None;
        }
        let busy = self
            .events
            .iter()
            .any(|e| self.live(&e.claim, now_ms) && requested_by(&e.claim, tab));
        if busy {
            return None;
        }
        let (events, bytes) = (self.limits.batch_events, self.limits.batch_bytes);
        self.claim_batch(tab, false, now_ms, site, events, bytes)
    }

    /// On `pagehide`: one `sendBeacon` payload with every unclaimed event that fits
    /// [`Limits::beacon_bytes`], claimed by `tab` but kept (see the module docs for why).
    /// Ignores backoff: it may be the last chance these events get.
    ///
    /// Beacon claims do not count as the tab's request in flight: a tab hidden for a moment and
    /// shown again goes on sending new events at once. At most [`Limits::max_events`] events go
    /// (the collector takes up to 500 per batch).
    pub fn drain_for_beacon(&mut self, tab: &str, now_ms: u64, site: &str) -> Option<Batch> {
        let (events, bytes) = (self.limits.max_events, self.limits.beacon_bytes);
        self.claim_batch(tab, true, now_ms, site, events, bytes)
    }

    fn claim_batch(
        &mut self,
        tab: &str,
        beacon: bool,
        now_ms: u64,
        site: &str,
        max_events: usize,
        max_bytes: usize,
    ) -> Option<Batch> {
        let mut body = String::new();
        body.push_str("{\"site\":");
        write_str(&mut body, site);
        body.push_str(",\"sent_at\":");
        push_u64(&mut body, now_ms);
        if self.dropped > 0 {
            body.push_str(",\"dropped\":");
            push_u64(&mut body, u64::from(self.dropped));
        }
        body.push_str(",\"events\":[");
        let until_ms = now_ms.saturating_add(self.limits.claim_ms);
        let mut ids: Vec<String> = Vec::new();
        for e in &mut self.events {
            if ids.len() >= max_events {
                break;
            }
            if live(&e.claim, now_ms, self.limits.claim_ms) {
                continue;
            }
            // +3 for the separating comma and the closing "]}".
            if body.len() + e.json.len() + 3 > max_bytes {
                if ids.is_empty() {
                    continue; // larger than a whole request: later ones may still fit
                }
                break;
            }
            if !ids.is_empty() {
                body.push(',');
            }
            body.push_str(&e.json);
            e.claim = Some(Claim {
                tab: tab.into(),
                until_ms,
                beacon,
            });
            ids.push(e.id.clone());
        }
        if ids.is_empty() {
            return None;
        }
        body.push_str("]}");
        Some(Batch { body, ids })
    }

    /// Applies a request's outcome to the (freshly loaded) outbox.
    ///
    /// - 2xx: the batch's events are removed, the backoff resets, and the reported `dropped`
    ///   count is cleared;
    /// - 4xx except 408 and 429: the batch is dropped ([`Delivery::Rejected`]: log it);
    /// - 5xx, 408, 429, other statuses and network errors: this tab's claims are released and the
    ///   next attempt waits a full-jitter delay, `random` uniformly scaled into
    ///   `0..=min(cap, base·2^(attempts-1))`, and at least `Retry-After`.
    pub fn on_result(
        &mut self,
        tab: &str,
        ids: &[String],
        outcome: Outcome,
        now_ms: u64,
        random: u32,
    ) -> Delivery {
        let code = match outcome {
            Outcome::Status { code, .. } => code,
            Outcome::NetworkError => 0,
        };
        let retry_after = match outcome {
            Outcome::Status {
                retry_after_s: Some(s),
                ..
            } => (u64::from(s) * 1000).min(self.limits.retry_after_cap_ms),
            _ => 0,
        };
        let removes = (200..300).contains(&code)
            || ((400..500).contains(&code) && code != 408 && code != 429);
        if removes {
            let before = self.events.len();
            // `remove` as `enforce_bounds` does (no second removal routine for `retain`).
            let mut i = 0;
            while let Some(e) = self.events.get(i) {
                if ids.contains(&e.id) {
                    self.events.remove(i);
                } else {
                    i += 1;
                }
            }
            let events = before - self.events.len();
            self.attempts = 0;
            self.retry_at_ms = 0;
            if code < 300 {
                self.dropped = 0;
                return Delivery::Delivered { events };
            }
            return Delivery::Rejected {
                status: code,
                events,
            };
        }
        for e in &mut self.events {
            if ids.contains(&e.id) && requested_by(&e.claim, tab) {
                e.claim = None;
            }
        }
        self.attempts = self.attempts.saturating_add(1);
        let delay = backoff_delay(&self.limits, self.attempts, random).max(retry_after);
        self.retry_at_ms = now_ms.saturating_add(delay);
        Delivery::Retry {
            at_ms: self.retry_at_ms,
        }
    }

    /// Storage form: a header line `o1 <dropped> <attempts> <retry_at>` and one line per event,
    /// `<id> <claiming tab, =tab for a beacon claim, or -> <claim until> <json>`.
    pub fn encode(&self) -> String {
        let mut out = String::from("o1 ");
        push_u64(&mut out, u64::from(self.dropped));
        out.push(' ');
        push_u64(&mut out, u64::from(self.attempts));
        out.push(' ');
        push_u64(&mut out, self.retry_at_ms);
        for e in &self.events {
            out.push('\n');
            out.push_str(&e.id);
            out.push(' ');
            match &e.claim {
                Some(c) => {
                    if c.beacon {
                        out.push('=');
                    }
                    out.push_str(&c.tab);
                    out.push(' ');
                    push_u64(&mut out, c.until_ms);
                }
                None => out.push_str("- 0"),
            }
            out.push(' ');
            out.push_str(&e.json);
        }
        out
    }

    /// Reads [`Outbox::encode`]'s form. Never fails: an unreadable store gives an empty outbox
    /// with one event counted as dropped, an unreadable line is skipped and counted; empty input
    /// is a new, empty outbox.
    pub fn decode(s: &str, limits: Limits) -> Outbox {
        let mut ob = Outbox::new(limits);
        if s.trim_ascii().is_empty() {
            return ob;
        }
        let mut lines = url::split_on(s, b'\n');
        let header = lines.next().and_then(|h| {
            let mut f = url::split_on(h, b' ');
            if f.next()? != "o1" {
                return None;
            }
            let d = parse_u32(f.next()?)?;
            let a = parse_u32(f.next()?)?;
            let r = url::parse_u64(f.next()?)?;
            f.next().is_none().then_some((d, a, r))
        });
        let Some((dropped, attempts, retry_at_ms)) = header else {
            ob.dropped = 1;
            return ob;
        };
        (ob.dropped, ob.attempts, ob.retry_at_ms) = (dropped, attempts, retry_at_ms);
        for line in lines {
            match decode_event(line) {
                Some(q) if !ob.has(&q.id) => ob.events.push(q),
                Some(_) => {}
                None => ob.dropped = ob.dropped.saturating_add(1),
            }
        }
        ob.enforce_bounds();
        ob
    }
}

fn decode_event(line: &str) -> Option<Queued> {
    let (id, rest) = url::cut(line, b' ');
    let (tab, rest) = url::cut(rest, b' ');
    let (until_ms, json) = url::cut(rest, b' ');
    let until_ms = url::parse_u64(until_ms)?;
    if !is_token(id) || !is_object(json) {
        return None;
    }
    let (beacon, tab) = match url::after_byte(tab, b'=') {
        Some(t) => (true, t),
        None => (false, tab),
    };
    let claim = match tab {
        "-" if !beacon => None,
        t if is_token(t) => Some(Claim {
            tab: t.into(),
            until_ms,
            beacon,
        }),
        _ => return None,
    };
    Some(Queued {
        id: id.into(),
        json: json.into(),
        claim,
    })
}

/// See [`Outbox::live`].
fn live(claim: &Option<Claim>, now_ms: u64, claim_ms: u64) -> bool {
    claim
        .as_ref()
        .is_some_and(|c| c.until_ms > now_ms && c.until_ms <= now_ms.saturating_add(claim_ms))
}

/// Whether the claim is `tab`'s request (not its beacon): one copy for `next_batch` and
/// `on_result`.
fn requested_by(claim: &Option<Claim>, tab: &str) -> bool {
    claim.as_ref().is_some_and(|c| c.tab == tab && !c.beacon)
}

/// Whether `json` looks like one JSON object (`{...}`).
fn is_object(json: &str) -> bool {
    // Byte checks: `starts_with(char)` encodes the char to UTF-8 first.
    let b = json.as_bytes();
    b.first() == Some(&b'{') && b.last() == Some(&b'}')
}

/// [`url::parse_u64`] for a `u32`.
fn parse_u32(s: &str) -> Option<u32> {
    u32::try_from(url::parse_u64(s)?).ok()
}

/// The full-jitter delay after `attempts` failures: `random` scaled into `0..=ceiling`.
fn backoff_delay(limits: &Limits, attempts: u32, random: u32) -> u64 {
    let shift = attempts.saturating_sub(1).min(32);
    // At most `u32::MAX` ms (49 days), so the scaling stays in 64 bits (128-bit division
    // would cost a kilobyte of wasm).
    // `base << shift`, saturating (`saturating_mul` would need a 128-bit multiply too).
    let base = limits.backoff_base_ms;
    let doubled = if base.leading_zeros() < shift {
        u64::MAX
    } else {
        base << shift
    };
    let ceiling = doubled.min(limits.backoff_cap_ms).min(u64::from(u32::MAX));
    ceiling * u64::from(random) / u64::from(u32::MAX)
}

/// Reads a `Retry-After` header in its seconds form; the HTTP-date form (rare from a JSON API)
/// gives `None`, and the plain backoff applies.
pub fn parse_retry_after(header: &str) -> Option<u32> {
    let h = header.trim_ascii();
    if h.len() > 10 {
        return None;
    }
    url::parse_u64(h).map(|n| n.min(u64::from(u32::MAX)) as u32)
}

/// A UUIDv7 (RFC 9562) from a Unix ms timestamp and 10 random bytes (`crypto.getRandomValues`),
/// in lowercase 8-4-4-4-12 hex. 74 of the 80 random bits are used. Time-ordered ids keep the
/// collector's index compact.
pub fn uuid_v7(unix_ms: u64, random: &[u8; 10]) -> String {
    // One loop over the 16 bytes (no array of them built first): 6 of the timestamp, then the
    // random bytes with the version and variant bits set.
    let mut out = String::with_capacity(36);
    for i in 0..16 {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let byte = match i {
            0..=5 => (unix_ms >> (40 - 8 * i)) as u8,
            6 => 0x70 | (random[0] & 0x0f), // version 7 + 4 bits of rand_a
            8 => 0x80 | (random[2] & 0x3f), // variant 0b10 + 6 bits of rand_b
            _ => random[i - 6],
        };
        push_hex_byte(&mut out, byte);
    }
    out
}

/// Appends a byte as two lowercase hex digits.
pub(crate) fn push_hex_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Both nibbles are below 16, so the indexing cannot fail; `String::push` is in the
    // snippet anyway (no array iterator or `str::get` range checks here).
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0x0f)]));
}

/// Whether `s` is a storable id: 1–64 characters of `A-Z a-z 0-9 - _`, starting with a letter
/// or digit (so it can never be read as the storage forms' `-` marker).
pub(crate) fn is_token(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphanumeric) || b.len() > 64 {
        return false;
    }
    // A plain loop: `all` comes out unrolled at -Oz.
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_') {
        i += 1;
    }
    i == b.len()
}

#[cfg(test)]
mod absorb_tests {
    use super::*;

    #[test]
    fn absorbs_another_queue_without_losing_or_doubling() {
        let id = |n: u8| uuid_v7(1_700_000_000_000, &[n; 10]);
        let mut mine = Outbox::new(Limits::default());
        mine.push(&id(1), "{\"n\":1}").unwrap();
        let mut theirs = Outbox::new(Limits::default());
        theirs.push(&id(1), "{\"n\":1}").unwrap();
        theirs.push(&id(2), "{\"n\":2}").unwrap();
        assert!(theirs.next_batch("dead-tab", 5, "s").is_some()); // claimed by the dead tab
        mine.absorb(Outbox::decode(&theirs.encode(), Limits::default()));
        assert_eq!(mine.len(), 2);
        let b = mine.next_batch("me", 6, "s").unwrap();
        assert_eq!(
            b.ids,
            vec![id(1), id(2)],
            "absorbed events are unclaimed and sendable"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(n: usize) -> (String, String) {
        let id = format!("e{n}");
        let json = format!("{{\"id\":\"{id}\",\"type\":\"page_view\"}}");
        (id, json)
    }

    fn filled(n: usize, limits: Limits) -> Outbox {
        let mut ob = Outbox::new(limits);
        for i in 0..n {
            let (id, json) = ev(i);
            ob.push(&id, &json).unwrap();
        }
        ob
    }

    fn status(code: u16) -> Outcome {
        Outcome::Status {
            code,
            retry_after_s: None,
        }
    }

    #[test]
    fn uuid_v7_layout() {
        let id = uuid_v7(0x0190_a1b2_c3d4, &[0xff; 10]);
        assert_eq!(id, "0190a1b2-c3d4-7fff-bfff-ffffffffffff");
        let id = uuid_v7(1, &[0; 10]);
        assert_eq!(id, "00000000-0001-7000-8000-000000000000");
        // Timestamp bits above 48 are ignored; the id is always a token.
        let id = uuid_v7(u64::MAX, &[0x5a; 10]);
        assert_eq!(id, "ffffffff-ffff-7a5a-9a5a-5a5a5a5a5a5a");
        assert!(is_token(&id));
        // Time-ordered.
        assert!(uuid_v7(1_000, &[0xff; 10]) < uuid_v7(1_001, &[0; 10]));
    }

    #[test]
    fn site_is_escaped_in_the_body() {
        let mut ob = filled(1, Limits::default());
        let b = ob.next_batch("t", 1, "a\"b").unwrap();
        assert!(
            b.body.starts_with("{\"site\":\"a\\\"b\",\"sent_at\":1,"),
            "{}",
            b.body
        );
    }

    #[test]
    fn push_validates() {
        let mut ob = Outbox::new(Limits::default());
        assert_eq!(ob.push("a b", "{}"), Err(PushError::BadId));
        assert_eq!(ob.push("", "{}"), Err(PushError::BadId));
        assert_eq!(ob.push("a", "[1]"), Err(PushError::NotAnObject));
        let big = format!("{{\"x\":\"{}\"}}", "y".repeat(20_000));
        assert_eq!(ob.push("a", &big), Err(PushError::TooLarge));
        assert_eq!(ob.push("a", "{\n\"x\": 1\r\n}"), Ok(()));
        assert_eq!(ob.push("a", "{\"dup\":1}"), Ok(()));
        assert_eq!(ob.len(), 1);
        let b = ob.next_batch("t", 0, "s").unwrap();
        assert!(b.body.contains("[{ \"x\": 1  }]"), "{}", b.body);
    }

    #[test]
    fn batching_by_count_and_size() {
        let mut ob = filled(45, Limits::default());
        let sizes: Vec<usize> = ["t1", "t2", "t3", "t4"]
            .iter()
            .map(|t| ob.next_batch(t, 0, "acme").map_or(0, |b| b.ids.len()))
            .collect();
        assert_eq!(sizes, [20, 20, 5, 0]);

        let limits = Limits {
            batch_bytes: 190,
            ..Limits::default()
        };
        let mut ob = filled(10, limits);
        let b = ob.next_batch("t", 5, "acme").unwrap();
        assert!(b.body.len() <= 190, "{}", b.body.len());
        assert_eq!(b.ids, ["e0", "e1", "e2", "e3"]);
        assert_eq!(
            b.body,
            "{\"site\":\"acme\",\"sent_at\":5,\"events\":[\
             {\"id\":\"e0\",\"type\":\"page_view\"},{\"id\":\"e1\",\"type\":\"page_view\"},\
             {\"id\":\"e2\",\"type\":\"page_view\"},{\"id\":\"e3\",\"type\":\"page_view\"}]}"
        );
    }

    #[test]
    fn one_request_in_flight_per_tab() {
        let mut ob = filled(45, Limits::default());
        let b = ob.next_batch("t1", 0, "s").unwrap();
        assert!(ob.next_batch("t1", 1_000, "s").is_none());
        ob.on_result("t1", &b.ids, status(200), 1_000, 0);
        assert_eq!(ob.len(), 25);
        assert_eq!(ob.next_batch("t1", 1_000, "s").unwrap().ids[0], "e20");
    }

    #[test]
    fn outcomes_table() {
        // (status, events left, kind)
        let cases: &[(Outcome, usize, &str)] = &[
            (status(200), 0, "delivered"),
            (status(202), 0, "delivered"),
            (status(400), 0, "rejected"),
            (status(413), 0, "rejected"),
            (status(422), 0, "rejected"),
            (status(408), 3, "retry"),
            (status(429), 3, "retry"),
            (status(500), 3, "retry"),
            (status(503), 3, "retry"),
            (status(302), 3, "retry"),
            (Outcome::NetworkError, 3, "retry"),
        ];
        for (outcome, left, kind) in cases {
            let mut ob = filled(3, Limits::default());
            let b = ob.next_batch("t", 0, "s").unwrap();
            let d = ob.on_result("t", &b.ids, *outcome, 10, u32::MAX);
            let got = match d {
                Delivery::Delivered { events: 3 } => "delivered",
                Delivery::Rejected { events: 3, .. } => "rejected",
                Delivery::Retry { .. } => "retry",
                _ => "?",
            };
            assert_eq!((got, ob.len()), (*kind, *left), "{outcome:?}");
            if *kind == "retry" {
                // Released: sendable again by any tab once the backoff is over.
                assert!(ob.next_batch("t2", 10, "s").is_none(), "backing off");
                assert_eq!(ob.next_batch("t2", 10 + 1_000, "s").unwrap().ids.len(), 3);
            } else {
                assert_eq!(ob.attempts(), 0);
            }
        }
    }

    #[test]
    fn backoff_grows_to_cap_with_full_jitter() {
        let limits = Limits::default();
        let ceilings: Vec<u64> = (1..=12)
            .map(|a| backoff_delay(&limits, a, u32::MAX))
            .collect();
        assert_eq!(
            ceilings,
            [
                1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000,
                300_000, 300_000
            ]
        );
        assert_eq!(backoff_delay(&limits, 1_000, u32::MAX), 300_000);
        for a in 1..=12 {
            let ceiling = ceilings[a as usize - 1];
            assert_eq!(backoff_delay(&limits, a, 0), 0);
            let mid = backoff_delay(&limits, a, u32::MAX / 2);
            assert!(mid <= ceiling / 2 && mid + 1 >= ceiling / 2, "{a}: {mid}");
        }
        // Through the outbox: attempts accumulate, the retry time follows the ceiling.
        let mut ob = filled(1, limits);
        let mut now = 0;
        for want_delay in [1_000, 2_000, 4_000, 8_000] {
            let b = ob.next_batch("t", now, "s").unwrap();
            let Delivery::Retry { at_ms } = ob.on_result("t", &b.ids, status(503), now, u32::MAX)
            else {
                panic!()
            };
            assert_eq!(at_ms - now, want_delay);
            assert!(ob.next_batch("t", at_ms - 1, "s").is_none());
            now = at_ms;
        }
        assert_eq!(ob.attempts(), 4);
        let b = ob.next_batch("t", now, "s").unwrap();
        ob.on_result("t", &b.ids, status(204), now, 0);
        assert_eq!((ob.attempts(), ob.retry_at_ms()), (0, 0));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut ob = filled(1, Limits::default());
        let b = ob.next_batch("t", 0, "s").unwrap();
        let o = Outcome::Status {
            code: 429,
            retry_after_s: Some(120),
        };
        assert_eq!(
            ob.on_result("t", &b.ids, o, 0, 0),
            Delivery::Retry { at_ms: 120_000 }
        );
        assert!(ob.next_batch("t", 119_999, "s").is_none());
        let b = ob.next_batch("t", 120_000, "s").unwrap();
        let o = Outcome::Status {
            code: 503,
            retry_after_s: Some(999_999),
        };
        assert_eq!(
            ob.on_result("t", &b.ids, o, 0, 0),
            Delivery::Retry { at_ms: 3_600_000 }
        );
        for (h, want) in [
            ("120", Some(120)),
            (" 5 ", Some(5)),
            ("", None),
            ("-1", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
            ("99999999999", None),
        ] {
            assert_eq!(parse_retry_after(h), want, "{h:?}");
        }
    }

    #[test]
    fn bound_drops_oldest_and_reports_count() {
        let limits = Limits {
            max_events: 5,
            ..Limits::default()
        };
        let mut ob = filled(8, limits);
        assert_eq!((ob.len(), ob.dropped()), (5, 3));
        let b = ob.next_batch("t", 7, "s").unwrap();
        assert_eq!(b.ids[0], "e3");
        assert!(b
            .body
            .starts_with("{\"site\":\"s\",\"sent_at\":7,\"dropped\":3,\"events\":["));
        // A failure keeps the count; a success clears it.
        ob.on_result("t", &b.ids, Outcome::NetworkError, 7, 0);
        assert_eq!(ob.dropped(), 3);
        let b = ob.next_batch("t", 8, "s").unwrap();
        ob.on_result("t", &b.ids, status(202), 8, 0);
        assert_eq!(ob.dropped(), 0);
        // Byte bound.
        let limits = Limits {
            max_queue_bytes: 100,
            ..Limits::default()
        };
        let ob = filled(6, limits);
        assert_eq!((ob.len(), ob.dropped()), (3, 3));
    }

    #[test]
    fn two_tabs_never_send_the_same_event() {
        let limits = Limits {
            batch_events: 2,
            ..Limits::default()
        };
        let mut store = filled(5, limits).encode();
        // Tab A claims, stores.
        let mut a = Outbox::decode(&store, limits);
        let ba = a.next_batch("A", 0, "s").unwrap();
        store = a.encode();
        // Tab B loads the stored queue, skips A's claims.
        let mut b = Outbox::decode(&store, limits);
        let bb = b.next_batch("B", 100, "s").unwrap();
        store = b.encode();
        assert_eq!(
            (ba.ids.clone(), bb.ids.clone()),
            (
                vec!["e0".into(), "e1".into()],
                vec!["e2".into(), "e3".into()]
            )
        );
        // A succeeds (applied to the fresh store, which has B's claims).
        let mut a = Outbox::decode(&store, limits);
        a.on_result("A", &ba.ids, status(200), 200, 0);
        store = a.encode();
        // Tab C meanwhile: only e4 is free.
        let mut c = Outbox::decode(&store, limits);
        assert_eq!(c.next_batch("C", 300, "s").unwrap().ids, ["e4"]);
        store = c.encode();
        // B dies without answer; after its claim expires C picks e2, e3 up.
        let mut c = Outbox::decode(&store, limits);
        assert!(c.next_batch("C2", 10_099, "s").is_none());
        assert_eq!(c.next_batch("C2", 10_100, "s").unwrap().ids, ["e2", "e3"]);
        // A late failure from B must not release C2's claims.
        c.on_result("B", &bb.ids, Outcome::NetworkError, 10_200, 0);
        let mut d = Outbox::decode(&c.encode(), limits);
        assert!(d.next_batch("D", 10_200, "s").is_none());
    }

    #[test]
    fn claims_from_a_clock_that_went_back_expire() {
        let mut ob = filled(1, Limits::default());
        ob.next_batch("A", 10_000_000, "s").unwrap();
        // The clock moved back an hour: the claim (until 10_010_000) is out of reach, ignored.
        assert!(ob.next_batch("B", 10_000_000 - 3_600_000, "s").is_some());
    }

    #[test]
    fn beacon_drains_unclaimed_and_keeps_them() {
        let limits = Limits {
            batch_events: 2,
            ..Limits::default()
        };
        let mut ob = filled(30, limits);
        let inflight = ob.next_batch("A", 0, "s").unwrap();
        let beacon = ob.drain_for_beacon("A", 50, "s").unwrap();
        assert_eq!(beacon.ids.len(), 28);
        assert!(!beacon.ids.iter().any(|id| inflight.ids.contains(id)));
        assert_eq!(ob.len(), 30, "kept until a later page confirms");
        assert!(ob.drain_for_beacon("A", 60, "s").is_none());
        // Still claimed after a round trip through storage, with the beacon flag.
        assert!(Outbox::decode(&ob.encode(), limits)
            .drain_for_beacon("B", 70, "s")
            .is_none());
        // The next page (new tab id) resends them after the claim expires.
        let mut next = Outbox::decode(&ob.encode(), limits);
        assert!(next.next_batch("P2", 5_000, "s").is_none());
        assert_eq!(
            next.next_batch("P2", 10_050, "s").unwrap().ids,
            ["e0", "e1"]
        );
        // Size limit: 64 KiB.
        let limits = Limits::default();
        let mut ob = Outbox::new(limits);
        let pad = "x".repeat(10_000);
        for i in 0..10 {
            ob.push(&format!("b{i}"), &format!("{{\"p\":\"{pad}\"}}"))
                .unwrap();
        }
        let beacon = ob.drain_for_beacon("A", 0, "s").unwrap();
        assert_eq!(beacon.ids.len(), 6);
        assert!(beacon.body.len() <= 60 * 1024);
    }

    #[test]
    fn beacon_claims_do_not_hold_up_the_tab() {
        // Hidden (beacon), shown again, a new event: it goes at once, the beaconed ones wait.
        let mut ob = filled(3, Limits::default());
        ob.drain_for_beacon("A", 0, "s").unwrap();
        ob.push("new", "{\"n\":1}").unwrap();
        let mut ob = Outbox::decode(&ob.encode(), Limits::default());
        let b = ob.next_batch("A", 1_000, "s").unwrap();
        assert_eq!(b.ids, ["new"]);
        // A fetch failure of tab A does not release the beacon's claims.
        let beaconed = ["e0".to_string()];
        ob.on_result("A", &beaconed, Outcome::NetworkError, 1_100, 0);
        assert!(ob.next_batch("B", 9_000, "s").is_none());
        assert_eq!(ob.next_batch("B", 10_000, "s").unwrap().ids.len(), 3);
    }

    #[test]
    fn encode_decode_round_trip_and_garbage() {
        let limits = Limits::default();
        let mut ob = filled(4, limits);
        let b = ob.next_batch("A", 0, "s").unwrap();
        ob.on_result("A", &b.ids[..1], Outcome::NetworkError, 0, 77);
        ob.push("x", "{\"s\":\"with spaces\"}").unwrap();
        ob.drain_for_beacon("A", 0, "s").unwrap();
        let back = Outbox::decode(&ob.encode(), limits);
        assert_eq!(back, ob);

        assert_eq!(Outbox::decode("", limits), Outbox::new(limits));
        for garbage in [
            "hello",
            "o2 0 0 0",
            "o1 x 0 0",
            "o1 0 0",
            "{\"a\":1}",
            "\u{0}\u{ffff}",
        ] {
            let ob = Outbox::decode(garbage, limits);
            assert_eq!((ob.len(), ob.dropped()), (0, 1), "{garbage:?}");
        }
        // Bad lines are skipped and counted, good ones kept.
        let s = "o1 2 0 0\ne1 - 0 {\"a\":1}\nbad line\ne2 t! 5 {\"b\":2}\ne3 - x {}\ne4 T 9 {\"c\":3}\ne4 - 0 {\"dup\":1}\ne5 - 0 [1]\ne6 =- 0 {}\ne7 =T 1 {}";
        let ob = Outbox::decode(s, limits);
        assert_eq!(ob.len(), 3);
        assert_eq!(ob.dropped(), 2 + 5);
    }
}
