//! The PostgreSQL schema, as numbered migrations applied at start. Several
//! instances may start at once: migrating runs under a transaction-scoped
//! advisory lock, so one migrates and the others find it done.
//!
//! Every table is keyed by `shop_id` first: on Citus it is the distribution column
//! (see the README for what that deployment would change).

use deadpool_postgres::Client;

use crate::db::DbResult;

/// The advisory lock key of migrations (any constant unique to Kept).
const MIGRATION_LOCK: i64 = 0x4b45_5054_0001;

const MIGRATIONS: &[&str] = &[
    V1,
    V2_TARGETING,
    V3_VERIFIED,
    V4_TEXT_RETENTION,
    V5_WEBHOOKS,
    V6_STORES_AND_KIOSKS,
    V7_TABLETS_REMOVED_AND_DELIVERY_TURNS,
    V8_ERASED_CUSTOMERS,
];

/// Customers erased, by a hash of their reference (`db::erased_key`), and
/// when: their purchases from before then are not recorded again (an old till
/// file imported anew had brought an erased customer back), nor their answers
/// from before then linked to them; and their purchases' ids, by a hash
/// (`db::erased_purchase_key`), which are not recorded again at any time.
const V8_ERASED_CUSTOMERS: &str = r#"
CREATE TABLE erased_customers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    ref_hash BYTEA NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, ref_hash)
);
CREATE TABLE erased_purchases (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id_hash BYTEA NOT NULL,
    PRIMARY KEY (shop_id, id_hash)
);
"#;

/// A tablet the owner removed: its reports are refused until it is set up
/// again. Each webhook endpoint's due deliveries in order, taken in turns.
const V7_TABLETS_REMOVED_AND_DELIVERY_TURNS: &str = r#"
ALTER TABLE devices ADD COLUMN removed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX deliveries_due_by_webhook ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
"#;

/// Survey targeting: the shop's cooldown between any two surveys, and the
/// lookup of what was answered for an order (the display plan's "answered").
const V2_TARGETING: &str = r#"
ALTER TABLE shops ADD COLUMN survey_cooldown_days INTEGER NOT NULL DEFAULT 7;
CREATE INDEX answers_by_order ON answers (shop_id, order_ref) WHERE order_ref IS NOT NULL;
"#;

/// Verified customers and orders: each shop's widget secret (one made for the
/// shops that exist), the setting that takes only verified answers, and one
/// verified answer per survey and order.
const V3_VERIFIED: &str = r#"
ALTER TABLE shops ADD COLUMN widget_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE shops ADD COLUMN require_verified BOOLEAN NOT NULL DEFAULT false;
UPDATE shops SET widget_secret = 'ws_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX one_verified_answer_per_order ON answers (shop_id, survey_id, order_ref)
    WHERE verified AND order_ref IS NOT NULL;
"#;

/// Privacy: how long a shop keeps free-text answers (0: always).
const V4_TEXT_RETENTION: &str = r#"
ALTER TABLE shops ADD COLUMN text_retention_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX answers_with_text_by_time ON answers (answered_at) WHERE text IS NOT NULL;
"#;

/// Webhooks: the owner's endpoints, the outbox of deliveries (written in the
/// transaction that stores the answer), every attempt, and the customers last
/// seen at risk (an event when one enters).
const V5_WEBHOOKS: &str = r#"
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_by_shop ON webhooks (shop_id);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at TIMESTAMPTZ,
    gave_up_at TIMESTAMPTZ
);
CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    status INTEGER,
    error TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
CREATE TABLE customers_at_risk (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    customer_ref TEXT NOT NULL,
    since DATE NOT NULL,
    PRIMARY KEY (shop_id, customer_ref)
);
"#;

/// Stores (locations), the kiosk PIN (its hash) and the kiosk tablets' reports.
const V6_STORES_AND_KIOSKS: &str = r#"
CREATE TABLE stores (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE TABLE devices (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    store_id TEXT,
    version TEXT NOT NULL,
    pending BIGINT NOT NULL,
    synced_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, id)
);
ALTER TABLE shops ADD COLUMN kiosk_pin_hash BYTEA;
"#;

