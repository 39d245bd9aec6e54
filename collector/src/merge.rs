//! Who is who: lead moments in, leads out. Pure, so every rule is unit-tested here.
//!
//! A *lead moment* is an event (or a tracked call) where a visitor told us something about
//! themselves or reached out: a form submit, an email link (`rt_lid`), `identify`, a chat or
//! widget `lead`, a `tel:` click, a call. Each moment ties its visitor id to the identities it
//! carries; identities are compared in a normalized, hashed form so that a plain email on one
//! device and `send: hashed` on another still meet:
//!
//! | identity | key |
//! | --- | --- |
//! | visitor id | as sent (empty ids, from visitors who may not be stored, never link) |
//! | email | SHA-256 hex of the normalized address (`lead::normalize_email`), or the sent hash |
//! | phone | SHA-256 hex of the E.164 number, or the sent hash |
//! | user id (`identify`) | trimmed, as sent |
//! | lead token (`rt_lid`) | as sent |
//!
//! A union-find over those keys joins every moment that shares any key, transitively: two leads
//! that turn out to be one person (a form with an email on the laptop, a call from the phone
//! number, then `identify` with both) become one lead. A lead then owns *all* events of its
//! visitor ids, before and after the moment, and the calls attributed to them.
//!
//! Known limit: a shared address (`info@company`) or a shared device merges people; the report
//! shows the identities of each lead so that is visible.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ringtrail::lead::{normalize_email, sha256_hex};
use serde::Serialize;
use serde_json::{Map, Value};

/// What kind of lead moment it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    /// A tracked form was submitted (or a `lead` with channel `form`).
    Form,
    /// The visitor arrived from an email link carrying a lead token.
    EmailLink,
    /// The site called `identify`.
    Identify,
    /// A chat or widget reported a lead.
    Chat,
    /// A `tel:` link was clicked.
    CallClick,
    /// A tracked phone call.
    Call,
    /// Any other `lead` channel.
    Custom,
}

impl Moment {
    /// Every moment, in report order.
    pub const ALL: [Moment; 7] = [
        Moment::Form,
        Moment::EmailLink,
        Moment::Identify,
        Moment::Chat,
        Moment::CallClick,
        Moment::Call,
        Moment::Custom,
    ];

    /// The wire / CSV name.
    pub fn as_str(self) -> &'static str {
        match self {
            Moment::Form => "form",
            Moment::EmailLink => "email_link",
            Moment::Identify => "identify",
            Moment::Chat => "chat",
            Moment::CallClick => "call_click",
            Moment::Call => "call",
            Moment::Custom => "custom",
        }
    }

    /// A heading a marketer reads.
    pub fn label(self) -> &'static str {
        match self {
            Moment::Form => "Form",
            Moment::EmailLink => "Email link",
            Moment::Identify => "Signed in (identify)",
            Moment::Chat => "Chat / widget",
            Moment::CallClick => "Call click",
            Moment::Call => "Phone call",
            Moment::Custom => "Other",
        }
    }

    /// The moment of a `lead` event's `channel`.
    pub fn from_channel(channel: &str) -> Moment {
        match channel {
            "form" => Moment::Form,
            "email_link" => Moment::EmailLink,
            "identify" => Moment::Identify,
            "chat" => Moment::Chat,
            "call_click" => Moment::CallClick,
            "call" => Moment::Call,
            _ => Moment::Custom,
        }
    }

    /// The moment of a stored event, or `None` when the type is not a lead moment.
    pub fn of_event(kind: &str, data: &Value) -> Option<Moment> {
        match kind {
            "form_submit" => Some(Moment::Form),
            "identify" => Some(Moment::Identify),
            "call_click" => Some(Moment::CallClick),
            "lead" => Some(Moment::from_channel(
                data.get("channel").and_then(Value::as_str).unwrap_or(""),
            )),
            _ => None,
        }
    }
}

