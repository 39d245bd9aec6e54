//! Traffic source and attribution: what brought the visitor, and which source rule applies.
//!
//! Pure and clock-free: the web layer passes `location.href`, `document.referrer`,
//! `location.hostname`, the stored touch and the time.
//!
//! # API
//! - [`Touch`]: one arrival (utm_* values, ad click id, referrer host, landing
//!   path, time, rule name). [`Touch::from_visit`] reads it from the page URL and referrer;
//!   [`Touch::encode`] / [`Touch::decode`] store it as a compact string (bad input → `None`).
//! - [`referrer_group`] / [`Touch::group`]: search, social, email, paid, referral or direct,
//!   with the [`GROUP_TABLE`] of known medium and host patterns. The collector classifies
//!   visits with it; the browser carries the table only when a source rule needs it.
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
//! use ringtrail::source::{attribute, Group, Touch, GROUP_TABLE};
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
//!     &rules, &Attribution::default(), "", 1_000,
//! );
//! assert_eq!((rule, touch.rule.as_str()), (Some(0), "google-ads"));
//! assert_eq!(touch.group(GROUP_TABLE), Group::Paid);
//! let stored = touch.encode();
//! // Two days later the visitor comes back directly: still the ad click.
//! let (touch, rule) = attribute(
//!     &stored, "https://example.com/", "", "example.com",
//!     &rules, &Attribution::default(), "", 1_000 + 2 * day,
//! );
//! assert_eq!((touch.click_value.as_str(), rule), ("abc", Some(0)));
//! assert_eq!(Touch::decode(&stored).as_ref(), Some(&touch));
//! ```

use crate::config::{
    Attribution, AttributionModel, SourceMatch, SourceRule, CLICK_IDS, REFERRER_GROUPS,
};
use crate::json::push_u64;
use crate::prelude::*;
use crate::url;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// Longest value kept for one field (bytes, cut at a character boundary): bounds storage.
const MAX_FIELD: usize = 512;

/// Where a visitor came from, broadly (in `config::REFERRER_GROUPS` order).
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
        REFERRER_GROUPS
            .get(self as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Parses a name written by [`Group::as_str`].
    pub fn parse(name: &str) -> Option<Group> {
        let i = REFERRER_GROUPS.iter().position(|g| *g == name)?;
        [
            Group::Search,
            Group::Social,
            Group::Email,
            Group::Paid,
            Group::Referral,
            Group::Direct,
        ]
        .get(i)
        .copied()
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
        let mut params = url::query_pairs(page.query);
        while let Some((name, value)) = params.next_raw() {
            if value.is_empty() {
                continue;
            }
            let mut name = url::decoded(name, true);
            name.make_ascii_lowercase();
            let field = match name.strip_prefix("utm_") {
                Some("source") => &mut t.utm_source,
                Some("medium") => &mut t.utm_medium,
                Some("campaign") => &mut t.utm_campaign,
                Some("term") => &mut t.utm_term,
                Some("content") => &mut t.utm_content,
                _ if t.click_id.is_empty() && CLICK_IDS.contains(&name.as_str()) => {
                    t.click_id = name;
                    &mut t.click_value
                }
                _ => continue,
            };
            if field.is_empty() {
                *field = bounded(url::decoded(value, true));
            }
        }
        let host = url::host(referrer);
        if !same_site(&host, site_host) {
            t.referrer_host = bounded(host);
        }
        t.landing_path = bounded(url::decoded(page.path, false));
        if t.landing_path.is_empty() {
            t.landing_path.push('/');
        }
        t
    }

    /// The touch's [`Group`] with `table` (written like [`GROUP_TABLE`]): see
    /// [`referrer_group`]; a touch tagged with `utm_*` but no medium or referrer is `referral`
    /// (a campaign all the same).
    pub fn group(&self, table: &str) -> Group {
        match referrer_group(
            &self.referrer_host,
            &self.utm_medium,
            !self.click_id.is_empty(),
            table,
        ) {
            Group::Direct if !self.is_direct() => Group::Referral,
            g => g,
        }
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
        (self.referrer_host.len()
            | self.utm_source.len()
            | self.utm_medium.len()
            | self.utm_campaign.len()
            | self.utm_term.len()
            | self.utm_content.len()
            | self.click_id.len())
            == 0
    }

    /// A compact string for storage: `2|at_ms|utm_source|utm_medium|utm_campaign|utm_term|
    /// utm_content|click_id|click_value|referrer_host|landing_path|rule`, with `%` and `|` in
    /// values written `%25` and `%7C`. (Version 1 also stored the group; it is read no more.)
    pub fn encode(&self) -> String {
        let mut out = String::from(ENCODING_VERSION);
        out.push('|');
        push_u64(&mut out, self.at_ms);
        for f in self.texts() {
            out.push('|');
            url::push_escaped(&mut out, f, |b| match b {
                b'%' => Some("%25"),
                b'|' => Some("%7C"),
                _ => None,
            });
        }
        out
    }

    /// Reads a string written by [`Touch::encode`]. Anything else (another version, a field
    /// missing or extra, a bad number, an unknown click id) is `None`, never a panic.
    pub fn decode(s: &str) -> Option<Touch> {
        let mut it = url::split_on(s, b'|');
        if it.next()? != ENCODING_VERSION {
            return None;
        }
        let at_ms = url::parse_u64(it.next()?)?;
        let mut t = Touch {
            at_ms,
            ..Touch::default()
        };
        for f in t.texts_mut() {
            *f = url::decoded(it.next()?, false);
        }
        if it.next().is_some() || !(t.click_id.is_empty() || CLICK_IDS.contains(&&*t.click_id)) {
            return None;
        }
        Some(t)
    }
}

