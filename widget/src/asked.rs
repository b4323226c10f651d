//! What this browser remembers of the surveys it asked, so that nobody is asked
//! twice: a survey answered *or skipped* for an order is not asked again for that
//! order; without an order, not again for [`QUIET_DAYS_WITHOUT_ORDER`] days. The
//! kiosk remembers nothing (each respondent is a stranger). Also what the closing
//! screen says, which depends on whether anything was answered.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Without an order (`data-order`), how long an answered or skipped survey is not
/// asked again in the same browser: long enough not to nag a visitor who said no,
/// short enough to hear from a regular customer again about once a month.
pub const QUIET_DAYS_WITHOUT_ORDER: i64 = 30;

/// How a survey ended for this visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    Skipped,
}

/// The stored record, `kept:v1:{public_key}:asked:…` (see [`crate::queue::Keys::asked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
}

impl Asked {
    /// Whether this record still keeps its survey from being asked: for an order
    /// always, without one for [`QUIET_DAYS_WITHOUT_ORDER`].
    pub fn still_holds(&self, for_an_order: bool, now: DateTime<Utc>) -> bool {
        for_an_order || now - self.at < Duration::days(QUIET_DAYS_WITHOUT_ORDER)
    }
}

/// What the widget shows when no question is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// "Thank you! Your answer helps us get better."
    Thanks,
    /// Every question was skipped just now: "Thanks for your time!", no word of an answer.
    ThanksForYourTime,
    /// Nothing was asked now and nothing was ever answered: the survey part stays
    /// empty (a visitor who skipped everything is not greeted again on each page).
    Nothing,
}

/// The closing for the outcomes of surveys decided on earlier pages (`earlier`)
/// and in this visit (`now`).
pub fn closing(earlier: &[Outcome], now: &[Outcome]) -> Closing {
    if earlier.iter().chain(now).any(|o| *o == Outcome::Answered) {
        Closing::Thanks
    } else if !now.is_empty() {
        Closing::ThanksForYourTime
    } else {
        Closing::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    #[test]
    fn the_closing_thanks_for_an_answer_only_when_there_was_one() {
        assert_eq!(closing(&[], &[Answered, Skipped]), Closing::Thanks);
        assert_eq!(
            closing(&[], &[Skipped, Skipped]),
            Closing::ThanksForYourTime
        );
        assert_eq!(closing(&[Answered], &[Skipped]), Closing::Thanks);
        // A reload after answering: still thanked; after skipping everything: nothing.
        assert_eq!(closing(&[Answered, Skipped], &[]), Closing::Thanks);
        assert_eq!(closing(&[Skipped, Skipped], &[]), Closing::Nothing);
        assert_eq!(closing(&[], &[]), Closing::Nothing);
    }

    #[test]
    fn a_record_holds_forever_for_an_order_and_for_thirty_days_without() {
        let now = Utc::now();
        let asked = |days_ago| Asked {
            outcome: Skipped,
            at: now - Duration::days(days_ago),
        };
        assert!(asked(0).still_holds(false, now));
        assert!(asked(QUIET_DAYS_WITHOUT_ORDER - 1).still_holds(false, now));
        assert!(!asked(QUIET_DAYS_WITHOUT_ORDER).still_holds(false, now));
        assert!(asked(400).still_holds(true, now));
    }

    #[test]
    fn records_are_stored_as_small_json() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let json = serde_json::to_string(&Asked {
            outcome: Skipped,
            at,
        })
        .unwrap();
        assert_eq!(json, r#"{"outcome":"skipped","at":"2026-11-25T10:00:00Z"}"#);
    }
}
