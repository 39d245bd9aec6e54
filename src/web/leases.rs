//! Visitor-level pool numbers in the page: a returning visitor's stored lease is shown at once;
//! otherwise the site's own number stays until the collector answers (at most one second),
//! then the leased number — or the pool's fallback when the collector is slow, down or the pool
//! is exhausted. Heartbeats keep the lease while the page is visible and pause while hidden.

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{dom, listen, now_ms, post, App};
use crate::config::{NumberChoice, Replacement};
use crate::json::ObjectWriter;
use crate::lease::{request_body, storage_key, Lease};
use crate::phone::PhoneNumber;
use crate::prelude::*;

/// The collector must answer a lease request within this; otherwise the fallback shows.
const LEASE_TIMEOUT_MS: u32 = 1_000;

/// One pool target of this page.
struct Slot {
    target: usize,
    pool: String,
    lease: RefCell<Option<Lease>>,
}

/// The page's pool leases.
#[derive(Default)]
pub struct Leases {
    slots: RefCell<Vec<Rc<Slot>>>,
    timer: Cell<Option<i32>>,
    endpoint: RefCell<String>,
    /// The heartbeat callback, made once and reused by every (re)scheduled interval.
    tick: RefCell<Option<Closure<dyn FnMut()>>>,
}

impl Leases {
    /// Leases for `{collector}/v1/leases`.
    pub fn new(collector: &str) -> Leases {
        let l = Leases::default();
        if !collector.is_empty() {
            let mut e = String::from(collector.trim_end_matches('/'));
            e.push_str("/v1/leases");
            *l.endpoint.borrow_mut() = e;
        }
        l
    }
}

fn replacement(app: &App, display: &str) -> Option<Replacement> {
    let number = PhoneNumber::parse(display, app.config.region).ok()?;
    Some(Replacement {
        written: display.into(),
        number,
    })
}

fn fallback(app: &App, pool: &str) -> Option<Replacement> {
    app.config.pool(pool).map(|p| p.fallback.clone())
}

/// Shows `r` for the slot's target and swaps it into the page.
fn show(app: &Rc<App>, slot: &Slot, r: Option<Replacement>) {
    app.numbers.borrow_mut()[slot.target] = r;
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        dom::scan_roots(app, &Array::of1(&doc.document_element().into()));
    }
    let lease = slot.lease.borrow();
    if let (Some(l), Some(t)) = (lease.as_ref(), app.config.targets.get(slot.target)) {
        let mut o = ObjectWriter::new();
        o.str("target", &t.number.e164())
            .str("number", &l.display)
            .str("pool", &slot.pool)
            .str("lease_id", &l.id);
        app.send("swap", &o.finish());
    }
}

/// Decides what each pool target shows at start: the stored lease, or nothing yet while a lease
/// is requested (or the fallback when leasing is not possible: no collector, no consent).
/// Runs before the first swap.
pub fn prepare(app: &Rc<App>, numbers: &mut [Option<Replacement>], allowed: bool) {
    let now = now_ms();
    let Some(map) = app.config.numbers_for(app.rule) else {
        return;
    };
    for (target, choice) in map {
        let NumberChoice::Pool(pool) = choice else {
            continue;
        };
        if !allowed || app.leases.endpoint.borrow().is_empty() {
            numbers[*target] = fallback(app, pool);
            continue;
        }
        let stored = app
            .store
            .get(&storage_key(pool, *target))
            .and_then(|s| Lease::decode(&s));
        let stored = stored.filter(|l| l.usable(now));
        numbers[*target] = stored.as_ref().and_then(|l| replacement(app, &l.display));
        app.leases.slots.borrow_mut().push(Rc::new(Slot {
            target: *target,
            pool: pool.clone(),
            lease: RefCell::new(stored),
        }));
    }
}