const V1: &str = r#"
CREATE TABLE shops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    allowed_origins JSONB NOT NULL,
    points_per_unit BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    churn_window_days INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE tokens (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('back_office', 'owner')),
    hash BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, kind, hash)
);
CREATE TABLE tiers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    min_points BIGINT NOT NULL CHECK (min_points >= 0),
    labels JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (shop_id, name)
);
CREATE TABLE surveys (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    definition JSONB NOT NULL,
    active BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE TABLE answers (
    id UUID PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    survey_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'churn_reason')),
    channel TEXT NOT NULL,
    store_id TEXT,
    score SMALLINT,
    text TEXT,
    has_text BOOLEAN NOT NULL,
    text_folded TEXT,
    customer_ref TEXT,
    order_ref TEXT,
    verified BOOLEAN NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    day DATE NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX answers_by_shop_and_day ON answers (shop_id, day);
CREATE TABLE answer_reasons (
    answer_id UUID NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    position SMALLINT NOT NULL,
    PRIMARY KEY (answer_id, reason)
);
CREATE TABLE answer_rollups (
    shop_id TEXT NOT NULL,
    day DATE NOT NULL,
    channel TEXT NOT NULL,
    store_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    score SMALLINT NOT NULL,
    with_text BOOLEAN NOT NULL,
    verified BOOLEAN NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified)
);
CREATE TABLE reason_rollups (
    shop_id TEXT NOT NULL,
    day DATE NOT NULL,
    channel TEXT NOT NULL,
    store_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, channel, store_id, survey_id, reason, verified)
);
CREATE TABLE customers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    customer_ref TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points >= 0),
    first_day DATE,
    last_day DATE,
    purchases BIGINT NOT NULL DEFAULT 0,
    total_cents BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, customer_ref)
);
CREATE TABLE purchases (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    purchase_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    points BIGINT NOT NULL,
    purchased_at TIMESTAMPTZ NOT NULL,
    day DATE NOT NULL,
    store_id TEXT,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, purchase_id)
);
CREATE INDEX purchases_by_customer ON purchases (shop_id, customer_ref, day);
CREATE INDEX purchases_by_day ON purchases (shop_id, day);
CREATE INDEX answers_by_customer ON answers (shop_id, customer_ref, answered_at);
CREATE TABLE customer_spells (
    shop_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    start_day DATE NOT NULL,
    end_day DATE NOT NULL,
    first BOOLEAN NOT NULL,
    start_store TEXT,
    end_store TEXT,
    PRIMARY KEY (shop_id, customer_ref, start_day)
);
CREATE TABLE revenue_rollups (
    shop_id TEXT NOT NULL,
    day DATE NOT NULL,
    store_id TEXT NOT NULL,
    age SMALLINT NOT NULL,
    purchases BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, store_id, age)
);
CREATE TABLE cohort_rollups (
    shop_id TEXT NOT NULL,
    cohort_month DATE NOT NULL,
    month DATE NOT NULL,
    customers BIGINT NOT NULL,
    PRIMARY KEY (shop_id, cohort_month, month)
);
CREATE TABLE answer_follow_ups (
    answer_id UUID PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'resolved')),
    note TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE owner_sessions (
    id_hash BYTEA PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE audit_log (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_shop ON audit_log (shop_id, at);
CREATE TABLE widget_event_rollups (
    shop_id TEXT NOT NULL,
    day DATE NOT NULL,
    survey_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shown', 'skipped')),
    count BIGINT NOT NULL,
    PRIMARY KEY (shop_id, day, survey_id, channel, kind)
);
"#;

/// Applies the migrations this database lacks.
pub async fn migrate(client: &mut Client) -> DbResult<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS kept_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let done: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM kept_migrations", &[])
        .await?
        .get(0);
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version > done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO kept_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
