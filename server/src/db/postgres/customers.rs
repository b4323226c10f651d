//! The customer base: each customer's facts and spells, the revenue and cohort
//! rollups kept from them, and the queries the analytics read.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use deadpool_postgres::{Client, Transaction};
use tokio_postgres::Row;

use super::{Args, params, send_cursor, signed, unsigned};
use crate::analytics::facts::{Facts, Purchase};
use crate::analytics::refresh;
use crate::db::columns::{customer_order, sql_page};
use crate::db::snapshot::PageSender;
use crate::db::{
    CustomerQuery, CustomerRecord, DbResult, PurchaseRecord, RevenueRecord, SpellRecord,
};

/// Brings the `customers` whose purchases just gained `new_ids` up to date: their
/// summary and spells, and the shop's revenue and cohort rollups (rows touched in
/// key order, so concurrent writers queue rather than deadlock).
pub async fn refresh_customers(
    tx: &Transaction<'_>,
    shop_id: &str,
    customers: &[&str],
    new_ids: &HashSet<&str>,
    window_days: u32,
) -> DbResult<()> {
    let mut before: HashMap<String, Vec<Purchase>> = HashMap::new();
    let mut after: HashMap<String, Vec<Purchase>> = HashMap::new();
    for r in tx
        .query(
            "SELECT customer_ref, purchase_id, day, amount_cents, points, store_id FROM purchases
             WHERE shop_id = $1 AND customer_ref = ANY($2)",
            &[&shop_id, &customers],
        )
        .await?
    {
        let customer: String = r.try_get(0)?;
        let purchase = Purchase {
            day: r.try_get(2)?,
            amount_cents: unsigned(r.try_get(3)?)?,
            points: unsigned(r.try_get(4)?)?,
            store: r.try_get(5)?,
        };
        if !new_ids.contains(r.try_get::<_, &str>(1)?) {
            before
                .entry(customer.clone())
                .or_default()
                .push(purchase.clone());
        }
        after.entry(customer).or_default().push(purchase);
    }
    store_facts(tx, shop_id, &refresh(&before, &after, window_days)).await
}

/// Takes every purchase of `customer` out of their facts and spells and the
/// shop's revenue and cohort rollups, as if they had never bought (before an
/// erasure deletes them), with the customer's row locked by `tx`: no
/// purchase of theirs can come in between.
pub async fn forget_purchases(
    tx: &Transaction<'_>,
    shop_id: &str,
    customer: &str,
    window_days: u32,
) -> DbResult<()> {
    let mut before: HashMap<String, Vec<Purchase>> = HashMap::new();
    for r in tx
        .query(
            "SELECT day, amount_cents, points, store_id FROM purchases
             WHERE shop_id = $1 AND customer_ref = $2",
            &[&shop_id, &customer],
        )
        .await?
    {
        before
            .entry(customer.to_string())
            .or_default()
            .push(Purchase {
                day: r.try_get(0)?,
                amount_cents: unsigned(r.try_get(1)?)?,
                points: unsigned(r.try_get(2)?)?,
                store: r.try_get(3)?,
            });
    }
    store_facts(tx, shop_id, &refresh(&before, &HashMap::new(), window_days)).await
}

/// Recomputes every customer's facts and the shop's revenue and cohort rollups
/// from its purchases (the churn window or the time zone changed).
pub async fn refresh_all(tx: &Transaction<'_>, shop_id: &str, window_days: u32) -> DbResult<()> {
    for table in ["customer_spells", "revenue_rollups", "cohort_rollups"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE shop_id = $1"),
            &[&shop_id],
        )
        .await?;
    }
    let mut after: HashMap<String, Vec<Purchase>> = HashMap::new();
    for r in tx
        .query(
            "SELECT customer_ref, day, amount_cents, points, store_id FROM purchases WHERE shop_id = $1",
            &[&shop_id],
        )
        .await?
    {
        after.entry(r.try_get(0)?).or_default().push(Purchase {
            day: r.try_get(1)?,
            amount_cents: unsigned(r.try_get(2)?)?,
            points: unsigned(r.try_get(3)?)?,
            store: r.try_get(4)?,
        });
    }
    store_facts(tx, shop_id, &refresh(&HashMap::new(), &after, window_days)).await
}

