//! The demo shop, so a new user sees something at once: the standard surveys in
//! three languages, loyalty tiers, a few named customers, and (with `--demo`) a
//! year of history. Its keys are fixed and public.

pub mod history;

use anyhow::Result;
use chrono::{DateTime, Utc};

use kept_shared::Audience;

use crate::db::{AnswerQuery, AuditRecord, Database, DbError, ShopUpdate};
use crate::shops::{self, ShopKeys, ShopSpec};
use crate::{calendar, loyalty};
use crate::{ingest, shops::edit_origins};

pub const SHOP_ID: &str = "demo";
pub const PUBLIC_KEY: &str = "pk_demo";
pub const SECRET_KEY: &str = "sk_demo_backoffice";
pub const OWNER_TOKEN: &str = "ot_demo_owner";
/// The demo shop's widget secret: its pages sign the demo customers with it.
pub const WIDGET_SECRET: &str = "ws_demo_widget_secret";
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
                        widget_secret: WIDGET_SECRET.into(),
                    }),
                },
            )
            .await;
            match created {
                Ok(_) => {
                    for (customer, points) in [("alice", 620), ("bob", 40), ("carol", 2400)] {
                        db.set_points(SHOP_ID, customer, points).await?;
                    }
                    ask_on_every_order(db).await?;
                    // The stores of the demo year's purchases and kiosk answers.
                    for (id, name) in [("old-town", "Old town"), ("harbour", "Harbour")] {
                        db.put_store(
                            SHOP_ID,
                            kept_shared::Store {
                                id: id.into(),
                                name: name.into(),
                            },
                            kept_shared::limits::MAX_STORES,
                        )
                        .await?;
                    }
                }
                // Another instance on the same database created it just now.
                Err(e) if matches!(e.downcast_ref(), Some(DbError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
            db.shop(SHOP_ID).await?.expect("just created")
        }
    };
    let origins = edit_origins(&shop.allowed_origins, None, extra_origins, &[])?.origins;
    if origins != shop.allowed_origins {
        db.set_allowed_origins(SHOP_ID, origins).await?;
    }
    Ok(())
}

/// The demo shop asks again on every new order (no pause between surveys, no
/// recontact period), so whoever tries it sees the surveys each time; a real
/// shop's defaults pause for days (`shared/targeting.md`).
async fn ask_on_every_order(db: &dyn Database) -> Result<()> {
    let shop = db.shop(SHOP_ID).await?.expect("just created");
    db.update_shop(
        SHOP_ID,
        ShopUpdate {
            name: shop.name,
            allowed_origins: shop.allowed_origins,
            points_per_unit: shop.points_per_unit,
            churn_window_days: shop.churn_window_days,
            survey_cooldown_days: 0,
            require_verified: shop.require_verified,
            text_retention_days: shop.text_retention_days,
            time_zone: shop.time_zone,
            tiers: db.tiers(SHOP_ID).await?,
        },
    )
    .await?;
    for mut record in db.surveys(SHOP_ID, false).await? {
        if record.survey.targeting.audience == Audience::Everyone {
            record.survey.targeting.recontact_days = 0;
            db.put_survey(
                SHOP_ID,
                record,
                kept_shared::limits::MAX_SURVEYS,
                crate::db::SurveyWrite::NewOrChange,
            )
            .await?;
        }
    }
    Ok(())
}

/// The audit log's marks of the demo year: begun (with the year's last day as
/// its detail), then done.
const YEAR_LOADING: &str = crate::audit_words::YEAR_LOADING.en;
const YEAR_LOADED: &str = crate::audit_words::YEAR_LOADED.en;
/// Who loads it, as the audit log says.
const LOADER: &str = "kept-server --demo";

/// A year of made-up history (see [`history`]): only for `--demo`, once.
///
/// Loading it takes several writes; a server killed part-way leaves a mark
/// that it began (and with which last day), and the next start finishes that
/// same year. Every step can be repeated: purchases and answers by their ids,
/// the follow-ups by answer, the widget's counts only if the year has none.
pub async fn seed_history(db: &dyn Database) -> Result<()> {
    let log = db.audit_log(SHOP_ID, u32::MAX.into()).await?;
    if log.iter().any(|a| a.action == YEAR_LOADED) {
        return Ok(());
    }
    let shop = db
        .shop(SHOP_ID)
        .await?
        .expect("the demo shop is seeded first");
    // When the load began, and the year's last day: a load finished later
    // writes as of then, so the answers of the year's first days are no older
    // to it than they were (answers past a year are refused).
    let begun = log.iter().find(|a| a.action == YEAR_LOADING).and_then(|a| {
        let day = a.detail.parse::<chrono::NaiveDate>().ok()?;
        Some((day, a.at))
    });
    let (last_day, now) = match begun {
        Some(begun) => begun,
        None => {
            // Answers without the mark: a store from before the marks, or a demo
            // shop used without `--demo`; either way, not ours to fill.
            let (_, answered) = db
                .find_answers(
                    SHOP_ID,
                    AnswerQuery {
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await?;
            if answered > 0 {
                return Ok(());
            }
            // The made-up year ends yesterday: nothing in it is later than now
            // (its last day's hours are all past), and a visitor's own first
            // answer is the newest.
            let yesterday = calendar::today(shop.time_zone) - chrono::Days::new(1);
            let now = mark(db, YEAR_LOADING, yesterday.to_string()).await?;
            (yesterday, now)
        }
    };
    let mut h = history::history(SHOP_ID, last_day);
    for p in &mut h.purchases {
        p.points = loyalty::points_earned(p.amount_cents, shop.points_per_unit).unwrap_or(0);
    }
    db.import_purchases(SHOP_ID, h.purchases).await?;
    for chunk in h.answers.chunks(kept_shared::limits::MAX_BATCH_ANSWERS) {
        ingest::ingest(db, &shop, chunk.to_vec(), now).await?;
    }
    for (id, follow_up) in h.follow_ups {
        let update = kept_shared::FollowUpUpdate {
            status: follow_up.status,
            note: Some(follow_up.note),
        };
        db.set_follow_up(SHOP_ID, id, update).await?;
    }
    // Counts add up, so they are written once, in one write; a visitor's own
    // are dated today or later, after the year.
    let first_day = h.events.iter().map(|e| e.day).min();
    if let Some(first_day) = first_day
        && db
            .widget_events(SHOP_ID, first_day, last_day)
            .await?
            .is_empty()
    {
        db.record_widget_events(SHOP_ID, h.events).await?;
    }
    mark(db, YEAR_LOADED, last_day.to_string()).await?;
    Ok(())
}

/// Records `action` in the audit log; returns when.
async fn mark(db: &dyn Database, action: &str, detail: String) -> Result<DateTime<Utc>> {
    let at = Utc::now();
    db.record_audit(
        SHOP_ID,
        AuditRecord {
            at,
            actor: LOADER.into(),
            action: action.into(),
            detail,
        },
    )
    .await?;
    Ok(at)
}
