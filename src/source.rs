//! Traffic source and attribution: what brought the visitor, and which source rule applies.
//!
//! Pure and clock-free: the web layer passes `location.href`, `document.referrer`,
//! `location.hostname`, the stored touch and the time.
//!
//! # API
//! - [`Touch`]: one arrival (utm_* values, ad click id, referrer host and [`Group`], landing
//!   path, time, rule name). [`Touch::from_visit`] reads it from the page URL and referrer;
//!   [`Touch::encode`] / [`Touch::decode`] store it as a compact string (bad input → `None`).
//! - [`referrer_group`]: search, social, email, paid, referral or direct.
//! - [`resolve`]: the touch to use and store, given the stored one and the [`Attribution`]
//!   (first/last touch, days). A direct visit (or internal navigation) never replaces a stored
//!   source; a new ad click always does; a stored touch expires after `days`.
//! - [`match_rule`]: the first [`SourceRule`] whose `match` holds for a touch.
//! - [`attribute`]: all of the above in one call, for the web layer.
//! - [`pattern_matches`]: the config's text patterns (ASCII case-insensitive, `*` wildcard).
//!
//! # Example
//! ```
//! use ringtrail::config::{Attribution, SourceMatch, SourceRule};
//! use ringtrail::source::{attribute, Group, Touch};
//!
//! let rules = vec![SourceRule {
//!     name: "google-ads".into(),
//!     matcher: SourceMatch { click_id: vec!["gclid".into()], ..Default::default() },
//!     numbers: vec![],
//! }];
//! let day = 86_400_000;
//! // First page: an ad click. Store `touch.encode()`.
//! let (touch, rule) = attribute(
//!     "", "https://example.com/lp?gclid=abc", "https://www.google.com/", "example.com",
//!     &rules, &Attribution::default(), 1_000,
//! );
//! assert_eq!((touch.group, rule, touch.rule.as_str()), (Group::Paid, Some(0), "google-ads"));
//! let stored = touch.encode();
//! // Two days later the visitor comes back directly: still the ad click.
//! let (touch, rule) = attribute(
//!     &stored, "https://example.com/", "", "example.com",
//!     &rules, &Attribution::default(), 1_000 + 2 * day,
//! );
//! assert_eq!((touch.click_value.as_str(), rule), ("abc", Some(0)));
//! assert_eq!(Touch::decode(&stored).as_ref(), Some(&touch));
//! ```

use crate::config::{Attribution, AttributionModel, SourceMatch, SourceRule, CLICK_IDS};
use crate::prelude::*;
use crate::url;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// Longest value kept for one field (bytes, cut at a character boundary): bounds storage.
const MAX_FIELD: usize = 512;

/// Where a visitor came from, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Group {
    /// A search engine.
    Search,
    /// A social network or messaging app.
    Social,
    /// A webmail or mail app, or `utm_medium=email`.
    Email,
    /// An ad: a click id, `utm_medium` cpc/ppc/paid*/display, or an ad server referrer.
    Paid,
    /// Any other site, or a tagged link from an unknown medium.
    Referral,
    /// No referrer and no tags (typed, bookmarked, or the referrer was withheld).
    #[default]
    Direct,
}

impl Group {
    /// The name used in configs and events (`search`, ..., see `config::REFERRER_GROUPS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Search => "search",
            Group::Social => "social",
            Group::Email => "email",
            Group::Paid => "paid",
            Group::Referral => "referral",
            Group::Direct => "direct",
        }
    }

    /// Parses a name written by [`Group::as_str`].
    pub fn parse(name: &str) -> Option<Group> {
        Some(match name {
            "search" => Group::Search,
            "social" => Group::Social,
            "email" => Group::Email,
            "paid" => Group::Paid,
            "referral" => Group::Referral,
            "direct" => Group::Direct,
            _ => return None,
        })
    }
}

/// One arrival on the site: what we know about where the visitor came from.
/// Text fields are empty when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Touch {
    /// `utm_source`, as in the URL (decoded).
    pub utm_source: String,
    /// `utm_medium`.
    pub utm_medium: String,
    /// `utm_campaign`.
    pub utm_campaign: String,
    /// `utm_term`.
    pub utm_term: String,
    /// `utm_content`.
    pub utm_content: String,
    /// Name of the ad click id parameter (`gclid`, one of `config::CLICK_IDS`).
    pub click_id: String,
    /// Its value.
    pub click_value: String,
    /// Referrer host, lowercased; empty for direct visits and internal navigation.
    pub referrer_host: String,
    /// Referrer group.
    pub group: Group,
    /// Landing page path, percent-decoded (`/lp/spring`); `/` when the URL has none.
    pub landing_path: String,
    /// When the visitor arrived, ms since the Unix epoch.
    pub at_ms: u64,
    /// Name of the source rule that matched (filled by [`attribute`]); empty: none.
    pub rule: String,
}