async fn store_facts(
    tx: &Transaction<'_>,
    shop_id: &str,
    (customers, delta): &(
        Vec<(String, Option<Facts>)>,
        crate::analytics::facts::FactsDelta,
    ),
) -> DbResult<()> {
    let refs: Vec<&str> = customers.iter().map(|(c, _)| c.as_str()).collect();
    let facts: Vec<Option<&Facts>> = customers.iter().map(|(_, f)| f.as_ref()).collect();
    let count = |f: &Option<&Facts>, n: fn(&Facts) -> u64| signed(f.map_or(0, n));
    tx.execute(
        "UPDATE customers c SET first_day = f.first_day, last_day = f.last_day, purchases = f.purchases,
                total_cents = f.total_cents, points_earned = f.points_earned
         FROM unnest($2::text[], $3::date[], $4::date[], $5::bigint[], $6::bigint[], $7::bigint[])
              AS f(customer_ref, first_day, last_day, purchases, total_cents, points_earned)
         WHERE c.shop_id = $1 AND c.customer_ref = f.customer_ref",
        &[
            &shop_id,
            &refs,
            &facts.iter().map(|f| f.map(|f| f.first_day)).collect::<Vec<_>>(),
            &facts.iter().map(|f| f.map(|f| f.last_day)).collect::<Vec<_>>(),
            &facts.iter().map(|f| count(f, |f| f.purchases)).collect::<DbResult<Vec<_>>>()?,
            &facts.iter().map(|f| count(f, |f| f.total_cents)).collect::<DbResult<Vec<_>>>()?,
            &facts.iter().map(|f| count(f, |f| f.points_earned)).collect::<DbResult<Vec<_>>>()?,
        ],
    )
    .await?;
    tx.execute(
        "DELETE FROM customer_spells WHERE shop_id = $1 AND customer_ref = ANY($2)",
        &[&shop_id, &refs],
    )
    .await?;
    let (mut who, mut starts, mut ends, mut firsts, mut start_stores, mut end_stores) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (customer, f) in customers {
        for (i, s) in f.as_ref().map_or(&[][..], |f| &f.spells).iter().enumerate() {
            who.push(customer.as_str());
            starts.push(s.start);
            ends.push(s.end);
            firsts.push(i == 0);
            start_stores.push(s.start_store.as_deref());
            end_stores.push(s.end_store.as_deref());
        }
    }
    tx.execute(
        "INSERT INTO customer_spells (shop_id, customer_ref, start_day, end_day, first, start_store, end_store)
         SELECT $1, * FROM unnest($2::text[], $3::date[], $4::date[], $5::bool[], $6::text[], $7::text[])",
        &[&shop_id, &who, &starts, &ends, &firsts, &start_stores, &end_stores],
    )
    .await?;

    let revenue: Vec<_> = delta.revenue().collect();
    if !revenue.is_empty() {
        tx.execute(
            "INSERT INTO revenue_rollups AS r (shop_id, day, store_id, age, purchases, amount_cents, points)
             SELECT $1, * FROM unnest($2::date[], $3::text[], $4::smallint[], $5::bigint[], $6::bigint[], $7::bigint[])
             ON CONFLICT (shop_id, day, store_id, age) DO UPDATE SET purchases = r.purchases + excluded.purchases,
                 amount_cents = r.amount_cents + excluded.amount_cents, points = r.points + excluded.points",
            &[
                &shop_id,
                &revenue.iter().map(|(k, _)| k.day).collect::<Vec<_>>(),
                &revenue.iter().map(|(k, _)| k.store.as_str()).collect::<Vec<_>>(),
                &revenue.iter().map(|(k, _)| k.age).collect::<Vec<_>>(),
                &revenue.iter().map(|(_, c)| c.purchases).collect::<Vec<_>>(),
                &revenue.iter().map(|(_, c)| c.amount_cents).collect::<Vec<_>>(),
                &revenue.iter().map(|(_, c)| c.points).collect::<Vec<_>>(),
            ],
        )
        .await?;
        if revenue.iter().any(|(_, c)| c.purchases < 0) {
            tx.execute(
                "DELETE FROM revenue_rollups WHERE shop_id = $1 AND day = ANY($2) AND purchases = 0",
                &[&shop_id, &revenue.iter().map(|(k, _)| k.day).collect::<Vec<_>>()],
            )
            .await?;
        }
    }
    let months: Vec<_> = delta.months().collect();
    if !months.is_empty() {
        tx.execute(
            "INSERT INTO cohort_rollups AS r (shop_id, cohort_month, month, customers)
             SELECT $1, * FROM unnest($2::date[], $3::date[], $4::bigint[])
             ON CONFLICT (shop_id, cohort_month, month) DO UPDATE SET customers = r.customers + excluded.customers",
            &[
                &shop_id,
                &months.iter().map(|((c, _), _)| *c).collect::<Vec<_>>(),
                &months.iter().map(|((_, m), _)| *m).collect::<Vec<_>>(),
                &months.iter().map(|(_, n)| **n).collect::<Vec<_>>(),
            ],
        )
        .await?;
        if months.iter().any(|(_, n)| **n < 0) {
            tx.execute(
                "DELETE FROM cohort_rollups WHERE shop_id = $1 AND customers = 0",
                &[&shop_id],
            )
            .await?;
        }
    }
    Ok(())
}

