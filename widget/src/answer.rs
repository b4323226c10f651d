//! The answer the widget queues for what a respondent gave on a survey's screen.
//!
//! The widget does not run the shared rules (`kept_shared::validate`) over it:
//! the server checks every answer with them, and one it refuses waits aside in
//! the visitor's storage with the server's reason (`queue.rs`). Running them here
//! too would cost every visitor's download 1.8 kB to say the same thing sooner.
//! That the screens give only answers the rules take is held by this module's
//! test, over every value the screens offer (`view/survey.rs`).

use kept_shared::{Answer, AnswerValue, UnixMillis};
use uuid::Uuid;

use crate::config::WidgetConfig;

/// The answer to the survey `survey` of the shop `shop_id`, given `value` by the
/// respondent of the widget `cfg` configures.
pub fn new_answer(
    cfg: &WidgetConfig,
    shop_id: &str,
    survey: &str,
    value: AnswerValue,
    id: Uuid,
    answered_at: UnixMillis,
) -> Answer<UnixMillis> {
    Answer {
        id,
        shop: shop_id.to_string(),
        survey: survey.to_string(),
        channel: cfg.channel(),
        customer_ref: cfg.customer.clone(),
        order_ref: cfg.order.clone(),
        customer_sig: cfg.customer_sig.clone(),
        order_sig: cfg.order_sig.clone(),
        store: cfg.store.clone(),
        answered_at,
        value,
    }
}

#[cfg(test)]
mod tests {
    use kept_shared::json::ToJson;
    use kept_shared::limits::MAX_TEXT_CHARS;
    use kept_shared::validate::validate_answer;

    use super::*;
    use crate::config::parse;
    use crate::plan::{SurveyView, ViewKind};

    fn config(pairs: &[(&str, &str)]) -> WidgetConfig {
        let base = [("key", "pk_demo"), ("api", "https://kept.example")];
        let attrs: Vec<(String, String)> = base
            .iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&attrs).unwrap()
    }

    fn survey(id: &str, kind: ViewKind) -> SurveyView {
        SurveyView {
            id: id.into(),
            kind,
            question: "?".into(),
            follow_up: "Why?".into(),
        }
    }

    /// Every answer a survey's screen can give (`view/survey.rs`): each score;
    /// the free text absent, or as long as the field takes (its `maxlength` counts
    /// UTF-16 units, so never more characters than the rules allow) in letters
    /// of two bytes and of four; each reason alone, all of them, none but the
    /// text.
    fn values(kind: &ViewKind) -> Vec<AnswerValue> {
        let texts = || {
            [
                "é".repeat(MAX_TEXT_CHARS),
                "🙂".repeat(MAX_TEXT_CHARS / 2),
                "a".into(),
            ]
        };
        match kind {
            ViewKind::Nps { ask_reason } => (0..=10)
                .flat_map(|score| {
                    let reasons = if *ask_reason {
                        texts().map(Some).to_vec()
                    } else {
                        vec![]
                    };
                    std::iter::once(None)
                        .chain(reasons)
                        .map(move |reason| AnswerValue::Nps { score, reason })
                })
                .collect(),
            ViewKind::Csat => (1..=5).map(|score| AnswerValue::Csat { score }).collect(),
            ViewKind::Churn {
                reasons,
                allow_other_text,
            } => {
                let codes: Vec<String> = reasons.iter().map(|(c, _)| c.clone()).collect();
                let others = if *allow_other_text {
                    texts().map(Some).to_vec()
                } else {
                    vec![]
                };
                let mut picks: Vec<Vec<String>> = codes.iter().map(|c| vec![c.clone()]).collect();
                picks.push(codes.clone());
                let mut values = Vec::new();
                for reasons in picks {
                    for other in std::iter::once(None).chain(others.clone()) {
                        values.push(AnswerValue::ChurnReason {
                            reasons: reasons.clone(),
                            other,
                        });
                    }
                }
                for other in others {
                    values.push(AnswerValue::ChurnReason {
                        reasons: vec![],
                        other,
                    });
                }
                values
            }
        }
    }

    #[test]
    fn every_answer_the_screens_can_give_passes_the_shared_rules() {
        let sig = "0f".repeat(32);
        let configs = [
            config(&[]),
            config(&[
                ("customer", "alice@example.com"),
                ("customer-sig", &sig),
                ("order", "o-1"),
                ("order-sig", &sig),
            ]),
            config(&[("customer", "alice"), ("order", "o-2")]),
            config(&[("mode", "kiosk"), ("store", "riverside")]),
            config(&[
                ("mode", "link"),
                ("customer", "c-7"),
                ("customer-sig", &sig),
            ]),
        ];
        let reasons = vec![
            ("price".to_string(), "Price".to_string()),
            ("quality".into(), "Quality".into()),
        ];
        let surveys = [
            survey("nps", ViewKind::Nps { ask_reason: true }),
            survey("nps-plain", ViewKind::Nps { ask_reason: false }),
            survey("csat", ViewKind::Csat),
            survey(
                "churn",
                ViewKind::Churn {
                    reasons: reasons.clone(),
                    allow_other_text: true,
                },
            ),
            survey(
                "churn-closed",
                ViewKind::Churn {
                    reasons,
                    allow_other_text: false,
                },
            ),
        ];
        let rules: Vec<_> = surveys.iter().map(SurveyView::rules).collect();
        let now = chrono::Utc::now();
        let mut checked = 0;
        for cfg in &configs {
            for s in &surveys {
                for value in values(&s.kind) {
                    checked += 1;
                    let id = Uuid::from_u128(checked);
                    let given = UnixMillis(now.timestamp_millis());
                    let written = new_answer(cfg, "demo", &s.id, value, id, given).to_json();
                    // As the server reads it.
                    let answer: Answer = serde_json::from_str(&written).unwrap();
                    assert_eq!(
                        validate_answer("demo", &rules, &answer, now),
                        Ok(()),
                        "{answer:?}"
                    );
                }
            }
        }
        assert!(checked > 300, "{checked}");
    }
}
