//! Sends the queue to the server: on submit, at start, when the browser says it
//! is back online, on a retry timer with backoff after a failure, and one last
//! time as the page goes away.
//!
//! One tab sends at a time: it holds the Web Lock `kept:v1:{public_key}:send`
//! where the browser has Web Locks, else a lease in local storage. Either way a
//! second sender would only cost a request: every answer id is made once, when the
//! answer is given, and the server stores each id once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use kept_shared::api;
use kept_shared::json::{Json, JsonWriter, ToJson};
use wasm_bindgen::prelude::*;

use crate::backoff;
use crate::batch_size::{self, BatchSize};
use crate::browser::{self, FetchError, LocalStore, Timer};
use crate::queue::{
    Batch, FLUSH_BUDGET_BYTES, KeyValueStore, Pending, Queue, Receipt, flush_bodies,
};

/// How long one tab may hold the storage lease before another may take over (if
/// the first was closed mid-send). Renewed before every batch.
const LEASE_MS: f64 = 20_000.0;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (web-sys has it only behind its unstable flag).
    type LockManager;
    #[wasm_bindgen(method)]
    fn request(
        this: &LockManager,
        name: &str,
        options: &JsValue,
        callback: &JsValue,
    ) -> js_sys::Promise;
}

fn lock_manager() -> Option<LockManager> {
    let locks =
        js_sys::Reflect::get(&browser::window().navigator(), &JsValue::from_str("locks")).ok()?;
    (!locks.is_undefined()).then(|| locks.unchecked_into())
}

pub struct Syncer {
    pub queue: Queue<Rc<LocalStore>>,
    storage: Option<Rc<LocalStore>>,
    api_base: String,
    answers_url: String,
    lock_name: String,
    /// Identifies this tab in the storage lease.
    tab: String,
    running: Cell<bool>,
    /// The server refused this widget (unknown key, origin not allowed): send nothing more.
    stopped: Cell<bool>,
    /// A sync was asked for while one ran: run again when it ends.
    again: Cell<bool>,
    failures: Cell<u32>,
    retry: RefCell<Option<Timer>>,
    /// Smaller than the API's maximum while a batch the server refused is
    /// being split (`batch_size.rs`).
    batch_size: Cell<BatchSize>,
    /// The last 429: when (ms since the epoch), and how long the server asked
    /// to wait; nothing is sent meanwhile, not even a new answer
    /// ([`backoff::throttled_for`]).
    throttled: Cell<(f64, u32)>,
}

/// What is called with how a turn ended.
type AfterTurn = Box<dyn FnOnce(Turn)>;

/// How a turn at sending ended.
#[derive(Clone, Copy)]
enum Turn {
    /// Nothing is left to send.
    Done,
    /// Another tab holds the right to send.
    Busy,
    /// A failure: try again after a backoff.
    Failed,
    /// The server asked to wait this many milliseconds (429).
    Throttled(u32),
}

impl Syncer {
    pub fn new(api_base: &str, public_key: &str, storage: Option<Rc<LocalStore>>) -> Rc<Syncer> {
        let queue = Queue::new(storage.clone(), public_key);
        let lock_name = queue.keys().lease() + ":send";
        let syncer = Rc::new(Syncer {
            queue,
            storage,
            api_base: api_base.to_string(),
            answers_url: String::from(api_base) + &api::answers(public_key),
            lock_name,
            tab: kept_shared::json::uuid_text(&browser::random_uuid()),
            running: Cell::new(false),
            stopped: Cell::new(false),
            again: Cell::new(false),
            failures: Cell::new(0),
            retry: RefCell::new(None),
            batch_size: Cell::new(BatchSize::default()),
            throttled: Cell::new((0.0, 0)),
        });
        let weak = Rc::downgrade(&syncer);
        browser::on_window_event("online", move || {
            if let Some(s) = weak.upgrade() {
                s.failures.set(0);
                s.kick();
            }
        });
        let weak = Rc::downgrade(&syncer);
        browser::on_window_event("pagehide", move || {
            if let Some(s) = weak.upgrade() {
                s.flush();
            }
        });
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
        self.run_turns();
    }

