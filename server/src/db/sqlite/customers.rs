//! The customer base: each customer's facts and spells, the revenue and cohort
//! rollups kept from them, and the queries the analytics read.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::{instant, next_page};
use crate::analytics::facts::{Facts, FactsDelta, Purchase};
use crate::analytics::refresh;
use crate::db::columns::{customer_order, sql_page};
use crate::db::snapshot::PageSender;
use crate::db::{
    CustomerQuery, CustomerRecord, DbError, DbResult, PurchaseRecord, RevenueRecord, SpellRecord,
};

/// Each customer's purchases, as the analytics see them.
pub fn purchases_by_customer(
    c: &Connection,
    shop_id: &str,
    customers: impl IntoIterator<Item = String>,
) -> DbResult<HashMap<String, Vec<(String, Purchase)>>> {
    let mut st = c.prepare_cached(
        "SELECT purchase_id, day, amount_cents, points, store_id FROM purchases
         WHERE shop_id = ?1 AND customer_ref = ?2",
    )?;
    let mut out = HashMap::new();
    for customer in customers {
        let rows = st
            .query_map(params![shop_id, customer], |r| {
                Ok((
                    r.get(0)?,
                    Purchase {
                        day: r.get(1)?,
                        amount_cents: r.get(2)?,
                        points: r.get(3)?,
                        store: r.get(4)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(customer, rows);
    }
    Ok(out)
}

/// Brings the customers whose purchases went from `before` to `after` up to date:
/// their summary and spells, and the shop's revenue and cohort rollups.
pub fn refresh_customers(
    c: &Connection,
    shop_id: &str,
    before: &HashMap<String, Vec<Purchase>>,
    after: &HashMap<String, Vec<Purchase>>,
    window_days: u32,
) -> DbResult<()> {
    let (customers, delta) = refresh(before, after, window_days);
    for (customer, facts) in &customers {
        store_facts(c, shop_id, customer, facts.as_ref())?;
    }
    apply_delta(c, shop_id, &delta)
}

fn store_facts(c: &Connection, shop_id: &str, customer: &str, f: Option<&Facts>) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO customers (shop_id, customer_ref, points, first_day, last_day, purchases, total_cents, points_earned)
         VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (shop_id, customer_ref) DO UPDATE SET
             first_day = excluded.first_day, last_day = excluded.last_day, purchases = excluded.purchases,
             total_cents = excluded.total_cents, points_earned = excluded.points_earned",
    )?
    .execute(params![
        shop_id,
        customer,
        f.map(|f| f.first_day),
        f.map(|f| f.last_day),
        f.map_or(0, |f| f.purchases),
        f.map_or(0, |f| f.total_cents),
        f.map_or(0, |f| f.points_earned),
    ])?;
    c.prepare_cached("DELETE FROM customer_spells WHERE shop_id = ?1 AND customer_ref = ?2")?
        .execute(params![shop_id, customer])?;
    let mut insert = c.prepare_cached(
        "INSERT INTO customer_spells (shop_id, customer_ref, start_day, end_day, first, start_store, end_store)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (i, s) in f.map_or(&[][..], |f| &f.spells).iter().enumerate() {
        insert.execute(params![
            shop_id,
            customer,
            s.start,
            s.end,
            i == 0,
            s.start_store,
            s.end_store
        ])?;
    }
    Ok(())
}

fn apply_delta(c: &Connection, shop_id: &str, delta: &FactsDelta) -> DbResult<()> {
    let mut revenue = c.prepare_cached(
        "INSERT INTO revenue_rollups (shop_id, day, store_id, age, purchases, amount_cents, points)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT DO UPDATE SET purchases = purchases + excluded.purchases,
             amount_cents = amount_cents + excluded.amount_cents, points = points + excluded.points",
    )?;
    // A row a change emptied says nothing: it goes (only a decrease can empty one).
    let mut empty_revenue = c.prepare_cached(
        "DELETE FROM revenue_rollups WHERE shop_id = ?1 AND day = ?2 AND store_id = ?3 AND age = ?4 AND purchases = 0",
    )?;
    for (k, d) in delta.revenue() {
        revenue.execute(params![
            shop_id,
            k.day,
            k.store,
            k.age,
            d.purchases,
            d.amount_cents,
            d.points
        ])?;
        if d.purchases < 0 {
            empty_revenue.execute(params![shop_id, k.day, k.store, k.age])?;
        }
    }
    let mut months = c.prepare_cached(
        "INSERT INTO cohort_rollups (shop_id, cohort_month, month, customers) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET customers = customers + excluded.customers",
    )?;
    let mut empty_month = c.prepare_cached(
        "DELETE FROM cohort_rollups WHERE shop_id = ?1 AND cohort_month = ?2 AND month = ?3 AND customers = 0",
    )?;
    for ((cohort, month), n) in delta.months() {
        months.execute(params![shop_id, cohort, month, n])?;
        if *n < 0 {
            empty_month.execute(params![shop_id, cohort, month])?;
        }
    }
    Ok(())
}

/// Recomputes every customer's facts and the rollups from the purchases, for
/// every shop (a migration; a changed churn window).
pub fn rebuild_all(c: &Connection) -> DbResult<()> {
    let shops: Vec<(String, u32)> = c
        .prepare("SELECT id, churn_window_days FROM shops")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (shop_id, window) in shops {
        rebuild_shop(c, &shop_id, window)?;
    }
    Ok(())
}

/// Recomputes one shop's customer facts and rollups from its purchases.
pub fn rebuild_shop(c: &Connection, shop_id: &str, window_days: u32) -> DbResult<()> {
    for table in ["customer_spells", "revenue_rollups", "cohort_rollups"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE shop_id = ?1"),
            [shop_id],
        )?;
    }
    let mut after: HashMap<String, Vec<Purchase>> = HashMap::new();
    let mut st = c.prepare(
        "SELECT customer_ref, day, amount_cents, points, store_id FROM purchases WHERE shop_id = ?1",
    )?;
    for row in st.query_map([shop_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Purchase {
                day: r.get(1)?,
                amount_cents: r.get(2)?,
                points: r.get(3)?,
                store: r.get(4)?,
            },
        ))
    })? {
        let (customer, purchase) = row?;
        after.entry(customer).or_default().push(purchase);
    }
    // Facts start from nothing: the rollups were emptied above.
    refresh_customers(c, shop_id, &HashMap::new(), &after, window_days)
}

