//! Importing an existing customer base: customers with their past purchases, as
//! CSV or JSON. Every row is checked first; with any bad row nothing is imported
//! and the report says which rows and why. A clean file is written in chunks,
//! idempotent on purchase id (a re-import stores nothing twice).

use crate::shortened::{SHOWN_CHARS, shortened};
use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use kept_shared::limits::{MAX_PURCHASE_CENTS, MAX_YEAR, MIN_YEAR};
use kept_shared::validate::validate_ref;
use kept_shared::{IgnoredField, ImportProblem, ImportReport, ImportRow, ImportRowError};
use serde_json::Value;

use crate::calendar::{local_day, purchase_time_allowed};
use crate::db::{Database, Db, DbError, ImportOutcome, KnownPurchase, NewPurchase, Progress, Shop};
use crate::loyalty::points_earned;

/// Largest import file, in bytes (a million purchases of CSV fit).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// Most purchases one import may hold.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;
/// Most bad rows listed in a report (all are counted).
pub const MAX_LISTED_ERRORS: usize = 100;
/// Most columns (JSON keys) not read, and most stores not set up, that a
/// report lists.
pub const MAX_LISTED_NAMES: usize = 50;

/// The names a CSV header may give each field, the first the field's own.
const CUSTOMER: &[&str] = &["customer_ref", "customer"];
const PURCHASE: &[&str] = &["purchase_id", "order_id", "order"];
const AMOUNT: &[&str] = &["amount", "amount_cents"];
const AT: &[&str] = &["purchased_at", "date"];
const STORE: &[&str] = &["store"];
/// Every column name a CSV file's header may use.
const CSV_COLUMNS: &[&[&str]] = &[CUSTOMER, PURCHASE, AMOUNT, AT, STORE];
/// Each field's own name: the one a report names it by, and a JSON
/// purchase's key for it (the amount has two, in units or in cents).
const CUSTOMER_REF: &str = CUSTOMER[0];
const PURCHASE_ID: &str = PURCHASE[0];
const AMOUNT_IN_UNITS: &str = AMOUNT[0];
const AMOUNT_IN_CENTS: &str = AMOUNT[1];
const PURCHASED_AT: &str = AT[0];
const STORE_ID: &str = STORE[0];
/// Every key a JSON purchase may have, by field (`json_fields` reads them).
const JSON_FIELDS: &[&[&str]] = &[
    &[CUSTOMER_REF],
    &[PURCHASE_ID],
    &[AMOUNT_IN_UNITS, AMOUNT_IN_CENTS],
    &[PURCHASED_AT],
    &[STORE_ID],
];

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// Rows read from a file, each with its row number, and the bad ones.
pub struct Parsed {
    pub rows: Vec<(u64, ImportRow)>,
    pub errors: Vec<ImportRowError>,
    /// Purchase rows read, good or bad (a row may have several problems).
    pub read: u64,
    /// Columns (JSON keys) not read, each once.
    pub ignored: Vec<IgnoredField>,
}

impl Parsed {
    /// Notes `name`, a column (a JSON key) that is none of the names of
    /// `fields` (each field's names), once, up to [`MAX_LISTED_NAMES`] of
    /// them, with the field it may be a slip for among those the file (this
    /// purchase) does not have: `present(n)` says whether it has the name `n`.
    fn ignore(
        &mut self,
        name: &str,
        as_written: &str,
        fields: &[&[&str]],
        present: impl Fn(&str) -> bool,
    ) {
        if name.is_empty()
            || self.ignored.len() >= MAX_LISTED_NAMES
            || fields.iter().any(|names| names.contains(&name))
        {
            return;
        }
        let name_shown = shortened(as_written);
        if self
            .ignored
            .iter()
            .any(|f| f.name.to_lowercase() == name_shown.to_lowercase())
        {
            return;
        }
        let absent: Vec<&str> = fields
            .iter()
            .filter(|names| !names.iter().any(|n| present(n)))
            .flat_map(|names| names.iter().copied())
            .collect();
        self.ignored.push(IgnoredField {
            name: name_shown.into_owned(),
            like: nearest(name, &absent),
        });
    }
}

/// The one of `known` that `name` may be a slip of the keyboard for: at most
/// one letter apart (inserted, left out, changed, or two swapped), or two
/// for a name of six letters or more, the nearest. `name` (a customer's name)
/// is no slip for `date`, two letters from it.
fn nearest(name: &str, known: &[&str]) -> Option<String> {
    let name: Vec<char> = name.chars().take(SHOWN_CHARS + 1).collect();
    let allowed = (name.len() / 3).clamp(1, 2);
    known
        .iter()
        .map(|k| (k.chars().collect::<Vec<_>>(), k))
        // Names further apart in length are further apart in letters.
        .filter(|(k, _)| k.len().abs_diff(name.len()) <= allowed)
        .map(|(k, known)| (edit_distance(&name, &k), known))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.to_string())
}

/// The fewest letters inserted, left out, changed or swapped with the next
/// that make `a` into `b` (the optimal string alignment distance).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // d[i][j]: from the first i letters of a to the first j of b.
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let changed = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + changed);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Reads a file. CSV needs a header row naming its columns: `customer_ref`,
/// `purchase_id`, `amount` (in currency units, `12.50`) or `amount_cents`,
/// `purchased_at` (RFC 3339, or a date `YYYY-MM-DD` meaning noon of that day in
/// the shop's time zone) and optionally `store`; other columns are not read
/// (`Parsed::ignored` names them).
/// JSON is an array of objects with the same fields (`amount_cents` only).
pub fn parse(body: &[u8], format: Format, shop: &Shop, now: DateTime<Utc>) -> Parsed {
    let mut parsed = Parsed {
        rows: Vec::new(),
        errors: Vec::new(),
        read: 0,
        ignored: Vec::new(),
    };
    match format {
        Format::Csv => parse_csv(body, shop, now, &mut parsed),
        Format::Json => parse_json(body, shop, now, &mut parsed),
    }
    if parsed.read > MAX_IMPORT_ROWS as u64 {
        parsed.errors.insert(
            0,
            ImportRowError::new(
                0,
                None,
                ImportProblem::TooManyRows {
                    max: MAX_IMPORT_ROWS as u64,
                },
            ),
        );
    }
    check_repeated_ids(&mut parsed, shop.time_zone);
    parsed
}

/// The separator of a CSV file's columns: a tab where the header has one
/// (Excel's "Unicode text", which the import had read as one column; its
/// column names may hold a comma, `Сумма, грн`); else a semicolon where it has
/// semicolons and no comma (Excel's "CSV" where a comma is the decimal mark,
/// as in Russian and Ukrainian); else a comma.
fn separator(body: &[u8]) -> u8 {
    let header = body.split(|&b| b == b'\n').next().unwrap_or_default();
    if header.contains(&b'\t') {
        b'\t'
    } else if header.contains(&b';') && !header.contains(&b',') {
        b';'
    } else {
        b','
    }
}

