//! The marketer's JSON config: the model and its validation.
//!
//! One parser serves the snippet (in the browser), the collector and the `ringtrail check` CLI, so
//! the rules a marketer writes mean the same thing everywhere. Parsing is hand-written on top of
//! [`crate::json`] rather than serde: serde's derive and error formatting would double the wasm
//! (see `DESIGN.md`, size facts). Every error carries the JSON path it is about.
//!
//! The JSON Schema published in `schema/config.schema.json` is generated from these types
//! (feature `schema`), and a test checks the example configs against both.

use crate::json::{self, Value};
use crate::phone::{PhoneNumber, Region};
use crate::prelude::*;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

/// A validated site config.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
pub struct Config {
    /// Site id: lowercase letters, digits, `-` and `_`; it keys everything the collector stores.
    pub site: String,
    /// Default country for numbers written in national form, ISO 3166 alpha-2 (`JP`, `US`, `GB`).
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub region: Region,
    /// The site's own numbers, as displayed anywhere on the site, in any format.
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub targets: Vec<Target>,
    /// Source rules in order; the first that matches the visit wins.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub sources: Vec<SourceRule>,
    /// Numbers for visitors no rule matches; absent: they see the site's own numbers.
    #[cfg_attr(
        feature = "schema",
        schemars(default, with = "Option<NumberMapSchema>")
    )]
    pub default: Option<NumberMap>,
    /// Visitor-level number pools by name.
    #[cfg_attr(
        feature = "schema",
        schemars(default, with = "std::collections::BTreeMap<String, Pool>")
    )]
    pub pools: Vec<(String, Pool)>,
    /// How long and which way a traffic source is remembered.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub attribution: Attribution,
    /// CSS selectors under which nothing is swapped (besides `[data-ringtrail-noswap]`).
    #[cfg_attr(feature = "schema", schemars(default))]
    pub noswap: Vec<String>,
    /// Named conditions on the visit that fire `ringtrail:trigger`.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub triggers: Vec<Trigger>,
    /// Which forms and links turn a visitor into a tracked lead.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub leads: Leads,
    /// Consent and privacy signals.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub privacy: Privacy,
    /// Page view and engagement settings.
    #[cfg_attr(feature = "schema", schemars(default))]
    pub tracking: Tracking,
}

/// One of the site's own numbers, as written in the config and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As the marketer wrote it; also the key used in `numbers` maps.
    pub written: String,
    /// The parsed number.
    pub number: PhoneNumber,
}

/// A replacement number as the marketer wrote it (its grouping is kept for display) and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    /// As written: its digit groups are used when the displayed grouping cannot hold it.
    pub written: String,
    /// The parsed number.
    pub number: PhoneNumber,
}

/// What one target becomes for a source.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberChoice {
    /// Source-level tracking: one fixed number.
    Fixed(Replacement),
    /// Visitor-level tracking: a number leased from the named pool.
    Pool(String),
}

/// Target index → what it becomes. Targets not listed keep their own number.
pub type NumberMap = Vec<(usize, NumberChoice)>;

/// Schema-only mirror of a `numbers` map: target as written → number or `{"pool": NAME}`.
#[cfg(feature = "schema")]
pub type NumberMapSchema = std::collections::BTreeMap<String, NumberChoiceSchema>;

/// Schema-only mirror of [`NumberChoice`].
#[cfg(feature = "schema")]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum NumberChoiceSchema {
    /// A fixed tracking number, in any format.
    Fixed(String),
    /// A pool by name.
    Pool {
        /// Name of a pool in `pools`.
        pool: String,
    },
}

/// A traffic source rule: when its `match` holds, its `numbers` apply.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
pub struct SourceRule {
    /// Name shown in reports and events (`google-ads`, `newsletter`).
    pub name: String,
    /// Conditions, all of which must hold (an empty match always holds).
    #[cfg_attr(feature = "schema", schemars(rename = "match", default))]
    pub matcher: SourceMatch,
    /// Target (as written in `targets`) → replacement number or `{"pool": NAME}`.
    #[cfg_attr(feature = "schema", schemars(with = "NumberMapSchema"))]
    pub numbers: NumberMap,
}

/// Conditions of a source rule. Every field given must hold; a list holds when any item does.
/// Text patterns compare case-insensitively and may use `*` as a wildcard.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
pub struct SourceMatch {
    /// `utm_source` patterns.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub utm_source: Vec<String>,
    /// `utm_medium` patterns.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub utm_medium: Vec<String>,
    /// `utm_campaign` patterns.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub utm_campaign: Vec<String>,
    /// `utm_term` patterns.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub utm_term: Vec<String>,
    /// `utm_content` patterns.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub utm_content: Vec<String>,
    /// Ad click id parameters that must be present (`gclid`, `fbclid`, ...); `true`: any of them.
    #[cfg_attr(feature = "schema", schemars(with = "Option<ClickIdsSchema>"))]
    pub click_id: Vec<String>,
    /// Referrer host patterns (`*.google.*`, `news.example.com`).
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub referrer_host: Vec<String>,
    /// Referrer groups: `search`, `social`, `email`, `paid`, `referral`, `direct`.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub referrer_group: Vec<String>,
    /// Landing page path patterns (`/lp/*`).
    #[cfg_attr(feature = "schema", schemars(with = "Option<Patterns>"))]
    pub landing_path: Vec<String>,
}