const CUSTOMER_COLUMNS: &str =
    "customer_ref, points, first_day, last_day, purchases, total_cents, points_earned";

fn customer_of(r: &Row) -> DbResult<CustomerRecord> {
    Ok(CustomerRecord {
        customer_ref: r.try_get(0)?,
        points: unsigned(r.try_get(1)?)?,
        first_day: r.try_get(2)?,
        last_day: r.try_get(3)?,
        purchases: unsigned(r.try_get(4)?)?,
        total_cents: unsigned(r.try_get(5)?)?,
        points_earned: unsigned(r.try_get(6)?)?,
    })
}

pub async fn customer(
    client: &Client,
    shop_id: &str,
    customer_ref: &str,
) -> DbResult<Option<CustomerRecord>> {
    let st = client
        .prepare_cached(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE shop_id = $1 AND customer_ref = $2"
        ))
        .await?;
    client
        .query_opt(&st, &[&shop_id, &customer_ref])
        .await?
        .map(|r| customer_of(&r))
        .transpose()
}

/// The customers `q` selects: the filter after `FROM customers`, in its
/// order, and its arguments.
fn listing(shop_id: &str, q: &CustomerQuery) -> (String, String, Args) {
    let mut args: Args = vec![Box::new(shop_id.to_string())];
    let mut filter = "WHERE shop_id = $1".to_string();
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        args.push(Box::new(crate::db::columns::like_pattern(
            &search.to_lowercase(),
        )));
        filter.push_str(" AND lower(customer_ref) LIKE $2 ESCAPE '\\'");
    }
    (filter, customer_order(q.sort, q.descending), args)
}

pub async fn customers(
    client: &impl deadpool_postgres::GenericClient,
    shop_id: &str,
    q: &CustomerQuery,
) -> DbResult<(Vec<CustomerRecord>, u64)> {
    let (filter, order, args) = listing(shop_id, q);
    let params = params(&args);
    let total: i64 = client
        .query_one(&format!("SELECT count(*) FROM customers {filter}"), &params)
        .await?
        .try_get(0)?;
    let rows = client
        .query(
            &format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers {filter} ORDER BY {order} {}",
                sql_page(q.limit, q.offset, "ALL")
            ),
            &params,
        )
        .await?;
    Ok((
        rows.iter().map(customer_of).collect::<DbResult<_>>()?,
        unsigned(total)?,
    ))
}

/// Every customer `q` selects, in its order, sent in pages from one cursor in
/// `tx`'s snapshot.
pub async fn export(
    tx: &tokio_postgres::Transaction<'_>,
    shop_id: &str,
    q: &CustomerQuery,
    pages: &PageSender<CustomerRecord>,
) -> DbResult<()> {
    let (filter, order, args) = listing(shop_id, q);
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers {filter} ORDER BY {order}");
    send_cursor(tx, &sql, &args, pages, customer_of).await
}

pub async fn customers_at(
    client: &Client,
    shop_id: &str,
    at: NaiveDate,
) -> DbResult<Vec<CustomerRecord>> {
    let last: Option<NaiveDate> = client
        .query_one(
            "SELECT max(last_day) FROM customers WHERE shop_id = $1",
            &[&shop_id],
        )
        .await?
        .try_get(0)?;
    let rows = if last.is_none_or(|last| last <= at) {
        client
            .query(
                &format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE shop_id = $1 AND purchases > 0"
                ),
                &[&shop_id],
            )
            .await?
    } else {
        client
            .query(
                "SELECT customer_ref, sum(points)::bigint, min(day), max(day), count(*),
                        sum(amount_cents)::bigint, sum(points)::bigint
                 FROM purchases WHERE shop_id = $1 AND day <= $2 GROUP BY customer_ref",
                &[&shop_id, &at],
            )
            .await?
    };
    rows.iter().map(customer_of).collect()
}

