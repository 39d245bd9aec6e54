//! `POST /v1/events`: batch ingest, idempotent by event id.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::error::{AppError, AppResult};
use crate::event::{parse_batch, BatchError};
use crate::extract::JsonValue;
use crate::store::InsertOutcome;
use crate::AppState;

/// Validates the batch, stores each new event id once, and answers
/// `202 {"accepted": N, "duplicates": M}`.
///
/// # Errors
/// 400 naming the field at fault, 413 for oversized bodies or batches, 404 for a site no loaded
/// config declares, 503 when storage is busy.
pub async fn ingest(
    State(state): State<AppState>,
    JsonValue(body): JsonValue,
) -> AppResult<(StatusCode, Json<InsertOutcome>)> {
    let received_at = state.clock.now_ms();
    let batch = parse_batch(&body, received_at).map_err(|err| match err {
        BatchError::TooManyEvents(_) => AppError::PayloadTooLarge(err.to_string()),
        BatchError::Invalid { .. } => AppError::BadRequest(err.to_string()),
    })?;
    if !state.sites.accepts(&batch.site) {
        return Err(AppError::NotFound(format!(
            "site: unknown site {:?}; no loaded config declares it",
            batch.site
        )));
    }
    let outcome = if batch.events.is_empty() {
        InsertOutcome::default()
    } else {
        state
            .db
            .run(move |store| store.insert_events(&batch.events))
            .await?
    };
    Ok((StatusCode::ACCEPTED, Json(outcome)))
}
