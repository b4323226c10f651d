//! Taking in a batch of answers: each is sanitised, checked by the shared rules
//! against the shop's active surveys, verified when the shop signed its
//! references, given its local day, and the valid ones are stored in one
//! transaction (refused unverified where the shop takes only verified ones). The receipt accounts for every id of the batch.

use chrono::{DateTime, Utc};
use kept_shared::validate::{ValidationError, sanitize_answer, validate_answer};
use kept_shared::{Answer, RejectedAnswer, Survey, SyncReceipt};

use crate::calendar::local_day;
use crate::db::{AnswerRecord, Database, DbResult, Shop};
use crate::signatures::{Signed, verified};

/// Whether `answer` is verified: every reference it carries is signed by the
/// shop, and it carries at least one.
fn is_verified(shop: &Shop, answer: &Answer) -> bool {
    let signed = |what, reference: &Option<String>, sig: &Option<String>| {
        verified(
            &shop.widget_secret,
            what,
            reference.as_deref(),
            sig.as_deref(),
        )
    };
    let customer = signed(Signed::Customer, &answer.customer_ref, &answer.customer_sig);
    let order = signed(Signed::Order, &answer.order_ref, &answer.order_sig);
    match (&answer.customer_ref, &answer.order_ref) {
        (None, None) => false,
        (c, o) => (c.is_none() || customer) && (o.is_none() || order),
    }
}

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
        let checked =
            validate_answer(&shop.id, &surveys, &answer, now).map(|()| is_verified(shop, &answer));
        match checked {
            Ok(false) if shop.require_verified => receipt
                .rejected
                .push(RejectedAnswer::new(answer.id, ValidationError::NotVerified)),
            Ok(verified) => valid.push(AnswerRecord {
                day: local_day(answer.answered_at, shop.time_zone),
                answer,
                verified,
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
    let events = crate::webhooks::events_of(shop, &valid, now);
    let inserted = db.insert_answers(&shop.id, valid, now, events).await?;
    for (id, new) in ids.into_iter().zip(inserted) {
        if new {
            receipt.stored.push(id);
        } else {
            receipt.duplicates.push(id);
        }
    }
    Ok(receipt)
}
