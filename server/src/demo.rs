//! The demo shop, so a new user sees something at once: three surveys in three
//! languages, loyalty tiers and a few customers. Its keys are fixed and public.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{Duration, Utc};
use kept_shared::{
    Answer, AnswerValue, Audience, Channel, ChurnReasonChoice, Survey, SurveyKind, SurveyTexts,
    Targeting,
};
use rusqlite::OptionalExtension;
use uuid::Uuid;

use crate::store::{self, NewShop, Store};

pub const SHOP_ID: &str = "demo";
pub const PUBLIC_KEY: &str = "pk_demo";
pub const SECRET_KEY: &str = "sk_demo_backoffice";
pub const OWNER_TOKEN: &str = "ot_demo_owner";
pub const NPS_SURVEY: &str = "nps-after-purchase";
pub const CSAT_SURVEY: &str = "csat-after-purchase";
pub const CHURN_SURVEY: &str = "churn-why-left";

fn texts(
    en: (&str, Option<&str>),
    ru: (&str, Option<&str>),
    uk: (&str, Option<&str>),
) -> BTreeMap<String, SurveyTexts> {
    [("en", en), ("ru", ru), ("uk", uk)]
        .into_iter()
        .map(|(l, (q, f))| {
            (
                l.to_string(),
                SurveyTexts {
                    question: q.into(),
                    follow_up: f.map(Into::into),
                },
            )
        })
        .collect()
}

pub fn surveys() -> Vec<Survey> {
    let reason = |code: &str, en: &str, ru: &str, uk: &str| ChurnReasonChoice {
        code: code.into(),
        labels: [("en", en), ("ru", ru), ("uk", uk)]
            .into_iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect(),
    };
    vec![
        Survey {
            id: NPS_SURVEY.into(),
            kind: SurveyKind::Nps { ask_reason: true },
            default_locale: "en".into(),
            targeting: Targeting::default(),
            texts: texts(
                (
                    "How likely are you to recommend us to a friend?",
                    Some("What is the main reason for your score?"),
                ),
                (
                    "Насколько вероятно, что вы порекомендуете нас другу?",
                    Some("Какова главная причина вашей оценки?"),
                ),
                (
                    "Наскільки ймовірно, що ви порекомендуєте нас другові?",
                    Some("Яка головна причина вашої оцінки?"),
                ),
            ),
        },
        Survey {
            id: CSAT_SURVEY.into(),
            kind: SurveyKind::Csat,
            default_locale: "en".into(),
            targeting: Targeting::default(),
            texts: texts(
                ("How satisfied are you with your purchase?", None),
                ("Насколько вы довольны покупкой?", None),
                ("Наскільки ви задоволені покупкою?", None),
            ),
        },
        Survey {
            id: CHURN_SURVEY.into(),
            kind: SurveyKind::ChurnReason {
                reasons: vec![
                    reason(
                        "price",
                        "Prices are too high",
                        "Слишком высокие цены",
                        "Зависокі ціни",
                    ),
                    reason(
                        "quality",
                        "Quality was not what I expected",
                        "Качество не оправдало ожиданий",
                        "Якість не виправдала очікувань",
                    ),
                    reason(
                        "delivery",
                        "Delivery was slow or unreliable",
                        "Доставка медленная или ненадёжная",
                        "Доставка повільна або ненадійна",
                    ),
                    reason(
                        "found_alternative",
                        "I found another shop",
                        "Я нашёл другой магазин",
                        "Я знайшов інший магазин",
                    ),
                    reason(
                        "no_longer_needed",
                        "I no longer need these products",
                        "Мне больше не нужны эти товары",
                        "Мені більше не потрібні ці товари",
                    ),
                ],
                allow_other_text: true,
            },
            default_locale: "en".into(),
            targeting: Targeting {
                audience: Audience::Lapsed { days: 90 },
            },
            texts: texts(
                (
                    "Why did you stop buying from us?",
                    Some("Anything else you'd like to tell us?"),
                ),
                (
                    "Почему вы перестали у нас покупать?",
                    Some("Хотите рассказать что-то ещё?"),
                ),
                (
                    "Чому ви перестали в нас купувати?",
                    Some("Бажаєте розповісти ще щось?"),
                ),
            ),
        },
    ]
}

/// Creates the demo shop if it is missing (idempotent), and adds `extra_origins`
/// to the origins allowed to call its widget API.
pub fn seed(store: &Store, extra_origins: &[String]) -> Result<()> {
    store.with_conn(|c| {
        let exists = c
            .query_row("SELECT 1 FROM shops WHERE id = ?1", [SHOP_ID], |_| Ok(()))
            .optional()?
            .is_some();
        if !exists {
            store::add_shop(
                c,
                &NewShop {
                    id: SHOP_ID,
                    name: "Northwind Coffee Roasters",
                    public_key: PUBLIC_KEY,
                    allowed_origins: &[],
                    points_per_unit: 1,
                    tiers: &[("Bronze", 0), ("Silver", 500), ("Gold", 2000)],
                    back_office_token: SECRET_KEY,
                    owner_token: OWNER_TOKEN,
                },
            )?;
            for (position, survey) in surveys().iter().enumerate() {
                store::put_survey(c, SHOP_ID, survey, position as i64)?;
            }
            for (customer, points) in [("alice", 620), ("bob", 40), ("carol", 2400)] {
                store::set_points(c, SHOP_ID, customer, points)?;
            }
        }
        store::allow_origins(c, SHOP_ID, extra_origins)
    })
}

/// Four weeks of made-up answers, so the dashboard has something to show. Only for
/// `--demo`, and only while the demo shop has no answers.
pub fn seed_sample_answers(store: &Store) -> Result<()> {
    if !store.answers(SHOP_ID)?.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let reasons = [
        "price",
        "quality",
        "delivery",
        "found_alternative",
        "no_longer_needed",
    ];
    let answers: Vec<Answer> = (0..160u32)
        .map(|i| {
            // A deterministic, mostly happy spread of scores that improves over the weeks.
            const NPS: [u8; 12] = [10, 9, 8, 10, 6, 9, 7, 10, 3, 9, 8, 10];
            const CSAT: [u8; 8] = [5, 4, 5, 3, 4, 5, 2, 4];
            let days_ago = (i % 28) as i64;
            let week = (28 - days_ago) as usize / 7;
            let k = i as usize / 4;
            let value = match i % 4 {
                0 | 1 => AnswerValue::Nps {
                    score: NPS[(k + week) % NPS.len()],
                    reason: None,
                },
                2 => AnswerValue::Csat {
                    score: CSAT[(k + week) % CSAT.len()],
                },
                _ => AnswerValue::ChurnReason {
                    reasons: vec![reasons[k % reasons.len()].into()],
                    other: None,
                },
            };
            let survey = match value {
                AnswerValue::Nps { .. } => NPS_SURVEY,
                AnswerValue::Csat { .. } => CSAT_SURVEY,
                AnswerValue::ChurnReason { .. } => CHURN_SURVEY,
            };
            Answer {
                id: Uuid::new_v4(),
                shop: SHOP_ID.into(),
                survey: survey.into(),
                channel: if i % 3 == 0 {
                    Channel::Kiosk
                } else {
                    Channel::Web
                },
                customer_ref: None,
                order_ref: None,
                answered_at: now - Duration::days(days_ago) - Duration::minutes(i as i64),
                value,
            }
        })
        .collect();
    store.with_conn(|c| store::store_batch(c, SHOP_ID, &answers, now).map(drop))
}
