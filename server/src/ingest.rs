//! Taking in a batch of answers: each is sanitised, checked by the shared rules
//! against the shop's active surveys, verified when the shop signed its
//! references, given its local day, and the valid ones are stored in one
//! transaction (refused unverified where the shop takes only verified ones). The receipt accounts for every id of the batch.

use chrono::{DateTime, Utc};
use kept_shared::validate::{ValidationError, sanitize_answer, validate_answer};
use kept_shared::{Answer, RejectedAnswer, Survey, SyncReceipt};

use crate::calendar::local_day;
use crate::db::{AnswerRecord, Database, DbResult, Shop};
use crate::signatures::{Signed, signed};

/// Whether `answer` is verified: the shop signed its order (so it counts once
/// per survey and order), and its customer too when it names one. A signed
/// customer alone does not verify: a customer could replay their own
/// signature with any number of answers.
fn is_verified(shop: &Shop, answer: &Answer) -> bool {
    let secret = &shop.widget_secret;
    let order = signed(
        secret,
        Signed::Order,
        answer.order_ref.as_deref(),
        answer.order_sig.as_deref(),
    );
    let customer = signed(
        secret,
        Signed::Customer,
        answer.customer_ref.as_deref(),
        answer.customer_sig.as_deref(),
    );
    order.is_some() && (answer.customer_ref.is_none() || customer.is_some())
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
    // Only kiosks name a store: the shop's stores are read only for their batches.
    let stores: Vec<String> = if answers.iter().any(|a| a.store.is_some()) {
        db.stores(&shop.id)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect()
    } else {
        Vec::new()
    };
    let mut receipt = SyncReceipt::default();
    let mut valid = Vec::with_capacity(answers.len());
    for mut answer in answers {
        sanitize_answer(&mut answer);
        let checked = validate_answer(&shop.id, &surveys, &answer, now)
            .and_then(|()| match &answer.store {
                Some(store) if !stores.contains(store) => Err(ValidationError::UnknownStore {
                    store: store.clone(),
                }),
                _ => Ok(()),
            })
            .map(|()| is_verified(shop, &answer));
        match checked {
            Ok(false) if shop.require_verified => receipt
                .rejected
                .push(RejectedAnswer::new(answer.id, ValidationError::NotVerified)),
            Ok(verified) => valid.push(AnswerRecord {
                store: answer.store.clone(),
                day: local_day(answer.answered_at, shop.time_zone),
                answer,
                verified,
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