impl Touch {
    /// Reads a touch from the page URL and the referrer. A referrer on `site_host` (compared
    /// without port and a leading `www.`) is internal navigation: it counts as no referrer.
    /// The first `utm_*` of each name and the first known click id with a value are kept;
    /// parameter names compare ASCII case-insensitively.
    pub fn from_visit(page_url: &str, referrer: &str, site_host: &str, now_ms: u64) -> Touch {
        let page = url::split(page_url);
        let mut t = Touch {
            at_ms: now_ms,
            ..Touch::default()
        };
        for (name, value) in url::query_pairs(page.query) {
            if value.is_empty() {
                continue;
            }
            // Field index as in `texts_mut`: the five utm_* first, click id value at 6.
            let i = match UTM_PARAMS
                .iter()
                .position(|n| n.eq_ignore_ascii_case(&name))
            {
                Some(i) => i,
                None => match CLICK_IDS.iter().find(|n| n.eq_ignore_ascii_case(&name)) {
                    Some(&c) if t.click_id.is_empty() => {
                        t.click_id = c.into();
                        6
                    }
                    _ => continue,
                },
            };
            if let Some(field) = t.texts_mut().into_iter().nth(i) {
                if field.is_empty() {
                    *field = bounded(&value);
                }
            }
        }
        let host = url::host(referrer);
        if !same_site(&host, site_host) {
            t.referrer_host = bounded(&host);
        }
        let path = url::percent_decode(page.path, false);
        t.landing_path = if path.is_empty() {
            "/".into()
        } else {
            bounded(&path)
        };
        t.group = referrer_group(&t.referrer_host, &t.utm_medium, !t.click_id.is_empty());
        if t.group == Group::Direct && (!t.utm_source.is_empty() || !t.utm_campaign.is_empty()) {
            // Tagged but with no medium or referrer we know: a campaign all the same.
            t.group = Group::Referral;
        }
        t
    }

    /// The text fields in encoding order (see [`Touch::encode`]).
    fn texts(&self) -> [&String; 10] {
        [
            &self.utm_source,
            &self.utm_medium,
            &self.utm_campaign,
            &self.utm_term,
            &self.utm_content,
            &self.click_id,
            &self.click_value,
            &self.referrer_host,
            &self.landing_path,
            &self.rule,
        ]
    }

    /// [`Touch::texts`], mutable.
    fn texts_mut(&mut self) -> [&mut String; 10] {
        [
            &mut self.utm_source,
            &mut self.utm_medium,
            &mut self.utm_campaign,
            &mut self.utm_term,
            &mut self.utm_content,
            &mut self.click_id,
            &mut self.click_value,
            &mut self.referrer_host,
            &mut self.landing_path,
            &mut self.rule,
        ]
    }

    /// True when this touch says nothing about a source: no referrer (or internal), no tags,
    /// no click id. Such a touch never replaces a stored one.
    pub fn is_direct(&self) -> bool {
        self.group == Group::Direct && self.texts()[..6].iter().all(|f| f.is_empty())
    }

    /// A compact string for storage: `1|at_ms|group|utm_source|utm_medium|utm_campaign|
    /// utm_term|utm_content|click_id|click_value|referrer_host|landing_path|rule`, with `%`
    /// and `|` in values written `%25` and `%7C`.
    pub fn encode(&self) -> String {
        let fields = self.texts();
        let mut out = String::with_capacity(32 + fields.iter().map(|f| f.len()).sum::<usize>());
        out.push_str(ENCODING_VERSION);
        out.push('|');
        push_u64(&mut out, self.at_ms);
        out.push('|');
        out.push_str(self.group.as_str());
        for f in fields {
            out.push('|');
            for c in f.chars() {
                match c {
                    '%' => out.push_str("%25"),
                    '|' => out.push_str("%7C"),
                    c => out.push(c),
                }
            }
        }
        out
    }

    /// Reads a string written by [`Touch::encode`]. Anything else (another version, a field
    /// missing or extra, a bad number or group, an unknown click id) is `None`, never a panic.
    pub fn decode(s: &str) -> Option<Touch> {
        let mut it = s.split('|');
        if it.next()? != ENCODING_VERSION {
            return None;
        }
        let at_ms = parse_u64(it.next()?)?;
        let group = Group::parse(it.next()?)?;
        let mut t = Touch {
            group,
            at_ms,
            ..Touch::default()
        };
        for f in t.texts_mut() {
            *f = url::percent_decode(it.next()?, false).into_owned();
        }
        if it.next().is_some() || !(t.click_id.is_empty() || CLICK_IDS.contains(&&*t.click_id)) {
            return None;
        }
        Some(t)
    }
}

const ENCODING_VERSION: &str = "1";

/// The utm parameters, in `Touch::texts` order.
const UTM_PARAMS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// `s` cut to at most [`MAX_FIELD`] bytes at a character boundary.
fn bounded(s: &str) -> String {
    let mut end = s.len().min(MAX_FIELD);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].into()
}

/// Appends decimal digits without `core::fmt` (size: see DESIGN.md).
fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

/// Parses ASCII decimal digits (no sign, no spaces); `None` on anything else or overflow.
fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, c| {
        if c.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        } else {
            None
        }
    })
}

/// Host without port, trailing dot and leading `www.`, for comparing sites.
fn bare_host(h: &str) -> &str {
    let h = match h.rfind(':') {
        Some(i) if !h[i..].contains(']') => &h[..i],
        _ => h,
    };
    let h = h.strip_suffix('.').unwrap_or(h);
    match h.get(..4) {
        Some(w) if w.eq_ignore_ascii_case("www.") => &h[4..],
        _ => h,
    }
}

/// True when `referrer_host` is the site itself (ignoring case, port and `www.`).
fn same_site(referrer_host: &str, site_host: &str) -> bool {
    let r = bare_host(referrer_host);
    !r.is_empty() && r.eq_ignore_ascii_case(bare_host(site_host))
}

