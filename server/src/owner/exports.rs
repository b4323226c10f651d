//! CSV exports of customers, answers and the win-back list. Customers and answers
//! are read from one snapshot and written a page at a time, so a large export
//! never sits whole in memory and rows written meanwhile neither repeat nor go
//! missing; cells a spreadsheet would run as a formula are quoted.

use axum::http::HeaderName;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use std::sync::Arc;

use axum::body::Bytes;
use chrono_tz::Tz;
use futures_util::{Stream, StreamExt};
use kept_shared::{AnswerItem, AnswerValue, CustomerSummary, WinBackEntry};

use super::customers::Summaries;
use super::inbox::answer_item;
use crate::db::snapshot::{self, ExportPages};
use crate::db::{AnswerQuery, CustomerQuery, Database, DbError, Shop};

/// A cell as written: text a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@`, tab, carriage return first, or any of them after leading spaces or line
/// breaks, which some spreadsheets trim) gets a leading `'` (OWASP's CSV
/// injection advice). So does a formula's first character where a cell could
/// begin inside the text for a spreadsheet that splits the file otherwise:
/// after a `;` or a tab (Excel opens a CSV by its list separator, `;` where a
/// comma is the decimal mark, as in Russian and Ukrainian; then neither our
/// commas nor our quotes count, `ok;=1+1` had been a cell `=1+1`) or a line
/// break (a new row there).
pub fn cell(text: &str) -> String {
    const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    let body = text.trim_start();
    let mut out = String::with_capacity(text.len() + 1);
    if text.starts_with(TRIGGERS) || body.starts_with(TRIGGERS) {
        out.push('\'');
    }
    out.push_str(&text[..text.len() - body.len()]);
    let mut cell_begins = false;
    for c in body.chars() {
        if cell_begins && matches!(c, '=' | '+' | '-' | '@') {
            out.push('\'');
        }
        cell_begins = matches!(c, ';' | '\t' | '\n' | '\r') || (cell_begins && c == ' ');
        out.push(c);
    }
    out
}

/// The headers of a CSV file the browser downloads as `name`.
pub fn csv_download(name: &str) -> [(HeaderName, String); 3] {
    [
        (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
        // Customers' data: kept in no cache (a shared till's browser).
        (CACHE_CONTROL, "no-store".to_string()),
    ]
}

/// The file name of personal links in bulk.
pub fn links_file_name(shop_id: &str, survey: &str, day: chrono::NaiveDate) -> String {
    format!("{shop_id}-links-{survey}-{day}.csv")
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    w.into_inner().expect("flushing to memory")
}

pub const CUSTOMER_HEADER: [&str; 9] = [
    "customer_ref",
    "first_purchase",
    "last_purchase",
    "purchases",
    "total",
    "average_check",
    "points",
    "tier",
    "active",
];

pub fn customer_row(c: &CustomerSummary) -> Vec<String> {
    vec![
        cell(&c.customer_ref),
        c.first_purchase.map(|d| d.to_string()).unwrap_or_default(),
        c.last_purchase.map(|d| d.to_string()).unwrap_or_default(),
        c.purchases.to_string(),
        money(c.total_cents),
        c.average_check_cents.map(money).unwrap_or_default(),
        c.points.to_string(),
        cell(&c.tier),
        c.active.to_string(),
    ]
}

pub const ANSWER_HEADER: [&str; 14] = [
    "answered_at",
    "survey",
    "kind",
    "score",
    "reasons",
    "text",
    "channel",
    "store",
    "customer_ref",
    "order_ref",
    "follow_up",
    "note",
    "id",
    "verified",
];

/// An answer's row, its time in the shop's time zone (with its offset): the
/// day a row says is the day the dashboard shows and the export's `from` and
/// `to` chose it by (an answer at 00:30 on the 1st in Kyiv had been written on
/// the 31st, in UTC).
pub fn answer_row(a: &AnswerItem, zone: Tz) -> Vec<String> {
    let (kind, score, reasons, text) = match &a.value {
        AnswerValue::Nps { score, reason } => ("nps", Some(*score), String::new(), reason.clone()),
        AnswerValue::Csat { score } => ("csat", Some(*score), String::new(), None),
        AnswerValue::ChurnReason { reasons, other } => {
            ("churn_reason", None, reasons.join(" "), other.clone())
        }
    };
    vec![
        a.answered_at.with_timezone(&zone).to_rfc3339(),
        cell(&a.survey),
        kind.into(),
        score.map(|s| s.to_string()).unwrap_or_default(),
        cell(&reasons),
        cell(text.as_deref().unwrap_or("")),
        a.channel.as_str().into(),
        cell(a.store.as_deref().unwrap_or("")),
        cell(a.customer_ref.as_deref().unwrap_or("")),
        cell(a.order_ref.as_deref().unwrap_or("")),
        a.follow_up
            .as_ref()
            .map(|f| f.status.as_str().to_string())
            .unwrap_or_default(),
        cell(a.follow_up.as_ref().map_or("", |f| f.note.as_str())),
        a.id.to_string(),
        // Last: a column added after the others (a reader by position keeps its place).
        a.verified.to_string(),
    ]
}

pub const WIN_BACK_HEADER: [&str; 12] = [
    "customer_ref",
    "segment",
    "last_purchase",
    "days_since",
    "purchases",
    "total",
    "points",
    "tier",
    "r_f_m",
    "last_nps",
    "last_csat",
    "last_churn_reasons",
];

pub fn win_back_row(w: &WinBackEntry) -> Vec<String> {
    vec![
        cell(&w.customer_ref),
        w.segment.as_str().into(),
        w.last_purchase.to_string(),
        w.rfm.recency_days.to_string(),
        w.rfm.frequency.to_string(),
        money(w.total_cents),
        w.points.to_string(),
        cell(&w.tier),
        format!("{}{}{}", w.rfm.r, w.rfm.f, w.rfm.m),
        w.last_nps.map(|s| s.to_string()).unwrap_or_default(),
        w.last_csat.map(|s| s.to_string()).unwrap_or_default(),
        cell(&w.last_churn_reasons.join(" ")),
    ]
}

/// A file's first line: a UTF-8 byte order mark, then the column names. The
/// mark is how Excel knows the file is UTF-8 (without it, a double-clicked
/// file shows Cyrillic as garbage); CSV readers skip it, and so does the import.
fn header(names: &[&str]) -> Bytes {
    let mut line = "\u{feff}".as_bytes().to_vec();
    line.extend(csv_line(
        &names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
    ));
    Bytes::from(line)
}

/// `header_line`, then each page of `pages` as CSV rows; an error (also an
/// export cut short) ends the stream with it, so the download fails instead of
/// passing for whole.
fn csv_pages<T: Send + 'static>(
    header_line: Bytes,
    pages: ExportPages<T>,
    row: impl Fn(T) -> Vec<String> + Send + 'static,
) -> impl Stream<Item = Result<Bytes, DbError>> {
    let rows = snapshot::rows(pages).map(move |page| {
        page.map(|items| {
            let mut chunk = Vec::new();
            for item in items {
                chunk.extend(csv_line(&row(item)));
            }
            Bytes::from(chunk)
        })
    });
    futures_util::stream::once(std::future::ready(Ok(header_line))).chain(rows)
}

