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
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
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
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
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
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
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
#[cfg_attr(feature = "schema", derive(JsonSchema), schemars(deny_unknown_fields))]
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
        let mut r = Reader { errors: Vec::new() };
        let config = r.config(&doc);
        match config {
            Some(c) if r.errors.is_empty() => Ok(c),
            _ => Err(r.errors),
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

const TOP_KEYS: &[&str] = &[
    "$schema",
    "site",
    "region",
    "targets",
    "sources",
    "default",
    "pools",
    "attribution",
    "noswap",
    "triggers",
    "leads",
    "privacy",
    "tracking",
];
const RULE_KEYS: &[&str] = &["name", "match", "numbers"];
const MATCH_KEYS: &[&str] = &[
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "click_id",
    "referrer_host",
    "referrer_group",
    "landing_path",
];
const POOL_KEYS: &[&str] = &["numbers", "fallback", "idle_minutes"];
const ATTRIBUTION_KEYS: &[&str] = &["model", "days"];
const TRIGGER_KEYS: &[&str] = &[
    "name",
    "page",
    "dwell_seconds",
    "revisits",
    "source",
    "once",
];
const LEADS_KEYS: &[&str] = &["forms", "email_param", "send"];
const PRIVACY_KEYS: &[&str] = &["consent", "respect_gpc", "respect_dnt"];
const TRACKING_KEYS: &[&str] = &[
    "strip_params",
    "hash_routing",
    "session_minutes",
    "min_engaged_ms",
    "allow_automation",
    "allow_localhost",
];

fn child(path: &str, key: &str) -> String {
    let mut p = String::from(path);
    json::push_key(&mut p, key);
    p
}

fn item(path: &str, i: usize) -> String {
    let mut p = String::from(path);
    json::push_index(&mut p, i);
    p
}

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
fn suggest(word: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .filter(|k| !k.starts_with('$'))
        .min_by_key(|k| distance(word, k));
    match best {
        Some(k) if distance(word, k) <= 2.max(word.len() / 3) => {
            let mut s = String::from("did you mean ");
            json::write_str(&mut s, k);
            s.push('?');
            s
        }
        _ => {
            let mut s = String::from("expected one of: ");
            let mut first = true;
            for k in known.iter().filter(|k| !k.starts_with('$')) {
                if !first {
                    s.push_str(", ");
                }
                first = false;
                s.push_str(k);
            }
            s
        }
    }
}

struct Reader {
    errors: Vec<ConfigError>,
}

impl Reader {
    fn err(&mut self, path: &str, message: &str, hint: Option<String>) {
        self.errors.push(ConfigError {
            path: path.into(),
            message: message.into(),
            hint,
        });
    }

    fn expected(&mut self, path: &str, what: &str, found: &Value) {
        let mut m = String::from("expected ");
        m.push_str(what);
        m.push_str(", found ");
        m.push_str(found.kind());
        self.err(path, &m, None);
    }

    /// The members of an object whose keys are names (pools), not fields.
    fn members<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v [(String, Value)]> {
        match v {
            Value::Object(fields) => Some(fields),
            _ => {
                self.expected(path, "an object", v);
                None
            }
        }
    }

    /// The members of an object, reporting unknown keys.
    fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
    ) -> Option<&'v [(String, Value)]> {
        let Value::Object(fields) = v else {
            self.expected(path, "an object", v);
            return None;
        };
        for (k, _) in fields {
            if !known.contains(&k.as_str()) {
                let mut m = String::from("unknown field ");
                json::write_str(&mut m, k);
                let hint = Some(suggest(k, known));
                self.err(&child(path, k), &m, hint);
            }
        }
        Some(fields)
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) if s.trim().is_empty() => {
                self.err(path, "must not be empty", None);
                None
            }
            Value::String(s) => Some(s.trim().into()),
            _ => {
                self.expected(path, "a string", v);
                None
            }
        }
    }

    fn whole(&mut self, v: &Value, path: &str, min: u32, max: u32) -> Option<u32> {
        match v.as_u32() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) | None if matches!(v, Value::Number(_)) => {
                let mut m = String::from("expected a whole number from ");
                json::push_u64(&mut m, u64::from(min));
                m.push_str(" to ");
                json::push_u64(&mut m, u64::from(max));
                self.err(path, &m, None);
                None
            }
            _ => {
                self.expected(path, "a whole number", v);
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value, path: &str) -> Option<bool> {
        let b = v.as_bool();
        if b.is_none() {
            self.expected(path, "true or false", v);
        }
        b
    }

    fn choice(&mut self, v: &Value, path: &str, words: &[&str]) -> Option<usize> {
        let s = self.string(v, path)?;
        let found = words.iter().position(|w| *w == s);
        if found.is_none() {
            let mut m = String::from("unknown value ");
            json::write_str(&mut m, &s);
            self.err(path, &m, Some(suggest(&s, words)));
        }
        found
    }

    /// A string or a list of strings.
    fn patterns(&mut self, v: &Value, path: &str) -> Vec<String> {
        match v {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    if let Some(s) = self.string(it, &item(path, i)) {
                        out.push(s);
                    }
                }
                if items.is_empty() {
                    self.err(
                        path,
                        "must not be empty",
                        Some("leave the field out to match anything".into()),
                    );
                }
                out
            }
            Value::String(_) => self.string(v, path).into_iter().collect(),
            _ => {
                self.expected(path, "a string or a list of strings", v);
                Vec::new()
            }
        }
    }

    fn phone(&mut self, v: &Value, path: &str, region: Option<Region>) -> Option<Replacement> {
        let written = self.string(v, path)?;
        let region = region?;
        match PhoneNumber::parse(&written, region) {
            Ok(number) => Some(Replacement { written, number }),
            Err(why) => {
                let mut m = String::from("not a phone number: ");
                m.push_str(why);
                self.err(
                    path,
                    &m,
                    Some(
                        "write it as displayed, e.g. \"03-1234-5678\" or \"+1 415 555 0100\""
                            .into(),
                    ),
                );
                None
            }
        }
    }

    fn config(&mut self, doc: &Value) -> Option<Config> {
        let fields = self.object(doc, "", TOP_KEYS)?;
        let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v);

        let site = match get("site") {
            None => {
                self.err(
                    "site",
                    "required",
                    Some("a short id such as \"acme-jp\"".into()),
                );
                None
            }
            Some(v) => self.string(v, "site").filter(|s| {
                let ok = s.len() <= 64
                    && s.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                    });
                if !ok {
                    self.err(
                        "site",
                        "use lowercase letters, digits, '-' and '_' (at most 64)",
                        None,
                    );
                }
                ok
            }),
        };
        let region = match get("region") {
            None => {
                self.err(
                    "region",
                    "required",
                    Some("the country of national numbers, e.g. \"JP\" or \"US\"".into()),
                );
                None
            }
            Some(v) => self.string(v, "region").and_then(|s| {
                let r = Region::from_code(&s);
                if r.is_none() {
                    self.err(
                        "region",
                        "unsupported region",
                        Some("one of JP, US, CA, GB, FR, DE".into()),
                    );
                }
                r
            }),
        };

        let mut targets: Vec<Target> = Vec::new();
        match get("targets") {
            None => self.err(
                "targets",
                "required",
                Some("the site's own numbers, as displayed".into()),
            ),
            Some(Value::Array(items)) if items.is_empty() => {
                self.err("targets", "must not be empty", None)
            }
            Some(Value::Array(items)) => {
                for (i, it) in items.iter().enumerate() {
                    let path = item("targets", i);
                    if let Some(r) = self.phone(it, &path, region) {
                        if targets.iter().any(|t| t.number == r.number) {
                            self.err(&path, "duplicate target", None);
                        } else {
                            targets.push(Target {
                                written: r.written,
                                number: r.number,
                            });
                        }
                    }
                }
            }
            Some(v) => self.expected("targets", "a list of phone numbers", v),
        }

        // Pools first: number maps refer to them by name.
        let mut pools: Vec<(String, Pool)> = Vec::new();
        if let Some(v) = get("pools") {
            for (name, pv) in self.members(v, "pools").unwrap_or_default() {
                let path = child("pools", name);
                if let Some(p) = self.pool(pv, &path, region) {
                    pools.push((name.clone(), p));
                }
            }
        }

        let mut sources: Vec<SourceRule> = Vec::new();
        if let Some(v) = get("sources") {
            match v {
                Value::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        let path = item("sources", i);
                        if let Some(rule) = self.rule(it, &path, region, &targets, &pools) {
                            if sources.iter().any(|r| r.name == rule.name) {
                                self.err(&child(&path, "name"), "duplicate source name", None);
                            }
                            sources.push(rule);
                        }
                    }
                }
                _ => self.expected("sources", "a list of source rules", v),
            }
        }
        let default =
            get("default").and_then(|v| self.numbers(v, "default", region, &targets, &pools));

        let attribution =
            get("attribution").map_or(Some(Attribution::default()), |v| self.attribution(v));
        let noswap = get("noswap").map_or(Vec::new(), |v| self.patterns(v, "noswap"));
        let mut triggers = Vec::new();
        if let Some(v) = get("triggers") {
            match v {
                Value::Array(items) => {
                    for (i, it) in items.iter().enumerate() {
                        if let Some(t) = self.trigger(it, &item("triggers", i), &sources) {
                            triggers.push(t);
                        }
                    }
                }
                _ => self.expected("triggers", "a list of triggers", v),
            }
        }
        let leads = get("leads").map_or(Some(Leads::default()), |v| self.leads(v));
        let privacy = get("privacy").map_or(Some(Privacy::default()), |v| self.privacy(v));
        let tracking = get("tracking").map_or(Some(Tracking::default()), |v| self.tracking(v));

        Some(Config {
            site: site?,
            region: region?,
            targets,
            sources,
            default,
            pools,
            attribution: attribution?,
            noswap,
            triggers,
            leads: leads?,
            privacy: privacy?,
            tracking: tracking?,
        })
    }

    fn pool(&mut self, v: &Value, path: &str, region: Option<Region>) -> Option<Pool> {
        let fields = self.object(v, path, POOL_KEYS)?;
        let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let mut numbers = Vec::new();
        let np = child(path, "numbers");
        match get("numbers") {
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, it) in items.iter().enumerate() {
                    let ip = item(&np, i);
                    if let Some(r) = self.phone(it, &ip, region) {
                        if numbers.iter().any(|n: &Replacement| n.number == r.number) {
                            self.err(&ip, "duplicate number in the pool", None);
                        } else {
                            numbers.push(r);
                        }
                    }
                }
            }
            Some(Value::Array(_)) => self.err(&np, "must not be empty", None),
            Some(other) => self.expected(&np, "a list of phone numbers", other),
            None => self.err(&np, "required", None),
        }
        let fp = child(path, "fallback");
        let fallback = match get("fallback") {
            Some(f) => self.phone(f, &fp, region),
            None => {
                self.err(
                    &fp,
                    "required",
                    Some("shown when the pool is exhausted or the collector is slow".into()),
                );
                None
            }
        };
        let idle_minutes = match get("idle_minutes") {
            Some(m) => self.whole(m, &child(path, "idle_minutes"), 1, 1440)?,
            None => 15,
        };
        Some(Pool {
            numbers,
            fallback: fallback?,
            idle_minutes,
        })
    }

    fn numbers(
        &mut self,
        v: &Value,
        path: &str,
        region: Option<Region>,
        targets: &[Target],
        pools: &[(String, Pool)],
    ) -> Option<NumberMap> {
        let members = self.members(v, path)?;
        let mut map: NumberMap = Vec::new();
        for (key, nv) in members {
            let kp = child(path, key);
            let target = region
                .and_then(|r| PhoneNumber::parse(key, r).ok())
                .and_then(|n| targets.iter().position(|t| t.number == n));
            let Some(ti) = target else {
                if !targets.is_empty() {
                    self.err(
                        &kp,
                        "not one of the targets",
                        Some("use a number listed in \"targets\"".into()),
                    );
                }
                continue;
            };
            if map.iter().any(|(t, _)| *t == ti) {
                self.err(&kp, "target given twice", None);
                continue;
            }
            let choice = match nv {
                Value::Object(_) => {
                    let fields = self.object(nv, &kp, &["pool"]);
                    let name = fields
                        .and_then(|f| f.iter().find(|(k, _)| k == "pool"))
                        .map(|(_, v)| v);
                    let pp = child(&kp, "pool");
                    match name {
                        None => {
                            self.err(&pp, "required", None);
                            None
                        }
                        Some(n) => self.string(n, &pp).and_then(|n| {
                            if pools.iter().any(|(p, _)| *p == n) {
                                Some(NumberChoice::Pool(n))
                            } else {
                                let names: Vec<&str> =
                                    pools.iter().map(|(p, _)| p.as_str()).collect();
                                self.err(&pp, "no such pool", Some(suggest(&n, &names)));
                                None
                            }
                        }),
                    }
                }
                _ => self.phone(nv, &kp, region).map(NumberChoice::Fixed),
            };
            if let Some(c) = choice {
                map.push((ti, c));
            }
        }
        Some(map)
    }

    fn rule(
        &mut self,
        v: &Value,
        path: &str,
        region: Option<Region>,
        targets: &[Target],
        pools: &[(String, Pool)],
    ) -> Option<SourceRule> {
        let fields = self.object(v, path, RULE_KEYS)?;
        let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let np = child(path, "name");
        let name = match get("name") {
            Some(n) => self.string(n, &np),
            None => {
                self.err(
                    &np,
                    "required",
                    Some("shown in reports, e.g. \"google-ads\"".into()),
                );
                None
            }
        };
        let matcher = match get("match") {
            Some(m) => self.matcher(m, &child(path, "match")),
            None => Some(SourceMatch::default()),
        };
        let nmp = child(path, "numbers");
        let numbers = match get("numbers") {
            Some(n) => self.numbers(n, &nmp, region, targets, pools),
            None => {
                self.err(
                    &nmp,
                    "required",
                    Some("target → tracking number, or {\"pool\": NAME}".into()),
                );
                None
            }
        };
        Some(SourceRule {
            name: name?,
            matcher: matcher?,
            numbers: numbers?,
        })
    }

    fn matcher(&mut self, v: &Value, path: &str) -> Option<SourceMatch> {
        let fields = self.object(v, path, MATCH_KEYS)?;
        let mut m = SourceMatch::default();
        for (k, fv) in fields {
            let p = child(path, k);
            let slot = match k.as_str() {
                "utm_source" => &mut m.utm_source,
                "utm_medium" => &mut m.utm_medium,
                "utm_campaign" => &mut m.utm_campaign,
                "utm_term" => &mut m.utm_term,
                "utm_content" => &mut m.utm_content,
                "referrer_host" => &mut m.referrer_host,
                "landing_path" => &mut m.landing_path,
                "referrer_group" => {
                    let groups = self.patterns(fv, &p);
                    for (i, g) in groups.iter().enumerate() {
                        if !REFERRER_GROUPS.contains(&g.as_str()) {
                            let ip = if matches!(fv, Value::Array(_)) {
                                item(&p, i)
                            } else {
                                p.clone()
                            };
                            self.err(
                                &ip,
                                "unknown referrer group",
                                Some(suggest(g, REFERRER_GROUPS)),
                            );
                        }
                    }
                    m.referrer_group = groups;
                    continue;
                }
                "click_id" => {
                    m.click_id = match fv {
                        Value::Bool(true) => CLICK_IDS.iter().map(|s| (*s).into()).collect(),
                        Value::Bool(false) => {
                            self.err(&p, "use true, a click id name, or a list of them", None);
                            Vec::new()
                        }
                        _ => {
                            let ids = self.patterns(fv, &p);
                            for (i, id) in ids.iter().enumerate() {
                                if !CLICK_IDS.contains(&id.as_str()) {
                                    let ip = if matches!(fv, Value::Array(_)) {
                                        item(&p, i)
                                    } else {
                                        p.clone()
                                    };
                                    self.err(&ip, "unknown click id", Some(suggest(id, CLICK_IDS)));
                                }
                            }
                            ids
                        }
                    };
                    continue;
                }
                _ => continue, // reported by `object`
            };
            *slot = self.patterns(fv, &p);
        }
        Some(m)
    }

    fn attribution(&mut self, v: &Value) -> Option<Attribution> {
        let fields = self.object(v, "attribution", ATTRIBUTION_KEYS)?;
        let mut a = Attribution::default();
        for (k, fv) in fields {
            match k.as_str() {
                "model" => {
                    a.model = match self.choice(
                        fv,
                        "attribution.model",
                        &["first_touch", "last_touch"],
                    )? {
                        0 => AttributionModel::FirstTouch,
                        _ => AttributionModel::LastTouch,
                    }
                }
                "days" => a.days = self.whole(fv, "attribution.days", 0, 730)?,
                _ => {}
            }
        }
        Some(a)
    }

    fn trigger(&mut self, v: &Value, path: &str, sources: &[SourceRule]) -> Option<Trigger> {
        let fields = self.object(v, path, TRIGGER_KEYS)?;
        let mut t = Trigger {
            name: String::new(),
            page: None,
            dwell_seconds: None,
            revisits: None,
            source: None,
            once: TriggerOnce::PageView,
        };
        let mut ok = true;
        for (k, fv) in fields {
            let p = child(path, k);
            match k.as_str() {
                "name" => t.name = self.string(fv, &p).unwrap_or_default(),
                "page" => t.page = self.string(fv, &p),
                "dwell_seconds" => t.dwell_seconds = self.whole(fv, &p, 0, 86_400),
                "revisits" => t.revisits = self.whole(fv, &p, 0, 10_000),
                "source" => {
                    t.source = self.string(fv, &p);
                    if let Some(s) = &t.source {
                        if !sources.iter().any(|r| r.name == *s) {
                            let names: Vec<&str> =
                                sources.iter().map(|r| r.name.as_str()).collect();
                            self.err(
                                &p,
                                "no source rule with this name",
                                Some(suggest(s, &names)),
                            );
                            ok = false;
                        }
                    }
                }
                "once" => {
                    t.once = match self.choice(fv, &p, &["page_view", "session"]) {
                        Some(1) => TriggerOnce::Session,
                        Some(_) => TriggerOnce::PageView,
                        None => {
                            ok = false;
                            TriggerOnce::PageView
                        }
                    }
                }
                _ => {}
            }
        }
        if t.name.is_empty() {
            if fields.iter().all(|(k, _)| k != "name") {
                self.err(&child(path, "name"), "required", None);
            }
            return None;
        }
        ok.then_some(t)
    }

    fn leads(&mut self, v: &Value) -> Option<Leads> {
        let fields = self.object(v, "leads", LEADS_KEYS)?;
        let mut l = Leads::default();
        for (k, fv) in fields {
            let p = child("leads", k);
            match k.as_str() {
                "forms" => l.forms = self.string(fv, &p)?,
                "email_param" => l.email_param = self.string(fv, &p)?,
                "send" => {
                    l.send = match self.choice(fv, &p, &["raw", "hashed"])? {
                        0 => LeadSend::Raw,
                        _ => LeadSend::Hashed,
                    }
                }
                _ => {}
            }
        }
        Some(l)
    }

    fn privacy(&mut self, v: &Value) -> Option<Privacy> {
        let fields = self.object(v, "privacy", PRIVACY_KEYS)?;
        let mut pr = Privacy::default();
        for (k, fv) in fields {
            let p = child("privacy", k);
            match k.as_str() {
                "consent" => {
                    pr.consent = match self.choice(fv, &p, &["required", "not_required"])? {
                        0 => Consent::Required,
                        _ => Consent::NotRequired,
                    }
                }
                "respect_gpc" => pr.respect_gpc = self.boolean(fv, &p)?,
                "respect_dnt" => pr.respect_dnt = self.boolean(fv, &p)?,
                _ => {}
            }
        }
        Some(pr)
    }

    fn tracking(&mut self, v: &Value) -> Option<Tracking> {
        let fields = self.object(v, "tracking", TRACKING_KEYS)?;
        let mut t = Tracking::default();
        for (k, fv) in fields {
            let p = child("tracking", k);
            match k.as_str() {
                "strip_params" => t.strip_params = self.patterns(fv, &p),
                "hash_routing" => t.hash_routing = self.boolean(fv, &p)?,
                "session_minutes" => t.session_minutes = self.whole(fv, &p, 1, 1440)?,
                "min_engaged_ms" => t.min_engaged_ms = self.whole(fv, &p, 0, 3_600_000)?,
                "allow_automation" => t.allow_automation = self.boolean(fv, &p)?,
                "allow_localhost" => t.allow_localhost = self.boolean(fv, &p)?,
                _ => {}
            }
        }
        Some(t)
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
