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

use chrono::{Days, Months, NaiveDate};
use kept_shared::limits::MAX_REPORT_DAYS;

use crate::calendar::in_supported_years;

/// The range of an analytics view: `from..=to` as given; by default the twelve
/// months up to `today` (from the first of the month eleven months back).
/// Refuses dates outside the supported years, reversed ranges and ranges past
/// the longest report, with a sentence for the caller.
pub fn analytics_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    for (name, day) in [("from", from), ("to", to)] {
        if let Some(day) = day
            && !in_supported_years(day)
        {
            return Err(format!(
                "{name} ({day}) must be a date from {}-01-01 to {}-12-31",
                kept_shared::limits::MIN_YEAR,
                kept_shared::limits::MAX_YEAR
            ));
        }
    }
    let to = to.unwrap_or(today);
    let from = match from {
        Some(from) => from,
        None => kept_shared::Period::Month
            .start_of(to)
            .checked_sub_months(Months::new(11))
            .unwrap_or(to),
    };
    if from > to {
        return Err(format!("from ({from}) is after to ({to})"));
    }
    if to
        .checked_sub_days(Days::new(MAX_REPORT_DAYS as u64))
        .is_some_and(|limit| from <= limit)
    {
        return Err(format!("a report may span at most {MAX_REPORT_DAYS} days"));
    }
    Ok((from, to))
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
