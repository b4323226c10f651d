//! The inbox of unhappy customers (every NPS 0–6 and every churn answer), with
//! the owner's follow-up of each; and answer lists in general.

use kept_shared::{AnswerItem, FollowUp, FollowUpUpdate, Page};
use uuid::Uuid;

use crate::db::{AnswerQuery, Database, DbResult, StoredAnswer};
use crate::owner::settings::ChangeError;

/// An answer as the owner's lists show it. Inbox answers never followed up are "new".
pub fn answer_item(a: StoredAnswer) -> AnswerItem {
    let r = a.record;
    let in_inbox = match &r.answer.value {
        kept_shared::AnswerValue::Nps { score, .. } => *score <= 6,
        kept_shared::AnswerValue::ChurnReason { .. } => true,
        kept_shared::AnswerValue::Csat { .. } => false,
    };
    AnswerItem {
        id: r.answer.id,
        survey: r.answer.survey,
        channel: r.answer.channel,
        store: r.store,
        customer_ref: r.answer.customer_ref,
        order_ref: r.answer.order_ref,
        verified: r.verified,
        answered_at: r.answer.answered_at,
        value: r.answer.value,
        follow_up: a.follow_up.or_else(|| {
            in_inbox.then(|| FollowUp {
                status: Default::default(),
                note: String::new(),
                updated_at: None,
            })
        }),
    }
}

/// A page of the answers `query` selects.
pub async fn answer_page(
    db: &dyn Database,
    shop_id: &str,
    query: AnswerQuery,
) -> DbResult<Page<AnswerItem>> {
    let (offset, limit) = (query.offset, query.limit);
    let (found, total) = db.find_answers(shop_id, query).await?;
    Ok(Page {
        items: found.into_iter().map(answer_item).collect(),
        total,
        offset,
        limit,
    })
}

/// Sets the follow-up of an inbox answer (its note trimmed and bounded).
pub async fn follow_up(
    db: &dyn Database,
    shop_id: &str,
    answer_id: Uuid,
    update: FollowUpUpdate,
) -> Result<(), ChangeError> {
    let note = update
        .note
        .map(|n| kept_shared::validate::sanitize_text(n.trim()));
    // Refused, not cut: the owner's words are kept whole or not at all.
    let max = kept_shared::limits::MAX_TEXT_CHARS;
    if let Some(len) = note
        .as_ref()
        .map(|n| n.chars().count())
        .filter(|&l| l > max)
    {
        return Err(ChangeError::field(
            "note",
            kept_shared::FieldProblem::TooLong {
                len: len as u64,
                max: max as u64,
            },
        ));
    }
    db.set_follow_up(
        shop_id,
        answer_id,
        FollowUpUpdate {
            status: update.status,
            note,
        },
    )
    .await
    .map_err(ChangeError::Store)
}
