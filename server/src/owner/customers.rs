//! The customer base as the owner browses it: a page of customers, and one
//! customer's page.

use chrono::NaiveDate;
use kept_shared::{AnswerItem, CustomerDetail, CustomerSummary, Page, PurchaseItem};

use super::inbox::answer_item;
use crate::calendar;
use crate::db::{AnswerQuery, CustomerQuery, CustomerRecord, Database, DbResult, Shop, Tier};
use crate::loyalty::tier_name;

/// What a customer's line needs of their shop, today: its tiers, its day and its
/// churn window.
pub struct Summaries {
    tiers: Vec<Tier>,
    today: NaiveDate,
    window_days: u32,
}

impl Summaries {
    pub async fn of(db: &dyn Database, shop: &Shop) -> DbResult<Summaries> {
        Ok(Summaries {
            tiers: db.tiers(&shop.id).await?,
            today: calendar::today(shop.time_zone),
            window_days: shop.churn_window_days,
        })
    }

    /// A customer's line: their facts, tier and whether they are active today.
    pub fn summary(&self, c: &CustomerRecord) -> CustomerSummary {
        CustomerSummary {
            customer_ref: c.customer_ref.clone(),
            first_purchase: c.first_day,
            last_purchase: c.last_day,
            purchases: c.purchases,
            total_cents: c.total_cents,
            average_check_cents: average_check(c.total_cents, c.purchases),
            points: c.points,
            tier: tier_name(c.points, &self.tiers),
            active: c.last_day.is_some_and(|last| {
                (self.today - last).num_days() < i64::from(self.window_days) && last <= self.today
            }),
        }
    }
}

pub async fn customer_list(
    db: &dyn Database,
    shop: &Shop,
    query: CustomerQuery,
) -> DbResult<Page<CustomerSummary>> {
    let (offset, limit) = (query.offset, query.limit);
    let (records, total) = db.customers(&shop.id, query).await?;
    let summaries = Summaries::of(db, shop).await?;
    Ok(Page {
        items: records.iter().map(|c| summaries.summary(c)).collect(),
        total,
        offset,
        limit,
    })
}

/// One customer's page, with `limit` of their purchases from `offset`, newest
/// first (the summary counts them all); `None` for a customer the shop does
/// not know. A respondent who never bought, known by the answers that name
/// them, has a page too (no purchases): theirs is the data to export or erase.
pub async fn customer_detail(
    db: &dyn Database,
    shop: &Shop,
    customer_ref: &str,
    offset: u64,
    limit: u64,
) -> DbResult<Option<CustomerDetail>> {
    let (answers, _) = db
        .find_answers(
            &shop.id,
            AnswerQuery {
                customer: Some(customer_ref.to_string()),
                newest_first: true,
                ..Default::default()
            },
        )
        .await?;
    let customer = match db.customer(&shop.id, customer_ref).await? {
        Some(customer) => customer,
        None if !answers.is_empty() => CustomerRecord {
            customer_ref: customer_ref.to_string(),
            ..CustomerRecord::default()
        },
        None => return Ok(None),
    };
    let summaries = Summaries::of(db, shop).await?;
    let today = summaries.today;
    let purchases = db
        .purchases_of(&shop.id, customer_ref, offset, limit)
        .await?;
    // The customer's standing among all customers today.
    let rfm = if customer.purchases > 0 {
        super::rfm::scored(db, shop, today)
            .await?
            .into_iter()
            .find(|s| s.customer.customer_ref == customer_ref)
            .map(|s| s.scores)
    } else {
        None
    };
    Ok(Some(CustomerDetail {
        summary: summaries.summary(&customer),
        rfm,
        purchases: purchases
            .into_iter()
            .map(|p| PurchaseItem {
                purchase_id: p.purchase_id,
                purchased_at: p.purchased_at,
                amount_cents: p.amount_cents,
                points: p.points,
                store: p.store,
            })
            .collect(),
        answers: answers
            .into_iter()
            .map(answer_item)
            .collect::<Vec<AnswerItem>>(),
    }))
}

/// The average check in cents, rounded to the nearest cent (half a cent up):
/// three purchases of 2.00 in all are 0.67 each, not 0.66. None without a
/// purchase.
fn average_check(total_cents: u64, purchases: u64) -> Option<u64> {
    (purchases > 0)
        .then(|| total_cents / purchases + u64::from(total_cents % purchases * 2 >= purchases))
}

#[cfg(test)]
mod tests {
    use super::average_check;

    #[test]
    fn the_average_check_is_rounded_to_the_nearest_cent() {
        assert_eq!(average_check(200, 3), Some(67));
        assert_eq!(average_check(100, 3), Some(33));
        assert_eq!(average_check(5, 2), Some(3), "half a cent up");
        assert_eq!(average_check(9000, 3), Some(3000));
        assert_eq!(average_check(0, 0), None);
        assert_eq!(average_check(u64::MAX, u64::MAX), Some(1));
        assert_eq!(average_check(u64::MAX, 2), Some(u64::MAX / 2 + 1));
    }
}
