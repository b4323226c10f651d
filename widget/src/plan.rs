//! The widget's reading of the display plan (a [`kept_shared::DisplayPlan`] as
//! the server writes it): only what the widget shows, in the visitor's language,
//! read straight from the JSON tree. Reading whole `Survey` values (maps of
//! texts per locale, targeting) would cost every visitor's download kilobytes
//! of code for fields the loader already used.

use kept_shared::json::{Json, JsonError};
use kept_shared::survey::find_locale;

/// The surveys the loader says are due, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanView {
    pub shop_id: String,
    pub surveys: Vec<SurveyView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SurveyView {
    pub id: String,
    pub kind: ViewKind,
    pub question: String,
    /// The free-text field's label (NPS "why?", churn "anything else?").
    pub follow_up: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ViewKind {
    Nps {
        ask_reason: bool,
    },
    Csat,
    Churn {
        /// Each reason's code and its label in the visitor's language.
        reasons: Vec<(String, String)>,
        allow_other_text: bool,
    },
}

/// The value `locale` shows of an object keyed by locale: by [`find_locale`]
/// with the survey's default, then any.
fn localized<'a>(by_locale: &'a Json, locale: &str, default: &str) -> Option<&'a Json> {
    find_locale(|k| by_locale.get(k), locale, Some(default))
        .or_else(|| by_locale.as_object()?.first().map(|(_, v)| v))
}

impl PlanView {
    /// Reads the plan's surveys whose ids are in `show`, in that order.
    pub fn read(plan: &str, show: &[String], locale: &str) -> Result<PlanView, JsonError> {
        let plan = Json::parse(plan)?;
        let shop_id = plan
            .get("shop")
            .ok_or_else(|| JsonError("shop: missing".into()))?
            .field("id")?;
        let all = plan
            .get("surveys")
            .and_then(Json::as_array)
            .ok_or_else(|| JsonError("surveys: missing".into()))?;
        let mut surveys = Vec::new();
        for id in show {
            if let Some(s) = all
                .iter()
                .find(|s| s.get("id").and_then(Json::as_str) == Some(id))
            {
                surveys.push(SurveyView::read(s, locale)?);
            }
        }
        Ok(PlanView { shop_id, surveys })
    }
}

