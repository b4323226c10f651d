//! Every rule an answer must follow, used by the server before it stores one
//! (the widget's screens offer only answers that follow them:
//! `widget/src/answer.rs`), and the rules of the references the widget reads
//! from a shop's snippet.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::limits::*;
use crate::{Answer, AnswerValue, Survey, SurveyKind};

/// Why an answer (or a reference, or a batch) is refused. Serialised with a
/// stable `code`, so clients can act on it without parsing the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ValidationError {
    #[error("survey {survey:?} is not an active survey of this shop")]
    UnknownSurvey { survey: String },
    #[error("the answer is for shop {answer_shop:?}, but was sent to shop {shop:?}")]
    WrongShop { shop: String, answer_shop: String },
    #[error("survey {survey:?} is a {expected} survey, but the answer is a {got} answer")]
    WrongKind {
        survey: String,
        expected: String,
        got: String,
    },
    #[error("score {score} is outside {min}–{max}")]
    ScoreOutOfRange { score: u8, min: u8, max: u8 },
    #[error("survey {survey:?} does not ask for a reason")]
    ReasonNotAsked { survey: String },
    #[error("pick at least one reason")]
    NoReasonPicked,
    #[error("reason {reason:?} is not one of the survey's reasons")]
    UnknownReason { reason: String },
    #[error("reason {reason:?} is picked twice")]
    DuplicateReason { reason: String },
    #[error("survey {survey:?} does not take free text")]
    TextNotAllowed { survey: String },
    #[error("{field} is {len} characters long, the most is {max}")]
    TooLong {
        field: String,
        len: usize,
        max: usize,
    },
    #[error("{field} is empty")]
    Empty { field: String },
    #[error("{field} may hold only letters, digits and - _ . : @")]
    BadCharacters { field: String },
    /// `.` and `..` are a web address's "here" and "up": no page could be theirs.
    #[error("{field} cannot be . or ..")]
    DotsOnly { field: String },
    #[error("answered_at {answered_at} is more than {MAX_CLOCK_SKEW_HOURS} hours in the future")]
    FromTheFuture { answered_at: DateTime<Utc> },
    #[error("answered_at {answered_at} is more than {MAX_ANSWER_AGE_DAYS} days old")]
    TooOld { answered_at: DateTime<Utc> },
    #[error("a batch may hold at most {max} answers, this one holds {len}")]
    BatchTooLarge { len: usize, max: usize },
    #[error("a batch must hold at least one answer")]
    EmptyBatch,
    #[error("the answer id {id} is not a random id")]
    NotRandomId { id: String },
    #[error("{field} is not {SIGNATURE_HEX_CHARS} hex digits (HMAC-SHA256)")]
    BadSignature { field: String },
    #[error("{field} comes without the reference it signs")]
    SignatureWithoutReference { field: String },
    #[error(
        "this shop takes only verified answers: its page must sign the customer or order reference (data-customer-sig, data-order-sig)"
    )]
    NotVerified,
    #[error("store {store:?} is not one of the shop's stores")]
    UnknownStore { store: String },
    /// Another answer holds the id (another survey, score, customer or order,
    /// or another shop's), or the batch holds it twice, differently.
    #[error("the answer id {id} is taken by another answer")]
    IdTaken { id: String },
}

use ValidationError as E;

