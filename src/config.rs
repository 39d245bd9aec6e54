//! The marketer's JSON config: the model and its validation.
//!
//! One parser serves the snippet (in the browser), the collector and the `ringtrail check` CLI, so
//! the rules a marketer writes mean the same thing everywhere. Parsing is hand-written on top of
//! [`crate::json`] rather than serde: serde's derive and error formatting would double the wasm
//! (see `DESIGN.md`, size facts). Every error carries the JSON path it is about.
//!
//! The JSON Schema published in `schema/config.schema.json` is generated from these types
//! (feature `schema`), and a test checks the example configs against both.


use crate::phone::{PhoneNumber, Region};

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
    #[cfg_attr(feature = "schema", schemars(default, with = "Option<NumberMapSchema>"))]
    pub default: Option<NumberMap>,
    /// Visitor-level number pools by name.
    #[cfg_attr(feature = "schema", schemars(default, with = "std::collections::BTreeMap<String, Pool>"))]
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
    "gclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid", "ttclid", "li_fat_id",
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
        Attribution { model: AttributionModel::LastTouch, days: 30 }
    }
}

/// Which touch wins when a visitor comes back from another source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(JsonSchema), serde(rename_all = "snake_case"))]
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
#[cfg_attr(feature = "schema", derive(JsonSchema), serde(rename_all = "snake_case"))]
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
#[cfg_attr(feature = "schema", derive(JsonSchema), serde(rename_all = "snake_case"))]
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
    /// When true, nothing is stored or sent until `ringtrail('consent', true)`.
    pub consent_required: bool,
    /// Honour Global Privacy Control (default true): no stored ids, no events.
    pub respect_gpc: bool,
    /// Honour Do Not Track (default true).
    pub respect_dnt: bool,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy { consent_required: false, respect_gpc: true, respect_dnt: true }
    }
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
