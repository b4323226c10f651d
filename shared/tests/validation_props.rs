//! Property tests of the shared answer rules and the JSON the widget writes:
//! whatever an answer holds, checking it never panics; what passes holds every
//! invariant the stores rely on; the widget's JSON reads back, by serde too, as
//! the same answer.

use chrono::{DateTime, Duration, TimeZone, Utc};
use kept_shared::json::{FromJson, ToJson};
use kept_shared::limits::{MAX_REF_CHARS, MAX_TEXT_CHARS, SIGNATURE_HEX_CHARS};
use kept_shared::testing::answer_rule_surveys;
use kept_shared::validate::{sanitize_answer, validate_answer};
use kept_shared::{Answer, AnswerValue, Channel};
use proptest::prelude::*;
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

/// Text of any kind: mostly plain, sometimes long, with controls, bidi
/// overrides, astral characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,40}",
        any::<String>(),
        "[\\x00-\\x1f\u{202a}-\u{202e}a\u{1F600}]{0,60}",
        (0usize..1_300).prop_map(|n| "ж".repeat(n)),
    ]
}

fn reference() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[A-Za-z0-9_.:@-]{1,20}".prop_map(Some),
        any::<String>().prop_map(Some),
        (120usize..140).prop_map(|n| Some("r".repeat(n))),
    ]
}

fn signature() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "[0-9a-f]{64}".prop_map(Some),
        "[0-9a-fA-Z]{0,70}".prop_map(Some),
    ]
}

fn value() -> impl Strategy<Value = AnswerValue> {
    prop_oneof![
        (any::<u8>(), proptest::option::of(text()))
            .prop_map(|(score, reason)| AnswerValue::Nps { score, reason }),
        any::<u8>().prop_map(|score| AnswerValue::Csat { score }),
        (
            proptest::collection::vec(
                prop_oneof![
                    Just("price".to_string()),
                    Just("quality".to_string()),
                    "[a-z]{0,8}"
                ],
                0..5
            ),
            proptest::option::of(text())
        )
            .prop_map(|(reasons, other)| AnswerValue::ChurnReason { reasons, other }),
    ]
}

prop_compose! {
    fn answer()(
        id in prop_oneof![Just(Uuid::nil()), Just(Uuid::max()), any::<u128>().prop_map(Uuid::from_u128)],
        shop in prop_oneof![Just("demo".to_string()), "[a-z]{0,6}"],
        survey in prop_oneof![Just("nps".to_string()), Just("csat".to_string()), Just("churn".to_string()), "[a-z]{0,6}"],
        kiosk in any::<bool>(),
        customer_ref in reference(),
        order_ref in reference(),
        customer_sig in signature(),
        order_sig in signature(),
        store in reference(),
        minutes in -800_000i64..100_000,
        value in value(),
    ) -> Answer {
        Answer {
            id, shop, survey,
            channel: if kiosk { Channel::Kiosk } else { Channel::Web },
            customer_ref, order_ref, customer_sig, order_sig, store,
            answered_at: now() - Duration::minutes(minutes) + Duration::microseconds(123),
            value,
        }
    }
}

fn reference_ok(r: &Option<String>) -> bool {
    r.as_ref().is_none_or(|r| {
        !r.is_empty()
            && r.chars().count() <= MAX_REF_CHARS
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c))
            && r != "."
            && r != ".."
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn whatever_an_answer_holds_what_passes_keeps_every_invariant(mut a in answer()) {
        sanitize_answer(&mut a);
        let surveys = answer_rule_surveys();
        if validate_answer("demo", &surveys, &a, now()).is_ok() {
            prop_assert!(!a.id.is_nil() && !a.id.is_max());
            prop_assert_eq!(&a.shop, "demo");
            prop_assert!(reference_ok(&a.customer_ref) && reference_ok(&a.order_ref) && reference_ok(&a.store));
            for (sig, r) in [(&a.customer_sig, &a.customer_ref), (&a.order_sig, &a.order_ref)] {
                if let Some(sig) = sig {
                    prop_assert!(r.is_some());
                    prop_assert_eq!(sig.len(), SIGNATURE_HEX_CHARS);
                }
            }
            prop_assert!(a.answered_at <= now() + Duration::hours(24));
            prop_assert!(a.answered_at >= now() - Duration::days(365));
            prop_assert_eq!(a.answered_at.timestamp_subsec_micros() % 1000, 0);
            match &a.value {
                AnswerValue::Nps { score, reason } => {
                    prop_assert_eq!(&a.survey, "nps");
                    prop_assert!(*score <= 10);
                    prop_assert!(reason.as_ref().is_none_or(|t| t.chars().count() <= MAX_TEXT_CHARS
                        && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')));
                }
                AnswerValue::Csat { score } => {
                    prop_assert_eq!(&a.survey, "csat");
                    prop_assert!((1..=5).contains(score));
                }
                AnswerValue::ChurnReason { reasons, other } => {
                    prop_assert_eq!(&a.survey, "churn");
                    prop_assert!(reasons.iter().all(|r| r == "price" || r == "quality"));
                    prop_assert!(!reasons.is_empty() || other.as_ref().is_some_and(|t| !t.trim().is_empty()));
                    prop_assert!(other.as_ref().is_none_or(|t| t.chars().count() <= MAX_TEXT_CHARS));
                }
            }
        }
    }

    #[test]
    fn the_widgets_json_reads_back_as_the_same_answer_by_both_readers(mut a in answer()) {
        sanitize_answer(&mut a);
        let text = a.to_json();
        prop_assert_eq!(&Answer::from_json_text(&text).unwrap(), &a);
        prop_assert_eq!(&serde_json::from_str::<Answer>(&text).unwrap(), &a);
        prop_assert_eq!(&Answer::from_json_text(&serde_json::to_string(&a).unwrap()).unwrap(), &a);
    }
}
