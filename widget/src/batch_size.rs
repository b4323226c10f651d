//! How many answers go in one batch, and what to do when the server refuses a
//! batch as a whole.
//!
//! A batch refused as a whole ([`refuses_the_batch`]: the server cannot read it,
//! or it is too large) is not the network's fault: sent again as it is, it
//! would be refused again, forever, and hold up every answer behind it. So the sender halves the batch
//! until the refused batch is a single answer, which is then set aside with the
//! server's reason (kept in storage under the rejected keys, never retried), and
//! the queue moves on, in full batches again. Halves that go through on the way
//! are stored, and the size stays halved until the bad answer is found, so one
//! bad answer among `n` costs at most `2·log2(n)` requests.

use kept_shared::limits::MAX_BATCH_ANSWERS;
pub use kept_shared::sync::refuses_the_batch;

use crate::queue::{KeyValueStore, Pending, Queue, Receipt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSize(usize);

impl Default for BatchSize {
    fn default() -> Self {
        BatchSize(MAX_BATCH_ANSWERS)
    }
}

impl BatchSize {
    /// How many answers the next batch may carry.
    pub fn get(self) -> usize {
        self.0
    }

    /// The server refused `batch` as a whole, saying `reason`: halves the next
    /// batch, or, when `batch` was a single answer, sets that answer aside and
    /// goes back to full batches.
    pub fn refused<S: KeyValueStore>(&mut self, queue: &Queue<S>, batch: &[Pending], reason: &str) {
        match batch {
            [only] => {
                queue.apply_receipt(&Receipt {
                    rejected: vec![(only.id, String::from(reason))],
                    ..Receipt::default()
                });
                *self = BatchSize::default();
            }
            _ => self.0 = (batch.len() / 2).max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use uuid::Uuid;

    use super::*;
    use crate::queue::MemoryStore;
    use crate::queue::tests::answer;

    /// Drains `queue` as the syncer does, against a server that refuses any
    /// batch holding one of `poison` and stores everything else; returns the
    /// ids it stored and how many requests it took.
    fn drain(queue: &Queue<Rc<MemoryStore>>, poison: &[Uuid]) -> (Vec<Uuid>, usize) {
        let mut size = BatchSize::default();
        let (mut stored, mut requests) = (Vec::new(), 0);
        loop {
            let batch = queue.next_batch(size.get());
            if batch.is_empty() {
                return (stored, requests);
            }
            requests += 1;
            assert!(requests < 1_000, "the queue never drains");
            if batch.iter().any(|a| poison.contains(&a.id)) {
                size.refused(queue, &batch, "the server cannot read this answer");
            } else {
                let ids: Vec<Uuid> = batch.iter().map(|a| a.id).collect();
                stored.extend(&ids);
                queue.apply_receipt(&Receipt {
                    stored: ids,
                    ..Receipt::default()
                });
            }
        }
    }

    fn queue_of(n: usize) -> (Queue<Rc<MemoryStore>>, Vec<Uuid>) {
        let queue = Queue::new(Some(Rc::new(MemoryStore::default())), "pk_demo");
        let mut ids = Vec::new();
        for i in 0..n {
            let answer = answer(i as u128 + 1, i as i64);
            ids.push(answer.id);
            queue.enqueue(&answer);
        }
        (queue, ids)
    }

    #[test]
    fn a_refused_batch_is_split_until_the_bad_answer_is_set_aside_and_the_rest_goes() {
        let (queue, ids) = queue_of(250);
        let poison = [ids[7], ids[180]];
        let (stored, requests) = drain(&queue, &poison);
        assert_eq!(stored.len(), 248);
        assert!(stored.iter().all(|id| !poison.contains(id)));
        // Three full batches would do without the bad ones; each costs at most
        // 2·log2(100) requests more.
        assert!(requests <= 3 + 2 * (2 * 7), "{requests} requests");
        let rejected = queue.rejected();
        assert_eq!(rejected.len(), 2);
        assert!(
            rejected
                .values()
                .all(|entry| entry.contains("the server cannot read this answer"))
        );
        assert_eq!(queue.pending_count(), 0);
    }

    #[test]
    fn when_every_answer_is_refused_each_is_set_aside_and_nothing_loops() {
        let (queue, ids) = queue_of(5);
        let (stored, _) = drain(&queue, &ids);
        assert!(stored.is_empty());
        assert_eq!(queue.rejected().len(), 5);
    }

    #[test]
    fn only_statuses_that_refuse_the_batch_itself_split_it() {
        assert!(refuses_the_batch(400) && refuses_the_batch(413) && refuses_the_batch(422));
        for other in [401, 403, 404, 408, 429, 500, 503] {
            assert!(!refuses_the_batch(other), "{other}");
        }
    }
}
