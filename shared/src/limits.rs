//! Every size limit of the product, in one place. The widget checks them before it
//! queues an answer and the server checks them again before it stores one.

/// Most answers one sync batch may carry.
pub const MAX_BATCH_ANSWERS: usize = 100;
/// Most characters of a free-text answer (NPS reason, churn "other").
pub const MAX_TEXT_CHARS: usize = 1000;
/// Most characters of a customer or order reference.
pub const MAX_REF_CHARS: usize = 128;
/// Most characters of a survey id, shop id or reason code.
pub const MAX_ID_CHARS: usize = 64;
/// Largest request body the server reads, in bytes. A full batch of maximal
/// answers (100 × two 1000-character texts of up to 4 bytes a character) fits.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How far in the future an answer's client timestamp may be (clock skew).
pub const MAX_CLOCK_SKEW_HOURS: i64 = 24;
/// How old an answer may be when it reaches the server (a kiosk offline for weeks
/// still syncs; a tablet whose clock was reset to 1970 does not skew reports).
pub const MAX_ANSWER_AGE_DAYS: i64 = 365;