/// Checks `answer` against the shop's active `surveys`, at server or client time `now`.
pub fn validate_answer(
    shop: &str,
    surveys: &[Survey],
    answer: &Answer,
    now: DateTime<Utc>,
) -> Result<(), ValidationError> {
    if answer.id.is_nil() || answer.id.is_max() {
        return Err(E::NotRandomId {
            id: answer.id.to_string(),
        });
    }
    if answer.shop != shop {
        return Err(E::WrongShop {
            shop: shop.into(),
            answer_shop: answer.shop.clone(),
        });
    }
    let survey = surveys
        .iter()
        .find(|s| s.id == answer.survey)
        .ok_or_else(|| E::UnknownSurvey {
            survey: answer.survey.clone(),
        })?;
    if let Some(r) = &answer.customer_ref {
        validate_ref("customer_ref", r)?;
    }
    if let Some(r) = &answer.order_ref {
        validate_ref("order_ref", r)?;
    }
    if let Some(r) = &answer.store {
        validate_ref("store", r)?;
    }
    for (field, sig, reference) in [
        ("customer_sig", &answer.customer_sig, &answer.customer_ref),
        ("order_sig", &answer.order_sig, &answer.order_ref),
    ] {
        if let Some(sig) = sig {
            validate_signature(field, sig)?;
            if reference.is_none() {
                return Err(E::SignatureWithoutReference {
                    field: field.into(),
                });
            }
        }
    }
    if answer.answered_at > now + Duration::hours(MAX_CLOCK_SKEW_HOURS) {
        return Err(E::FromTheFuture {
            answered_at: answer.answered_at,
        });
    }
    if answer.answered_at < now - Duration::days(MAX_ANSWER_AGE_DAYS) {
        return Err(E::TooOld {
            answered_at: answer.answered_at,
        });
    }
    validate_value(survey, &answer.value)
}

/// Checks the shape of a reference's signature (whether it is the shop's is for
/// the server to tell, with the shop's secret).
pub fn validate_signature(field: &str, sig: &str) -> Result<(), ValidationError> {
    let hex = sig.len() == SIGNATURE_HEX_CHARS && sig.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        Ok(())
    } else {
        Err(E::BadSignature {
            field: field.into(),
        })
    }
}

/// Checks that `value` answers `survey`: its kind, score range, reasons and texts.
pub fn validate_value(survey: &Survey, value: &AnswerValue) -> Result<(), ValidationError> {
    match (&survey.kind, value) {
        (SurveyKind::Nps { ask_reason }, AnswerValue::Nps { score, reason }) => {
            check_score(*score, 0, 10)?;
            if let Some(text) = reason {
                if !ask_reason {
                    return Err(E::ReasonNotAsked {
                        survey: survey.id.clone(),
                    });
                }
                check_text("reason", text)?;
            }
            Ok(())
        }
        (SurveyKind::Csat, AnswerValue::Csat { score }) => check_score(*score, 1, 5),
        (
            SurveyKind::ChurnReason {
                reasons: choices,
                allow_other_text,
            },
            AnswerValue::ChurnReason { reasons, other },
        ) => {
            if reasons.is_empty() && other.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(E::NoReasonPicked);
            }
            let mut seen = BTreeSet::new();
            for reason in reasons {
                if !choices.iter().any(|c| &c.code == reason) {
                    return Err(E::UnknownReason {
                        reason: reason.clone(),
                    });
                }
                if !seen.insert(reason) {
                    return Err(E::DuplicateReason {
                        reason: reason.clone(),
                    });
                }
            }
            if let Some(text) = other {
                if !allow_other_text {
                    return Err(E::TextNotAllowed {
                        survey: survey.id.clone(),
                    });
                }
                check_text("other", text)?;
            }
            Ok(())
        }
        (kind, value) => Err(E::WrongKind {
            survey: survey.id.clone(),
            expected: kind.name().into(),
            got: value.kind_name().into(),
        }),
    }
}

/// A reference as a lookup takes it (a customer's page, export or erasure):
/// as [`validate_ref`], but `.` and `..` pass, since they were references once
/// and stored data may hold them (an API path names them as `%2E%2E`); their
/// owner must still be able to export and erase them.
pub fn validate_lookup_ref(field: &str, value: &str) -> Result<(), ValidationError> {
    match validate_ref(field, value) {
        Err(ValidationError::DotsOnly { .. }) => Ok(()),
        checked => checked,
    }
}

/// A shop's customer or order reference, or any id used in a URL path: 1 to
/// [`MAX_REF_CHARS`] characters, URL-safe, and not `.` or `..` alone.
pub fn validate_ref(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(E::Empty {
            field: field.into(),
        });
    }
    let len = value.chars().count();
    if len > MAX_REF_CHARS {
        return Err(E::TooLong {
            field: field.into(),
            len,
            max: MAX_REF_CHARS,
        });
    }
    if !value
        .chars()
        // `matches!`, not `"-_.:@".contains(c)`: the widget checks a snippet's
        // references with this, and that search would cost its download.
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '@'))
    {
        return Err(E::BadCharacters {
            field: field.into(),
        });
    }
    if value == "." || value == ".." {
        return Err(E::DotsOnly {
            field: field.into(),
        });
    }
    Ok(())
}

