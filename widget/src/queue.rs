//! The offline queue: every answer is written here before it is sent, and leaves
//! only when the server's receipt says it is stored (now or before) or rejected.
//!
//! One storage key per answer (`kept:v1:{public_key}:pending:{id}`), never one shared
//! array: two tabs of the same shop that queue at once each write their own key,
//! so neither can overwrite the other's answer. Removing an id is idempotent, so
//! two tabs applying receipts cannot corrupt anything either.
//!
//! Durable storage (local storage) may be missing (private mode), full (quota) or
//! over our cap: the answer then waits in memory for this page's life, and is sent
//! like any other. The visitor notices nothing.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kept_shared::{Answer, SyncReceipt};
use serde_json::{Value, json};

/// Most answers kept waiting in local storage per shop. At ≤ 4 KB for the
/// longest answer this stays well below the 5 MB a browser gives an origin,
/// which the shop's own site shares; a kiosk offline for a whole day at one
/// answer a minute queues about 500.
pub const MAX_PENDING: usize = 500;

/// The `reason` of a set-aside entry that no longer reads as an answer (the
/// parse error is in its `detail`).
pub const UNREADABLE: &str = "unreadable";

/// The key-value storage the queue lives in: local storage in the browser, a map in tests.
pub trait KeyValueStore {
    fn get(&self, key: &str) -> Option<String>;
    /// Fails when the storage is full or refuses writes.
    fn set(&self, key: &str, value: &str) -> Result<(), StorageError>;
    fn remove(&self, key: &str);
    fn keys_with_prefix(&self, prefix: &str) -> Vec<String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError(pub String);

/// An in-memory store; with a capacity, it refuses writes past it (like a full quota).
#[derive(Default)]
pub struct MemoryStore {
    map: RefCell<BTreeMap<String, String>>,
    capacity: Option<usize>,
}

impl MemoryStore {
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryStore {
            map: RefCell::default(),
            capacity: Some(capacity),
        }
    }
}

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.map.borrow().get(key).cloned()
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let mut map = self.map.borrow_mut();
        if self
            .capacity
            .is_some_and(|cap| map.len() >= cap && !map.contains_key(key))
        {
            return Err(StorageError("quota exceeded".into()));
        }
        map.insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn remove(&self, key: &str) {
        self.map.borrow_mut().remove(key);
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.map
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl<S: KeyValueStore + ?Sized> KeyValueStore for std::rc::Rc<S> {
    fn get(&self, key: &str) -> Option<String> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        (**self).set(key, value)
    }
    fn remove(&self, key: &str) {
        (**self).remove(key)
    }
    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        (**self).keys_with_prefix(prefix)
    }
}

/// Where [`Queue::enqueue`] put an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// In durable storage: it survives a reload or a closed tab.
    Durably,
    /// Only in memory (storage missing, full, or at [`MAX_PENDING`]): sent while the page lives.
    InMemory,
}

/// The storage keys of one shop's widget data.
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(public_key: &str) -> Self {
        Keys {
            prefix: format!("kept:v1:{public_key}:"),
        }
    }
    pub fn pending_prefix(&self) -> String {
        format!("{}pending:", self.prefix)
    }
    pub fn pending(&self, id: &str) -> String {
        format!("{}pending:{id}", self.prefix)
    }
    pub fn rejected(&self, id: &str) -> String {
        format!("{}rejected:{id}", self.prefix)
    }
    pub fn rejected_prefix(&self) -> String {
        format!("{}rejected:", self.prefix)
    }
    pub fn surveys(&self) -> String {
        format!("{}surveys", self.prefix)
    }
    pub fn loyalty(&self, customer: &str) -> String {
        format!("{}loyalty:{customer}", self.prefix)
    }
    /// What became of `survey` for `order`, or for this browser without an order
    /// (an [`crate::asked::Asked`]).
    pub fn asked(&self, order: Option<&str>, survey: &str) -> String {
        match order {
            Some(order) => format!("{}asked:order:{order}:{survey}", self.prefix),
            None => format!("{}asked:visitor:{survey}", self.prefix),
        }
    }
    pub fn lease(&self) -> String {
        format!("{}lease", self.prefix)
    }
}

pub struct Queue<S> {
    durable: Option<S>,
    memory: MemoryStore,
    keys: Keys,
}

