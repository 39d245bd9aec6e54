//! ringtrail: call tracking and lead tracking for websites.
//!
//! The pure modules (config, phone, swap, source, visit, lead, outbox, json) hold all the logic
//! and are tested natively; `web` is the only code that touches the browser.
#![deny(missing_docs)]

pub mod config;
pub mod event;
pub mod json;
pub mod lead;
pub mod outbox;
pub mod phone;
pub mod source;
pub mod swap;
pub mod url;
pub mod visit;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use exports::{command, start};

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    /// Starts the snippet with the config text and the collector's base URL.
    ///
    /// # Errors
    /// A config error naming its JSON path; the page has not been touched.
    #[wasm_bindgen]
    pub fn start(config: &str, collector: &str) -> Result<(), JsError> {
        crate::web::start(config, collector)
    }

    /// Runs one `ringtrail(...)` call; `args` are its arguments.
    ///
    /// # Errors
    /// An unknown command or wrong arguments.
    #[wasm_bindgen]
    pub fn command(args: js_sys::Array) -> Result<JsValue, JsError> {
        crate::web::command(&args)
    }
}
