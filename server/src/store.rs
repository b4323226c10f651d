//! The SQLite store. Every method is synchronous and short; the HTTP handlers call
//! them through [`Store::run`], which takes a pooled connection on tokio's blocking
//! pool, so SQLite never blocks the async runtime and no lock is held across requests.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use kept_shared::{
    Answer, AnswerValue, LoyaltyStatus, NextTier, PurchaseReceipt, RecordPurchase, RejectedAnswer,
    ShopInfo, Survey, SyncReceipt, validate,
};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};

use crate::auth::{TokenKind, hash_token, token_matches};

/// Connections in the pool: SQLite has one writer at a time anyway; a few
/// readers serve reports while a batch is written (WAL).
const POOL_SIZE: u32 = 8;
/// How long a writer waits for another writer's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a free pooled connection.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![M::up(
        r#"
        CREATE TABLE shops (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            public_key TEXT NOT NULL UNIQUE,
            -- JSON array of origins allowed to call the widget API from a browser
            allowed_origins TEXT NOT NULL DEFAULT '[]',
            -- loyalty points earned per whole currency unit (100 minor units)
            points_per_unit INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE tokens (
            shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('back_office', 'owner')),
            hash BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (shop_id, kind, hash)
        );
        CREATE TABLE tiers (
            shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            min_points INTEGER NOT NULL,
            PRIMARY KEY (shop_id, name)
        );
        CREATE TABLE surveys (
            shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            -- the kept_shared::Survey as JSON
            definition TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            position INTEGER NOT NULL,
            PRIMARY KEY (shop_id, id)
        );
        CREATE TABLE answers (
            id TEXT PRIMARY KEY,
            shop_id TEXT NOT NULL REFERENCES shops(id),
            survey_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            score INTEGER,
            -- RFC 3339 UTC with milliseconds and 'Z': sorts as text, and SQLite's date functions read it
            answered_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            customer_ref TEXT,
            order_ref TEXT,
            -- the whole kept_shared::Answer as JSON
            body TEXT NOT NULL
        );
        CREATE INDEX answers_by_shop_and_time ON answers (shop_id, answered_at);
        CREATE TABLE customers (
            shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            customer_ref TEXT NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (shop_id, customer_ref)
        );
        CREATE TABLE purchases (
            shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
            purchase_id TEXT NOT NULL,
            customer_ref TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            points INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (shop_id, purchase_id)
        );
        "#,
    )])
});

/// The store: a pool of connections to one SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool<SqliteConnectionManager>,
}

/// A shop as the widget routes see it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: String,
    pub name: String,
    pub allowed_origins: Vec<String>,
}

/// What a new shop is made of (see the `add-shop` command and `demo::seed`).
pub struct NewShop<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub public_key: &'a str,
    pub allowed_origins: &'a [String],
    pub points_per_unit: u64,
    /// (name, minimum points); the lowest should start at 0.
    pub tiers: &'a [(&'a str, u64)],
    pub back_office_token: &'a str,
    pub owner_token: &'a str,
}

/// One group of the report query: how many answers of a kind had this score.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub bucket: NaiveDate,
    pub channel: String,
    pub kind: String,
    pub score: Option<u8>,
    pub with_text: bool,
    pub count: u64,
}

/// How many churn answers picked a reason, per bucket and channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonRow {
    pub bucket: NaiveDate,
    pub channel: String,
    pub reason: String,
    pub count: u64,
}