fn parse_csv(body: &[u8], shop: &Shop, now: DateTime<Utc>, out: &mut Parsed) {
    // A file that is not UTF-8 is read as Windows-1251, the legacy encoding of
    // a Russian or Ukrainian spreadsheet's export: what Kept keeps of a row
    // (references, amounts, times) is ASCII by its rules, so other letters
    // can only be in columns it ignores (a customer's name) or in a value it
    // refuses anyway, quoted in its problem as the owner wrote it.
    // A byte order mark says the encoding (Excel's "CSV UTF-8", "Unicode
    // text" in UTF-16), and a stray byte in such a file is one replaced letter.
    let (text, legacy) = match encoding_rs::Encoding::for_bom(body) {
        Some((encoding, bom)) => (encoding.decode_without_bom_handling(&body[bom..]).0, false),
        None => match std::str::from_utf8(body) {
            Ok(text) => (std::borrow::Cow::Borrowed(text), false),
            Err(_) => (
                encoding_rs::WINDOWS_1251
                    .decode_without_bom_handling(body)
                    .0,
                true,
            ),
        },
    };
    let body = text.as_bytes();
    let separator = separator(body);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(separator)
        .from_reader(body);
    // As written (reported so), and as matched.
    let written: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => {
            return out.errors.push(ImportRowError::new(
                1,
                None,
                ImportProblem::HeaderUnreadable {
                    detail: e.to_string(),
                },
            ));
        }
    };
    let headers: Vec<String> = written.iter().map(|h| h.to_lowercase()).collect();
    let named: HashSet<&str> = headers.iter().map(String::as_str).collect();
    for (header, as_written) in headers.iter().zip(&written) {
        out.ignore(header, as_written, CSV_COLUMNS, |n| named.contains(n));
    }
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    // A field named by two columns (twice, by two of its names, or as both
    // amount and amount_cents) would be read from one and the other ignored:
    // which one the owner meant is theirs to say.
    for names in CSV_COLUMNS {
        let name = names[0];
        let found: Vec<String> = headers
            .iter()
            .filter(|h| names.contains(&h.as_str()))
            .cloned()
            .collect();
        if found.len() > 1 {
            out.errors.push(ImportRowError::new(
                1,
                Some(name),
                ImportProblem::ColumnRepeated { columns: found },
            ));
        }
    }
    let customer = column(CUSTOMER);
    let purchase = column(PURCHASE);
    let amount = column(&[AMOUNT_IN_UNITS]);
    let cents = column(&[AMOUNT_IN_CENTS]);
    let at = column(AT);
    let store = column(STORE);
    for (names, found) in [
        (CUSTOMER, customer),
        (PURCHASE, purchase),
        (AT, at),
        (AMOUNT, amount.or(cents)),
    ] {
        if found.is_none() {
            out.errors.push(ImportRowError::new(
                1,
                Some(names[0]),
                ImportProblem::ColumnMissing {
                    names: names.iter().map(|n| n.to_string()).collect(),
                },
            ));
        }
    }
    if !out.errors.is_empty() {
        // Read as Windows-1251 and its columns not found: the encoding may be
        // the cause, said first.
        if legacy {
            out.errors.insert(
                0,
                ImportRowError::new(1, None, ImportProblem::ReadAsWindows1251),
            );
        }
        return;
    }
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 2; // the header is row 1
        out.read += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(ImportRowError::new(
                    row,
                    None,
                    ImportProblem::RowUnreadable {
                        detail: e.to_string(),
                    },
                ));
                continue;
            }
        };
        // A row of empty values (`;;;`: Excel writes one for each formatted
        // empty row under the data) is no purchase, and no problem: skipped.
        if record.iter().all(str::is_empty) {
            out.read -= 1;
            continue;
        }
        // More values than the header names: one value was cut in two (a
        // decimal comma, `12,50`, in a comma-separated file), so which is which
        // cannot be known.
        if record.iter().skip(headers.len()).any(|v| !v.is_empty()) {
            out.errors.push(ImportRowError::new(
                row,
                None,
                ImportProblem::TooManyValues {
                    values: record.len() as u64,
                    columns: headers.len() as u64,
                    separator: char::from(separator).to_string(),
                },
            ));
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_string();
        // One of the two columns (the header check refused both).
        let amount_cents = match (amount, cents) {
            (Some(i), _) if !get(Some(i)).is_empty() => parse_amount(&get(Some(i))),
            (None, Some(i)) => parse_cents(&get(Some(i))),
            _ => Err(ImportProblem::AmountMissing),
        };
        check_row(
            row,
            Fields {
                customer_ref: Ok(get(customer)),
                purchase_id: Ok(get(purchase)),
                amount_cents,
                purchased_at: match get(at).as_str() {
                    "" => Err(ImportProblem::Missing),
                    text => purchase_time(text, shop, now),
                },
                store: Ok(Some(get(store)).filter(|s| !s.is_empty())),
            },
            out,
        );
    }
}

fn parse_json(body: &[u8], shop: &Shop, now: DateTime<Utc>, out: &mut Parsed) {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return out.errors.push(ImportRowError::new(
                0,
                None,
                ImportProblem::NotJson {
                    detail: e.to_string(),
                    line: e.line() as u64,
                    column: e.column() as u64,
                },
            ));
        }
    };
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("purchases") {
            Some(Value::Array(items)) => items,
            _ => {
                return out
                    .errors
                    .push(ImportRowError::new(0, None, ImportProblem::NotAList));
            }
        },
        _ => {
            return out
                .errors
                .push(ImportRowError::new(0, None, ImportProblem::NotAList));
        }
    };
    for (i, item) in items.iter().enumerate() {
        let row = i as u64 + 1;
        out.read += 1;
        if let Some(object) = item.as_object() {
            for key in object.keys() {
                // A key given as null is one the purchase does not have.
                out.ignore(key, key, JSON_FIELDS, |n| {
                    object.get(n).is_some_and(|v| !v.is_null())
                });
            }
        }
        match json_fields(item, shop, now) {
            Some(fields) => check_row(row, fields, out),
            None => out
                .errors
                .push(ImportRowError::new(row, None, ImportProblem::NotAnObject)),
        }
    }
}

/// A JSON value as a problem quotes it: a string as written, anything else
/// as JSON; at most [`SHOWN_CHARS`] characters.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => shortened(s).into_owned(),
        other => shortened(&other.to_string()).into_owned(),
    }
}

/// A JSON purchase's fields, each read on its own, so that each missing or
/// mistyped one is a problem of its own; `None` when it is no object.
fn json_fields(item: &Value, shop: &Shop, now: DateTime<Utc>) -> Option<Fields> {
    let item = item.as_object()?;
    let present = |name: &str| item.get(name).filter(|v| !v.is_null());
    let text = |name: &str| match present(name) {
        None => Err(ImportProblem::Missing),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(ImportProblem::NotText {
            value: shown(other),
        }),
    };
    Some(Fields {
        customer_ref: text(CUSTOMER_REF),
        purchase_id: text(PURCHASE_ID),
        // In cents, or in currency units as CSV gives it (`"12.50"`, `12.5`).
        amount_cents: match (present(AMOUNT_IN_CENTS), present(AMOUNT_IN_UNITS)) {
            (None, None) => Err(ImportProblem::AmountMissing),
            (Some(v), None) => v.as_u64().ok_or_else(|| {
                below_zero(&shown(v)).unwrap_or_else(|| ImportProblem::NotCents { value: shown(v) })
            }),
            (None, Some(v)) => parse_amount(&shown(v)),
            (Some(_), Some(_)) => Err(ImportProblem::AmountTwice),
        },
        // A date without a time is noon of that day in the shop's zone, as in CSV.
        purchased_at: match present(PURCHASED_AT) {
            None => Err(ImportProblem::Missing),
            Some(Value::String(at)) => purchase_time(at, shop, now),
            Some(other) => Err(ImportProblem::NotATime {
                value: shown(other),
            }),
        },
        store: match present(STORE_ID) {
            None => Ok(None),
            Some(_) => text(STORE_ID).map(|s| Some(s).filter(|s| !s.is_empty())),
        },
    })
}

