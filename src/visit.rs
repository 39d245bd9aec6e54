//! Visits: sessions and revisits, engaged time, page view decisions and triggers.
//!
//! Everything here is DOM-free and deterministic: the web layer passes the time (`Date.now()`),
//! fresh ids (from [`crate::outbox::uuid_v7`]) and browser events in, and stores what it is given
//! back. Nothing reads a clock or a random source.
//!
//! # Cross-tab model
//! The session lives in storage shared by all tabs of the site (`localStorage`). Every change is a
//! *load → apply at now → store* step ([`Session::resume`]). Two tabs that load the same stored
//! session within the idle window both continue it, so a visitor with three tabs open is one
//! session, not three. The one race left is two tabs that both find an *expired* session in the
//! same instant: each starts its own; the last one stored wins and the other tab adopts it at its
//! next step. The collector can merge such twins (same visitor, overlapping times).
//!
//! # Example
//! ```
//! use ringtrail::visit::{Session, SessionPolicy};
//! let policy = SessionPolicy::new(30);
//! let (s, new) = Session::resume(None, 1_000, &policy, || "s1".into());
//! assert!(new);
//! let stored = s.encode();
//! // another tab, 10 minutes later
//! let (s2, new2) = Session::resume(Some(&stored), 601_000, &policy, || "s2".into());
//! assert!(!new2);
//! assert_eq!(s2.id, "s1");
//! ```

use crate::config::{Trigger, TriggerOnce};
use crate::json::push_u64;
use crate::outbox::is_token;
use crate::prelude::*;
use crate::source::pattern_matches;
use crate::url;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// When a session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session ends after this many ms without activity.
    pub idle_ms: u64,
    /// When set, a session also ends at local midnight in this UTC offset (minutes east of UTC,
    /// `540` for Japan): activity on a new local day starts a new session.
    pub midnight_offset_minutes: Option<i32>,
}

impl SessionPolicy {
    /// Sessions end after `session_minutes` of inactivity (`0` is treated as 1 minute).
    pub fn new(session_minutes: u32) -> SessionPolicy {
        SessionPolicy {
            idle_ms: u64::from(session_minutes.max(1)) * MINUTE_MS,
            midnight_offset_minutes: None,
        }
    }

    /// Also ends sessions at local midnight for a UTC offset in minutes (clamped to ±14 h).
    pub fn with_midnight(mut self, utc_offset_minutes: i32) -> SessionPolicy {
        self.midnight_offset_minutes = Some(utc_offset_minutes.clamp(-840, 840));
        self
    }

    /// Whether activity at `now_ms` continues a session last active at `last_ms`.
    fn continues(&self, last_ms: u64, now_ms: u64) -> bool {
        // A clock that went backwards (another tab, a corrected clock) is not idleness.
        if now_ms.saturating_sub(last_ms) >= self.idle_ms {
            return false;
        }
        match self.midnight_offset_minutes {
            Some(off) => local_day(last_ms, off) >= local_day(now_ms, off),
            None => true,
        }
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy::new(30)
    }
}

fn local_day(ms: u64, offset_minutes: i32) -> i64 {
    let local = ms.min(i64::MAX as u64) as i64 + i64::from(offset_minutes) * MINUTE_MS as i64;
    local.div_euclid(DAY_MS)
}

/// A visitor's session, as stored in shared storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Session id (a UUIDv7 from the web layer).
    pub id: String,
    /// When the session started, ms since the epoch.
    pub started_ms: u64,
    /// Last activity seen by any tab.
    pub last_activity_ms: u64,
    /// How many earlier sessions this visitor had (0 on the first visit): the revisit number.
    pub revisits: u32,
    /// When the previous session's last activity was, if there was one.
    pub previous_end_ms: Option<u64>,
    /// Keys ([`trigger_key`]) of `once: session` triggers already fired in this session.
    pub fired: Vec<u32>,
}

