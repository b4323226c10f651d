//! Sends the queue to the server: on submit, at start, when the browser says it
//! is back online, and on a retry timer with backoff after a failure.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use kept_shared::limits::MAX_BATCH_ANSWERS;
use kept_shared::{SyncBatch, SyncReceipt, api};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::backoff;
use crate::browser::{self, FetchError, LocalStore};
use crate::queue::{KeyValueStore, Queue};

/// How long one tab may hold the right to send before another may take over (if
/// the first was closed mid-send). Renewed before every batch.
const LEASE_MS: f64 = 20_000.0;

/// The right to send, in `kept:v1:{public_key}:lease`: `{"tab": id, "expires_at": ms}`
/// (`expires_at` in milliseconds since the epoch, like `Date.now()`).
///
/// Best effort: local storage has no compare-and-swap, so two tabs may rarely both
/// believe they hold it. That is safe: every answer id is generated once, when the
/// answer is given, and the server stores each id once (a second copy comes back
/// as a duplicate), so the worst case is one extra request.
#[derive(Serialize, Deserialize)]
struct Lease {
    tab: String,
    expires_at: f64,
}

pub struct Syncer {
    pub queue: Queue<Rc<LocalStore>>,
    storage: Option<Rc<LocalStore>>,
    api_base: String,
    answers_url: String,
    /// Identifies this tab in the lease.
    tab: String,
    running: Cell<bool>,
    /// The server refused this widget (unknown key, origin not allowed): send nothing more.
    stopped: Cell<bool>,
    /// A sync was asked for while one ran: run again when it ends.
    again: Cell<bool>,
    failures: Cell<u32>,
    retry: RefCell<Option<Timeout>>,
}

impl Syncer {
    pub fn new(api_base: &str, public_key: &str, storage: Option<Rc<LocalStore>>) -> Rc<Syncer> {
        let syncer = Rc::new(Syncer {
            queue: Queue::new(storage.clone(), public_key),
            storage,
            api_base: api_base.to_string(),
            answers_url: format!("{api_base}{}", api::answers(public_key)),
            tab: browser::random_uuid().to_string(),
            running: Cell::new(false),
            stopped: Cell::new(false),
            again: Cell::new(false),
            failures: Cell::new(0),
            retry: RefCell::new(None),
        });
        let weak = Rc::downgrade(&syncer);
        let on_online = Closure::<dyn Fn()>::new(move || {
            if let Some(s) = weak.upgrade() {
                s.failures.set(0);
                s.kick();
            }
        });
        if let Some(w) = web_sys::window() {
            let _ =
                w.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        }
        // The listener lives as long as the page, like the widget.
        on_online.forget();
        syncer
    }

    /// Stops sending for good (this page): the answers stay queued for a page
    /// whose widget the server accepts.
    pub fn stop(&self) {
        self.stopped.set(true);
        self.retry.borrow_mut().take();
    }

    /// Starts a sync now, or right after the one running.
    pub fn kick(self: &Rc<Self>) {
        if self.stopped.get() {
            return;
        }
        if self.running.replace(true) {
            self.again.set(true);
            return;
        }
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                this.again.set(false);
                this.send_all().await;
                if !this.again.get() {
                    break;
                }
            }
            this.running.set(false);
        });
    }

    async fn send_all(self: &Rc<Self>) {
        while !self.stopped.get() {
            let batch = self.queue.next_batch(MAX_BATCH_ANSWERS);
            if batch.is_empty() {
                self.failures.set(0);
                self.release_lease();
                return;
            }
            if !self.take_lease() {
                // Another tab is sending; look again once its lease could have run out.
                self.schedule_retry(LEASE_MS as u32);
                return;
            }
            let sent = batch.len();
            match browser::post_json::<_, SyncReceipt>(
                &self.answers_url,
                &SyncBatch { answers: batch },
            )
            .await
            {
                Ok(receipt) => {
                    self.queue.apply_receipt(&receipt);
                    self.failures.set(0);
                    let accounted =
                        receipt.stored.len() + receipt.duplicates.len() + receipt.rejected.len();
                    if accounted < sent {
                        // The server left some unnamed: don't spin, try them later.
                        self.retry_later();
                        return;
                    }
                }
                Err(e) if e.refuses_the_widget() => {
                    // The surveys request tells the shop why, once; retrying cannot help.
                    self.stop();
                    self.release_lease();
                    return;
                }
                Err(e) => {
                    // Nothing is removed: network errors, 5xx and even a refused
                    // batch keep every answer for the next try. Said once per
                    // run of failures, not on every retry.
                    if self.failures.get() == 0 {
                        match &e {
                            FetchError::Network(e) => browser::warn_unreachable(&self.api_base, e),
                            other => browser::warn(&format!("sync failed, will retry: {other}")),
                        }
                    }
                    self.retry_later();
                    return;
                }
            }
        }
    }

    fn retry_later(self: &Rc<Self>) {
        let attempt = self.failures.get();
        self.failures.set(attempt.saturating_add(1));
        self.release_lease();
        self.schedule_retry(backoff::delay_ms(attempt, browser::random_unit()) as u32);
    }

    fn schedule_retry(self: &Rc<Self>, delay_ms: u32) {
        let weak = Rc::downgrade(self);
        // Replacing the timer cancels the one pending.
        *self.retry.borrow_mut() = Some(Timeout::new(delay_ms, move || {
            if let Some(s) = weak.upgrade() {
                s.kick();
            }
        }));
    }

    /// Takes (or renews) the right to send for this tab, unless another tab holds
    /// it. Local storage has no compare-and-swap, so two tabs may rarely both win;
    /// that costs a duplicate request, never a duplicate answer: the server stores
    /// each answer id once.
    fn take_lease(&self) -> bool {
        let Some(storage) = &self.storage else {
            return true;
        };
        let key = self.queue.keys().lease();
        let now = browser::now_ms();
        if let Some(lease) = storage
            .get(&key)
            .and_then(|v| serde_json::from_str::<Lease>(&v).ok())
            && lease.tab != self.tab
            && lease.expires_at > now
        {
            return false;
        }
        let mine = serde_json::to_string(&Lease {
            tab: self.tab.clone(),
            expires_at: now + LEASE_MS,
        })
        .unwrap_or_default();
        let _ = storage.set(&key, &mine);
        storage.get(&key).is_none_or(|v| v == mine)
    }

    fn release_lease(&self) {
        let Some(storage) = &self.storage else { return };
        let key = self.queue.keys().lease();
        if storage
            .get(&key)
            .and_then(|v| serde_json::from_str::<Lease>(&v).ok())
            .is_some_and(|l| l.tab == self.tab)
        {
            storage.remove(&key);
        }
    }
}