impl<S: KeyValueStore> Queue<S> {
    /// A queue in `durable` storage (`None` where the browser has none).
    pub fn new(durable: Option<S>, public_key: &str) -> Self {
        Queue {
            durable,
            memory: MemoryStore::default(),
            keys: Keys::new(public_key),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Queues an answer; it stays until a receipt accounts for it.
    pub fn enqueue(&self, answer: &Answer) -> Kept {
        let key = self.keys.pending(&answer.id.to_string());
        let value = serde_json::to_string(answer).expect("an answer serialises");
        if let Some(d) = &self.durable
            && d.keys_with_prefix(&self.keys.pending_prefix()).len() < MAX_PENDING
            && d.set(&key, &value).is_ok()
        {
            return Kept::Durably;
        }
        self.memory.set(&key, &value).expect("memory has no quota");
        Kept::InMemory
    }

    fn stores(&self) -> impl Iterator<Item = &dyn KeyValueStore> {
        self.durable
            .iter()
            .map(|d| d as &dyn KeyValueStore)
            .chain(std::iter::once(&self.memory as &dyn KeyValueStore))
    }

    pub fn pending_count(&self) -> usize {
        self.stores()
            .map(|s| s.keys_with_prefix(&self.keys.pending_prefix()).len())
            .sum()
    }

    /// Up to `max` pending answers, oldest first. Entries that no longer read as
    /// answers (edited or damaged storage) are set aside so they never block the rest.
    pub fn next_batch(&self, max: usize) -> Vec<Answer> {
        let mut answers = Vec::new();
        for store in self.stores() {
            for key in store.keys_with_prefix(&self.keys.pending_prefix()) {
                let Some(raw) = store.get(&key) else { continue };
                match serde_json::from_str::<Answer>(&raw) {
                    Ok(a) if key.ends_with(&a.id.to_string()) => answers.push(a),
                    Ok(_) => self.set_aside(
                        store,
                        &key,
                        Value::String(raw),
                        "the answer's id does not match its key",
                        None,
                    ),
                    Err(e) => self.set_aside(
                        store,
                        &key,
                        Value::String(raw),
                        UNREADABLE,
                        Some(&e.to_string()),
                    ),
                }
            }
        }
        answers.sort_by(|a, b| a.answered_at.cmp(&b.answered_at).then(a.id.cmp(&b.id)));
        answers.dedup_by_key(|a| a.id);
        answers.truncate(max);
        answers
    }

    /// Applies the server's receipt: stored and duplicate ids leave the queue,
    /// rejected ones are set aside with their reason; ids it does not name stay.
    pub fn apply_receipt(&self, receipt: &SyncReceipt) {
        for id in receipt.accepted() {
            let key = self.keys.pending(&id.to_string());
            self.stores().for_each(|s| s.remove(&key));
        }
        for r in &receipt.rejected {
            let key = self.keys.pending(&r.id.to_string());
            for store in self.stores() {
                if let Some(raw) = store.get(&key) {
                    let answer = serde_json::from_str::<Value>(&raw).unwrap_or(Value::String(raw));
                    self.set_aside(store, &key, answer, &r.message, None);
                }
            }
        }
    }

    /// Moves a pending entry to the rejected keys (`{"answer", "reason"}`, plus
    /// `"detail"` when there is one); never retried.
    fn set_aside(
        &self,
        store: &dyn KeyValueStore,
        pending_key: &str,
        answer: Value,
        reason: &str,
        detail: Option<&str>,
    ) {
        let id = pending_key.rsplit(':').next().unwrap_or_default();
        let mut entry = json!({ "answer": answer, "reason": reason });
        if let Some(detail) = detail {
            entry["detail"] = Value::String(detail.to_string());
        }
        let entry = entry.to_string();
        // If even that cannot be written, dropping the bad entry still unblocks the queue.
        let _ = store.set(&self.keys.rejected(id), &entry);
        store.remove(pending_key);
    }

    /// The answers set aside, with their reasons (key → entry JSON).
    pub fn rejected(&self) -> BTreeMap<String, String> {
        self.stores()
            .flat_map(|s| {
                s.keys_with_prefix(&self.keys.rejected_prefix())
                    .into_iter()
                    .filter_map(move |k| s.get(&k).map(|v| (k, v)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use chrono::{Duration, TimeZone, Utc};
    use kept_shared::{AnswerValue, Channel, RejectedAnswer, ValidationError};
    use uuid::Uuid;

    use super::*;

    fn answer(n: u128, minutes: i64) -> Answer {
        Answer {
            id: Uuid::from_u128(n),
            shop: "demo".into(),
            survey: "nps".into(),
            channel: Channel::Web,
            customer_ref: None,
            order_ref: None,
            answered_at: Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
                + Duration::minutes(minutes),
            value: AnswerValue::Nps {
                score: 9,
                reason: None,
            },
        }
    }

    fn queue(store: &Rc<MemoryStore>) -> Queue<Rc<MemoryStore>> {
        Queue::new(Some(store.clone()), "pk_demo")
    }

    fn ids(answers: &[Answer]) -> Vec<u128> {
        answers.iter().map(|a| a.id.as_u128()).collect()
    }

    #[test]
    fn answers_wait_under_their_own_key_and_come_out_oldest_first() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        assert_eq!(q.enqueue(&answer(2, 5)), Kept::Durably);
        assert_eq!(q.enqueue(&answer(1, 9)), Kept::Durably);
        assert_eq!(q.enqueue(&answer(3, 1)), Kept::Durably);
        assert_eq!(ids(&q.next_batch(10)), [3, 2, 1]);
        assert_eq!(ids(&q.next_batch(2)), [3, 2]);
        let key = format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(2));
        assert_eq!(
            serde_json::from_str::<Answer>(&store.get(&key).unwrap()).unwrap(),
            answer(2, 5)
        );
    }

    #[test]
    fn the_queue_survives_a_reload() {
        let store = Rc::new(MemoryStore::default());
        queue(&store).enqueue(&answer(1, 0));
        // A new page: a new queue over the same storage.
        assert_eq!(ids(&queue(&store).next_batch(10)), [1]);
    }

    #[test]
    fn a_receipt_removes_stored_and_duplicates_sets_rejected_aside_and_keeps_the_rest() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        for n in 1..=4 {
            q.enqueue(&answer(n, n as i64));
        }
        let reason = ValidationError::ScoreOutOfRange {
            score: 11,
            min: 0,
            max: 10,
        };
        q.apply_receipt(&SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            duplicates: vec![Uuid::from_u128(2), Uuid::from_u128(99)],
            rejected: vec![RejectedAnswer::new(Uuid::from_u128(3), reason)],
        });
        assert_eq!(
            ids(&q.next_batch(10)),
            [4],
            "the id the receipt did not name stays"
        );
        let rejected = q.rejected();
        let entry: Value = serde_json::from_str(
            &rejected[&format!("kept:v1:pk_demo:rejected:{}", Uuid::from_u128(3))],
        )
        .unwrap();
        assert_eq!(entry["reason"], "score 11 is outside 0–10");
        assert_eq!(entry["answer"]["id"], Uuid::from_u128(3).to_string());
        // Applying the same receipt again changes nothing.
        q.apply_receipt(&SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        });
        assert_eq!(q.pending_count(), 1);
    }

    #[test]
    fn unreadable_entries_are_set_aside_and_do_not_block_the_queue() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        q.enqueue(&answer(1, 0));
        store
            .set("kept:v1:pk_demo:pending:garbage", "{not json")
            .unwrap();
        let mut score_300 = serde_json::to_value(answer(2, 1)).unwrap();
        score_300["value"]["score"] = json!(300);
        store
            .set(
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(2)),
                &score_300.to_string(),
            )
            .unwrap();
        // A valid answer filed under another answer's id is not trusted either.
        store
            .set(
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(7)),
                &serde_json::to_string(&answer(8, 0)).unwrap(),
            )
            .unwrap();