/// Schema-only: one pattern or a list of them.
#[cfg(feature = "schema")]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum Patterns {
    /// One pattern.
    One(String),
    /// Any of these.
    Any(Vec<String>),
}

/// Schema-only: `true` for any click id, or the names.
#[cfg(feature = "schema")]
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum ClickIdsSchema {
    /// `true`: any known click id.
    Any(bool),
    /// One click id parameter name.
    One(String),
    /// Any of these.
    List(Vec<String>),
}

/// The ad click id parameters the snippet knows.
pub const CLICK_IDS: &[&str] = &[
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "yclid",
    "ttclid",
    "li_fat_id",
];

/// Referrer groups a source can match on.
pub const REFERRER_GROUPS: &[&str] = &["search", "social", "email", "paid", "referral", "direct"];

/// A visitor-level pool of tracking numbers.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
pub struct Pool {
    /// The pool's numbers, in any format.
    #[cfg_attr(feature = "schema", schemars(with = "Vec<String>"))]
    pub numbers: Vec<Replacement>,
    /// Shown when the pool is exhausted or the collector does not answer in time.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub fallback: Replacement,
    /// A lease is kept this long after the visitor's last heartbeat (default 15).
    #[cfg_attr(feature = "schema", schemars(default = "default_idle_minutes"))]
    pub idle_minutes: u32,
}

#[cfg(feature = "schema")]
fn default_idle_minutes() -> u32 {
    15
}

/// Attribution model and window.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    schemars(deny_unknown_fields, default)
)]
pub struct Attribution {
    /// `first_touch` keeps the first source; `last_touch` (default) the latest non-direct one.
    pub model: AttributionModel,
    /// How many days a source is remembered (default 30; 0 = this page only).
    pub days: u32,
}

impl Default for Attribution {
    fn default() -> Self {
        Attribution {
            model: AttributionModel::LastTouch,
            days: 30,
        }
    }
}

/// Which touch wins when a visitor comes back from another source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum AttributionModel {
    /// The first source seen within the window is kept (a new paid click still replaces it).
    FirstTouch,
    /// The latest source that is not a direct visit wins.
    LastTouch,
}

/// A named condition on the visit; all given conditions must hold.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
pub struct Trigger {
    /// Name passed to listeners and reports.
    pub name: String,
    /// Page path pattern (`/pricing*`).
    pub page: Option<String>,
    /// Engaged seconds on the page.
    pub dwell_seconds: Option<u32>,
    /// At least this many earlier sessions.
    pub revisits: Option<u32>,
    /// Source rule name the visit must be attributed to.
    pub source: Option<String>,
    /// Fire at most once per `page_view` (default) or per `session`.
    #[cfg_attr(feature = "schema", schemars(default = "default_once"))]
    pub once: TriggerOnce,
}

#[cfg(feature = "schema")]
fn default_once() -> TriggerOnce {
    TriggerOnce::PageView
}

/// How often a trigger may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum TriggerOnce {
    /// Once per page view.
    PageView,
    /// Once per session.
    Session,
}

/// Lead capture settings.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    schemars(deny_unknown_fields, default)
)]
pub struct Leads {
    /// CSS selector of the forms whose submit makes a lead (default `form[data-ringtrail-lead]`).
    pub forms: String,
    /// URL parameter that carries a lead token in links from emails (default `rt_lid`).
    pub email_param: String,
    /// `raw`: email and phone leave the browser normalized; `hashed`: only their SHA-256.
    pub send: LeadSend,
}

impl Default for Leads {
    fn default() -> Self {
        Leads {
            forms: "form[data-ringtrail-lead]".into(),
            email_param: "rt_lid".into(),
            send: LeadSend::Raw,
        }
    }
}

/// How personal data in lead events is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum LeadSend {
    /// Normalized values.
    Raw,
    /// SHA-256 (hex) of the normalized values.
    Hashed,
}

/// Consent and privacy signals.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    schemars(deny_unknown_fields, default)
)]
pub struct Privacy {
    /// `required`: nothing is stored or sent until `ringtrail('consent', true)`; number swapping
    /// by source still works. Default `not_required`.
    pub consent: Consent,
    /// Honour Global Privacy Control (default true): no stored ids, no events.
    pub respect_gpc: bool,
    /// Honour Do Not Track (default true).
    pub respect_dnt: bool,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            consent: Consent::NotRequired,
            respect_gpc: true,
            respect_dnt: true,
        }
    }
}

/// Whether tracking waits for the visitor's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    serde(rename_all = "snake_case")
)]
pub enum Consent {
    /// Wait for `ringtrail('consent', true)`.
    Required,
    /// Track unless GPC/DNT says otherwise.
    NotRequired,
}

