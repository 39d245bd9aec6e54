//! Visits: the session shared by the visitor's tabs (through storage), page views, engaged
//! time and scroll depth, and triggers. The rules are [`crate::visit`]'s; the runtime reports
//! browser signals through these [`Core`] methods.

use super::{load_session, now_ms, store_get, store_set, Core};
use crate::config::Tracking;
use crate::json::ObjectWriter;
use crate::prelude::*;
use crate::visit::{
    Engagement, Navigation, PageViews, Session, SessionPolicy, Triggers, VisitFacts,
};

/// Session state is written back at most this often while the visitor is active.
const STORE_EVERY_MS: u64 = 60_000;

/// Navigation kinds, as the runtime numbers them.
fn nav_of(kind: u8) -> (Navigation, &'static str) {
    match kind {
        1 => (Navigation::Push, "push"),
        2 => (Navigation::Replace, "replace"),
        3 => (Navigation::Pop, "pop"),
        4 => (Navigation::HashChange, "hash"),
        5 => (Navigation::BfcacheRestore, "bfcache"),
        6 => (Navigation::Prerender, "prerender"),
        7 => (Navigation::PrerenderShown, "prerender"),
        _ => (Navigation::Load, "load"),
    }
}

/// Per-page visit state.
pub struct Visits {
    policy: SessionPolicy,
    session: Session,
    engagement: Engagement,
    pages: PageViews,
    triggers: Triggers,
    /// Id of the current page view's event (engagement reports point to it).
    page_view: String,
    stored_at: u64,
    min_engaged_ms: u32,
}

impl Visits {
    /// Resumes the stored session (or starts one) at page load.
    pub fn new(tracking: &Tracking, now: u64) -> Visits {
        let mut policy = SessionPolicy::new(tracking.session_minutes);
        if let Some(offset) = tracking.session_midnight {
            policy = policy.with_midnight(offset);
        }
        let session = load_session(&policy, now);
        Visits {
            policy,
            session,
            engagement: Engagement::start(now, true, true),
            pages: PageViews::new(tracking.hash_routing),
            triggers: Triggers::new(),
            page_view: String::new(),
            stored_at: now,
            min_engaged_ms: tracking.min_engaged_ms,
        }
    }

    /// The current session id.
    pub fn session_id(&self) -> &str {
        &self.session.id
    }

    /// Earlier sessions of this visitor.
    pub fn revisits(&self) -> u32 {
        self.session.revisits
    }

    /// Activity in the shared session: load → apply → store (other tabs may have moved it on),
    /// at most once a minute unless `force`.
    fn touch(&mut self, now: u64, force: bool) {
        if !force && now.saturating_sub(self.stored_at) < STORE_EVERY_MS {
            self.session.last_activity_ms = now;
            return;
        }
        let fired = core::mem::take(&mut self.session.fired);
        let stored = store_get("session").unwrap_or_else(|| self.session.encode());
        let (mut s, _) = Session::resume(Some(&stored), now, &self.policy, super::new_id);
        // Triggers fired once per session in this tab stay fired, whatever storage says.
        if s.id == self.session.id {
            for k in fired {
                if !s.fired.contains(&k) {
                    s.fired.push(k);
                }
            }
        }
        store_set("session", &s.encode());
        self.session = s;
        self.stored_at = now;
    }
}

impl Core {
    /// Engagement of the page view being left, when there is enough of it.
    fn report_engagement(&mut self) {
        let now = now_ms();
        let min = self.visits.min_engaged_ms;
        if let Some((ms, pct)) = self.visits.engagement.take_report(now, min) {
            let mut o = ObjectWriter::new();
            o.num("engaged_ms", ms)
                .num("scroll_pct", u64::from(pct))
                .str("page_view", &self.visits.page_view);
            self.record("engagement", &o.finish());
        }
    }

    /// Records a page view for the current page (closing the last one).
    pub(super) fn page_view(&mut self, path: &str, nav: &str) -> String {
        let now = now_ms();
        if !self.visits.page_view.is_empty() {
            self.report_engagement();
            self.visits.engagement.restart(now);
            self.visits.triggers.new_page_view();
        }
        self.record_page_view(now, path, nav);
        self.check_triggers(path)
    }