/// A batch holds 1 to [`MAX_BATCH_ANSWERS`] answers.
pub fn validate_batch_len(len: usize) -> Result<(), ValidationError> {
    if len == 0 {
        return Err(E::EmptyBatch);
    }
    if len > MAX_BATCH_ANSWERS {
        return Err(E::BatchTooLarge {
            len,
            max: MAX_BATCH_ANSWERS,
        });
    }
    Ok(())
}

fn check_score(score: u8, min: u8, max: u8) -> Result<(), ValidationError> {
    if (min..=max).contains(&score) {
        Ok(())
    } else {
        Err(E::ScoreOutOfRange { score, min, max })
    }
}

/// Free text as it is stored: control characters other than newline and tab, and
/// the invisible bidirectional embeddings, overrides and isolates (which can make
/// text read differently from what it says, "Trojan Source"), are removed; line
/// ends become `\n`. Applied by the widget before it queues an answer and by the
/// server before it stores one, so both keep the same text.
pub fn sanitize_text(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    unified
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control() || is_bidi_control(c)))
        .collect()
}

/// `t` without its sub-millisecond part.
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The answer as it is stored: its free texts passed through [`sanitize_text`],
/// its time to the millisecond (what browsers give, and what every store keeps).
pub fn sanitize_answer(answer: &mut Answer) {
    answer.answered_at = to_millis(answer.answered_at);
    match &mut answer.value {
        AnswerValue::Nps { reason: text, .. } | AnswerValue::ChurnReason { other: text, .. } => {
            // A text of nothing but spaces, or of what is removed (bidi
            // overrides alone), is no text: it had been stored as "".
            *text = text
                .as_deref()
                .map(sanitize_text)
                .filter(|t| !t.trim().is_empty());
        }
        AnswerValue::Csat { .. } => {}
    }
}

