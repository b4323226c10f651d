//! Satisfaction joined with purchase behaviour: NPS and CSAT by channel, store,
//! loyalty tier and RFM segment; NPS of customers who later left against those who
//! stayed; the churn reasons of lost customers. Answers without a customer count
//! in the totals, channels and stores, not in customer groups.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use kept_shared::{
    AnswerValue, Channel, ChurnSummary, NpsSummary, Satisfaction, SatisfactionReport, Segment,
};

/// An answer in the range, as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerFact {
    pub customer: Option<String>,
    pub channel: Channel,
    pub store: Option<String>,
    pub day: NaiveDate,
    pub value: AnswerValue,
    /// It came with words, kept or deleted since (`StoredAnswer::in_words`).
    pub in_words: bool,
}

/// A customer as of the report's end day.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerAt {
    pub tier: String,
    pub segment: Segment,
    /// The days they were lost, up to the end day.
    pub loss_days: Vec<NaiveDate>,
    /// Not active on the end day.
    pub lost_now: bool,
}

fn add(s: &mut Satisfaction, a: &AnswerFact) {
    match &a.value {
        AnswerValue::Nps { score, .. } => add_nps(&mut s.nps, *score, a.in_words),
        AnswerValue::Csat { score } => s.csat.add(*score, 1),
        AnswerValue::ChurnReason { .. } => {}
    }
}

/// One NPS answer, its reason in words counted as the report's rollups count
/// it, whether the words are kept or not (`with_text` had stayed 0 in every
/// group here).
fn add_nps(summary: &mut NpsSummary, score: u8, in_words: bool) {
    summary.add(score, 1);
    if in_words {
        summary.with_text += 1;
    }
}

pub fn report(
    from: NaiveDate,
    to: NaiveDate,
    answers: &[AnswerFact],
    customers: &HashMap<String, CustomerAt>,
) -> SatisfactionReport {
    let mut r = SatisfactionReport {
        from,
        to,
        total: Satisfaction::default(),
        by_channel: Channel::ALL
            .into_iter()
            .map(|c| (c, Satisfaction::default()))
            .collect(),
        by_store: BTreeMap::new(),
        by_tier: BTreeMap::new(),
        by_segment: BTreeMap::new(),
        later_lost: NpsSummary::default(),
        stayed: NpsSummary::default(),
        churn_reasons_of_lost: Vec::new(),
    };
    let mut churn_of_lost = ChurnSummary::default();
    for a in answers {
        add(&mut r.total, a);
        add(r.by_channel.entry(a.channel).or_default(), a);
        if let Some(store) = &a.store {
            add(r.by_store.entry(store.clone()).or_default(), a);
        }
        let Some(c) = a.customer.as_ref().and_then(|c| customers.get(c)) else {
            continue;
        };
        add(r.by_tier.entry(c.tier.clone()).or_default(), a);
        add(r.by_segment.entry(c.segment).or_default(), a);
        match &a.value {
            AnswerValue::Nps { score, .. } => {
                let left_after = c.loss_days.iter().any(|l| *l > a.day && *l <= to);
                let group = if left_after {
                    &mut r.later_lost
                } else {
                    &mut r.stayed
                };
                add_nps(group, *score, a.in_words);
            }
            AnswerValue::ChurnReason { reasons, .. } if c.lost_now => {
                for reason in reasons {
                    churn_of_lost.add_reason(reason, 1);
                }
            }
            _ => {}
        }
    }
    r.churn_reasons_of_lost = churn_of_lost.reasons;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn nps(customer: Option<&str>, day: NaiveDate, score: u8) -> AnswerFact {
        AnswerFact {
            customer: customer.map(Into::into),
            channel: Channel::Web,
            store: None,
            day,
            value: AnswerValue::Nps {
                score,
                reason: None,
            },
            in_words: false,
        }
    }

    #[test]
    fn groups_by_tier_segment_and_later_loss() {
        let customers = HashMap::from([
            (
                "ann".to_string(),
                CustomerAt {
                    tier: "Gold".into(),
                    segment: Segment::Champions,
                    loss_days: vec![],
                    lost_now: false,
                },
            ),
            (
                "bob".to_string(),
                CustomerAt {
                    tier: "Bronze".into(),
                    segment: Segment::Lost,
                    // Lost on Jun 1 after answering in May; an earlier loss in Feb does
                    // not make the March answer "later lost" on its own.
                    loss_days: vec![d(2, 1), d(6, 1)],
                    lost_now: true,
                },
            ),
        ]);
        let mut answers = vec![
            nps(Some("ann"), d(5, 1), 10),
            nps(Some("bob"), d(5, 2), 2),
            nps(Some("bob"), d(6, 2), 9),
            nps(None, d(5, 3), 7),
            AnswerFact {
                customer: Some("bob".into()),
                channel: Channel::Kiosk,
                store: Some("riga".into()),
                day: d(6, 3),
                value: AnswerValue::ChurnReason {
                    reasons: vec!["price".into()],
                    other: None,
                },
                in_words: false,
            },
        ];
        answers[1].store = Some("riga".into());
        // Bob's May answer gave a reason (its words deleted since: counted).
        answers[1].in_words = true;
        let r = report(d(5, 1), d(12, 31), &answers, &customers);
        assert_eq!(r.total.nps.responses, 4);
        assert_eq!(r.by_tier["Gold"].nps.score, Some(100.0));
        assert_eq!(r.by_tier["Bronze"].nps.responses, 2);
        assert_eq!(r.by_segment[&Segment::Lost].nps.responses, 2);
        assert_eq!(r.by_store["riga"].nps.responses, 1);
        // Bob's May answer came before his June loss; his June 2 answer after it.
        assert_eq!((r.later_lost.responses, r.later_lost.detractors), (1, 1));
        // Bob's reason in words, counted wherever his answer is.
        assert_eq!(r.total.nps.with_text, 1);
        assert_eq!(r.by_store["riga"].nps.with_text, 1);
        assert_eq!(r.later_lost.with_text, 1);
        assert_eq!(r.stayed.with_text, 0);
        assert_eq!(
            r.stayed.responses, 2,
            "ann's and bob's answer after his loss"
        );
        assert_eq!(r.churn_reasons_of_lost[0].code, "price");
        assert_eq!(r.by_channel[&Channel::Kiosk].nps.responses, 0);
    }
}
