//! Who may read what the collector stored.
//!
//! The reports (`GET /`, `GET /leads.csv`) and the read API (`GET /v1/events`, `/v1/leads`,
//! `/v1/visits`) show leads' emails and phone numbers. With a reports token
//! ([`Options::reports_token`](crate::Options)) they answer only requests that carry it:
//! `Authorization: Bearer TOKEN` from scripts, or HTTP Basic with the token as the password
//! (any user name) from a browser, which asks for it. Without a token they are open, which
//! `ringtrail serve` allows only on a loopback address (see [`check_exposure`]).
//!
//! What the snippet and the telephony provider call (events in, config, leases, the call
//! webhook) never needs the token.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use crate::error::AppError;
use crate::AppState;

/// Environment variable with the reports token (the `--reports-token` flag wins).
pub const TOKEN_ENV: &str = "RINGTRAIL_REPORTS_TOKEN";

/// Shortest token `ringtrail serve` accepts: a guessable token is no lock.
pub const MIN_TOKEN_LEN: usize = 16;

/// Middleware for the report and read routes: passes a request with the token (or every
/// request when there is none); answers anything else 401 with a Basic challenge, so a
/// browser asks for the token.
pub async fn require_reports_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match state.options.reports_token.as_deref() {
        None => next.run(request).await,
        Some(token) if presented(request.headers()).is_some_and(|t| same_secret(&t, token)) => {
            next.run(request).await
        }
        Some(_) => {
            let mut response = AppError::Unauthorized(
                "reports need the reports token: Authorization: Bearer TOKEN, or Basic with \
                 the token as password"
                    .into(),
            )
            .into_response();
            response.headers_mut().append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="ringtrail reports", charset="UTF-8""#),
            );
            response
        }
    }
}

/// The token a request presents: a Bearer token, or the password of Basic credentials.
fn presented(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let credentials = String::from_utf8(decoded).ok()?;
        credentials
            .split_once(':')
            .map(|(_, password)| password.to_owned())
    } else {
        None
    }
}

/// Compares without an early exit, so timing does not tell how much of a secret matched.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        let y = b.get(i % b.len().max(1)).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Refuses to serve stored leads to the network without a lock: on an address other machines
/// can reach, a reports token is required, unless `open_reports` says the reports are
/// protected some other way (a proxy with its own login).
///
/// # Errors
/// What to do, for the command line.
pub fn check_exposure(
    addr: SocketAddr,
    token: Option<&str>,
    open_reports: bool,
) -> Result<(), String> {
    match token {
        Some(t) if t.chars().count() < MIN_TOKEN_LEN => Err(format!(
            "the reports token must be at least {MIN_TOKEN_LEN} characters"
        )),
        Some(_) => Ok(()),
        None if addr.ip().is_loopback() || open_reports => Ok(()),
        None => Err(format!(
            "{addr} can be reached from other machines, and the reports and GET /v1/events, \
             /v1/leads and /v1/visits show leads' emails and phone numbers: set \
             --reports-token (or {TOKEN_ENV}), or pass --open-reports when a proxy in front \
             already asks for a login"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_and_basic_present_the_token() {
        let basic =
            base64::engine::general_purpose::STANDARD.encode("marketing:s3cret:with:colons");
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            (&*format!("Basic {basic}"), Some("s3cret:with:colons")),
            ("Basic not-base64!", None),
            ("Digest abc", None),
            ("abc", None),
        ];
        for (value, want) in cases {
            assert_eq!(presented(&auth(value)).as_deref(), want, "{value}");
        }
        assert_eq!(presented(&HeaderMap::new()), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn only_loopback_serves_reports_without_a_token() {
        let local: SocketAddr = "127.0.0.1:8787".parse().unwrap();
        let local6: SocketAddr = "[::1]:8787".parse().unwrap();
        let public: SocketAddr = "0.0.0.0:8787".parse().unwrap();
        assert!(check_exposure(local, None, false).is_ok());
        assert!(check_exposure(local6, None, false).is_ok());
        let err = check_exposure(public, None, false).unwrap_err();
        assert!(err.contains("--reports-token"), "{err}");
        assert!(check_exposure(public, None, true).is_ok());
        assert!(check_exposure(public, Some("a-long-enough-token"), false).is_ok());
        assert!(check_exposure(local, Some("short"), false).is_err());
    }
}
