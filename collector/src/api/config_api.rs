//! Configs for the snippet, compiled: the browser never parses or validates JSON (see
//! `ringtrail::compiled`).
//!
//! - `GET /v1/config/{site}`: a loaded site config, compiled, for `data-config`: a JSON string
//!   (its U+001F separators written `\u001f`, so it can be pasted into HTML as well).
//! - `POST /v1/config`: compiles the JSON config in the body (a config inline in `data-config`,
//!   or at a URL of the site's own). The answer is 200 either way, like a compiler's: a valid
//!   config gives `{"compiled": TEXT}`, one with errors `{"message": LINE, "errors": [{path,
//!   message, hint}]}`, where LINE is what the snippet logs (the first error with its JSON path
//!   and hint, and how many more). Why not 4xx: the browser would log its own "Failed to load
//!   resource" line next to ours, and the request itself was fine. A body that is not text, too
//!   large or of another content type is a bad request (4xx) as everywhere.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use ringtrail::config::Config;
use serde_json::{json, Value};

use crate::error::{AppError, AppResult};
use crate::extract::JsonText;
use crate::AppState;

/// How long browsers and proxies may reuse a config: short, so an edit shows up within minutes
/// after the collector restarts with it.
pub const CONFIG_CACHE_CONTROL: &str = "public, max-age=300";

/// The compiled config as a JSON string, with a short `Cache-Control`.
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
        config.compiled_json.to_string(),
    ))
}

/// Validates and compiles the JSON config in the body (see the module docs).
pub async fn compile(JsonText(text): JsonText) -> Json<Value> {
    Json(match Config::from_json(&text) {
        Ok(config) => json!({ "compiled": config.compile() }),
        Err(errors) => json!({
            "message": crate::check::snippet_error(&errors),
            "errors": errors
                .iter()
                .map(|e| json!({ "path": e.path, "message": e.message, "hint": e.hint }))
                .collect::<Vec<_>>(),
        }),
    })
}
