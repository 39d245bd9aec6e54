//! `POST /v1/leases`, `POST /v1/leases/{id}/heartbeat`, `DELETE /v1/leases/{id}` (and
//! `POST /v1/leases/{id}/release`, for `navigator.sendBeacon` on page hide).
//!
//! Bodies may be sent as `text/plain` (no CORS preflight), like events. The rules are in
//! [`crate::leases`]; requests are checked against the site's loaded config, so a site only
//! ever leases its own pools' numbers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ringtrail::phone::PhoneNumber;
use serde::Serialize;
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::extract::JsonValue;
use crate::leases::{target_uses_pool, Lease, PoolSpec, MAX_ID_LEN};
use crate::store::leases::{LeaseGrant, LeaseRequest, LeaseUpdate};
use crate::AppState;

/// The answer to a lease request or heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseAnswer {
    /// Lease id for heartbeats and release; `null` for the fallback number.
    pub lease_id: Option<String>,
    /// The number to show, E.164.
    pub number: String,
    /// The same number as written in the config (what the page should display).
    pub display: String,
    /// When the lease lapses without a heartbeat, ms since the epoch; `null` for the fallback.
    pub expires_at: Option<i64>,
    /// How often to heartbeat, ms (a third of the idle window, at most a minute).
    pub heartbeat_ms: Option<i64>,
    /// The pool was exhausted: this is its fallback number.
    pub fallback: bool,
    /// The visitor got back the number they held before.
    pub returning: bool,
}

impl LeaseAnswer {
    fn for_lease(lease: &Lease, spec: Option<&PoolSpec>, returning: bool) -> LeaseAnswer {
        LeaseAnswer {
            lease_id: Some(lease.id.clone()),
            number: lease.number.clone(),
            display: spec.map_or_else(|| lease.number.clone(), |s| s.display_of(&lease.number)),
            expires_at: Some(lease.expires_at),
            heartbeat_ms: Some((lease.idle_ms / 3).clamp(1_000, 60_000)),
            fallback: false,
            returning,
        }
    }
}

/// Reads a string field: required, at most `max` bytes (`allow_empty` for session ids).
fn field<'a>(body: &'a Value, key: &str, max: usize, allow_empty: bool) -> AppResult<&'a str> {
    match body.get(key) {
        Some(Value::String(s)) if s.len() > max => Err(AppError::BadRequest(format!(
            "{key}: longer than {max} characters"
        ))),
        Some(Value::String(s)) if s.is_empty() && !allow_empty => {
            Err(AppError::BadRequest(format!("{key}: must not be empty")))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(AppError::BadRequest(format!("{key}: expected a string"))),
        None => Err(AppError::BadRequest(format!("{key}: required"))),
    }
}

/// `POST /v1/leases` `{site, visitor_id, session_id, pool, target, source?}`: a number from the
/// pool for this visitor, or the pool's fallback when none is free (`fallback: true`).
///
/// # Errors
/// 400 naming the field at fault (unknown pool, a target the pool does not serve); 404 for a
/// site without a loaded config; 503 when storage is busy.
pub async fn create(
    State(state): State<AppState>,
    JsonValue(body): JsonValue,
) -> AppResult<Json<LeaseAnswer>> {
    if !body.is_object() {
        return Err(AppError::BadRequest("body: expected a JSON object".into()));
    }
    let site = field(&body, "site", 64, false)?;
    let visitor = field(&body, "visitor_id", MAX_ID_LEN, false)?.to_owned();
    let session = field(&body, "session_id", MAX_ID_LEN, true)?.to_owned();
    let pool_name = field(&body, "pool", 128, false)?;
    let target_text = field(&body, "target", 64, false)?;
    let source = match body.get("source") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 128 => Some(s.clone()),
        Some(_) => {
            return Err(AppError::BadRequest(
                "source: expected a source rule name (a string of at most 128 characters)".into(),
            ))
        }
    };
    let config = &state
        .sites
        .get(site)
        .ok_or_else(|| AppError::NotFound(format!("site: no config is loaded for {site:?}")))?
        .config;
    let spec = PoolSpec::from_config(config, pool_name).ok_or_else(|| {
        let names: Vec<&str> = config.pools.iter().map(|(n, _)| n.as_str()).collect();
        AppError::BadRequest(format!(
            "pool: no pool {pool_name:?} in the config of {site:?} (pools: {})",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let target_number = PhoneNumber::parse(target_text, config.region)
        .map_err(|e| AppError::BadRequest(format!("target: not a phone number: {e}")))?;
    let target_index = config
        .targets
        .iter()
        .position(|t| t.number == target_number)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "target: {target_text:?} is not one of the site's targets"
            ))
        })?;
    if !target_uses_pool(config, target_index, pool_name) {
        return Err(AppError::BadRequest(format!(
            "target: no source maps {target_text:?} to pool {pool_name:?}"
        )));
    }
    let request = LeaseRequest {
        visitor,
        session,
        target: target_number.e164(),
        source,
    };
    let new_id = uuid::Uuid::now_v7().to_string();
    let grant = {
        let (spec, clock) = (spec.clone(), state.clock.clone());
        state
            .db
            .run(move |store| store.acquire_lease(&spec, &request, &clock, &new_id))
            .await?
    };
    Ok(Json(match grant {
        LeaseGrant::Leased {
            lease, returning, ..
        } => LeaseAnswer::for_lease(&lease, Some(&spec), returning),
        LeaseGrant::Overflow => LeaseAnswer {
            lease_id: None,
            number: spec.fallback.e164.clone(),
            display: spec.fallback.display.clone(),
            expires_at: None,
            heartbeat_ms: None,
            fallback: true,
            returning: false,
        },
    }))
}

fn lease_id(id: &str) -> AppResult<String> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| AppError::BadRequest("lease id: expected a UUID".into()))
}

fn spec_of(state: &AppState, lease: &Lease) -> Option<PoolSpec> {
    let config = &state.sites.get(&lease.site)?.config;
    PoolSpec::from_config(config, &lease.pool)
}

/// `POST /v1/leases/{id}/heartbeat`: keeps the lease for another idle window. A body, if any,
/// is ignored.
///
/// # Errors
/// 400 for a malformed id, 404 for an unknown lease, 410 when it was released or its number
/// went to another visitor after it lapsed (request a new lease).
pub async fn heartbeat(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<LeaseAnswer>> {
    let id = lease_id(&id)?;
    let clock = state.clock.clone();
    let update = state
        .db
        .run(move |store| store.heartbeat_lease(&id, &clock))
        .await?;
    match update {
        LeaseUpdate::Done(lease) => Ok(Json(LeaseAnswer::for_lease(
            &lease,
            spec_of(&state, &lease).as_ref(),
            false,
        ))),
        LeaseUpdate::Gone(reason) => Err(AppError::Gone(reason.into())),
        LeaseUpdate::NotFound => Err(AppError::NotFound("lease: no such lease".into())),
    }
}

/// `DELETE /v1/leases/{id}` (or `POST /v1/leases/{id}/release`): the visitor left; the number
/// is free at once. Releasing twice is harmless.
///
/// # Errors
/// 400 for a malformed id, 404 for an unknown lease.
pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id = lease_id(&id)?;
    let clock = state.clock.clone();
    match state
        .db
        .run(move |store| store.release_lease(&id, &clock))
        .await?
    {
        LeaseUpdate::NotFound => Err(AppError::NotFound("lease: no such lease".into())),
        LeaseUpdate::Done(_) | LeaseUpdate::Gone(_) => Ok(StatusCode::NO_CONTENT),
    }
}
