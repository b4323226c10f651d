//! Rollups: how many answers of each kind, score and channel a shop got per local
//! day, and how often each churn reason was picked. Both engines keep them up to
//! date in the same transaction as the answers, so a report reads a few rows per
//! day instead of every answer. This module decides the keys, once for both.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kept_shared::{AnswerValue, Channel};

use super::AnswerRecord;

/// The score column of a rollup without a score (churn answers).
pub const NO_SCORE: i16 = -1;

/// One group of answers. `store` is empty where the store is unknown, so the key
/// has no NULLs (both engines' unique keys treat NULLs as distinct).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub day: NaiveDate,
    pub channel: Channel,
    pub store: String,
    pub survey: String,
    /// "nps", "csat" or "churn_reason".
    pub kind: String,
    /// The score, or [`NO_SCORE`].
    pub score: i16,
    /// The answer has free text (an NPS reason or a churn "other").
    pub with_text: bool,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub key: RollupKey,
    pub count: u64,
}

/// How many churn answers of a group picked `reason`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReasonRollup {
    pub day: NaiveDate,
    pub channel: Channel,
    pub store: String,
    pub survey: String,
    pub reason: String,
    pub verified: bool,
    pub count: u64,
}

impl RollupKey {
    pub fn of(r: &AnswerRecord) -> RollupKey {
        RollupKey::with_words(r, answered_in_words(&r.answer.value))
    }

    /// Its key, `with_text` as given: a stored answer's words may be gone
    /// (erased, or past the shop's retention) and still count as given.
    fn with_words(r: &AnswerRecord, with_text: bool) -> RollupKey {
        let score = match &r.answer.value {
            AnswerValue::Nps { score, .. } | AnswerValue::Csat { score } => i16::from(*score),
            AnswerValue::ChurnReason { .. } => NO_SCORE,
        };
        RollupKey {
            day: r.day,
            channel: r.answer.channel,
            store: r.store.clone().unwrap_or_default(),
            survey: r.answer.survey.clone(),
            kind: r.answer.value.kind_name().to_string(),
            score,
            with_text,
            verified: r.verified,
        }
    }
}

fn has_text(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// Whether an answer came with words (an NPS reason, a churn answer's
/// "other"): as the rollups count it, and the stores keep it (`has_text`)
/// after the words themselves are deleted.
pub fn answered_in_words(value: &AnswerValue) -> bool {
    match value {
        AnswerValue::Nps { reason, .. } => has_text(reason),
        AnswerValue::Csat { .. } => false,
        AnswerValue::ChurnReason { other, .. } => has_text(other),
    }
}

/// The increments that storing `records` adds, merged by key and sorted: every
/// writer touches rollup rows in the same order, so concurrent writers on
/// PostgreSQL never deadlock on them.
pub fn rollups_of<'a>(
    records: impl IntoIterator<Item = &'a AnswerRecord>,
) -> (Vec<Rollup>, Vec<ReasonRollup>) {
    rollups_by(
        records
            .into_iter()
            .map(|r| (r, answered_in_words(&r.answer.value))),
    )
}

/// [`rollups_of`] stored answers, recounted: each counted with words if it
/// came with them (`in_words`, kept when the words go), as when it was stored
/// (a recount had counted an erased customer's answers, and those past the
/// shop's retention, as without words: its `with_text` fell at a change of
/// time zone).
pub fn rollups_of_stored<'a>(
    stored: impl IntoIterator<Item = &'a super::StoredAnswer>,
) -> (Vec<Rollup>, Vec<ReasonRollup>) {
    rollups_by(stored.into_iter().map(|s| (&s.record, s.in_words)))
}

fn rollups_by<'a>(
    records: impl IntoIterator<Item = (&'a AnswerRecord, bool)>,
) -> (Vec<Rollup>, Vec<ReasonRollup>) {
    let mut counts: BTreeMap<RollupKey, u64> = BTreeMap::new();
    let mut reasons: BTreeMap<ReasonRollup, u64> = BTreeMap::new();
    for (r, in_words) in records {
        let key = RollupKey::with_words(r, in_words);
        if let AnswerValue::ChurnReason {
            reasons: picked, ..
        } = &r.answer.value
        {
            for reason in picked {
                let group = ReasonRollup {
                    day: key.day,
                    channel: key.channel,
                    store: key.store.clone(),
                    survey: key.survey.clone(),
                    reason: reason.clone(),
                    verified: key.verified,
                    count: 0,
                };
                *reasons.entry(group).or_default() += 1;
            }
        }
        *counts.entry(key).or_default() += 1;
    }
    (
        counts
            .into_iter()
            .map(|(key, count)| Rollup { key, count })
            .collect(),
        reasons
            .into_iter()
            .map(|(group, count)| ReasonRollup { count, ..group })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use kept_shared::testing::AnswerBuilder;

    use super::*;

    fn record(answer: kept_shared::Answer, day: u32) -> AnswerRecord {
        AnswerRecord {
            answer,
            day: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            verified: false,
            store: None,
        }
    }

    #[test]
    fn answers_merge_into_one_increment_per_key_in_key_order() {
        let records = [
            record(AnswerBuilder::nps("s", "nps", 9).build(), 2),
            record(AnswerBuilder::nps("s", "nps", 9).reason(" ").build(), 2),
            record(AnswerBuilder::nps("s", "nps", 9).reason("great").build(), 2),
            record(AnswerBuilder::nps("s", "nps", 3).build(), 1),
            record(
                AnswerBuilder::churn("s", "churn", &["price", "quality"], Some("x")).build(),
                2,
            ),
            record(
                AnswerBuilder::churn("s", "churn", &["price"], None).build(),
                2,
            ),
        ];
        let (rollups, reasons) = rollups_of(&records);
        let flat: Vec<_> = rollups
            .iter()
            .map(|r| {
                (
                    r.key.day.format("%d").to_string(),
                    r.key.kind.as_str(),
                    r.key.score,
                    r.key.with_text,
                    r.count,
                )
            })
            .collect();
        assert_eq!(
            flat,
            [
                ("01".to_string(), "nps", 3, false, 1),
                ("02".to_string(), "churn_reason", NO_SCORE, false, 1),
                ("02".to_string(), "churn_reason", NO_SCORE, true, 1),
                ("02".to_string(), "nps", 9, false, 2),
                ("02".to_string(), "nps", 9, true, 1),
            ]
        );
        let reasons: Vec<_> = reasons
            .iter()
            .map(|r| (r.reason.as_str(), r.count))
            .collect();
        assert_eq!(reasons, [("price", 2), ("quality", 1)]);
    }
}
