//! ringtrail: call tracking and lead tracking for websites.
//!
//! The pure modules (config, phone, swap, source, visit, lead, outbox, json) hold all the logic
//! and are tested natively; `web` is the only code that touches the browser.
#![deny(missing_docs)]
// The shipped snippet (feature `snippet`, wasm32) is `no_std`: std's panic machinery pulls in
// `core::fmt` and its tables, about a fifth of the wasm. Native builds and the browser tests
// keep std.
#![cfg_attr(all(target_arch = "wasm32", feature = "nostd"), no_std)]

extern crate alloc;

/// The `alloc` types the modules use, the same in `std` and `no_std` builds.
mod prelude {
    pub use alloc::borrow::Cow;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

/// In the shipped snippet a panic (a bug) stops the wasm with a trap; the loader catches the
/// resulting error, and the page stays as it is.
#[cfg(all(target_arch = "wasm32", feature = "nostd"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// A free-list allocator: about 2.2 KB gzip smaller than dlmalloc. Its cost grows with the
/// number of free blocks, which coalescing keeps short for the snippet's short-lived strings
/// (`bench/swap-bench.mjs` measured no slower swap). The lock is uncontended: wasm here is
/// single-threaded; `LockedAllocator` is the variant built without `unsafe`.
#[cfg(all(target_arch = "wasm32", feature = "nostd"))]
#[global_allocator]
static ALLOC: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

pub mod capture;
pub mod compiled;
pub mod config;
pub mod event;
pub mod json;
pub mod lead;
pub mod lease;
pub mod outbox;
pub mod phone;
pub mod privacy;
pub mod source;
pub mod swap;
pub mod url;
pub mod visit;

#[cfg(all(target_arch = "wasm32", feature = "web"))]
mod web;

#[cfg(all(target_arch = "wasm32", feature = "web"))]
pub use web::Core;
