//! Request body extractors that answer bad input with a JSON 4xx and a reason.
//!
//! axum's own `Json` answers with plain text and insists on `application/json`; the snippet's
//! `navigator.sendBeacon` sends `text/plain` (a "simple" request, so no CORS preflight), so both
//! are read here, with one body size limit and one error shape.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::AppError;

/// Largest JSON body accepted (512 KiB).
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// A JSON body read as a `serde_json::Value`, for hand-written validation with paths.
#[derive(Debug)]
pub struct JsonValue(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonValue {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req).await?;
        serde_json::from_slice(&bytes)
            .map(JsonValue)
            .map_err(json_syntax_error)
    }
}

/// A JSON document as text, for the config compiler: its own parser reports errors with paths.
#[derive(Debug)]
pub struct JsonText(pub String);

impl<S: Send + Sync> FromRequest<S> for JsonText {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req).await?;
        String::from_utf8(bytes.to_vec())
            .map(JsonText)
            .map_err(|_| AppError::BadRequest("body: not UTF-8 text".into()))
    }
}

/// A JSON body deserialized into `T`; type errors name the field path (`lease.site: ...`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_json_body(req).await?;
        // Syntax first, so a syntax error reads the same as for `JsonValue`.
        let value: Value = serde_json::from_slice(&bytes).map_err(json_syntax_error)?;
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|err| {
                let path = err.path().to_string();
                let inner = err.into_inner();
                if path == "." {
                    AppError::BadRequest(format!("body: {inner}"))
                } else {
                    AppError::BadRequest(format!("{path}: {inner}"))
                }
            })
    }
}

/// Query parameters deserialized into `T`; errors are a JSON 400 naming the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|err| AppError::BadRequest(format!("query: {err}")))
    }
}

/// Checks the content type and reads the body under [`MAX_BODY_BYTES`].
async fn read_json_body(req: Request) -> Result<Bytes, AppError> {
    check_content_type(&req)?;
    let too_large = || {
        AppError::PayloadTooLarge(format!(
            "body is larger than {MAX_BODY_BYTES} bytes; send smaller batches"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let body: Body = req.into_body();
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if is_length_limit(err.as_ref()) => Err(too_large()),
        Err(err) => Err(AppError::BadRequest(format!(
            "could not read the body: {err}"
        ))),
    }
}

fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<LengthLimitError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// `application/json`, `text/plain` (sendBeacon) or none at all; anything else is 415.
fn check_content_type(req: &Request) -> Result<(), AppError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" => Ok(()),
        _ if essence.ends_with("+json") => Ok(()),
        _ => Err(AppError::UnsupportedMediaType(format!(
            "content-type {essence:?} is not accepted; send application/json or text/plain"
        ))),
    }
}

/// `invalid JSON at line 1 column 7: expected value`.
fn json_syntax_error(err: serde_json::Error) -> AppError {
    let full = err.to_string();
    // serde_json appends " at line L column C"; it is moved to the front here.
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    AppError::BadRequest(format!(
        "invalid JSON at line {} column {}: {message}",
        err.line(),
        err.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    #[derive(Debug, serde::Deserialize)]
    struct Lease {
        #[allow(dead_code)]
        site: String,
        #[allow(dead_code)]
        pool: Pool,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Pool {
        #[allow(dead_code)]
        size: u32,
    }

    async fn error_for(body: &str) -> (u16, String) {
        let app = Router::new().route("/", post(|_: ApiJson<Lease>| async { "ok" }));
        let req = Request::post("/")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request");
        let response = app.oneshot(req).await.expect("infallible");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn api_json_names_the_field() {
        assert_eq!(
            error_for(r#"{"site": "a", "pool": {"size": "big"}}"#).await,
            (
                400,
                r#"{"error":"pool.size: invalid type: string \"big\", expected u32"}"#.into()
            )
        );
        let (status, body) = error_for(r#"{"site": "a"}"#).await;
        assert_eq!(status, 400);
        assert!(body.contains("missing field `pool`"), "{body}");
        let (status, body) = error_for("{").await;
        assert_eq!(status, 400);
        assert!(body.contains("invalid JSON at line 1 column 1"), "{body}");
        assert_eq!(
            error_for(r#"{"site": "a", "pool": {"size": 3}}"#).await.0,
            200
        );
    }
}
