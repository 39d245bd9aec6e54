//! ringtrail reference collector: event ingest, reports, and (later) leases and call
//! attribution.
//!
//! [`app`] builds the whole HTTP service from an [`AppState`]; the `ringtrail` binary
//! ([`cli`]) wires it to a socket, and tests drive it with `tower::ServiceExt::oneshot`.

pub mod access;
pub mod api;
pub mod calls;
pub mod check;
pub mod cli;
pub mod clock;
pub mod csv;
pub mod error;
pub mod event;
pub mod extract;
pub mod leads;
pub mod leases;
pub mod limit;
pub mod merge;
pub mod report;
pub mod serve;
pub mod sites;
pub mod static_files;
pub mod store;
pub mod tools;
pub mod visits;

use std::sync::Arc;

use axum::http::{header, HeaderValue, Method};
use axum::routing::get;
use axum::{middleware, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use clock::Clock;
pub use error::{AppError, AppResult};
pub use limit::RateLimit;
pub use sites::Sites;
pub use static_files::Mount;
pub use store::{Db, SqliteStore};

/// How the service behaves, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Origins allowed by CORS (`https://shop.example`); empty or `*` means any origin.
    pub allow_origins: Vec<String>,
    /// Static directories, tried in order after the API and report routes.
    pub mounts: Vec<Mount>,
    /// Per-IP API rate limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Requests handled at once; more wait their turn.
    pub max_concurrent_requests: usize,
    /// Secrets the call webhook must present, by site.
    pub webhook_secrets: calls::WebhookSecrets,
    /// Token the reports and the read API ask for ([`access`]); `None`: they are open.
    pub reports_token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_origins: Vec::new(),
            mounts: Vec::new(),
            rate_limit: Some(RateLimit {
                per_second: 50.0,
                burst: 200.0,
            }),
            max_concurrent_requests: 256,
            webhook_secrets: calls::WebhookSecrets::default(),
            reports_token: None,
        }
    }
}

/// Everything handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub db: Db,
    /// Loaded site configs.
    pub sites: Arc<Sites>,
    /// The clock.
    pub clock: Clock,
    /// Service options.
    pub options: Arc<Options>,
    /// Rate limiter built from `options.rate_limit`.
    pub rate_limiter: Option<Arc<limit::RateLimiter>>,
}

impl AppState {
    /// State over a store, with the system clock.
    pub fn new(db: Db, sites: Sites, options: Options) -> Self {
        let rate_limiter = options
            .rate_limit
            .map(|limit| Arc::new(limit::RateLimiter::new(limit)));
        AppState {
            db,
            sites: Arc::new(sites),
            clock: Clock::system(),
            options: Arc::new(options),
            rate_limiter,
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

/// The whole HTTP service.
pub fn app(state: AppState) -> Router {
    let api = api::routes().route_layer(middleware::from_fn_with_state(
        state.clone(),
        limit::rate_limit,
    ));
    // What shows stored leads asks for the reports token (when there is one), within the rate
    // limit (guesses at the token count against it).
    let reads = report::routes()
        .merge(api::read_routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            access::require_reports_token,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit::rate_limit,
        ));
    Router::new()
        .merge(api)
        .merge(reads)
        .route("/healthz", get(|| async { "ok" }))
        .fallback(static_files::fallback)
        .layer(cors(&state.options.allow_origins))
        .layer(GlobalConcurrencyLimitLayer::new(
            state.options.max_concurrent_requests.max(1),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE])
        // The snippet's outbox reads Retry-After on 429/503; cross-origin it must be exposed.
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(24 * 3600));
    let listed: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| o.as_str() != "*")
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    if listed.is_empty() || origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        layer.allow_origin(AllowOrigin::list(listed))
    }
}
