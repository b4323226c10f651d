//! The offline queue: every answer is written here before it is sent, and leaves
//! only when the server's receipt says it is stored (now or before) or rejected.
//!
//! One storage key per answer (`kept:v1:{public_key}:pending:{id}`), never one shared
//! array: two tabs of the same shop that queue at once each write their own key,
//! so neither can overwrite the other's answer. Removing an id is idempotent, so
//! two tabs applying receipts cannot corrupt anything either.
//!
//! An answer waits as the JSON written when it was given, and is sent as it is:
//! the queue reads back only its id and time ([`Pending`]).
//!
//! Durable storage (local storage) may be missing (private mode), full (quota) or
//! over our cap: the answer then waits in memory for this page's life, and is sent
//! like any other. The visitor notices nothing.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kept_shared::Answer;
use kept_shared::json::{FromJson, Json, JsonError, JsonWriter, ToJson, uuid_text};
use kept_shared::limits::MAX_BATCH_ANSWERS;
use uuid::Uuid;

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

/// An in-memory store; with a capacity, it refuses writes past it (like a full
/// quota). A list, not a map: it holds a few hundred entries at most, and a map's
/// code would cost the widget's download more than the lookups save.
#[derive(Default)]
pub struct MemoryStore {
    entries: RefCell<Vec<(String, String)>>,
    capacity: Option<usize>,
}

impl MemoryStore {
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryStore {
            entries: RefCell::default(),
            capacity: Some(capacity),
        }
    }
}

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.entries
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let mut entries = self.entries.borrow_mut();
        if let Some(e) = entries.iter_mut().find(|(k, _)| k == key) {
            e.1 = value.to_string();
            return Ok(());
        }
        if self.capacity.is_some_and(|cap| entries.len() >= cap) {
            return Err(StorageError("quota exceeded".into()));
        }
        entries.push((key.to_string(), value.to_string()));
        Ok(())
    }

    fn remove(&self, key: &str) {
        self.entries.borrow_mut().retain(|(k, _)| k != key);
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.entries
            .borrow()
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
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
            prefix: String::from("kept:v1:") + public_key + ":",
        }
    }
    pub fn pending_prefix(&self) -> String {
        self.prefix.clone() + "pending:"
    }
    pub fn pending(&self, id: &str) -> String {
        self.prefix.clone() + "pending:" + id
    }
    pub fn rejected(&self, id: &str) -> String {
        self.prefix.clone() + "rejected:" + id
    }
    pub fn rejected_prefix(&self) -> String {
        self.prefix.clone() + "rejected:"
    }
    pub fn loyalty(&self, customer: &str) -> String {
        self.prefix.clone() + "loyalty:" + customer
    }
    pub fn lease(&self) -> String {
        self.prefix.clone() + "lease"
    }
    /// When a batch was last accepted (ms since the epoch): the kiosk app reports it.
    pub fn synced(&self) -> String {
        self.prefix.clone() + "synced"
    }
    /// Keys an earlier widget or loader wrote and nothing reads any more (its
    /// copy of the surveys, what it asked, the loader's copy of the decision
    /// rules): removed once, by [`Queue::forget_legacy`].
    pub fn legacy_prefixes(&self) -> [String; 3] {
        [
            self.prefix.clone() + "surveys",
            self.prefix.clone() + "asked:",
            self.prefix.clone() + "rules",
        ]
    }
}

/// What the server says of a batch (the widget's reading of a
/// [`kept_shared::SyncReceipt`]: the ids, and each rejection's sentence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Receipt {
    pub stored: Vec<Uuid>,
    pub duplicates: Vec<Uuid>,
    /// Rejected answers' ids with the reason as a sentence.
    pub rejected: Vec<(Uuid, String)>,
}

