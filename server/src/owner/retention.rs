//! Who came, who left, who came back: retention per period, and monthly cohorts.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kept_shared::{CohortReport, Period, RetentionReport};

use crate::analytics::cohorts::cohorts;
use crate::analytics::facts::month_of;
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
    let spells: Vec<SpellDays> = match &store {
        None => db
            .spells(&shop.id)
            .await?
            .into_iter()
            .map(|s| SpellDays {
                start: s.start,
                end: s.end,
                first: s.first,
            })
            .collect(),
        Some(store) => {
            let mut by_customer: BTreeMap<String, Vec<(NaiveDate, Option<&str>)>> = BTreeMap::new();
            let days = db.store_purchase_days(&shop.id, store).await?;
            for (customer, day) in &days {
                by_customer
                    .entry(customer.clone())
                    .or_default()
                    .push((*day, None));
            }
            by_customer
                .values()
                .flat_map(|days| {
                    spells_of(days, window)
                        .into_iter()
                        .enumerate()
                        .map(|(i, s)| SpellDays {
                            start: s.start,
                            end: s.end,
                            first: i == 0,
                        })
                })
                .collect()
        }
    };
    let revenue: Vec<RevenueDay> = db
        .revenue(&shop.id, from, to, store.clone())
        .await?
        .into_iter()
        .map(|r| RevenueDay {
            day: r.day,
            age: r.age,
            amount_cents: r.amount_cents,
        })
        .collect();
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
