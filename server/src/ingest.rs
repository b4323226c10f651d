//! Taking in a batch of answers: each is sanitised, checked by the shared rules
//! against the shop's active surveys, verified when the shop signed its
//! references, given its local day, and the valid ones are stored in one
//! transaction (refused unverified where the shop takes only verified ones). The receipt accounts for every id of the batch.

use chrono::{DateTime, Utc};
use kept_shared::validate::{ValidationError, sanitize_answer, validate_answer};
use std::collections::{HashMap, HashSet};

use kept_shared::{Answer, AnswerValue, RejectedAnswer, Survey, SyncReceipt};
use uuid::Uuid;

use crate::calendar::local_day;
use crate::db::{AnswerRecord, Database, DbResult, Erased, KnownAnswer, Shop};
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
    // Sanitised first: two copies that differ only in what is removed are one.
    let mut answers = answers;
    answers.iter_mut().for_each(sanitize_answer);
    for answer in one_per_id(answers, &mut receipt) {
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
    forget_erased(db, shop, &mut valid).await?;
    let sent: Vec<Answer> = valid.iter().map(|r| r.answer.clone()).collect();
    let events = crate::webhooks::events_of(shop, &valid, now);
    let inserted = db.insert_answers(&shop.id, valid, now, events).await?;
    let known: Vec<Uuid> = sent
        .iter()
        .zip(&inserted)
        .filter(|(_, new)| !**new)
        .map(|(a, _)| a.id)
        .collect();
    let known = if known.is_empty() {
        Vec::new()
    } else {
        db.answers_known_by_id(known).await?
    };
    for (answer, new) in sent.into_iter().zip(inserted) {
        let under_its_id = known.iter().find(|k| k.id == answer.id);
        if new {
            receipt.stored.push(answer.id);
        } else if under_its_id.is_some_and(|k| !the_same_answer(&shop.id, k, &answer)) {
            receipt.rejected.push(RejectedAnswer::new(
                answer.id,
                ValidationError::IdTaken {
                    id: answer.id.to_string(),
                },
            ));
        } else {
            // Sent again; or, verified, another id's answer for its order.
            receipt.duplicates.push(answer.id);
        }
    }
    Ok(receipt)
}

/// An answer that names an erased customer — given before the erasure
/// (queued in a browser or a kiosk while offline, sent since), or for one of
/// their orders (a personal link given out before it) — is stored as the
/// erasure left their others: with no reference to them or to their order,
/// and without its text (it had linked itself to the customer again). Its
/// webhook event, made from it after this, names neither. An erasure written
/// between this read and the batch's write is found by the write, which is
/// then refused for the batch to be sent again ([`crate::db::ERASED_MEANWHILE`]).
async fn forget_erased(db: &dyn Database, shop: &Shop, valid: &mut [AnswerRecord]) -> DbResult<()> {
    let (customers, orders) = Erased::asked_of(valid);
    if !shop.has_erased_customers || customers.is_empty() && orders.is_empty() {
        return Ok(());
    }
    let erased = db.erased(&shop.id, customers, orders).await?;
    for r in valid.iter_mut().filter(|r| erased.named_in(&r.answer)) {
        let a = &mut r.answer;
        a.customer_ref = None;
        a.order_ref = None;
        match &mut a.value {
            AnswerValue::Nps { reason, .. } => *reason = None,
            AnswerValue::ChurnReason { other, .. } => *other = None,
            AnswerValue::Csat { .. } => {}
        }
    }
    Ok(())
}

/// Each id of the batch once: an answer sent twice in it is one (a client's
/// retry folded into the batch); an id holding two different answers is
/// rejected, neither of them stored (which would be the one meant?). The
/// receipt would otherwise have listed the id twice, stored and duplicate.
fn one_per_id(answers: Vec<Answer>, receipt: &mut SyncReceipt) -> Vec<Answer> {
    let mut first: HashMap<Uuid, usize> = HashMap::new();
    let mut twice_differently = HashSet::new();
    for (i, a) in answers.iter().enumerate() {
        match first.get(&a.id) {
            Some(&j) if answers[j] != *a => {
                if twice_differently.insert(a.id) {
                    receipt.rejected.push(RejectedAnswer::new(
                        a.id,
                        ValidationError::IdTaken {
                            id: a.id.to_string(),
                        },
                    ));
                }
            }
            Some(_) => {}
            None => {
                first.insert(a.id, i);
            }
        }
    }
    answers
        .into_iter()
        .enumerate()
        .filter(|(i, a)| first.get(&a.id) == Some(i) && !twice_differently.contains(&a.id))
        .map(|(_, a)| a)
        .collect()
}

/// Whether what is stored under an answer's id is that answer, sent again: the
/// same shop, survey, score or reasons, channel, store and time (to the
/// millisecond, as stored), and the same customer and order, unless the
/// stored one names neither (erased since, which leaves no reference; or, as
/// the store cannot tell, never named any). Its texts are not compared: kept
/// only for a while, they may be gone.
fn the_same_answer(shop_id: &str, known: &KnownAnswer, answer: &Answer) -> bool {
    let (score, reasons) = match &answer.value {
        AnswerValue::Nps { score, .. } | AnswerValue::Csat { score } => (Some(*score), &[][..]),
        AnswerValue::ChurnReason { reasons, .. } => (None, &reasons[..]),
    };
    known.shop_id == shop_id
        && known.survey == answer.survey
        && known.score == score
        // A churn answer's reasons are what its score is to the others (other
        // reasons under a known id had been acknowledged as a duplicate, and
        // dropped); where and when it was given, as the store keeps them.
        && known.reasons == reasons
        && known.channel == answer.channel.as_str()
        && known.store == answer.store
        && known.answered_at.timestamp_millis() == answer.answered_at.timestamp_millis()
        && ((known.customer_ref.is_none() && known.order_ref.is_none())
            || (known.customer_ref == answer.customer_ref && known.order_ref == answer.order_ref))
}
