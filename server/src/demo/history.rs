//! A year of made-up but plausible history for the demo shop, so every figure of
//! the dashboard means something at first start: about 2 000 customers, 13 000
//! purchases and 4 000 answers, with the seasons of a coffee roaster (a summer
//! dip, a busy November and December) and customers who left after a bad
//! experience, whose low scores and churn reasons say so. Deterministic: the same
//! day gives the same history.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use kept_shared::{Answer, AnswerValue, Channel, FollowUp, FollowUpStatus, WidgetEventKind};
use uuid::Uuid;

use crate::db::{NewPurchase, WidgetEventCount};
use crate::shops::{CHURN_SURVEY, CSAT_SURVEY, NPS_SURVEY};

/// A small, fixed pseudo-random generator (SplitMix64): the same seed, the same
/// history, whatever the `rand` crate does between versions.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.roll() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random (version 4) UUID.
    pub fn uuid(&mut self) -> Uuid {
        let bytes = (u128::from(self.roll()) << 64) | u128::from(self.roll());
        uuid::Builder::from_random_bytes(bytes.to_be_bytes()).into_uuid()
    }
}

/// What kind of customer someone is in the made-up year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Buys every few weeks, happy.
    Regular,
    /// Buys now and then, content.
    Occasional,
    /// Bought once.
    OneTime,
    /// Bought regularly until a bad experience, then left (and said why).
    LeftUnhappy,
    /// Left, then came back months later.
    CameBack,
}

/// The history: purchases to import, answers to ingest, follow-ups, widget counts.
pub struct History {
    pub purchases: Vec<NewPurchase>,
    pub answers: Vec<Answer>,
    pub follow_ups: Vec<(Uuid, FollowUp)>,
    pub events: Vec<WidgetEventCount>,
}

/// How many customers the year has.
pub const CUSTOMERS: usize = 2_000;
const STORES: [&str; 2] = ["old-town", "harbour"];

/// Seasons of a coffee roaster: how likely a new customer starts in a month
/// (January = 0).
const SEASON: [u32; 12] = [7, 6, 7, 8, 8, 6, 5, 5, 8, 9, 12, 14];

const GOOD_REASONS: [&str; 8] = [
    "Fresh beans, every time",
    "The house blend is perfect for my espresso",
    "Fast delivery and lovely packaging",
    "Friendly baristas at the old town store",
    "Great value for specialty coffee",
    "Свіжа кава і швидка доставка",
    "Отличный вкус, всегда свежая обжарка",
    "Good coffee",
];
const MIDDLING_REASONS: [&str; 5] = [
    "Good coffee but a bit pricey",
    "Delivery took a few days longer than promised",
    "Would like more decaf options",
    "Fine, nothing special",
    "Кава добра, але доставка повільна",
];
const BAD_REASONS: [(&str, &str); 6] = [
    ("quality", "The last bag tasted stale and burnt"),
    (
        "delivery",
        "My order arrived a week late and nobody answered my email",
    ),
    (
        "service",
        "The staff at the harbour store were rude when I asked for a grind",
    ),
    ("price", "Prices went up twice this year"),
    ("quality", "Зерно було несвіже, смак гіркий"),
    (
        "delivery",
        "Заказ потерялся, деньги вернули только через месяц",
    ),
];

/// The store of an answer given on the store's kiosk.
fn kiosk_store(channel: Channel, store: Option<&str>) -> Option<String> {
    (channel == Channel::Kiosk)
        .then(|| store.map(str::to_string))
        .flatten()
}

fn at(day: NaiveDate, dice: &mut Dice) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(
        8 + dice.below(12) as u32,
        dice.below(60) as u32,
        dice.below(60) as u32,
    )
    .expect("a time of day");
    Utc.from_utc_datetime(&day.and_time(time))
}

fn amount(dice: &mut Dice, kind: Kind) -> u64 {
    // Bags of 250 g to 1 kg, sometimes two; regulars buy more.
    let bags = 1 + u64::from(dice.chance(if kind == Kind::Regular { 0.4 } else { 0.2 }));
    let price = *dice.pick(&[1290u64, 1450, 1690, 2190, 3200, 3890]);
    bags * price + if dice.chance(0.3) { 390 } else { 0 }
}

