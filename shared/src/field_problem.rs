//! What can be wrong with one field of something the owner sends: the shop's
//! settings, a survey, a webhook, a store, a link. Each problem is a code with
//! its details, so the API can say it in words (English, its `Display`) and the
//! dashboard in the owner's language from the same facts, as an import's
//! problems are ([`crate::ImportProblem`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::ValidationError;

/// What a bound counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A bare number (a percentage has its own unit).
    Number,
    Percent,
    Days,
    Seconds,
    Points,
    Characters,
    Digits,
    Origins,
    Tiers,
    Locales,
    PageRules,
    Reasons,
    Stores,
    Surveys,
    Webhooks,
    Links,
}

impl Unit {
    /// The unit after a number, in English, with its space ("" for a bare number).
    fn suffix(self) -> &'static str {
        match self {
            Unit::Number => "",
            Unit::Percent => "%",
            Unit::Days => " days",
            Unit::Seconds => " seconds",
            Unit::Points => " points",
            Unit::Characters => " characters",
            Unit::Digits => " digits",
            Unit::Origins => " origins",
            Unit::Tiers => " tiers",
            Unit::Locales => " locales",
            Unit::PageRules => " page rules",
            Unit::Reasons => " reasons",
            Unit::Stores => " stores",
            Unit::Surveys => " surveys",
            Unit::Webhooks => " webhooks",
            Unit::Links => " links",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suffix())
    }
}

/// One field's problem. Serialised as `"code"` with the details beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FieldProblem {
    #[error("must not be empty")]
    Empty,
    #[error("is {len} characters long, the most is {max}")]
    TooLong { len: u64, max: u64 },
    #[error("may hold only letters, digits and - _ . : @")]
    BadCharacters,
    #[error("cannot be . or ..")]
    DotsOnly,
    #[error("may not hold control characters")]
    ControlCharacters,
    #[error("{value:?} is not one of the choices")]
    NotAChoice { value: String },
    #[error("{value:?} is not a whole number")]
    NotAWholeNumber { value: String },
    #[error("{min} to {max}{unit}")]
    Range { min: u64, max: u64, unit: Unit },
    #[error("at most {max}{unit}")]
    AtMost { max: u64, unit: Unit },
    /// Written answers' retention: 0 keeps them.
    #[error("0 (keep them) to {max} days")]
    KeepOrDays { max: u64 },
    #[error("{value:?} is not a locale code like en or pt-BR")]
    NotALocale { value: String },
    #[error("{value:?} is not a language and a name, like uk=Золото")]
    NotALabel { value: String },
    #[error(
        "{value:?} must look like https://shop.example.com (scheme, host and an optional port; \
         no path, no *: each site listed on its own)"
    )]
    NotAnOrigin { value: String },
    #[error("{value:?} is not an IANA time zone such as Europe/Kyiv")]
    NotATimeZone { value: String },
    #[error("one tier must start at 0 points")]
    NoTierAtZero,
    #[error("{value:?} is given twice")]
    Repeated { value: String },
    #[error("the default locale needs its texts")]
    DefaultLocaleWithoutTexts,
    #[error("the default language cannot be removed: make another the default first")]
    DefaultLocaleRemoved,
    #[error("a reason needs a label")]
    NoLabel,
    /// A reason without a label in one of its survey's languages: the
    /// survey's visitors in that language would read it in another.
    #[error("a reason needs a label in each of the survey's languages ({locale})")]
    NoLabelIn { locale: String },
    #[error("a {from} survey cannot become a {to} survey: create a new survey instead")]
    KindChanged { from: String, to: String },
    #[error("the shop has a survey {survey:?} already: edit it, or give the new one another id")]
    SurveyExists { survey: String },
    #[error("a path starts with / (like /thank-you)")]
    PathNotAbsolute,
    #[error("no spaces or control characters")]
    PathWithSpaces,
    #[error("only the path: no ?query or #fragment")]
    PathWithQuery,
    #[error("* is a wildcard only in a glob")]
    WildcardOutsideGlob,
    #[error("an http:// or https:// address of at most {max} characters")]
    NotAWebAddress { max: u64 },
    #[error(
        "an address may not hold a user or password: they would go, and be shown, with every \
         delivery"
    )]
    CredentialsInAddress,
    #[error("{host} is a private address: Kept delivers only to public ones")]
    PrivateAddress { host: String },
    #[error(
        "an https:// address: the events carry customers' answers, which must not cross the \
         internet unencrypted"
    )]
    NotHttps,
    #[error("at least one event")]
    NoEvents,
    #[error("the shop has no survey {survey:?}")]
    UnknownSurvey { survey: String },
    #[error("give either customers (a list of references) or lapsed_days")]
    CustomersOrLapsedDays,
    #[error(
        "{count} customers bought last {days} or more days ago; one request makes at most {max} \
         links: ask for more days to narrow them"
    )]
    TooManyLapsed { count: u64, days: u64, max: u64 },
    #[error("{count} customers; one request makes at most {max} links")]
    TooManyCustomers { count: u64, max: u64 },
    /// What no other code says: the English words only.
    #[error("{detail}")]
    Invalid { detail: String },
    /// A code this version does not know (a newer server's): read as this,
    /// so the rest of the error still reads; its `message` says it in English.
    #[serde(other)]
    #[error("a problem this version does not know")]
    Unknown,
}

