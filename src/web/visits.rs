//! Visits in the page: the session (shared by the visitor's tabs through storage), page views
//! (first load, SPA history changes, back/forward cache, prerender shown), engaged time and
//! scroll depth, and triggers. The rules are [`crate::visit`]'s; this file feeds it browser
//! signals and sends what it decides.

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{dispatch, hook_history, listen, new_id, now_ms, object, scroll_depth, App};
use crate::json::ObjectWriter;
use crate::prelude::*;
use crate::visit::{
    Engagement, Navigation, PageViews, Session, SessionPolicy, Triggers, VisitFacts,
};

/// Session state is written back at most this often while the visitor is active.
const STORE_EVERY_MS: u64 = 60_000;

/// Per-page visit state.
pub struct Visits {
    policy: SessionPolicy,
    session: RefCell<Session>,
    engagement: RefCell<Engagement>,
    pages: RefCell<PageViews>,
    triggers: RefCell<Triggers>,
    /// Id of the current page view's event (engagement reports point to it).
    page_view: RefCell<String>,
    stored_at: Cell<u64>,
    scroll_at: Cell<u64>,
}

impl Visits {
    /// Resumes the stored session (or starts one) at page load.
    pub fn new(
        app_store: &super::storage::Store,
        session_minutes: u32,
        hash_routing: bool,
    ) -> Visits {
        let policy = SessionPolicy::new(session_minutes);
        let now = now_ms();
        let (session, _) =
            Session::resume(app_store.get("session").as_deref(), now, &policy, new_id);
        app_store.set("session", &session.encode());
        let (visible, focused) = visibility();
        Visits {
            policy,
            session: RefCell::new(session),
            engagement: RefCell::new(Engagement::start(now, visible, focused)),
            pages: RefCell::new(PageViews::new(hash_routing)),
            triggers: RefCell::new(Triggers::new()),
            page_view: RefCell::new(String::new()),
            stored_at: Cell::new(now),
            scroll_at: Cell::new(0),
        }
    }

    /// The current session id.
    pub fn session_id(&self) -> String {
        self.session.borrow().id.clone()
    }

    /// Earlier sessions of this visitor.
    pub fn revisits(&self) -> u32 {
        self.session.borrow().revisits
    }
}

/// (visible, focused) right now.
fn visibility() -> (bool, bool) {
    let doc = web_sys::window().and_then(|w| w.document());
    let visible = doc
        .as_ref()
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
    let focused = doc.as_ref().is_some_and(|d| d.has_focus().unwrap_or(false));
    (visible, focused)
}

fn href() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

fn path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default()
}

/// Activity in the shared session: load → apply → store (other tabs may have moved it on).
fn touch_session(app: &App, now: u64, force_store: bool) {
    let v = &app.visits;
    if !force_store && now.saturating_sub(v.stored_at.get()) < STORE_EVERY_MS {
        v.session.borrow_mut().last_activity_ms = now;
        return;
    }
    let stored = app.store.get("session");
    // Our own view wins when storage has nothing newer (e.g. memory-only storage).
    let current = v.session.borrow().encode();
    let (s, _) = Session::resume(
        Some(stored.as_deref().unwrap_or(&current)),
        now,
        &v.policy,
        new_id,
    );
    app.store.set("session", &s.encode());
    *v.session.borrow_mut() = s;
    v.stored_at.set(now);
}

/// Sends the engagement of the page view being left, if there is enough of it.
fn report_engagement(app: &Rc<App>) {
    let v = &app.visits;
    let now = now_ms();
    let report = v
        .engagement
        .borrow_mut()
        .take_report(now, app.config.tracking.min_engaged_ms);
    if let Some((ms, pct)) = report {
        let mut o = ObjectWriter::new();
        o.num("engaged_ms", ms)
            .num("scroll_pct", u64::from(pct))
            .str("page_view", &v.page_view.borrow());
        app.record("engagement", &o.finish());
    }
}

/// A navigation happened: when it is a new page view, closes the last one and records this one.
fn navigate(app: &Rc<App>, kind: Navigation, nav: &str) {
    let v = &app.visits;
    if !v.pages.borrow_mut().navigate(&href(), kind) {
        return;
    }
    let now = now_ms();
    if !v.page_view.borrow().is_empty() {
        report_engagement(app);
        v.engagement.borrow_mut().restart(now);
        v.triggers.borrow_mut().new_page_view();
    }
    touch_session(app, now, true);
    let mut o = ObjectWriter::new();
    o.str("path", &path()).str("nav", nav);
    let id = app.record("page_view", &o.finish());
    *v.page_view.borrow_mut() = id;
    app.flush();
    check_triggers(app);
}