/// The made-up year up to `today` (a year of 365 days back, within the answers'
/// age limit), for the demo shop.
pub fn history(shop: &str, today: NaiveDate) -> History {
    let mut dice = Dice::new(0x4b45_5054_2026);
    let start = today - Days::new(363);
    let mut purchases = Vec::new();
    let mut answers = Vec::new();
    let mut follow_ups = Vec::new();
    let mut shown: BTreeMap<(NaiveDate, &str, Channel), u64> = BTreeMap::new();
    let mut skipped: BTreeMap<(NaiveDate, &str, Channel), u64> = BTreeMap::new();

    for n in 0..CUSTOMERS {
        let customer = format!("cust-{:04}", n + 1);
        let kind = match dice.below(100) {
            0..=24 => Kind::Regular,
            25..=59 => Kind::Occasional,
            60..=79 => Kind::OneTime,
            80..=94 => Kind::LeftUnhappy,
            _ => Kind::CameBack,
        };
        // The first purchase: a day of the year up to today, weighted by the
        // season (up to a month before, the overview's month had acquired
        // no one); those who left unhappy early enough to have left.
        let first = loop {
            let d =
                start + Days::new(dice.below(if kind == Kind::LeftUnhappy { 200 } else { 364 }));
            if dice.below(14) < u64::from(SEASON[d.month0() as usize]) {
                break d;
            }
        };
        let gap = match kind {
            Kind::Regular => (7, 21),
            Kind::Occasional => (20, 50),
            Kind::OneTime => (0, 0),
            Kind::LeftUnhappy => (14, 40),
            Kind::CameBack => (15, 35),
        };
        let store = if dice.chance(0.45) {
            Some(*dice.pick(&STORES))
        } else {
            None
        };
        let mut days = vec![first];
        if kind != Kind::OneTime {
            let stop_after = match kind {
                Kind::LeftUnhappy => Some(dice.between(2, 7) as usize),
                Kind::CameBack => Some(dice.between(2, 5) as usize),
                _ => None,
            };
            let mut d = first;
            loop {
                d = d + Days::new(dice.between(gap.0, gap.1) as u64);
                if d > today || stop_after.is_some_and(|n| days.len() >= n) {
                    break;
                }
                days.push(d);
            }
            if kind == Kind::CameBack {
                // Away for four to six months, then back for a few more purchases.
                let mut d =
                    *days.last().expect("a purchase") + Days::new(dice.between(120, 180) as u64);
                while d <= today && days.len() < 12 {
                    days.push(d);
                    d = d + Days::new(dice.between(gap.0, gap.1) as u64);
                }
            }
        }
        for (i, day) in days.iter().enumerate() {
            purchases.push(NewPurchase {
                purchase_id: format!("order-{:04}-{:02}", n + 1, i + 1),
                customer_ref: customer.clone(),
                amount_cents: amount(&mut dice, kind),
                points: 0, // the seeding computes points by the shop's rate
                purchased_at: at(*day, &mut dice),
                day: *day,
                store: store.map(str::to_string),
                time_given: true,
            });
        }

        // Answers after some purchases: the order page (web) or the store's kiosk.
        let unhappy_from = (kind == Kind::LeftUnhappy).then(|| days.len() - 1);
        for (i, day) in days.iter().enumerate() {
            let asked = dice.chance(if kind == Kind::Regular { 0.15 } else { 0.22 })
                || unhappy_from == Some(i);
            let answer_day = *day + Days::new(dice.below(3));
            if !asked || answer_day > today {
                continue;
            }
            let channel = if store.is_some() && dice.chance(0.6) {
                Channel::Kiosk
            } else {
                Channel::Web
            };
            *shown.entry((answer_day, NPS_SURVEY, channel)).or_default() += 1 + dice.below(2);
            if dice.chance(0.18) {
                *skipped
                    .entry((answer_day, NPS_SURVEY, channel))
                    .or_default() += 1;
                continue;
            }
            let bad = unhappy_from == Some(i);
            let score = match (bad, kind) {
                (true, _) => dice.between(0, 4) as u8,
                (_, Kind::Regular) => dice.between(8, 10) as u8,
                (_, Kind::Occasional) => dice.between(6, 10) as u8,
                (_, Kind::CameBack) => dice.between(5, 9) as u8,
                _ => dice.between(4, 9) as u8,
            };
            let reason = if bad {
                Some(dice.pick(&BAD_REASONS).1.to_string())
            } else if dice.chance(0.35) {
                Some(
                    if score >= 9 {
                        *dice.pick(&GOOD_REASONS)
                    } else {
                        *dice.pick(&MIDDLING_REASONS)
                    }
                    .to_string(),
                )
            } else {
                None
            };
            let answered_at = at(answer_day, &mut dice);
            let id = dice.uuid();
            answers.push(Answer {
                id,
                shop: shop.into(),
                survey: NPS_SURVEY.into(),
                channel,
                customer_ref: Some(customer.clone()),
                order_ref: Some(format!("order-{:04}-{:02}", n + 1, i + 1)),
                customer_sig: None,
                order_sig: None,
                store: kiosk_store(channel, store),
                answered_at,
                value: AnswerValue::Nps { score, reason },
            });
            if score <= 6 && dice.chance(0.4) {
                let status = if dice.chance(0.5) {
                    FollowUpStatus::Contacted
                } else {
                    FollowUpStatus::Resolved
                };
                let note = if status == FollowUpStatus::Resolved {
                    "Called; sent a fresh bag and a 20% voucher."
                } else {
                    "Left a voicemail."
                };
                follow_ups.push((
                    id,
                    FollowUp {
                        status,
                        note: note.into(),
                        updated_at: None,
                    },
                ));
            }
            if dice.chance(0.7) {
                *shown.entry((answer_day, CSAT_SURVEY, channel)).or_default() += 1;
                let csat = match (bad, score) {
                    (true, _) => dice.between(1, 2),
                    (_, 9..) => dice.between(4, 5),
                    (_, 7 | 8) => dice.between(3, 5),
                    _ => dice.between(2, 4),
                };
                answers.push(Answer {
                    id: dice.uuid(),
                    shop: shop.into(),
                    survey: CSAT_SURVEY.into(),
                    channel,
                    customer_ref: Some(customer.clone()),
                    order_ref: Some(format!("order-{:04}-{:02}", n + 1, i + 1)),
                    customer_sig: None,
                    order_sig: None,
                    store: kiosk_store(channel, store),
                    answered_at: answered_at + Duration::seconds(20),
                    value: AnswerValue::Csat {
                        score: csat.clamp(1, 5) as u8,
                    },
                });
            }
        }

        // Those who left were asked why, by a personal link, after they lapsed.
        if kind == Kind::LeftUnhappy || (kind == Kind::Occasional && dice.chance(0.05)) {
            let lapsed =
                *days.last().expect("a purchase") + Days::new(dice.between(95, 130) as u64);
            if lapsed <= today && dice.chance(0.7) {
                *shown
                    .entry((lapsed, CHURN_SURVEY, Channel::Web))
                    .or_default() += 1;
                let (code, text) = *dice.pick(&BAD_REASONS);
                let mut reasons = vec![code.to_string()];
                if dice.chance(0.3) {
                    reasons.push("found_alternative".into());
                }
                if kind == Kind::Occasional {
                    reasons = vec!["no_longer_needed".into()];
                }
                let id = dice.uuid();
                answers.push(Answer {
                    id,
                    shop: shop.into(),
                    survey: CHURN_SURVEY.into(),
                    channel: Channel::Web,
                    customer_ref: Some(customer.clone()),
                    order_ref: None,
                    customer_sig: None,
                    order_sig: None,
                    store: None,
                    answered_at: at(lapsed, &mut dice),
                    value: AnswerValue::ChurnReason {
                        reasons,
                        other: (kind == Kind::LeftUnhappy && dice.chance(0.6))
                            .then(|| text.to_string()),
                    },
                });
                if dice.chance(0.3) {
                    follow_ups.push((
                        id,
                        FollowUp {
                            status: FollowUpStatus::Contacted,
                            note: "Emailed an apology and an offer.".into(),
                            updated_at: None,
                        },
                    ));
                }
            }
        }
    }
    let events = shown
        .into_iter()
        .map(|(k, n)| (k, WidgetEventKind::Shown, n))
        .chain(
            skipped
                .into_iter()
                .map(|(k, n)| (k, WidgetEventKind::Skipped, n)),
        )
        .map(|((day, survey, channel), kind, count)| WidgetEventCount {
            day,
            survey: survey.into(),
            channel,
            kind,
            count,
        })
        .collect();
    History {
        purchases,
        answers,
        follow_ups,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_is_the_size_asked_for_and_the_same_every_time() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let h = history("demo", today);
        let customers: std::collections::HashSet<_> =
            h.purchases.iter().map(|p| &p.customer_ref).collect();
        assert_eq!(customers.len(), CUSTOMERS);
        assert!(
            (12_000..=16_000).contains(&h.purchases.len()),
            "{} purchases",
            h.purchases.len()
        );
        assert!(
            (3_500..=4_500).contains(&h.answers.len()),
            "{} answers",
            h.answers.len()
        );
        assert!(
            h.purchases
                .iter()
                .all(|p| p.day <= today && p.day > today - Days::new(365))
        );
        // Customers are acquired up to the last days, this month too.
        let mut first: std::collections::HashMap<&str, NaiveDate> = Default::default();
        for p in &h.purchases {
            let d = first.entry(p.customer_ref.as_str()).or_insert(p.day);
            *d = (*d).min(p.day);
        }
        let this_month = today.with_day(1).unwrap();
        let new_this_month = first.values().filter(|d| **d >= this_month).count();
        assert!(new_this_month >= 50, "{new_this_month} acquired this month");
        // Nothing after its last day (the seed ends it yesterday: nothing later than now).
        assert!(
            h.answers
                .iter()
                .all(|a| a.answered_at.date_naive() <= today)
                && h.purchases
                    .iter()
                    .all(|p| p.purchased_at.date_naive() <= today)
        );
        assert!(
            h.answers
                .iter()
                .any(|a| matches!(a.value, AnswerValue::ChurnReason { .. }))
        );
        let again = history("demo", today);
        assert_eq!(again.answers, h.answers);
        assert_eq!(again.purchases, h.purchases);
    }
}
