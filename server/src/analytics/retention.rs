//! Retention per period, from the shop's spells and revenue rollups: active at
//! start, acquired, lost, won back, churn rate, net growth, new and returning
//! revenue. Each figure is a count over sorted event days, so a year of periods
//! over 100 000 customers costs a few binary searches per period.

use chrono::{Days, NaiveDate};
use kept_shared::{Period, RetentionPeriod};

use super::facts::AGE_CAP_DAYS;

/// A spell as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpellDays {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The customer's first spell (its start is an acquisition, not a win-back).
    pub first: bool,
}

/// A revenue rollup row: a day's purchases at one age bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevenueDay {
    pub day: NaiveDate,
    pub age: i16,
    pub amount_cents: u64,
}

/// The periods of `from..=to`: calendar weeks (Monday first) or months, the first
/// and last cut to the range. (`Period::Day` gives days.)
pub fn periods(from: NaiveDate, to: NaiveDate, period: Period) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let next = match period {
            Period::Day => start.checked_add_days(Days::new(1)),
            Period::Week => Period::Week.start_of(start).checked_add_days(Days::new(7)),
            Period::Month => Period::Month
                .start_of(start)
                .checked_add_months(chrono::Months::new(1)),
        };
        let Some(next) = next else { break };
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((start, end));
        start = next;
    }
    out
}

/// Number of `sorted` values in `lo..=hi`.
fn count_in(sorted: &[NaiveDate], lo: NaiveDate, hi: NaiveDate) -> u64 {
    (sorted.partition_point(|d| *d <= hi) - sorted.partition_point(|d| *d < lo)) as u64
}

fn count_up_to(sorted: &[NaiveDate], day: NaiveDate) -> u64 {
    sorted.partition_point(|d| *d <= day) as u64
}

