//! The owner report: aggregated answers per channel and per period.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
}

impl Period {
    /// The first day of the period `day` falls in.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => day,
            Period::Week => {
                day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
            }
            Period::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// First day included (the shop's local calendar day).
    pub from: NaiveDate,
    /// Last day included (the shop's local calendar day).
    pub to: NaiveDate,
    pub period: Period,
    /// All answers in the range.
    pub total: Summary,
    /// The same, per channel (every channel is present, empty or not).
    pub by_channel: BTreeMap<Channel, Summary>,
    /// The same, per store, for the answers that name one (kiosk answers).
    #[serde(default)]
    pub by_store: BTreeMap<String, Summary>,
    /// One entry per period that has answers, oldest first.
    pub trend: Vec<PeriodSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodSummary {
    /// The first day of the period.
    pub start: NaiveDate,
    pub total: Summary,
    pub by_channel: BTreeMap<Channel, Summary>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub nps: NpsSummary,
    pub csat: CsatSummary,
    pub churn: ChurnSummary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NpsSummary {
    /// % promoters − % detractors, −100 to 100; `None` without responses.
    /// Kept by [`NpsSummary::add`], in the JSON so no client recomputes it.
    pub score: Option<f64>,
    pub responses: u64,
    /// Scores 9–10.
    pub promoters: u64,
    /// Scores 7–8.
    pub passives: u64,
    /// Scores 0–6.
    pub detractors: u64,
    /// Answers that gave a reason in words.
    #[serde(default)]
    pub with_text: u64,
    /// How many answered 0, 1, … 10.
    #[serde(default)]
    pub distribution: [u64; 11],
}

impl NpsSummary {
    pub fn add(&mut self, score: u8, count: u64) {
        self.responses += count;
        if let Some(slot) = self.distribution.get_mut(usize::from(score)) {
            *slot += count;
        }
        match score {
            9.. => self.promoters += count,
            7 | 8 => self.passives += count,
            _ => self.detractors += count,
        }
        if self.responses > 0 {
            self.score = Some(
                (self.promoters as f64 - self.detractors as f64) * 100.0 / self.responses as f64,
            );
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CsatSummary {
    /// The mean score, 1.0 to 5.0; `None` without responses. Kept by [`CsatSummary::add`].
    pub average: Option<f64>,
    pub responses: u64,
    /// How many answered 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

impl CsatSummary {
    /// Counts `count` answers of `score` (1–5; others are ignored, validation keeps them out).
    pub fn add(&mut self, score: u8, count: u64) {
        if let Some(slot) = (score as usize)
            .checked_sub(1)
            .and_then(|i| self.distribution.get_mut(i))
        {
            *slot += count;
            self.responses += count;
            let sum: u64 = self.distribution.iter().zip(1..).map(|(n, s)| n * s).sum();
            self.average = Some(sum as f64 / self.responses as f64);
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnSummary {
    pub responses: u64,
    /// Answers that gave free text.
    pub with_text: u64,
    /// Reason codes, most picked first (ties by code).
    pub reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub code: String,
    pub count: u64,
}

impl ChurnSummary {
    pub fn add_reason(&mut self, code: &str, count: u64) {
        match self.reasons.iter_mut().find(|r| r.code == code) {
            Some(r) => r.count += count,
            None => self.reasons.push(ReasonCount {
                code: code.to_string(),
                count,
            }),
        }
        self.reasons
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_is_percent_promoters_minus_percent_detractors() {
        let mut n = NpsSummary::default();
        for (score, count) in [(10, 5), (9, 1), (8, 2), (7, 0), (6, 1), (0, 1)] {
            n.add(score, count);
        }
        assert_eq!(
            (n.responses, n.promoters, n.passives, n.detractors),
            (10, 6, 2, 2)
        );
        assert_eq!(n.score, Some(40.0));
        assert_eq!(NpsSummary::default().score, None);
    }

    #[test]
    fn periods_start_on_the_day_the_monday_and_the_first() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(); // a Thursday
        assert_eq!(Period::Day.start_of(d), d);
        assert_eq!(
            Period::Week.start_of(d),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            Period::Month.start_of(d),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(Period::Week.start_of(monday), monday);
    }

    #[test]
    fn csat_average_and_distribution() {
        let mut c = CsatSummary::default();
        c.add(5, 2);
        c.add(4, 1);
        c.add(1, 1);
        c.add(0, 9); // out of range: ignored
        assert_eq!(c.distribution, [1, 0, 0, 1, 2]);
        assert_eq!(c.average, Some(15.0 / 4.0));
    }

    #[test]
    fn churn_reasons_are_ranked_by_count_then_code() {
        let mut c = ChurnSummary::default();
        c.add_reason("price", 2);
        c.add_reason("delivery", 3);
        c.add_reason("quality", 2);
        c.add_reason("price", 2);
        let ranked: Vec<_> = c
            .reasons
            .iter()
            .map(|r| (r.code.as_str(), r.count))
            .collect();
        assert_eq!(ranked, [("price", 4), ("delivery", 3), ("quality", 2)]);
    }
}
