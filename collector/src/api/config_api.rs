//! `GET /v1/config/{site}`: a loaded site config, as the file says it, for `data-config`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::{AppError, AppResult};
use crate::AppState;

/// How long browsers and proxies may reuse a config: short, so an edit shows up within minutes
/// after the collector restarts with it.
pub const CONFIG_CACHE_CONTROL: &str = "public, max-age=300";

/// The config file's text, `application/json`, with a short `Cache-Control`.
///
/// # Errors
/// 404 when no loaded config declares the site.
pub async fn get_config(
    State(state): State<AppState>,
    Path(site): Path<String>,
) -> AppResult<impl IntoResponse> {
    let config = state
        .sites
        .get(&site)
        .ok_or_else(|| AppError::NotFound(format!("site: no config is loaded for {site:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, CONFIG_CACHE_CONTROL),
        ],
        config.text.to_string(),
    ))
}