        assert_eq!(ids(&q.next_batch(10)), [1]);
        assert_eq!(q.pending_count(), 1);
        let rejected = q.rejected();
        assert_eq!(rejected.len(), 3);
        let garbage: Value =
            serde_json::from_str(&rejected["kept:v1:pk_demo:rejected:garbage"]).unwrap();
        assert_eq!(garbage["reason"], UNREADABLE);
        assert_eq!(garbage["answer"], "{not json");
        assert!(garbage["detail"].is_string());
        // A later batch does not see them again, and they stay aside.
        assert_eq!(ids(&q.next_batch(10)), [1]);
        assert_eq!(q.rejected().len(), 3);
    }

    #[test]
    fn past_the_cap_or_when_storage_is_full_answers_wait_in_memory() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        for n in 0..MAX_PENDING as u128 {
            assert_eq!(q.enqueue(&answer(n, 0)), Kept::Durably);
        }
        assert_eq!(q.enqueue(&answer(10_000, 0)), Kept::InMemory);
        assert_eq!(q.pending_count(), MAX_PENDING + 1);
        assert_eq!(q.next_batch(usize::MAX).len(), MAX_PENDING + 1);

        let full = Rc::new(MemoryStore::with_capacity(1));
        let q = queue(&full);
        assert_eq!(q.enqueue(&answer(1, 0)), Kept::Durably);
        assert_eq!(q.enqueue(&answer(2, 0)), Kept::InMemory);
        q.apply_receipt(&SyncReceipt {
            stored: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
            ..Default::default()
        });
        assert_eq!(q.pending_count(), 0);
    }

    #[test]
    fn a_long_queue_drains_in_full_batches_oldest_first() {
        use kept_shared::limits::MAX_BATCH_ANSWERS;
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        let total = 2 * MAX_BATCH_ANSWERS as u128 + 37;
        // Queued newest first, so key order and time order differ.
        for n in (0..total).rev() {
            q.enqueue(&answer(n + 1, n as i64));
        }
        let mut sent = Vec::new();
        loop {
            let batch = q.next_batch(MAX_BATCH_ANSWERS);
            if batch.is_empty() {
                break;
            }
            assert!(batch.len() <= MAX_BATCH_ANSWERS);
            assert!(
                batch
                    .windows(2)
                    .all(|w| w[0].answered_at <= w[1].answered_at)
            );
            sent.extend(ids(&batch));
            q.apply_receipt(&SyncReceipt {
                stored: batch.iter().map(|a| a.id).collect(),
                ..Default::default()
            });
        }
        assert_eq!(sent, (1..=total).collect::<Vec<_>>());
        assert_eq!(q.pending_count(), 0);
    }

    /// Storage that exists but refuses every write (Safari private mode, a full quota).
    struct RefusingStore;
    impl KeyValueStore for RefusingStore {
        fn get(&self, _: &str) -> Option<String> {
            None
        }
        fn set(&self, _: &str, _: &str) -> Result<(), StorageError> {
            Err(StorageError("QuotaExceededError".into()))
        }
        fn remove(&self, _: &str) {}
        fn keys_with_prefix(&self, _: &str) -> Vec<String> {
            Vec::new()
        }
    }

    #[test]
    fn storage_that_refuses_writes_falls_back_to_memory() {
        let q = Queue::new(Some(RefusingStore), "pk_demo");
        assert_eq!(q.enqueue(&answer(1, 0)), Kept::InMemory);
        assert_eq!(q.enqueue(&answer(2, 1)), Kept::InMemory);
        assert_eq!(ids(&q.next_batch(10)), [1, 2]);
        q.apply_receipt(&SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        });
        assert_eq!(ids(&q.next_batch(10)), [2]);
    }

    #[test]
    fn a_tab_queueing_while_another_sends_loses_nothing() {
        let store = Rc::new(MemoryStore::default());
        let (sender, other) = (queue(&store), queue(&store));
        for n in 1..=3 {
            sender.enqueue(&answer(n, n as i64));
        }
        let batch = sender.next_batch(100);
        // The other tab queues while the batch is on the wire.
        other.enqueue(&answer(4, 4));
        sender.apply_receipt(&SyncReceipt {
            stored: batch.iter().map(|a| a.id).collect(),
            ..Default::default()
        });
        assert_eq!(ids(&sender.next_batch(100)), [4]);
        assert_eq!(ids(&other.next_batch(100)), [4]);
    }

    #[test]
    fn storage_keys_have_the_documented_format() {
        let k = Keys::new("pk_demo");
        assert_eq!(k.pending("u1"), "kept:v1:pk_demo:pending:u1");
        assert_eq!(k.rejected("u1"), "kept:v1:pk_demo:rejected:u1");
        assert_eq!(k.surveys(), "kept:v1:pk_demo:surveys");
        assert_eq!(k.loyalty("alice"), "kept:v1:pk_demo:loyalty:alice");
        assert_eq!(k.lease(), "kept:v1:pk_demo:lease");
        assert_eq!(
            k.asked(Some("o-1"), "nps"),
            "kept:v1:pk_demo:asked:order:o-1:nps"
        );
        assert_eq!(k.asked(None, "nps"), "kept:v1:pk_demo:asked:visitor:nps");
    }

    #[test]
    fn without_storage_the_queue_still_works_for_the_page() {
        let q: Queue<MemoryStore> = Queue::new(None, "pk_demo");
        assert_eq!(q.enqueue(&answer(1, 0)), Kept::InMemory);
        assert_eq!(ids(&q.next_batch(10)), [1]);
        q.apply_receipt(&SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        });
        assert_eq!(q.pending_count(), 0);
    }

    #[test]
    fn two_tabs_sharing_storage_lose_nothing_and_send_each_answer_once() {
        let store = Rc::new(MemoryStore::default());
        let (tab1, tab2) = (queue(&store), queue(&store));
        // Interleaved writes: each lands under its own key.
        for n in 0..10u128 {
            if n % 2 == 0 {
                tab1.enqueue(&answer(n, n as i64))
            } else {
                tab2.enqueue(&answer(n, n as i64))
            };
        }
        assert_eq!(tab1.pending_count(), 10);
        assert_eq!(tab2.pending_count(), 10);
        // Both tabs read the same batch (the lease failed, say); the server dedups by id,
        // and applying both receipts leaves the queue empty and consistent.
        let batch1 = tab1.next_batch(100);
        let batch2 = tab2.next_batch(100);
        assert_eq!(ids(&batch1), ids(&batch2));
        let all: Vec<Uuid> = batch1.iter().map(|a| a.id).collect();
        tab1.apply_receipt(&SyncReceipt {
            stored: all.clone(),
            ..Default::default()
        });
        tab2.apply_receipt(&SyncReceipt {
            duplicates: all,
            ..Default::default()
        });
        assert_eq!(tab1.pending_count() + tab2.pending_count(), 0);
    }
}
