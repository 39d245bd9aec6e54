//! The marketer's JSON config: the model and its validation.
//!
//! One parser serves the collector, `ringtrail check` and `ringtrail compile`; the browser gets
//! the validated [`Config`] compiled (see [`crate::compiled`]), so the rules a marketer writes
//! mean the same thing everywhere and the snippet ships neither a JSON parser nor a validator.
//! Parsing is hand-written on top of [`crate::json`] (it shipped in the snippet until the
//! compiled form). Every error carries the JSON path it is about, and a hint where one helps.
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
    /// How `referrer_group` conditions classify a visit: [`source::GROUP_TABLE`] when a rule
    /// has one, else empty (the snippet then carries no table). Not written by marketers.
    ///
    /// [`source::GROUP_TABLE`]: crate::source::GROUP_TABLE
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub referrer_groups: String,
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
    /// Sessions also end at midnight in the site's time zone, given as its UTC offset
    /// (`"+09:00"`; minutes east of UTC here). Absent: only the idle timeout ends sessions.
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub session_midnight: Option<i32>,
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
            session_midnight: None,
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
            let message = e.describe();
            vec![ConfigError {
                path: e.path,
                message,
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
// Validation, in one pass: each field is read once and its shape checked where the typed config
// takes it (written when the snippet shipped this code and every byte counted). The shape of a leaf value is still described by
// a small `Kind` (one generic `check`), and each object's keys by a plain list (one generic
// unknown-field check). Errors are the same; those about shape come next to the semantic ones
// (phone numbers, references between parts) instead of all before them.
// ---------------------------------------------------------------------------------------------

/// What a leaf value must look like.
enum Kind {
    /// A non-empty string.
    Str,
    /// A string or a non-empty list of strings, each one of the words when there are any (the
    /// message names the odd one).
    Strs(&'static [&'static str], &'static str),
    /// `true` or one or more click id names.
    ClickIds,
    /// `true` / `false`.
    Bool,
    /// A whole number in the range.
    Whole(u32, u32),
    /// One of the words.
    Choice(&'static [&'static str]),
    /// Anything here: the code that reads it checks it (lists, maps, objects).
    Any,
}

const STRS: Kind = Kind::Strs(&[], "");

/// The keys each object may have, separated by spaces, in the order "did you mean" lists them.
/// One string per object rather than a slice of `&str`s: no pointer and length per key.
const TOP: &str = "$schema site region targets sources default pools attribution noswap triggers leads privacy tracking";
const MATCH: &str = "utm_source utm_medium utm_campaign utm_term utm_content click_id referrer_host referrer_group landing_path";
const RULE: &str = "name match numbers";
const POOL_REF: &str = "pool";
const POOL: &str = "numbers fallback idle_minutes";
const ATTRIBUTION: &str = "model days";
const TRIGGER: &str = "name page dwell_seconds revisits source once";
const LEADS: &str = "forms email_param send";
const PRIVACY: &str = "consent respect_gpc respect_dnt";
const TRACKING: &str = "strip_params hash_routing session_minutes min_engaged_ms allow_automation allow_localhost session_midnight";

/// `"+09:00"`, `"-0530"`, `"Z"` → minutes east of UTC (at most ±14 h).
pub fn parse_utc_offset(text: &str) -> Option<i32> {
    if text == "Z" || text == "z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, text.get(1..)?),
        b'-' => (-1, text.get(1..)?),
        _ => return None,
    };
    // Four digits, any ':' skipped, at most five bytes: read as one number `hhmm` (no `Vec` of
    // the digits, no filter iterator).
    if rest.len() > 5 {
        return None;
    }
    let (mut hhmm, mut digits) = (0, 0);
    for b in rest.bytes() {
        if b == b':' {
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        hhmm = hhmm * 10 + i32::from(b - b'0');
        digits += 1;
    }
    let (h, m) = (hhmm / 100, hhmm % 100);
    (digits == 4 && h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Levenshtein distance in chars, for "did you mean" hints on misspelt keys and names.
///
/// One row of the table, and `b` decoded again for each char of `a` (the words are short)
/// rather than collected into a `Vec<char>`: less code and one allocation.
fn distance(a: &str, b: &str) -> usize {
    // Not `chars().count()`: its fast path is large in wasm.
    let mut row: Vec<usize> = Vec::new();
    for _ in b.chars() {
        row.push(row.len() + 1);
    }
    let mut n = 0;
    for (i, ca) in a.chars().enumerate() {
        // `diag` is the cell above-left, `left` the one just computed; column 0 is `i + 1`.
        let (mut diag, mut left) = (i, i + 1);
        for (cell, cb) in row.iter_mut().zip(b.chars()) {
            let up = *cell;
            left = (diag + usize::from(ca != cb)).min(up + 1).min(left + 1);
            *cell = left;
            diag = up;
        }
        n = i + 1;
    }
    row.last().copied().unwrap_or(n)
}

/// `did you mean "utm_source"?` when a known word is close, else the list of known words.
///
/// One pass over a `dyn` iterator (the list is built while the closest word is found): one
/// copy of this code for every kind of list it is given.
fn suggest(word: &str, known: &mut dyn Iterator<Item = &str>) -> String {
    let mut list = String::from("expected one of: ");
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        if k.starts_with('$') {
            continue;
        }
        if best.is_some() {
            list.push_str(", ");
        }
        list.push_str(k);
        let d = distance(word, k);
        // The first of equally close words wins.
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, k));
        }
    }
    match best {
        Some((d, k)) if d <= 2.max(word.len() / 3) => {
            let mut s = String::from("did you mean ");
            json::write_str(&mut s, k);
            s.push('?');
            s
        }
        _ => list,
    }
}

