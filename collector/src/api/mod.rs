//! The JSON API under `/v1`.

pub mod events;

use axum::routing::post;
use axum::Router;

use crate::AppState;

/// Routes under `/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/events", post(events::ingest))
}
