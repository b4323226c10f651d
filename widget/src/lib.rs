//! The Kept widget: post-purchase surveys (NPS, CSAT, churn reasons), the visitor's
//! loyalty status, an offline queue that syncs when the network returns, and a
//! kiosk mode for in-store tablets. The loader (`widget/loader/`, built into
//! `kept.js`) decides when it is needed and calls [`mount`].
//!
//! The plain-Rust parts (configuration, texts and plurals, the closing screen's
//! choice, queue, backoff) build and are tested on the host; the browser parts
//! exist only for wasm32.

pub mod answer;
pub mod backoff;
pub mod batch_size;
pub mod closing;
pub mod config;
pub mod i18n;
pub mod loyalty;
pub mod plan;
pub mod plural;
pub mod queue;

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod mount;
#[cfg(target_arch = "wasm32")]
mod sync;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
pub use mount::mount;

/// A free-list allocator of about a kilobyte instead of the standard one's seven:
/// the widget allocates little (a few screens, a queue of answers), on one thread.
// SAFETY: the widget runs on the browser's main thread only; wasm32 has no other.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