    /// One turn at sending, then the next if one was asked for meanwhile, or
    /// the retry its failure calls for. (Callbacks, not `async`: see
    /// `browser::when_settled`.)
    fn run_turns(self: &Rc<Self>) {
        self.again.set(false);
        let this = self.clone();
        self.take_a_turn(Box::new(move |turn| {
            match turn {
                Turn::Done => this.failures.set(0),
                // Look again once the other tab could have finished.
                Turn::Busy => this.schedule_retry(LEASE_MS as u32 / 4),
                Turn::Failed => {
                    let attempt = this.failures.get();
                    this.failures.set(attempt.saturating_add(1));
                    this.schedule_retry(backoff::delay_ms(attempt, browser::random_unit()) as u32);
                }
                // As long as asked, plus up to a second so that the widgets
                // the server turned away do not all come back at once.
                Turn::Throttled(wait_ms) => this.schedule_retry(
                    wait_ms.saturating_add((browser::random_unit() * 1000.0) as u32),
                ),
            }
            if this.again.get() && matches!(turn, Turn::Done) {
                this.run_turns();
            } else {
                this.running.set(false);
            }
        }));
    }

    /// Sends while holding the right to: the Web Lock, else the storage lease.
    fn take_a_turn(self: &Rc<Self>, then: AfterTurn) {
        if self.queue.pending_count() == 0 {
            return then(Turn::Done);
        }
        let (since, for_ms) = self.throttled.get();
        if let Some(wait) = backoff::throttled_for(since, for_ms, browser::now_ms()) {
            return then(Turn::Throttled(wait));
        }
        let Some(locks) = lock_manager() else {
            if !self.take_lease() {
                return then(Turn::Busy);
            }
            let this = self.clone();
            return self.send_all(Box::new(move |turn| {
                this.release_lease();
                then(turn)
            }));
        };
        let outcome = Rc::new(Cell::new(Turn::Busy));
        let this = self.clone();
        let out = outcome.clone();
        let callback = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
            if lock.is_null() {
                // Another tab holds it: `ifAvailable` gives no lock rather than waiting.
                return js_sys::Promise::resolve(&JsValue::UNDEFINED);
            }
            let mut send = Some((this, out));
            js_sys::Promise::new(&mut |resolve, _| {
                if let Some((this, out)) = send.take() {
                    this.send_all(Box::new(move |turn| {
                        out.set(turn);
                        let _ = resolve.call0(&JsValue::UNDEFINED);
                    }));
                }
            })
        });
        let options = browser::options_object();
        let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        // The lock is held until the callback's promise settles: the whole turn.
        let request = locks.request(&self.lock_name, &options, &callback);
        browser::when_settled(&request, Box::new(move |_| then(outcome.get())));
    }

    /// Sends batch after batch until the queue is empty or a batch fails.
    fn send_all(self: &Rc<Self>, then: AfterTurn) {
        if self.stopped.get() {
            return then(Turn::Done);
        }
        let batch = self.queue.next_batch(self.batch_size.get().get());
        if batch.is_empty() {
            return then(Turn::Done);
        }
        if self.storage.is_some() && lock_manager().is_none() && !self.take_lease() {
            return then(Turn::Busy);
        }
        let this = self.clone();
        let body = Batch(&batch).to_json();
        browser::post_json(&self.answers_url, body, move |receipt| {
            match this.after_batch(&batch, receipt) {
                Some(turn) => then(turn),
                None => this.send_all(then),
            }
        });
    }

    /// What the server's answer to `batch` means: the turn's end, or `None` to
    /// go on with the next batch.
    fn after_batch(&self, batch: &[Pending], receipt: Result<Receipt, FetchError>) -> Option<Turn> {
        match receipt {
            Ok(receipt) => {
                self.queue.apply_receipt(&receipt);
                if let Some(storage) = &self.storage {
                    let _ = storage.set(
                        &self.queue.keys().synced(),
                        &kept_shared::json::u64_text(browser::now_ms() as u64),
                    );
                }
                self.failures.set(0);
                // The server left some unnamed: don't spin, try them later.
                (receipt.len() < batch.len()).then_some(Turn::Failed)
            }
            Err(e) if e.refuses_the_widget() => {
                // The loader told the shop why, once; retrying cannot help.
                self.stop();
                Some(Turn::Done)
            }
            Err(FetchError::Throttled(wait_ms)) => {
                self.throttled.set((browser::now_ms(), wait_ms));
                Some(Turn::Throttled(wait_ms))
            }
            Err(e @ FetchError::Status(status, _)) if batch_size::refuses_the_batch(status) => {
                // Sent again as it is, it would be refused again: split it.
                let mut size = self.batch_size.get();
                size.refused(&self.queue, batch, &e.message());
                self.batch_size.set(size);
                None
            }
            Err(e) => {
                // Nothing is removed: network errors, 5xx and even a refused
                // batch keep every answer for the next try. Said once per
                // run of failures, not on every retry.
                if self.failures.get() == 0 {
                    match &e {
                        FetchError::Network(e) => browser::warn_unreachable(&self.api_base, e),
                        other => browser::warn(
                            &(String::from("sync failed, will retry: ") + &other.message()),
                        ),
                    }
                }
                Some(Turn::Failed)
            }
        }
    }

    /// As the page goes away: sends what is queued in `keepalive` requests that
    /// outlive it, within the browser's budget for them. Nothing is removed from
    /// the queue (no receipt will be read): the next page sends them again and
    /// the server answers "duplicate".
    fn flush(&self) {
        if self.stopped.get() {
            return;
        }
        for body in flush_bodies(&self.queue.next_batch(usize::MAX), FLUSH_BUDGET_BYTES) {
            browser::post_and_forget(&self.answers_url, &body);
        }
    }

    fn schedule_retry(self: &Rc<Self>, delay_ms: u32) {
        let weak = Rc::downgrade(self);
        // Replacing the timer cancels the one pending.
        *self.retry.borrow_mut() = Some(Timer::new(delay_ms, move || {
            if let Some(s) = weak.upgrade() {
                s.kick();
            }
        }));
    }

    /// Takes (or renews) the storage lease for this tab, unless another tab holds
    /// it (`{"tab": id, "expires_at": ms}` in `kept:v1:{public_key}:lease`). Local
    /// storage has no compare-and-swap, so two tabs may rarely both win.
    fn take_lease(&self) -> bool {
        let Some(storage) = &self.storage else {
            return true;
        };
        let key = self.queue.keys().lease();
        let now = browser::now_ms();
        if let Some((tab, expires_at)) = storage.get(&key).and_then(|v| read_lease(&v))
            && tab != self.tab
            && expires_at > now
        {
            return false;
        }
        let mut w = JsonWriter::default();
        w.begin_object();
        w.member("tab", &self.tab);
        w.member("expires_at", &((now + LEASE_MS) as i64));
        w.end_object();
        let mine = w.into_string();
        let _ = storage.set(&key, &mine);
        storage.get(&key).is_none_or(|v| v == mine)
    }

    fn release_lease(&self) {
        let Some(storage) = &self.storage else { return };
        let key = self.queue.keys().lease();
        if storage
            .get(&key)
            .and_then(|v| read_lease(&v))
            .is_some_and(|(tab, _)| tab == self.tab)
        {
            storage.remove(&key);
        }
    }
}

fn read_lease(text: &str) -> Option<(String, f64)> {
    let v = Json::parse(text).ok()?;
    let expires_at = match v.get("expires_at")? {
        Json::Int(n) => *n as f64,
        Json::Float(f) => *f,
        _ => return None,
    };
    Some((v.get("tab")?.as_str()?.to_string(), expires_at))
}
