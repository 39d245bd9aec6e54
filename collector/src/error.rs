//! The one error type handlers return.
//!
//! Every variant becomes a JSON body `{"error": "<reason>"}` with a fitting status. Reasons are
//! written for the person debugging a snippet or a webhook, so they name the field at fault; but
//! nothing internal (SQL, file paths, panics) ever reaches a client: `Internal` is logged here and
//! answered with a generic message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;

/// What went wrong with a request, as the client is allowed to see it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed; the reason names the field.
    #[error("{0}")]
    BadRequest(String),
    /// 401: a webhook without the right secret.
    #[error("{0}")]
    Unauthorized(String),
    /// 404: the thing addressed (site, lease, ...) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 410: it existed but is over (a lapsed lease whose number went to someone else).
    #[error("{0}")]
    Gone(String),
    /// 413: body or batch over a limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: a content type we do not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429: the client's rate limit is spent; retry after this many seconds.
    #[error("too many requests; retry after {0} s")]
    TooManyRequests(u64),
    /// 503: storage is busy or unavailable; the client should retry.
    #[error("storage unavailable, retry later")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. The detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "storage unavailable"),
            _ => tracing::debug!(%status, reason = %self, "request rejected"),
        }
        let body = Json(serde_json::json!({ "error": self.to_string() }));
        let mut response = (status, body).into_response();
        match self {
            AppError::TooManyRequests(secs) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            AppError::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            AppError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Busy(detail) => AppError::Unavailable(detail),
            StoreError::Internal(detail) => AppError::Internal(detail),
        }
    }
}

/// Handler result.
pub type AppResult<T> = Result<T, AppError>;
