//! `GET /v1/leads` and `GET /v1/visits`: the lead and visit reports as JSON (tests, tooling).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::event::is_valid_site_id;
use crate::extract::ApiQuery;
use crate::leads::{self, LeadView};
use crate::AppState;

/// Default and largest number of leads or visits listed.
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

/// Query of both endpoints: `site` (required), `limit` (1 to 10 000).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    site: Option<String>,
    // A string, so a bad value gets an error naming the parameter.
    limit: Option<String>,
}

/// The validated query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportParams {
    /// Site id.
    pub site: String,
    /// Most items listed.
    pub limit: usize,
}

impl ReportQuery {
    /// Checks the parameters.
    ///
    /// # Errors
    /// A 400 naming the parameter.
    pub fn validate(self) -> AppResult<ReportParams> {
        let site = site_param(self.site)?;
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "limit: expected an integer from 1 to {MAX_LIMIT}"
                    ))
                })?,
        };
        Ok(ReportParams { site, limit })
    }
}

/// A required, valid `site` parameter.
///
/// # Errors
/// A 400 saying what is wrong.
pub fn site_param(site: Option<String>) -> AppResult<String> {
    match site {
        None => Err(AppError::BadRequest(
            "site: missing; expected ?site=ID".into(),
        )),
        Some(site) if is_valid_site_id(&site) => Ok(site),
        Some(_) => Err(AppError::BadRequest(
            "site: expected a site id: 1 to 64 lowercase letters, digits, '-' and '_'".into(),
        )),
    }
}

/// One lead as JSON.
pub fn lead_json(view: &LeadView) -> Value {
    let lead = &view.lead;
    let d = &lead.details;
    let moments: Vec<Value> = lead
        .touches
        .iter()
        .map(|t| {
            json!({
                "moment": t.moment, "ts": t.ts, "event_id": t.event_id, "visitor": t.visitor,
                "session": t.session, "label": t.label,
            })
        })
        .collect();
    json!({
        "id": lead.id,
        "first_seen": lead.first_ts(),
        "last_seen": lead.last_ts(),
        "first_moment": lead.first_moment(),
        "moments": moments,
        "identities": {
            "visitors": lead.visitors,
            "emails": d.emails,
            "phones": d.phones,
            "email_sha256": d.email_hashes,
            "phone_sha256": d.phone_hashes,
            "user_ids": d.user_ids,
            "lead_tokens": d.lead_tokens,
        },
        "names": d.names,
        "companies": d.companies,
        "source": view.source(),
        "first_touch": view.first_touch,
        "event_counts": view.event_counts,
        "calls": view.calls,
    })
}

/// `GET /v1/leads?site=ID[&limit=N]`: the site's leads (newest first) with identities, visitor
/// ids, first touch, moments and event counts; leads by source (with anonymous→tracked
/// conversion) and by moment.
///
/// # Errors
/// 400 for a missing or bad `site`, a bad `limit` or an unknown parameter; 503/500 on storage
/// failure.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> AppResult<Json<Value>> {
    let params = query.validate()?;
    let site = params.site.clone();
    let report = state.db.run(move |store| leads::load(store, &site)).await?;
    let leads: Vec<Value> = report
        .leads
        .iter()
        .take(params.limit)
        .map(lead_json)
        .collect();
    let rate = if report.visitors == 0 {
        0.0
    } else {
        report.converted as f64 / report.visitors as f64
    };
    Ok(Json(json!({
        "site": report.site,
        "total": report.leads.len(),
        "visitors": report.visitors,
        "converted_visitors": report.converted,
        "conversion_rate": rate,
        "leads": leads,
        "by_source": report.by_source,
        "by_moment": report.by_moment,
    })))
}

/// `GET /v1/visits?site=ID[&limit=N]`: visit totals, by source, per page, triggers by name, the
/// newest visits with their aggregates, and the events browsers reported dropped.
///
/// # Errors
/// As [`list`].
pub async fn visits(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> AppResult<Json<Value>> {
    let params = query.validate()?;
    let site = params.site.clone();
    let (rows, dropped) = state
        .db
        .run(move |store| {
            Ok((
                store.visit_rows(Some(&site), 0)?,
                store.dropped_counts(Some(&site))?,
            ))
        })
        .await?;
    let mut report = crate::visits::aggregate(&rows);
    report.visits.truncate(params.limit);
    let dropped = dropped.first();
    Ok(Json(json!({
        "site": params.site,
        "totals": report.totals,
        "by_source": report.by_source,
        "pages": report.pages,
        "triggers": report.triggers,
        "visits": report.visits,
        "dropped_events": dropped.map_or(0, |d| d.dropped),
        "dropped_batches": dropped.map_or(0, |d| d.batches),
    })))
}
