//! The JSON API under `/v1`.
//!
//! - `POST /v1/events`: ingest a batch (see [`events::ingest`]).
//! - `GET /v1/events`: read stored events back (tests, exports; see [`events::list`]).

pub mod events;

use axum::routing::post;
use axum::Router;

use crate::AppState;

/// Routes under `/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/events", post(events::ingest).get(events::list))
}
