//! A customer's privacy: everything stored about them, erasing them, and
//! deleting free text past the shop's retention (in the background, for every
//! shop).

use std::time::Duration;

use axum::http::HeaderName;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use chrono::Utc;
use kept_shared::{CustomerExport, ErasedCustomer};

use super::customers::customer_detail;
use super::inbox::answer_item;
use super::settings::{Actor, audit};
use crate::db::{AnswerQuery, Database, Db, DbError, Shop};

/// How often free text past its shop's retention is looked for (and once at start).
pub const TEXT_RETENTION_SWEEP: Duration = Duration::from_secs(3600);

/// The headers of a customer's export (the owner API's and the dashboard's):
/// an attachment named by the shop and the customer, kept in no cache (one
/// customer's data, maybe on a shared till's browser).
pub fn export_headers(shop_id: &str, customer_ref: &str) -> [(HeaderName, String); 2] {
    [
        (
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{shop_id}-{customer_ref}.json\""),
        ),
        (CACHE_CONTROL, "no-store".to_string()),
    ]
}

/// Everything stored about `customer_ref`: their purchases, points and
/// figures, and every answer linked to them (by them or by one of their
/// orders: what erasing them unlinks) with its text and follow-up.
pub async fn export(
    db: &dyn Database,
    shop: &Shop,
    customer_ref: &str,
) -> Result<CustomerExport, DbError> {
    // Every purchase: the export is all that is stored. A respondent who
    // never bought has a page, but no customer record: only their answers.
    let customer = match db.customer(&shop.id, customer_ref).await? {
        Some(_) => customer_detail(db, shop, customer_ref, 0, u64::MAX).await?,
        None => None,
    };
    let (answers, _) = db
        .find_answers(
            &shop.id,
            AnswerQuery {
                customer: Some(customer_ref.to_string()),
                with_their_orders: true,
                ..Default::default()
            },
        )
        .await?;
    Ok(CustomerExport {
        shop: shop.id.clone(),
        customer_ref: customer_ref.to_string(),
        exported_at: Utc::now(),
        customer,
        answers: answers.into_iter().map(answer_item).collect(),
    })
}

/// Erases `customer_ref` (see [`Database::erase_customer`]) and says so in the
/// audit log, by what was removed rather than by the reference itself.
pub async fn erase(
    db: &dyn Database,
    shop: &Shop,
    customer_ref: &str,
    actor: &Actor,
) -> Result<ErasedCustomer, DbError> {
    let erased = db.erase_customer(&shop.id, customer_ref).await?;
    audit(
        db,
        &shop.id,
        actor,
        crate::audit_words::CUSTOMER_ERASED.en,
        // `label: count`: no plural to get wrong ("1 answers unlinked").
        format!(
            "{}: {}, {}: {}",
            crate::audit_words::PURCHASES_DELETED.en,
            erased.purchases,
            crate::audit_words::ANSWERS_UNLINKED.en,
            erased.answers_unlinked
        ),
    )
    .await?;
    Ok(erased)
}

/// Deletes expired free text now and every [`TEXT_RETENTION_SWEEP`] after, for
/// as long as the server runs. Several instances may all do it: the update is
/// the same whoever runs it.
pub async fn sweep_expired_texts(db: Db) {
    let mut every = tokio::time::interval(TEXT_RETENTION_SWEEP);
    loop {
        every.tick().await;
        match db.purge_expired_texts(Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(answers = n, "free text past its retention deleted"),
            Err(e) => tracing::warn!("deleting free text past its retention failed: {e}"),
        }
    }
}
