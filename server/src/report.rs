//! Folds the rollups of a range of days into the owner [`Report`]: totals, per
//! channel, per period. Its cost grows with the days in the range, not with the
//! answers in them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kept_shared::{Channel, Period, PeriodSummary, Report, Summary};

use crate::db::{ReasonRollup, Rollup};

pub fn build(
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    rollups: &[Rollup],
    reasons: &[ReasonRollup],
) -> Report {
    let mut report = Report {
        from,
        to,
        period,
        total: Summary::default(),
        by_channel: every_channel(),
        by_store: BTreeMap::new(),
        trend: Vec::new(),
    };
    let mut trend: BTreeMap<NaiveDate, PeriodSummary> = BTreeMap::new();
    // Every group counts in four places: the total, its channel, its period, and
    // its channel within its period; and in its store's, if it names one.
    let mut add = |day: NaiveDate, channel: Channel, store: &str, f: &dyn Fn(&mut Summary)| {
        if !store.is_empty() {
            f(report.by_store.entry(store.to_string()).or_default());
        }
        let start = period.start_of(day);
        let p = trend.entry(start).or_insert_with(|| PeriodSummary {
            start,
            total: Summary::default(),
            by_channel: every_channel(),
        });
        for s in [
            &mut report.total,
            report.by_channel.entry(channel).or_default(),
            &mut p.total,
            p.by_channel.entry(channel).or_default(),
        ] {
            f(s);
        }
    };
    for r in rollups {
        let k = &r.key;
        let score = u8::try_from(k.score).ok();
        add(
            k.day,
            k.channel,
            &k.store,
            &|s: &mut Summary| match (k.kind.as_str(), score) {
                ("nps", Some(score)) => {
                    s.nps.add(score, r.count);
                    if k.with_text {
                        s.nps.with_text += r.count;
                    }
                }
                ("csat", Some(score)) => s.csat.add(score, r.count),
                ("churn_reason", _) => {
                    s.churn.responses += r.count;
                    if k.with_text {
                        s.churn.with_text += r.count;
                    }
                }
                _ => {}
            },
        );
    }
    for r in reasons {
        add(r.day, r.channel, &r.store, &|s: &mut Summary| {
            s.churn.add_reason(&r.reason, r.count)
        });
    }
    report.trend = trend.into_values().collect();
    report
}

fn every_channel() -> BTreeMap<Channel, Summary> {
    Channel::ALL
        .into_iter()
        .map(|c| (c, Summary::default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::RollupKey;
    use crate::db::rollup::NO_SCORE;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn rollup(
        d: u32,
        channel: Channel,
        kind: &str,
        score: i16,
        with_text: bool,
        count: u64,
    ) -> Rollup {
        Rollup {
            key: RollupKey {
                day: day(d),
                channel,
                store: String::new(),
                survey: kind.into(),
                kind: kind.into(),
                score,
                with_text,
                verified: false,
            },
            count,
        }
    }

    #[test]
    fn rollups_add_up_in_total_per_channel_and_per_period() {
        let rollups = [
            rollup(2, Channel::Web, "nps", 10, true, 3),
            rollup(2, Channel::Kiosk, "nps", 2, false, 1),
            rollup(3, Channel::Web, "csat", 4, false, 2),
            rollup(3, Channel::Kiosk, "churn_reason", NO_SCORE, true, 2),
        ];
        let reasons = [ReasonRollup {
            day: day(3),
            channel: Channel::Kiosk,
            store: String::new(),
            survey: "churn".into(),
            reason: "price".into(),
            verified: false,
            count: 2,
        }];
        let r = build(day(1), day(30), Period::Day, &rollups, &reasons);
        assert_eq!((r.total.nps.responses, r.total.nps.with_text), (4, 3));
        assert_eq!(r.total.nps.score, Some(50.0));
        assert_eq!(r.by_channel[&Channel::Web].nps.score, Some(100.0));
        assert_eq!(r.by_channel[&Channel::Kiosk].nps.score, Some(-100.0));
        assert_eq!(r.total.csat.average, Some(4.0));
        assert_eq!((r.total.churn.responses, r.total.churn.with_text), (2, 2));
        assert_eq!(r.total.churn.reasons[0].code, "price");
        assert_eq!(
            r.trend.iter().map(|p| p.start).collect::<Vec<_>>(),
            [day(2), day(3)]
        );
        assert_eq!(r.trend[0].total.nps.responses, 4);
        assert_eq!(r.trend[1].by_channel[&Channel::Kiosk].churn.responses, 2);
        assert_eq!(r.trend[1].by_channel[&Channel::Web].churn.responses, 0);

        let weekly = build(day(1), day(30), Period::Week, &rollups, &reasons);
        assert_eq!(
            weekly.trend.len(),
            1,
            "Nov 2 and 3, 2026 are one Mon–Sun week"
        );
        assert_eq!(weekly.trend[0].start, day(2));
    }
}
