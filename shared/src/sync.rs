use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Answer, ValidationError};

/// Whether the server refused a batch of answers as a whole with this HTTP status
/// (the batch, not the network, the server's state or the widget's key): 400,
/// not JSON, or an empty batch; 413, too large; 422, JSON that is not a batch of
/// answers (a member of the wrong type, a score no `u8` holds, an unknown
/// kind). Sent again as it is, such a batch would be refused again; the widget
/// splits it to find the answer at fault (`widget/src/batch_size.rs`). The
/// server's tests hold its refusals of a batch to these statuses.
pub fn refuses_the_batch(status: u16) -> bool {
    matches!(status, 400 | 413 | 422)
}

/// What the widget posts: answers from its offline queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncBatch {
    pub answers: Vec<Answer>,
}

/// What the server says of a batch, per answer id. Every id of the batch is in
/// exactly one of the three lists, once: an answer sent twice in a batch is
/// one answer; an id that holds two answers (twice in the batch, differently,
/// or stored already for another) is rejected (`id_taken`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncReceipt {
    /// Stored now.
    pub stored: Vec<Uuid>,
    /// Already stored by an earlier batch (the same survey, score, customer
    /// and order under that id; or, verified, an answer to the same survey for
    /// the same order): not an error, the client may forget them.
    pub duplicates: Vec<Uuid>,
    /// Refused for good: resending will not help.
    pub rejected: Vec<RejectedAnswer>,
}

impl SyncReceipt {
    /// The ids the client may drop from its queue (stored now or before).
    pub fn accepted(&self) -> impl Iterator<Item = &Uuid> {
        self.stored.iter().chain(&self.duplicates)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedAnswer {
    pub id: Uuid,
    pub reason: ValidationError,
    /// The reason as a sentence, for logs and people.
    pub message: String,
}

impl RejectedAnswer {
    pub fn new(id: Uuid, reason: ValidationError) -> Self {
        let message = reason.to_string();
        Self {
            id,
            reason,
            message,
        }
    }
}
