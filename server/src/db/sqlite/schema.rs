//! The SQLite schema, as migrations run at start (`PRAGMA user_version` counts them).
//!
//! Typed columns, STRICT tables: timestamps are INTEGER milliseconds since the
//! epoch (UTC); a shop's local day is TEXT `YYYY-MM-DD` (sorts and compares as a
//! date, and SQLite's date functions read it); ids of answers are 16-byte BLOBs;
//! booleans are 0/1. Configuration that is read whole (a survey's definition, a
//! tier's names per locale, a shop's origins) is JSON text.

use std::sync::LazyLock;

use rusqlite_migration::{HookError, M, Migrations};

pub static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(V1_FIRST_RELEASE),
        M::up_with_hook(V2_TYPED_AND_ROLLED_UP, |tx: &rusqlite::Transaction| {
            // What SQL cannot derive: each customer's facts and rollups (computed
            // in Rust, as for every purchase), and the folded text searched.
            super::customers::rebuild_all(tx).map_err(|e| HookError::Hook(e.to_string()))?;
            super::answers::fold_all_texts(tx).map_err(|e| HookError::Hook(e.to_string()))
        }),
        M::up(V3_TARGETING),
        M::up(V4_VERIFIED),
        M::up(V5_TEXT_RETENTION),
        M::up(V6_WEBHOOKS),
        M::up(V7_STORES_AND_KIOSKS),
        M::up(V8_TABLETS_REMOVED_AND_DELIVERY_TURNS),
        M::up(V9_ERASED_CUSTOMERS),
    ])
});

/// Customers erased, by a hash of their reference (`db::erased_key`), and
/// when: their purchases from before then are not recorded again (an old till
/// file imported anew had brought an erased customer back), nor their answers
/// from before then linked to them; and their purchases' ids, by a hash
/// (`db::erased_purchase_key`), which are not recorded again at any time.
const V9_ERASED_CUSTOMERS: &str = r#"
CREATE TABLE erased_customers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    ref_hash BLOB NOT NULL,
    erased_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, ref_hash)
) STRICT, WITHOUT ROWID;
CREATE TABLE erased_purchases (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id_hash BLOB NOT NULL,
    PRIMARY KEY (shop_id, id_hash)
) STRICT, WITHOUT ROWID;
"#;

/// A tablet the owner removed: its reports are refused until it is set up
/// again. Each webhook endpoint's due deliveries in order, taken in turns.
const V8_TABLETS_REMOVED_AND_DELIVERY_TURNS: &str = r#"
ALTER TABLE devices ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_due_by_webhook ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
"#;

/// Survey targeting: the shop's cooldown between any two surveys, and the
/// lookup of what was answered for an order (the display plan's "answered").
const V3_TARGETING: &str = r#"
ALTER TABLE shops ADD COLUMN survey_cooldown_days INTEGER NOT NULL DEFAULT 7;
CREATE INDEX answers_by_order ON answers (shop_id, order_ref) WHERE order_ref IS NOT NULL;
"#;

/// Verified customers and orders: each shop's widget secret (one made for the
/// shops that exist), the setting that takes only verified answers, and one
/// verified answer per survey and order.
const V4_VERIFIED: &str = r#"
ALTER TABLE shops ADD COLUMN widget_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE shops ADD COLUMN require_verified INTEGER NOT NULL DEFAULT 0;
UPDATE shops SET widget_secret = 'ws_' || lower(hex(randomblob(32)));
CREATE UNIQUE INDEX one_verified_answer_per_order ON answers (shop_id, survey_id, order_ref)
    WHERE verified = 1 AND order_ref IS NOT NULL;
"#;

/// Privacy: how long a shop keeps free-text answers (0: always).
const V5_TEXT_RETENTION: &str = r#"
ALTER TABLE shops ADD COLUMN text_retention_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX answers_with_text_by_time ON answers (answered_at) WHERE text IS NOT NULL;
"#;

/// Webhooks: the owner's endpoints, the outbox of deliveries (written in the
/// transaction that stores the answer), every attempt, and the customers last
/// seen at risk (an event when one enters).
const V6_WEBHOOKS: &str = r#"
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_by_shop ON webhooks (shop_id);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at INTEGER,
    gave_up_at INTEGER
) STRICT;
CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    PRIMARY KEY (delivery_id, attempt)
) STRICT;
CREATE TABLE customers_at_risk (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    customer_ref TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (shop_id, customer_ref)
) STRICT;
"#;

/// Stores (locations), the kiosk PIN (its hash) and the kiosk tablets' reports.
const V7_STORES_AND_KIOSKS: &str = r#"
CREATE TABLE stores (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (shop_id, id)
) STRICT, WITHOUT ROWID;
CREATE TABLE devices (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    store_id TEXT,
    version TEXT NOT NULL,
    pending INTEGER NOT NULL,
    synced_at INTEGER,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
) STRICT, WITHOUT ROWID;
ALTER TABLE shops ADD COLUMN kiosk_pin_hash BLOB;
"#;