/// What a lead moment tells about the person. Values are normalized on the way in
/// ([`Details::from_event`]); invalid ones are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// Normalized email addresses.
    pub emails: BTreeSet<String>,
    /// E.164 phone numbers.
    pub phones: BTreeSet<String>,
    /// SHA-256 hex of emails sent hashed.
    pub email_hashes: BTreeSet<String>,
    /// SHA-256 hex of phones sent hashed.
    pub phone_hashes: BTreeSet<String>,
    /// User ids from `identify`.
    pub user_ids: BTreeSet<String>,
    /// Email-link lead tokens.
    pub lead_tokens: BTreeSet<String>,
    /// Names given.
    pub names: BTreeSet<String>,
    /// Companies given.
    pub companies: BTreeSet<String>,
}

impl Details {
    /// Reads the details of a stored event's `data` object.
    ///
    /// - `form_submit`: `fields.{email, phone, name, company, email_sha256, phone_sha256}` (and
    ///   the same keys at the top of `data`, for hashed forms);
    /// - `identify`: `user_id`, and the person keys at the top of `data` (as the snippet sends
    ///   them) or under `traits`;
    /// - `lead`: the keys at the top of `data`, plus `lead_token` and `user_id`;
    /// - `call_click`: nothing (its numbers are the site's, not the visitor's).
    pub fn from_event(kind: &str, data: &Value) -> Details {
        let mut d = Details::default();
        let Some(obj) = data.as_object() else {
            return d;
        };
        match kind {
            "form_submit" => {
                if let Some(Value::Object(fields)) = obj.get("fields") {
                    d.read_person(fields);
                }
                d.read_person(obj);
            }
            "identify" => {
                d.read_user_id(obj);
                d.read_person(obj);
                if let Some(Value::Object(traits)) = obj.get("traits") {
                    d.read_person(traits);
                }
            }
            "lead" => {
                d.read_person(obj);
                d.read_user_id(obj);
                if let Some(token) = text(obj, "lead_token") {
                    d.lead_tokens.insert(token.to_owned());
                }
            }
            _ => {}
        }
        d
    }

    /// Details of a tracked call: the caller's number, when it is a real E.164 number.
    pub fn from_caller(caller: Option<&str>) -> Details {
        let mut d = Details::default();
        if let Some(phone) = caller.and_then(e164) {
            d.phones.insert(phone);
        }
        d
    }

    fn read_person(&mut self, obj: &Map<String, Value>) {
        if let Some(email) = text(obj, "email").and_then(|e| normalize_email(e).ok()) {
            self.emails.insert(email);
        }
        if let Some(phone) = text(obj, "phone").and_then(e164) {
            self.phones.insert(phone);
        }
        if let Some(hash) = text(obj, "email_sha256").and_then(sha256_key) {
            self.email_hashes.insert(hash);
        }
        if let Some(hash) = text(obj, "phone_sha256").and_then(sha256_key) {
            self.phone_hashes.insert(hash);
        }
        if let Some(name) = text(obj, "name") {
            self.names.insert(name.to_owned());
        }
        if let Some(company) = text(obj, "company") {
            self.companies.insert(company.to_owned());
        }
    }

    fn read_user_id(&mut self, obj: &Map<String, Value>) {
        if let Some(id) = text(obj, "user_id") {
            self.user_ids.insert(id.to_owned());
        }
    }

    /// The identity keys these details link by.
    fn keys(&self) -> Vec<Key> {
        let mut keys = Vec::new();
        keys.extend(self.emails.iter().map(|e| Key::Email(sha256_hex(e))));
        keys.extend(self.email_hashes.iter().cloned().map(Key::Email));
        keys.extend(self.phones.iter().map(|p| Key::Phone(sha256_hex(p))));
        keys.extend(self.phone_hashes.iter().cloned().map(Key::Phone));
        keys.extend(self.user_ids.iter().cloned().map(Key::UserId));
        keys.extend(self.lead_tokens.iter().cloned().map(Key::LeadToken));
        keys
    }