impl SurveyView {
    fn read(s: &Json, locale: &str) -> Result<SurveyView, JsonError> {
        let default: String = s.field("default_locale")?;
        let texts = s.get("texts").and_then(|t| localized(t, locale, &default));
        let text = |name: &str| {
            texts
                .and_then(|t| t.get(name))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let kind = match s.get("kind").and_then(Json::as_str) {
            Some("nps") => ViewKind::Nps {
                ask_reason: s.field("ask_reason")?,
            },
            Some("csat") => ViewKind::Csat,
            Some("churn_reason") => {
                let mut reasons = Vec::new();
                for r in s
                    .get("reasons")
                    .and_then(Json::as_array)
                    .ok_or_else(|| JsonError("reasons: missing".into()))?
                {
                    let code: String = r.field("code")?;
                    let label = r
                        .get("labels")
                        .and_then(|l| localized(l, locale, &default))
                        .and_then(Json::as_str)
                        .map_or_else(|| code.clone(), str::to_string);
                    reasons.push((code, label));
                }
                ViewKind::Churn {
                    reasons,
                    allow_other_text: s.field("allow_other_text")?,
                }
            }
            _ => return Err(JsonError("kind: unknown".into())),
        };
        Ok(SurveyView {
            id: s.field("id")?,
            kind,
            question: text("question"),
            follow_up: text("follow_up"),
        })
    }

    /// The survey as the shared rules check answers against it (texts aside):
    /// for the tests, which hold what the screens give to those rules
    /// (`answer.rs`).
    #[cfg(test)]
    pub fn rules(&self) -> kept_shared::Survey {
        use kept_shared::{ChurnReasonChoice, Survey, SurveyKind, Targeting};
        Survey {
            id: self.id.clone(),
            kind: match &self.kind {
                ViewKind::Nps { ask_reason } => SurveyKind::Nps {
                    ask_reason: *ask_reason,
                },
                ViewKind::Csat => SurveyKind::Csat,
                ViewKind::Churn {
                    reasons,
                    allow_other_text,
                } => SurveyKind::ChurnReason {
                    reasons: reasons
                        .iter()
                        .map(|(code, _)| ChurnReasonChoice {
                            code: code.clone(),
                            labels: Default::default(),
                        })
                        .collect(),
                    allow_other_text: *allow_other_text,
                },
            },
            default_locale: String::new(),
            texts: Default::default(),
            targeting: Targeting::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kept_shared::targeting::Verdict;
    use kept_shared::{
        ChurnReasonChoice, DisplayPlan, PlannedSurvey, ShopInfo, Survey, SurveyKind, Targeting,
    };

    use kept_shared::SurveyTexts;

    use super::*;

    fn texts(pairs: &[(&str, &str, Option<&str>)]) -> BTreeMap<String, SurveyTexts> {
        pairs
            .iter()
            .map(|(l, q, f)| {
                (
                    l.to_string(),
                    SurveyTexts {
                        question: q.to_string(),
                        follow_up: f.map(str::to_string),
                    },
                )
            })
            .collect()
    }

    fn plan() -> DisplayPlan {
        let planned = |survey| PlannedSurvey {
            survey,
            verdict: Verdict {
                audience_match: true,
                answered: false,
            },
        };
        DisplayPlan {
            shop: ShopInfo {
                id: "demo".into(),
                name: "Northwind".into(),
            },
            cooldown_days: 7,
            surveys: vec![
                planned(Survey {
                    id: "nps".into(),
                    kind: SurveyKind::Nps { ask_reason: true },
                    default_locale: "en".into(),
                    texts: texts(&[
                        ("en", "How likely?", Some("Why?")),
                        ("uk", "Наскільки?", None),
                    ]),
                    targeting: Targeting::default(),
                }),
                planned(Survey {
                    id: "churn".into(),
                    kind: SurveyKind::ChurnReason {
                        reasons: vec![
                            ChurnReasonChoice {
                                code: "price".into(),
                                labels: [("en", "Price"), ("uk", "Ціна")]
                                    .into_iter()
                                    .map(|(l, t)| (l.to_string(), t.to_string()))
                                    .collect(),
                            },
                            ChurnReasonChoice {
                                code: "quality".into(),
                                labels: BTreeMap::new(),
                            },
                        ],
                        allow_other_text: true,
                    },
                    default_locale: "en".into(),
                    texts: texts(&[("en", "Why did you stop?", Some("Anything else?"))]),
                    targeting: Targeting::default(),
                }),
                planned(Survey {
                    id: "csat".into(),
                    kind: SurveyKind::Csat,
                    default_locale: "uk".into(),
                    texts: texts(&[("uk", "Як вам?", None)]),
                    targeting: Targeting::default(),
                }),
            ],
        }
    }

    #[test]
    fn the_widget_reads_what_the_server_writes_in_the_visitors_language() {
        let plan = plan();
        let text = serde_json::to_string(&plan).unwrap();
        let show = [
            "csat".to_string(),
            "nps".into(),
            "gone".into(),
            "churn".into(),
        ];
        for locale in ["uk-UA", "en", "de"] {
            let view = PlanView::read(&text, &show, locale).unwrap();
            assert_eq!(view.shop_id, "demo");
            let ids: Vec<_> = view.surveys.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(
                ids,
                ["csat", "nps", "churn"],
                "the order asked, unknown ids left out"
            );
            for s in &view.surveys {
                let original = &plan
                    .surveys
                    .iter()
                    .find(|p| p.survey.id == s.id)
                    .unwrap()
                    .survey;
                let expected = original.texts_for(locale).unwrap();
                assert_eq!(s.question, expected.question, "{locale} {}", s.id);
                assert_eq!(s.follow_up, expected.follow_up.clone().unwrap_or_default());
                assert_eq!(s.rules().kind.name(), original.kind.name());
            }
            let ViewKind::Churn { reasons, .. } = &view.surveys[2].kind else {
                panic!()
            };
            let SurveyKind::ChurnReason {
                reasons: original, ..
            } = &plan.surveys[1].survey.kind
            else {
                panic!()
            };
            for ((code, label), o) in reasons.iter().zip(original) {
                assert_eq!(code, &o.code);
                assert_eq!(label, o.label_for(locale, "en"), "{locale}");
            }
        }
    }

    #[test]
    fn a_plan_that_is_not_one_says_why() {
        assert!(PlanView::read("{}", &[], "en").is_err());
        assert!(PlanView::read("not json", &[], "en").is_err());
        let odd = r#"{"shop":{"id":"demo","name":"x"},"cooldown_days":0,"surveys":[{"id":"s","kind":"stars","default_locale":"en","texts":{}}]}"#;
        assert!(PlanView::read(odd, &["s".into()], "en").is_err());
        // Members a newer server adds are ignored.
        let newer = r#"{"shop":{"id":"demo","name":"x","logo":1.5},"cooldown_days":0,"surveys":[{"id":"s","kind":"csat","default_locale":"en","texts":{"en":{"question":"Q","hint":"h"}},"colour":"red"}]}"#;
        let view = PlanView::read(newer, &["s".into()], "en").unwrap();
        assert_eq!(view.surveys[0].question, "Q");
    }
}