impl Receipt {
    /// How many answers the receipt names.
    pub fn len(&self) -> usize {
        self.stored.len() + self.duplicates.len() + self.rejected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FromJson for Receipt {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        let rejected = v
            .get("rejected")
            .and_then(Json::as_array)
            .ok_or_else(|| JsonError("rejected: missing".into()))?
            .iter()
            .map(|r| Ok((r.field("id")?, r.field("message")?)))
            .collect::<Result<_, JsonError>>()?;
        Ok(Receipt {
            stored: v.field("stored")?,
            duplicates: v.field("duplicates")?,
            rejected,
        })
    }
}

/// A queued answer: the JSON the widget wrote when it was given, sent as it is.
/// The queue reads only the id and the time back from it, never the whole
/// answer: reading every field's type and the calendar back would cost every
/// visitor's download kilobytes (README, "Where the widget's bytes go"). An entry
/// the server cannot take it refuses, and the sender sets it aside
/// (`batch_size.rs`), as for any answer the server refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub id: Uuid,
    /// `answered_at` with its fraction of a second written out to nine digits:
    /// in this form, text order is time order.
    when: String,
    pub json: String,
}

impl Pending {
    /// Reads a stored entry: a JSON object with a UUID `id` and an `answered_at`.
    pub fn read(json: String) -> Result<Pending, JsonError> {
        let (id, when) = id_and_time(&json)?;
        Ok(Pending { id, when, json })
    }
}

/// The `id` of a stored entry, and its `answered_at` as [`Pending::when`] holds it.
fn id_and_time(json: &str) -> Result<(Uuid, String), JsonError> {
    let v = Json::parse(json)?;
    let id = v.field("id")?;
    let answered_at: String = v.field("answered_at")?;
    Ok((id, sortable_time(&answered_at)))
}