impl Session {
    /// Applies activity at `now_ms` to the stored session (`None` or unreadable: a new visitor).
    ///
    /// Returns the session to store and whether it is a new one (send a session start, count a
    /// revisit). `new_id` is called only when a session starts.
    pub fn resume(
        stored: Option<&str>,
        now_ms: u64,
        policy: &SessionPolicy,
        new_id: impl FnOnce() -> String,
    ) -> (Session, bool) {
        let prev = stored.and_then(Session::decode);
        match prev {
            Some(mut s) if policy.continues(s.last_activity_ms, now_ms) => {
                s.last_activity_ms = s.last_activity_ms.max(now_ms);
                (s, false)
            }
            prev => {
                let (revisits, previous_end_ms) = match prev {
                    Some(p) => (p.revisits.saturating_add(1), Some(p.last_activity_ms)),
                    None => (0, None),
                };
                let s = Session {
                    id: new_id(),
                    started_ms: now_ms,
                    last_activity_ms: now_ms,
                    revisits,
                    previous_end_ms,
                    fired: Vec::new(),
                };
                (s, true)
            }
        }
    }

    /// Whether the session is still live at `now_ms` (without recording activity).
    pub fn is_live(&self, now_ms: u64, policy: &SessionPolicy) -> bool {
        policy.continues(self.last_activity_ms, now_ms)
    }

    /// Compact storage form: `s1.<id>.<started>.<last>.<revisits>.<previous end or ->.<keys>`.
    pub fn encode(&self) -> String {
        let mut out = String::from("s1.");
        out.push_str(&self.id);
        // `.` and a number, or `-` for none.
        let mut field = |n: Option<u64>| {
            out.push('.');
            match n {
                Some(n) => push_u64(&mut out, n),
                None => out.push('-'),
            }
        };
        field(Some(self.started_ms));
        field(Some(self.last_activity_ms));
        field(Some(u64::from(self.revisits)));
        field(self.previous_end_ms);
        out.push('.');
        for (i, k) in self.fired.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_u64(&mut out, u64::from(*k));
        }
        out
    }

    /// Reads [`Session::encode`]'s form; anything else (old versions, garbage) is `None`.
    pub fn decode(s: &str) -> Option<Session> {
        let mut parts = url::split_on(s, b'.');
        if parts.next()? != "s1" {
            return None;
        }
        let id = parts.next()?;
        if !is_token(id) {
            return None;
        }
        let started_ms = url::parse_u64(parts.next()?)?;
        let last_activity_ms = url::parse_u64(parts.next()?)?;
        let revisits = parse_u32(parts.next()?)?;
        let previous_end_ms = match parts.next()? {
            "-" => None,
            n => Some(url::parse_u64(n)?),
        };
        let fired_s = parts.next()?;
        let mut fired = Vec::new();
        if !fired_s.is_empty() {
            for k in url::split_on(fired_s, b',') {
                fired.push(parse_u32(k)?);
            }
        }
        if parts.next().is_some() || started_ms > last_activity_ms {
            return None;
        }
        Some(Session {
            id: id.into(),
            started_ms,
            last_activity_ms,
            revisits,
            previous_end_ms,
            fired,
        })
    }
}

/// A `u32` in ASCII decimal ([`url::parse_u64`] rules).
fn parse_u32(s: &str) -> Option<u32> {
    u32::try_from(url::parse_u64(s)?).ok()
}

/// A visitor counts as idle this long after their last input, scroll or pointer activity.
pub const IDLE_AFTER_MS: u64 = 30_000;

/// Engaged time on one page view.
///
/// Time counts while the page is visible **and** focused **and** the visitor was active within
/// [`IDLE_AFTER_MS`]; after the last activity at most 30 s are counted. Besides input, scroll and
/// pointer events, starting the page view and coming back to the page (visible again, focus
/// again) count as activity: each takes an act of the visitor.
///
/// Reports carry the *increment* since the last report ([`Engagement::take_report`]), so a page
/// that is hidden (report), shown again and left (report) never sends the same time twice; the
/// collector sums the increments of a page view. Scroll depth is the page view's maximum so far
/// (the collector keeps the max).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    visible: bool,
    focused: bool,
    last_activity_ms: u64,
    /// Engaged time has been counted up to here.
    counted_to_ms: u64,
    engaged_ms: u64,
    reported_ms: u64,
    max_scroll_pct: u8,
}

