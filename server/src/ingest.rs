//! Taking in a batch of answers: each is sanitised, checked by the shared rules
//! against the shop's active surveys, given its local day, and the valid ones are
//! stored in one transaction. The receipt accounts for every id of the batch.

use chrono::{DateTime, Utc};
use kept_shared::validate::{sanitize_answer, validate_answer};
use kept_shared::{Answer, RejectedAnswer, Survey, SyncReceipt};

use crate::calendar::local_day;
use crate::db::{AnswerRecord, Database, DbResult, Shop};

pub async fn ingest(
    db: &dyn Database,
    shop: &Shop,
    answers: Vec<Answer>,
    now: DateTime<Utc>,
) -> DbResult<SyncReceipt> {
    let surveys: Vec<Survey> = db
        .surveys(&shop.id, true)
        .await?
        .into_iter()
        .map(|r| r.survey)
        .collect();
    let mut receipt = SyncReceipt::default();
    let mut valid = Vec::with_capacity(answers.len());
    for mut answer in answers {
        sanitize_answer(&mut answer);
        match validate_answer(&shop.id, &surveys, &answer, now) {
            Ok(()) => valid.push(AnswerRecord {
                day: local_day(answer.answered_at, shop.time_zone),
                answer,
                verified: false,
                store: None,
            }),
            Err(reason) => receipt
                .rejected
                .push(RejectedAnswer::new(answer.id, reason)),
        }
    }
    if valid.is_empty() {
        return Ok(receipt);
    }
    let ids: Vec<_> = valid.iter().map(|r| r.answer.id).collect();
    let inserted = db.insert_answers(&shop.id, valid, now).await?;
    for (id, new) in ids.into_iter().zip(inserted) {
        if new {
            receipt.stored.push(id);
        } else {
            receipt.duplicates.push(id);
        }
    }
    Ok(receipt)
}