    /// Records the current page view when consent arrives after the load: the page view that
    /// was not recorded, not a new one (triggers and engagement go on).
    pub(super) fn consent_page_view(&mut self, path: &str) {
        self.record_page_view(now_ms(), path, "consent");
    }

    /// The session's activity at `now` and the `page_view` event, whose id engagement reports
    /// point to.
    fn record_page_view(&mut self, now: u64, path: &str, nav: &str) {
        self.visits.touch(now, true);
        let mut o = ObjectWriter::new();
        o.str("path", path).str("nav", nav);
        self.visits.page_view = self.record("page_view", &o.finish());
    }

    /// Fires the triggers whose conditions hold now; returns their details as a JSON array
    /// (`[{"name","visitor","session"},...]`, empty `""` when none).
    fn check_triggers(&mut self, path: &str) -> String {
        if self.config.triggers.is_empty() {
            return String::new();
        }
        let facts = VisitFacts {
            path,
            engaged_seconds: self.visits.engagement.engaged_seconds(),
            revisits: self.visits.session.revisits,
            source: (!self.touch.rule.is_empty()).then_some(self.touch.rule.as_str()),
        };
        // `record` only reads `self`, so the fired names can borrow the config while events
        // are recorded (no copies, no taking the list out and putting it back).
        let fired =
            self.visits
                .triggers
                .evaluate(&self.config.triggers, &facts, &mut self.visits.session);
        let mut out = String::new();
        if !fired.is_empty() {
            self.visits.touch(now_ms(), true);
            out.push('[');
            for name in fired {
                let mut o = ObjectWriter::new();
                o.str("name", name);
                self.record("trigger", &o.finish());
                let mut d = ObjectWriter::new();
                d.str("name", name)
                    .str("visitor", &self.visitor)
                    .str("session", self.visits.session_id());
                if out.len() > 1 {
                    out.push(',');
                }
                out.push_str(&d.finish());
            }
            out.push(']');
        }
        out
    }
}

impl Core {
    /// A navigation (`kind`: 0 load, 1 push, 2 replace, 3 pop, 4 hash, 5 bfcache restore,
    /// 6 prerendering, 7 prerender shown). When it is a new page view, the last page view's
    /// engagement is reported and this one recorded. Returns the triggers that fired (JSON
    /// array) or `""`.
    pub fn navigate(&mut self, kind: u8, href: &str, path: &str) -> String {
        let (nav, name) = nav_of(kind);
        if nav == Navigation::BfcacheRestore {
            // Frozen in the back/forward cache: that time is not engagement.
            self.visits.engagement = Engagement::start(now_ms(), true, true);
        }
        if !self.visits.pages.navigate(href, nav) {
            return String::new();
        }
        self.page_view(path, name)
    }

    /// Input, pointer, touch, wheel or scroll (`scroll_pct` > 0 for scrolls).
    pub fn activity(&mut self, scroll_pct: u8) {
        let now = now_ms();
        self.visits.engagement.activity_at(now);
        if scroll_pct > 0 {
            self.visits.engagement.scroll(now, scroll_pct);
        }
        self.visits.touch(now, false);
    }

    /// The page became visible/hidden or focused/blurred. Hidden reports engagement.
    pub fn visibility(&mut self, visible: bool, focused: bool) {
        let now = now_ms();
        self.visits.engagement.visible(now, visible);
        self.visits.engagement.focus(now, focused);
        if !visible {
            self.report_engagement();
        }
    }

    /// Once a second: dwell time moves on; returns the triggers that fired (JSON) or `""`.
    pub fn tick(&mut self, path: &str) -> String {
        let now = now_ms();
        self.visits.engagement.tick(now);
        if self.allowed && now / 1000 % 5 == 0 {
            self.alive(now);
        }
        self.check_triggers(path)
    }

    /// The page is being left (pagehide): report engagement.
    pub fn leave(&mut self) {
        self.visibility(false, false);
    }
}
