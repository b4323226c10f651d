//! The Kept widget: post-purchase surveys (NPS, CSAT, churn reasons), the visitor's
//! loyalty status, an offline queue that syncs when the network returns, and a
//! kiosk mode for in-store tablets.
//!
//! The plain-Rust parts (configuration, texts and plurals, what was asked, queue,
//! backoff) build and are tested on the host; the browser parts exist only for wasm32.

pub mod asked;
pub mod backoff;
pub mod config;
pub mod i18n;
pub mod plural;
pub mod queue;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
mod sync;

#[cfg(target_arch = "wasm32")]
pub use app::mount;