impl Engagement {
    /// Starts a page view at `now_ms` with the page's current visibility and focus.
    pub fn start(now_ms: u64, visible: bool, focused: bool) -> Engagement {
        Engagement {
            visible,
            focused,
            last_activity_ms: now_ms,
            counted_to_ms: now_ms,
            engaged_ms: 0,
            reported_ms: 0,
            max_scroll_pct: 0,
        }
    }

    /// Starts the next page view (SPA navigation, bfcache restore), keeping visibility and
    /// focus. Take the last page's report first: anything unreported is discarded.
    pub fn restart(&mut self, now_ms: u64) {
        *self = Engagement::start(now_ms, self.visible, self.focused);
    }

    /// Counts engaged time up to `now_ms`.
    fn advance(&mut self, now_ms: u64) {
        if now_ms <= self.counted_to_ms {
            return;
        }
        if self.visible && self.focused {
            let end = now_ms.min(self.last_activity_ms.saturating_add(IDLE_AFTER_MS));
            if end > self.counted_to_ms {
                self.engaged_ms += end - self.counted_to_ms;
            }
        }
        self.counted_to_ms = now_ms;
    }

    fn activity(&mut self, now_ms: u64) {
        self.last_activity_ms = self.last_activity_ms.max(now_ms);
    }

    /// `visibilitychange`: the page became visible or hidden.
    pub fn visible(&mut self, now_ms: u64, visible: bool) {
        self.advance(now_ms);
        if visible && !self.visible {
            self.activity(now_ms);
        }
        self.visible = visible;
    }

    /// `focus` / `blur` of the window.
    pub fn focus(&mut self, now_ms: u64, focused: bool) {
        self.advance(now_ms);
        if focused && !self.focused {
            self.activity(now_ms);
        }
        self.focused = focused;
    }

    /// Input, pointer or key activity (throttle it in the web layer: once a second is plenty).
    pub fn activity_at(&mut self, now_ms: u64) {
        self.advance(now_ms);
        self.activity(now_ms);
    }

    /// A scroll to `depth_pct` (0–100, larger values clamp) of the page; also activity.
    pub fn scroll(&mut self, now_ms: u64, depth_pct: u8) {
        self.activity_at(now_ms);
        self.max_scroll_pct = self.max_scroll_pct.max(depth_pct.min(100));
    }

    /// A timer tick: brings the count up to `now_ms` (for dwell triggers).
    pub fn tick(&mut self, now_ms: u64) {
        self.advance(now_ms);
    }

    /// Engaged ms of this page view, counted up to the last event or tick.
    pub fn engaged_ms(&self) -> u64 {
        self.engaged_ms
    }

    /// Engaged whole seconds (for `dwell_seconds` triggers).
    pub fn engaged_seconds(&self) -> u32 {
        (self.engaged_ms / 1000).min(u64::from(u32::MAX)) as u32
    }

    /// Deepest scroll of this page view, percent.
    pub fn max_scroll_pct(&self) -> u8 {
        self.max_scroll_pct
    }

    /// The page is being left or hidden: the engaged ms not yet reported and the max scroll
    /// depth, or `None` when fewer than `min_ms` are unreported. Time held back stays pending and
    /// joins the next report of the same page view (so at most `min_ms` per page view is lost).
    pub fn take_report(&mut self, now_ms: u64, min_ms: u32) -> Option<(u64, u8)> {
        self.advance(now_ms);
        let increment = self.engaged_ms - self.reported_ms;
        if increment == 0 || increment < u64::from(min_ms) {
            return None;
        }
        self.reported_ms = self.engaged_ms;
        Some((increment, self.max_scroll_pct))
    }
}

/// What kind of navigation happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigation {
    /// The document loaded (and is not being prerendered).
    Load,
    /// `history.pushState`.
    Push,
    /// `history.replaceState`.
    Replace,
    /// `popstate` (back / forward).
    Pop,
    /// `hashchange`.
    HashChange,
    /// `pageshow` with `persisted`: restored from the back/forward cache.
    BfcacheRestore,
    /// The document loaded while `document.prerendering`: not seen yet.
    Prerender,
    /// `prerenderingchange`: a prerendered document is now shown.
    PrerenderShown,
}