/// The largest purchase amount accepted, in minor units (a billion in currency).
pub const MAX_PURCHASE_CENTS: u64 = 100_000_000_000;

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) the SQLite file and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Store> {
        let manager = SqliteConnectionManager::file(path).with_init(|c| {
            c.busy_timeout(BUSY_TIMEOUT)?;
            c.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
        });
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(POOL_TIMEOUT)
            .build(manager)
            .context("opening the SQLite pool")?;
        let mut conn = pool.get()?;
        MIGRATIONS
            .to_latest(&mut conn)
            .context("migrating the schema")?;
        Ok(Store { pool })
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().context("waiting for a database connection")?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` with a pooled connection on the calling thread (CLI, tests, benches).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        f(&mut *self.pool.get()?)
    }

    /// Every stored answer of a shop, oldest first.
    pub fn answers(&self, shop_id: &str) -> Result<Vec<Answer>> {
        self.with_conn(|c| {
            let mut st =
                c.prepare("SELECT body FROM answers WHERE shop_id = ?1 ORDER BY answered_at, id")?;
            let rows = st.query_map([shop_id], |r| r.get::<_, String>(0))?;
            rows.map(|body| Ok(serde_json::from_str(&body?)?)).collect()
        })
    }
}

/// Creates a shop with its tokens and tiers. Fails if the id or public key exists.
pub fn add_shop(c: &mut Connection, shop: &NewShop) -> Result<()> {
    let tx = c.transaction()?;
    let now = timestamp(Utc::now());
    tx.execute(
        "INSERT INTO shops (id, name, public_key, allowed_origins, points_per_unit, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![shop.id, shop.name, shop.public_key, serde_json::to_string(shop.allowed_origins)?, shop.points_per_unit, now],
    )
    .with_context(|| format!("creating shop {:?}", shop.id))?;
    for (kind, token) in [
        (TokenKind::BackOffice, shop.back_office_token),
        (TokenKind::Owner, shop.owner_token),
    ] {
        tx.execute(
            "INSERT INTO tokens (shop_id, kind, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![shop.id, kind.as_str(), hash_token(token), now],
        )?;
    }
    for (name, min_points) in shop.tiers {
        tx.execute(
            "INSERT INTO tiers (shop_id, name, min_points) VALUES (?1, ?2, ?3)",
            params![shop.id, name, min_points],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Adds origins to a shop's CORS list (those it has are kept once).
pub fn allow_origins(c: &Connection, shop_id: &str, origins: &[String]) -> Result<()> {
    let mut current: Vec<String> = serde_json::from_str(&c.query_row(
        "SELECT allowed_origins FROM shops WHERE id = ?1",
        [shop_id],
        |r| r.get::<_, String>(0),
    )?)?;
    for o in origins {
        if !current.contains(o) {
            current.push(o.clone());
        }
    }
    c.execute(
        "UPDATE shops SET allowed_origins = ?2 WHERE id = ?1",
        params![shop_id, serde_json::to_string(&current)?],
    )?;
    Ok(())
}

/// Adds or replaces a survey of a shop at `position`.
pub fn put_survey(c: &Connection, shop_id: &str, survey: &Survey, position: i64) -> Result<()> {
    c.execute(
        "INSERT INTO surveys (shop_id, id, definition, active, position) VALUES (?1, ?2, ?3, 1, ?4)
         ON CONFLICT (shop_id, id) DO UPDATE SET definition = excluded.definition, position = excluded.position",
        params![shop_id, survey.id, serde_json::to_string(survey)?, position],
    )?;
    Ok(())
}

pub fn shop_by_public_key(c: &Connection, public_key: &str) -> Result<Option<Shop>> {
    let row = c
        .query_row(
            "SELECT id, name, allowed_origins FROM shops WHERE public_key = ?1",
            [public_key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(id, name, origins)| {
        Ok(Shop {
            id,
            name,
            allowed_origins: serde_json::from_str(&origins)?,
        })
    })
    .transpose()
}

pub fn shop_info(shop: &Shop) -> ShopInfo {
    ShopInfo {
        id: shop.id.clone(),
        name: shop.name.clone(),
    }
}

/// Whether `token` is a valid token of `kind` for the shop (false for unknown shops).
pub fn token_valid(c: &Connection, shop_id: &str, kind: TokenKind, token: &str) -> Result<bool> {
    let mut st = c.prepare_cached("SELECT hash FROM tokens WHERE shop_id = ?1 AND kind = ?2")?;
    let hashes = st
        .query_map(params![shop_id, kind.as_str()], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(token_matches(token, &hashes))
}

/// The shop's active surveys, in their order.
pub fn active_surveys(c: &Connection, shop_id: &str) -> Result<Vec<Survey>> {
    let mut st = c.prepare_cached(
        "SELECT definition FROM surveys WHERE shop_id = ?1 AND active = 1 ORDER BY position, id",
    )?;
    let rows = st.query_map([shop_id], |r| r.get::<_, String>(0))?;
    rows.map(|d| Ok(serde_json::from_str(&d?)?)).collect()
}

/// Validates and stores a batch in one transaction: each answer ends up stored,
/// a duplicate (its id is known already — also when another shop's answer has
/// that id: ids are random v4 UUIDs, so that is a replay, not news), or rejected.
pub fn store_batch(
    c: &mut Connection,
    shop_id: &str,
    answers: &[Answer],
    now: DateTime<Utc>,
) -> Result<SyncReceipt> {
    let surveys = active_surveys(c, shop_id)?;
    let tx = c.transaction()?;
    let mut receipt = SyncReceipt::default();
    for answer in answers {
        if let Err(reason) = validate::validate_answer(shop_id, &surveys, answer, now) {
            receipt
                .rejected
                .push(RejectedAnswer::new(answer.id, reason));
            continue;
        }
        if insert_answer(&tx, answer, now)? {
            receipt.stored.push(answer.id);
        } else {
            receipt.duplicates.push(answer.id);
        }
    }
    tx.commit()?;
    Ok(receipt)
}

/// Inserts one valid answer; false if its id is known already.
fn insert_answer(tx: &Transaction, a: &Answer, now: DateTime<Utc>) -> Result<bool> {
    let score = match &a.value {
        AnswerValue::Nps { score, .. } | AnswerValue::Csat { score } => Some(*score),
        AnswerValue::ChurnReason { .. } => None,
    };
    let mut st = tx.prepare_cached(
        "INSERT INTO answers (id, shop_id, survey_id, channel, kind, score, answered_at, received_at, customer_ref, order_ref, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
    )?;
    let inserted = st.execute(params![
        a.id.to_string(),
        a.shop,
        a.survey,
        a.channel.as_str(),
        a.value.kind_name(),
        score,
        timestamp(a.answered_at),
        timestamp(now),
        a.customer_ref,
        a.order_ref,
        serde_json::to_string(a)?,
    ])?;
    Ok(inserted == 1)
}

/// A customer's loyalty status (an unknown customer has 0 points, the lowest tier).
pub fn loyalty(
    c: &Connection,
    shop_id: &str,
    customer_ref: &str,
    now: DateTime<Utc>,
) -> Result<LoyaltyStatus> {
    let points: u64 = c
        .query_row(
            "SELECT points FROM customers WHERE shop_id = ?1 AND customer_ref = ?2",
            params![shop_id, customer_ref],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let mut st = c.prepare_cached(
        "SELECT name, min_points FROM tiers WHERE shop_id = ?1 ORDER BY min_points",
    )?;
    let tiers = st
        .query_map([shop_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let reached = tiers.iter().rposition(|(_, min)| *min <= points);
    let (tier, tier_min_points) = reached
        .map(|i| tiers[i].clone())
        .unwrap_or_else(|| (String::new(), 0));
    let next = tiers
        .get(reached.map_or(0, |i| i + 1))
        .map(|(name, min)| NextTier {
            name: name.clone(),
            labels: Default::default(),
            min_points: *min,
            points_needed: min - points,
        });
    Ok(LoyaltyStatus {
        customer_ref: customer_ref.into(),
        points,
        tier,
        tier_labels: Default::default(),
        tier_min_points,
        next_tier: next,
        as_of: now,
    })
}

/// Records a purchase once per purchase id and credits its points.
pub fn record_purchase(
    c: &mut Connection,
    shop_id: &str,
    p: &RecordPurchase,
    now: DateTime<Utc>,
) -> Result<PurchaseReceipt> {
    let tx = c.transaction()?;
    let per_unit: u64 = tx.query_row(
        "SELECT points_per_unit FROM shops WHERE id = ?1",
        [shop_id],
        |r| r.get(0),
    )?;
    let points = p.amount_cents / 100 * per_unit;
    let inserted = tx.execute(
        "INSERT INTO purchases (shop_id, purchase_id, customer_ref, amount_cents, points, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (shop_id, purchase_id) DO NOTHING",
        params![shop_id, p.purchase_id, p.customer_ref, p.amount_cents, points, timestamp(now)],
    )?;
    let duplicate = inserted == 0;
    if !duplicate {
        tx.execute(
            "INSERT INTO customers (shop_id, customer_ref, points) VALUES (?1, ?2, ?3)
             ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = points + excluded.points",
            params![shop_id, p.customer_ref, points],
        )?;
    }
    let status = loyalty(&tx, shop_id, &p.customer_ref, now)?;
    tx.commit()?;
    Ok(PurchaseReceipt {
        points_earned: if duplicate { 0 } else { points },
        duplicate,
        status,
    })
}

/// Sets a customer's points outright (demo data).
pub fn set_points(c: &Connection, shop_id: &str, customer_ref: &str, points: u64) -> Result<()> {
    c.execute(
        "INSERT INTO customers (shop_id, customer_ref, points) VALUES (?1, ?2, ?3)
         ON CONFLICT (shop_id, customer_ref) DO UPDATE SET points = excluded.points",
        params![shop_id, customer_ref, points],
    )?;
    Ok(())
}

/// The SQL expression that maps `answered_at` to the first day of its period.
fn bucket_sql(period: kept_shared::Period) -> &'static str {
    match period {
        kept_shared::Period::Day => "date(answered_at)",
        // 'weekday 0' moves forward to Sunday (or stays); six days back is that week's Monday.
        kept_shared::Period::Week => "date(answered_at, 'weekday 0', '-6 days')",
        kept_shared::Period::Month => "date(answered_at, 'start of month')",
    }
}

/// The answers of `shop_id` from `from` to `to` (days, inclusive), grouped for the report.
pub fn report_rows(
    c: &Connection,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    period: kept_shared::Period,
) -> Result<(Vec<ReportRow>, Vec<ReasonRow>)> {
    let start = format!("{from}T00:00:00.000Z");
    let end = format!(
        "{}T00:00:00.000Z",
        to.succ_opt().context("date out of range")?
    );
    let bucket = bucket_sql(period);
    let parse_day = |s: String| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
    };

    let mut st = c.prepare(&format!(
        "SELECT {bucket} AS bucket, channel, kind, score,
                kind = 'churn_reason' AND coalesce(trim(json_extract(body, '$.value.other')), '') <> '' AS with_text,
                COUNT(*)
         FROM answers WHERE shop_id = ?1 AND answered_at >= ?2 AND answered_at < ?3
         GROUP BY bucket, channel, kind, score, with_text"
    ))?;
    let rows = st
        .query_map(params![shop_id, start, end], |r| {
            Ok(ReportRow {
                bucket: parse_day(r.get(0)?)?,
                channel: r.get(1)?,
                kind: r.get(2)?,
                score: r.get(3)?,
                with_text: r.get(4)?,
                count: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    let mut st = c.prepare(&format!(
        "SELECT {bucket} AS bucket, channel, j.value, COUNT(*)
         FROM answers, json_each(answers.body, '$.value.reasons') AS j
         WHERE shop_id = ?1 AND kind = 'churn_reason' AND answered_at >= ?2 AND answered_at < ?3
         GROUP BY bucket, channel, j.value"
    ))?;
    let reasons = st
        .query_map(params![shop_id, start, end], |r| {
            Ok(ReasonRow {
                bucket: parse_day(r.get(0)?)?,
                channel: r.get(1)?,
                reason: r.get(2)?,
                count: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, reasons))
}
