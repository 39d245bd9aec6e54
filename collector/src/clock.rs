//! The one clock the collector reads, injectable so tests can fix time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, from the system or fixed by a test.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock that reads `ms` until [`Clock::set`] or [`Clock::advance`] change it.
    pub fn fixed(ms: i64) -> Self {
        Clock {
            fixed: Some(Arc::new(AtomicI64::new(ms))),
        }
    }

    /// Now, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.fixed {
            Some(ms) => ms.load(Ordering::Relaxed),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        }
    }

    /// Sets a fixed clock (no effect on the system clock).
    pub fn set(&self, ms: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.store(ms, Ordering::Relaxed);
        }
    }

    /// Moves a fixed clock forward (no effect on the system clock).
    pub fn advance(&self, ms: i64) {
        if let Some(fixed) = &self.fixed {
            fixed.fetch_add(ms, Ordering::Relaxed);
        }
    }
}
