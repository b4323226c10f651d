//! Who came, who left, who came back: retention per period, and monthly cohorts.

use chrono::NaiveDate;
use kept_shared::{CohortReport, Period, RetentionReport};

use crate::analytics::cohorts::cohorts;
use crate::analytics::facts::{age_of, month_of};
use crate::analytics::retention::{RevenueDay, SpellDays, periods, retention};
use crate::analytics::spells::spells_of;
use crate::calendar;
use crate::db::{Database, DbResult, Shop};

/// Retention of `from..=to` per `period` (weeks or months), for the whole shop or
/// one store (a store's figures follow the definitions over its purchases alone).
pub async fn retention_report(
    db: &dyn Database,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    store: Option<String>,
) -> DbResult<RetentionReport> {
    let today = calendar::today(shop.time_zone);
    let window = shop.churn_window_days;
    let (spells, revenue): (Vec<SpellDays>, Vec<RevenueDay>) = match &store {
        None => (
            db.spells(&shop.id)
                .await?
                .into_iter()
                .map(|s| SpellDays {
                    start: s.start,
                    end: s.end,
                    first: s.first,
                })
                .collect(),
            db.revenue(&shop.id, from, to)
                .await?
                .into_iter()
                .map(|r| RevenueDay {
                    day: r.day,
                    age: r.age,
                    amount_cents: r.amount_cents,
                })
                .collect(),
        ),
        Some(store) => store_figures(&db.store_days(&shop.id, store).await?, from, to, window),
    };
    let period = if period == Period::Day {
        Period::Week
    } else {
        period
    };
    Ok(RetentionReport {
        from,
        to,
        period,
        churn_window_days: window,
        today,
        store,
        periods: retention(&spells, &revenue, &periods(from, to, period), window, today),
    })
}

/// One store's spells and revenue of `from..=to`, from what each customer
/// spent there each day (by customer, then day): a customer's first purchase
/// is their first in the store, so its "acquired" and its new revenue count
/// the same customers (the shop's rollups had aged its revenue from a
/// customer's first purchase anywhere).
fn store_figures(
    days: &[(String, NaiveDate, u64)],
    from: NaiveDate,
    to: NaiveDate,
    window: u32,
) -> (Vec<SpellDays>, Vec<RevenueDay>) {
    let (mut spells, mut revenue) = (Vec::new(), Vec::new());
    for customer in days.chunk_by(|a, b| a.0 == b.0) {
        let first_day = customer[0].1;
        let bought: Vec<(NaiveDate, Option<&str>)> =
            customer.iter().map(|(_, day, _)| (*day, None)).collect();
        spells.extend(
            spells_of(&bought, window)
                .into_iter()
                .enumerate()
                .map(|(i, s)| SpellDays {
                    start: s.start,
                    end: s.end,
                    first: i == 0,
                }),
        );
        revenue.extend(
            customer
                .iter()
                .filter(|(_, day, _)| (from..=to).contains(day))
                .map(|(_, day, amount_cents)| RevenueDay {
                    day: *day,
                    age: age_of(*day, first_day),
                    amount_cents: *amount_cents,
                }),
        );
    }
    (spells, revenue)
}

/// The cohorts of the months of `from..=to`.
pub async fn cohort_report(
    db: &dyn Database,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<CohortReport> {
    let cells = db
        .cohort_cells(&shop.id, month_of(from), month_of(to))
        .await?;
    Ok(CohortReport {
        from,
        to,
        cohorts: cohorts(&cells, from, to),
    })
}
