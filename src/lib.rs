//! ringtrail: call tracking and lead tracking for websites.
//!
//! The pure modules (config, phone, swap, source, visit, lead, outbox, json) hold all the logic
//! and are tested natively; `web` is the only code that touches the browser.
#![deny(missing_docs)]

pub mod config;
pub mod json;
pub mod lead;
pub mod outbox;
pub mod phone;
pub mod source;
pub mod swap;
pub mod url;
pub mod visit;