/// Page view and engagement settings.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "schema",
    derive(JsonSchema),
    schemars(deny_unknown_fields, default)
)]
pub struct Tracking {
    /// Query parameters removed from recorded URLs.
    pub strip_params: Vec<String>,
    /// Count `#/route` changes as page views (hash-routed SPAs).
    pub hash_routing: bool,
    /// Minutes without activity that end a session (default 30).
    pub session_minutes: u32,
    /// Engagement shorter than this is not sent (default 1000 ms).
    pub min_engaged_ms: u32,
    /// Record visits from headless automation (`navigator.webdriver`); default false.
    pub allow_automation: bool,
    /// Record visits on localhost; default false.
    pub allow_localhost: bool,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            strip_params: Vec::new(),
            hash_routing: false,
            session_minutes: 30,
            min_engaged_ms: 1000,
            allow_automation: false,
            allow_localhost: false,
        }
    }
}

/// One problem in a config, with the JSON path it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// JSON path (`sources[2].match.utm_source`), empty for the whole document.
    pub path: String,
    /// What is wrong (`expected a string, found a number`).
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl ConfigError {
    /// `sources[2].match.utm_source: expected a string, found a number (hint: ...)`
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if !self.path.is_empty() {
            s.push_str(&self.path);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if let Some(h) = &self.hint {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        s
    }
}

impl Config {
    /// Parses and validates a config document, collecting every error rather than the first.
    ///
    /// # Errors
    /// All problems found, each with its JSON path; a syntax error stops at the first one.
    ///
    /// # Example
    /// ```
    /// let c = ringtrail::config::Config::from_json(r#"{
    ///   "site": "demo", "region": "JP", "targets": ["03-1234-5678"],
    ///   "sources": [{"name": "ads", "match": {"utm_source": "google"},
    ///                "numbers": {"03-1234-5678": "03-9999-0001"}}]
    /// }"#).unwrap();
    /// assert_eq!(c.sources[0].name, "ads");
    /// let e = ringtrail::config::Config::from_json(r#"{"site": 1}"#).unwrap_err();
    /// assert_eq!(e[0].describe(), "site: expected a string, found a number");
    /// ```
    pub fn from_json(text: &str) -> Result<Config, Vec<ConfigError>> {
        let doc = json::parse(text).map_err(|e| {
            vec![ConfigError {
                path: e.path.clone(),
                message: e.describe(),
                hint: None,
            }]
        })?;
        let mut r = Reader {
            errors: Vec::new(),
            path: String::new(),
        };
        let config = r.config(&doc);
        if r.errors.is_empty() {
            Ok(config)
        } else {
            Err(r.errors)
        }
    }

    /// The numbers that apply for a matched source rule (`None`: no rule matched → `default`).
    pub fn numbers_for(&self, rule: Option<usize>) -> Option<&NumberMap> {
        match rule {
            Some(i) => self.sources.get(i).map(|r| &r.numbers),
            None => self.default.as_ref(),
        }
    }

    /// A pool by name.
    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation. Why table-driven: the snippet ships this code, and one generic walk over a static
// description of the config (types, required fields, ranges, choices, unknown keys) costs far
// fewer wasm bytes than a hand-written check per field. A second, tolerant pass builds the typed
// config and checks what needs more than the shape (phone numbers, references between parts).
// ---------------------------------------------------------------------------------------------

/// What a value must look like.
enum Kind {
    /// A non-empty string.
    Str,
    /// A string or a non-empty list of strings.
    Strs,
    /// Like `Strs`, each one of the words; the message names the odd one.
    Words(&'static [&'static str], &'static str),
    /// `true` or one or more click id names.
    ClickIds,
    /// `true` / `false`.
    Bool,
    /// A whole number in the range.
    Whole(u32, u32),
    /// One of the words.
    Choice(&'static [&'static str]),
    /// An object with these fields.
    Object(&'static [Field]),
    /// A list of values of a kind: what to call it, and whether it may be empty.
    List(&'static Kind, &'static str, bool),
    /// An object whose keys are names (pools) and values of a kind.
    Map(&'static Kind),
    /// Target → phone number or `{"pool": NAME}`.
    Numbers,
    /// Anything (`$schema`).
    Any,
}

/// One field of an object; `required: Some(hint)` (an empty hint says nothing more).
struct Field {
    key: &'static str,
    kind: Kind,
    required: Option<&'static str>,
}

const fn opt(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: None,
    }
}

const fn req(key: &'static str, kind: Kind, hint: &'static str) -> Field {
    Field {
        key,
        kind,
        required: Some(hint),
    }
}

const PHONES: Kind = Kind::List(&Kind::Str, "a list of phone numbers", false);

const MATCH: &[Field] = &[
    opt("utm_source", Kind::Strs),
    opt("utm_medium", Kind::Strs),
    opt("utm_campaign", Kind::Strs),
    opt("utm_term", Kind::Strs),
    opt("utm_content", Kind::Strs),
    opt("click_id", Kind::ClickIds),
    opt("referrer_host", Kind::Strs),
    opt(
        "referrer_group",
        Kind::Words(REFERRER_GROUPS, "unknown referrer group"),
    ),
    opt("landing_path", Kind::Strs),
];
const RULE: &[Field] = &[
    req("name", Kind::Str, "shown in reports, e.g. \"google-ads\""),
    opt("match", Kind::Object(MATCH)),
    req(
        "numbers",
        Kind::Numbers,
        "target → tracking number, or {\"pool\": NAME}",
    ),
];
const POOL_REF: &[Field] = &[req("pool", Kind::Str, "")];
const POOL: &[Field] = &[
    req("numbers", PHONES, ""),
    req(
        "fallback",
        Kind::Str,
        "shown when the pool is exhausted or the collector is slow",
    ),
    opt("idle_minutes", Kind::Whole(1, 1440)),
];
const ATTRIBUTION: &[Field] = &[
    opt("model", Kind::Choice(&["first_touch", "last_touch"])),
    opt("days", Kind::Whole(0, 730)),
];
const TRIGGER: &[Field] = &[
    req("name", Kind::Str, ""),
    opt("page", Kind::Str),
    opt("dwell_seconds", Kind::Whole(0, 86_400)),
    opt("revisits", Kind::Whole(0, 10_000)),
    opt("source", Kind::Str),
    opt("once", Kind::Choice(&["page_view", "session"])),
];
const LEADS: &[Field] = &[
    opt("forms", Kind::Str),
    opt("email_param", Kind::Str),
    opt("send", Kind::Choice(&["raw", "hashed"])),
];
const PRIVACY: &[Field] = &[
    opt("consent", Kind::Choice(&["required", "not_required"])),
    opt("respect_gpc", Kind::Bool),
    opt("respect_dnt", Kind::Bool),
];
const TRACKING: &[Field] = &[
    opt("strip_params", Kind::Strs),
    opt("hash_routing", Kind::Bool),
    opt("session_minutes", Kind::Whole(1, 1440)),
    opt("min_engaged_ms", Kind::Whole(0, 3_600_000)),
    opt("allow_automation", Kind::Bool),
    opt("allow_localhost", Kind::Bool),
];
const TOP: &[Field] = &[
    opt("$schema", Kind::Any),
    req("site", Kind::Str, "a short id such as \"acme-jp\""),
    req(
        "region",
        Kind::Str,
        "the country of national numbers, e.g. \"JP\" or \"US\"",
    ),
    req("targets", PHONES, "the site's own numbers, as displayed"),
    opt(
        "sources",
        Kind::List(&Kind::Object(RULE), "a list of source rules", true),
    ),
    opt("default", Kind::Numbers),
    opt("pools", Kind::Map(&Kind::Object(POOL))),
    opt("attribution", Kind::Object(ATTRIBUTION)),
    opt("noswap", Kind::Strs),
    opt(
        "triggers",
        Kind::List(&Kind::Object(TRIGGER), "a list of triggers", true),
    ),
    opt("leads", Kind::Object(LEADS)),
    opt("privacy", Kind::Object(PRIVACY)),
    opt("tracking", Kind::Object(TRACKING)),
];

/// Levenshtein distance, for "did you mean" hints on misspelt keys and names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `did you mean "utm_source"?` when a known word is close, else the list of known words.
fn suggest<'a>(word: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    let known = known.filter(|k| !k.starts_with('$'));
    let best = known.clone().min_by_key(|k| distance(word, k));
    let mut s = String::new();
    match best {
        Some(k) if distance(word, k) <= 2.max(word.len() / 3) => {
            s.push_str("did you mean ");
            json::write_str(&mut s, k);
            s.push('?');
        }
        _ => {
            s.push_str("expected one of: ");
            for (i, k) in known.enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(k);
            }
        }
    }
    s
}

fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key)
}

/// The strings of a `Strs` value (tolerant: anything else gives none).
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.trim().into()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().into())
            .collect(),
        _ => Vec::new(),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    get(v, key).and_then(Value::as_str).map(|s| s.trim().into())
}

fn whole(v: &Value, key: &str, default: u32) -> u32 {
    get(v, key).and_then(Value::as_u32).unwrap_or(default)
}

fn flag(v: &Value, key: &str, default: bool) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(default)
}

/// Index of a choice's word (validated by the first pass), or `default`.
fn choice(v: &Value, key: &str, words: &[&str], default: usize) -> usize {
    get(v, key)
        .and_then(Value::as_str)
        .and_then(|s| words.iter().position(|w| *w == s))
        .unwrap_or(default)
}

struct Reader {
    errors: Vec<ConfigError>,
    /// JSON path of the value being read.
    path: String,
}

impl Reader {
    fn err(&mut self, message: &str, hint: Option<String>) {
        self.errors.push(ConfigError {
            path: self.path.clone(),
            message: message.into(),
            hint,
        });
    }

    /// Runs `f` with `key` appended to the path.
    fn at_key<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        json::push_key(&mut self.path, key);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Runs `f` with `[i]` appended to the path.
    fn at_index<R>(&mut self, i: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        json::push_index(&mut self.path, i);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    fn expected(&mut self, what: &str, found: &Value) {
        let mut m = String::from("expected ");
        m.push_str(what);
        m.push_str(", found ");
        m.push_str(found.kind());
        self.err(&m, None);
    }

    fn non_empty_str(&mut self, v: &Value) {
        match v {
            Value::String(s) if s.trim().is_empty() => self.err("must not be empty", None),
            Value::String(_) => {}
            _ => self.expected("a string", v),
        }
    }

    /// First pass: the shape of `v` against `kind`, reporting every mismatch.
    fn check(&mut self, v: &Value, kind: &Kind) {
        match kind {
            Kind::Any => {}
            Kind::Str => self.non_empty_str(v),
            Kind::Bool => {
                if v.as_bool().is_none() {
                    self.expected("true or false", v);
                }
            }
            Kind::Whole(min, max) => match (v, v.as_u32()) {
                (_, Some(n)) if (*min..=*max).contains(&n) => {}
                (Value::Number(_), _) => {
                    let mut m = String::from("expected a whole number from ");
                    json::push_u64(&mut m, u64::from(*min));
                    m.push_str(" to ");
                    json::push_u64(&mut m, u64::from(*max));
                    self.err(&m, None);
                }
                _ => self.expected("a whole number", v),
            },
            Kind::Choice(words) => {
                self.non_empty_str(v);
                if let Some(s) = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty() && !words.contains(s))
                {
                    let mut m = String::from("unknown value ");
                    json::write_str(&mut m, s);
                    self.err(&m, Some(suggest(s, words.iter().copied())));
                }
            }
            Kind::Strs => self.strs(v, None),
            Kind::Words(words, message) => self.strs(v, Some((words, message))),
            Kind::ClickIds => match v {
                Value::Bool(true) => {}
                Value::Bool(false) => {
                    self.err("use true, a click id name, or a list of them", None)
                }
                _ => self.strs(v, Some((CLICK_IDS, "unknown click id"))),
            },
            Kind::List(item, what, may_be_empty) => match v {
                Value::Array(items) if items.is_empty() && !may_be_empty => {
                    self.err("must not be empty", None)
                }
                Value::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        self.at_index(i, |r| r.check(it, item));
                    }
                }
                _ => self.expected(what, v),
            },
            Kind::Map(item) => match v {
                Value::Object(members) => {
                    for (k, mv) in members {
                        self.at_key(k, |r| r.check(mv, item));
                    }
                }
                _ => self.expected("an object", v),
            },
            Kind::Numbers => match v {
                Value::Object(members) => {
                    for (k, mv) in members {
                        self.at_key(k, |r| match mv {
                            Value::Object(_) => r.check(mv, &Kind::Object(POOL_REF)),
                            _ => r.non_empty_str(mv),
                        });
                    }
                }
                _ => self.expected("an object", v),
            },
            Kind::Object(fields) => {
                let Value::Object(members) = v else {
                    self.expected("an object", v);
                    return;
                };
                for (k, mv) in members {
                    match fields.iter().find(|f| f.key == k) {
                        Some(f) => self.at_key(k, |r| r.check(mv, &f.kind)),
                        None => self.at_key(k, |r| {
                            let mut m = String::from("unknown field ");
                            json::write_str(&mut m, k);
                            let hint = suggest(k, fields.iter().map(|f| f.key));
                            r.err(&m, Some(hint));
                        }),
                    }
                }
                for f in fields.iter() {
                    if let Some(hint) = f.required.filter(|_| v.get(f.key).is_none()) {
                        let hint = (!hint.is_empty()).then(|| hint.into());
                        self.at_key(f.key, |r| r.err("required", hint));
                    }
                }
            }
        }
    }

    /// A string or a non-empty list of strings, optionally each from `words`.
    fn strs(&mut self, v: &Value, words: Option<(&[&str], &str)>) {
        let check_word = |r: &mut Self, s: &str| {
            if let Some((words, message)) = words {
                if !words.contains(&s.trim()) {
                    r.err(message, Some(suggest(s, words.iter().copied())));
                }
            }
        };
        match v {
            Value::Array(items) if items.is_empty() => self.err(
                "must not be empty",
                Some("leave the field out to match anything".into()),
            ),
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    self.at_index(i, |r| {
                        r.non_empty_str(it);
                        if let Some(s) = it.as_str() {
                            check_word(r, s);
                        }
                    });
                }
            }
            Value::String(s) => {
                self.non_empty_str(v);
                check_word(self, s);
            }
            _ => self.expected("a string or a list of strings", v),
        }
    }

    /// Second pass: parses a phone number (validated as a string already).
    fn phone(&mut self, v: Option<&Value>, region: Option<Region>) -> Option<Replacement> {
        let written: String = v?.as_str()?.trim().into();
        match PhoneNumber::parse(&written, region?) {
            Ok(number) => Some(Replacement { written, number }),
            Err(why) => {
                if !written.is_empty() {
                    let mut m = String::from("not a phone number: ");
                    m.push_str(why);
                    self.err(
                        &m,
                        Some(
                            "write it as displayed, e.g. \"03-1234-5678\" or \"+1 415 555 0100\""
                                .into(),
                        ),
                    );
                }
                None
            }
        }
    }

    /// A list of phone numbers, each parsed, duplicates reported with `duplicate`.
    fn phones(
        &mut self,
        v: Option<&Value>,
        region: Option<Region>,
        duplicate: &str,
    ) -> Vec<Replacement> {
        let mut out: Vec<Replacement> = Vec::new();
        if let Some(Value::Array(items)) = v {
            for (i, it) in items.iter().enumerate() {
                self.at_index(i, |r| {
                    if let Some(p) = r.phone(Some(it), region) {
                        if out.iter().any(|o| o.number == p.number) {
                            r.err(duplicate, None);
                        } else {
                            out.push(p);
                        }
                    }
                });
            }
        }
        out
    }

    fn numbers(
        &mut self,
        v: &Value,
        region: Option<Region>,
        targets: &[Target],
        pools: &[(String, Pool)],
    ) -> NumberMap {
        let mut map: NumberMap = Vec::new();
        let Value::Object(members) = v else {
            return map;
        };
        for (key, nv) in members {
            self.at_key(key, |r| {
                let target = region
                    .and_then(|reg| PhoneNumber::parse(key, reg).ok())
                    .and_then(|n| targets.iter().position(|t| t.number == n));
                let Some(ti) = target else {
                    if !targets.is_empty() {
                        r.err(
                            "not one of the targets",
                            Some("use a number listed in \"targets\"".into()),
                        );
                    }
                    return;
                };
                if map.iter().any(|(t, _)| *t == ti) {
                    r.err("target given twice", None);
                    return;
                }
                let choice = match nv.get("pool") {
                    Some(name) => name.as_str().and_then(|n| {
                        r.at_key("pool", |r| {
                            if pools.iter().any(|(p, _)| p == n) {
                                Some(NumberChoice::Pool(n.into()))
                            } else {
                                r.err(
                                    "no such pool",
                                    Some(suggest(n, pools.iter().map(|(p, _)| p.as_str()))),
                                );
                                None
                            }
                        })
                    }),
                    None => r.phone(Some(nv), region).map(NumberChoice::Fixed),
                };
                if let Some(c) = choice {
                    map.push((ti, c));
                }
            });
        }
        map
    }

    fn config(&mut self, doc: &Value) -> Config {
        self.check(doc, &Kind::Object(TOP));

        let site = text(doc, "site").unwrap_or_default();
        if !site.is_empty()
            && (site.len() > 64
                || !site.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                }))
        {
            self.at_key("site", |r| {
                r.err(
                    "use lowercase letters, digits, '-' and '_' (at most 64)",
                    None,
                )
            });
        }
        let region_text = text(doc, "region").unwrap_or_default();
        let region = Region::from_code(&region_text);
        if region.is_none() && !region_text.is_empty() {
            self.at_key("region", |r| {
                r.err(
                    "unsupported region",
                    Some("one of JP, US, CA, GB, FR, DE".into()),
                )
            });
        }

        let targets: Vec<Target> = self
            .at_key("targets", |r| {
                r.phones(get(doc, "targets"), region, "duplicate target")
            })
            .into_iter()
            .map(|p| Target {
                written: p.written,
                number: p.number,
            })
            .collect();

        let mut pools: Vec<(String, Pool)> = Vec::new();
        if let Some(Value::Object(members)) = get(doc, "pools") {
            for (name, pv) in members {
                let pool = self.at_key("pools", |r| {
                    r.at_key(name, |r| {
                        let numbers = r.at_key("numbers", |r| {
                            r.phones(get(pv, "numbers"), region, "duplicate number in the pool")
                        });
                        let fallback =
                            r.at_key("fallback", |r| r.phone(get(pv, "fallback"), region))?;
                        Some(Pool {
                            numbers,
                            fallback,
                            idle_minutes: whole(pv, "idle_minutes", 15),
                        })
                    })
                });
                if let Some(p) = pool {
                    pools.push((name.clone(), p));
                }
            }
        }

        let mut sources: Vec<SourceRule> = Vec::new();
        if let Some(Value::Array(items)) = get(doc, "sources") {
            for (i, it) in items.iter().enumerate() {
                self.at_key("sources", |r| {
                    r.at_index(i, |r| {
                        let name = text(it, "name").unwrap_or_default();
                        if !name.is_empty() && sources.iter().any(|s| s.name == name) {
                            r.at_key("name", |r| r.err("duplicate source name", None));
                        }
                        let m = get(it, "match");
                        let field = |k: &str| strings(m.and_then(|m| m.get(k)));
                        let click_id = match m.and_then(|m| m.get("click_id")) {
                            Some(Value::Bool(true)) => {
                                CLICK_IDS.iter().map(|s| (*s).into()).collect()
                            }
                            other => strings(other),
                        };
                        let matcher = SourceMatch {
                            utm_source: field("utm_source"),
                            utm_medium: field("utm_medium"),
                            utm_campaign: field("utm_campaign"),
                            utm_term: field("utm_term"),
                            utm_content: field("utm_content"),
                            click_id,
                            referrer_host: field("referrer_host"),
                            referrer_group: field("referrer_group"),
                            landing_path: field("landing_path"),
                        };
                        let numbers = match get(it, "numbers") {
                            Some(n) => {
                                r.at_key("numbers", |r| r.numbers(n, region, &targets, &pools))
                            }
                            None => Vec::new(),
                        };
                        sources.push(SourceRule {
                            name,
                            matcher,
                            numbers,
                        });
                    })
                });
            }
        }
        let default = get(doc, "default")
            .map(|d| self.at_key("default", |r| r.numbers(d, region, &targets, &pools)));

        let mut triggers = Vec::new();
        if let Some(Value::Array(items)) = get(doc, "triggers") {
            for (i, t) in items.iter().enumerate() {
                let source = text(t, "source");
                if let Some(s) = &source {
                    if !sources.iter().any(|r| r.name == *s) {
                        self.at_key("triggers", |r| {
                            r.at_index(i, |r| {
                                r.at_key("source", |r| {
                                    let hint = suggest(s, sources.iter().map(|r| r.name.as_str()));
                                    r.err("no source rule with this name", Some(hint))
                                })
                            })
                        });
                    }
                }
                triggers.push(Trigger {
                    name: text(t, "name").unwrap_or_default(),
                    page: text(t, "page"),
                    dwell_seconds: get(t, "dwell_seconds").and_then(Value::as_u32),
                    revisits: get(t, "revisits").and_then(Value::as_u32),
                    source,
                    once: if choice(t, "once", &["page_view", "session"], 0) == 1 {
                        TriggerOnce::Session
                    } else {
                        TriggerOnce::PageView
                    },
                });
            }
        }

        let none = Value::Null;
        let a = get(doc, "attribution").unwrap_or(&none);
        let attribution = Attribution {
            model: if choice(a, "model", &["first_touch", "last_touch"], 1) == 0 {
                AttributionModel::FirstTouch
            } else {
                AttributionModel::LastTouch
            },
            days: whole(a, "days", 30),
        };
        let l = get(doc, "leads").unwrap_or(&none);
        let defaults = Leads::default();
        let leads = Leads {
            forms: text(l, "forms").unwrap_or(defaults.forms),
            email_param: text(l, "email_param").unwrap_or(defaults.email_param),
            send: if choice(l, "send", &["raw", "hashed"], 0) == 1 {
                LeadSend::Hashed
            } else {
                LeadSend::Raw
            },
        };
        let p = get(doc, "privacy").unwrap_or(&none);
        let privacy = Privacy {
            consent: if choice(p, "consent", &["required", "not_required"], 1) == 0 {
                Consent::Required
            } else {
                Consent::NotRequired
            },
            respect_gpc: flag(p, "respect_gpc", true),
            respect_dnt: flag(p, "respect_dnt", true),
        };
        let t = get(doc, "tracking").unwrap_or(&none);
        let tracking = Tracking {
            strip_params: strings(get(t, "strip_params")),
            hash_routing: flag(t, "hash_routing", false),
            session_minutes: whole(t, "session_minutes", 30),
            min_engaged_ms: whole(t, "min_engaged_ms", 1000),
            allow_automation: flag(t, "allow_automation", false),
            allow_localhost: flag(t, "allow_localhost", false),
        };

        Config {
            site,
            region: region.unwrap_or(Region::JP),
            targets,
            sources,
            default,
            pools,
            attribution,
            noswap: strings(get(doc, "noswap")),
            triggers,
            leads,
            privacy,
            tracking,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JP: &str = r#"{
      "site": "acme-jp",
      "region": "JP",
      "targets": ["03-1234-5678", "0120-111-222"],
      "pools": {"organic": {"numbers": ["03-5555-0001", "03-5555-0002"], "fallback": "03-5555-0000"}},
      "sources": [
        {"name": "google-ads", "match": {"click_id": ["gclid", "gbraid", "wbraid"]},
         "numbers": {"0312345678": "03-9999-0001", "0120-111-222": "0120-999-001"}},
        {"name": "newsletter", "match": {"utm_source": "newsletter", "utm_medium": ["email", "mail"]},
         "numbers": {"03-1234-5678": "050-1111-2222"}},
        {"name": "organic", "match": {"referrer_group": "search"},
         "numbers": {"03-1234-5678": {"pool": "organic"}}}
      ],
      "default": {"03-1234-5678": "03-9999-0000"},
      "attribution": {"model": "first_touch", "days": 90},
      "noswap": [".legal"],
      "triggers": [{"name": "pricing-chat", "page": "/pricing*", "dwell_seconds": 30, "once": "session"}],
      "leads": {"forms": "form.contact", "send": "hashed"},
      "privacy": {"consent": "required", "respect_dnt": false},
      "tracking": {"strip_params": ["token"], "allow_automation": true}
    }"#;

    #[test]
    fn full_config_parses() {
        let c = Config::from_json(JP).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.site, "acme-jp");
        assert_eq!(c.region, Region::JP);
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.sources[0].numbers.len(), 2);
        assert_eq!(c.sources[0].matcher.click_id, ["gclid", "gbraid", "wbraid"]);
        assert_eq!(c.sources[1].matcher.utm_medium, ["email", "mail"]);
        assert_eq!(
            c.sources[2].numbers,
            vec![(0, NumberChoice::Pool("organic".into()))]
        );
        assert_eq!(c.pool("organic").unwrap().idle_minutes, 15);
        assert_eq!(
            c.attribution,
            Attribution {
                model: AttributionModel::FirstTouch,
                days: 90
            }
        );
        assert_eq!(c.triggers[0].once, TriggerOnce::Session);
        assert_eq!(c.leads.send, LeadSend::Hashed);
        assert_eq!(c.leads.email_param, "rt_lid");
        assert_eq!(c.privacy.consent, Consent::Required);
        assert!(c.privacy.respect_gpc && !c.privacy.respect_dnt);
        assert!(c.tracking.allow_automation);
        assert_eq!(c.numbers_for(None).unwrap().len(), 1);
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = Config::from_json(r#"{"site":"a","region":"us","targets":["(415) 555-0100"]}"#)
            .unwrap();
        assert_eq!(c.attribution, Attribution::default());
        assert_eq!(c.tracking, Tracking::default());
        assert!(c.sources.is_empty() && c.default.is_none());
    }

    fn errors(text: &str) -> Vec<String> {
        Config::from_json(text)
            .unwrap_err()
            .iter()
            .map(ConfigError::describe)
            .collect()
    }

    #[test]
    fn every_error_names_its_path() {
        let base = r#""site":"a","region":"JP","targets":["03-1234-5678"]"#;
        let cases: &[(&str, &str)] = &[
            (r#"{"site": 1}"#, "site: expected a string, found a number"),
            ("[1]", "expected an object, found an array"),
            (r#"{"site":"a","region":"JP"}"#, "targets: required (the site's own numbers, as displayed)"),
            (r#"{"site":"A b","region":"JP","targets":["03-1234-5678"]}"#, "site: use lowercase letters, digits, '-' and '_' (at most 64)"),
            (r#"{"site":"a","region":"XX","targets":["03-1234-5678"]}"#, "region: unsupported region (one of JP, US, CA, GB, FR, DE)"),
            (r#"{"site":"a","region":"JP","targets":["03-1234-5678"],"sorces":[]}"#, "sorces: unknown field \"sorces\" (did you mean \"sources\"?)"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","numbers":{{}}}},{{"name":"y","match":{{"utm_source":5}},"numbers":{{}}}}]}}"#),
             "sources[1].match.utm_source: expected a string or a list of strings, found a number"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","match":{{"utm_sorce":"g"}},"numbers":{{}}}}]}}"#),
             "sources[0].match.utm_sorce: unknown field \"utm_sorce\" (did you mean \"utm_source\"?)"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","match":{{"click_id":["gclid","glcid"]}},"numbers":{{}}}}]}}"#),
             "sources[0].match.click_id[1]: unknown click id (did you mean \"gclid\"?)"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","match":{{"referrer_group":"serch"}},"numbers":{{}}}}]}}"#),
             "sources[0].match.referrer_group: unknown referrer group (did you mean \"search\"?)"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","numbers":{{"03-0000-0000":"03-9999-0001"}}}}]}}"#),
             "sources[0].numbers[\"03-0000-0000\"]: not one of the targets (use a number listed in \"targets\")"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","numbers":{{"03-1234-5678":{{"pool":"nope"}}}}}}]}}"#),
             "sources[0].numbers[\"03-1234-5678\"].pool: no such pool (expected one of: )"),
            (&format!(r#"{{{base},"sources":[{{"match":{{}},"numbers":{{}}}}]}}"#),
             "sources[0].name: required (shown in reports, e.g. \"google-ads\")"),
            (&format!(r#"{{{base},"sources":[{{"name":"x","numbers":{{}}}},{{"name":"x","numbers":{{}}}}]}}"#),
             "sources[1].name: duplicate source name"),
            (&format!(r#"{{{base},"attribution":{{"model":"first","days":30}}}}"#),
             "attribution.model: unknown value \"first\" (expected one of: first_touch, last_touch)"),
            (&format!(r#"{{{base},"attribution":{{"days":-1}}}}"#),
             "attribution.days: expected a whole number from 0 to 730"),
            (&format!(r#"{{{base},"attribution":{{"days":"30"}}}}"#),
             "attribution.days: expected a whole number, found a string"),
            (&format!(r#"{{{base},"pools":{{"p":{{"numbers":[]}}}}}}"#), "pools.p.numbers: must not be empty"),
            (&format!(r#"{{{base},"pools":{{"p":{{"numbers":["03-5555-0001"]}}}}}}"#),
             "pools.p.fallback: required (shown when the pool is exhausted or the collector is slow)"),
            (&format!(r#"{{{base},"triggers":[{{"name":"t","source":"ads"}}]}}"#),
             "triggers[0].source: no source rule with this name (expected one of: )"),
            (&format!(r#"{{{base},"privacy":{{"respect_gpc":"yes"}}}}"#),
             "privacy.respect_gpc: expected true or false, found a string"),
            (&format!(r#"{{{base},"tracking":{{"session_minutes":0}}}}"#),
             "tracking.session_minutes: expected a whole number from 1 to 1440"),
            (r#"{"site":"a","region":"JP","targets":["03-1234-5678",]}"#,
             "targets: invalid JSON at line 1 column 53: trailing comma before ']'"),
            (r#"{"site":"a","region":"JP","targets":["hello"]}"#,
             "targets[0]: not a phone number: expected 7 to 13 digits (write it as displayed, e.g. \"03-1234-5678\" or \"+1 415 555 0100\")"),
        ];
        for (text, want) in cases {
            let got = errors(text);
            assert!(
                got.iter().any(|g| g == want),
                "{text}\n want: {want}\n got: {got:?}"
            );
        }
    }

    #[test]
    fn collects_several_errors_at_once() {
        let got = errors(r#"{"site": 1, "region": 2, "targets": 3, "extra": 4}"#);
        assert_eq!(got.len(), 4, "{got:?}");
    }
}