/// `utm_medium` patterns → group, checked before the referrer host (explicit tags win).
const MEDIUM_GROUPS: &[(&str, Group)] = &[
    ("cpc", Group::Paid),
    ("ppc", Group::Paid),
    ("cpm", Group::Paid),
    ("cpv", Group::Paid),
    ("cpa", Group::Paid),
    ("paid*", Group::Paid),
    ("display", Group::Paid),
    ("banner", Group::Paid),
    ("retargeting", Group::Paid),
    ("email", Group::Email),
    ("e-mail", Group::Email),
    ("e_mail", Group::Email),
    ("e mail", Group::Email),
    ("mail", Group::Email),
    ("newsletter*", Group::Email),
    ("social*", Group::Social),
    ("sm", Group::Social),
    ("sns", Group::Social),
    ("organic", Group::Search),
];

/// Referrer host patterns → group, first match wins (matched with [`host_pattern_matches`]:
/// `*.x.com` also matches `x.com`, and a leading `www.` in the host is optional).
/// Android apps send `android-app://<package>/` as referrer; their package is the host.
const HOST_GROUPS: &[(&str, Group)] = &[
    // Ad servers.
    ("*.googleadservices.com", Group::Paid),
    ("*.doubleclick.net", Group::Paid),
    ("*.googlesyndication.com", Group::Paid),
    // Search engines.
    ("google.*", Group::Search),
    ("com.google.android.googlequicksearchbox", Group::Search),
    ("*.bing.com", Group::Search),
    ("search.yahoo.*", Group::Search),
    ("*.search.yahoo.*", Group::Search),
    ("search.naver.com", Group::Search),
    ("*.search.naver.com", Group::Search),
    ("duckduckgo.com", Group::Search),
    ("*.baidu.com", Group::Search),
    ("yandex.*", Group::Search),
    ("ya.ru", Group::Search),
    ("ecosia.org", Group::Search),
    ("search.brave.com", Group::Search),
    ("startpage.com", Group::Search),
    ("*.qwant.com", Group::Search),
    ("*.ask.com", Group::Search),
    ("search.daum.net", Group::Search),
    ("*.seznam.cz", Group::Search),
    ("go.mail.ru", Group::Search),
    ("*.sogou.com", Group::Search),
    ("*.so.com", Group::Search),
    ("coccoc.com", Group::Search),
    ("kagi.com", Group::Search),
    // Webmail and mail apps.
    ("*.mail.*", Group::Email),
    ("*.webmail.*", Group::Email),
    ("outlook.live.com", Group::Email),
    ("outlook.office.com", Group::Email),
    ("outlook.office365.com", Group::Email),
    ("com.google.android.gm", Group::Email),
    ("com.microsoft.office.outlook", Group::Email),
    ("com.yahoo.mobile.client.android.mail", Group::Email),
    // Social networks, video and messaging.
    ("*.facebook.com", Group::Social),
    ("fb.me", Group::Social),
    ("com.facebook.*", Group::Social),
    ("*.instagram.com", Group::Social),
    ("com.instagram.android", Group::Social),
    ("t.co", Group::Social),
    ("*.twitter.com", Group::Social),
    ("x.com", Group::Social),
    ("com.twitter.android", Group::Social),
    ("*.linkedin.com", Group::Social),
    ("lnkd.in", Group::Social),
    ("com.linkedin.android", Group::Social),
    ("*.tiktok.com", Group::Social),
    ("com.zhiliaoapp.musically", Group::Social),
    ("*.youtube.com", Group::Social),
    ("youtu.be", Group::Social),
    ("com.google.android.youtube", Group::Social),
    ("*.line.me", Group::Social),
    ("jp.naver.line.android", Group::Social),
    ("blog.naver.com", Group::Social),
    ("cafe.naver.com", Group::Social),
    ("*.pinterest.*", Group::Social),
    ("*.reddit.com", Group::Social),
    ("*.threads.net", Group::Social),
    ("bsky.app", Group::Social),
    ("*.ameblo.jp", Group::Social),
    ("*.vk.com", Group::Social),
];

/// The group of an arrival, from the referrer host (lowercased, as [`url::host`] gives it),
/// `utm_medium` and whether an ad click id was present. In order: a click id or a paid
/// medium is `paid`; an email/social/organic medium gives its group; then the referrer host
/// tables (ad servers, search engines incl. Google, Bing, Yahoo! JAPAN, Naver, DuckDuckGo,
/// Baidu, Yandex, Ecosia; webmail; social incl. Facebook, Instagram, X/t.co, LinkedIn, TikTok,
/// YouTube, LINE); any other referrer or medium is `referral`; nothing is `direct`.
pub fn referrer_group(host: &str, utm_medium: &str, has_click_id: bool) -> Group {
    if has_click_id {
        return Group::Paid;
    }
    if !utm_medium.is_empty() {
        if let Some(&(_, g)) = MEDIUM_GROUPS
            .iter()
            .find(|(p, _)| pattern_matches(p, utm_medium))
        {
            return g;
        }
    }
    if !host.is_empty() {
        if let Some(&(_, g)) = HOST_GROUPS
            .iter()
            .find(|(p, _)| host_pattern_matches(p, host))
        {
            return g;
        }
    }
    if host.is_empty() && utm_medium.is_empty() {
        Group::Direct
    } else {
        Group::Referral
    }
}