const ENCODING_VERSION: &str = "2";

/// `s` cut to at most [`MAX_FIELD`] bytes at a character boundary.
fn bounded(s: String) -> String {
    let mut end = s.len().min(MAX_FIELD);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // Not `truncate`: its boundary assertion (and message) stays in the snippet.
    match s.get(..end) {
        Some(cut) if end < s.len() => cut.into(),
        _ => s,
    }
}

/// `h` without a leading `www.` (any case), if it has one.
fn strip_www(h: &[u8]) -> Option<&[u8]> {
    if h.get(..4)?.eq_ignore_ascii_case(b"www.") {
        h.get(4..)
    } else {
        None
    }
}

/// Host without port, trailing dot and leading `www.`, for comparing sites.
fn bare_host(h: &str) -> &[u8] {
    let b = h.as_bytes();
    // The port colon is the last `:`, unless a `]` (IPv6) follows it.
    let b = match b.iter().rposition(|&c| c == b':' || c == b']') {
        Some(i) if b.get(i) == Some(&b':') => b.get(..i).unwrap_or(b),
        _ => b,
    };
    let b = url::strip_suffix(b, b".").unwrap_or(b);
    strip_www(b).unwrap_or(b)
}

/// True when `referrer_host` is the site itself (ignoring case, port and `www.`).
fn same_site(referrer_host: &str, site_host: &str) -> bool {
    let r = bare_host(referrer_host);
    !r.is_empty() && r.eq_ignore_ascii_case(bare_host(site_host))
}

