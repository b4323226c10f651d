//! Monthly cohorts: customers grouped by the month of their first purchase, and
//! for each later month k the share of the cohort with a purchase in month k.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use kept_shared::Cohort;

use super::facts::month_of;

/// The cohorts whose month lies in `from..=to`, with their retention up to `to`'s
/// month, from the cohort rollup cells `(cohort month, month, customers)`.
pub fn cohorts(
    cells: &[(NaiveDate, NaiveDate, u64)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Cohort> {
    let (first, last) = (month_of(from), month_of(to));
    let mut by_cohort: BTreeMap<NaiveDate, BTreeMap<NaiveDate, u64>> = BTreeMap::new();
    for &(cohort, month, customers) in cells {
        if (first..=last).contains(&cohort) && month <= last {
            by_cohort
                .entry(cohort)
                .or_default()
                .insert(month, customers);
        }
    }
    by_cohort
        .into_iter()
        .filter_map(|(cohort, months)| {
            let size = *months.get(&cohort)?;
            if size == 0 {
                return None;
            }
            let mut retention = Vec::new();
            let mut month = cohort;
            while month <= last {
                retention.push(*months.get(&month).unwrap_or(&0) as f64 / size as f64);
                month = month.checked_add_months(Months::new(1))?;
            }
            Some(Cohort {
                month: cohort,
                customers: size,
                retention,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(month: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, 1).unwrap()
    }

    #[test]
    fn shares_of_each_cohort_buying_in_later_months() {
        // January: 4 customers; 2 bought in February, none in March, 1 in April.
        // February: 2 customers; both in March.
        let cells = [
            (m(1), m(1), 4),
            (m(1), m(2), 2),
            (m(1), m(4), 1),
            (m(2), m(2), 2),
            (m(2), m(3), 2),
        ];
        let c = cohorts(&cells, m(1), NaiveDate::from_ymd_opt(2026, 4, 30).unwrap());
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].month, c[0].customers), (m(1), 4));
        assert_eq!(c[0].retention, [1.0, 0.5, 0.0, 0.25]);
        assert_eq!(c[1].retention, [1.0, 1.0, 0.0]);
        // Cut to the range: a report ending in February sees less.
        let short = cohorts(&cells, m(2), m(2));
        assert_eq!(short.len(), 1);
        assert_eq!(short[0].retention, [1.0]);
    }
}
