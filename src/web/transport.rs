//! One HTTP path to the collector: `fetch` (with `keepalive`, so a request outlives the page) and
//! `sendBeacon` for the last flush when the page is hidden or unloaded.
//!
//! Bodies go as `text/plain`: a CORS "simple request", so no preflight round trip, and the same
//! content type `sendBeacon` uses. The collector accepts both `text/plain` and JSON.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// What came back from one POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status; 0 for a network error, timeout or CORS failure.
    pub status: u16,
    /// `Retry-After` in seconds, when the collector sent one.
    pub retry_after_s: Option<u32>,
}

/// POSTs `body` to `url` with `keepalive`; aborts after `timeout_ms`.
pub async fn post(url: &str, body: &str, timeout_ms: i32) -> (Reply, Option<String>) {
    let Some(window) = web_sys::window() else {
        return (
            Reply {
                status: 0,
                retry_after_s: None,
            },
            None,
        );
    };
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    // web-sys has no keepalive setter; the property is standard (`DESIGN.md`, size facts).
    let _ = Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    let headers = Object::new();
    let _ = Reflect::set(
        &headers,
        &"content-type".into(),
        &"text/plain;charset=UTF-8".into(),
    );
    init.set_headers(&headers);
    if let Ok(ctrl) = web_sys::AbortController::new() {
        init.set_signal(Some(&ctrl.signal()));
        let abort = wasm_bindgen::closure::Closure::once_into_js(move || ctrl.abort());
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            abort.unchecked_ref(),
            timeout_ms,
        );
    }
    let Ok(req) = Request::new_with_str_and_init(url, &init) else {
        return (
            Reply {
                status: 0,
                retry_after_s: None,
            },
            None,
        );
    };
    let resp = match JsFuture::from(window.fetch_with_request(&req)).await {
        Ok(r) => r.unchecked_into::<Response>(),
        Err(_) => {
            return (
                Reply {
                    status: 0,
                    retry_after_s: None,
                },
                None,
            )
        }
    };
    let retry_after_s = resp
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u32>().ok());
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    (
        Reply {
            status: resp.status(),
            retry_after_s,
        },
        text,
    )
}

/// Queues `body` with `navigator.sendBeacon`; false when the browser refused it (too large,
/// or beacons disabled), in which case the events stay in the outbox for the next page.
pub fn beacon(url: &str, body: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().send_beacon_with_opt_str(url, Some(body)).ok())
        .unwrap_or(false)
}
