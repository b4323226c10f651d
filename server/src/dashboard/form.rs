//! How the dashboard reads the fields of its forms and links: forgivingly. A
//! field left empty (a filter form sends `from=` for a date not filled in), or a
//! value a hand-edited address makes unreadable, counts as not given, so the
//! page shows its default instead of a bare error.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "form::optional")]`: the field's
/// value, or none when it is empty or unreadable.
pub fn optional<'de, D, T>(field: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
{
    let text = Option::<String>::deserialize(field)?;
    Ok(text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse().ok()))
}

/// A range's ends in order: given the wrong way round, they are swapped.
pub fn in_order<T: PartialOrd>(from: Option<T>, to: Option<T>) -> (Option<T>, Option<T>) {
    match (from, to) {
        (Some(from), Some(to)) if from > to => (Some(to), Some(from)),
        ends => ends,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Range {
        #[serde(default, deserialize_with = "optional")]
        from: Option<NaiveDate>,
        #[serde(default, deserialize_with = "optional")]
        offset: Option<u64>,
    }

    #[test]
    fn an_empty_or_unreadable_field_is_not_given() {
        let read = |q: &str| {
            let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap();
            axum::extract::Query::<Range>::try_from_uri(&uri).unwrap().0
        };
        let day = NaiveDate::from_ymd_opt(2026, 3, 1);
        assert_eq!(read("from=2026-03-01&offset=50").from, day);
        assert_eq!(read("from=2026-03-01&offset=50").offset, Some(50));
        for q in ["from=&offset=", "from=2026-13-01&offset=x", "", "from=%20"] {
            let r = read(q);
            assert_eq!((r.from, r.offset), (None, None), "{q}");
        }
    }
}