/// An amount below zero (a refund in a till's export) said as such: it had
/// been "not an amount like 12.50".
fn below_zero(text: &str) -> Option<ImportProblem> {
    text.trim_start()
        .starts_with('-')
        .then(|| ImportProblem::NegativeAmount {
            value: text.to_string(),
        })
}

/// A whole number of cents, as typed.
fn parse_cents(text: &str) -> Result<u64, ImportProblem> {
    text.parse::<u64>().map_err(|_| {
        below_zero(text).unwrap_or_else(|| ImportProblem::NotCents {
            value: text.to_string(),
        })
    })
}

/// `12.50` (or `12,50`) currency units as cents.
fn parse_amount(text: &str) -> Result<u64, ImportProblem> {
    if let Some(negative) = below_zero(text) {
        return Err(negative);
    }
    let bad = || ImportProblem::NotAnAmount {
        value: text.to_string(),
    };
    // Thousands apart by a space, as Russian and Ukrainian write them
    // (`1 234,56`, a no-break or a narrow one in a spreadsheet's export): only
    // between groups of three digits, so that `12 50` is no 1 250.
    let mut groups = text.split([' ', '\u{a0}', '\u{202f}']);
    let first = groups.next().unwrap_or_default();
    let mut normalized = first.to_string();
    for group in groups {
        let digits = group.split([',', '.']).next().unwrap_or_default();
        if normalized.contains([',', '.'])
            || digits.len() != 3
            || !digits.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        normalized.push_str(group);
    }
    let normalized = normalized.replace(',', ".");
    let (units, fraction) = normalized.split_once('.').unwrap_or((&normalized, ""));
    if units.is_empty() || fraction.len() > 2 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let units: u64 = units.parse().map_err(|_| bad())?;
    let cents: u64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    units
        .checked_mul(100)
        .and_then(|u| u.checked_add(cents))
        .ok_or_else(bad)
}

/// A purchase's time as typed: read, and within the supported years and at
/// most a day ahead (a refusal quotes it as typed).
fn purchase_time(
    text: &str,
    shop: &Shop,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ImportProblem> {
    let at = parse_time(text, shop)?;
    if !purchase_time_allowed(at, now, shop.time_zone) {
        return Err(ImportProblem::TimeOutOfRange {
            value: text.to_string(),
            min_year: MIN_YEAR,
            max_year: MAX_YEAR,
        });
    }
    Ok(at)
}

/// A time with its offset (RFC 3339); a time of day in the shop's zone
/// (`2026-03-01 10:30`, `01.03.2026 10:30:15`); or a day (`2026-03-01`,
/// `01.03.2026`), noon of it in the shop's zone.
fn parse_time(text: &str, shop: &Shop) -> Result<DateTime<Utc>, ImportProblem> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let value = || text.to_string();
    // Its year in four digits: `01.02.26` had read as the year 26, and was
    // refused as out of range, which said nothing of the cause.
    let date = text.split(char::is_whitespace).next().unwrap_or_default();
    let year = if date.contains('.') {
        date.rsplit('.').next()
    } else {
        date.split('-').next()
    };
    if year.is_none_or(|y| y.len() != 4) {
        return Err(ImportProblem::NotATime { value: value() });
    }
    const LOCAL: [&str; 4] = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
    ];
    if let Some(local) = LOCAL
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    {
        // A time the clocks skip in spring (03:30 when they go from 03:00 to
        // 04:00) is the hour after it, as the till's clock would have shown.
        return [local, local + Duration::hours(1)]
            .iter()
            .find_map(|l| shop.time_zone.from_local_datetime(l).earliest())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| ImportProblem::NotATime { value: value() });
    }
    let day = ["%Y-%m-%d", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .ok_or_else(|| ImportProblem::NotATime { value: value() })?;
    shop.time_zone
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ImportProblem::NoNoon { value: value() })
}

/// A row's fields as read: the amount and the time with their reading's
/// problem, if any.
struct Fields {
    customer_ref: Result<String, ImportProblem>,
    purchase_id: Result<String, ImportProblem>,
    amount_cents: Result<u64, ImportProblem>,
    purchased_at: Result<DateTime<Utc>, ImportProblem>,
    store: Result<Option<String>, ImportProblem>,
}

/// Keeps the row if its fields are good; else lists each problem it has.
fn check_row(row: u64, fields: Fields, out: &mut Parsed) {
    let mut problems = Vec::new();
    let mut fail =
        |field: &str, problem| problems.push(ImportRowError::new(row, Some(field), problem));
    let mut reference = |field: &str, value: &Result<String, ImportProblem>| match value {
        Ok(value) => {
            if let Err(e) = validate_ref(field, value) {
                fail(field, ImportProblem::of_reference(e));
            }
        }
        Err(problem) => fail(field, problem.clone()),
    };
    reference(CUSTOMER_REF, &fields.customer_ref);
    reference(PURCHASE_ID, &fields.purchase_id);
    if !matches!(fields.store, Ok(None)) {
        reference(
            STORE_ID,
            &fields.store.clone().map(Option::unwrap_or_default),
        );
    }
    let amount_cents = match fields.amount_cents {
        Ok(cents) if cents > MAX_PURCHASE_CENTS => Err(ImportProblem::AmountTooLarge {
            max_cents: MAX_PURCHASE_CENTS,
        }),
        read => read,
    }
    .map_err(|problem| fail(AMOUNT_IN_UNITS, problem));
    let purchased_at = fields
        .purchased_at
        .map_err(|problem| fail(PURCHASED_AT, problem));
    let (Ok(customer_ref), Ok(purchase_id), Ok(amount_cents), Ok(purchased_at), Ok(store), true) = (
        fields.customer_ref,
        fields.purchase_id,
        amount_cents,
        purchased_at,
        fields.store,
        problems.is_empty(),
    ) else {
        return out.errors.extend(problems);
    };
    out.rows.push((
        row,
        ImportRow {
            customer_ref,
            purchase_id,
            amount_cents,
            purchased_at,
            store,
        },
    ));
}

/// A row's purchase in what makes it the same purchase when its id comes
/// again (its time's day in the shop's `zone`).
fn details(r: &ImportRow, zone: Tz) -> KnownPurchase {
    KnownPurchase {
        customer_ref: r.customer_ref.clone(),
        amount_cents: r.amount_cents,
        day: local_day(r.purchased_at, zone),
        store: r.store.clone(),
    }
}