pub async fn purchases_of(
    client: &Client,
    shop_id: &str,
    customer_ref: &str,
    offset: u64,
    limit: u64,
) -> DbResult<Vec<PurchaseRecord>> {
    let st = client
        .prepare_cached(
            "SELECT purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id FROM purchases
             WHERE shop_id = $1 AND customer_ref = $2 ORDER BY purchased_at DESC, purchase_id COLLATE \"C\" DESC
             LIMIT $3 OFFSET $4",
        )
        .await?;
    let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    client
        .query(
            &st,
            &[&shop_id, &customer_ref, &bound(limit), &bound(offset)],
        )
        .await?
        .iter()
        .map(purchase_row)
        .collect()
}

pub async fn last_purchases(
    client: &Client,
    shop_id: &str,
    customers: &[String],
) -> DbResult<Vec<PurchaseRecord>> {
    let st = client
        .prepare_cached(
            "SELECT DISTINCT ON (customer_ref)
               purchase_id, customer_ref, amount_cents, points, purchased_at, day, store_id FROM purchases
             WHERE shop_id = $1 AND customer_ref = ANY($2)
             ORDER BY customer_ref, purchased_at DESC, purchase_id COLLATE \"C\" DESC",
        )
        .await?;
    client
        .query(&st, &[&shop_id, &customers])
        .await?
        .iter()
        .map(purchase_row)
        .collect()
}

/// A purchase from the columns `purchase_id, customer_ref, amount_cents,
/// points, purchased_at, day, store_id`.
fn purchase_row(r: &Row) -> DbResult<PurchaseRecord> {
    Ok(PurchaseRecord {
        purchase_id: r.try_get(0)?,
        customer_ref: r.try_get(1)?,
        amount_cents: unsigned(r.try_get(2)?)?,
        points: unsigned(r.try_get(3)?)?,
        purchased_at: r.try_get(4)?,
        day: r.try_get(5)?,
        store: r.try_get(6)?,
    })
}

pub async fn spells(client: &Client, shop_id: &str) -> DbResult<Vec<SpellRecord>> {
    let st = client
        .prepare_cached("SELECT customer_ref, start_day, end_day, first FROM customer_spells WHERE shop_id = $1")
        .await?;
    client
        .query(&st, &[&shop_id])
        .await?
        .iter()
        .map(|r| {
            Ok(SpellRecord {
                customer_ref: r.try_get(0)?,
                start: r.try_get(1)?,
                end: r.try_get(2)?,
                first: r.try_get(3)?,
            })
        })
        .collect()
}

pub async fn store_days(
    client: &Client,
    shop_id: &str,
    store: &str,
) -> DbResult<Vec<(String, NaiveDate, u64)>> {
    client
        .query(
            "SELECT customer_ref, day, sum(amount_cents)::BIGINT FROM purchases
             WHERE shop_id = $1 AND store_id = $2 GROUP BY customer_ref, day ORDER BY customer_ref, day",
            &[&shop_id, &store],
        )
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, unsigned(r.try_get(2)?)?)))
        .collect()
}

pub async fn revenue(
    client: &Client,
    shop_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> DbResult<Vec<RevenueRecord>> {
    let st = client
        .prepare_cached(
            "SELECT day, age, sum(purchases)::bigint, sum(amount_cents)::bigint, sum(points)::bigint
             FROM revenue_rollups
             WHERE shop_id = $1 AND day BETWEEN $2 AND $3
             GROUP BY day, age ORDER BY day, age",
        )
        .await?;
    client
        .query(&st, &[&shop_id, &from, &to])
        .await?
        .iter()
        .map(|r| {
            Ok(RevenueRecord {
                day: r.try_get(0)?,
                age: r.try_get(1)?,
                purchases: unsigned(r.try_get(2)?)?,
                amount_cents: unsigned(r.try_get(3)?)?,
                points: unsigned(r.try_get(4)?)?,
            })
        })
        .collect()
}

pub async fn cohort_cells(
    client: &Client,
    shop_id: &str,
    from_month: NaiveDate,
    to_month: NaiveDate,
) -> DbResult<Vec<(NaiveDate, NaiveDate, u64)>> {
    let st = client
        .prepare_cached(
            "SELECT cohort_month, month, customers FROM cohort_rollups
             WHERE shop_id = $1 AND cohort_month BETWEEN $2 AND $3",
        )
        .await?;
    client
        .query(&st, &[&shop_id, &from_month, &to_month])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, unsigned(r.try_get(2)?)?)))
        .collect()
}
