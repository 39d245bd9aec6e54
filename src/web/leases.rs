//! Visitor-level pool numbers: a returning visitor's stored lease is shown at once; otherwise
//! the site's own number stays until the collector answers (the runtime gives it one second),
//! then the leased number, or the pool's fallback when the collector is slow, down or the pool
//! is exhausted. The runtime heartbeats while the page is visible, at the pace asked here.

use super::{now_ms, store_get, store_remove, store_set, Core};
use crate::config::Replacement;
use crate::json::{self, ObjectWriter};
use crate::lease::{request_body, storage_key, Lease};
use crate::phone::PhoneNumber;
use crate::prelude::*;

/// One pool target of this page.
struct Slot {
    target: usize,
    pool: String,
    lease: Option<Lease>,
    /// Waiting for the collector's answer.
    pending: bool,
}

/// The page's pool leases.
#[derive(Default)]
pub struct Leases {
    slots: Vec<Slot>,
}

impl Core {
    fn replacement(&self, display: &str) -> Option<Replacement> {
        let number = PhoneNumber::parse(display, self.config.region).ok()?;
        Some(Replacement {
            written: display.into(),
            number,
        })
    }

    fn fallback(&self, pool: &str) -> Option<Replacement> {
        self.config.pool(pool).map(|p| p.fallback.clone())
    }

    /// Decides what each pool target shows at start: the stored lease, or nothing yet while a
    /// lease is requested, or the fallback when leasing is not possible (no collector, no
    /// permission to keep a visitor id).
    pub(super) fn prepare_leases(&mut self, pools: Vec<(usize, String)>) {
        let now = now_ms();
        for (target, pool) in pools {
            if !self.allowed || !self.collector {
                self.numbers[target] = self.fallback(&pool);
                continue;
            }
            let stored = store_get(&storage_key(&self.config.site, &pool, target))
                .and_then(|s| Lease::decode(&s))
                .filter(|l| l.usable(now));
            self.numbers[target] = stored.as_ref().and_then(|l| self.replacement(&l.display));
            let pending = stored.is_none();
            if let Some(l) = &stored {
                self.record_lease_swap(target, &pool, l);
            }
            self.leases.slots.push(Slot {
                target,
                pool,
                lease: stored,
                pending,
            });
        }
    }

    fn record_lease_swap(&mut self, target: usize, pool: &str, l: &Lease) {
        let Some(t) = self.config.targets.get(target) else {
            return;
        };
        let mut o = ObjectWriter::new();
        o.str("target", &t.number.e164())
            .str("number", &l.display)
            .str("pool", pool)
            .str("lease_id", &l.id);
        let data = o.finish();
        self.record("swap", &data);
    }
}

/// Appends `[slot, "text"]` to a JSON array being built (one copy for requests and heartbeats).
#[inline(never)]
fn slot_item(out: &mut String, slot: usize, text: &str) {
    super::item(out, |o| {
        json::push_u64(o, slot as u64);
        o.push(',');
        json::write_str(o, text);
    });
}

impl Core {
    /// Lease requests to POST to `{collector}/v1/leases`: `[[slot, body], ...]` (JSON).
    pub fn lease_requests(&self) -> String {
        let mut out = String::from("[");
        for (i, s) in self
            .leases
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.pending)
        {
            let Some(t) = self.config.targets.get(s.target) else {
                continue;
            };
            let body = request_body(
                &self.config.site,
                &self.visitor,
                self.visits.session_id(),
                &s.pool,
                &t.number.e164(),
                &self.touch.rule,
            );
            slot_item(&mut out, i, &body);
        }
        out.push(']');
        out
    }

    /// The collector's answer to a lease request (status 0: no answer in time), its fields as
    /// [`Lease::from_answer`] reads them. Returns true when the page must be swapped again (the
    /// slot now shows a number).
    pub fn lease_answer(&mut self, slot: usize, status: u16, fields: &str) -> bool {
        let Some(s) = self.leases.slots.get(slot) else {
            return false;
        };
        if !s.pending {
            return false;
        }
        let (target, pool) = (s.target, s.pool.clone());
        let answer = matches!(status, 200 | 201)
            .then(|| Lease::from_answer(fields))
            .flatten();
        let shown = match &answer {
            Some(l) => self
                .replacement(&l.display)
                .or_else(|| self.fallback(&pool)),
            // Slow (aborted after the timeout), down, or refused: the pool's fallback number.
            None => self.fallback(&pool),
        };
        self.numbers[target] = shown;
        let lease = answer.filter(|l| l.usable(now_ms()));
        if let Some(l) = &lease {
            store_set(&storage_key(&self.config.site, &pool, target), &l.encode());
            self.record_lease_swap(target, &pool, l);
        }
        let s = &mut self.leases.slots[slot];
        s.pending = false;
        s.lease = lease;
        true
    }

    /// Leases to keep alive: `[[slot, "lease id"], ...]` (JSON).
    pub fn heartbeats(&self) -> String {
        let mut out = String::from("[");
        for (i, s) in self.leases.slots.iter().enumerate() {
            if let Some(l) = &s.lease {
                slot_item(&mut out, i, &l.id);
            }
        }
        out.push(']');
        out
    }

    /// How often to heartbeat (ms), 0 when there is nothing to keep alive.
    pub fn heartbeat_ms(&self) -> u32 {
        let every = self
            .leases
            .slots
            .iter()
            .filter_map(|s| s.lease.as_ref().map(|l| l.heartbeat_ms))
            .min();
        every.unwrap_or(0).min(u64::from(u32::MAX)) as u32
    }

    /// The answer to a heartbeat (its fields as [`Lease::from_answer`] reads them): a lapsed
    /// lease (404/410) is forgotten, so the next page asks for a new one; a renewal updates the
    /// stored expiry.
    pub fn heartbeat_answer(&mut self, slot: usize, status: u16, fields: &str) {
        let Some(s) = self.leases.slots.get_mut(slot) else {
            return;
        };
        let key = storage_key(&self.config.site, &s.pool, s.target);
        if status == 404 || status == 410 {
            store_remove(&key);
            s.lease = None;
            return;
        }
        let renewed = s
            .lease
            .as_ref()
            .and_then(|l| l.renewed(fields))
            .filter(|_| status == 200);
        if let Some(l) = renewed {
            store_set(&key, &l.encode());
            s.lease = Some(l);
        }
    }
}

impl Core {
    /// When the first of this page's leases lapses (`u64::MAX` without pool numbers); `None`
    /// while one is pending or has no lease (its fallback stands in: the next page asks again).
    pub(super) fn leases_until(&self) -> Option<u64> {
        let mut until = u64::MAX;
        for s in &self.leases.slots {
            until = until.min(s.lease.as_ref().filter(|_| !s.pending)?.expires_at_ms);
        }
        Some(until)
    }
}