/// What a missing object reads as.
static NULL: Value = Value::Null;

/// The strings of a `Strs` field (tolerant: anything else gives none).
fn strings(v: Option<&Value>) -> Vec<String> {
    let items = match v {
        Some(Value::Array(items)) => items.as_slice(),
        Some(one) => core::slice::from_ref(one),
        None => &[],
    };
    let mut out = Vec::new();
    for it in items {
        if let Some(s) = it.as_str() {
            out.push(s.trim().into());
        }
    }
    out
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(|s| s.trim().into())
}

/// The one pass. The path is one `String`: `enter` appends a key or index and returns the length
/// to `leave` back to. Explicit calls rather than `at_key(key, |r| ...)` closures: each closure
/// was its own copy of the code in the wasm.
struct Reader {
    errors: Vec<ConfigError>,
    /// JSON path of the value being read.
    path: String,
}

impl Reader {
    /// An error at the current path; an empty hint is none.
    fn err(&mut self, message: &str, hint: &str) {
        self.errors.push(ConfigError {
            path: self.path.clone(),
            message: message.into(),
            hint: (!hint.is_empty()).then(|| hint.into()),
        });
    }

    /// An error at `key` under the current path.
    fn err_at(&mut self, key: &str, message: &str, hint: &str) {
        let len = self.enter(key);
        self.err(message, hint);
        self.leave(len);
    }

    fn enter(&mut self, key: &str) -> usize {
        let len = self.path.len();
        json::push_key(&mut self.path, key);
        len
    }

    fn enter_index(&mut self, i: usize) -> usize {
        let len = self.path.len();
        json::push_index(&mut self.path, i);
        len
    }

    fn leave(&mut self, len: usize) {
        self.path.truncate(len);
    }

