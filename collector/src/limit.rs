//! Per-client-IP rate limiting (token bucket) for the API.
//!
//! The key is the TCP peer address. Behind a reverse proxy every client shares the proxy's
//! address, so there the limit should be raised or disabled (`--rate-limit 0`) and enforced by
//! the proxy.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::AppState;

/// Buckets kept before idle ones are dropped.
const MAX_TRACKED_CLIENTS: usize = 10_000;

/// Requests per second per client, with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once after a quiet period.
    pub burst: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter with no clients yet.
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip` at `now`; `Err(seconds to wait)` when none is left.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&ip) {
            let limit = self.limit;
            buckets.retain(|_, b| refill(b, limit, now) < limit.burst);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.limit.burst,
            updated: now,
        });
        let tokens = refill(bucket, self.limit, now);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            bucket.updated = now;
            Ok(())
        } else {
            let wait = (1.0 - tokens) / self.limit.per_second.max(f64::MIN_POSITIVE);
            Err(wait.ceil().clamp(1.0, 3600.0) as u64)
        }
    }
}

fn refill(bucket: &Bucket, limit: RateLimit, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * limit.per_second).min(limit.burst)
}

/// Middleware: 429 with `Retry-After` when the client's bucket is empty. Requests without a
/// peer address (in-process tests) are not limited.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(limiter) = &state.rate_limiter {
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
            if let Err(wait) = limiter.check(peer.ip(), Instant::now()) {
                return AppError::TooManyRequests(wait).into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_burst_then_refills() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 2.0,
            burst: 3.0,
        });
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip, t0), Ok(()));
        }
        assert_eq!(limiter.check(ip, t0), Err(1));
        assert_eq!(limiter.check(other, t0), Ok(()));
        assert_eq!(limiter.check(ip, t0 + Duration::from_millis(500)), Ok(()));
        assert!(limiter.check(ip, t0 + Duration::from_millis(500)).is_err());
    }
}
