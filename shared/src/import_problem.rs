//! What can be wrong with an import: its file, or one of its rows. Each problem
//! is a code with its details, so the API can say it in words (English, its
//! `Display`) and the dashboard in the owner's language from the same facts.

use serde::{Deserialize, Serialize};

use crate::validate::ValidationError;

/// One problem of an import. Serialised as `"code"` with the details beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ImportProblem {
    #[error("an import may hold at most {max} purchases")]
    TooManyRows { max: u64 },
    #[error(
        "the file is not UTF-8 and was read as Windows-1251: if its columns are not found, save \
         it as \"CSV UTF-8\""
    )]
    ReadAsWindows1251,
    #[error("the header row cannot be read: {detail}")]
    HeaderUnreadable { detail: String },
    #[error("the header names this field in more than one column ({}): keep one", columns.join(", "))]
    ColumnRepeated { columns: Vec<String> },
    #[error("the header has no column for this field (name it {})", names.join(" or "))]
    ColumnMissing { names: Vec<String> },
    #[error("the row cannot be read: {detail}")]
    RowUnreadable { detail: String },
    /// `separator`: the file's, as read (`,`, `;` or a tab): the advice
    /// is its own for each (a file separated by semicolons had been advised
    /// to be one).
    #[error(
        "the row has {values} values for the header's {columns} columns: {}",
        match separator.as_str() {
            "," => "a value with a comma (12,50) needs quotes (\"12,50\"), or a file separated by semicolons",
            "\t" => "a value with a tab in it needs quotes",
            _ => "a value with a semicolon in it needs quotes",
        }
    )]
    TooManyValues {
        values: u64,
        columns: u64,
        separator: String,
    },
    /// Where the reader stopped: line and column count from 1.
    #[error("the file is not JSON: {detail}")]
    NotJson {
        detail: String,
        line: u64,
        column: u64,
    },
    #[error("expected an array of purchases, or {{\"purchases\": [...]}}")]
    NotAList,
    #[error("a purchase is an object: {{\"customer_ref\": ..., \"purchase_id\": ..., ...}}")]
    NotAnObject,
    #[error("the value is missing")]
    Missing,
    #[error("{value} is not text")]
    NotText { value: String },
    #[error("the value is empty")]
    Empty,
    #[error("the value is {len} characters long, the most is {max}")]
    TooLong { len: u64, max: u64 },
    #[error("the value may hold only letters, digits and - _ . : @")]
    BadCharacters,
    #[error("the value cannot be . or ..")]
    DotsOnly,
    #[error("the amount is missing")]
    AmountMissing,
    #[error("give the amount or amount_cents, not both")]
    AmountTwice,
    #[error("{value:?} is not an amount like 12.50")]
    NotAnAmount { value: String },
    #[error("{value:?} is not a whole number of cents")]
    NotCents { value: String },
    #[error(
        "{value:?} is below zero: an amount is what the customer paid (a refund is no purchase)"
    )]
    NegativeAmount { value: String },
    #[error("the amount is over the limit of {max_cents} cents")]
    AmountTooLarge { max_cents: u64 },
    #[error("the purchase's points cannot be computed within the limits")]
    PointsTooLarge,
    #[error(
        "{value:?} is neither a date (2026-03-01, 01.03.2026) nor a time (2026-03-01T10:30:00Z, \
         2026-03-01 10:30 in the shop's time zone)"
    )]
    NotATime { value: String },
    #[error("{value:?} has no noon in the shop's time zone")]
    NoNoon { value: String },
    #[error(
        "{value} is not between {min_year}-01-01 and tomorrow (at most {max_year}) in the shop's time zone"
    )]
    TimeOutOfRange {
        value: String,
        min_year: i32,
        max_year: i32,
    },
    #[error(
        "purchase {purchase_id:?} is on row {first_row} with another customer, amount, day or store"
    )]
    RepeatedPurchase { purchase_id: String, first_row: u64 },
    #[error(
        "purchase {purchase_id:?} is recorded already with another customer, amount, day or store"
    )]
    RecordedOtherwise { purchase_id: String },
    #[error(
        "the import stopped after storing {stored} of its {total_rows} rows: {why}. What is \
         stored stays; once that is dealt with, sending the same file again finishes it (what \
         is stored counts as duplicates)"
    )]
    Interrupted {
        stored: u64,
        total_rows: u64,
        why: String,
    },
    #[error("the value is not valid: {detail}")]
    Invalid { detail: String },
    /// A code this version does not know (a newer server's): its `message`
    /// says it in English.
    #[serde(other)]
    #[error("a problem this version does not know")]
    Unknown,
}

impl ImportProblem {
    /// A reference's problem (customer, purchase or store), from its check.
    pub fn of_reference(error: ValidationError) -> ImportProblem {
        match error {
            ValidationError::Empty { .. } => ImportProblem::Empty,
            ValidationError::TooLong { len, max, .. } => ImportProblem::TooLong {
                len: len as u64,
                max: max as u64,
            },
            ValidationError::BadCharacters { .. } => ImportProblem::BadCharacters,
            ValidationError::DotsOnly { .. } => ImportProblem::DotsOnly,
            other => ImportProblem::Invalid {
                detail: other.to_string(),
            },
        }
    }
}
