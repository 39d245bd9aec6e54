//! Drives the [`crate::outbox`] policy: the queue lives in storage (shared by the site's tabs),
//! at most one request is in flight per tab, and the last events leave by `sendBeacon` when the
//! page is hidden or unloaded. Retries are scheduled with a timer and on `online`.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::storage::Store;
use super::{now_ms, random_bytes, transport};
use crate::outbox::{Delivery as Result, Limits, Outbox, Outcome};

/// Storage key of the shared queue.
const KEY: &str = "outbox";

/// A request that has not answered in this long is aborted (well inside the outbox's claim, so
/// another tab never resends events still in flight).
const TIMEOUT_MS: i32 = 8_000;

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

    /// Queues one event (already JSON) and starts a send.
    pub fn push(&self, id: &str, json: &str) {
        if self.endpoint.is_empty() || !self.enabled.get() {
            return;
        }
        let mut ob = self.load();
        if ob.push(id, json).is_err() {
            web_sys::console::warn_1(&"[ringtrail] event not queued: invalid or too large".into());
            return;
        }
        self.save(&ob);
        flush();
    }

    /// On pagehide / hidden: everything unclaimed goes in one beacon.
    fn beacon(&self) {
        if self.endpoint.is_empty() {
            return;
        }
        let mut ob = self.load();
        if let Some(batch) = ob.drain_for_beacon(&self.tab, now_ms(), &self.site) {
            if transport::beacon(&self.endpoint, &batch.body) {
                self.save(&ob);
            }
        }
    }

    fn schedule(&self, at_ms: u64) {
        let Some(w) = web_sys::window() else { return };
        if let Some(t) = self.timer.take() {
            w.clear_timeout_with_handle(t);
        }
        let delay = at_ms.saturating_sub(now_ms()).min(i32::MAX as u64) as i32;
        let cb = Closure::once_into_js(flush);
        if let Ok(h) =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), delay)
        {
            self.timer.set(Some(h));
        }
    }
}

/// Sends the next batch, if any and if no request of this tab is in flight; repeats until the
/// queue is empty or a failure schedules a retry.
pub fn flush() {
    let Some(app) = super::app() else { return };
    let d = &app.delivery;
    if d.in_flight.get() || d.endpoint.is_empty() {
        return;
    }
    let mut ob = d.load();
    let now = now_ms();
    let Some(batch) = ob.next_batch(&d.tab, now, &d.site) else {
        if !ob.is_empty() && ob.retry_at_ms() > now {
            d.schedule(ob.retry_at_ms());
        }
        return;
    };
    d.save(&ob);
    d.in_flight.set(true);
    wasm_bindgen_futures::spawn_local(async move {
        let (reply, _) = transport::post(&app.delivery.endpoint, &batch.body, TIMEOUT_MS).await;
        let d = &app.delivery;
        let outcome = if reply.status == 0 {
            Outcome::NetworkError
        } else {
            Outcome::Status {
                code: reply.status,
                retry_after_s: reply.retry_after_s,
            }
        };
        let mut ob = d.load();
        let random = u32::from_le_bytes(random_bytes::<4>());
        let result = ob.on_result(&d.tab, &batch.ids, outcome, now_ms(), random);
        d.save(&ob);
        d.in_flight.set(false);
        match result {
            Result::Delivered { .. } => flush(),
            Result::Rejected { status, events } => {
                let mut msg = String::from("[ringtrail] collector rejected ");
                crate::json::push_u64(&mut msg, events as u64);
                msg.push_str(" events with HTTP ");
                crate::json::push_u64(&mut msg, u64::from(status));
                web_sys::console::error_1(&msg.into());
                flush();
            }
            Result::Retry { at_ms } => d.schedule(at_ms),
        }
    });
}

/// Page lifecycle hooks: beacon on pagehide / hidden, retry when back online; and a first flush
/// of whatever earlier pages left in the queue.
pub fn install(_d: &Delivery) {
    let Some(w) = web_sys::window() else { return };
    let on_hide = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        let hidden = ev.type_() == "pagehide"
            || web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
        if hidden {
            if let Some(app) = super::app() {
                app.delivery.beacon();
            }
        }
    });
    let _ = w.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
    let _ =
        w.add_event_listener_with_callback("visibilitychange", on_hide.as_ref().unchecked_ref());
    // Page-lifetime listeners: never removed, so never freed.
    on_hide.forget();
    let on_online = Closure::<dyn Fn()>::new(flush);
    let _ = w.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
    on_online.forget();
    flush();
}
