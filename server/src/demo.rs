//! The demo shop, so a new user sees something at once: the standard surveys in
//! three languages, loyalty tiers and a few customers. Its keys are fixed and public.

use anyhow::Result;
use chrono::{Duration, Utc};
use kept_shared::{Answer, AnswerValue, Channel};
use uuid::Uuid;

use crate::db::{Database, DbError};
use crate::shops::{self, ShopKeys, ShopSpec};
use crate::{ingest, shops::edit_origins};

pub const SHOP_ID: &str = "demo";
pub const PUBLIC_KEY: &str = "pk_demo";
pub const SECRET_KEY: &str = "sk_demo_backoffice";
pub const OWNER_TOKEN: &str = "ot_demo_owner";
pub use crate::shops::{CHURN_SURVEY, CSAT_SURVEY, NPS_SURVEY};

/// Creates the demo shop if it is missing (idempotent), and adds `extra_origins`
/// to the origins allowed to call its widget API.
pub async fn seed(db: &dyn Database, extra_origins: &[String]) -> Result<()> {
    let shop = match db.shop(SHOP_ID).await? {
        Some(shop) => shop,
        None => {
            let created = shops::create(
                db,
                ShopSpec {
                    id: SHOP_ID.into(),
                    name: "Northwind Coffee Roasters".into(),
                    origins: Vec::new(),
                    tiers: shops::default_tiers(),
                    points_per_unit: 1,
                    time_zone: chrono_tz::UTC,
                    keys: Some(ShopKeys {
                        public_key: PUBLIC_KEY.into(),
                        back_office_token: SECRET_KEY.into(),
                        owner_token: OWNER_TOKEN.into(),
                    }),
                },
            )
            .await;
            match created {
                Ok(_) => {
                    for (customer, points) in [("alice", 620), ("bob", 40), ("carol", 2400)] {
                        db.set_points(SHOP_ID, customer, points).await?;
                    }
                }
                // Another instance on the same database created it just now.
                Err(e) if matches!(e.downcast_ref(), Some(DbError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
            db.shop(SHOP_ID).await?.expect("just created")
        }
    };
    let origins = edit_origins(&shop.allowed_origins, None, extra_origins, &[])?;
    if origins != shop.allowed_origins {
        db.set_allowed_origins(SHOP_ID, origins).await?;
    }
    Ok(())
}

/// Four weeks of made-up answers, so the dashboard has something to show. Only for
/// `--demo`, and only while the demo shop has no answers.
pub async fn seed_sample_answers(db: &dyn Database) -> Result<()> {
    if !db.answers(SHOP_ID).await?.is_empty() {
        return Ok(());
    }
    let shop = db
        .shop(SHOP_ID)
        .await?
        .expect("the demo shop is seeded first");
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
            let (survey, value) = match i % 4 {
                0 | 1 => (
                    NPS_SURVEY,
                    AnswerValue::Nps {
                        score: NPS[(k + week) % NPS.len()],
                        reason: None,
                    },
                ),
                2 => (
                    CSAT_SURVEY,
                    AnswerValue::Csat {
                        score: CSAT[(k + week) % CSAT.len()],
                    },
                ),
                _ => (
                    CHURN_SURVEY,
                    AnswerValue::ChurnReason {
                        reasons: vec![reasons[k % reasons.len()].into()],
                        other: None,
                    },
                ),
            };
            Answer {
                // Fixed ids: instances seeding one database at once store each once.
                id: Uuid::from_u128(0x4b45_5054_d3e0_4000_8000_0000_0000_0000 | u128::from(i)),
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
    for chunk in answers.chunks(kept_shared::limits::MAX_BATCH_ANSWERS) {
        ingest::ingest(db, &shop, chunk.to_vec(), now).await?;
    }
    Ok(())
}
