//! Folds the grouped rows of the report query into the owner [`Report`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kept_shared::{Channel, Period, PeriodSummary, Report, Summary};

use crate::store::{ReasonRow, ReportRow};

pub fn build(
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    rows: &[ReportRow],
    reasons: &[ReasonRow],
) -> Report {
    let mut report = Report {
        from,
        to,
        period,
        total: Summary::default(),
        by_channel: every_channel(),
        trend: Vec::new(),
    };
    let mut trend: BTreeMap<NaiveDate, PeriodSummary> = BTreeMap::new();
    let mut each = |bucket: NaiveDate, channel: &str, f: &dyn Fn(&mut Summary)| {
        let Some(channel) = Channel::parse(channel) else {
            return;
        };
        let p = trend.entry(bucket).or_insert_with(|| PeriodSummary {
            start: bucket,
            total: Summary::default(),
            by_channel: every_channel(),
        });
        for s in [
            &mut report.total,
            report.by_channel.get_mut(&channel).unwrap(),
            &mut p.total,
            p.by_channel.get_mut(&channel).unwrap(),
        ] {
            f(s);
        }
    };
    for r in rows {
        each(
            r.bucket,
            &r.channel,
            &|s: &mut Summary| match (r.kind.as_str(), r.score) {
                ("nps", Some(score)) => s.nps.add(score, r.count),
                ("csat", Some(score)) => s.csat.add(score, r.count),
                ("churn_reason", _) => {
                    s.churn.responses += r.count;
                    if r.with_text {
                        s.churn.with_text += r.count;
                    }
                }
                _ => {}
            },
        );
    }
    for r in reasons {
        each(r.bucket, &r.channel, &|s: &mut Summary| {
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

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn row(d: u32, channel: &str, kind: &str, score: Option<u8>, count: u64) -> ReportRow {
        ReportRow {
            bucket: day(d),
            channel: channel.into(),
            kind: kind.into(),
            score,
            with_text: false,
            count,
        }
    }

    #[test]
    fn rows_add_up_in_total_per_channel_and_per_period() {
        let rows = [
            row(2, "web", "nps", Some(10), 3),
            row(2, "kiosk", "nps", Some(2), 1),
            row(3, "web", "csat", Some(4), 2),
            ReportRow {
                with_text: true,
                ..row(3, "kiosk", "churn_reason", None, 2)
            },
        ];
        let reasons = [ReasonRow {
            bucket: day(3),
            channel: "kiosk".into(),
            reason: "price".into(),
            count: 2,
        }];
        let r = build(day(1), day(30), Period::Day, &rows, &reasons);
        assert_eq!(r.total.nps.responses, 4);
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
    }
}
