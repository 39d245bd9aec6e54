//! The JSON API under `/v1`.
//!
//! - `POST /v1/events`: ingest a batch (see [`events::ingest`]).
//! - `GET /v1/events`: read stored events back (tests, exports; see [`events::list`]).
//! - `GET /v1/leads`, `GET /v1/visits`: lead and visit reports as JSON (see [`leads`]).
//!   These three are [`read_routes`], behind the reports token when one is set.
//! - `GET /v1/config/{site}`: a loaded site config, compiled for the snippet; `POST /v1/config`:
//!   compiles the JSON config in the body (see [`config_api`]).
//! - `POST /v1/leases`, `POST /v1/leases/{id}/heartbeat`, `DELETE /v1/leases/{id}`,
//!   `POST /v1/leases/{id}/release`: pool number leases (see [`leases`]).
//! - `POST /v1/calls`: the call webhook (see [`calls::receive`]).

pub mod calls;
pub mod config_api;
pub mod events;
pub mod leads;
pub mod leases;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// Routes under `/v1` that the snippet and the call webhook use.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/events", post(events::ingest))
        .route("/v1/config", post(config_api::compile))
        .route("/v1/config/{site}", get(config_api::get_config))
        .route("/v1/leases", post(leases::create))
        .route("/v1/leases/{id}", axum::routing::delete(leases::release))
        .route("/v1/leases/{id}/heartbeat", post(leases::heartbeat))
        .route("/v1/leases/{id}/release", post(leases::release))
        .route("/v1/calls", post(calls::receive))
}

/// Routes under `/v1` that read stored events, leads and visits back (behind the reports
/// token, see [`crate::access`]).
pub fn read_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(events::list))
        .route("/v1/leads", get(leads::list))
        .route("/v1/visits", get(leads::visits))
}