/// Fires the triggers whose conditions hold now (each at most once per page view or session).
fn check_triggers(app: &Rc<App>) {
    let v = &app.visits;
    if app.config.triggers.is_empty() {
        return;
    }
    let path = path();
    let fired: Vec<String> = {
        let mut session = v.session.borrow_mut();
        let facts = VisitFacts {
            path: &path,
            engaged_seconds: v.engagement.borrow().engaged_seconds(),
            revisits: session.revisits,
            source: (!app.touch.rule.is_empty()).then_some(app.touch.rule.as_str()),
        };
        v.triggers
            .borrow_mut()
            .evaluate(&app.config.triggers, &facts, &mut session)
            .into_iter()
            .map(String::from)
            .collect()
    };
    if fired.is_empty() {
        return;
    }
    touch_session(app, now_ms(), true);
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    for name in fired {
        let detail = object(&[
            ("name", &name.as_str().into()),
            ("visitor", &app.visitor.borrow().as_str().into()),
            ("session", &v.session_id().as_str().into()),
        ]);
        dispatch(&document, "ringtrail:trigger", &detail);
        app.emit("trigger", &detail);
        let mut o = ObjectWriter::new();
        o.str("name", &name);
        app.record("trigger", &o.finish());
    }
    app.flush();
}

/// Starts visit tracking: the first page view (or waits for a prerendered page to be shown),
/// history and lifecycle listeners, activity signals and the one-second clock for dwell time.
pub fn install(app: &Rc<App>) {
    let Some(w) = web_sys::window() else { return };
    let Some(doc) = w.document() else { return };

    let prerendering = Reflect::get(&doc, &"prerendering".into()).is_ok_and(|p| p.is_truthy());
    if prerendering {
        app.visits
            .pages
            .borrow_mut()
            .navigate(&href(), Navigation::Prerender);
        let a = Rc::clone(app);
        listen(&doc, "prerenderingchange", move |_| {
            navigate(&a, Navigation::PrerenderShown, "prerender")
        });
    } else {
        navigate(app, Navigation::Load, "load");
    }

    let a = Rc::clone(app);
    let on_history = Closure::<dyn FnMut(u32)>::new(move |kind: u32| {
        let (k, nav) = if kind == 1 {
            (Navigation::Push, "push")
        } else {
            (Navigation::Replace, "replace")
        };
        navigate(&a, k, nav);
    });
    hook_history(on_history.as_ref().unchecked_ref());
    on_history.forget();
    let a = Rc::clone(app);
    listen(&w, "popstate", move |_| {
        navigate(&a, Navigation::Pop, "pop")
    });
    let a = Rc::clone(app);
    listen(&w, "hashchange", move |_| {
        navigate(&a, Navigation::HashChange, "hash")
    });
    let a = Rc::clone(app);
    listen(&w, "pageshow", move |ev| {
        if Reflect::get(&ev, &"persisted".into()).is_ok_and(|p| p.is_truthy()) {
            // Back/forward cache: the page was frozen, not reloaded; a new page view, and the
            // time it spent frozen is not engagement.
            let (visible, focused) = visibility();
            *a.visits.engagement.borrow_mut() = Engagement::start(now_ms(), visible, focused);
            navigate(&a, Navigation::BfcacheRestore, "bfcache");
        }
    });

    // Leaving (hidden, pagehide): report engagement before delivery's beacon drains the queue
    // (listeners run in the order they were added, and delivery installs after us).
    for event in ["visibilitychange", "pagehide"] {
        let a = Rc::clone(app);
        listen(&w, event, move |ev| {
            let (visible, _) = visibility();
            a.visits
                .engagement
                .borrow_mut()
                .visible(now_ms(), visible && ev.type_() != "pagehide");
            if !visible || ev.type_() == "pagehide" {
                report_engagement(&a);
            }
        });
    }
    for (event, focused) in [("focus", true), ("blur", false)] {
        let a = Rc::clone(app);
        listen(&w, event, move |_| {
            a.visits.engagement.borrow_mut().focus(now_ms(), focused)
        });
    }
    for event in [
        "pointerdown",
        "pointermove",
        "keydown",
        "touchstart",
        "wheel",
        "scroll",
    ] {
        let a = Rc::clone(app);
        listen(&w, event, move |ev| {
            let now = now_ms();
            let v = &a.visits;
            v.engagement.borrow_mut().activity_at(now);
            if ev.type_() == "scroll" && now.saturating_sub(v.scroll_at.get()) > 200 {
                v.scroll_at.set(now);
                v.engagement.borrow_mut().scroll(now, scroll_depth());
            }
            touch_session(&a, now, false);
        });
    }
    let a = Rc::clone(app);
    let tick = Closure::<dyn FnMut()>::new(move || {
        a.visits.engagement.borrow_mut().tick(now_ms());
        check_triggers(&a);
    });
    let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1000,
    );
    tick.forget();
}