/// Every customer matching `query` (its paging ignored), as CSV, read from one
/// snapshot of the store.
pub async fn customers_csv(
    db: Arc<dyn Database>,
    shop: Shop,
    query: CustomerQuery,
) -> Result<impl Stream<Item = Result<Bytes, DbError>>, DbError> {
    let summaries = Summaries::of(db.as_ref(), &shop).await?;
    let pages = db.export_customers(&shop.id, query).await?;
    Ok(csv_pages(header(&CUSTOMER_HEADER), pages, move |c| {
        customer_row(&summaries.summary(&c))
    }))
}

/// Every answer matching `query` (its paging ignored), as CSV, read from one
/// snapshot of the store.
pub async fn answers_csv(
    db: Arc<dyn Database>,
    shop: &Shop,
    query: AnswerQuery,
) -> Result<impl Stream<Item = Result<Bytes, DbError>> + use<>, DbError> {
    let pages = db.export_answers(&shop.id, query).await?;
    let zone = shop.time_zone;
    Ok(csv_pages(header(&ANSWER_HEADER), pages, move |a| {
        answer_row(&answer_item(a), zone)
    }))
}

/// The win-back list as CSV (computed whole: it is a ranking).
pub fn win_back_csv(entries: &[WinBackEntry]) -> Vec<u8> {
    let mut out = header(&WIN_BACK_HEADER).to_vec();
    for e in entries {
        out.extend(csv_line(&win_back_row(e)));
    }
    out
}

/// One row of a bulk request for personal links (`owner/links.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub customer_ref: String,
    pub order_ref: Option<String>,
    pub last_purchase: Option<chrono::NaiveDate>,
    pub url: Option<String>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why this customer has no link.
    pub error: Option<String>,
}

pub const LINK_HEADER: [&str; 6] = [
    "customer_ref",
    "order_ref",
    "last_purchase",
    "url",
    "expires_at",
    "error",
];

/// The links' rows, their expiry in the shop's time zone (as an answer's time).
pub fn links_csv(rows: &[LinkRow], zone: Tz) -> Vec<u8> {
    let mut out = header(&LINK_HEADER).to_vec();
    for r in rows {
        out.extend(csv_line(&[
            cell(&r.customer_ref),
            r.order_ref.as_deref().map(cell).unwrap_or_default(),
            r.last_purchase.map(|d| d.to_string()).unwrap_or_default(),
            r.url.clone().unwrap_or_default(),
            r.expires_at
                .map(|t| t.with_timezone(&zone).to_rfc3339())
                .unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_money_has_two_decimals() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("\n@SUM(A1)"), "'\n@SUM(A1)");
        assert_eq!(cell("great coffee"), "great coffee");
        // Where a spreadsheet splitting by `;` or tabs, or a line break, would
        // begin a cell.
        assert_eq!(cell("ok;=1+1"), "ok;'=1+1");
        assert_eq!(cell("a;  -5\tb\t@x"), "a;  '-5\tb\t'@x");
        assert_eq!(
            cell("Pros:\n- fast\r\n+ cheap"),
            "Pros:\n'- fast\r\n'+ cheap"
        );
        assert_eq!(cell("\n=1;=2"), "'\n=1;'=2", "one mark each");
        assert_eq!(cell("1-2; 3 = 3"), "1-2; 3 = 3");
        assert_eq!(money(1205), "12.05");
        assert_eq!(
            String::from_utf8(csv_line(&["a,b".into(), "c\"d".into()])).unwrap(),
            "\"a,b\",\"c\"\"d\"\n"
        );
    }
}