/// A purchase id twice in one file must be the same purchase both times.
fn check_repeated_ids(parsed: &mut Parsed, zone: Tz) {
    let mut seen: HashMap<&str, (u64, &ImportRow)> = HashMap::new();
    let mut errors = Vec::new();
    for (row, r) in &parsed.rows {
        match seen.get(r.purchase_id.as_str()) {
            Some((first, earlier)) if !details(earlier, zone).is_same(&details(r, zone), true) => {
                errors.push(ImportRowError::new(
                    *row,
                    Some(PURCHASE_ID),
                    ImportProblem::RepeatedPurchase {
                        purchase_id: r.purchase_id.clone(),
                        first_row: *first,
                    },
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(&r.purchase_id, (*row, r));
            }
        }
    }
    let bad: std::collections::HashSet<u64> = errors.iter().map(|e| e.row).collect();
    parsed.rows.retain(|(row, _)| !bad.contains(row));
    parsed.errors.extend(errors);
    parsed.errors.sort_by_key(|e| e.row);
}

/// Purchases written by one transaction of an import: other writes (answers,
/// other shops' purchases) take their turn between two, so on SQLite's single
/// writer none waits longer than one chunk (about 0.1 s in a release build).
pub const IMPORT_CHUNK: usize = 5_000;

/// Imports a checked file into the shop; `progress` hears how many purchases are
/// written. Refuses the whole file if any row is bad, or if a purchase id is
/// recorded already with other details (the report lists them).
///
/// A clean file is written in chunks of [`IMPORT_CHUNK`] purchases, one
/// transaction each, a customer's purchases in one or (more of them than a
/// chunk holds: a till's "walk-in" customer) several following. If writing stops
/// part-way (the server stopped, or a purchase under one of the file's ids was
/// recorded meanwhile with other details), the chunks written stay; sending the
/// same file again finishes it, since what is stored counts as a duplicate.
/// The file is checked and imported in a task of its own (its reading off the
/// async threads: it is CPU work), which runs to its end even when the client
/// that sent it leaves. Once checked, `progress_of(rows)` gives what hears the
/// purchases written.
pub async fn check_and_import(
    db: Db,
    shop: Shop,
    body: Bytes,
    format: Format,
    progress_of: impl FnOnce(u64) -> Progress + Send + 'static,
) -> Result<ImportReport, ImportFailure> {
    tokio::spawn(async move {
        let checking = shop.clone();
        let parsed =
            tokio::task::spawn_blocking(move || parse(&body, format, &checking, Utc::now()))
                .await
                .map_err(|e| ImportFailure::Store(DbError::internal(e)))?;
        let progress = progress_of(parsed.read);
        import(db.as_ref(), &shop, parsed, progress).await
    })
    .await
    .map_err(|e| ImportFailure::Store(DbError::internal(e)))?
}

async fn import(
    db: &dyn Database,
    shop: &Shop,
    parsed: Parsed,
    progress: Progress,
) -> Result<ImportReport, ImportFailure> {
    let rows = parsed.read;
    let ignored = parsed.ignored;
    let refused = |errors: Vec<ImportRowError>| ImportReport {
        rows,
        error_count: errors.len() as u64,
        errors: errors.into_iter().take(MAX_LISTED_ERRORS).collect(),
        ignored: ignored.clone(),
        ..Default::default()
    };
    if !parsed.errors.is_empty() {
        return Err(ImportFailure::Rows(refused(parsed.errors)));
    }
    let ids = parsed
        .rows
        .iter()
        .map(|(_, r)| r.purchase_id.clone())
        .collect();
    let known = db
        .known_purchases(&shop.id, ids)
        .await
        .map_err(ImportFailure::Store)?;
    let conflicts: Vec<ImportRowError> = parsed
        .rows
        .iter()
        .filter(|(_, r)| {
            known
                .get(&r.purchase_id)
                .is_some_and(|k| !k.is_same(&details(r, shop.time_zone), true))
        })
        .map(|(row, r)| {
            ImportRowError::new(
                *row,
                Some(PURCHASE_ID),
                ImportProblem::RecordedOtherwise {
                    purchase_id: r.purchase_id.clone(),
                },
            )
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(ImportFailure::Conflicts(refused(conflicts)));
    }
    let unknown_stores = not_set_up(db, shop, &parsed.rows)
        .await
        .map_err(ImportFailure::Store)?;
    let mut purchases = Vec::with_capacity(parsed.rows.len());
    // Each purchase id's first row, to name the rows of a conflict found as
    // the chunks are written.
    let mut row_of: HashMap<String, u64> = HashMap::with_capacity(parsed.rows.len());
    for (row, r) in parsed.rows {
        row_of.entry(r.purchase_id.clone()).or_insert(row);
        let Some(points) = points_earned(r.amount_cents, shop.points_per_unit) else {
            return Err(ImportFailure::Rows(refused(vec![ImportRowError::new(
                row,
                Some(AMOUNT_IN_UNITS),
                ImportProblem::PointsTooLarge,
            )])));
        };
        purchases.push(NewPurchase {
            day: local_day(r.purchased_at, shop.time_zone),
            purchase_id: r.purchase_id,
            customer_ref: r.customer_ref,
            amount_cents: r.amount_cents,
            points,
            purchased_at: r.purchased_at,
            store: r.store,
            time_given: true,
        });
    }
    // A customer's purchases in following chunks: each chunk brings their
    // facts up to date from all that is stored, and only the customer a chunk
    // shares with the one before may be counted twice (see `Straddling`).
    purchases.sort_by(|a, b| a.customer_ref.cmp(&b.customer_ref));
    let mut report = ImportReport {
        rows,
        ignored: ignored.clone(),
        unknown_stores,
        ..Default::default()
    };
    let mut straddling = Straddling::default();
    // Progress is told as each chunk commits: what it says is stored.
    for chunk in chunks(purchases, IMPORT_CHUNK) {
        let ends = Ends::of(&chunk);
        let sent: Vec<(String, KnownPurchase)> = chunk
            .iter()
            .map(|p| (p.purchase_id.clone(), KnownPurchase::from(p)))
            .collect();
        let written = db.import_purchases(&shop.id, chunk).await;
        match written {
            Ok(outcome) => {
                report.imported += outcome.imported;
                report.duplicates += outcome.duplicates;
                report.erased += outcome.erased;
                report.customers +=
                    outcome.customers - u64::from(straddling.counted_again(&ends, &outcome));
                progress(report.imported);
            }
            Err(e) => {
                // A purchase under one of the chunk's ids, recorded meanwhile
                // with other details (a till, another import): its rows are
                // named, as the check before writing names them.
                let conflicts = match &e {
                    DbError::Conflict(_) => recorded_meanwhile(db, shop, &sent, &row_of).await,
                    _ => Vec::new(),
                };
                let stored = report.imported + report.duplicates > 0;
                return Err(match (stored, conflicts.is_empty()) {
                    (false, false) => ImportFailure::Conflicts(refused(conflicts)),
                    (false, true) => ImportFailure::Store(e),
                    (true, _) => {
                        report.error_count = conflicts.len() as u64;
                        report.errors = conflicts.into_iter().take(MAX_LISTED_ERRORS).collect();
                        ImportFailure::Interrupted(report, e)
                    }
                });
            }
        }
    }
    Ok(report)
}

/// The stores `rows` name that `shop` has not set up, each once, in the
/// file's order, up to [`MAX_LISTED_NAMES`].
async fn not_set_up(
    db: &dyn Database,
    shop: &Shop,
    rows: &[(u64, ImportRow)],
) -> Result<Vec<String>, DbError> {
    let set_up: HashSet<String> = db
        .stores(&shop.id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut listed = HashSet::new();
    Ok(rows
        .iter()
        .filter_map(|(_, r)| r.store.as_ref())
        .filter(|s| !set_up.contains(*s) && listed.insert(*s))
        .take(MAX_LISTED_NAMES)
        .cloned()
        .collect())
}

/// The rows of `sent` (purchase id, details) whose id the shop now holds
/// with other details.
async fn recorded_meanwhile(
    db: &dyn Database,
    shop: &Shop,
    sent: &[(String, KnownPurchase)],
    row_of: &HashMap<String, u64>,
) -> Vec<ImportRowError> {
    let ids = sent.iter().map(|(id, _)| id.clone()).collect();
    // Unreadable now: the store's error says enough on its own.
    let Ok(known) = db.known_purchases(&shop.id, ids).await else {
        return Vec::new();
    };
    let mut rows: Vec<ImportRowError> = sent
        .iter()
        .filter(|(id, details)| known.get(id).is_some_and(|k| !k.is_same(details, true)))
        .map(|(id, _)| {
            ImportRowError::new(
                row_of.get(id).copied().unwrap_or(0),
                Some(PURCHASE_ID),
                ImportProblem::RecordedOtherwise {
                    purchase_id: id.clone(),
                },
            )
        })
        .collect();
    rows.sort_by_key(|e| e.row);
    rows.dedup_by(|a, b| a.row == b.row);
    rows
}

/// `purchases` (sorted by customer) cut into chunks of `size`, the last one
/// smaller: no transaction is longer than one chunk's, however many purchases
/// one customer has.
fn chunks(purchases: Vec<NewPurchase>, size: usize) -> Vec<Vec<NewPurchase>> {
    let mut chunks = Vec::with_capacity(purchases.len().div_ceil(size));
    let mut purchases = purchases.into_iter().peekable();
    while purchases.peek().is_some() {
        chunks.push(purchases.by_ref().take(size).collect());
    }
    chunks
}

/// A chunk's first and last customer.
struct Ends {
    first: String,
    last: String,
}

impl Ends {
    fn of(chunk: &[NewPurchase]) -> Ends {
        let name = |p: Option<&NewPurchase>| p.map(|p| p.customer_ref.clone()).unwrap_or_default();
        Ends {
            first: name(chunk.first()),
            last: name(chunk.last()),
        }
    }
}

/// A chunk counts the customers it stores purchases for, so a customer whose
/// purchases run across chunks would be counted by each: this remembers the
/// last customer of the chunks so far when they were counted, to take them
/// off the next chunk's count. What was new is the store's word (its
/// transaction saw what was stored meanwhile).
#[derive(Default)]
struct Straddling {
    counted: Option<String>,
}

impl Straddling {
    /// Whether the chunk with `ends` that did `outcome` counted its first
    /// customer again; remembers its last customer for the next chunk.
    fn counted_again(&mut self, ends: &Ends, outcome: &ImportOutcome) -> bool {
        let before = self.counted.as_deref() == Some(ends.first.as_str());
        let again = before && outcome.first_customer_new;
        let last_counted = if ends.last == ends.first {
            before || outcome.first_customer_new
        } else {
            outcome.last_customer_new
        };
        self.counted = last_counted.then(|| ends.last.clone());
        again
    }
}

impl ImportFailure {
    /// Why an import stopped part-way, for its owner: the store's own words for
    /// a refusal (a purchase id taken meanwhile, a customer's points past the
    /// limit), the plain cause of a failure (its details go to the log).
    pub fn why_stopped(error: &DbError) -> String {
        match error {
            DbError::Conflict(m)
            | DbError::LimitExceeded(m)
            | DbError::NotFound(m)
            | DbError::AtCapacity(m) => m.clone(),
            DbError::StorageFull(_) => "the server's disk is full".into(),
            DbError::Unavailable(_) => "the database was busy or unreachable".into(),
            DbError::Internal(_) => "an internal error".into(),
        }
    }

    /// What an interrupted import stored and why it stopped (the report's
    /// file-level problem, row 0, which also says how to finish it).
    pub fn interrupted(report: &ImportReport, error: &DbError) -> ImportProblem {
        ImportProblem::Interrupted {
            stored: report.imported + report.duplicates,
            total_rows: report.rows,
            why: Self::why_stopped(error),
        }
    }
}

/// Why an import stopped.
#[derive(Debug)]
pub enum ImportFailure {
    /// Bad rows, nothing stored: the report lists them.
    Rows(ImportReport),
    /// Purchase ids the shop has recorded with other details,
    /// nothing stored: the report lists the rows.
    Conflicts(ImportReport),
    /// The store refused or failed before anything was stored.
    Store(DbError),
    /// The store refused or failed after some chunks were stored: the report
    /// counts what they hold.
    Interrupted(ImportReport, DbError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Shop {
        Shop {
            id: "s".into(),
            name: "S".into(),
            public_key: "pk".into(),
            allowed_origins: vec![],
            points_per_unit: 1,
            time_zone: chrono_tz::Europe::Kyiv,
            churn_window_days: 90,
            survey_cooldown_days: 7,
            widget_secret: String::new(),
            require_verified: false,
            text_retention_days: 0,
            has_erased_customers: false,
        }
    }

    fn ignored(p: &Parsed) -> Vec<(&str, Option<&str>)> {
        p.ignored
            .iter()
            .map(|f| (f.name.as_str(), f.like.as_deref()))
            .collect()
    }

    #[test]
    fn columns_not_read_are_named_once_with_the_field_a_misspelt_one_is_near() {
        let csv = "customer_ref,purchase_id,amount,purchased_at,stor,name,Name,,x\n\
                   alice,o-1,12.50,2026-03-01,riga,Alice,Alice,,1\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows.len(), 1);
        // Headers are read lower-cased: `Name` is `name`, named once (and no
        // slip for `date`); an empty header is no column.
        assert_eq!(
            ignored(&p),
            [("stor", Some("store")), ("name", None), ("x", None)]
        );
        // Named as the file writes them (they had come back lower-cased).
        let csv = "Customer_Ref;Purchase_ID;Amount;Purchased_At;Имя клиента\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(ignored(&p), [("Имя клиента", None)]);
        // A field the file has is not what another column meant.
        let csv = "customer_ref,customer_nam,purchase_id,amount,purchased_at,stroe,store\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(ignored(&p), [("customer_nam", None), ("stroe", None)]);
        let csv = "customer_ref,purchase_id,amount,purchased_at,stroe\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(ignored(&p), [("stroe", Some("store"))]);

        // A column missing, and the one the owner meant beside it.
        let csv = "customer_ref,purchase_id,amont,purchased_at\nalice,o-1,12.50,2026-03-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(p.errors.len(), 1);
        assert_eq!(ignored(&p), [("amont", Some("amount"))]);
        let csv = "customer_reference,purchased,order_ref,amount,date\nalice,x,o-1,1,2026-03-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(
            ignored(&p),
            [
                ("customer_reference", None),
                // No column of the file names the purchase's id.
                ("purchased", Some("purchase_id")),
                ("order_ref", None)
            ]
        );
    }

    #[test]
    fn a_column_is_no_slip_for_a_field_the_file_has_by_another_name() {
        // The file has a time (purchased_at), a purchase id and a customer:
        // `data`, `orders` and `customers` are columns of their own; it has no
        // store, which `score` may have meant.
        let csv = "customer_ref,purchase_id,amount_cents,purchased_at,rate,data,orders,customers,amounts,score,Имя,имя\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(
            ignored(&p),
            [
                ("rate", None),
                ("data", None),
                ("orders", None),
                ("customers", None),
                ("amounts", None),
                ("score", Some("store")),
                ("Имя", None)
            ]
        );
    }

    #[test]
    fn a_long_column_name_is_repeated_shortened() {
        let long = "x".repeat(100_000);
        let csv = format!("customer_ref,purchase_id,amount,purchased_at,{long}\n");
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(p.ignored.len(), 1);
        assert_eq!(p.ignored[0].name, format!("{}…", "x".repeat(40)));
        assert_eq!(p.ignored[0].like, None);
    }

    #[test]
    fn json_keys_not_read_are_named_once_across_purchases() {
        let json = r#"[
            {"customer_ref": "a", "purchase_id": "o-1", "amount_cents": 100,
             "purchased_at": "2026-03-01", "Store": "riga", "note": "gift"},
            {"customer_ref": "b", "purchase_id": "o-2", "amount_cents": 100,
             "note": "", "purchase_at": "2026-03-01"},
            {"customer_ref": "c", "purchase_id": "o-3", "amount_cents": 100,
             "purchased_at": "2026-03-01", "purchse_at": "2026-03-01"},
            {"customer_ref": "d", "purchase_id": "o-4", "amount": "1.00",
             "purchased_at": "2026-03-01", "store": null, "stor": "riga"}
        ]"#;
        let p = parse(json.as_bytes(), Format::Json, &shop(), Utc::now());
        // The purchase with a misspelt time has none; the one beside the
        // time it has is only not read.
        let errors: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_deref()))
            .collect();
        assert_eq!(errors, [(2, Some("purchased_at"))]);
        assert_eq!(
            ignored(&p),
            [
                ("Store", Some("store")),
                ("note", None),
                ("purchase_at", Some("purchased_at")),
                ("purchse_at", None),
                // A key given as null is one the purchase does not have.
                ("stor", Some("store"))
            ]
        );
    }

    #[test]
    fn at_most_so_many_columns_not_read_are_named() {
        let extra: Vec<String> = (0..MAX_LISTED_NAMES + 10)
            .map(|i| format!("column{i}"))
            .collect();
        let csv = format!(
            "customer_ref,purchase_id,amount,purchased_at,{}\nalice,o-1,1,2026-03-01\n",
            extra.join(",")
        );
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(p.ignored.len(), MAX_LISTED_NAMES);
        assert_eq!(p.ignored[0].name, "column0");
    }

    #[test]
    fn the_edit_distance_counts_letters_inserted_left_out_or_changed() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("store", "store"), 0);
        assert_eq!(d("stor", "store"), 1);
        assert_eq!(d("stroe", "store"), 1, "two letters swapped");
        assert_eq!(d("name", "date"), 2);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("сумма", "сума"), 1);
    }

    #[test]
    fn csv_rows_are_read_with_their_row_numbers_and_every_bad_one_is_named() {
        let csv = "\u{feff}Customer_Ref,purchase_id,amount,purchased_at,store,extra\n\
                   alice,o-1,12.50,2026-03-01,riga,x\n\
                   bob,o-2,7,2026-03-02T10:00:00Z,,y\n\
                   bad ref,o-3,1.00,2026-03-03,,\n\
                   carol,o-4,12.345,2026-03-03,,\n\
                   dave,o-5,1.00,yesterday,,\n\
                   erin,o-1,1.00,2026-03-01,,\n\
                   alice,o-1,12.50,2026-03-01,riga,x\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        let errors: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.row, e.field.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            errors,
            [
                (4, "customer_ref".to_string()),
                (5, "amount".to_string()),
                (6, "purchased_at".to_string()),
                (7, "purchase_id".to_string())
            ]
        );
        assert!(
            p.errors[3].message.contains("row 2"),
            "{}",
            p.errors[3].message
        );
        assert_eq!(
            p.rows.len(),
            3,
            "the same purchase twice is not an error (the import skips it)"
        );
        let (row, alice) = &p.rows[0];
        assert_eq!(
            (*row, alice.amount_cents, alice.store.as_deref()),
            (2, 1250, Some("riga"))
        );
        // Noon in Kyiv (UTC+2 in March) is 10:00 UTC.
        assert_eq!(alice.purchased_at.to_rfc3339(), "2026-03-01T10:00:00+00:00");
        assert_eq!(p.rows[1].1.amount_cents, 700);
    }

    #[test]
    fn a_csv_without_the_needed_columns_says_which() {
        let p = parse(
            b"customer,when\nalice,2026-01-01\n",
            Format::Csv,
            &shop(),
            Utc::now(),
        );
        let fields: Vec<_> = p.errors.iter().filter_map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["purchase_id", "purchased_at", "amount"]);
        assert_eq!(
            p.errors[2].problem,
            ImportProblem::ColumnMissing {
                names: vec!["amount".into(), "amount_cents".into()]
            }
        );
        assert_eq!(
            p.errors[2].message,
            "the header has no column for this field (name it amount or amount_cents)"
        );
        // A field in two columns: which one was meant is the owner's to say.
        let p = parse(
            b"customer_ref,purchase_id,amount,amount_cents,purchased_at,customer\nalice,o-1,12.50,999,2026-01-01,bob\n",
            Format::Csv,
            &shop(),
            Utc::now(),
        );
        let fields: Vec<_> = p.errors.iter().filter_map(|e| e.field.clone()).collect();
        assert_eq!(fields, ["customer_ref", "amount"]);
        assert!(p.rows.is_empty());
    }

    #[test]
    fn a_row_with_several_problems_lists_each_with_its_code() {
        let csv = "customer_ref,purchase_id,amount,purchased_at,store
                   bad ref,o-1,12.345,yesterday,a/b
                   alice,o-2,1.00,2026-03-01,
";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        let listed: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_deref().unwrap(), e.problem.clone()))
            .collect();
        assert_eq!(
            listed,
            [
                (2, "customer_ref", ImportProblem::BadCharacters),
                (2, "store", ImportProblem::BadCharacters),
                (
                    2,
                    "amount",
                    ImportProblem::NotAnAmount {
                        value: "12.345".into()
                    }
                ),
                (
                    2,
                    "purchased_at",
                    ImportProblem::NotATime {
                        value: "yesterday".into()
                    }
                ),
            ]
        );
        assert_eq!((p.rows.len(), p.read), (1, 2), "two rows read");
        // The API's shape: the words, and the code with its details beside them.
        assert_eq!(
            serde_json::to_value(&p.errors[2]).unwrap(),
            serde_json::json!({
                "row": 2,
                "field": "amount",
                "message": "\"12.345\" is not an amount like 12.50",
                "code": "not_an_amount",
                "value": "12.345",
            })
        );
        let back: ImportRowError =
            serde_json::from_value(serde_json::to_value(&p.errors[2]).unwrap()).unwrap();
        assert_eq!(back, p.errors[2]);
    }

    #[test]
    fn json_rows_are_objects_with_cents() {
        let json = r#"[{"customer_ref":"alice","purchase_id":"o-1","amount_cents":1250,"purchased_at":"2026-03-01"},
                       {"customer_ref":"bob","purchase_id":"o-2","amount_cents":-5,"purchased_at":"2026-03-01T00:00:00Z"}]"#;
        let p = parse(json.as_bytes(), Format::Json, &shop(), Utc::now());
        assert_eq!(p.rows.len(), 1);
        assert_eq!(
            (p.errors[0].row, p.errors[0].field.as_deref()),
            (2, Some("amount"))
        );
        assert_eq!(
            p.errors[0].problem,
            ImportProblem::NegativeAmount { value: "-5".into() }
        );
        let p = parse(b"{\"nope\": 1}", Format::Json, &shop(), Utc::now());
        assert_eq!(p.errors.len(), 1);
        // In currency units, as CSV gives them.
        let json = r#"[{"customer_ref":"a","purchase_id":"o-1","amount":"12,50","purchased_at":"2026-03-01"},
                       {"customer_ref":"b","purchase_id":"o-2","amount":1.5,"purchased_at":"2026-03-01"}]"#;
        let p = parse(json.as_bytes(), Format::Json, &shop(), Utc::now());
        let cents: Vec<u64> = p.rows.iter().map(|(_, r)| r.amount_cents).collect();
        assert_eq!(cents, [1250, 150]);
        let both = r#"[{"customer_ref":"a","purchase_id":"o-1","amount":"1","amount_cents":100,"purchased_at":"2026-03-01"}]"#;
        let p = parse(both.as_bytes(), Format::Json, &shop(), Utc::now());
        assert_eq!(p.errors[0].problem, ImportProblem::AmountTwice);
    }

    #[test]
    fn each_missing_or_mistyped_json_field_is_its_own_problem() {
        let json = r#"[{"purchase_id": 17, "amount_cents": "ten", "purchased_at": 20260301, "store": null},
                       "alice,o-1",
                       {"customer_ref": "bob", "purchase_id": "o-2", "amount_cents": 100, "purchased_at": "2026-03-01", "store": ""}]"#;
        let p = parse(json.as_bytes(), Format::Json, &shop(), Utc::now());
        let problems: Vec<(u64, Option<&str>, &ImportProblem)> = p
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_deref(), &e.problem))
            .collect();
        assert_eq!(
            problems,
            [
                (1, Some("customer_ref"), &ImportProblem::Missing),
                (
                    1,
                    Some("purchase_id"),
                    &ImportProblem::NotText { value: "17".into() }
                ),
                (
                    1,
                    Some("amount"),
                    &ImportProblem::NotCents {
                        value: "ten".into()
                    }
                ),
                (
                    1,
                    Some("purchased_at"),
                    &ImportProblem::NotATime {
                        value: "20260301".into()
                    }
                ),
                (2, None, &ImportProblem::NotAnObject),
            ]
        );
        assert_eq!(p.rows.len(), 1, "an empty store is none, as in CSV");
        assert_eq!(p.rows[0].1.store, None);
    }

    fn purchase(customer: &str, id: &str) -> NewPurchase {
        NewPurchase {
            day: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            purchase_id: id.into(),
            customer_ref: customer.into(),
            amount_cents: 100,
            points: 1,
            purchased_at: Utc::now(),
            store: None,
            time_given: true,
        }
    }

    #[test]
    fn chunks_are_of_one_size_whoever_the_purchases_are_of() {
        let purchases: Vec<NewPurchase> = (0..7)
            .map(|i| purchase("walk-in", &i.to_string()))
            .collect();
        let sizes: Vec<usize> = chunks(purchases, 3).iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 1]);
        assert!(chunks(Vec::new(), 3).is_empty());
    }

    #[test]
    fn a_customer_across_chunks_is_counted_once() {
        let ends = |first: &str, last: &str| Ends {
            first: first.into(),
            last: last.into(),
        };
        let outcome = |first_customer_new, last_customer_new| ImportOutcome {
            first_customer_new,
            last_customer_new,
            ..Default::default()
        };
        // "b" runs across three chunks; "c" starts in the third; "d" in the
        // fourth has nothing new there, then new purchases in the last.
        let chunks = [
            (ends("a", "b"), outcome(true, true)),
            (ends("b", "b"), outcome(true, true)),
            (ends("b", "c"), outcome(true, true)),
            (ends("c", "d"), outcome(true, false)),
            (ends("d", "d"), outcome(true, true)),
        ];
        let mut s = Straddling::default();
        let again: Vec<bool> = chunks.iter().map(|(e, o)| s.counted_again(e, o)).collect();
        assert_eq!(again, [false, true, true, true, false]);
        // Nothing new for the shared customer in the chunk before: counted first here.
        let mut s = Straddling::default();
        assert!(!s.counted_again(&ends("a", "b"), &outcome(true, false)));
        assert!(!s.counted_again(&ends("b", "b"), &outcome(false, false)));
        assert!(!s.counted_again(&ends("b", "c"), &outcome(true, true)));
    }

    #[test]
    fn a_semicolon_separated_file_is_read_with_its_decimal_commas() {
        let csv = "customer_ref;purchase_id;amount;purchased_at\nalice;o-1;12,50;2026-03-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows[0].1.amount_cents, 1250);
        // A comma in the header: commas separate, whatever the rows hold.
        let csv = "customer_ref,purchase_id,amount,purchased_at\nalice,o-1,\"12,50\",2026-03-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(p.rows[0].1.amount_cents, 1250);
    }

    #[test]
    fn a_row_with_more_values_than_the_header_is_refused() {
        let csv = "customer_ref,purchase_id,purchased_at,amount\nc,o-1,2026-01-01,12,50\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.rows.is_empty(), "12.00 was imported");
        assert_eq!(
            (p.errors[0].row, &p.errors[0].problem),
            (
                2,
                &ImportProblem::TooManyValues {
                    values: 5,
                    columns: 4,
                    separator: ",".into(),
                }
            )
        );
        assert!(p.errors[0].problem.to_string().contains("\"12,50\""));
        // A file separated by semicolons is not told to be one.
        let csv = "customer_ref;purchase_id;purchased_at;amount\nc;o-1;2026-01-01;12,50;x\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        let said = p.errors[0].problem.to_string();
        assert!(
            said.contains("a semicolon in it needs quotes") && !said.contains("separated by"),
            "{said}"
        );
    }

    #[test]
    fn empty_values_past_the_header_are_no_values() {
        let csv = "customer_ref,purchase_id,amount,purchased_at\nc,o-1,1,2026-01-01,,\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
    }

    #[test]
    fn a_byte_order_mark_says_the_encoding() {
        // Excel's "CSV UTF-8" with one stray byte: still UTF-8, its header read.
        let mut utf8 = b"\xef\xbb\xbfcustomer_ref,purchase_id,amount,purchased_at,name\n".to_vec();
        utf8.extend_from_slice(b"c,o-1,1,2026-01-01,\xff\n");
        let p = parse(&utf8, Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        // "Unicode text": UTF-16 with its mark.
        let text = "customer_ref,purchase_id,amount,purchased_at\nc,o-1,1,2026-01-01\n";
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let p = parse(&utf16, Format::Csv, &shop(), Utc::now());
        assert_eq!(p.rows.len(), 1, "{:?}", p.errors);
        // As Excel writes it: its columns separated by tabs (the import had
        // read the header as one column).
        let text = "customer_ref\tpurchase_id\tamount\tpurchased_at\tСумма, грн\r\nc\to-1\t1 234,50\t01.02.2026\t1 234,50\r\n";
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let p = parse(&utf16, Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].1.amount_cents, 123_450);
        // Neither UTF-8 nor readable columns: the encoding is said first.
        let p = parse(
            b"\xca\xeb\xe8\xe5\xed\xf2;\xd1\xf3\xec\xec\xe0\n",
            Format::Csv,
            &shop(),
            Utc::now(),
        );
        assert_eq!(p.errors[0].problem, ImportProblem::ReadAsWindows1251);
    }

    #[test]
    fn dates_and_amounts_as_russian_and_ukrainian_spreadsheets_write_them() {
        let csv = "customer_ref;purchase_id;amount;purchased_at\n\
                   a;o-1;1 234,56;05.01.2026\n\
                   b;o-2;1\u{a0}000;2026-01-07 10:00\n\
                   c;o-3;7;07.01.2026 10:00:30\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let read: Vec<(u64, String)> = p
            .rows
            .iter()
            .map(|(_, r)| (r.amount_cents, r.purchased_at.to_rfc3339()))
            .collect();
        // The shop's zone is Kyiv: UTC+2 in January.
        assert_eq!(
            read,
            [
                (123_456, "2026-01-05T10:00:00+00:00".to_string()),
                (100_000, "2026-01-07T08:00:00+00:00".to_string()),
                (700, "2026-01-07T08:00:30+00:00".to_string()),
            ]
        );
        // Excel writes a row of empty values for each formatted empty row
        // under the data: no purchase, no problem (it had refused the file).
        let csv = "customer_ref;purchase_id;amount;purchased_at\na;o-1;1;05.01.2026\n;;;\n;;;\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!((p.rows.len(), p.read), (1, 1));
    }

    #[test]
    fn a_year_in_two_digits_is_no_date() {
        let csv = "customer_ref;purchase_id;amount;purchased_at\nx-12;n-12;10;01.02.26\ny;n-13;1;26-02-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        let problems: Vec<&ImportProblem> = p.errors.iter().map(|e| &e.problem).collect();
        assert_eq!(
            problems,
            [
                &ImportProblem::NotATime {
                    value: "01.02.26".into()
                },
                &ImportProblem::NotATime {
                    value: "26-02-01".into()
                }
            ]
        );
    }

    #[test]
    fn a_time_out_of_range_is_quoted_as_typed() {
        let csv = "customer_ref,purchase_id,amount,purchased_at\nc,o-1,1,1899-12-31\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert!(matches!(
            &p.errors[0].problem,
            ImportProblem::TimeOutOfRange { value, .. } if value == "1899-12-31"
        ));
    }

    #[test]
    fn a_reference_of_dots_alone_is_refused() {
        let csv = "customer_ref,purchase_id,amount,purchased_at\n..,o-1,1,2026-03-01\n";
        let p = parse(csv.as_bytes(), Format::Csv, &shop(), Utc::now());
        assert_eq!(
            (p.errors[0].field.as_deref(), &p.errors[0].problem),
            (Some("customer_ref"), &ImportProblem::DotsOnly)
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_says_where_or_why() {
        let p = parse(
            b"[{\"customer_ref\": \n  oops}]",
            Format::Json,
            &shop(),
            Utc::now(),
        );
        match &p.errors[0].problem {
            ImportProblem::NotJson { line, column, .. } => assert_eq!((*line, *column), (2, 3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_in_another_encoding_is_read_for_what_kept_keeps() {
        // Windows-1251: a customer's name in a column Kept ignores.
        let cp1251 = b"customer_ref,name,purchase_id,amount,purchased_at\n\
                       c-1,\xc8\xe2\xe0\xed,o-1,1,2026-03-01\n";
        let p = parse(cp1251, Format::Csv, &shop(), Utc::now());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.rows[0].1.customer_ref, "c-1");
        // A letter outside the rules in a reference: refused by its row.
        let latin1 = b"customer_ref,purchase_id,amount,purchased_at\nj\xfcrgen,o-1,1,2026-03-01\n";
        let p = parse(latin1, Format::Csv, &shop(), Utc::now());
        assert_eq!(
            (p.errors[0].row, &p.errors[0].problem),
            (2, &ImportProblem::BadCharacters)
        );
        // A value refused is quoted as the owner wrote it, in Cyrillic.
        let rubles =
            b"customer_ref,purchase_id,amount,purchased_at\nc,o-1,12.50 \xf0\xf3\xe1.,2026-03-01\n";
        let p = parse(rubles, Format::Csv, &shop(), Utc::now());
        assert_eq!(
            p.errors[0].problem,
            ImportProblem::NotAnAmount {
                value: "12.50 руб.".into()
            }
        );
    }

    #[test]
    fn amounts_are_units_and_cents() {
        assert_eq!(parse_amount("12.5"), Ok(1250));
        assert_eq!(parse_amount("12,05"), Ok(1205));
        assert_eq!(parse_amount("1 234 567,89"), Ok(123_456_789));
        for typo in ["12 50", "1 2 3", "1 234,5 6"] {
            assert!(parse_amount(typo).is_err(), "{typo}");
        }
        assert_eq!(parse_amount("3"), Ok(300));
        for bad in [
            "",
            "1.234",
            "-1",
            "1e3",
            "a.b",
            ".5",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        // A refund in a till's export is said to be below zero.
        for negative in ["-5.00", " -1", "-0,50"] {
            assert_eq!(
                parse_amount(negative),
                Err(ImportProblem::NegativeAmount {
                    value: negative.into()
                })
            );
        }
        assert_eq!(
            parse_cents("-500"),
            Err(ImportProblem::NegativeAmount {
                value: "-500".into()
            })
        );
        assert_eq!(
            parse_cents("5.00"),
            Err(ImportProblem::NotCents {
                value: "5.00".into()
            })
        );
    }
}