impl FieldProblem {
    /// A reference's problem (an id, a customer, a survey), from its check.
    pub fn of_reference(error: ValidationError) -> FieldProblem {
        match error {
            ValidationError::Empty { .. } => FieldProblem::Empty,
            ValidationError::TooLong { len, max, .. } => FieldProblem::TooLong {
                len: len as u64,
                max: max as u64,
            },
            ValidationError::BadCharacters { .. } => FieldProblem::BadCharacters,
            ValidationError::DotsOnly { .. } => FieldProblem::DotsOnly,
            other => FieldProblem::Invalid {
                detail: other.to_string(),
            },
        }
    }

    /// `text`'s length checked: not empty (once trimmed), at most `max` characters.
    pub fn of_length(text: &str, max: usize) -> Option<FieldProblem> {
        let len = text.trim().chars().count();
        if len == 0 {
            Some(FieldProblem::Empty)
        } else if len > max {
            Some(FieldProblem::TooLong {
                len: len as u64,
                max: max as u64,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_its_code_with_its_details_beside_it() {
        let p = FieldProblem::Range {
            min: 7,
            max: 730,
            unit: Unit::Days,
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"code": "range", "min": 7, "max": 730, "unit": "days"})
        );
        assert_eq!(p.to_string(), "7 to 730 days");
        let bare = FieldProblem::Range {
            min: 0,
            max: 100,
            unit: Unit::Number,
        };
        assert_eq!(bare.to_string(), "0 to 100");
        let back: FieldProblem =
            serde_json::from_value(serde_json::json!({"code": "empty"})).unwrap();
        assert_eq!(back, FieldProblem::Empty);
        // A newer server's code: the error still reads, by its words.
        let newer: crate::FieldError = serde_json::from_value(serde_json::json!(
            {"field": "name", "message": "is rude", "code": "rude", "words": 3}
        ))
        .unwrap();
        assert_eq!(
            (newer.problem, newer.message.as_str()),
            (FieldProblem::Unknown, "is rude")
        );
    }

    #[test]
    fn a_length_is_checked_once_trimmed() {
        assert_eq!(FieldProblem::of_length("  ", 5), Some(FieldProblem::Empty));
        assert_eq!(FieldProblem::of_length(" abc ", 3), None);
        assert_eq!(
            FieldProblem::of_length("abcd", 3),
            Some(FieldProblem::TooLong { len: 4, max: 3 })
        );
    }
}