/// (path, query, fragment) of a URL; an empty path is `/`.
fn url_parts(u: &str) -> (&str, &str, &str) {
    let p = url::split(u);
    (
        if p.path.is_empty() { "/" } else { p.path },
        p.query,
        p.fragment,
    )
}

/// Whether a navigation from `prev` (the URL of the last page view) to `next` is a new page view.
///
/// - first load, bfcache restore and a shown prerender: yes; a prerender that is not shown: no;
/// - `pushState`: when the path or query changes (and with `hash_routing`, the fragment); a
///   push to the very same URL is a framework re-render, not a page view;
/// - `popstate` (back/forward): when the path or query changes. When only the fragment moved,
///   the browser fires `hashchange` next, and that one counts it (a `hash` page view);
/// - `replaceState`: only when the path changes (with `hash_routing`, the path or fragment):
///   filters and sorting written into the query are not page views;
/// - `hashchange`: only with `hash_routing`, when the fragment changes.
pub fn is_new_page_view(
    prev: Option<&str>,
    next: &str,
    kind: Navigation,
    hash_routing: bool,
) -> bool {
    let Some(prev) = prev else {
        return kind != Navigation::Prerender;
    };
    let (p_path, p_query, p_hash) = url_parts(prev);
    let (n_path, n_query, n_hash) = url_parts(next);
    let hash_moved = hash_routing && p_hash != n_hash;
    match kind {
        Navigation::Load | Navigation::BfcacheRestore | Navigation::PrerenderShown => true,
        Navigation::Prerender => false,
        Navigation::Push => p_path != n_path || p_query != n_query || hash_moved,
        Navigation::Pop => p_path != n_path || p_query != n_query,
        Navigation::Replace => p_path != n_path || hash_moved,
        Navigation::HashChange => hash_moved,
    }
}

/// Remembers the last page view's URL and applies [`is_new_page_view`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageViews {
    last: Option<String>,
    hash_routing: bool,
}

impl PageViews {
    /// A tracker for one document; `hash_routing` from `tracking.hash_routing`.
    pub fn new(hash_routing: bool) -> PageViews {
        PageViews {
            last: None,
            hash_routing,
        }
    }

    /// Whether this navigation is a new page view; if so, `url` becomes the last page view.
    pub fn navigate(&mut self, url: &str, kind: Navigation) -> bool {
        let new = is_new_page_view(self.last.as_deref(), url, kind, self.hash_routing);
        if new {
            self.last = Some(url.into());
        }
        new
    }

    /// The URL of the last page view.
    pub fn current(&self) -> Option<&str> {
        self.last.as_deref()
    }
}

/// Facts about the visit that triggers test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitFacts<'a> {
    /// Current page path (`/pricing/teams`).
    pub path: &'a str,
    /// Engaged seconds on this page view.
    pub engaged_seconds: u32,
    /// Earlier sessions of this visitor ([`Session::revisits`]).
    pub revisits: u32,
    /// Name of the source rule the visit is attributed to, if any.
    pub source: Option<&'a str>,
}

/// Stable key of a trigger name for the session's fired set (FNV-1a, 32 bits).
pub fn trigger_key(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Evaluates the config's triggers; remembers what fired on this page view.
///
/// `once: session` triggers are remembered in [`Session::fired`] (shared by tabs): load the
/// session, evaluate, and store it again when something fired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triggers {
    fired_on_page: Vec<u32>,
}

impl Triggers {
    /// Nothing fired yet.
    pub fn new() -> Triggers {
        Triggers::default()
    }

    /// A new page view: page-view triggers may fire again.
    pub fn new_page_view(&mut self) {
        self.fired_on_page.clear();
    }

    /// The names of the triggers that fire now: all their given conditions hold and they have
    /// not fired in their scope (page view or session) yet. An empty trigger (no conditions)
    /// fires once per scope.
    pub fn evaluate<'t>(
        &mut self,
        triggers: &'t [Trigger],
        facts: &VisitFacts<'_>,
        session: &mut Session,
    ) -> Vec<&'t str> {
        let mut fire = Vec::new();
        for t in triggers {
            let key = trigger_key(&t.name);
            let seen = match t.once {
                TriggerOnce::PageView => &mut self.fired_on_page,
                TriggerOnce::Session => &mut session.fired,
            };
            if seen.contains(&key) || !holds(t, facts) {
                continue;
            }
            seen.push(key);
            fire.push(t.name.as_str());
        }
        fire
    }
}