const CUSTOMER_COLUMNS: &str =
    "customer_ref, points, first_day, last_day, purchases, total_cents, points_earned";

fn customer_of(r: &Row) -> rusqlite::Result<CustomerRecord> {
    Ok(CustomerRecord {
        customer_ref: r.get(0)?,
        points: r.get(1)?,
        first_day: r.get(2)?,
        last_day: r.get(3)?,
        purchases: r.get(4)?,
        total_cents: r.get(5)?,
        points_earned: r.get(6)?,
    })
}

pub fn customer(
    c: &Connection,
    shop_id: &str,
    customer_ref: &str,
) -> DbResult<Option<CustomerRecord>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE shop_id = ?1 AND customer_ref = ?2"
    ))?
    .query_row(params![shop_id, customer_ref], customer_of)
    .optional()?)
}

/// The customers `q` selects: the filter after `FROM customers`, in its
/// order, and its arguments.
fn listing(shop_id: &str, q: &CustomerQuery) -> (String, String, Vec<Box<dyn ToSql>>) {
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(shop_id.to_string())];
    let mut filter = "WHERE shop_id = ?1".to_string();
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        args.push(Box::new(crate::db::columns::like_pattern(
            &search.to_lowercase(),
        )));
        filter.push_str(" AND lower(customer_ref) LIKE ?2 ESCAPE '\\'");
    }
    (filter, customer_order(q.sort, q.descending), args)
}

pub fn customers(
    c: &Connection,
    shop_id: &str,
    q: &CustomerQuery,
) -> DbResult<(Vec<CustomerRecord>, u64)> {
    let (filter, order, args) = listing(shop_id, q);
    let total: u64 = c.query_row(
        &format!("SELECT count(*) FROM customers {filter}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers {filter} ORDER BY {order} {}",
        sql_page(q.limit, q.offset, "-1")
    );
    let rows = c
        .prepare(&sql)?
        .query_map(params_from_iter(args.iter()), customer_of)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Every customer `q` selects, in its order, sent in pages from one cursor.
pub(super) fn export(
    c: &Connection,
    shop_id: &str,
    q: &CustomerQuery,
    pages: &PageSender<CustomerRecord>,
) -> DbResult<()> {
    let (filter, order, args) = listing(shop_id, q);
    let mut st = c.prepare(&format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers {filter} ORDER BY {order}"
    ))?;
    let mut rows = st.query_map(params_from_iter(args.iter()), customer_of)?;
    pages.read_blocking(|| next_page(&mut rows))
}

/// Customers with a purchase up to `at` and their figures up to `at`. When `at`
/// is on or after the shop's last purchase day (the usual case: today), the
/// stored facts are exact and are read as they are; otherwise the purchases up
/// to `at` are summed.
pub fn customers_at(c: &Connection, shop_id: &str, at: NaiveDate) -> DbResult<Vec<CustomerRecord>> {
    let last: Option<NaiveDate> = c.query_row(
        "SELECT max(last_day) FROM customers WHERE shop_id = ?1",
        [shop_id],
        |r| r.get(0),
    )?;
    let rows = if last.is_none_or(|last| last <= at) {
        c.prepare_cached(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE shop_id = ?1 AND purchases > 0"
        ))?
        .query_map([shop_id], customer_of)?
        .collect::<Result<_, _>>()?
    } else {
        c.prepare_cached(
            "SELECT customer_ref, sum(points), min(day), max(day), count(*), sum(amount_cents), sum(points)
             FROM purchases WHERE shop_id = ?1 AND day <= ?2 GROUP BY customer_ref",
        )?
        .query_map(params![shop_id, at], customer_of)?
        .collect::<Result<_, _>>()?
    };
    Ok(rows)
}

