//! NPS and CSAT joined with what the customers did.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use kept_shared::SatisfactionReport;

use super::rfm::scored;
use crate::analytics::satisfaction::{AnswerFact, CustomerAt, report};
use crate::db::{AnswerQuery, Database, DbResult, Shop};
use crate::loyalty::tier_name;

pub async fn satisfaction_report(
    db: &dyn Database,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
    verified_only: bool,
) -> DbResult<SatisfactionReport> {
    let (answers, _) = db
        .find_answers(
            &shop.id,
            AnswerQuery {
                from: Some(from),
                to: Some(to),
                verified_only,
                ..Default::default()
            },
        )
        .await?;
    let answered: HashSet<&str> = answers
        .iter()
        .filter_map(|a| a.record.answer.customer_ref.as_deref())
        .collect();
    let tiers = db.tiers(&shop.id).await?;
    let window = shop.churn_window_days;
    let mut losses: HashMap<String, Vec<NaiveDate>> = HashMap::new();
    let mut active: HashSet<String> = HashSet::new();
    for s in db.spells(&shop.id).await? {
        if !answered.contains(s.customer_ref.as_str()) {
            continue;
        }
        let spell = crate::analytics::spells::Spell {
            start: s.start,
            end: s.end,
            start_store: None,
            end_store: None,
        };
        if spell.active_on(to, window) {
            active.insert(s.customer_ref.clone());
        }
        let loss = spell.loss_day(window);
        if loss <= to {
            losses.entry(s.customer_ref).or_default().push(loss);
        }
    }
    let customers: HashMap<String, CustomerAt> = scored(db, shop, to)
        .await?
        .into_iter()
        .filter(|s| answered.contains(s.customer.customer_ref.as_str()))
        .map(|s| {
            let c = s.customer.customer_ref.clone();
            let at = CustomerAt {
                tier: tier_name(s.customer.points, &tiers),
                segment: s.scores.segment,
                loss_days: losses.remove(&c).unwrap_or_default(),
                lost_now: !active.contains(&c),
            };
            (c, at)
        })
        .collect();
    let facts: Vec<AnswerFact> = answers
        .into_iter()
        .map(|a| AnswerFact {
            customer: a.record.answer.customer_ref,
            channel: a.record.answer.channel,
            store: a.record.store,
            day: a.record.day,
            value: a.record.answer.value,
            in_words: a.in_words,
        })
        .collect();
    Ok(report(from, to, &facts, &customers))
}