/// How referrers are classified, in match order: `;`-separated entries `medium:<group>=<patterns>`
/// (matched against `utm_medium` with [`pattern_matches`]; explicit tags win, so they come
/// first) and `host:<group>=<patterns>` (matched against the referrer host with
/// [`host_pattern_matches`]: `*.x.com` also matches `x.com`, a leading `www.` is optional).
/// Android apps send `android-app://<package>/` as referrer; their package is the host.
///
/// The collector classifies every visit with it for reports. The browser needs it only for
/// source rules that match on `referrer_group`: [`Config::from_json`](crate::config::Config)
/// then puts it in the config (`referrer_groups`), and the snippet ships none of it otherwise.
pub const GROUP_TABLE: &str = concat!(
    "medium:paid=cpc,ppc,cpm,cpv,cpa,paid*,display,banner,retargeting;",
    "medium:email=email,e-mail,e_mail,e mail,mail,newsletter*;",
    "medium:social=social*,sm,sns;",
    "medium:search=organic;",
    // Ad servers.
    "host:paid=*.googleadservices.com,*.doubleclick.net,*.googlesyndication.com;",
    // Search engines.
    "host:search=google.*,com.google.android.googlequicksearchbox,*.bing.com,search.yahoo.*,",
    "*.search.yahoo.*,search.naver.com,*.search.naver.com,duckduckgo.com,*.baidu.com,",
    "yandex.*,ya.ru,ecosia.org,search.brave.com,startpage.com,*.qwant.com,*.ask.com,",
    "search.daum.net,*.seznam.cz,go.mail.ru,*.sogou.com,*.so.com,coccoc.com,kagi.com;",
    // Webmail and mail apps.
    "host:email=*.mail.*,*.webmail.*,outlook.live.com,outlook.office.com,outlook.office365.com,",
    "com.google.android.gm,com.microsoft.office.outlook,com.yahoo.mobile.client.android.mail;",
    // Social networks, video and messaging.
    "host:social=*.facebook.com,fb.me,com.facebook.*,*.instagram.com,com.instagram.android,t.co,",
    "*.twitter.com,x.com,com.twitter.android,*.linkedin.com,lnkd.in,com.linkedin.android,",
    "*.tiktok.com,com.zhiliaoapp.musically,*.youtube.com,youtu.be,",
    "com.google.android.youtube,*.line.me,jp.naver.line.android,blog.naver.com,",
    "cafe.naver.com,*.pinterest.*,*.reddit.com,*.threads.net,bsky.app,*.ameblo.jp,*.vk.com",
);

/// A pattern matcher over bytes: (pattern, value).
type PatternFn = fn(&[u8], &[u8]) -> bool;

/// The group of an arrival, from the referrer host (lowercased, as [`url::host`] gives it),
/// `utm_medium` and whether an ad click id was present, with `table` (written like
/// [`GROUP_TABLE`]). In order: a click id is `paid`; no referrer and no medium is `direct`;
/// then the first entry of `table` that matches (ad servers, search engines incl. Google, Bing,
/// Yahoo! JAPAN, Naver, DuckDuckGo, Baidu, Yandex, Ecosia; webmail; social incl. Facebook,
/// Instagram, X/t.co, LinkedIn, TikTok, YouTube, LINE); any other referrer or medium is
/// `referral`.
pub fn referrer_group(host: &str, utm_medium: &str, has_click_id: bool, table: &str) -> Group {
    if has_click_id {
        return Group::Paid;
    }
    if host.is_empty() && utm_medium.is_empty() {
        return Group::Direct;
    }
    url::split_on(table, b';')
        .find_map(|entry| {
            let (head, patterns) = url::cut(entry, b'=');
            let (kind, group) = url::cut(head, b':');
            let (matcher, value): (PatternFn, _) = if kind == "host" {
                (host_pattern_bytes, host)
            } else {
                (pattern_bytes, utm_medium)
            };
            patterns
                .as_bytes()
                .split(|&b| b == b',')
                .any(|p| matcher(p, value.as_bytes()))
                .then(|| Group::parse(group))
                .flatten()
        })
        .unwrap_or(Group::Referral)
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
    match stored {
        Some(s) if keeps_stored(&s, &current, attribution, now_ms) => s,
        _ => current,
    }
}