fn check_text(field: &str, text: &str) -> Result<(), ValidationError> {
    let len = text.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(E::TooLong {
            field: field.into(),
            len,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::testing::{AnswerBuilder, answer_rule_surveys as surveys};

    fn answer(survey: &str, value: AnswerValue) -> Answer {
        AnswerBuilder::new("demo", survey, value).build()
    }

    fn check(a: &Answer) -> Result<(), ValidationError> {
        validate_answer("demo", &surveys(), a, Utc::now())
    }

    fn nps(score: u8, reason: Option<&str>) -> AnswerValue {
        AnswerValue::Nps {
            score,
            reason: reason.map(Into::into),
        }
    }

    fn churn(reasons: &[&str], other: Option<&str>) -> AnswerValue {
        AnswerValue::ChurnReason {
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            other: other.map(Into::into),
        }
    }

    #[test]
    fn nps_scores_are_0_to_10() {
        assert_eq!(check(&answer("nps", nps(0, None))), Ok(()));
        assert_eq!(check(&answer("nps", nps(10, Some("great")))), Ok(()));
        assert_eq!(
            check(&answer("nps", nps(11, None))),
            Err(E::ScoreOutOfRange {
                score: 11,
                min: 0,
                max: 10
            })
        );
    }

    #[test]
    fn nps_reason_only_where_asked_and_within_the_text_limit() {
        assert_eq!(
            check(&answer("nps-plain", nps(5, Some("x")))),
            Err(E::ReasonNotAsked {
                survey: "nps-plain".into()
            })
        );
        let long = "я".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            check(&answer("nps", nps(5, Some(&long)))),
            Err(E::TooLong {
                field: "reason".into(),
                len: MAX_TEXT_CHARS + 1,
                max: MAX_TEXT_CHARS
            })
        );
        // The limit counts characters, not bytes.
        assert_eq!(
            check(&answer("nps", nps(5, Some(&"я".repeat(MAX_TEXT_CHARS))))),
            Ok(())
        );
    }

    #[test]
    fn csat_scores_are_1_to_5() {
        for score in 1..=5 {
            assert_eq!(check(&answer("csat", AnswerValue::Csat { score })), Ok(()));
        }
        for score in [0, 6] {
            assert_eq!(
                check(&answer("csat", AnswerValue::Csat { score })),
                Err(E::ScoreOutOfRange {
                    score,
                    min: 1,
                    max: 5
                })
            );
        }
    }

    #[test]
    fn churn_reasons_must_be_known_distinct_and_present() {
        assert_eq!(
            check(&answer("churn", churn(&["price", "quality"], None))),
            Ok(())
        );
        assert_eq!(
            check(&answer("churn", churn(&[], Some("moved away")))),
            Ok(())
        );
        assert_eq!(
            check(&answer("churn", churn(&[], None))),
            Err(E::NoReasonPicked)
        );
        assert_eq!(
            check(&answer("churn", churn(&[], Some("  ")))),
            Err(E::NoReasonPicked)
        );
        assert_eq!(
            check(&answer("churn", churn(&["weather"], None))),
            Err(E::UnknownReason {
                reason: "weather".into()
            })
        );
        assert_eq!(
            check(&answer("churn", churn(&["price", "price"], None))),
            Err(E::DuplicateReason {
                reason: "price".into()
            })
        );
    }

    #[test]
    fn churn_free_text_only_where_allowed() {
        assert_eq!(
            check(&answer("churn-closed", churn(&["price"], Some("x")))),
            Err(E::TextNotAllowed {
                survey: "churn-closed".into()
            })
        );
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(
            check(&answer("churn", churn(&["price"], Some(&long)))),
            Err(E::TooLong { .. })
        ));
    }

    #[test]
    fn answer_kind_must_match_the_survey() {
        assert_eq!(
            check(&answer("csat", nps(5, None))),
            Err(E::WrongKind {
                survey: "csat".into(),
                expected: "csat".into(),
                got: "nps".into()
            })
        );
    }

    #[test]
    fn survey_and_shop_must_be_known() {
        assert_eq!(
            check(&answer("gone", nps(5, None))),
            Err(E::UnknownSurvey {
                survey: "gone".into()
            })
        );
        let mut a = answer("nps", nps(5, None));
        a.shop = "other".into();
        assert_eq!(
            check(&a),
            Err(E::WrongShop {
                shop: "demo".into(),
                answer_shop: "other".into()
            })
        );
    }

    #[test]
    fn signatures_are_hmac_hex_and_sign_a_reference_the_answer_carries() {
        let sig = "0123456789abcdef".repeat(4);
        let signed = AnswerBuilder::nps("demo", "nps", 9)
            .customer("cust-42")
            .customer_sig(&sig)
            .order("o-1")
            .order_sig(&sig)
            .build();
        assert_eq!(check(&signed), Ok(()));
        // As some libraries write hex (.NET's Convert.ToHexString).
        assert_eq!(validate_signature("order_sig", &sig.to_uppercase()), Ok(()));
        for bad in ["", "ABCDEF", &format!("{sig}0"), &sig.replace('0', "g")] {
            assert_eq!(
                validate_signature("order_sig", bad),
                Err(E::BadSignature {
                    field: "order_sig".into()
                }),
                "{bad:?}"
            );
        }
        let orphan = AnswerBuilder::nps("demo", "nps", 9).order_sig(&sig).build();
        assert_eq!(
            check(&orphan),
            Err(E::SignatureWithoutReference {
                field: "order_sig".into()
            })
        );
    }

    #[test]
    fn references_are_short_and_url_safe() {
        assert_eq!(validate_ref("customer_ref", "cust-42_a.b:c@d"), Ok(()));
        assert_eq!(
            validate_ref("customer_ref", ""),
            Err(E::Empty {
                field: "customer_ref".into()
            })
        );
        assert_eq!(
            validate_ref("order_ref", "a/b"),
            Err(E::BadCharacters {
                field: "order_ref".into()
            })
        );
        assert!(matches!(
            validate_ref("order_ref", &"a".repeat(MAX_REF_CHARS + 1)),
            Err(E::TooLong { .. })
        ));
        // "Here" and "up" in a web address: the customer's page could not be addressed.
        for dots in [".", ".."] {
            assert_eq!(
                validate_ref("customer_ref", dots),
                Err(E::DotsOnly {
                    field: "customer_ref".into()
                })
            );
        }
        for fine in ["...", ".a", "a.."] {
            assert_eq!(validate_ref("customer_ref", fine), Ok(()), "{fine}");
        }
        // Stored before they were refused: still looked up.
        assert_eq!(validate_lookup_ref("customer_ref", ".."), Ok(()));
        assert!(validate_lookup_ref("customer_ref", "a/b").is_err());
        let mut a = answer("nps", nps(5, None));
        a.customer_ref = Some("../x".into());
        assert_eq!(
            check(&a),
            Err(E::BadCharacters {
                field: "customer_ref".into()
            })
        );
    }

    #[test]
    fn timestamps_within_skew_and_age() {
        let now = Utc::now();
        let mut a = answer("nps", nps(5, None));
        a.answered_at = now + Duration::hours(MAX_CLOCK_SKEW_HOURS + 1);
        assert!(matches!(
            validate_answer("demo", &surveys(), &a, now),
            Err(E::FromTheFuture { .. })
        ));
        a.answered_at = now - Duration::days(MAX_ANSWER_AGE_DAYS + 1);
        assert!(matches!(
            validate_answer("demo", &surveys(), &a, now),
            Err(E::TooOld { .. })
        ));
        a.answered_at = now - Duration::days(30);
        assert_eq!(validate_answer("demo", &surveys(), &a, now), Ok(()));
        // The limits themselves are allowed, a nanosecond past them is not.
        let nanosecond = Duration::nanoseconds(1);
        for (at, ok) in [
            (now + Duration::hours(MAX_CLOCK_SKEW_HOURS), true),
            (
                now + Duration::hours(MAX_CLOCK_SKEW_HOURS) + nanosecond,
                false,
            ),
            (now - Duration::days(MAX_ANSWER_AGE_DAYS), true),
            (
                now - Duration::days(MAX_ANSWER_AGE_DAYS) - nanosecond,
                false,
            ),
        ] {
            a.answered_at = at;
            assert_eq!(
                validate_answer("demo", &surveys(), &a, now).is_ok(),
                ok,
                "{at}"
            );
        }
    }

    #[test]
    fn free_text_loses_control_and_bidi_override_characters_but_keeps_lines_and_tabs() {
        assert_eq!(
            sanitize_text("good\u{0}\u{202E}txt.exe\u{2066}\r\nnext\tcol\rlast\u{7}"),
            "goodtxt.exe\nnext\tcol\nlast"
        );
        assert_eq!(sanitize_text("Привіт, café ☕"), "Привіт, café ☕");
        let mut a = answer("nps", nps(3, Some("bad\u{0}")));
        sanitize_answer(&mut a);
        assert_eq!(a.value, nps(3, Some("bad")));
    }

    #[test]
    fn the_nil_and_max_uuids_are_not_answer_ids() {
        let mut a = answer("nps", nps(5, None));
        a.id = Uuid::nil();
        assert!(matches!(check(&a), Err(E::NotRandomId { .. })));
        a.id = Uuid::max();
        assert!(matches!(check(&a), Err(E::NotRandomId { .. })));
        a.id = Uuid::from_u128(0x8f1c_7a52_0d4e_4b6a_9c1d_2e3f_4a5b_6c7d);
        assert_eq!(check(&a), Ok(()));
    }

    #[test]
    fn batch_size_is_limited() {
        assert_eq!(validate_batch_len(0), Err(E::EmptyBatch));
        assert_eq!(validate_batch_len(MAX_BATCH_ANSWERS), Ok(()));
        assert_eq!(
            validate_batch_len(MAX_BATCH_ANSWERS + 1),
            Err(E::BatchTooLarge {
                len: MAX_BATCH_ANSWERS + 1,
                max: MAX_BATCH_ANSWERS
            })
        );
    }

    #[test]
    fn errors_serialise_with_a_stable_code() {
        let json = serde_json::to_value(E::ScoreOutOfRange {
            score: 11,
            min: 0,
            max: 10,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "score_out_of_range", "score": 11, "min": 0, "max": 10})
        );
        assert_eq!(
            E::ScoreOutOfRange {
                score: 11,
                min: 0,
                max: 10
            }
            .to_string(),
            "score 11 is outside 0–10"
        );
    }
}