/// An RFC 3339 time in UTC as the widget writes it (`…T10:00:00Z`,
/// `…T10:00:00.5Z`: 0, 3, 6 or 9 digits of fraction), with nine digits of
/// fraction, so that such texts order as their times do.
fn sortable_time(at: &str) -> String {
    let at = at.trim_end_matches('Z');
    let (whole, fraction) = at.split_once('.').unwrap_or((at, ""));
    let mut key = String::from(whole) + "." + fraction;
    for _ in fraction.len()..9 {
        key.push('0');
    }
    key
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
    pub fn enqueue(&self, answer: &Answer<impl ToJson>) -> Kept {
        let key = self.keys.pending(&uuid_text(&answer.id));
        let value = answer.to_json();
        if let Some(d) = &self.durable
            && d.keys_with_prefix(&self.keys.pending_prefix()).len() < MAX_PENDING
            && d.set(&key, &value).is_ok()
        {
            return Kept::Durably;
        }
        // Memory has no quota: this cannot fail.
        let _ = self.memory.set(&key, &value);
        Kept::InMemory
    }

    fn stores(&self) -> impl Iterator<Item = &dyn KeyValueStore> {
        self.durable
            .iter()
            .map(|d| d as &dyn KeyValueStore)
            .chain(std::iter::once(&self.memory as &dyn KeyValueStore))
    }

    /// Whether an answer to `survey` for the order `order` waits here to be
    /// sent (a personal link answered while the server could not hear it),
    /// in the storage that outlives the page.
    pub fn holds_answer(&self, survey: &str, order: &str) -> bool {
        let Some(store) = &self.durable else {
            return false;
        };
        for key in store.keys_with_prefix(&self.keys.pending_prefix()) {
            // Read as the queue reads an answer's time: `field`.
            if let Some(answer) = store.get(&key).and_then(|raw| Json::parse(&raw).ok())
                && answer.field::<String>("survey").is_ok_and(|s| s == survey)
                && answer
                    .field::<String>("order_ref")
                    .is_ok_and(|o| o == order)
            {
                return true;
            }
        }
        false
    }

    pub fn pending_count(&self) -> usize {
        self.stores()
            .map(|s| s.keys_with_prefix(&self.keys.pending_prefix()).len())
            .sum()
    }

    /// Up to `max` pending answers, oldest first. Entries that no longer read as
    /// answers (edited or damaged storage) are set aside so they never block the rest.
    pub fn next_batch(&self, max: usize) -> Vec<Pending> {
        let mut answers = Vec::new();
        for store in self.stores() {
            for key in store.keys_with_prefix(&self.keys.pending_prefix()) {
                let Some(raw) = store.get(&key) else { continue };
                match id_and_time(&raw) {
                    Ok((id, when)) if key.ends_with(&uuid_text(&id)) => answers.push(Pending {
                        id,
                        when,
                        json: raw,
                    }),
                    Ok(_) => self.set_aside(
                        store,
                        &key,
                        &raw,
                        "the answer's id does not match its key",
                        None,
                    ),
                    Err(e) => self.set_aside(store, &key, &raw, UNREADABLE, Some(&e.0)),
                }
            }
        }
        oldest_first(&mut answers);
        answers.dedup_by_key(|a| a.id);
        answers.truncate(max);
        answers
    }

    /// Applies the server's receipt: stored and duplicate ids leave the queue,
    /// rejected ones are set aside with their reason; ids it does not name stay.
    pub fn apply_receipt(&self, receipt: &Receipt) {
        for id in receipt.stored.iter().chain(&receipt.duplicates) {
            let key = self.keys.pending(&uuid_text(id));
            self.stores().for_each(|s| s.remove(&key));
        }
        for (id, message) in &receipt.rejected {
            let key = self.keys.pending(&uuid_text(id));
            for store in self.stores() {
                if let Some(raw) = store.get(&key) {
                    self.set_aside(store, &key, &raw, message, None);
                }
            }
        }
    }

    /// Removes what an earlier widget left in storage (see [`Keys::legacy_prefixes`]).
    pub fn forget_legacy(&self) {
        if let Some(d) = &self.durable {
            for prefix in self.keys.legacy_prefixes() {
                d.keys_with_prefix(&prefix).iter().for_each(|k| d.remove(k));
            }
        }
    }

    /// Moves a pending entry to the rejected keys (`{"answer", "reason"}`, plus
    /// `"detail"` when there is one; the answer as JSON when it reads as JSON,
    /// else as the text it is); never retried.
    fn set_aside(
        &self,
        store: &dyn KeyValueStore,
        pending_key: &str,
        raw: &str,
        reason: &str,
        detail: Option<&str>,
    ) {
        // After the key's last ':' (bytes, not `rsplit`: that costs the widget
        // most of a kilobyte).
        let id = match pending_key.bytes().rposition(|b| b == b':') {
            Some(colon) => &pending_key[colon + 1..],
            None => pending_key,
        };
        let mut w = JsonWriter::default();
        w.begin_object();
        w.key("answer");
        if Json::parse(raw).is_ok() {
            w.raw(raw);
        } else {
            w.string(raw);
        }
        w.member("reason", reason);
        if let Some(detail) = detail {
            w.member("detail", detail);
        }
        w.end_object();
        let entry = w.into_string();
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

/// Sorts answers by when they were given (then by id): an insertion sort, as
/// the queue holds a few hundred at most and the standard sorts' code would add
/// kilobytes to every visitor's download.
fn oldest_first(answers: &mut [Pending]) {
    for i in 1..answers.len() {
        let mut j = i;
        while j > 0 && (&answers[j - 1].when, answers[j - 1].id) > (&answers[j].when, answers[j].id)
        {
            answers.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// What the requests sent as the page goes away may carry in all: browsers give
/// `keepalive` requests 64 KiB together; this leaves room for the headers.
pub const FLUSH_BUDGET_BYTES: usize = 60 * 1024;

/// A batch as the API takes it (`SyncBatch`), written from borrowed answers.
pub struct Batch<'a>(pub &'a [Pending]);

impl ToJson for Batch<'_> {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        w.key("answers");
        w.raw("[");
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                w.raw(",");
            }
            w.raw(&a.json);
        }
        w.raw("]");
        w.end_object();
    }
}