/// [`resolve`]'s decision, on references (no `Touch` moves in and out of options).
fn keeps_stored(stored: &Touch, current: &Touch, attribution: &Attribution, now_ms: u64) -> bool {
    let window = u64::from(attribution.days) * DAY_MS;
    // A time beyond now + window is not a clock skew but garbage: drop it too.
    if !(now_ms < stored.at_ms.saturating_add(window)
        && stored.at_ms <= now_ms.saturating_add(window))
    {
        return false;
    }
    if !current.click_id.is_empty() {
        return stored.click_id == current.click_id && stored.click_value == current.click_value;
    }
    if current.is_direct() {
        return true;
    }
    // A direct arrival says nothing about the source: the first real one replaces it.
    !stored.is_direct() && matches!(attribution.model, AttributionModel::FirstTouch)
}

/// Index of the first rule whose `match` holds for `touch`; `None` when none does (the
/// config's `default` numbers apply, or the site's own). `groups` is the table for
/// `referrer_group` conditions (the config's `referrer_groups`).
pub fn match_rule(rules: &[SourceRule], touch: &Touch, groups: &str) -> Option<usize> {
    rules
        .iter()
        .position(|r| matches(&r.matcher, touch, groups))
}

/// True when every condition of `m` holds for `touch`. An empty list is no condition; a list
/// holds when any pattern matches. An absent value (empty field) matches no pattern, not even
/// `*`: `utm_source: "*"` means "has a utm_source". The group is classified with `groups`
/// only when `m` has a `referrer_group` condition.
pub fn matches(m: &SourceMatch, t: &Touch, groups: &str) -> bool {
    let f = t.texts();
    let group = if m.referrer_group.is_empty() {
        ""
    } else {
        t.group(groups).as_str()
    };
    let conditions: [Condition; 9] = [
        (&m.utm_source, f[0], pattern_matches),
        (&m.utm_medium, f[1], pattern_matches),
        (&m.utm_campaign, f[2], pattern_matches),
        (&m.utm_term, f[3], pattern_matches),
        (&m.utm_content, f[4], pattern_matches),
        (&m.click_id, f[5], pattern_matches),
        (&m.referrer_host, &t.referrer_host, host_pattern_matches),
        (&m.referrer_group, group, pattern_matches),
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
    pattern_bytes(pattern.as_bytes(), text.as_bytes())
}

/// [`pattern_matches`] over bytes.
#[inline(never)]
pub(crate) fn pattern_bytes(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(tc) = t.get(ti) {
        let pc = p.get(pi);
        if pc == Some(&b'*') {
            star = Some((pi, ti));
            pi += 1;
        } else if pc.is_some_and(|c| c.eq_ignore_ascii_case(tc)) {
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
    p.iter().skip(pi).all(|&c| c == b'*')
}

/// [`pattern_matches`] for hosts: a leading `www.` in the host is optional (`google.com`
/// matches `www.google.com`), and a pattern `*.x` also matches `x` itself.
pub fn host_pattern_matches(pattern: &str, host: &str) -> bool {
    host_pattern_bytes(pattern.as_bytes(), host.as_bytes())
}

/// [`host_pattern_matches`] over bytes.
#[inline(never)]
fn host_pattern_bytes(p: &[u8], h: &[u8]) -> bool {
    let www_less = strip_www(h);
    let try_pattern =
        |p: &[u8]| pattern_bytes(p, h) || www_less.is_some_and(|h| pattern_bytes(p, h));
    try_pattern(p) || url::strip_prefix(p, b"*.").is_some_and(try_pattern)
}

/// One call for the web layer: reads the current touch, resolves it against the stored one
/// (as written by [`Touch::encode`]; empty or garbage counts as none), matches the rules and
/// records the winning rule's name in the touch. Store `touch.encode()`; use the index to
/// pick the rule's numbers (`None`: the config's `default`, or the site's own numbers).
/// `groups` is the config's `referrer_groups` (see [`match_rule`]).
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    stored: &str,
    page_url: &str,
    referrer: &str,
    site_host: &str,
    rules: &[SourceRule],
    attribution: &Attribution,
    groups: &str,
    now_ms: u64,
) -> (Touch, Option<usize>) {
    let current = Touch::from_visit(page_url, referrer, site_host, now_ms);
    let mut touch = match Touch::decode(stored) {
        Some(s) if keeps_stored(&s, &current, attribution, now_ms) => s,
        _ => current,
    };
    let rule = match_rule(rules, &touch, groups);
    if let Some(r) = rule.and_then(|i| rules.get(i)) {
        touch.rule.clone_from(&r.name);
    } else {
        touch.rule.clear();
    }
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
            assert_eq!(
                t.group(GROUP_TABLE),
                want,
                "page {page:?}, referrer {referrer:?}: {t:?}"
            );
        }
    }

    #[test]
    fn referrer_group_direct_calls() {
        // host, utm_medium, click id, group
        let cases = [
            ("", "", false, Direct),
            ("", "", true, Paid),
            ("www.google.co.jp", "", false, Search),
            ("WWW.GOOGLE.COM", "", false, Search),
            ("www.google.co.jp", "cpc", false, Paid),
            ("l.facebook.com", "email", false, Email),
            ("unknown.example", "", false, Referral),
            ("", "unknown", false, Referral),
        ];
        for (host, medium, click, want) in cases {
            let got = referrer_group(host, medium, click, GROUP_TABLE);
            assert_eq!(got, want, "{host:?} {medium:?} {click}");
        }
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
            landing_path: "/lp/春/".into(),
            at_ms: 1234,
            rule: String::new(),
        };
        assert_eq!(t, want);

        let t = Touch::from_visit("https://example.com", "", "example.com:8080", 0);
        assert_eq!(
            (t.landing_path.as_str(), t.group(GROUP_TABLE)),
            ("/", Direct)
        );
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
                match_rule(&rules, &t, GROUP_TABLE),
                want,
                "page {page:?}, referrer {referrer:?}"
            );
        }
        assert_eq!(match_rule(&[], &Touch::default(), ""), None);
        let empty = [rule("all", SourceMatch::default())];
        assert_eq!(match_rule(&empty, &Touch::default(), ""), Some(0));
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
                GROUP_TABLE,
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
        assert_eq!(
            (r, t.rule.as_str(), t.group(GROUP_TABLE)),
            (None, "", Direct)
        );
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
            assert_eq!(s.matches('|').count(), 11, "{s}");
            assert_eq!(Touch::decode(&s), Some(t.clone()), "{s}");
        }
        assert_eq!(Touch::default().encode(), "2|0||||||||||");
        let t = Touch {
            at_ms: 1234567890,
            utm_source: "a|b".into(),
            ..Touch::default()
        };
        assert_eq!(t.encode(), "2|1234567890|a%7Cb|||||||||");
    }

    #[test]
    fn decode_garbage() {
        let good = "2|5|s|m|c|t|x|gclid|v|www.google.com|/|r";
        assert!(Touch::decode(good).is_some());
        let bad = [
            "",
            "2",
            "2|",
            "garbage",
            "{\"utm_source\":\"x\"}",
            "1|5|search|s|m|c|t|x|gclid|v|www.google.com|/|r", // version 1 (stored a group)
            "3|5|s|m|c|t|x|gclid|v|www.google.com|/|r",        // other version
            "2|5|s|m|c|t|x|gclid|v|www.google.com|/",          // field missing
            "2|5|s|m|c|t|x|gclid|v|www.google.com|/|r|extra",
            "2|-5|s|m|c|t|x|gclid|v|h|/|r",
            "2| 5|s|m|c|t|x|gclid|v|h|/|r",
            "2||s|m|c|t|x|gclid|v|h|/|r",
            "2|99999999999999999999|s|m|c|t|x|gclid|v|h|/|r", // overflow
            "2|5|s|m|c|t|x|evilclid|v|h|/|r",
            "2|5|s|m|c|t|x|gclid|v|h|/|r\u{0}|",
        ];
        for s in bad {
            assert_eq!(Touch::decode(s), None, "{s:?}");
        }
        // Odd but harmless escapes decode without panicking.
        let odd = Touch::decode("2|5|%|%zz|%FF|%E3%81|é|||||").unwrap();
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
