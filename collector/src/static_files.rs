//! Static files for the demo: directories mounted at URL prefixes, tried in order.
//!
//! `--www DIR` mounts at `/`, `--mount /pkg=pkg` at `/pkg`. A request goes to each mount whose
//! prefix matches, in the order given, until one has the file; API and report routes win over
//! all of them.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::AppError;
use crate::AppState;

/// A directory served under a URL prefix.
#[derive(Debug, Clone)]
pub struct Mount {
    prefix: String,
    dir: PathBuf,
}

impl Mount {
    /// Mounts `dir` at `prefix` (`/`, `/pkg`; a trailing `/` is ignored).
    pub fn new(prefix: &str, dir: impl Into<PathBuf>) -> Mount {
        let trimmed = prefix.trim_matches('/');
        let prefix = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        Mount {
            prefix,
            dir: dir.into(),
        }
    }

    /// Parses `URLPATH=DIR`.
    ///
    /// # Errors
    /// When there is no `=` or the URL path does not start with `/`.
    pub fn parse(spec: &str) -> Result<Mount, String> {
        let (prefix, dir) = spec
            .split_once('=')
            .ok_or_else(|| format!("expected URLPATH=DIR, got {spec:?}"))?;
        if !prefix.starts_with('/') || dir.is_empty() {
            return Err(format!(
                "expected URLPATH=DIR with URLPATH starting with '/', got {spec:?}"
            ));
        }
        Ok(Mount::new(prefix, dir))
    }

    /// URL prefix without trailing slash (`""` for the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The directory.
    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// The path inside this mount, if the request path is under it.
    fn strip<'a>(&self, path: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            return Some(path);
        }
        let rest = path.strip_prefix(&self.prefix)?;
        if rest.is_empty() {
            Some("/")
        } else if rest.starts_with('/') {
            Some(rest)
        } else {
            None
        }
    }
}

/// Router fallback: serves from the mounts, or answers 404.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let not_found = || AppError::NotFound("no such page".into()).into_response();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return not_found();
    }
    let path = req.uri().path().to_owned();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    for mount in state.options.mounts.iter() {
        let Some(rest) = mount.strip(&path) else {
            continue;
        };
        let mut sub = Request::new(Body::empty());
        *sub.method_mut() = req.method().clone();
        *sub.headers_mut() = req.headers().clone();
        match format!("{rest}{query}").parse() {
            Ok(uri) => *sub.uri_mut() = uri,
            Err(_) => return not_found(),
        }
        let Ok(response) = ServeDir::new(&mount.dir).oneshot(sub).await;
        if response.status() == StatusCode::NOT_FOUND {
            continue;
        }
        let mut response = response.map(Body::new);
        // ServeDir redirects `/dir` to `/dir/` relative to the mount; put the prefix back.
        if response.status().is_redirection() && !mount.prefix.is_empty() {
            if let Some(location) = response.headers().get(header::LOCATION).cloned() {
                let fixed = format!("{}{}", mount.prefix, location.to_str().unwrap_or("/"));
                if let Ok(value) = HeaderValue::from_str(&fixed) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
            }
        }
        return response;
    }
    if path == "/favicon.ico" {
        // Browsers ask for it on every page; answering 404 puts an error in the console of
        // every demo page (and fails tests that check the console is clean).
        return (
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, "public, max-age=86400")],
        )
            .into_response();
    }
    not_found()
}