/// The bodies of the requests that flush `answers` as the page goes away: batches
/// of at most [`MAX_BATCH_ANSWERS`], oldest first, as many as fit in `budget`
/// bytes together (what does not fit waits for the next page).
pub fn flush_bodies(answers: &[Pending], budget: usize) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut used = 0;
    for chunk in answers.chunks(MAX_BATCH_ANSWERS) {
        // Shrink a batch until it fits what is left of the budget.
        let mut n = chunk.len();
        while n > 0 {
            let body = Batch(&chunk[..n]).to_json();
            if used + body.len() <= budget {
                used += body.len();
                bodies.push(body);
                break;
            }
            n /= 2;
        }
        if n < chunk.len() {
            break;
        }
    }
    bodies
}

#[cfg(test)]
pub(crate) mod tests {
    use std::rc::Rc;

    use chrono::{Duration, TimeZone, Utc};
    use kept_shared::{AnswerValue, Channel, RejectedAnswer, SyncReceipt, ValidationError};
    use serde_json::{Value, json};

    use super::*;

    /// The widget's reading of what the server would send.
    fn receipt(r: SyncReceipt) -> Receipt {
        Receipt::from_json_text(&serde_json::to_string(&r).unwrap()).unwrap()
    }

    /// A valid NPS answer with id `n`, given `minutes` after a fixed moment (the
    /// other modules' tests use it too).
    pub(crate) fn answer(n: u128, minutes: i64) -> Answer {
        Answer {
            id: Uuid::from_u128(n),
            shop: "demo".into(),
            survey: "nps".into(),
            channel: Channel::Web,
            customer_ref: None,
            order_ref: None,
            customer_sig: None,
            order_sig: None,
            store: None,
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

    /// An answer as the queue holds it.
    pub(crate) fn pending(a: &Answer) -> Pending {
        Pending::read(a.to_json()).unwrap()
    }

    fn ids(answers: &[Pending]) -> Vec<u128> {
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
        q.apply_receipt(&receipt(SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            duplicates: vec![Uuid::from_u128(2), Uuid::from_u128(99)],
            rejected: vec![RejectedAnswer::new(Uuid::from_u128(3), reason)],
        }));
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
        q.apply_receipt(&receipt(SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        }));
        assert_eq!(q.pending_count(), 1);
    }