/// The touch to use for this page and to store: `current` unless a still valid `stored` one
/// should be kept. A stored touch is valid for `attribution.days` days from its `at_ms`
/// (0 days: never kept). Then:
/// - a current touch with a new ad click id replaces it, whatever the model (the same click
///   seen again, e.g. on reload, keeps the stored one);
/// - a direct current touch (incl. internal navigation) never replaces it;
/// - a stored direct touch is replaced by any other (direct is no source, even first);
/// - otherwise `first_touch` keeps the stored one and `last_touch` takes the current one.
pub fn resolve(
    stored: Option<Touch>,
    current: Touch,
    attribution: &Attribution,
    now_ms: u64,
) -> Touch {
    let window = u64::from(attribution.days) * DAY_MS;
    // A time beyond now + window is not a clock skew but garbage: drop it too.
    let valid = |s: &Touch| {
        now_ms < s.at_ms.saturating_add(window) && s.at_ms <= now_ms.saturating_add(window)
    };
    let Some(stored) = stored.filter(valid) else {
        return current;
    };
    if !current.click_id.is_empty() {
        let same_click =
            stored.click_id == current.click_id && stored.click_value == current.click_value;
        return if same_click { stored } else { current };
    }
    if current.is_direct() {
        return stored;
    }
    if stored.is_direct() {
        // A direct arrival says nothing about the source: the first real one replaces it.
        return current;
    }
    match attribution.model {
        AttributionModel::FirstTouch => stored,
        AttributionModel::LastTouch => current,
    }
}

/// Index of the first rule whose `match` holds for `touch`; `None` when none does (the
/// config's `default` numbers apply, or the site's own).
pub fn match_rule(rules: &[SourceRule], touch: &Touch) -> Option<usize> {
    rules.iter().position(|r| matches(&r.matcher, touch))
}

/// True when every condition of `m` holds for `touch`. An empty list is no condition; a list
/// holds when any pattern matches. An absent value (empty field) matches no pattern, not even
/// `*`: `utm_source: "*"` means "has a utm_source".
pub fn matches(m: &SourceMatch, t: &Touch) -> bool {
    let f = t.texts();
    let conditions: [Condition; 9] = [
        (&m.utm_source, f[0], pattern_matches),
        (&m.utm_medium, f[1], pattern_matches),
        (&m.utm_campaign, f[2], pattern_matches),
        (&m.utm_term, f[3], pattern_matches),
        (&m.utm_content, f[4], pattern_matches),
        (&m.click_id, f[5], pattern_matches),
        (&m.referrer_host, &t.referrer_host, host_pattern_matches),
        (&m.referrer_group, t.group.as_str(), pattern_matches),
        (&m.landing_path, &t.landing_path, path_pattern_matches),
    ];
    conditions.iter().all(|&(patterns, value, matcher)| {
        patterns.is_empty() || (!value.is_empty() && patterns.iter().any(|p| matcher(p, value)))
    })
}

/// One condition of a [`SourceMatch`]: its patterns, the touch's value, how they compare.
type Condition<'a> = (&'a [String], &'a str, fn(&str, &str) -> bool);

/// [`pattern_matches`] for paths: a trailing `/` is optional (`/pricing` matches `/pricing/`).
pub fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    pattern_matches(pattern, path)
        || path.len() > 1
            && path
                .strip_suffix('/')
                .is_some_and(|p| pattern_matches(pattern, p))
}

/// Matches `text` against a config pattern: ASCII case-insensitive, `*` matches any run of
/// characters (including none and including `.` and `/`); everything else is literal.
///
/// ```
/// use ringtrail::source::pattern_matches;
/// assert!(pattern_matches("spring_*", "Spring_Sale"));
/// assert!(pattern_matches("*.google.*", "www.google.co.jp"));
/// assert!(!pattern_matches("cpc", "cpc2"));
/// ```
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more byte and retry after it.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// [`pattern_matches`] for hosts: a leading `www.` in the host is optional (`google.com`
/// matches `www.google.com`), and a pattern `*.x` also matches `x` itself.
pub fn host_pattern_matches(pattern: &str, host: &str) -> bool {
    let www_less = match host.get(..4) {
        Some(w) if w.eq_ignore_ascii_case("www.") => Some(&host[4..]),
        _ => None,
    };
    let bare_pattern = pattern.strip_prefix("*.");
    [Some(pattern), bare_pattern]
        .into_iter()
        .flatten()
        .any(|p| pattern_matches(p, host) || www_less.is_some_and(|h| pattern_matches(p, h)))
}