    fn absorb(&mut self, other: &Details) {
        self.emails.extend(other.emails.iter().cloned());
        self.phones.extend(other.phones.iter().cloned());
        self.email_hashes.extend(other.email_hashes.iter().cloned());
        self.phone_hashes.extend(other.phone_hashes.iter().cloned());
        self.user_ids.extend(other.user_ids.iter().cloned());
        self.lead_tokens.extend(other.lead_tokens.iter().cloned());
        self.names.extend(other.names.iter().cloned());
        self.companies.extend(other.companies.iter().cloned());
    }
}

/// A trimmed, non-empty string field of at most 256 bytes.
fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 256)
}

/// `+` and 8–15 digits (spaces, dots, dashes and parentheses removed), or `None`.
///
/// The snippet sends E.164 already; the collector does not guess a region for anything else.
pub fn e164(input: &str) -> Option<String> {
    let rest = input.trim().strip_prefix('+')?;
    let digits: String = rest
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// A SHA-256 hex digest, lower-cased, or `None`.
fn sha256_key(input: &str) -> Option<String> {
    (input.len() == 64 && input.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| input.to_ascii_lowercase())
}

/// One lead moment, as the store reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    /// Event id (or `call:<id>` for a call).
    pub event_id: String,
    /// Visitor id; empty when unknown.
    pub visitor: String,
    /// Session id; empty when unknown.
    pub session: String,
    /// Client time, ms.
    pub ts: i64,
    /// Kind of moment.
    pub moment: Moment,
    /// Form id or name, chat channel, ... (free text for the journey).
    pub label: Option<String>,
    /// What it told about the person.
    pub details: Details,
}

/// The identity keys of the union-find; the variant keeps kinds apart (`v:1` is not `u:1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Touch(usize),
    Visitor(String),
    Email(String),
    Phone(String),
    UserId(String),
    LeadToken(String),
}

/// Union-find with path halving and union by size.
#[derive(Debug, Default)]
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn add(&mut self) -> usize {
        let id = self.parent.len();
        self.parent.push(id);
        self.size.push(1);
        id
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// One person, as far as the data can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Stable id: the event id of its earliest moment.
    pub id: String,
    /// Visitor ids (devices, browsers) that belong to it; never empty ids.
    pub visitors: BTreeSet<String>,
    /// Everything its moments told, merged. `email_hashes` / `phone_hashes` also hold the hashes
    /// of the plain values, so a lead can be matched against a hashed export.
    pub details: Details,
    /// Its moments, oldest first.
    pub touches: Vec<Touch>,
}

impl Lead {
    /// Time of the first moment.
    pub fn first_ts(&self) -> i64 {
        self.touches.first().map_or(0, |t| t.ts)
    }

    /// Time of the latest moment.
    pub fn last_ts(&self) -> i64 {
        self.touches.last().map_or(0, |t| t.ts)
    }

    /// The kind of its first moment: how the visitor became a lead.
    pub fn first_moment(&self) -> Option<Moment> {
        self.touches.first().map(|t| t.moment)
    }

    /// Moment counts, in [`Moment::ALL`] order.
    pub fn moment_counts(&self) -> BTreeMap<Moment, usize> {
        let mut counts = BTreeMap::new();
        for t in &self.touches {
            *counts.entry(t.moment).or_insert(0) += 1;
        }
        counts
    }
}