    #[test]
    fn answers_are_sent_as_they_were_written() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        let a = answer(1, 0);
        q.enqueue(&a);
        let batch = q.next_batch(10);
        assert_eq!(batch, [pending(&a)]);
        assert_eq!(batch[0].json, a.to_json());
    }

    #[test]
    fn times_order_whatever_digits_their_fraction_has() {
        let at = |s: &str| sortable_time(s);
        assert!(at("2026-11-25T10:00:00Z") < at("2026-11-25T10:00:00.001Z"));
        assert!(at("2026-11-25T10:00:00.5Z") < at("2026-11-25T10:00:00.500001Z"));
        assert!(at("2026-11-25T10:00:00.999999999Z") < at("2026-11-25T10:00:01Z"));
        assert_eq!(
            at("2026-11-25T10:00:00.5Z"),
            at("2026-11-25T10:00:00.500000000Z")
        );
        let base = answer(1, 0).answered_at;
        let mut times: Vec<_> = [0, 1, 500, 1_000, 1_000_000, 999_999_999, 1_000_000_000]
            .iter()
            .map(|&ns| base + Duration::nanoseconds(ns))
            .collect();
        times.reverse();
        let mut answers: Vec<Pending> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                pending(&Answer {
                    answered_at: t,
                    ..answer(i as u128, 0)
                })
            })
            .collect();
        oldest_first(&mut answers);
        assert_eq!(ids(&answers), [6, 5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn unreadable_entries_are_set_aside_and_do_not_block_the_queue() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        q.enqueue(&answer(1, 0));
        store
            .set("kept:v1:pk_demo:pending:garbage", "{not json")
            .unwrap();
        let mut no_time = serde_json::to_value(answer(2, 1)).unwrap();
        no_time["answered_at"] = json!(null);
        store
            .set(
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(2)),
                &no_time.to_string(),
            )
            .unwrap();
        // A valid answer filed under another answer's id is not trusted either.
        store
            .set(
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(7)),
                &serde_json::to_string(&answer(8, 0)).unwrap(),
            )
            .unwrap();
        // What else is wrong with an answer (a score of 300) is the server's to
        // say: it is sent, and set aside with the server's reason
        // (`batch_size.rs`).
        let mut score_300 = serde_json::to_value(answer(3, 2)).unwrap();
        score_300["value"]["score"] = json!(300);
        store
            .set(
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(3)),
                &score_300.to_string(),
            )
            .unwrap();

        assert_eq!(ids(&q.next_batch(10)), [1, 3]);
        assert_eq!(q.pending_count(), 2);
        let rejected = q.rejected();
        assert_eq!(rejected.len(), 3);
        let garbage: Value =
            serde_json::from_str(&rejected["kept:v1:pk_demo:rejected:garbage"]).unwrap();
        assert_eq!(garbage["reason"], UNREADABLE);
        assert_eq!(garbage["answer"], "{not json");
        assert!(garbage["detail"].is_string());
        // A later batch does not see them again, and they stay aside.
        assert_eq!(ids(&q.next_batch(10)), [1, 3]);
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
        q.apply_receipt(&receipt(SyncReceipt {
            stored: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
            ..Default::default()
        }));
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
            assert!(batch.windows(2).all(|w| w[0].when <= w[1].when));
            sent.extend(ids(&batch));
            q.apply_receipt(&receipt(SyncReceipt {
                stored: batch.iter().map(|a| a.id).collect(),
                ..Default::default()
            }));
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
        q.apply_receipt(&receipt(SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        }));
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
        sender.apply_receipt(&receipt(SyncReceipt {
            stored: batch.iter().map(|a| a.id).collect(),
            ..Default::default()
        }));
        assert_eq!(ids(&sender.next_batch(100)), [4]);
        assert_eq!(ids(&other.next_batch(100)), [4]);
    }

    #[test]
    fn storage_keys_have_the_documented_format() {
        let k = Keys::new("pk_demo");
        assert_eq!(k.pending("u1"), "kept:v1:pk_demo:pending:u1");
        assert_eq!(k.rejected("u1"), "kept:v1:pk_demo:rejected:u1");
        assert_eq!(k.loyalty("alice"), "kept:v1:pk_demo:loyalty:alice");
        assert_eq!(k.lease(), "kept:v1:pk_demo:lease");
        assert_eq!(k.synced(), "kept:v1:pk_demo:synced");
    }

    #[test]
    fn without_storage_the_queue_still_works_for_the_page() {
        let q: Queue<MemoryStore> = Queue::new(None, "pk_demo");
        assert_eq!(q.enqueue(&answer(1, 0)), Kept::InMemory);
        assert_eq!(ids(&q.next_batch(10)), [1]);
        q.apply_receipt(&receipt(SyncReceipt {
            stored: vec![Uuid::from_u128(1)],
            ..Default::default()
        }));
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
        tab1.apply_receipt(&receipt(SyncReceipt {
            stored: all.clone(),
            ..Default::default()
        }));
        tab2.apply_receipt(&receipt(SyncReceipt {
            duplicates: all,
            ..Default::default()
        }));
        assert_eq!(tab1.pending_count() + tab2.pending_count(), 0);
    }

    #[test]
    fn a_batch_is_written_as_the_api_reads_it() {
        let answers: Vec<Answer> = (1..=3).map(|n| answer(n, n as i64)).collect();
        let queued: Vec<Pending> = answers.iter().map(pending).collect();
        assert_eq!(
            Batch(&queued).to_json(),
            serde_json::to_string(&kept_shared::SyncBatch {
                answers: answers.clone()
            })
            .unwrap()
        );
    }

    #[test]
    fn the_flush_as_the_page_goes_sends_oldest_first_within_the_budget() {
        let answers: Vec<Pending> = (1..=250).map(|n| pending(&answer(n, n as i64))).collect();
        let one = Batch(&answers[..1]).to_json().len();
        // Room for everything: batches of 100, 100 and 50, in order.
        let bodies = flush_bodies(&answers, usize::MAX);
        let sizes: Vec<usize> = bodies
            .iter()
            .map(|b| {
                serde_json::from_str::<kept_shared::SyncBatch>(b)
                    .unwrap()
                    .answers
                    .len()
            })
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        // A budget for about 130 answers: the first batch whole, then as much of
        // the second as fits, halving; never past the budget, never out of order.
        let budget = one * 130;
        let bodies = flush_bodies(&answers, budget);
        assert!(bodies.iter().map(String::len).sum::<usize>() <= budget);
        let sent: Vec<u128> = bodies
            .iter()
            .flat_map(|b| {
                serde_json::from_str::<kept_shared::SyncBatch>(b)
                    .unwrap()
                    .answers
                    .into_iter()
                    .map(|a| a.id.as_u128())
            })
            .collect();
        assert!(sent.len() >= 100 && sent.len() < 130, "{}", sent.len());
        assert_eq!(sent, (1..=sent.len() as u128).collect::<Vec<_>>());
        // The real budget holds a full batch of long answers.
        assert!(one * MAX_BATCH_ANSWERS < FLUSH_BUDGET_BYTES);
        assert!(flush_bodies(&[], FLUSH_BUDGET_BYTES).is_empty());
    }

    #[test]
    fn an_answer_waiting_is_found_by_its_survey_and_order_until_it_is_sent() {
        let store = Rc::new(MemoryStore::default());
        let q = queue(&store);
        assert!(!q.holds_answer("nps", "o-1"));
        let mut a = answer(1, 0);
        a.order_ref = Some("o-1".into());
        q.enqueue(&a);
        assert!(q.holds_answer("nps", "o-1"));
        assert!(!q.holds_answer("nps", "o-11"), "the whole reference");
        assert!(!q.holds_answer("nps", "o-"));
        assert!(!q.holds_answer("np", "o-1"));
        assert!(!q.holds_answer("csat", "o-1"));
        q.apply_receipt(&Receipt {
            stored: vec![a.id],
            ..Default::default()
        });
        assert!(!q.holds_answer("nps", "o-1"));
    }

    #[test]
    fn what_an_earlier_widget_left_is_removed_and_nothing_else() {
        let store = Rc::new(MemoryStore::default());
        for key in [
            "kept:v1:pk_demo:surveys",
            "kept:v1:pk_demo:asked:order:o-1:nps",
            "kept:v1:pk_demo:asked:visitor:csat",
            "kept:v1:pk_demo:rules",
            "kept:v1:pk_demo:plan",
            "kept:v1:pk_demo:seen",
            "kept:v1:other:surveys",
        ] {
            store.set(key, "{}").unwrap();
        }
        let q = queue(&store);
        q.enqueue(&answer(1, 0));
        q.forget_legacy();
        let mut left = store.keys_with_prefix("kept:");
        left.sort();
        assert_eq!(
            left,
            [
                "kept:v1:other:surveys",
                &format!("kept:v1:pk_demo:pending:{}", Uuid::from_u128(1)),
                "kept:v1:pk_demo:plan",
                "kept:v1:pk_demo:seen",
            ]
        );
    }
}
