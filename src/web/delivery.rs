//! Drives the [`crate::outbox`] policy: the queue lives in storage (shared by the site's tabs),
//! at most one request is in flight per tab, and the last events leave by `sendBeacon` when the
//! page is hidden or unloaded. Retries are scheduled with a timer and on `online`.

use alloc::rc::Rc;
use core::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::storage::Store;
use super::{beacon, listen, now_ms, post, random_bytes, App};
use crate::outbox::{Delivery as Result, Limits, Outbox, Outcome};
use crate::prelude::*;

/// Storage key of the shared queue.
const KEY: &str = "outbox";

/// A request that has not answered in this long is aborted (well inside the outbox's claim, so
/// another tab never resends events still in flight).
const TIMEOUT_MS: u32 = 8_000;

/// Per-page delivery state.
pub struct Delivery {
    endpoint: String,
    site: String,
    store: Rc<Store>,
    tab: String,
    in_flight: Cell<bool>,
    timer: Cell<Option<i32>>,
    /// False while consent is required and not given, or GPC/DNT apply: nothing is queued.
    enabled: Cell<bool>,
}

impl Delivery {
    /// Delivery to `{collector}/v1/events`; with no collector, events are not recorded at all.
    pub fn new(collector: &str, site: &str, store: Rc<Store>) -> Delivery {
        let mut endpoint = String::new();
        if !collector.is_empty() {
            endpoint.push_str(collector.trim_end_matches('/'));
            endpoint.push_str("/v1/events");
        }
        Delivery {
            endpoint,
            site: site.into(),
            store,
            tab: super::new_id(),
            in_flight: Cell::new(false),
            timer: Cell::new(None),
            enabled: Cell::new(true),
        }
    }

    /// Allows or stops queueing (consent, privacy signals).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.set(on);
    }

    /// Whether events are queued.
    pub fn enabled(&self) -> bool {
        self.enabled.get()
    }

    fn load(&self) -> Outbox {
        Outbox::decode(&self.store.get(KEY).unwrap_or_default(), Limits::default())
    }

    fn save(&self, ob: &Outbox) {
        if ob.is_empty() && ob.dropped() == 0 {
            self.store.remove(KEY);
        } else {
            self.store.set(KEY, &ob.encode());
        }
    }

    /// Queues one event (already JSON); the caller then calls [`flush`].
    pub fn push(&self, id: &str, json: &str) -> bool {
        if self.endpoint.is_empty() || !self.enabled.get() {
            return false;
        }
        let mut ob = self.load();
        if ob.push(id, json).is_err() {
            web_sys::console::warn_1(&"[ringtrail] event not queued: invalid or too large".into());
            return false;
        }
        self.save(&ob);
        true
    }

    /// On pagehide / hidden: everything unclaimed goes in one beacon.
    fn beacon(&self) {
        if self.endpoint.is_empty() {
            return;
        }
        let mut ob = self.load();
        if let Some(batch) = ob.drain_for_beacon(&self.tab, now_ms(), &self.site) {
            if beacon(&self.endpoint, &batch.body) {
                self.save(&ob);
            }
        }
    }
}

fn schedule(app: &Rc<App>, at_ms: u64) {
    let Some(w) = web_sys::window() else { return };
    let d = &app.delivery;
    if let Some(t) = d.timer.take() {
        w.clear_timeout_with_handle(t);
    }
    let delay = at_ms.saturating_sub(now_ms()).min(i32::MAX as u64) as i32;
    let a = Rc::clone(app);
    let cb = Closure::once_into_js(move || flush(&a));
    if let Ok(h) =
        w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), delay)
    {
        d.timer.set(Some(h));
    }
}

/// Sends the next batch, if any and if no request of this tab is in flight; repeats until the
/// queue is empty or a failure schedules a retry.
pub fn flush(app: &Rc<App>) {
    let d = &app.delivery;
    if d.in_flight.get() || d.endpoint.is_empty() {
        return;
    }
    let mut ob = d.load();
    let now = now_ms();
    let Some(batch) = ob.next_batch(&d.tab, now, &d.site) else {
        if !ob.is_empty() && ob.retry_at_ms() > now {
            schedule(app, ob.retry_at_ms());
        }
        return;
    };
    d.save(&ob);
    d.in_flight.set(true);
    let a = Rc::clone(app);
    let done = Closure::once_into_js(move |status: u32, retry_after_s: u32| {
        let d = &a.delivery;
        let outcome = match u16::try_from(status) {
            Ok(0) | Err(_) => Outcome::NetworkError,
            Ok(code) => Outcome::Status {
                code,
                retry_after_s: (retry_after_s > 0).then_some(retry_after_s),
            },
        };
        let mut ob = d.load();
        let random = u32::from_le_bytes(random_bytes::<4>());
        let result = ob.on_result(&d.tab, &batch.ids, outcome, now_ms(), random);
        d.save(&ob);
        d.in_flight.set(false);
        match result {
            Result::Delivered { .. } => flush(&a),
            Result::Rejected { status, events } => {
                let mut msg = String::from("[ringtrail] collector rejected ");
                crate::json::push_u64(&mut msg, events as u64);
                msg.push_str(" events with HTTP ");
                crate::json::push_u64(&mut msg, u64::from(status));
                web_sys::console::error_1(&msg.into());
                flush(&a);
            }
            Result::Retry { at_ms } => schedule(&a, at_ms),
        }
    });
    post(&d.endpoint, &batch.body, TIMEOUT_MS, &done);
}

/// Page lifecycle hooks: beacon on pagehide / hidden, retry when back online; and a first flush
/// of whatever earlier pages left in the queue.
pub fn install(app: &Rc<App>) {
    let Some(w) = web_sys::window() else { return };
    for event in ["pagehide", "visibilitychange"] {
        let a = Rc::clone(app);
        listen(&w, event, move |ev| {
            let hidden = ev.type_() == "pagehide"
                || web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
            if hidden {
                a.delivery.beacon();
            }
        });
    }
    let a = Rc::clone(app);
    listen(&w, "online", move |_| flush(&a));
    flush(app);
}