/// Merges lead moments into leads, newest lead (by first moment) first.
///
/// Every touch joins its visitor id (when not empty) and each of its identity keys; touches
/// that share any key, directly or through others, are one lead.
pub fn merge(touches: Vec<Touch>) -> Vec<Lead> {
    let mut uf = UnionFind::default();
    let mut nodes: HashMap<Key, usize> = HashMap::new();
    let mut node = |uf: &mut UnionFind, key: Key| *nodes.entry(key).or_insert_with(|| uf.add());

    for (index, touch) in touches.iter().enumerate() {
        let own = node(&mut uf, Key::Touch(index));
        if !touch.visitor.is_empty() {
            let v = node(&mut uf, Key::Visitor(touch.visitor.clone()));
            uf.union(own, v);
        }
        for key in touch.details.keys() {
            let k = node(&mut uf, key);
            uf.union(own, k);
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..touches.len() {
        let own = node(&mut uf, Key::Touch(index));
        let root = uf.find(own);
        groups.entry(root).or_default().push(index);
    }

    let mut slots: Vec<Option<Touch>> = touches.into_iter().map(Some).collect();
    let mut leads: Vec<Lead> = groups
        .into_values()
        .map(|members| {
            let mut touches: Vec<Touch> = members
                .into_iter()
                .filter_map(|i| slots.get_mut(i).and_then(Option::take))
                .collect();
            touches.sort_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.event_id.cmp(&b.event_id)));
            let mut details = Details::default();
            let mut visitors = BTreeSet::new();
            for t in &touches {
                details.absorb(&t.details);
                if !t.visitor.is_empty() {
                    visitors.insert(t.visitor.clone());
                }
            }
            let plain_emails: Vec<String> = details.emails.iter().map(|e| sha256_hex(e)).collect();
            details.email_hashes.extend(plain_emails);
            let plain_phones: Vec<String> = details.phones.iter().map(|p| sha256_hex(p)).collect();
            details.phone_hashes.extend(plain_phones);
            Lead {
                id: touches
                    .first()
                    .map(|t| t.event_id.clone())
                    .unwrap_or_default(),
                visitors,
                details,
                touches,
            }
        })
        .collect();
    leads.sort_by(|a, b| {
        b.first_ts()
            .cmp(&a.first_ts())
            .then_with(|| a.id.cmp(&b.id))
    });
    leads
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn touch(id: &str, visitor: &str, ts: i64, kind: &str, data: Value) -> Touch {
        Touch {
            event_id: id.into(),
            visitor: visitor.into(),
            session: format!("s-{visitor}"),
            ts,
            moment: Moment::of_event(kind, &data).expect("a lead moment"),
            label: None,
            details: Details::from_event(kind, &data),
        }
    }

    fn form(id: &str, visitor: &str, ts: i64, fields: Value) -> Touch {
        touch(
            id,
            visitor,
            ts,
            "form_submit",
            json!({"form": "contact", "fields": fields}),
        )
    }

    fn visitors(lead: &Lead) -> Vec<&str> {
        lead.visitors.iter().map(String::as_str).collect()
    }

    #[test]
    fn moments_of_events_and_channels() {
        let d = json!({});
        assert_eq!(Moment::of_event("form_submit", &d), Some(Moment::Form));
        assert_eq!(Moment::of_event("identify", &d), Some(Moment::Identify));
        assert_eq!(Moment::of_event("call_click", &d), Some(Moment::CallClick));
        assert_eq!(Moment::of_event("page_view", &d), None);
        assert_eq!(Moment::of_event("lead", &d), Some(Moment::Custom));
        for m in Moment::ALL {
            assert_eq!(
                Moment::of_event("lead", &json!({"channel": m.as_str()})),
                Some(m)
            );
        }
    }

    #[test]
    fn details_are_read_and_normalized() {
        let d = Details::from_event(
            "form_submit",
            &json!({"form": "f", "fields": {"email": " Ｔａｒｏ@Example.JP ", "phone": "+81 90-1234-5678",
                     "name": "Taro", "company": "ACME", "message": "hi"}}),
        );
        assert_eq!(
            d.emails.iter().next().map(String::as_str),
            Some("taro@example.jp")
        );
        assert_eq!(
            d.phones.iter().next().map(String::as_str),
            Some("+819012345678")
        );
        assert!(d.names.contains("Taro") && d.companies.contains("ACME"));

        let d = Details::from_event(
            "identify",
            &json!({"user_id": "u-7", "traits": {"email": "a@b.jp", "plan": "pro"}}),
        );
        assert!(d.user_ids.contains("u-7") && d.emails.contains("a@b.jp"));

        let hash = "A".repeat(64);
        let d = Details::from_event(
            "lead",
            &json!({"channel": "email_link", "lead_token": "tok", "email_sha256": hash, "phone_sha256": "short"}),
        );
        assert!(d.lead_tokens.contains("tok"));
        assert!(
            d.email_hashes.contains(&"a".repeat(64)),
            "hashes lower-cased"
        );
        assert!(d.phone_hashes.is_empty(), "a malformed hash is ignored");

        // Numbers of a call click are the site's, not the visitor's.
        let d = Details::from_event(
            "call_click",
            &json!({"number": "+81399990001", "target": "+81312345678"}),
        );
        assert_eq!(d, Details::default());
        // Bad values are left out rather than guessed.
        let d = Details::from_event(
            "lead",
            &json!({"email": "not an email", "phone": "090-1234-5678", "name": 5}),
        );
        assert_eq!(d, Details::default());
    }

    #[test]
    fn the_snippets_flat_shapes_are_read() {
        // What src/web/leads.rs sends: details at the top of `data`, next to `channel`.
        let d = Details::from_event(
            "form_submit",
            &json!({"channel": "form", "email": "a@b.jp", "phone": "+819012345678", "form": "contact"}),
        );
        assert!(d.emails.contains("a@b.jp") && d.phones.contains("+819012345678"));
        let d = Details::from_event(
            "identify",
            &json!({"channel": "identify", "email_sha256": "c".repeat(64), "user_id": "u-1"}),
        );
        assert!(d.user_ids.contains("u-1") && d.email_hashes.contains(&"c".repeat(64)));
        let d = Details::from_event(
            "call_click",
            &json!({"channel": "call_click", "number": "+81399990001", "tracked": true}),
        );
        assert_eq!(d, Details::default());
        assert_eq!(
            Moment::of_event("call_click", &json!({"channel": "call_click"})),
            Some(Moment::CallClick)
        );
    }

    #[test]
    fn e164_accepts_only_international_numbers() {
        assert_eq!(e164("+81 3-1234-5678").as_deref(), Some("+81312345678"));
        assert_eq!(e164("+1 (415) 555-0100").as_deref(), Some("+14155550100"));
        for bad in [
            "03-1234-5678",
            "+0123456789",
            "+12",
            "+81 3 1234 5678 ext 9",
            "anonymous",
            "",
        ] {
            assert_eq!(e164(bad), None, "{bad}");
        }
        assert_eq!(Details::from_caller(Some("anonymous")), Details::default());
    }

    #[test]
    fn one_visitor_many_moments_is_one_lead() {
        let leads = merge(vec![
            touch(
                "e1",
                "v1",
                10,
                "call_click",
                json!({"number": "+81399990001"}),
            ),
            form("e2", "v1", 20, json!({"email": "a@b.jp"})),
        ]);
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].id, "e1", "id of the earliest moment");
        assert_eq!(leads[0].first_moment(), Some(Moment::CallClick));
        assert_eq!(leads[0].touches.len(), 2);
    }

    #[test]
    fn the_same_email_links_devices() {
        let leads = merge(vec![
            form("e1", "laptop", 10, json!({"email": "Taro@Example.jp"})),
            touch(
                "e2",
                "phone",
                20,
                "identify",
                json!({"user_id": "u1", "traits": {"email": "taro@example.jp"}}),
            ),
            form("e3", "other", 30, json!({"email": "hanako@example.jp"})),
        ]);
        assert_eq!(leads.len(), 2);
        // Newest lead first.
        assert_eq!(visitors(&leads[0]), ["other"]);
        assert_eq!(visitors(&leads[1]), ["laptop", "phone"]);
        assert!(leads[1].details.user_ids.contains("u1"));
    }

    #[test]
    fn plain_and_hashed_values_meet() {
        let email_hash = sha256_hex("taro@example.jp");
        let phone_hash = sha256_hex("+819012345678");
        let leads = merge(vec![
            form("e1", "v1", 10, json!({"email": "taro@example.jp"})),
            form("e2", "v2", 20, json!({"email_sha256": email_hash})),
            touch(
                "e3",
                "v3",
                30,
                "lead",
                json!({"channel": "chat", "phone_sha256": phone_hash}),
            ),
            touch(
                "e4",
                "v4",
                40,
                "lead",
                json!({"channel": "chat", "phone": "+819012345678"}),
            ),
        ]);
        assert_eq!(leads.len(), 2);
        assert_eq!(visitors(&leads[0]), ["v3", "v4"]);
        assert_eq!(visitors(&leads[1]), ["v1", "v2"]);
        assert!(leads[1].details.email_hashes.contains(&email_hash));
    }

    #[test]
    fn two_leads_that_are_one_person_merge() {
        // A form on the laptop (email), a call from the mobile (phone): two leads...
        let a = form("e1", "laptop", 10, json!({"email": "taro@example.jp"}));
        let mut call = Touch {
            event_id: "call:1".into(),
            visitor: "mobile".into(),
            session: "s".into(),
            ts: 20,
            moment: Moment::Call,
            label: None,
            details: Details::from_caller(Some("+819012345678")),
        };
        assert_eq!(merge(vec![a.clone(), call.clone()]).len(), 2);
        // ...until a third device identifies with both.
        let both = touch(
            "e3",
            "tablet",
            30,
            "identify",
            json!({"user_id": "u1", "traits": {"email": "taro@example.jp", "phone": "+819012345678"}}),
        );
        let leads = merge(vec![a.clone(), call.clone(), both]);
        assert_eq!(leads.len(), 1);
        assert_eq!(visitors(&leads[0]), ["laptop", "mobile", "tablet"]);
        assert_eq!(leads[0].id, "e1");
        let moments: Vec<Moment> = leads[0].touches.iter().map(|t| t.moment).collect();
        assert_eq!(moments, [Moment::Form, Moment::Call, Moment::Identify]);
        // A call without a caller id stays with its visitor only.
        call.details = Details::from_caller(None);
        call.visitor = String::new();
        assert_eq!(merge(vec![a, call]).len(), 2);
    }

    #[test]
    fn empty_visitor_ids_never_link() {
        let leads = merge(vec![
            form("e1", "", 10, json!({"email": "a@b.jp"})),
            form("e2", "", 20, json!({"email": "c@d.jp"})),
            touch("e3", "", 30, "call_click", json!({})),
        ]);
        assert_eq!(leads.len(), 3);
        assert!(leads.iter().all(|l| l.visitors.is_empty()));
    }

    #[test]
    fn lead_tokens_and_user_ids_link() {
        let leads = merge(vec![
            touch(
                "e1",
                "v1",
                10,
                "lead",
                json!({"channel": "email_link", "lead_token": "T1"}),
            ),
            touch(
                "e2",
                "v2",
                20,
                "lead",
                json!({"channel": "email_link", "lead_token": "T1"}),
            ),
            touch("e3", "v3", 30, "identify", json!({"user_id": "42"})),
            touch("e4", "v4", 40, "identify", json!({"user_id": "42"})),
            // A user id that equals a visitor id is a different identity.
            touch("e5", "42", 50, "call_click", json!({})),
        ]);
        assert_eq!(leads.len(), 3);
        assert_eq!(visitors(&leads[2]), ["v1", "v2"]);
        assert_eq!(visitors(&leads[1]), ["v3", "v4"]);
        assert_eq!(visitors(&leads[0]), ["42"]);
    }

    #[test]
    fn merging_is_order_independent() {
        let touches = vec![
            form("e1", "a", 10, json!({"email": "x@y.jp"})),
            form("e2", "b", 20, json!({"phone": "+819011112222"})),
            touch(
                "e3",
                "c",
                30,
                "identify",
                json!({"user_id": "u", "traits": {"email": "x@y.jp"}}),
            ),
            touch("e4", "b", 40, "identify", json!({"user_id": "u"})),
            form("e5", "d", 50, json!({"email": "z@y.jp"})),
        ];
        let want = merge(touches.clone());
        let mut reversed = touches;
        reversed.reverse();
        assert_eq!(merge(reversed), want);
        assert_eq!(want.len(), 2);
        assert_eq!(visitors(&want[1]), ["a", "b", "c"]);
        assert_eq!(want[1].moment_counts().get(&Moment::Form), Some(&2));
        assert_eq!((want[1].first_ts(), want[1].last_ts()), (10, 40));
    }

    #[test]
    fn no_touches_no_leads() {
        assert!(merge(Vec::new()).is_empty());
    }
}