/// One call for the web layer: reads the current touch, resolves it against the stored one
/// (as written by [`Touch::encode`]; empty or garbage counts as none), matches the rules and
/// records the winning rule's name in the touch. Store `touch.encode()`; use the index to
/// pick the rule's numbers (`None`: the config's `default`, or the site's own numbers).
pub fn attribute(
    stored: &str,
    page_url: &str,
    referrer: &str,
    site_host: &str,
    rules: &[SourceRule],
    attribution: &Attribution,
    now_ms: u64,
) -> (Touch, Option<usize>) {
    let current = Touch::from_visit(page_url, referrer, site_host, now_ms);
    let mut touch = resolve(Touch::decode(stored), current, attribution, now_ms);
    let rule = match_rule(rules, &touch);
    touch.rule = rule.map(|i| rules[i].name.clone()).unwrap_or_default();
    (touch, rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Group::*;

    const SITE: &str = "www.example.com";

    #[test]
    fn group_table() {
        // page URL (query only, on SITE), referrer, expected group
        let cases: &[(&str, &str, Group)] = &[
            // Search engines.
            ("/", "https://www.google.com/", Search),
            ("/", "https://www.google.co.jp/", Search),
            ("/", "https://google.de/", Search),
            (
                "/",
                "android-app://com.google.android.googlequicksearchbox/",
                Search,
            ),
            ("/", "https://www.bing.com/search?q=x", Search),
            ("/", "https://cn.bing.com/", Search),
            ("/", "https://search.yahoo.co.jp/", Search),
            ("/", "https://search.yahoo.com/", Search),
            ("/", "https://uk.search.yahoo.com/", Search),
            ("/", "https://m.search.naver.com/", Search),
            ("/", "https://search.naver.com/search.naver?query=x", Search),
            ("/", "https://duckduckgo.com/", Search),
            ("/", "https://www.baidu.com/link?url=x", Search),
            ("/", "https://m.baidu.com/", Search),
            ("/", "https://yandex.ru/", Search),
            ("/", "https://yandex.com.tr/", Search),
            ("/", "https://www.ecosia.org/", Search),
            ("/", "https://search.brave.com/", Search),
            ("/", "https://go.mail.ru/", Search),
            (
                "/?utm_medium=organic&utm_source=newsletter-partner",
                "",
                Search,
            ),
            // Social.
            ("/", "https://l.facebook.com/", Social),
            ("/", "https://lm.facebook.com/l.php?u=x", Social),
            ("/", "https://m.facebook.com/", Social),
            ("/", "https://www.facebook.com/", Social),
            ("/", "android-app://com.facebook.katana/", Social),
            ("/", "https://l.instagram.com/", Social),
            ("/", "https://www.instagram.com/", Social),
            ("/", "https://t.co/x", Social),
            ("/", "https://x.com/", Social),
            ("/", "https://twitter.com/", Social),
            ("/", "https://mobile.twitter.com/", Social),
            ("/", "https://www.linkedin.com/", Social),
            ("/", "https://lnkd.in/abc", Social),
            ("/", "https://www.tiktok.com/", Social),
            ("/", "https://www.youtube.com/", Social),
            ("/", "https://m.youtube.com/", Social),
            ("/", "https://line.me/", Social),
            ("/", "https://liff.line.me/123", Social),
            ("/", "android-app://jp.naver.line.android/", Social),
            ("/", "https://blog.naver.com/someone", Social),
            ("/", "https://www.pinterest.co.uk/", Social),
            ("/?utm_source=fb&utm_medium=social", "", Social),
            ("/?utm_medium=SNS", "", Social),
            // Email.
            ("/", "https://mail.google.com/", Email),
            ("/", "android-app://com.google.android.gm/", Email),
            ("/", "https://outlook.live.com/", Email),
            ("/", "https://outlook.office.com/", Email),
            ("/", "https://mail.yahoo.co.jp/", Email),
            ("/", "https://us.mail.yahoo.com/", Email),
            ("/", "https://e.mail.ru/", Email),
            ("/", "https://webmail.example.net/", Email),
            ("/?utm_medium=email&utm_source=spring", "", Email),
            ("/?utm_medium=E-Mail", "https://www.google.com/", Email),
            ("/?utm_medium=newsletter_weekly", "", Email),
            // Paid.
            ("/?gclid=abc", "https://www.google.com/", Paid),
            ("/?gbraid=abc", "", Paid),
            ("/?wbraid=abc", "", Paid),
            ("/?fbclid=IwAR", "https://l.facebook.com/", Paid),
            ("/?msclkid=1", "https://www.bing.com/", Paid),
            ("/?yclid=1", "https://yandex.ru/", Paid),
            ("/?ttclid=1", "", Paid),
            ("/?li_fat_id=1", "https://www.linkedin.com/", Paid),
            ("/?GCLID=abc", "", Paid),
            (
                "/?utm_medium=cpc&utm_source=google",
                "https://www.google.com/",
                Paid,
            ),
            ("/?utm_medium=PPC", "", Paid),
            ("/?utm_medium=paid_social", "https://l.facebook.com/", Paid),
            ("/?utm_medium=paidsearch", "", Paid),
            ("/?utm_medium=display", "", Paid),
            ("/", "https://www.googleadservices.com/pagead/aclk", Paid),
            ("/", "https://ad.doubleclick.net/", Paid),
            // Referral.
            ("/", "https://news.example.org/article", Referral),
            ("/", "https://docs.google.com/", Referral),
            ("/", "https://news.yahoo.co.jp/", Referral),
            ("/", "https://shop.example.com/", Referral), // a subdomain is another site
            ("/", "https://googleblog.example/", Referral),
            ("/?utm_source=partner", "", Referral),
            ("/?utm_campaign=spring", "", Referral),
            ("/?utm_medium=qr", "", Referral),
            (
                "/?utm_medium=affiliate",
                "https://blog.example.org/",
                Referral,
            ),
            // Direct and internal navigation.
            ("/", "", Direct),
            ("/", "about:blank", Direct),
            ("/?gclid=", "", Direct),
            ("/?utm_source=", "", Direct),
            ("/?x=1", "   ", Direct),
            ("/", "https://www.example.com/other", Direct),
            ("/", "https://example.com/other", Direct),
            ("/", "https://WWW.Example.COM:443/", Direct),
        ];
        assert!(cases.len() >= 40);
        for &(page, referrer, want) in cases {
            let page_url = ["https://www.example.com", page].concat();
            let t = Touch::from_visit(&page_url, referrer, SITE, 7);
            assert_eq!(t.group, want, "page {page:?}, referrer {referrer:?}: {t:?}");
        }
    }

    #[test]
    fn referrer_group_direct_calls() {
        assert_eq!(referrer_group("", "", false), Direct);
        assert_eq!(referrer_group("", "", true), Paid);
        assert_eq!(referrer_group("www.google.co.jp", "", false), Search);
        assert_eq!(referrer_group("WWW.GOOGLE.COM", "", false), Search);
        assert_eq!(referrer_group("www.google.co.jp", "cpc", false), Paid);
        assert_eq!(referrer_group("l.facebook.com", "email", false), Email);
        assert_eq!(referrer_group("unknown.example", "", false), Referral);
        assert_eq!(referrer_group("", "unknown", false), Referral);
    }

    #[test]
    fn from_visit_fields() {
        let t = Touch::from_visit(
            "https://www.example.com/lp/%E6%98%A5/?utm_source=Google&utm_medium=cpc&utm_campaign=spring+sale\
             &utm_term=%E9%9D%B4&utm_content=ad%201&utm_source=second&fbclid=F&gclid=G&rt_lid=9#x",
            "https://www.google.co.jp/",
            "example.com",
            1234,
        );
        let want = Touch {
            utm_source: "Google".into(),
            utm_medium: "cpc".into(),
            utm_campaign: "spring sale".into(),
            utm_term: "靴".into(),
            utm_content: "ad 1".into(),
            click_id: "fbclid".into(),
            click_value: "F".into(),
            referrer_host: "www.google.co.jp".into(),
            group: Paid,
            landing_path: "/lp/春/".into(),
            at_ms: 1234,
            rule: String::new(),
        };
        assert_eq!(t, want);

        let t = Touch::from_visit("https://example.com", "", "example.com:8080", 0);
        assert_eq!((t.landing_path.as_str(), t.group), ("/", Direct));
        assert!(t.is_direct());

        let long = ["/?utm_campaign=", &"あ".repeat(400)].concat();
        let t = Touch::from_visit(&long, "", SITE, 0);
        assert!(t.utm_campaign.len() <= MAX_FIELD && t.utm_campaign.len() > MAX_FIELD - 3);
    }

    fn rule(name: &str, m: SourceMatch) -> SourceRule {
        SourceRule {
            name: name.into(),
            matcher: m,
            numbers: Vec::new(),
        }
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pattern_table() {
        let cases = [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything/at all", true),
            ("google", "Google", true),
            ("GOOGLE", "google", true),
            ("google", "googles", false),
            ("google*", "googles", true),
            ("*sale", "spring_sale", true),
            ("*sale", "sale_spring", false),
            ("spring_*_2026", "Spring_Big_Sale_2026", true),
            ("spring_*_2026", "spring__2026", true),
            ("spring_*_2026", "spring_2026", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "abcabc", true),
            ("a*b*c", "acb", false),
            ("**", "x", true),
            ("*.google.*", "www.google.co.jp", true),
            ("/lp/*", "/lp/a/b", true),
            ("/lp/*", "/lp", false),
            ("春*", "春のセール", true),
            ("ÄB", "äb", false),   // ASCII case-insensitive only
            ("a?c", "abc", false), // `?` is literal
        ];
        for (p, t, want) in cases {
            assert_eq!(pattern_matches(p, t), want, "pattern_matches({p:?}, {t:?})");
        }
        let hosts = [
            ("google.com", "www.google.com", true),
            ("*.google.com", "google.com", true),
            ("*.google.com", "ads.google.com", true),
            ("*.google.*", "www.google.co.jp", true),
            ("*.google.*", "google.com", true),
            ("www.google.com", "google.com", false),
            ("example.com", "news.example.com", false),
            ("*example.com", "badexample.com", true),
        ];
        for (p, h, want) in hosts {
            assert_eq!(
                host_pattern_matches(p, h),
                want,
                "host_pattern_matches({p:?}, {h:?})"
            );
        }
    }

    #[test]
    fn rule_table() {
        let rules = vec![
            rule(
                "google-ads",
                SourceMatch {
                    click_id: v(&["gclid", "gbraid", "wbraid"]),
                    ..Default::default()
                },
            ),
            rule(
                "spring-fb",
                SourceMatch {
                    utm_source: v(&["facebook", "fb", "ig"]),
                    utm_campaign: v(&["spring_*"]),
                    ..Default::default()
                },
            ),
            rule(
                "any-ad",
                SourceMatch {
                    click_id: v(&["*"]),
                    ..Default::default()
                },
            ),
            rule(
                "newsletter",
                SourceMatch {
                    referrer_group: v(&["email"]),
                    ..Default::default()
                },
            ),
            rule(
                "yahoo-jp-lp",
                SourceMatch {
                    referrer_host: v(&["*.yahoo.co.jp"]),
                    landing_path: v(&["/lp/*", "/pricing"]),
                    ..Default::default()
                },
            ),
            rule(
                "organic",
                SourceMatch {
                    referrer_group: v(&["Search"]),
                    ..Default::default()
                },
            ),
            rule(
                "google-any",
                SourceMatch {
                    referrer_host: v(&["google.*"]),
                    ..Default::default()
                },
            ),
            rule(
                "has-term",
                SourceMatch {
                    utm_term: v(&["*"]),
                    ..Default::default()
                },
            ),
            rule(
                "qr",
                SourceMatch {
                    utm_medium: v(&["qr"]),
                    utm_content: v(&["poster-*"]),
                    ..Default::default()
                },
            ),
            rule(
                "direct",
                SourceMatch {
                    referrer_group: v(&["direct"]),
                    ..Default::default()
                },
            ),
        ];
        let by_name = |name: &str| rules.iter().position(|r| r.name == name);
        // page, referrer, expected rule name ("" = none)
        let cases = [
            ("/?gclid=1", "https://www.google.com/", "google-ads"),
            ("/?WBRAID=1", "", "google-ads"),
            ("/?utm_source=FB&utm_campaign=Spring_Sale", "", "spring-fb"),
            ("/?utm_source=ig&utm_campaign=spring_", "", "spring-fb"),
            ("/?utm_source=fb&utm_campaign=summer", "", ""), // AND: campaign fails, nothing else
            ("/?utm_source=twitter&utm_campaign=spring_x", "", ""),
            (
                "/?utm_source=fb&utm_campaign=spring_x&fbclid=1",
                "",
                "spring-fb",
            ), // order
            ("/?fbclid=1", "https://l.facebook.com/", "any-ad"),
            ("/", "https://mail.google.com/", "newsletter"),
            ("/lp/a", "https://search.yahoo.co.jp/", "yahoo-jp-lp"),
            ("/pricing/", "https://search.yahoo.co.jp/", "yahoo-jp-lp"),
            ("/about", "https://search.yahoo.co.jp/", "organic"),
            ("/", "https://www.bing.com/", "organic"),
            ("/", "https://docs.google.com/", ""), // google.* needs the bare host (or www.)
            ("/?utm_term=shoes", "", "has-term"),
            ("/?utm_term=", "", "direct"),
            ("/?utm_medium=QR&utm_content=poster-station", "", "qr"),
            ("/?utm_medium=qr&utm_content=flyer", "", ""),
            ("/", "", "direct"),
            ("/", "https://www.example.com/", "direct"),
            ("/", "https://blog.example.org/", ""),
        ];
        for (page, referrer, want) in cases {
            let t = Touch::from_visit(
                &["https://www.example.com", page].concat(),
                referrer,
                SITE,
                0,
            );
            let want = if want.is_empty() { None } else { by_name(want) };
            assert_eq!(
                match_rule(&rules, &t),
                want,
                "page {page:?}, referrer {referrer:?}"
            );
        }
        assert_eq!(match_rule(&[], &Touch::default()), None);
        let empty = [rule("all", SourceMatch::default())];
        assert_eq!(match_rule(&empty, &Touch::default()), Some(0));
    }

    fn visit(page: &str, referrer: &str, at_ms: u64) -> Touch {
        Touch::from_visit(
            &["https://www.example.com", page].concat(),
            referrer,
            SITE,
            at_ms,
        )
    }

    #[test]
    fn persistence_table() {
        let first = Attribution {
            model: AttributionModel::FirstTouch,
            days: 30,
        };
        let last = Attribution {
            model: AttributionModel::LastTouch,
            days: 30,
        };
        let none = Attribution {
            model: AttributionModel::LastTouch,
            days: 0,
        };
        let t0 = 1_700_000_000_000u64;
        let d = DAY_MS;
        let organic = ("/", "https://www.google.com/");
        let email = ("/?utm_medium=email&utm_campaign=may", "");
        let ad = ("/?gclid=A", "https://www.google.com/");
        let ad2 = ("/?gclid=B", "https://www.google.com/");
        let fb_ad = ("/?fbclid=F", "https://l.facebook.com/");
        let direct = ("/", "");
        let internal = ("/next", "https://www.example.com/");
        let referral = ("/", "https://blog.example.org/");
        // stored ((page, referrer), at), current (page, referrer), model, now, winner
        type Visit = (&'static str, &'static str);
        type Case = (Option<(Visit, u64)>, Visit, Attribution, u64, &'static str);
        let cases: &[Case] = &[
            (None, organic, first, t0, "current"),
            (None, direct, last, t0, "current"),
            // Direct and internal never overwrite, whatever the model.
            (Some((email, t0)), direct, last, t0 + d, "stored"),
            (Some((email, t0)), direct, first, t0 + d, "stored"),
            (Some((ad, t0)), internal, last, t0 + 1000, "stored"),
            (Some((organic, t0)), internal, last, t0 + 1000, "stored"),
            (Some((direct, t0)), direct, last, t0 + d, "stored"),
            // First vs last touch between campaigns.
            (Some((organic, t0)), email, first, t0 + d, "stored"),
            (Some((organic, t0)), email, last, t0 + d, "current"),
            (Some((ad, t0)), organic, first, t0 + d, "stored"),
            (Some((ad, t0)), organic, last, t0 + d, "current"),
            (Some((email, t0)), referral, first, t0 + d, "stored"),
            (Some((email, t0)), referral, last, t0 + d, "current"),
            (Some((direct, t0)), organic, first, t0 + d, "current"),
            (Some((direct, t0)), internal, first, t0 + d, "stored"),
            (Some((direct, t0)), organic, last, t0 + d, "current"),
            // A new paid click overwrites whatever the model; the same click again does not.
            (Some((organic, t0)), ad, first, t0 + d, "current"),
            (Some((ad, t0)), ad2, first, t0 + d, "current"),
            (Some((ad, t0)), fb_ad, first, t0 + d, "current"),
            (Some((ad, t0)), ad, first, t0 + d, "stored"),
            (Some((ad, t0)), ad, last, t0 + d, "stored"),
            // Expiry after `days`.
            (Some((email, t0)), direct, last, t0 + 30 * d - 1, "stored"),
            (Some((email, t0)), direct, last, t0 + 30 * d, "current"),
            (Some((organic, t0)), email, first, t0 + 31 * d, "current"),
            (Some((email, t0)), direct, none, t0, "current"),
            (Some((email, t0)), internal, none, t0 + 1, "current"),
            // Clock skew: slightly in the future is kept, absurdly far is dropped.
            (Some((email, t0 + d)), direct, last, t0, "stored"),
            (Some((email, t0 + 400 * d)), direct, last, t0, "current"),
            (Some((email, u64::MAX)), direct, last, t0, "current"),
        ];
        for (i, &(stored, current, attribution, now, want)) in cases.iter().enumerate() {
            let stored = stored.map(|((p, r), at)| visit(p, r, at));
            let current = visit(current.0, current.1, now);
            let got = resolve(stored.clone(), current.clone(), &attribution, now);
            let want = if want == "stored" {
                stored.unwrap()
            } else {
                current
            };
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn attribute_across_pages() {
        let rules = vec![
            rule(
                "ads",
                SourceMatch {
                    click_id: v(&["*"]),
                    ..Default::default()
                },
            ),
            rule(
                "mail",
                SourceMatch {
                    referrer_group: v(&["email"]),
                    ..Default::default()
                },
            ),
        ];
        let attr = Attribution {
            model: AttributionModel::FirstTouch,
            days: 30,
        };
        let go = |stored: &str, page: &str, referrer: &str, now: u64| {
            attribute(
                stored,
                &["https://example.com", page].concat(),
                referrer,
                "example.com",
                &rules,
                &attr,
                now,
            )
        };
        let (t, r) = go("", "/?utm_medium=email", "", 10);
        assert_eq!((r, t.rule.as_str()), (Some(1), "mail"));
        let (t, r) = go(
            &t.encode(),
            "/next",
            "https://example.com/?utm_medium=email",
            20,
        );
        assert_eq!((r, t.at_ms, t.landing_path.as_str()), (Some(1), 10, "/"));
        let (t, r) = go(&t.encode(), "/x?msclkid=M", "https://www.bing.com/", 30);
        assert_eq!(
            (r, t.rule.as_str(), t.landing_path.as_str()),
            (Some(0), "ads", "/x")
        );
        let (t, r) = go("garbage", "/", "", 40);
        assert_eq!((r, t.rule.as_str(), t.group), (None, "", Direct));
    }

    #[test]
    fn encode_round_trip() {
        let full = Touch {
            utm_source: "a|b%c".into(),
            utm_medium: "%7C".into(),
            utm_campaign: "春 セール".into(),
            utm_term: "%".into(),
            utm_content: "||".into(),
            click_id: "li_fat_id".into(),
            click_value: "x=y&z".into(),
            referrer_host: "www.google.co.jp".into(),
            group: Paid,
            landing_path: "/lp/a|b".into(),
            at_ms: u64::MAX,
            rule: "rule %25 name".into(),
        };
        let touches = [
            Touch::default(),
            full,
            visit(
                "/?utm_source=x&gclid=G",
                "https://www.google.com/",
                1_700_000_000_123,
            ),
            visit("/", "android-app://com.google.android.gm/", 0),
        ];
        for t in touches {
            let s = t.encode();
            assert_eq!(s.matches('|').count(), 12, "{s}");
            assert_eq!(Touch::decode(&s), Some(t.clone()), "{s}");
        }
        assert_eq!(Touch::default().encode(), "1|0|direct||||||||||");
        let t = Touch {
            at_ms: 1234567890,
            group: Social,
            utm_source: "a|b".into(),
            ..Touch::default()
        };
        assert_eq!(t.encode(), "1|1234567890|social|a%7Cb|||||||||");
    }

    #[test]
    fn decode_garbage() {
        let good = "1|5|search|s|m|c|t|x|gclid|v|www.google.com|/|r";
        assert!(Touch::decode(good).is_some());
        let bad = [
            "",
            "1",
            "1|",
            "garbage",
            "{\"utm_source\":\"x\"}",
            "2|5|search|s|m|c|t|x|gclid|v|www.google.com|/|r", // other version
            "1|5|search|s|m|c|t|x|gclid|v|www.google.com|/",   // field missing
            "1|5|search|s|m|c|t|x|gclid|v|www.google.com|/|r|extra",
            "1|-5|search|s|m|c|t|x|gclid|v|h|/|r",
            "1| 5|search|s|m|c|t|x|gclid|v|h|/|r",
            "1||search|s|m|c|t|x|gclid|v|h|/|r",
            "1|99999999999999999999|search|s|m|c|t|x|gclid|v|h|/|r", // overflow
            "1|5|Search|s|m|c|t|x|gclid|v|h|/|r",
            "1|5|nope|s|m|c|t|x|gclid|v|h|/|r",
            "1|5|search|s|m|c|t|x|evilclid|v|h|/|r",
            "1|5|search|s|m|c|t|x|gclid|v|h|/|r\u{0}|",
        ];
        for s in bad {
            assert_eq!(Touch::decode(s), None, "{s:?}");
        }
        // Odd but harmless escapes decode without panicking.
        let odd = Touch::decode("1|5|search|%|%zz|%FF|%E3%81|é|||||").unwrap();
        assert_eq!(
            (odd.utm_source.as_str(), odd.utm_medium.as_str()),
            ("%", "%zz")
        );
        assert_eq!(
            (odd.utm_campaign.as_str(), odd.utm_term.as_str()),
            ("%FF", "%E3%81")
        );
        // Every prefix of a valid encoding is rejected or decodes; none panics.
        let s = visit("/lp/春?utm_source=%7C&gclid=G", "https://t.co/x", 42).encode();
        for (i, _) in s.char_indices() {
            let _ = Touch::decode(&s[..i]);
        }
    }

    #[test]
    fn group_names_match_config() {
        for name in crate::config::REFERRER_GROUPS {
            assert_eq!(Group::parse(name).map(Group::as_str), Some(*name));
        }
    }
}
