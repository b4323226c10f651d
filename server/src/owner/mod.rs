//! What the shop's owner sees and does: the views of the owner API and of the
//! dashboard, built from the store and the analytics. Both call these functions;
//! neither computes a figure of its own.

pub mod customers;
pub mod exports;
pub mod funnel;
pub mod import;
pub mod inbox;
pub mod kiosks;
pub mod links;
pub mod loyalty;
pub mod privacy;
pub mod retention;
pub mod rfm;
pub mod satisfaction;
pub mod settings;
pub mod webhooks;

use chrono::{Months, NaiveDate};

use crate::calendar::checked_range;

/// The range of an analytics view: `from..=to` as given; by default the twelve
/// months up to `today` (from the first of the month eleven months back).
/// Checked as every range is ([`checked_range`]).
pub fn analytics_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    checked_range(from, to, today, |to| {
        kept_shared::Period::Month
            .start_of(to)
            .checked_sub_months(Months::new(11))
            .unwrap_or(to)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_range_is_twelve_calendar_months() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            analytics_range(None, None, today),
            Ok((NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(), today))
        );
        assert!(
            analytics_range(
                Some(today),
                Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
                today
            )
            .is_err()
        );
        assert!(
            analytics_range(
                Some(NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()),
                None,
                today
            )
            .is_err()
        );
    }
}