fn holds(t: &Trigger, f: &VisitFacts<'_>) -> bool {
    t.page.as_deref().is_none_or(|p| pattern_matches(p, f.path))
        && t.dwell_seconds.is_none_or(|d| f.engaged_seconds >= d)
        && t.revisits.is_none_or(|r| f.revisits >= r)
        && t.source.as_deref().is_none_or(|s| f.source == Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;
    const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            let mut s = String::from("s");
            push_u64(&mut s, n);
            s
        }
    }

    /// Runs (tab state, minutes after T0) steps through shared storage; returns (id, new, revisits).
    fn run(policy: &SessionPolicy, steps: &[u64]) -> Vec<(String, bool, u32)> {
        let mut storage: Option<String> = None;
        let mut next = ids();
        steps
            .iter()
            .map(|&m| {
                let (s, new) = Session::resume(storage.as_deref(), T0 + m, policy, &mut next);
                storage = Some(s.encode());
                (s.id, new, s.revisits)
            })
            .collect()
    }

    #[test]
    fn sessions_table() {
        let p30 = SessionPolicy::new(30);
        /// (case, policy, minutes of each step, expected (session id, new, revisits) per step)
        type Case<'a> = (
            &'a str,
            SessionPolicy,
            &'a [u64],
            &'a [(&'a str, bool, u32)],
        );
        let cases: &[Case] = &[
            ("first visit", p30, &[0], &[("s1", true, 0)]),
            (
                "activity within 30 min keeps the session",
                p30,
                &[0, 29 * MIN, 58 * MIN],
                &[("s1", true, 0), ("s1", false, 0), ("s1", false, 0)],
            ),
            (
                "30 min idle ends it and counts a revisit",
                p30,
                &[0, 30 * MIN, 200 * MIN],
                &[("s1", true, 0), ("s2", true, 1), ("s3", true, 2)],
            ),
            (
                "short policy",
                SessionPolicy::new(5),
                &[0, 4 * MIN, 9 * MIN + 1],
                &[("s1", true, 0), ("s1", false, 0), ("s2", true, 1)],
            ),
            (
                "clock going backwards continues",
                p30,
                &[10 * MIN, 9 * MIN],
                &[("s1", true, 0), ("s1", false, 0)],
            ),
        ];
        for (name, policy, steps, want) in cases {
            let got = run(policy, steps);
            let want: Vec<_> = want
                .iter()
                .map(|(i, n, r)| (i.to_string(), *n, *r))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn midnight_rule() {
        // JST (+540): T0 is 09:00 local; local midnight is T0 + 15 h.
        let jst = SessionPolicy::new(30).with_midnight(540);
        let steps = [15 * 60 * MIN - 10 * MIN, 15 * 60 * MIN + MIN];
        let got = run(&jst, &steps);
        assert_eq!(got[1], ("s2".into(), true, 1));
        // Without the rule the same steps continue.
        let got = run(&SessionPolicy::new(30), &steps);
        assert_eq!(got[1], ("s1".into(), false, 0));
        // UTC-5: local midnight is T0 + 5 h.
        let est = SessionPolicy::new(30).with_midnight(-300);
        let got = run(&est, &[5 * 60 * MIN - MIN, 5 * 60 * MIN + MIN]);
        assert!(got[1].1);
    }

    #[test]
    fn two_tabs_share_one_session() {
        let p = SessionPolicy::default();
        let mut next = ids();
        let (a, new_a) = Session::resume(None, T0, &p, &mut next);
        let stored = a.encode();
        // Both tabs load the same state within the window.
        let (b, new_b) = Session::resume(Some(&stored), T0 + 5 * MIN, &p, &mut next);
        let (c, new_c) = Session::resume(Some(&stored), T0 + 6 * MIN, &p, &mut next);
        assert!(new_a && !new_b && !new_c);
        assert_eq!((b.id.as_str(), c.id.as_str()), ("s1", "s1"));
        // Tab B stored last activity at +5; tab C's +6 write is what extends it.
        let (d, new_d) = Session::resume(Some(&c.encode()), T0 + 35 * MIN, &p, &mut next);
        assert!(!new_d);
        assert_eq!(d.last_activity_ms, T0 + 35 * MIN);
        assert_eq!(d.previous_end_ms, None);
        let (e, _) = Session::resume(Some(&d.encode()), T0 + 70 * MIN, &p, &mut next);
        assert_eq!((e.revisits, e.previous_end_ms), (1, Some(T0 + 35 * MIN)));
    }

    #[test]
    fn session_encoding_round_trips_and_rejects_garbage() {
        let s = Session {
            id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            started_ms: T0,
            last_activity_ms: T0 + 5,
            revisits: 3,
            previous_end_ms: Some(T0 - 99),
            fired: vec![1, 4_000_000_000],
        };
        assert_eq!(Session::decode(&s.encode()), Some(s.clone()));
        let s2 = Session {
            previous_end_ms: None,
            fired: vec![],
            ..s
        };
        assert_eq!(Session::decode(&s2.encode()), Some(s2));
        for bad in [
            "",
            "s1",
            "s2.a.1.2.3.-.",
            "s1.a.1.2.3.-",
            "s1.a.x.2.3.-.",
            "s1.a b.1.2.3.-.",
            "s1.a.3.2.0.-.",
            "s1.a.1.2.3.-.1,,2",
            "s1.a.1.2.3.-..",
            "{\"json\":true}",
            "s1.a.1.2.99999999999.-.",
        ] {
            assert_eq!(Session::decode(bad), None, "{bad:?}");
            let (s, new) = Session::resume(Some(bad), T0, &SessionPolicy::default(), || "n".into());
            assert!(new && s.revisits == 0, "{bad:?}");
        }
    }

    enum Ev {
        Vis(bool),
        Focus(bool),
        Act,
        Scroll(u8),
        Tick,
    }

    fn engage(visible: bool, focused: bool, evs: &[(u64, Ev)]) -> Engagement {
        let mut e = Engagement::start(0, visible, focused);
        for (t, ev) in evs {
            match *ev {
                Ev::Vis(v) => e.visible(*t, v),
                Ev::Focus(f) => e.focus(*t, f),
                Ev::Act => e.activity_at(*t),
                Ev::Scroll(p) => e.scroll(*t, p),
                Ev::Tick => e.tick(*t),
            }
        }
        e
    }

    #[test]
    fn engagement_table() {
        use Ev::*;
        /// (case, visible at start, focused at start, events, expected engaged ms)
        type Case<'a> = (&'a str, bool, bool, &'a [(u64, Ev)], u64);
        let cases: &[Case] = &[
            (
                "active reading",
                true,
                true,
                &[(10_000, Act), (20_000, Act), (25_000, Tick)],
                25_000,
            ),
            (
                "idle after 30 s is not counted",
                true,
                true,
                &[(100_000, Tick)],
                30_000,
            ),
            (
                "idle gap then activity resumes",
                true,
                true,
                &[(10_000, Act), (100_000, Act), (110_000, Tick)],
                40_000 + 10_000,
            ),
            (
                "hidden time excluded",
                true,
                true,
                &[(5_000, Vis(false)), (60_000, Vis(true)), (70_000, Tick)],
                15_000,
            ),
            (
                "blur excluded",
                true,
                true,
                &[
                    (5_000, Focus(false)),
                    (6_000, Act),
                    (60_000, Focus(true)),
                    (65_000, Tick),
                ],
                10_000,
            ),
            ("starts hidden", false, true, &[(20_000, Tick)], 0),
            (
                "prerendered then shown",
                false,
                false,
                &[(20_000, Vis(true)), (21_000, Focus(true)), (31_000, Tick)],
                10_000,
            ),
            (
                "activity while hidden does not count",
                false,
                true,
                &[(1_000, Act), (2_000, Scroll(50)), (9_000, Tick)],
                0,
            ),
            (
                "ticks do not double count",
                true,
                true,
                &[(5_000, Tick), (5_000, Tick), (6_000, Tick)],
                6_000,
            ),
        ];
        for (name, v, f, evs, want) in cases {
            assert_eq!(engage(*v, *f, evs).engaged_ms(), *want, "{name}");
        }
    }

    #[test]
    fn engagement_reports_increments_and_respects_min() {
        let mut e = Engagement::start(0, true, true);
        e.scroll(1_000, 40);
        e.scroll(2_000, 250);
        e.scroll(3_000, 20);
        assert_eq!(e.max_scroll_pct(), 100);
        // Hidden at 4 s: report 4 s.
        e.visible(4_000, false);
        assert_eq!(e.take_report(4_000, 1_000), Some((4_000, 100)));
        assert_eq!(e.take_report(4_500, 1_000), None, "nothing new");
        // Back for 0.5 s: below the minimum, held.
        e.visible(10_000, true);
        e.visible(10_500, false);
        assert_eq!(e.take_report(10_500, 1_000), None);
        // Back for 0.7 s more: 1.2 s pending now, reported once.
        e.visible(20_000, true);
        assert_eq!(e.take_report(20_700, 1_000), Some((1_200, 100)));
        assert_eq!(e.engaged_ms(), 5_200);
        // Next page view starts from zero.
        e.restart(21_000);
        assert_eq!((e.engaged_ms(), e.max_scroll_pct()), (0, 0));
        e.tick(23_000);
        assert_eq!(e.take_report(23_000, 1_000), Some((2_000, 0)));
        // Short page views are never reported.
        let mut short = Engagement::start(0, true, true);
        assert_eq!(short.take_report(900, 1_000), None);
        assert_eq!(short.engaged_seconds(), 0);
    }

    #[test]
    fn page_view_decisions() {
        use Navigation::*;
        let u = "https://ex.com/a?x=1#h";
        let cases: &[(Option<&str>, &str, Navigation, bool, bool)] = &[
            (None, u, Load, false, true),
            (None, u, Prerender, false, false),
            (None, u, PrerenderShown, false, true),
            (Some(u), u, BfcacheRestore, false, true),
            (Some(u), "https://ex.com/b", Push, false, true),
            (Some(u), "https://ex.com/a?x=2#h", Push, false, true),
            (Some(u), u, Push, false, false),
            (Some(u), "https://ex.com/a?x=1#other", Push, false, false),
            (Some(u), "https://ex.com/a?x=1#other", Push, true, true),
            (Some(u), "https://ex.com/a?x=9", Replace, false, false),
            (Some(u), "https://ex.com/c?x=1", Replace, false, true),
            (Some(u), "/c", Replace, false, true),
            (Some(u), "https://ex.com/a?x=1#/route", Replace, true, true),
            (Some(u), "https://ex.com/b", Pop, false, true),
            (Some(u), "https://ex.com/a?x=1", Pop, false, false),
            (Some(u), "https://ex.com/a?x=1#/r2", Pop, true, false),
            (
                Some(u),
                "https://ex.com/a?x=1#/r2",
                HashChange,
                false,
                false,
            ),
            (Some(u), "https://ex.com/a?x=1#/r2", HashChange, true, true),
            (Some(u), u, HashChange, true, false),
            (
                Some("https://ex.com"),
                "https://ex.com/",
                Push,
                false,
                false,
            ),
            (
                Some("https://ex.com?q"),
                "https://ex.com/?q",
                Push,
                false,
                false,
            ),
        ];
        for (prev, next, kind, hash, want) in cases {
            assert_eq!(
                is_new_page_view(*prev, next, *kind, *hash),
                *want,
                "{prev:?} -> {next} {kind:?}"
            );
        }
        let mut pv = PageViews::new(false);
        assert!(!pv.navigate("/a", Prerender));
        assert!(pv.navigate("/a", PrerenderShown));
        assert!(!pv.navigate("/a", Push));
        assert!(pv.navigate("/b", Push));
        assert!(!pv.navigate("/b?sort=1", Replace));
        assert_eq!(pv.current(), Some("/b"));
        assert!(pv.navigate("/a", Pop));
    }

    fn trig(
        name: &str,
        page: Option<&str>,
        dwell: Option<u32>,
        rev: Option<u32>,
        src: Option<&str>,
        once: TriggerOnce,
    ) -> Trigger {
        Trigger {
            name: name.into(),
            page: page.map(Into::into),
            dwell_seconds: dwell,
            revisits: rev,
            source: src.map(Into::into),
            once,
        }
    }

    fn session() -> Session {
        Session::resume(None, 0, &SessionPolicy::default(), || "s".into()).0
    }

    #[test]
    fn triggers_and_of_conditions() {
        use TriggerOnce::PageView;
        let ts = [
            trig("pricing", Some("/pricing*"), None, None, None, PageView),
            trig("dwell", None, Some(30), None, None, PageView),
            trig("loyal", None, None, Some(2), None, PageView),
            trig("ads", None, None, None, Some("google-ads"), PageView),
            trig(
                "all",
                Some("/lp/*/x"),
                Some(10),
                Some(1),
                Some("google-ads"),
                PageView,
            ),
        ];
        /// (path, engaged seconds, revisits, source, expected names)
        type Case<'a> = (&'a str, u32, u32, Option<&'a str>, &'a [&'a str]);
        let cases: &[Case] = &[
            ("/", 0, 0, None, &[]),
            ("/Pricing/teams", 0, 0, None, &["pricing"]),
            ("/", 30, 2, Some("google-ads"), &["dwell", "loyal", "ads"]),
            ("/lp/summer/x", 10, 1, Some("google-ads"), &["ads", "all"]),
            ("/lp/summer/x", 9, 1, Some("google-ads"), &["ads"]),
            ("/lp/summer/x", 10, 0, Some("google-ads"), &["ads"]),
            ("/lp/summer/x", 10, 1, Some("bing"), &[]),
            ("/lp/summer/y", 10, 1, Some("google-ads"), &["ads"]),
        ];
        for (path, secs, rev, src, want) in cases {
            let mut t = Triggers::new();
            let facts = VisitFacts {
                path,
                engaged_seconds: *secs,
                revisits: *rev,
                source: *src,
            };
            assert_eq!(
                t.evaluate(&ts, &facts, &mut session()),
                *want,
                "{path} {secs} {rev} {src:?}"
            );
        }
    }

    #[test]
    fn triggers_fire_once_per_scope() {
        let ts = [
            trig("page", None, Some(5), None, None, TriggerOnce::PageView),
            trig("sess", None, Some(5), None, None, TriggerOnce::Session),
        ];
        let mut t = Triggers::new();
        let mut s = session();
        let f = |secs| VisitFacts {
            path: "/",
            engaged_seconds: secs,
            revisits: 0,
            source: None,
        };
        assert!(t.evaluate(&ts, &f(4), &mut s).is_empty());
        assert_eq!(t.evaluate(&ts, &f(5), &mut s), ["page", "sess"]);
        assert!(t.evaluate(&ts, &f(6), &mut s).is_empty());
        t.new_page_view();
        assert_eq!(t.evaluate(&ts, &f(6), &mut s), ["page"]);
        // Another tab loading the stored session does not fire the session trigger again.
        let mut other = Triggers::new();
        let mut s2 = Session::decode(&s.encode()).unwrap();
        assert_eq!(other.evaluate(&ts, &f(9), &mut s2), ["page"]);
        // A new session may fire it again.
        let (mut s3, _) = Session::resume(
            Some(&s2.encode()),
            100 * MIN,
            &SessionPolicy::default(),
            || "n".into(),
        );
        other.new_page_view();
        assert_eq!(other.evaluate(&ts, &f(9), &mut s3), ["page", "sess"]);
    }

    #[test]
    fn trigger_pages_use_source_patterns() {
        // Shared with source rules: ASCII case-insensitive, `*` spans `/`.
        for (p, t, want) in [
            ("/pricing*", "/pricing", true),
            ("/pricing*", "/pricing/a/b", true),
            ("/pricing", "/pricing/", false),
            ("*", "", true),
            ("", "", true),
            ("", "/", false),
            ("/a*b*c", "/aXbYc", true),
            ("/a*b*c", "/aXbYcd", false),
            ("*/x", "/lp/a/x", true),
            ("/LP/*", "/lp/a", true),
            ("/a**", "/a", true),
            ("/a*c", "/abcbc", true),
        ] {
            assert_eq!(pattern_matches(p, t), want, "{p} vs {t}");
        }
    }
}
