//! How the dashboard reads the fields of its forms and links. A filter reads
//! forgivingly: a field left empty (a filter form sends `from=` for a date not
//! filled in) counts as not given, and a value a hand-edited address makes
//! unreadable (or past a limit) is not used: the page shows its default
//! instead of a bare error, and says which it did not use ([`NotUsed`]). A
//! form that saves says what did not read ([`Unread`]).

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::fmt::Display;
use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::Uri;
use axum::http::request::Parts;
use kept_shared::{FieldError, FieldProblem};
use maud::{Markup, html};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::i18n::Lang;

/// The filters in a page's address that it did not use (a date that is no
/// date, a range past the longest report, a period it does not know, a search
/// with control characters): each is left at its default, and the page says
/// which, as typed ([`NotUsed::notice`]), rather than a bare error or silence.
#[derive(Debug, Default)]
pub struct NotUsed(Vec<(String, String)>);

impl NotUsed {
    /// Longest part of a value the notice repeats.
    const SHOWN_CHARS: usize = 40;

    /// Everything repeated in the address ([`Filters`]) is not used.
    pub fn repeated(filters: &[(String, String)]) -> NotUsed {
        let mut not_used = NotUsed::default();
        for (field, typed) in filters {
            not_used.add(field, typed);
        }
        not_used
    }

    /// The filter `field`, typed as `typed`, is not used. A control character
    /// in it is shown as �, so that it is seen.
    pub fn add(&mut self, field: &str, typed: &str) {
        let field = field.chars().take(Self::SHOWN_CHARS).collect();
        let shown = typed
            .chars()
            .take(Self::SHOWN_CHARS)
            .map(|c| {
                if c.is_control() {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect();
        self.0.push((field, shown));
    }

    /// `typed` (the filter `field`) as `read` reads it; none where it is
    /// empty, and none, noted, where it does not read.
    pub fn read<T>(
        &mut self,
        field: &str,
        typed: Option<&str>,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let text = typed.map(str::trim).filter(|t| !t.is_empty())?;
        let value = read(text);
        if value.is_none() {
            self.add(field, text);
        }
        value
    }

    /// The page's word on what it did not use, in `lang`; nothing when it used all.
    pub fn notice(&self, lang: Lang) -> Markup {
        html! {
            @if !self.0.is_empty() {
                p class="not-used" role="status" data-testid="filters-not-used" {
                    (lang.texts().filters_not_used) " "
                    @for (i, (field, typed)) in self.0.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (field) } " " (lang.quoted(typed))
                    }
                    "."
                }
            }
        }
    }
}

/// A page's filters as its address gives them: the first value of each, the
/// ones repeated after it apart (a hand-edited address may say `from` twice,
/// which axum's `Query` refuses with a bare 400), for the page to say it did
/// not use them ([`NotUsed::repeated`]). Never refused: an address whose
/// filters do not read at all gets the page's defaults.
pub struct Filters<T> {
    pub given: T,
    pub repeated: Vec<(String, String)>,
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequestParts<S> for Filters<T> {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let mut first = url::form_urlencoded::Serializer::new(String::new());
        let mut seen = HashSet::new();
        let mut repeated = Vec::new();
        let query = parts.uri.query().unwrap_or_default();
        for (field, value) in url::form_urlencoded::parse(query.as_bytes()) {
            // An empty field is one not given (a filter form sends `from=`
            // for a date not filled in): the first value given is used.
            if value.trim().is_empty() {
                continue;
            }
            if seen.insert(field.clone()) {
                first.append_pair(&field, &value);
            } else {
                repeated.push((field.into_owned(), value.into_owned()));
            }
        }
        let given = format!("/?{}", first.finish())
            .parse::<Uri>()
            .ok()
            .and_then(|uri| Query::<T>::try_from_uri(&uri).ok())
            .map(|Query(given)| given)
            .unwrap_or_default();
        Ok(Filters { given, repeated })
    }
}

/// A reference (a survey's, a store's) as typed, or none (and noted) where
/// the shared rule refuses it.
pub fn reference(not_used: &mut NotUsed, field: &str, typed: Option<&str>) -> Option<String> {
    not_used.read(field, typed, |s| {
        kept_shared::validate::validate_ref(field, s)
            .is_ok()
            .then(|| s.to_string())
    })
}

/// Where a list's page starts (`offset`, a count of rows): the first page
/// where none is given, and where what is given is no count (noted).
pub fn offset(not_used: &mut NotUsed, typed: Option<&str>) -> u64 {
    not_used
        .read("offset", typed, |t| t.parse().ok())
        .unwrap_or(0)
}

/// A search as typed, or none (and noted) where it holds a control character
/// (a tab, a line break, a NUL) or bytes that were not UTF-8 text, as the
/// owner API refuses such a search with a 400.
pub fn search(not_used: &mut NotUsed, typed: Option<&str>, max_chars: usize) -> Option<String> {
    not_used.read("q", typed, |q| {
        (!q.chars()
            .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER))
        .then(|| q.chars().take(max_chars).collect())
    })
}

/// The fields of a form that saves (settings, a survey) that do not read (a
/// number that is none, labels that are no pairs): each the owner's to mend,
/// so an error naming what was typed, and the field shows it again, never a
/// stand-in.
#[derive(Debug, Default)]
pub struct Unread {
    typed: BTreeMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl Unread {
    /// `text`, the field at `path`, as a whole number; else `stand_in` (so the
    /// other rules can still be checked), and the error.
    pub fn number<T: FromStr>(&mut self, path: &str, text: &str, stand_in: T) -> T {
        let text = text.trim();
        match text.parse() {
            Ok(n) => n,
            Err(_) => {
                let problem = if text.is_empty() {
                    FieldProblem::Empty
                } else {
                    FieldProblem::NotAWholeNumber {
                        value: text.to_string(),
                    }
                };
                self.errors.push(FieldError::new(path, problem));
                self.typed.insert(path.to_string(), text.to_string());
                stand_in
            }
        }
    }

    /// The field at `path` did not read (as `problem`): shown again as `typed`.
    pub fn refuse(&mut self, path: &str, typed: &str, problem: FieldProblem) {
        self.errors.push(FieldError::new(path, problem));
        self.keep_typed(path, typed);
    }

    /// Shows `text` again in the field at `path`, in place of what it was read as
    /// (a number too large for its field, read as the largest it holds).
    pub fn keep_typed(&mut self, path: &str, text: &str) {
        self.typed.insert(path.to_string(), text.trim().to_string());
    }

    /// The type of the number field at `path`: text while it shows what was
    /// typed and did not read (a number field would show it empty).
    pub fn number_type(&self, path: &str) -> &'static str {
        if self.typed.contains_key(path) {
            "text"
        } else {
            "number"
        }
    }

    /// What the field at `path` shows: what was typed if it did not read, else `value`.
    pub fn shown(&self, path: &str, value: impl Display) -> String {
        self.typed
            .get(path)
            .cloned()
            .unwrap_or_else(|| value.to_string())
    }

    /// These errors, then those of `checked` for the other fields (a stand-in's
    /// own breaking of a rule is not the owner's).
    pub fn with(&self, checked: Vec<FieldError>) -> Vec<FieldError> {
        let mut all = self.errors.clone();
        all.extend(
            checked
                .into_iter()
                .filter(|e| !self.errors.iter().any(|unread| unread.field == e.field)),
        );
        all
    }
}

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

/// The first value of the field `name` of a form read as a list of fields
/// (one whose fields repeat, as a table's rows do); none where it is not sent.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
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
