//! How an answer maps to typed columns and back, the same for both engines.

use kept_shared::{AnswerValue, Channel, WidgetEventKind};

use super::{CustomerSort, DbError};

/// A list's page as SQL takes it, `LIMIT … OFFSET …`, the same for both
/// engines: `limit` 0 reads to the end, written as the engine writes no limit
/// (`no_limit`: PostgreSQL's `ALL`, SQLite's `-1`). SQL's numbers are signed
/// 64-bit integers: an offset past that is past the end of any list, so it
/// reads an empty page, not an error.
pub fn sql_page(limit: u64, offset: u64, no_limit: &str) -> String {
    let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let offset = signed(offset);
    match limit {
        0 => format!("LIMIT {no_limit} OFFSET {offset}"),
        n => format!("LIMIT {} OFFSET {offset}", signed(n)),
    }
}

/// The typed columns of an answer's value: score, free text, reasons.
pub fn columns(value: &AnswerValue) -> (Option<u8>, Option<&str>, &[String]) {
    match value {
        AnswerValue::Nps { score, reason } => (Some(*score), reason.as_deref(), &[]),
        AnswerValue::Csat { score } => (Some(*score), None, &[]),
        AnswerValue::ChurnReason { reasons, other } => (None, other.as_deref(), reasons),
    }
}

/// Rebuilds an answer's value from its typed columns.
pub fn value_of(
    kind: &str,
    score: Option<u8>,
    text: Option<String>,
    reasons: Vec<String>,
) -> Result<AnswerValue, DbError> {
    Ok(match (kind, score) {
        ("nps", Some(score)) => AnswerValue::Nps {
            score,
            reason: text,
        },
        ("csat", Some(score)) => AnswerValue::Csat { score },
        ("churn_reason", None) => AnswerValue::ChurnReason {
            reasons,
            other: text,
        },
        _ => {
            return Err(DbError::internal(anyhow::anyhow!(
                "a stored {kind} answer has score {score:?}"
            )));
        }
    })
}

pub fn channel_of(name: &str) -> Result<Channel, DbError> {
    Channel::parse(name)
        .ok_or_else(|| DbError::internal(anyhow::anyhow!("a stored row has channel {name:?}")))
}

/// Free text as it is searched: lower case, Unicode-aware (the engines' own
/// `lower()` differ; SQLite's only knows ASCII), so both find the same answers.
pub fn fold_text(text: &str) -> String {
    text.to_lowercase()
}

/// A `LIKE` pattern (with `ESCAPE '\\'`) matching text that contains `word`.
pub fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The words of a search, folded: each must appear in the text.
pub fn search_words(text: &str) -> Vec<String> {
    fold_text(text)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The ORDER BY of a customer list (customers without purchases last).
pub fn customer_order(sort: CustomerSort, descending: bool) -> String {
    let column = match sort {
        CustomerSort::LastPurchase => "last_day",
        CustomerSort::FirstPurchase => "first_day",
        CustomerSort::Total => "total_cents",
        CustomerSort::Purchases => "purchases",
        CustomerSort::Points => "points",
        CustomerSort::Reference => "customer_ref",
    };
    let dir = if descending { "DESC" } else { "ASC" };
    format!("{column} IS NULL, {column} {dir}, customer_ref {dir}")
}

/// How a widget event's kind is stored.
pub fn event_kind(kind: WidgetEventKind) -> &'static str {
    match kind {
        WidgetEventKind::Shown => "shown",
        WidgetEventKind::Skipped => "skipped",
    }
}

pub fn event_kind_of(name: &str) -> Result<WidgetEventKind, DbError> {
    match name {
        "shown" => Ok(WidgetEventKind::Shown),
        "skipped" => Ok(WidgetEventKind::Skipped),
        other => Err(DbError::internal(anyhow::anyhow!(
            "a stored widget event is {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_fold_case_in_every_script_and_escape_like() {
        assert_eq!(fold_text("Кава ЗАСТАРА, Café"), "кава застара, café");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(search_words("  Slow  DELIVERY "), ["slow", "delivery"]);
    }

    #[test]
    fn a_page_reads_to_the_end_without_a_limit_and_never_overflows() {
        assert_eq!(sql_page(0, 0, "ALL"), "LIMIT ALL OFFSET 0");
        assert_eq!(sql_page(0, 40, "-1"), "LIMIT -1 OFFSET 40");
        assert_eq!(sql_page(20, 40, "-1"), "LIMIT 20 OFFSET 40");
        let max = i64::MAX;
        assert_eq!(
            sql_page(u64::MAX, u64::MAX, "ALL"),
            format!("LIMIT {max} OFFSET {max}")
        );
    }
}
