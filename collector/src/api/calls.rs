//! `POST /v1/calls`: the call webhook. Authenticated per site; attributes the call to the
//! visitor who held the called number, or to the source of a fixed number, or says why not;
//! stores every call once per provider call id.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use crate::calls::{self, format_time, journey, IncomingCall, NoVisitor};
use crate::error::{AppError, AppResult};
use crate::event::EventType;
use crate::extract::JsonValue;
use crate::leases::{classify_number, lease_covers, NumberKind};
use crate::store::calls::CallRecord;
use crate::store::EventFilter;
use crate::AppState;

/// Page views of a session read for a journey.
const JOURNEY_EVENTS: usize = 1000;
/// Page views up to this long after the call's start still count (client clock skew).
const JOURNEY_SKEW_MS: i64 = 60_000;

/// Receives a call; answers 201 with the attribution, or 200 with the stored one and
/// `duplicate: true` when this provider call id was stored before.
///
/// # Errors
/// 400 naming the field at fault; 401 without the site's secret; 404 for a site without a
/// loaded config; 503 when storage is busy.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonValue(body): JsonValue,
) -> AppResult<(StatusCode, Json<Value>)> {
    let site = calls::body_site(&body)?;
    state.options.webhook_secrets.check(site, &headers)?;
    let config = state
        .sites
        .get(site)
        .ok_or_else(|| AppError::NotFound(format!("site: no config is loaded for {site:?}")))?
        .config
        .clone();
    let now = state.clock.now_ms();
    let call = calls::parse_call(&body, config.region, now)?;

    let (site, call_id) = (call.site.clone(), call.call_id.clone());
    let stored = state
        .db
        .run(move |store| store.call(&site, &call_id))
        .await?;
    if let Some(stored) = stored {
        return Ok((StatusCode::OK, Json(duplicate_answer(&stored))));
    }

    let record = attribute(&state, &config, call, now).await?;
    let to_insert = record.clone();
    let existing = state
        .db
        .run(move |store| store.insert_call(&to_insert))
        .await?;
    Ok(match existing {
        // Another delivery of the same call won the race.
        Some(stored) => (StatusCode::OK, Json(duplicate_answer(&stored))),
        None => (
            StatusCode::CREATED,
            Json(serde_json::from_str(&record.attribution).unwrap_or(Value::Null)),
        ),
    })
}

fn duplicate_answer(stored: &CallRecord) -> Value {
    let mut answer: Value = serde_json::from_str(&stored.attribution).unwrap_or_else(|_| json!({}));
    if let Value::Object(fields) = &mut answer {
        fields.insert("duplicate".into(), Value::Bool(true));
    }
    answer
}

/// Works out who a call came from and builds the row to store (its `attribution` is the
/// answer).
async fn attribute(
    state: &AppState,
    config: &ringtrail::config::Config,
    call: IncomingCall,
    now: i64,
) -> AppResult<CallRecord> {
    let mut record = CallRecord {
        id: uuid::Uuid::now_v7().to_string(),
        site: call.site.clone(),
        call_id: call.call_id.clone(),
        called_number: call.called_number.clone(),
        caller_number: call.caller_number.clone(),
        started_at: call.started_at,
        duration_s: call.duration_s,
        recording_url: call.recording_url.clone(),
        received_at: now,
        reason: None,
        visitor: None,
        session: None,
        lease_id: None,
        pool: None,
        source_name: None,
        source_group: None,
        campaign: None,
        landing: None,
        attribution: String::new(),
    };
    let mut attributed_to = None;
    let mut source = Value::Null;
    let mut pages = Vec::new();
    let mut pages_viewed = 0;
    match classify_number(config, &call.called_number) {
        NumberKind::Pool { pool, idle_ms } => {
            record.pool = Some(pool);
            let (site, number, t) = (
                call.site.clone(),
                call.called_number.clone(),
                call.started_at,
            );
            let lease = state
                .db
                .run(move |store| store.lease_at(&site, &number, t))
                .await?
                .filter(|lease| lease_covers(lease, call.started_at, idle_ms));
            match lease {
                None => record.reason = Some(NoVisitor::NoLeaseAtThatTime.as_str().into()),
                Some(lease) => {
                    attributed_to = Some("visitor");
                    let filter = EventFilter {
                        site: Some(call.site.clone()),
                        kind: Some(EventType::PageView.as_str().into()),
                        visitor: Some(lease.visitor.clone()),
                        session: Some(lease.session.clone()),
                    };
                    let views = state
                        .db
                        .run(move |store| store.list_events(&filter, 0, JOURNEY_EVENTS))
                        .await?;
                    let j = journey(&views, call.started_at.saturating_add(JOURNEY_SKEW_MS));
                    source = j.source.unwrap_or_else(|| match &lease.source {
                        Some(name) => json!({ "name": name }),
                        None => Value::Null,
                    });
                    record.landing = j.landing_page;
                    pages = j.pages;
                    pages_viewed = j.pages_viewed;
                    record.visitor = Some(lease.visitor);
                    record.session = Some(lease.session);
                    record.lease_id = Some(lease.id);
                }
            }
        }
        NumberKind::Fallback { pool } => {
            record.pool = Some(pool);
            record.reason = Some(NoVisitor::FallbackNumber.as_str().into());
        }
        NumberKind::Fixed { source: rule } => {
            attributed_to = Some("source");
            source = json!({ "name": rule.unwrap_or_else(|| "default".into()) });
        }
        NumberKind::Target => record.reason = Some(NoVisitor::SiteNumber.as_str().into()),
        NumberKind::Unknown => record.reason = Some(NoVisitor::UnknownNumber.as_str().into()),
    }
    let text = |key: &str| {
        source
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    record.source_name = text("name");
    record.source_group = text("group");
    record.campaign = text("utm_campaign");
    let answer = json!({
        "site": record.site,
        "call_id": record.call_id,
        "duplicate": false,
        "called_number": record.called_number,
        "caller_number": record.caller_number,
        "started_at": format_time(record.started_at),
        "started_at_ms": record.started_at,
        "duration_s": record.duration_s,
        "recording_url": record.recording_url,
        "attributed_to": attributed_to,
        "reason": record.reason,
        "pool": record.pool,
        "lease_id": record.lease_id,
        "visitor": record.visitor,
        "session": record.session,
        "source": source,
        "landing_page": record.landing,
        "pages_viewed": pages_viewed,
        "pages": pages,
    });
    record.attribution = answer.to_string();
    Ok(record)
}
