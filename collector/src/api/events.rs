//! `POST /v1/events`: batch ingest, idempotent by event id; `GET /v1/events`: stored events.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::event::{parse_batch, BatchError};
use crate::extract::{ApiQuery, JsonValue};
use crate::store::{EventFilter, InsertOutcome};
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
    let outcome = if batch.events.is_empty() && batch.dropped == 0 {
        InsertOutcome::default()
    } else {
        state
            .db
            .run(move |store| {
                let outcome = store.insert_events(&batch.events)?;
                // A retried batch (its 202 was lost) stores nothing new: its drops were counted.
                if batch.dropped > 0 && (outcome.accepted > 0 || batch.events.is_empty()) {
                    store.add_dropped(&batch.site, batch.dropped, received_at)?;
                }
                Ok(outcome)
            })
            .await?
    };
    Ok((StatusCode::ACCEPTED, Json(outcome)))
}

/// Default and largest page size of `GET /v1/events`.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

/// Query of `GET /v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this site.
    site: Option<String>,
    /// Only this event type.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Only this visitor.
    visitor: Option<String>,
    /// Only this session.
    session: Option<String>,
    /// Events to skip (paging).
    offset: Option<usize>,
    /// Page size, at most 10 000.
    limit: Option<usize>,
}

/// Stored events, oldest first: each as the snippet sent it plus `site` and `received_at`;
/// `next_offset` is set when there may be more.
///
/// # Errors
/// 400 for unknown parameters or a limit over 10 000; 503/500 on storage failure.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::BadRequest(format!(
            "limit: expected 1 to {MAX_LIMIT}"
        )));
    }
    let offset = query.offset.unwrap_or(0);
    let filter = EventFilter {
        site: query.site,
        kind: query.kind,
        visitor: query.visitor,
        session: query.session,
    };
    let rows = state
        .db
        .run(move |store| store.list_events(&filter, offset, limit))
        .await?;
    let next_offset = (rows.len() == limit).then_some(offset + limit);
    let events: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let mut event = row.event().unwrap_or(Value::Null);
            if let Value::Object(fields) = &mut event {
                fields.insert("site".into(), Value::String(row.site));
                fields.insert("received_at".into(), Value::from(row.received_at));
            }
            event
        })
        .collect();
    Ok(Json(
        json!({ "events": events, "next_offset": next_offset }),
    ))
}
