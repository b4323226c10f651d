//! The loyalty programme's figures: members per tier, points issued.

use chrono::NaiveDate;
use kept_shared::{LoyaltyReport, TierMembers};

use crate::db::{Database, DbResult, Shop};
use crate::loyalty::tier_index;

pub async fn loyalty_report(
    db: &dyn Database,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<LoyaltyReport> {
    let tiers = db.tiers(&shop.id).await?;
    let mut members: Vec<TierMembers> = tiers
        .iter()
        .map(|t| TierMembers {
            tier: t.name.clone(),
            min_points: t.min_points,
            customers: 0,
        })
        .collect();
    for c in db.customers_at(&shop.id, to).await? {
        if let Some(i) = tier_index(c.points, &tiers) {
            members[i].customers += 1;
        }
    }
    let revenue = db.revenue(&shop.id, from, to).await?;
    Ok(LoyaltyReport {
        from,
        to,
        tiers: members,
        points_issued: revenue.iter().map(|r| r.points).sum(),
        purchases: revenue.iter().map(|r| r.purchases).sum(),
        revenue_cents: revenue.iter().map(|r| r.amount_cents).sum(),
    })
}