/// Requests the leases not in storage, starts heartbeats, and pauses them while hidden.
pub fn install(app: &Rc<App>) {
    let slots: Vec<Rc<Slot>> = app.leases.slots.borrow().clone();
    if slots.is_empty() {
        return;
    }
    for slot in slots {
        if slot.lease.borrow().is_none() {
            request(app, slot);
        }
    }
    schedule(app);
    if let Some(w) = web_sys::window() {
        let a = Rc::clone(app);
        listen(&w, "visibilitychange", move |_| schedule(&a));
    }
}

fn request(app: &Rc<App>, slot: Rc<Slot>) {
    let Some(target) = app.config.targets.get(slot.target) else {
        return;
    };
    let body = request_body(
        &app.config.site,
        &app.visitor.borrow(),
        &app.visits.session_id(),
        &slot.pool,
        &target.number.e164(),
        &app.touch.rule,
    );
    let a = Rc::clone(app);
    let done = Closure::once_into_js(move |status: u32, _retry: u32, text: String| {
        let answer = (status == 200 || status == 201)
            .then(|| Lease::from_answer(&text))
            .flatten();
        match answer {
            Some(lease) => {
                let r = replacement(&a, &lease.display).or_else(|| fallback(&a, &slot.pool));
                if lease.usable(now_ms()) {
                    a.store
                        .set(&storage_key(&slot.pool, slot.target), &lease.encode());
                    *slot.lease.borrow_mut() = Some(lease);
                    schedule(&a);
                }
                show(&a, &slot, r);
            }
            // Slow (aborted after the timeout), down, or refused: the pool's fallback number.
            None => show(&a, &slot, fallback(&a, &slot.pool)),
        }
    });
    post(
        &app.leases.endpoint.borrow(),
        &body,
        LEASE_TIMEOUT_MS,
        &done,
    );
}

/// Heartbeats run while the page is visible, at the pace the collector asked for.
fn schedule(app: &Rc<App>) {
    let Some(w) = web_sys::window() else { return };
    if let Some(t) = app.leases.timer.take() {
        w.clear_interval_with_handle(t);
    }
    let visible = w
        .document()
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
    let every = app
        .leases
        .slots
        .borrow()
        .iter()
        .filter_map(|s| s.lease.borrow().as_ref().map(|l| l.heartbeat_ms))
        .min();
    let Some(every) = every.filter(|_| visible) else {
        return;
    };
    let mut tick = app.leases.tick.borrow_mut();
    let a = Rc::clone(app);
    let cb = tick.get_or_insert_with(|| Closure::<dyn FnMut()>::new(move || heartbeat(&a)));
    let ms = every.min(i32::MAX as u64) as i32;
    if let Ok(h) =
        w.set_interval_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), ms)
    {
        app.leases.timer.set(Some(h));
    }
}

fn heartbeat(app: &Rc<App>) {
    let slots: Vec<Rc<Slot>> = app.leases.slots.borrow().clone();
    for slot in slots {
        let Some(id) = slot.lease.borrow().as_ref().map(|l| l.id.clone()) else {
            continue;
        };
        let mut url = app.leases.endpoint.borrow().clone();
        url.push('/');
        url.push_str(&id);
        url.push_str("/heartbeat");
        let a = Rc::clone(app);
        let s = Rc::clone(&slot);
        let done = Closure::once_into_js(move |status: u32, _retry: u32, text: String| {
            let key = storage_key(&s.pool, s.target);
            if status == 404 || status == 410 {
                // The collector let it go: the next page asks for a new one.
                a.store.remove(&key);
                *s.lease.borrow_mut() = None;
                return;
            }
            let renewed = s.lease.borrow().as_ref().and_then(|l| l.renewed(&text));
            if let Some(l) = renewed.filter(|_| status == 200) {
                a.store.set(&key, &l.encode());
                *s.lease.borrow_mut() = Some(l);
            }
        });
        post(&url, "{}", 5_000, &done);
    }
}
