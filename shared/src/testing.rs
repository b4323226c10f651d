//! A builder for [`Answer`]s in tests (the server's, the widget's, the end-to-end
//! suite's and the benches'), so no test repeats the whole literal, and the
//! surveys the answer rules are tested against. Enabled by the `testing` feature.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Answer, AnswerValue, Channel, ChurnReasonChoice, Survey, SurveyKind, SurveyTexts};

/// A survey of `kind` with one English question and the default rules.
pub fn survey(id: &str, kind: SurveyKind) -> Survey {
    Survey {
        id: id.into(),
        kind,
        default_locale: "en".into(),
        texts: BTreeMap::from([(
            "en".to_string(),
            SurveyTexts {
                question: "?".into(),
                follow_up: None,
            },
        )]),
        targeting: Default::default(),
    }
}

/// The surveys the answer rules are tested against: `nps` (with its "why?"),
/// `nps-plain` (without), `csat`, `churn` (reasons `price` and `quality`, free
/// text allowed) and `churn-closed` (the same reasons, no free text).
pub fn answer_rule_surveys() -> Vec<Survey> {
    let reasons = ["price", "quality"]
        .map(|code| ChurnReasonChoice {
            code: code.into(),
            labels: BTreeMap::new(),
        })
        .to_vec();
    vec![
        survey("nps", SurveyKind::Nps { ask_reason: true }),
        survey("nps-plain", SurveyKind::Nps { ask_reason: false }),
        survey("csat", SurveyKind::Csat),
        survey(
            "churn",
            SurveyKind::ChurnReason {
                reasons: reasons.clone(),
                allow_other_text: true,
            },
        ),
        survey(
            "churn-closed",
            SurveyKind::ChurnReason {
                reasons,
                allow_other_text: false,
            },
        ),
    ]
}

/// Starts from a valid web answer of `shop` to `survey`, given now, with a fresh id.
#[derive(Debug, Clone)]
pub struct AnswerBuilder(Answer);

impl AnswerBuilder {
    pub fn new(shop: &str, survey: &str, value: AnswerValue) -> Self {
        AnswerBuilder(Answer {
            id: Uuid::new_v4(),
            shop: shop.into(),
            survey: survey.into(),
            channel: Channel::Web,
            customer_ref: None,
            order_ref: None,
            customer_sig: None,
            order_sig: None,
            store: None,
            // To the millisecond, as a browser gives it and the stores keep it.
            answered_at: crate::validate::to_millis(Utc::now()),
            value,
        })
    }

    pub fn nps(shop: &str, survey: &str, score: u8) -> Self {
        Self::new(
            shop,
            survey,
            AnswerValue::Nps {
                score,
                reason: None,
            },
        )
    }

    pub fn csat(shop: &str, survey: &str, score: u8) -> Self {
        Self::new(shop, survey, AnswerValue::Csat { score })
    }

    pub fn churn(shop: &str, survey: &str, reasons: &[&str], other: Option<&str>) -> Self {
        Self::new(
            shop,
            survey,
            AnswerValue::ChurnReason {
                reasons: reasons.iter().map(|r| r.to_string()).collect(),
                other: other.map(Into::into),
            },
        )
    }

    /// The NPS "why?" text (for an NPS answer; ignored otherwise).
    pub fn reason(mut self, text: &str) -> Self {
        if let AnswerValue::Nps { reason, .. } = &mut self.0.value {
            *reason = Some(text.into());
        }
        self
    }

    pub fn id(mut self, id: Uuid) -> Self {
        self.0.id = id;
        self
    }

    pub fn channel(mut self, channel: Channel) -> Self {
        self.0.channel = channel;
        self
    }

    pub fn store(mut self, store: &str) -> Self {
        self.0.store = Some(store.into());
        self
    }

    pub fn customer(mut self, customer_ref: &str) -> Self {
        self.0.customer_ref = Some(customer_ref.into());
        self
    }

    pub fn order(mut self, order_ref: &str) -> Self {
        self.0.order_ref = Some(order_ref.into());
        self
    }

    pub fn customer_sig(mut self, sig: &str) -> Self {
        self.0.customer_sig = Some(sig.into());
        self
    }

    pub fn order_sig(mut self, sig: &str) -> Self {
        self.0.order_sig = Some(sig.into());
        self
    }

    pub fn at(mut self, answered_at: DateTime<Utc>) -> Self {
        self.0.answered_at = crate::validate::to_millis(answered_at);
        self
    }

    pub fn build(self) -> Answer {
        self.0
    }
}

impl From<AnswerBuilder> for Answer {
    fn from(b: AnswerBuilder) -> Answer {
        b.0
    }
}