/// The schema of the first release, kept so its databases migrate.
const V1_FIRST_RELEASE: &str = r#"
CREATE TABLE shops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
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
    answered_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    customer_ref TEXT,
    order_ref TEXT,
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
"#;

/// Typed columns instead of answer JSON, churn reasons in their own table, rollups
/// for the reports, shop time zones and churn windows. Carries the v1 data over
/// (v1 knew no time zones: its days are UTC days, the new shops' default zone).
///
/// The v1 tables are renamed first (their foreign keys follow them), so the new
/// tables take the final names and dropping the old ones cascades into nothing new.
const V2_TYPED_AND_ROLLED_UP: &str = r#"
ALTER TABLE purchases RENAME TO purchases_v1;
ALTER TABLE customers RENAME TO customers_v1;
ALTER TABLE answers RENAME TO answers_v1;
ALTER TABLE surveys RENAME TO surveys_v1;
ALTER TABLE tiers RENAME TO tiers_v1;
ALTER TABLE tokens RENAME TO tokens_v1;
ALTER TABLE shops RENAME TO shops_v1;

CREATE TABLE shops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    -- JSON array of the origins allowed to call the widget API from a browser
    allowed_origins TEXT NOT NULL,
    points_per_unit INTEGER NOT NULL,
    -- IANA time zone: decides the local day of answers and purchases
    time_zone TEXT NOT NULL,
    churn_window_days INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO shops
    SELECT id, name, public_key, allowed_origins, points_per_unit, 'UTC', 90,
           CAST(unixepoch(created_at, 'subsec') * 1000 AS INTEGER)
    FROM shops_v1;

CREATE TABLE tokens (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('back_office', 'owner')),
    -- SHA-256 of the token
    hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, kind, hash)
) STRICT, WITHOUT ROWID;
INSERT INTO tokens
    SELECT shop_id, kind, hash, CAST(unixepoch(created_at, 'subsec') * 1000 AS INTEGER) FROM tokens_v1;

CREATE TABLE tiers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    min_points INTEGER NOT NULL CHECK (min_points >= 0),
    -- JSON object: the tier's name by locale
    labels TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (shop_id, name)
) STRICT, WITHOUT ROWID;
INSERT INTO tiers SELECT shop_id, name, min_points, '{}' FROM tiers_v1;

CREATE TABLE surveys (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    -- the kept_shared::Survey as JSON
    definition TEXT NOT NULL,
    active INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO surveys SELECT shop_id, id, definition, active, position FROM surveys_v1;

CREATE TABLE answers (
    id BLOB PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id),
    survey_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('nps', 'csat', 'churn_reason')),
    channel TEXT NOT NULL,
    store_id TEXT,
    -- NPS 0-10, CSAT 1-5; NULL for churn answers
    score INTEGER,
    -- the NPS reason or the churn "other" text
    text TEXT,
    has_text INTEGER NOT NULL,
    -- the text in lower case, for search (folded in Rust: SQLite's lower() is ASCII-only)
    text_folded TEXT,
    customer_ref TEXT,
    order_ref TEXT,
    verified INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,
    -- the shop's local day of answered_at
    day TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
INSERT INTO answers
    SELECT unhex(replace(id, '-', '')), shop_id, survey_id, kind, channel, NULL, score,
           coalesce(json_extract(body, '$.value.reason'), json_extract(body, '$.value.other')),
           coalesce(trim(coalesce(json_extract(body, '$.value.reason'), json_extract(body, '$.value.other'))), '') <> '',
           NULL,
           customer_ref, order_ref, 0,
           CAST(unixepoch(answered_at, 'subsec') * 1000 AS INTEGER), date(answered_at),
           CAST(unixepoch(received_at, 'subsec') * 1000 AS INTEGER)
    FROM answers_v1;

CREATE TABLE answer_reasons (
    answer_id BLOB NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    -- the order in which the respondent picked it
    position INTEGER NOT NULL,
    PRIMARY KEY (answer_id, reason)
) STRICT, WITHOUT ROWID;
INSERT INTO answer_reasons
    SELECT unhex(replace(a.id, '-', '')), j.value, j.key
    FROM answers_v1 a, json_each(a.body, '$.value.reasons') j
    WHERE a.kind = 'churn_reason';

CREATE TABLE answer_rollups (
    shop_id TEXT NOT NULL,
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    store_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    score INTEGER NOT NULL,
    with_text INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (shop_id, day, channel, store_id, survey_id, kind, score, with_text, verified)
) STRICT, WITHOUT ROWID;
INSERT INTO answer_rollups
    SELECT shop_id, day, channel, coalesce(store_id, ''), survey_id, kind, coalesce(score, -1), has_text, verified, count(*)
    FROM answers GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

CREATE TABLE reason_rollups (
    shop_id TEXT NOT NULL,
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    store_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    verified INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (shop_id, day, channel, store_id, survey_id, reason, verified)
) STRICT, WITHOUT ROWID;
INSERT INTO reason_rollups
    SELECT a.shop_id, a.day, a.channel, coalesce(a.store_id, ''), a.survey_id, r.reason, a.verified, count(*)
    FROM answers a JOIN answer_reasons r ON r.answer_id = a.id GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- The customer base: the loyalty balance, and each customer's facts from their
-- purchases (kept by the server on every purchase; see analytics/facts.rs).
CREATE TABLE customers (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    customer_ref TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    first_day TEXT,
    last_day TEXT,
    purchases INTEGER NOT NULL DEFAULT 0,
    total_cents INTEGER NOT NULL DEFAULT 0,
    points_earned INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, customer_ref)
) STRICT, WITHOUT ROWID;
INSERT INTO customers (shop_id, customer_ref, points) SELECT shop_id, customer_ref, points FROM customers_v1;

