//! RFM at a day: every customer's scores and segment, the segments' sizes and
//! revenue, and the customers to win back.

use std::collections::HashMap;

use chrono::NaiveDate;
use kept_shared::{AnswerValue, RfmReport, RfmScores, Segment, SegmentSummary, WinBackEntry};

use crate::analytics::rfm::{Value, scores};
use crate::db::{AnswerQuery, CustomerRecord, Database, DbResult, Shop};
use crate::loyalty::tier_name;

/// A customer with their scores at the day scored.
#[derive(Debug, Clone)]
pub struct Scored {
    pub customer: CustomerRecord,
    pub scores: RfmScores,
}

/// Every customer with a purchase up to `at`, scored at `at`.
pub async fn scored(db: &dyn Database, shop: &Shop, at: NaiveDate) -> DbResult<Vec<Scored>> {
    let customers = db.customers_at(&shop.id, at).await?;
    let values: Vec<Value> = customers
        .iter()
        .map(|c| Value {
            last_day: c.last_day.unwrap_or(at),
            purchases: c.purchases,
            total_cents: c.total_cents,
        })
        .collect();
    Ok(customers
        .into_iter()
        .zip(scores(&values, at))
        .map(|(customer, scores)| Scored { customer, scores })
        .collect())
}

/// The segments at `at`, each with its customers and share of revenue.
pub fn rfm_report(at: NaiveDate, scored: &[Scored]) -> RfmReport {
    let revenue: u64 = scored.iter().map(|s| s.customer.total_cents).sum();
    let segments = Segment::ALL
        .into_iter()
        .map(|segment| {
            let members = scored.iter().filter(|s| s.scores.segment == segment);
            let (customers, revenue_cents) =
                members.fold((0, 0), |(n, r), s| (n + 1, r + s.customer.total_cents));
            SegmentSummary {
                segment,
                customers,
                revenue_cents,
                share_of_revenue: (revenue > 0).then(|| revenue_cents as f64 / revenue as f64),
            }
        })
        .collect();
    RfmReport {
        at,
        customers: scored.len() as u64,
        revenue_cents: revenue,
        segments,
    }
}

/// The win-back list at `at`: "can't lose" first, then "at risk", each by monetary
/// value from the highest, with each customer's latest NPS, CSAT and churn answer.
pub async fn win_back(
    db: &dyn Database,
    shop: &Shop,
    at: NaiveDate,
) -> DbResult<Vec<WinBackEntry>> {
    let scored = scored(db, shop, at).await?;
    let tiers = db.tiers(&shop.id).await?;
    let (latest, _) = db
        .find_answers(
            &shop.id,
            AnswerQuery {
                latest_per_customer: true,
                ..Default::default()
            },
        )
        .await?;
    let mut answers: HashMap<&str, Vec<&AnswerValue>> = HashMap::new();
    for a in &latest {
        if let Some(c) = a.record.answer.customer_ref.as_deref() {
            answers.entry(c).or_default().push(&a.record.answer.value);
        }
    }
    let mut list: Vec<&Scored> = scored
        .iter()
        .filter(|s| matches!(s.scores.segment, Segment::CantLose | Segment::AtRisk))
        .collect();
    list.sort_by(|a, b| {
        let rank = |s: &Scored| (s.scores.segment != Segment::CantLose) as u8;
        rank(a)
            .cmp(&rank(b))
            .then(b.customer.total_cents.cmp(&a.customer.total_cents))
            .then(a.customer.customer_ref.cmp(&b.customer.customer_ref))
    });
    Ok(list
        .into_iter()
        .map(|s| {
            let c = &s.customer;
            let mine = answers
                .get(c.customer_ref.as_str())
                .map_or(&[][..], Vec::as_slice);
            WinBackEntry {
                customer_ref: c.customer_ref.clone(),
                segment: s.scores.segment,
                rfm: s.scores,
                last_purchase: c.last_day.unwrap_or(at),
                total_cents: c.total_cents,
                points: c.points,
                tier: tier_name(c.points, &tiers),
                last_nps: mine.iter().find_map(|v| match v {
                    AnswerValue::Nps { score, .. } => Some(*score),
                    _ => None,
                }),
                last_csat: mine.iter().find_map(|v| match v {
                    AnswerValue::Csat { score } => Some(*score),
                    _ => None,
                }),
                last_churn_reasons: mine
                    .iter()
                    .find_map(|v| match v {
                        AnswerValue::ChurnReason { reasons, .. } => Some(reasons.clone()),
                        _ => None,
                    })
                    .unwrap_or_default(),
            }
        })
        .collect())
}
