//! One storage path: `localStorage` when it works, memory when it does not.
//!
//! `localStorage` throws in some privacy modes and when cookies are blocked, and can be full.
//! Every failure falls back to an in-memory map for the rest of the page, so the snippet keeps
//! working (numbers still swap; only persistence across pages is lost), and never throws.

use core::cell::RefCell;

use crate::prelude::*;
use web_sys::Storage;

/// Key prefix for everything the snippet stores, so `consent(false)` can remove it all.
pub const PREFIX: &str = "ringtrail:";

/// Storage with a memory fallback.
pub struct Store {
    local: RefCell<Option<Storage>>,
    memory: RefCell<Vec<(String, String)>>,
}

impl Store {
    /// Uses `localStorage` if a write and a read back succeed; memory otherwise.
    pub fn open(persistent: bool) -> Store {
        let local = if persistent { probe() } else { None };
        Store {
            local: RefCell::new(local),
            memory: RefCell::new(Vec::new()),
        }
    }

    /// Reads `ringtrail:{key}`.
    pub fn get(&self, key: &str) -> Option<String> {
        let full = full_key(key);
        if let Some(s) = self.local.borrow().as_ref() {
            if let Ok(v) = s.get_item(&full) {
                return v;
            }
        }
        self.memory
            .borrow()
            .iter()
            .find(|(k, _)| *k == full)
            .map(|(_, v)| v.clone())
    }

    /// Writes `ringtrail:{key}`; when `localStorage` refuses (quota, blocked), keeps it in memory.
    pub fn set(&self, key: &str, value: &str) {
        let full = full_key(key);
        let stored = self
            .local
            .borrow()
            .as_ref()
            .is_some_and(|s| s.set_item(&full, value).is_ok());
        if !stored {
            let mut m = self.memory.borrow_mut();
            match m.iter_mut().find(|(k, _)| *k == full) {
                Some(slot) => slot.1 = value.into(),
                None => m.push((full, value.into())),
            }
        }
    }

    /// Removes `ringtrail:{key}`.
    pub fn remove(&self, key: &str) {
        let full = full_key(key);
        if let Some(s) = self.local.borrow().as_ref() {
            let _ = s.remove_item(&full);
        }
        self.memory.borrow_mut().retain(|(k, _)| *k != full);
    }

    /// Starts persisting (consent given): what was kept in memory so far moves to
    /// `localStorage`, if it works.
    pub fn persist(&self) {
        if self.local.borrow().is_some() {
            return;
        }
        *self.local.borrow_mut() = probe();
        let kept: Vec<(String, String)> = core::mem::take(&mut *self.memory.borrow_mut());
        for (k, v) in kept {
            self.set(k.trim_start_matches(PREFIX), &v);
        }
    }

    /// Removes everything the snippet stored and stops persisting (consent withdrawn).
    pub fn forget_all(&self) {
        if let Some(s) = self.local.borrow_mut().take() {
            let n = s.length().unwrap_or(0);
            let mut keys = Vec::new();
            for i in 0..n {
                if let Ok(Some(k)) = s.key(i) {
                    if k.starts_with(PREFIX) {
                        keys.push(k);
                    }
                }
            }
            for k in keys {
                let _ = s.remove_item(&k);
            }
        }
        self.memory.borrow_mut().clear();
    }
}

/// Reads `ringtrail:{key}` from `localStorage` without writing anything (the consent flag must
/// be readable before anything may be stored).
pub fn peek(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(&full_key(key))
        .ok()?
}

fn full_key(key: &str) -> String {
    let mut k = String::from(PREFIX);
    k.push_str(key);
    k
}

fn probe() -> Option<Storage> {
    let s = web_sys::window()?.local_storage().ok()??;
    let key = "ringtrail:probe";
    s.set_item(key, "1").ok()?;
    let ok = s.get_item(key).ok()?.as_deref() == Some("1");
    let _ = s.remove_item(key);
    ok.then_some(s)
}