    /// The member `key` of `obj` (none when `obj` is not an object), its shape checked against
    /// `kind` at its path.
    fn at<'v>(&mut self, obj: &'v Value, key: &str, kind: &Kind) -> Option<&'v Value> {
        let v = obj.get(key)?;
        let len = self.enter(key);
        self.check(v, kind);
        self.leave(len);
        Some(v)
    }

    /// The strings at `key` of `obj`, checked as `Strs` (one call per field instead of two).
    fn patterns(&mut self, obj: &Value, key: &str) -> Vec<String> {
        strings(self.at(obj, key, &STRS))
    }

    /// The trimmed string at `key` of `obj`, checked as `Str`.
    fn text(&mut self, obj: &Value, key: &str) -> Option<String> {
        text(self.at(obj, key, &Kind::Str))
    }

    /// The whole number at `key` of `obj`, checked to be from `min` to `max`, or `default`.
    fn whole(&mut self, obj: &Value, key: &str, min: u32, max: u32, default: u32) -> u32 {
        self.at(obj, key, &Kind::Whole(min, max))
            .and_then(Value::as_u32)
            .unwrap_or(default)
    }

    /// The boolean at `key` of `obj`, or `default`.
    fn flag(&mut self, obj: &Value, key: &str, default: bool) -> bool {
        self.at(obj, key, &Kind::Bool)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    }

    /// Whether the choice at `key` of `obj`, checked to be one of `words`, is `word`; the other
    /// word, or none, is the default.
    fn is(&mut self, obj: &Value, key: &str, words: &'static [&'static str], word: &str) -> bool {
        self.at(obj, key, &Kind::Choice(words))
            .and_then(Value::as_str)
            == Some(word)
    }

    /// Like [`Reader::at`], and missing from an object is an error (an empty hint says nothing
    /// more). Missing from something else is not: that was reported as not an object.
    fn required<'v>(
        &mut self,
        obj: &'v Value,
        key: &str,
        kind: &Kind,
        hint: &str,
    ) -> Option<&'v Value> {
        let v = self.at(obj, key, kind);
        if v.is_none() && matches!(obj, Value::Object(_)) {
            self.err_at(key, "required", hint);
        }
        v
    }

    /// Checks that `v`, when given, is an object with only `known` keys; returns it, or
    /// [`NULL`] when absent (whose members all read as missing).
    fn object<'v>(&mut self, v: Option<&'v Value>, known: &str) -> &'v Value {
        let Some(v) = v else {
            return &NULL;
        };
        let Value::Object(members) = v else {
            self.expected("an object", v);
            return v;
        };
        for (k, _) in members {
            if !known.split(' ').any(|w| w == k) {
                let mut m = String::from("unknown field ");
                json::write_str(&mut m, k);
                let hint = suggest(k, &mut known.split(' '));
                self.err_at(k, &m, &hint);
            }
        }
        v
    }

    /// Enters `key` of `parent` and checks it as an object with `known` keys (see
    /// [`Reader::object`]): the object, and the path length to leave back to.
    fn open<'v>(&mut self, parent: &'v Value, key: &str, known: &str) -> (&'v Value, usize) {
        let len = self.enter(key);
        (self.object(parent.get(key), known), len)
    }

    /// The items of a list at the current path; anything else is reported as not `what`.
    fn list<'v>(&mut self, v: &'v Value, what: &str) -> &'v [Value] {
        match v {
            Value::Array(items) => items,
            _ => {
                self.expected(what, v);
                &[]
            }
        }
    }

    /// `tracking.session_midnight` (the path is at `tracking`): `"+09:00"` / `"-05:00"` / `"Z"`
    /// → minutes east of UTC.
    fn utc_offset(&mut self, v: Option<&Value>) -> Option<i32> {
        let text = v?.as_str()?.trim();
        let parsed = parse_utc_offset(text);
        if parsed.is_none() && !text.is_empty() {
            self.err_at(
                "session_midnight",
                "expected a UTC offset",
                "like \"+09:00\" or \"-05:00\"",
            );
        }
        parsed
    }

    fn expected(&mut self, what: &str, found: &Value) {
        let mut m = String::from("expected ");
        m.push_str(what);
        m.push_str(", found ");
        m.push_str(found.kind());
        self.err(&m, "");
    }

    fn non_empty_str(&mut self, v: &Value) {
        match v {
            Value::String(s) if s.trim().is_empty() => self.err("must not be empty", ""),
            Value::String(_) => {}
            _ => self.expected("a string", v),
        }
    }

    /// The shape of the leaf `v` against `kind`, reporting every mismatch.
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
                    self.err(&m, "");
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
                    self.err(&m, &suggest(s, &mut words.iter().copied()));
                }
            }
            Kind::Strs(words, message) => self.strs(v, words, message),
            Kind::ClickIds => match v {
                Value::Bool(true) => {}
                Value::Bool(false) => self.err("use true, a click id name, or a list of them", ""),
                _ => self.strs(v, CLICK_IDS, "unknown click id"),
            },
        }
    }

    /// A string or a non-empty list of strings, each one of `words` when there are any.
    fn strs(&mut self, v: &Value, words: &[&str], message: &str) {
        match v {
            Value::Array(items) if items.is_empty() => {
                self.err("must not be empty", "leave the field out to match anything")
            }
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    let len = self.enter_index(i);
                    self.word(it, words, message);
                    self.leave(len);
                }
            }
            Value::String(_) => self.word(v, words, message),
            _ => self.expected("a string or a list of strings", v),
        }
    }

    fn word(&mut self, v: &Value, words: &[&str], message: &str) {
        self.non_empty_str(v);
        if let Some(s) = v.as_str() {
            if !words.is_empty() && !words.contains(&s.trim()) {
                self.err(message, &suggest(s, &mut words.iter().copied()));
            }
        }
    }

    /// Parses a phone number (its shape is checked by the caller).
    fn phone(&mut self, v: Option<&Value>, region: Option<Region>) -> Option<Replacement> {
        let written: String = v?.as_str()?.trim().into();
        match PhoneNumber::parse(&written, region?) {
            Ok(number) => Some(Replacement { written, number }),
            Err(why) => {
                if !written.is_empty() {
                    let mut m = String::from("not a phone number: ");
                    m.push_str(why.describe());
                    self.err(
                        &m,
                        "write it as displayed, e.g. \"03-1234-5678\" or \"+1 415 555 0100\"",
                    );
                }
                None
            }
        }
    }

    /// The required, non-empty list of phone numbers at `key` of `parent`, each parsed,
    /// duplicates reported with `duplicate`.
    fn phones(
        &mut self,
        parent: &Value,
        key: &str,
        region: Option<Region>,
        duplicate: &str,
        hint: &str,
    ) -> Vec<Replacement> {
        let mut out: Vec<Replacement> = Vec::new();
        let Some(v) = self.required(parent, key, &Kind::Any, hint) else {
            return out;
        };
        let len = self.enter(key);
        let items = self.list(v, "a list of phone numbers");
        if items.is_empty() && matches!(v, Value::Array(_)) {
            self.err("must not be empty", "");
        }
        for (i, it) in items.iter().enumerate() {
            let len = self.enter_index(i);
            self.non_empty_str(it);
            if let Some(p) = self.phone(Some(it), region) {
                if out.iter().any(|o| o.number == p.number) {
                    self.err(duplicate, "");
                } else {
                    out.push(p);
                }
            }
            self.leave(len);
        }
        self.leave(len);
        out
    }

    /// The `numbers` map `v` at `key` (of a source rule, or the document's `default`).
    fn numbers(
        &mut self,
        v: &Value,
        key: &str,
        region: Option<Region>,
        targets: &[Target],
        pools: &[(String, Pool)],
    ) -> NumberMap {
        let mut map: NumberMap = Vec::new();
        let outer = self.enter(key);
        let members = match v {
            Value::Object(members) => members.as_slice(),
            _ => {
                self.expected("an object", v);
                &[]
            }
        };
        for (key, nv) in members {
            let len = self.enter(key);
            // A phone number, or `{"pool": NAME}`.
            let pool = match nv {
                Value::Object(_) => {
                    self.object(Some(nv), POOL_REF);
                    self.required(nv, "pool", &Kind::Str, "")
                }
                _ => {
                    self.non_empty_str(nv);
                    None
                }
            };
            let target = region
                .and_then(|reg| PhoneNumber::parse(key, reg).ok())
                .and_then(|n| targets.iter().position(|t| t.number == n));
            match target {
                None if !targets.is_empty() => self.err(
                    "not one of the targets",
                    "use a number listed in \"targets\"",
                ),
                None => {}
                Some(ti) if map.iter().any(|(t, _)| *t == ti) => self.err("target given twice", ""),
                Some(ti) => {
                    let choice = match pool {
                        Some(name) => name.as_str().and_then(|n| {
                            if pools.iter().any(|(p, _)| p == n) {
                                return Some(NumberChoice::Pool(n.into()));
                            }
                            let hint = suggest(n, &mut pools.iter().map(|(p, _)| p.as_str()));
                            self.err_at("pool", "no such pool", &hint);
                            None
                        }),
                        None => self.phone(Some(nv), region).map(NumberChoice::Fixed),
                    };
                    if let Some(c) = choice {
                        map.push((ti, c));
                    }
                }
            }
            self.leave(len);
        }
        self.leave(outer);
        map
    }

    fn config(&mut self, doc: &Value) -> Config {
        let doc = self.object(Some(doc), TOP);

        let site = text(self.required(doc, "site", &Kind::Str, "a short id such as \"acme-jp\""))
            .unwrap_or_default();
        if !site.is_empty()
            && (site.len() > 64
                || !site.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                }))
        {
            self.err_at(
                "site",
                "use lowercase letters, digits, '-' and '_' (at most 64)",
                "",
            );
        }
        let region_text = self
            .required(
                doc,
                "region",
                &Kind::Str,
                "the country of national numbers, e.g. \"JP\" or \"US\"",
            )
            .and_then(Value::as_str)
            .map_or("", str::trim);
        let region = Region::from_code(region_text);
        if region.is_none() && !region_text.is_empty() {
            self.err_at(
                "region",
                "unsupported region",
                "one of JP, US, CA, GB, FR, DE",
            );
        }

        let targets: Vec<Target> = self
            .phones(
                doc,
                "targets",
                region,
                "duplicate target",
                "the site's own numbers, as displayed",
            )
            .into_iter()
            .map(|p| Target {
                written: p.written,
                number: p.number,
            })
            .collect();

        let mut pools: Vec<(String, Pool)> = Vec::new();
        if let Some(v) = doc.get("pools") {
            let outer = self.enter("pools");
            let members = match v {
                Value::Object(members) => members.as_slice(),
                _ => {
                    self.expected("an object", v);
                    &[]
                }
            };
            for (name, pv) in members {
                let len = self.enter(name);
                let pv = self.object(Some(pv), POOL);
                let numbers =
                    self.phones(pv, "numbers", region, "duplicate number in the pool", "");
                let fallback = self.required(
                    pv,
                    "fallback",
                    &Kind::Str,
                    "shown when the pool is exhausted or the collector is slow",
                );
                let at = self.enter("fallback");
                let fallback = self.phone(fallback, region);
                self.leave(at);
                let idle_minutes = self.whole(pv, "idle_minutes", 1, 1440, 15);
                if let Some(fallback) = fallback {
                    pools.push((
                        name.clone(),
                        Pool {
                            numbers,
                            fallback,
                            idle_minutes,
                        },
                    ));
                }
                self.leave(len);
            }
            self.leave(outer);
        }

        let mut sources: Vec<SourceRule> = Vec::new();
        if let Some(v) = doc.get("sources") {
            let outer = self.enter("sources");
            for (i, it) in self.list(v, "a list of source rules").iter().enumerate() {
                let len = self.enter_index(i);
                let it = self.object(Some(it), RULE);
                let name = text(self.required(
                    it,
                    "name",
                    &Kind::Str,
                    "shown in reports, e.g. \"google-ads\"",
                ))
                .unwrap_or_default();
                if !name.is_empty() && sources.iter().any(|s| s.name == name) {
                    self.err_at("name", "duplicate source name", "");
                }
                let (m, at) = self.open(it, "match", MATCH);
                let click_id = match self.at(m, "click_id", &Kind::ClickIds) {
                    Some(Value::Bool(true)) => CLICK_IDS.iter().map(|s| (*s).into()).collect(),
                    v => strings(v),
                };
                let matcher = SourceMatch {
                    utm_source: self.patterns(m, "utm_source"),
                    utm_medium: self.patterns(m, "utm_medium"),
                    utm_campaign: self.patterns(m, "utm_campaign"),
                    utm_term: self.patterns(m, "utm_term"),
                    utm_content: self.patterns(m, "utm_content"),
                    click_id,
                    referrer_host: self.patterns(m, "referrer_host"),
                    referrer_group: strings(self.at(
                        m,
                        "referrer_group",
                        &Kind::Strs(REFERRER_GROUPS, "unknown referrer group"),
                    )),
                    landing_path: self.patterns(m, "landing_path"),
                };
                self.leave(at);
                let numbers = match self.required(
                    it,
                    "numbers",
                    &Kind::Any,
                    "target → tracking number, or {\"pool\": NAME}",
                ) {
                    Some(v) => self.numbers(v, "numbers", region, &targets, &pools),
                    None => Vec::new(),
                };
                self.leave(len);
                sources.push(SourceRule {
                    name,
                    matcher,
                    numbers,
                });
            }
            self.leave(outer);
        }
        let default = doc
            .get("default")
            .map(|v| self.numbers(v, "default", region, &targets, &pools));

        let mut triggers = Vec::new();
        if let Some(v) = doc.get("triggers") {
            let outer = self.enter("triggers");
            for (i, t) in self.list(v, "a list of triggers").iter().enumerate() {
                let len = self.enter_index(i);
                let t = self.object(Some(t), TRIGGER);
                let name = text(self.required(t, "name", &Kind::Str, "")).unwrap_or_default();
                let page = self.text(t, "page");
                let dwell_seconds = self
                    .at(t, "dwell_seconds", &Kind::Whole(0, 86_400))
                    .and_then(Value::as_u32);
                let revisits = self
                    .at(t, "revisits", &Kind::Whole(0, 10_000))
                    .and_then(Value::as_u32);
                let source = self.text(t, "source");
                if let Some(s) = &source {
                    if !sources.iter().any(|r| r.name == *s) {
                        let hint = suggest(s, &mut sources.iter().map(|r| r.name.as_str()));
                        self.err_at("source", "no source rule with this name", &hint);
                    }
                }
                let once = if self.is(t, "once", &["page_view", "session"], "session") {
                    TriggerOnce::Session
                } else {
                    TriggerOnce::PageView
                };
                self.leave(len);
                triggers.push(Trigger {
                    name,
                    page,
                    dwell_seconds,
                    revisits,
                    source,
                    once,
                });
            }
            self.leave(outer);
        }

        let (a, len) = self.open(doc, "attribution", ATTRIBUTION);
        let attribution = Attribution {
            model: if self.is(a, "model", &["first_touch", "last_touch"], "first_touch") {
                AttributionModel::FirstTouch
            } else {
                AttributionModel::LastTouch
            },
            days: self.whole(a, "days", 0, 730, 30),
        };
        self.leave(len);
        let noswap = self.patterns(doc, "noswap");

        let (l, len) = self.open(doc, "leads", LEADS);
        let forms = self.text(l, "forms");
        let email_param = self.text(l, "email_param");
        let leads = Leads {
            forms: forms.unwrap_or_else(|| "form[data-ringtrail-lead]".into()),
            email_param: email_param.unwrap_or_else(|| "rt_lid".into()),
            send: if self.is(l, "send", &["raw", "hashed"], "hashed") {
                LeadSend::Hashed
            } else {
                LeadSend::Raw
            },
        };
        self.leave(len);

        let (p, len) = self.open(doc, "privacy", PRIVACY);
        let privacy = Privacy {
            consent: if self.is(p, "consent", &["required", "not_required"], "required") {
                Consent::Required
            } else {
                Consent::NotRequired
            },
            respect_gpc: self.flag(p, "respect_gpc", true),
            respect_dnt: self.flag(p, "respect_dnt", true),
        };
        self.leave(len);

        let (t, len) = self.open(doc, "tracking", TRACKING);
        let midnight = self.at(t, "session_midnight", &Kind::Str);
        let tracking = Tracking {
            strip_params: self.patterns(t, "strip_params"),
            hash_routing: self.flag(t, "hash_routing", false),
            session_minutes: self.whole(t, "session_minutes", 1, 1440, 30),
            min_engaged_ms: self.whole(t, "min_engaged_ms", 0, 3_600_000, 1000),
            allow_automation: self.flag(t, "allow_automation", false),
            allow_localhost: self.flag(t, "allow_localhost", false),
            session_midnight: self.utc_offset(midnight),
        };
        self.leave(len);

        let referrer_groups = if sources.iter().any(|r| !r.matcher.referrer_group.is_empty()) {
            crate::source::GROUP_TABLE.into()
        } else {
            String::new()
        };
        Config {
            site,
            region: region.unwrap_or(Region::JP),
            targets,
            sources,
            referrer_groups,
            default,
            pools,
            attribution,
            noswap,
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
            (&format!(r#"{{{base},"triggers":[{{"name":"t","once":"daily"}}]}}"#),
             "triggers[0].once: unknown value \"daily\" (expected one of: page_view, session)"),
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
    fn session_midnight_is_a_utc_offset() {
        for (text, want) in [
            ("+09:00", Some(540)),
            ("-05:00", Some(-300)),
            ("+0530", Some(330)),
            ("Z", Some(0)),
            ("09:00", None),
            ("+9:00", None),
            ("+15:00", None),
            ("+09:60", None),
            ("Asia/Tokyo", None),
        ] {
            assert_eq!(parse_utc_offset(text), want, "{text}");
        }
        let c = Config::from_json(r#"{"site":"a","region":"JP","targets":["03-1234-5678"],"tracking":{"session_midnight":"+09:00"}}"#).unwrap();
        assert_eq!(c.tracking.session_midnight, Some(540));
        let e = errors(
            r#"{"site":"a","region":"JP","targets":["03-1234-5678"],"tracking":{"session_midnight":"Asia/Tokyo"}}"#,
        );
        assert_eq!(
            e,
            ["tracking.session_midnight: expected a UTC offset (like \"+09:00\" or \"-05:00\")"]
        );
    }

    #[test]
    fn collects_several_errors_at_once() {
        let got = errors(r#"{"site": 1, "region": 2, "targets": 3, "extra": 4}"#);
        assert_eq!(got.len(), 4, "{got:?}");
    }
}