CREATE TABLE purchases (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    purchase_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    points INTEGER NOT NULL,
    purchased_at INTEGER NOT NULL,
    -- the shop's local day of purchased_at
    day TEXT NOT NULL,
    store_id TEXT,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, purchase_id)
) STRICT;
INSERT INTO purchases
    SELECT shop_id, purchase_id, customer_ref, amount_cents, points,
           CAST(unixepoch(recorded_at, 'subsec') * 1000 AS INTEGER), date(recorded_at), NULL,
           CAST(unixepoch(recorded_at, 'subsec') * 1000 AS INTEGER)
    FROM purchases_v1;

DROP TABLE purchases_v1;
DROP TABLE customers_v1;
DROP TABLE answers_v1;
DROP TABLE surveys_v1;
DROP TABLE tiers_v1;
DROP TABLE tokens_v1;
DROP TABLE shops_v1;
CREATE INDEX answers_by_shop_and_day ON answers (shop_id, day);
CREATE INDEX answers_by_customer ON answers (shop_id, customer_ref, answered_at);
CREATE INDEX purchases_by_customer ON purchases (shop_id, customer_ref, day);
CREATE INDEX purchases_by_day ON purchases (shop_id, day);

-- Runs of activity: a customer's purchase days no more than the churn window apart.
CREATE TABLE customer_spells (
    shop_id TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    start_day TEXT NOT NULL,
    end_day TEXT NOT NULL,
    -- the customer's first spell: its start is an acquisition, not a win-back
    first INTEGER NOT NULL,
    start_store TEXT,
    end_store TEXT,
    PRIMARY KEY (shop_id, customer_ref, start_day)
) STRICT, WITHOUT ROWID;

-- Purchases per local day, store and age (days since the customer's first
-- purchase, 31 meaning 31 or more): revenue from new and returning customers.
CREATE TABLE revenue_rollups (
    shop_id TEXT NOT NULL,
    day TEXT NOT NULL,
    store_id TEXT NOT NULL,
    age INTEGER NOT NULL,
    purchases INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    points INTEGER NOT NULL,
    PRIMARY KEY (shop_id, day, store_id, age)
) STRICT, WITHOUT ROWID;

-- Customers of a cohort (month of first purchase) who bought in a month.
CREATE TABLE cohort_rollups (
    shop_id TEXT NOT NULL,
    cohort_month TEXT NOT NULL,
    month TEXT NOT NULL,
    customers INTEGER NOT NULL,
    PRIMARY KEY (shop_id, cohort_month, month)
) STRICT, WITHOUT ROWID;

-- The owner's follow-up of detractor and churn answers.
CREATE TABLE answer_follow_ups (
    answer_id BLOB PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'resolved')),
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- The owner's dashboard sessions: the cookie's id hashed, its CSRF token, expiry.
CREATE TABLE owner_sessions (
    id_hash BLOB PRIMARY KEY,
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- Who changed a shop's settings, surveys or keys, and when.
CREATE TABLE audit_log (
    shop_id TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_shop ON audit_log (shop_id, at);

-- How often the widget showed a survey, and how often it was skipped.
CREATE TABLE widget_event_rollups (
    shop_id TEXT NOT NULL,
    day TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shown', 'skipped')),
    count INTEGER NOT NULL,
    PRIMARY KEY (shop_id, day, survey_id, channel, kind)
) STRICT, WITHOUT ROWID;
"#;