/// The retention figures of each of `ranges`.
pub fn retention(
    spells: &[SpellDays],
    revenue: &[RevenueDay],
    ranges: &[(NaiveDate, NaiveDate)],
    window_days: u32,
    today: NaiveDate,
) -> Vec<RetentionPeriod> {
    let loss = |s: &SpellDays| {
        s.end
            .checked_add_days(Days::new(u64::from(window_days)))
            .unwrap_or(NaiveDate::MAX)
    };
    let sorted = |mut v: Vec<NaiveDate>| {
        v.sort_unstable();
        v
    };
    let starts = sorted(spells.iter().map(|s| s.start).collect());
    let losses = sorted(spells.iter().map(loss).collect());
    let acquisitions = sorted(spells.iter().filter(|s| s.first).map(|s| s.start).collect());
    let win_backs = sorted(
        spells
            .iter()
            .filter(|s| !s.first)
            .map(|s| s.start)
            .collect(),
    );
    let mut revenue: Vec<RevenueDay> = revenue.to_vec();
    revenue.sort_unstable_by_key(|r| r.day);

    ranges
        .iter()
        .map(|&(a, b)| {
            let before = a.pred_opt().unwrap_or(a);
            // Active on a − 1: spells started by then, minus those lost by then.
            let active_at_start = count_up_to(&starts, before) - count_up_to(&losses, before);
            let acquired = count_in(&acquisitions, a, b);
            let won_back = count_in(&win_backs, a, b);
            // A loss counts once its day has come.
            let lost = if a <= today {
                count_in(&losses, a, b.min(today))
            } else {
                0
            };
            let (mut new, mut returning) = (0, 0);
            let first = revenue.partition_point(|r| r.day < a);
            for r in revenue[first..].iter().take_while(|r| r.day <= b) {
                // New revenue: the customer's first purchase is in [a, b], that is,
                // no more than day − a days before this one.
                let since_start = (r.day - a).num_days();
                if since_start < AGE_CAP_DAYS && i64::from(r.age) <= since_start {
                    new += r.amount_cents;
                } else {
                    returning += r.amount_cents;
                }
            }
            RetentionPeriod {
                start: a,
                end: b,
                active_at_start,
                acquired,
                lost,
                won_back,
                churn_rate: (active_at_start > 0).then(|| lost as f64 / active_at_start as f64),
                net_growth: acquired as i64 + won_back as i64 - lost as i64,
                revenue_new_cents: new,
                revenue_returning_cents: returning,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::facts::{Purchase, facts};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    /// Spells and revenue of customers given as their purchase days and amounts.
    fn shop(customers: &[&[(NaiveDate, u64)]], window: u32) -> (Vec<SpellDays>, Vec<RevenueDay>) {
        let (mut spells, mut revenue) = (Vec::new(), Vec::new());
        for purchases in customers {
            let list: Vec<Purchase> = purchases
                .iter()
                .map(|&(day, amount_cents)| Purchase {
                    day,
                    amount_cents,
                    points: 0,
                    store: None,
                })
                .collect();
            let f = facts(&list, window).unwrap();
            for (i, s) in f.spells.iter().enumerate() {
                spells.push(SpellDays {
                    start: s.start,
                    end: s.end,
                    first: i == 0,
                });
            }
            for (k, c) in &f.revenue {
                revenue.push(RevenueDay {
                    day: k.day,
                    age: k.age,
                    amount_cents: c.amount_cents as u64,
                });
            }
        }
        (spells, revenue)
    }

    fn months(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        periods(from, to, Period::Month)
    }

    /// The definitions' worked example, month by month: purchases Jan 1 and Mar 1,
    /// W = 90; lost May 30; with a purchase on May 31, won back that day.
    #[test]
    fn the_worked_example_month_by_month() {
        let today = d(12, 31);
        let (spells, revenue) = shop(&[&[(d(1, 1), 1000), (d(3, 1), 500)]], 90);
        let r = retention(&spells, &revenue, &months(d(1, 1), d(6, 30)), 90, today);
        let figures: Vec<_> = r
            .iter()
            .map(|p| (p.active_at_start, p.acquired, p.lost, p.won_back))
            .collect();
        assert_eq!(
            figures,
            [
                (0, 1, 0, 0),
                (1, 0, 0, 0),
                (1, 0, 0, 0),
                (1, 0, 0, 0),
                (1, 0, 1, 0),
                (0, 0, 0, 0)
            ]
        );
        assert_eq!(r[4].churn_rate, Some(1.0));
        assert_eq!(r[0].churn_rate, None);
        assert_eq!(
            (r[0].revenue_new_cents, r[0].revenue_returning_cents),
            (1000, 0)
        );
        assert_eq!(
            (r[2].revenue_new_cents, r[2].revenue_returning_cents),
            (0, 500)
        );

        let (spells, revenue) = shop(&[&[(d(1, 1), 1000), (d(3, 1), 500), (d(5, 31), 700)]], 90);
        let may = retention(&spells, &revenue, &[(d(5, 1), d(5, 31))], 90, today);
        assert_eq!((may[0].lost, may[0].won_back, may[0].net_growth), (1, 1, 0));
        assert_eq!(may[0].revenue_returning_cents, 700);
        let (spells, _) = shop(&[&[(d(1, 1), 1000), (d(3, 1), 500), (d(5, 30), 700)]], 90);
        let may = retention(&spells, &[], &[(d(5, 1), d(5, 31))], 90, today);
        assert_eq!(
            (may[0].lost, may[0].won_back),
            (0, 0),
            "a purchase on the boundary day keeps them"
        );
    }

    #[test]
    fn a_loss_counts_only_once_its_day_has_come() {
        let (spells, _) = shop(&[&[(d(3, 1), 100)]], 90);
        let may = [(d(5, 1), d(5, 31))];
        assert_eq!(retention(&spells, &[], &may, 90, d(5, 29))[0].lost, 0);
        assert_eq!(retention(&spells, &[], &may, 90, d(5, 30))[0].lost, 1);
    }

    #[test]
    fn the_next_periods_active_at_start_balances_every_period() {
        let today = d(12, 31);
        let customers: Vec<Vec<(NaiveDate, u64)>> = (0..40u32)
            .map(|i| {
                (0..(i % 5 + 1))
                    .map(|k| {
                        (
                            d(1, 1)
                                + chrono::Days::new(u64::from((i * 7 + k * (20 + i * 3)) % 330)),
                            100,
                        )
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[(NaiveDate, u64)]> = customers.iter().map(Vec::as_slice).collect();
        let (spells, revenue) = shop(&refs, 30);
        for period in [Period::Week, Period::Month] {
            let r = retention(
                &spells,
                &revenue,
                &periods(d(1, 1), d(12, 31), period),
                30,
                today,
            );
            for w in r.windows(2) {
                assert_eq!(
                    w[1].active_at_start as i64,
                    w[0].active_at_start as i64 + w[0].net_growth,
                    "{period:?} from {}",
                    w[0].start
                );
            }
            let acquired: u64 = r.iter().map(|p| p.acquired).sum();
            assert_eq!(acquired, 40);
        }
    }

    #[test]
    fn empty_periods_and_a_single_purchase() {
        let (spells, revenue) = shop(&[&[(d(6, 15), 100)]], 90);
        let r = retention(
            &spells,
            &revenue,
            &months(d(1, 1), d(12, 31)),
            90,
            d(12, 31),
        );
        assert_eq!(r.len(), 12);
        assert!(r[..5].iter().all(|p| *p
            == RetentionPeriod {
                start: p.start,
                end: p.end,
                ..Default::default()
            }));
        assert_eq!(r[5].acquired, 1);
        // Lost on Jun 15 + 90 = Sep 13.
        assert_eq!(
            r.iter().map(|p| p.lost).collect::<Vec<_>>(),
            [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
        );
        assert!(
            retention(&[], &[], &months(d(1, 1), d(2, 28)), 90, d(12, 31))
                .iter()
                .all(|p| p.active_at_start == 0 && p.churn_rate.is_none())
        );
    }

    #[test]
    fn periods_follow_the_calendar_and_are_cut_to_the_range() {
        assert_eq!(
            months(d(1, 15), d(3, 10)),
            [
                (d(1, 15), d(1, 31)),
                (d(2, 1), d(2, 28)),
                (d(3, 1), d(3, 10))
            ]
        );
        // Nov 26, 2026 is a Thursday.
        assert_eq!(
            periods(d(11, 26), d(12, 8), Period::Week),
            [
                (d(11, 26), d(11, 29)),
                (d(11, 30), d(12, 6)),
                (d(12, 7), d(12, 8))
            ]
        );
    }
}