pub fn purchases_of(
    c: &Connection,
    shop_id: &str,
    customer_ref: &str,
    offset: u64,
    limit: u64,
) -> DbResult<Vec<PurchaseRecord>> {
    let mut st = c.prepare_cached(
        "SELECT purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id FROM purchases
         WHERE shop_id = ?1 AND customer_ref = ?2 ORDER BY purchased_at DESC, purchase_id DESC
         LIMIT ?3 OFFSET ?4",
    )?;
    let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let rows = st
        .query_map(
            params![shop_id, customer_ref, bound(limit), bound(offset)],
            purchase_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn last_purchases(
    c: &Connection,
    shop_id: &str,
    customers: &[String],
) -> DbResult<Vec<PurchaseRecord>> {
    // The references travel as one JSON array: any number, one statement.
    let refs = serde_json::to_string(customers).map_err(DbError::internal)?;
    let mut st = c.prepare_cached(
        "SELECT purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id FROM (
           SELECT p.*, ROW_NUMBER() OVER (
             PARTITION BY customer_ref ORDER BY purchased_at DESC, purchase_id DESC) AS newest
           FROM purchases p
           WHERE shop_id = ?1 AND customer_ref IN (SELECT value FROM json_each(?2)))
         WHERE newest = 1",
    )?;
    let rows = st
        .query_map(params![shop_id, refs], purchase_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A purchase from the columns `purchase_id, customer_ref, amount_cents,
/// points, purchased_at, day, store_id`.
fn purchase_row(r: &Row<'_>) -> rusqlite::Result<PurchaseRecord> {
    Ok(PurchaseRecord {
        purchase_id: r.get(0)?,
        customer_ref: r.get(1)?,
        amount_cents: r.get(2)?,
        points: r.get(3)?,
        purchased_at: instant(r.get(4)?)?,
        day: r.get(5)?,
        store: r.get(6)?,
    })
}

pub fn spells(c: &Connection, shop_id: &str) -> DbResult<Vec<SpellRecord>> {
    let mut st = c.prepare_cached(
        "SELECT customer_ref, start_day, end_day, first FROM customer_spells WHERE shop_id = ?1",
    )?;
    let rows = st
        .query_map([shop_id], |r| {
            Ok(SpellRecord {
                customer_ref: r.get(0)?,
                start: r.get(1)?,
                end: r.get(2)?,
                first: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn store_days(
    c: &Connection,
    shop_id: &str,
    store: &str,
) -> DbResult<Vec<(String, NaiveDate, u64)>> {
    let mut st = c.prepare_cached(
        "SELECT customer_ref, day, sum(amount_cents) FROM purchases WHERE shop_id = ?1 AND store_id = ?2
         GROUP BY customer_ref, day ORDER BY customer_ref, day",
    )?;
    let rows = st
        .query_map(params![shop_id, store], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn revenue(
    c: &Connection,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<RevenueRecord>> {
    let mut st = c.prepare_cached(
        "SELECT day, age, sum(purchases), sum(amount_cents), sum(points) FROM revenue_rollups
         WHERE shop_id = ?1 AND day BETWEEN ?2 AND ?3
         GROUP BY day, age ORDER BY day, age",
    )?;
    let rows = st
        .query_map(params![shop_id, from, to], |r| {
            Ok(RevenueRecord {
                day: r.get(0)?,
                age: r.get(1)?,
                purchases: r.get(2)?,
                amount_cents: r.get(3)?,
                points: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn cohort_cells(
    c: &Connection,
    shop_id: &str,
    from_month: NaiveDate,
    to_month: NaiveDate,
) -> DbResult<Vec<(NaiveDate, NaiveDate, u64)>> {
    let mut st = c.prepare_cached(
        "SELECT cohort_month, month, customers FROM cohort_rollups
         WHERE shop_id = ?1 AND cohort_month BETWEEN ?2 AND ?3",
    )?;
    let rows = st
        .query_map(params![shop_id, from_month, to_month], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
