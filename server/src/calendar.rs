//! Days as the shop sees them: every answer and purchase belongs to the local
//! calendar day of its shop's time zone, and report ranges are checked before any
//! date arithmetic runs on them.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use kept_shared::limits::{MAX_REPORT_DAYS, MAX_YEAR, MIN_YEAR};

/// The shop's local day of the instant `t`.
pub fn local_day(t: DateTime<Utc>, zone: Tz) -> NaiveDate {
    t.with_timezone(&zone).date_naive()
}

/// Today in the shop's time zone.
pub fn today(zone: Tz) -> NaiveDate {
    local_day(Utc::now(), zone)
}

/// Whether `day` lies in the years a request may name.
pub fn in_supported_years(day: NaiveDate) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&day.year())
}

/// Whether a purchase may be recorded at `at`: on a day of the shop (in its
/// time zone, as every report counts it) within the supported years, and at
/// most a day after `now` (a till's clock a little ahead).
pub fn purchase_time_allowed(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> bool {
    in_supported_years(local_day(at, zone)) && at <= now + chrono::Duration::days(1)
}

/// The range a report covers: `from..=to` as given, defaulting to the 30 days up
/// to `today`.
pub fn report_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    // Within the supported years, 29 days back never leaves chrono's range.
    checked_range(from, to, today, |to| {
        to.checked_sub_days(Days::new(29)).unwrap_or(to)
    })
}

/// `from..=to` as a request gives them, `to` by default `today` and `from` by
/// default `default_from(to)`. Dates outside [`MIN_YEAR`]–[`MAX_YEAR`], a
/// reversed range or one longer than [`MAX_REPORT_DAYS`] are refused with a
/// sentence for the caller; nothing here can overflow, whatever the request
/// says. The range of every report and analytics view is checked here (a
/// list's filter by dates, which sums nothing, has no span limit).
pub fn checked_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
    default_from: impl FnOnce(NaiveDate) -> NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    for (name, day) in [("from", from), ("to", to)] {
        if let Some(day) = day
            && !in_supported_years(day)
        {
            return Err(format!(
                "{name} ({day}) must be a date from {MIN_YEAR}-01-01 to {MAX_YEAR}-12-31"
            ));
        }
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| default_from(to));
    if from > to {
        return Err(format!("from ({from}) is after to ({to})"));
    }
    if (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(format!("a report may span at most {MAX_REPORT_DAYS} days"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_purchase_may_fall_on_any_day_of_the_shop_in_the_supported_years() {
        let now = Utc::now();
        let kyiv: Tz = "Europe/Kyiv".parse().unwrap();
        let new_york: Tz = "America/New_York".parse().unwrap();
        // 00:30 on 2000-01-01 in Kyiv is still 1999 in UTC: the shop's day counts.
        let first_day_in_kyiv = Utc.with_ymd_and_hms(1999, 12, 31, 22, 30, 0).unwrap();
        assert!(purchase_time_allowed(first_day_in_kyiv, now, kyiv));
        assert!(!purchase_time_allowed(first_day_in_kyiv, now, Tz::UTC));
        // 2000 in UTC, still 1999 in New York.
        let last_day_in_new_york = Utc.with_ymd_and_hms(2000, 1, 1, 3, 0, 0).unwrap();
        assert!(!purchase_time_allowed(last_day_in_new_york, now, new_york));
        assert!(purchase_time_allowed(
            now + chrono::Duration::hours(23),
            now,
            kyiv
        ));
        assert!(!purchase_time_allowed(
            now + chrono::Duration::hours(25),
            now,
            kyiv
        ));
    }

    #[test]
    fn the_shops_time_zone_decides_the_day() {
        // 23:30 UTC on Mar 1 is already Mar 2 in Kyiv and still Mar 1 in New York.
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
        assert_eq!(local_day(t, chrono_tz::Europe::Kyiv), d(2026, 3, 2));
        assert_eq!(local_day(t, chrono_tz::America::New_York), d(2026, 3, 1));
        assert_eq!(local_day(t, chrono_tz::UTC), d(2026, 3, 1));
    }

    #[test]
    fn report_ranges_default_to_thirty_days_and_refuse_odd_dates() {
        let today = d(2026, 11, 28);
        assert_eq!(
            report_range(None, None, today),
            Ok((d(2026, 10, 30), today))
        );
        assert_eq!(
            report_range(Some(d(2026, 1, 1)), None, today),
            Ok((d(2026, 1, 1), today))
        );
        assert!(report_range(Some(d(2026, 2, 1)), Some(d(2026, 1, 1)), today).is_err());
        assert!(report_range(Some(d(2000, 1, 1)), Some(d(2026, 1, 1)), today).is_err());
        for far in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            d(1999, 12, 31),
            d(2101, 1, 1),
        ] {
            let e = report_range(Some(far), Some(far), today).unwrap_err();
            assert!(e.contains("2000-01-01"), "{e}");
            assert!(report_range(None, Some(far), today).is_err());
        }
        assert_eq!(
            report_range(None, Some(d(2000, 1, 5)), today),
            Ok((d(1999, 12, 7), d(2000, 1, 5)))
        );
    }

    #[test]
    fn a_range_spans_at_most_the_longest_report() {
        let to = d(2026, 11, 28);
        let days_back = |n: i64| to - chrono::Duration::days(n);
        let longest = days_back(MAX_REPORT_DAYS - 1);
        assert_eq!(report_range(Some(longest), Some(to), to), Ok((longest, to)));
        let e = report_range(Some(days_back(MAX_REPORT_DAYS)), Some(to), to).unwrap_err();
        assert_eq!(
            e,
            format!("a report may span at most {MAX_REPORT_DAYS} days")
        );
        // Whatever the default of the view.
        assert!(checked_range(None, Some(to), to, |_| days_back(MAX_REPORT_DAYS)).is_err());
    }
}
