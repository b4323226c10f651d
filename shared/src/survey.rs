use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::targeting::Targeting;

/// The shop as the widget sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    pub id: String,
    pub name: String,
}

/// The answer to `GET api::surveys`: what the widget needs to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSurveys {
    pub shop: ShopInfo,
    pub surveys: Vec<Survey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: String,
    #[serde(flatten)]
    pub kind: SurveyKind,
    /// The locale whose texts are shown when the visitor's locale has none.
    pub default_locale: String,
    /// Texts by locale ("en", "ru", "uk", ...). A stored survey has its default
    /// locale's; none (a survey built in code) leaves the member out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, SurveyTexts>,
    /// Who the survey is for and when it may show.
    #[serde(default)]
    pub targeting: Targeting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SurveyKind {
    /// Net Promoter Score: 0–10, then an optional "why?" if `ask_reason`.
    Nps { ask_reason: bool },
    /// Customer satisfaction: 1–5.
    Csat,
    /// Why did you stop buying? One or several reasons, optional free text.
    ChurnReason {
        reasons: Vec<ChurnReasonChoice>,
        allow_other_text: bool,
    },
}

impl SurveyKind {
    pub fn name(&self) -> &'static str {
        match self {
            SurveyKind::Nps { .. } => "nps",
            SurveyKind::Csat => "csat",
            SurveyKind::ChurnReason { .. } => "churn_reason",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChurnReasonChoice {
    /// Stable code stored with answers and counted in reports.
    pub code: String,
    /// The label by locale (left out, like [`Survey::texts`], when there is none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyTexts {
    /// The main question.
    pub question: String,
    /// The label of the free-text field (NPS "why?", churn "anything else?").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
}

impl Survey {
    /// The texts for `locale`, falling back to its language ("uk-UA" → "uk"),
    /// then to the survey's default locale, then to any locale it has.
    pub fn texts_for(&self, locale: &str) -> Option<&SurveyTexts> {
        pick_locale(&self.texts, locale, &self.default_locale)
    }
}

impl ChurnReasonChoice {
    pub fn label_for<'a>(&'a self, locale: &str, default_locale: &str) -> &'a str {
        pick_locale(&self.labels, locale, default_locale).map_or(self.code.as_str(), String::as_str)
    }
}

/// The best entry for `locale` that `get` finds: the locale itself, then its
/// language ("uk-UA" → "uk"), then `default` when given. The one rule of which
/// language a visitor sees, whatever holds the entries.
pub fn find_locale<'a, T: ?Sized + 'a>(
    get: impl Fn(&str) -> Option<&'a T>,
    locale: &str,
    default: Option<&str>,
) -> Option<&'a T> {
    let language = locale.split(['-', '_']).next().unwrap_or(locale);
    get(locale)
        .or_else(|| get(&language.to_ascii_lowercase()))
        .or_else(|| default.and_then(&get))
}

/// A label for `locale` (exactly, or its language) if `labels` has one; no
/// fallback to another language.
pub fn pick_locale_label<'a>(
    labels: &'a BTreeMap<String, String>,
    locale: &str,
) -> Option<&'a str> {
    find_locale(|k| labels.get(k).map(String::as_str), locale, None)
}

/// The value for the best match of `locale` in `by_locale`, see [`Survey::texts_for`]:
/// [`find_locale`] with the survey's default, then any.
pub fn pick_locale<'a, T>(
    by_locale: &'a BTreeMap<String, T>,
    locale: &str,
    default_locale: &str,
) -> Option<&'a T> {
    find_locale(|k| by_locale.get(k), locale, Some(default_locale))
        .or_else(|| by_locale.values().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> Survey {
        let mut texts = BTreeMap::new();
        for (l, q) in [("en", "How likely?"), ("uk", "Наскільки ймовірно?")] {
            texts.insert(
                l.to_string(),
                SurveyTexts {
                    question: q.into(),
                    follow_up: None,
                },
            );
        }
        Survey {
            id: "nps".into(),
            kind: SurveyKind::Nps { ask_reason: true },
            default_locale: "en".into(),
            texts,
            targeting: Targeting::default(),
        }
    }

    #[test]
    fn locale_falls_back_to_language_then_default() {
        let s = survey();
        assert_eq!(s.texts_for("uk").unwrap().question, "Наскільки ймовірно?");
        assert_eq!(
            s.texts_for("uk-UA").unwrap().question,
            "Наскільки ймовірно?"
        );
        assert_eq!(s.texts_for("de").unwrap().question, "How likely?");
    }

    #[test]
    fn kind_is_flattened_into_the_survey_json() {
        let json = serde_json::to_value(survey()).unwrap();
        assert_eq!(json["kind"], "nps");
        assert_eq!(json["ask_reason"], true);
        let back: Survey = serde_json::from_value(json).unwrap();
        assert_eq!(back, survey());
    }

    #[test]
    fn targeting_defaults_to_everyone_and_reads_a_lapsed_audience() {
        let mut json = serde_json::to_value(survey()).unwrap();
        json.as_object_mut().unwrap().remove("targeting");
        let s: Survey = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(s.targeting, Targeting::default());
        json["targeting"] = serde_json::json!({"audience": {"kind": "lapsed", "days": 90}});
        let s: Survey = serde_json::from_value(json).unwrap();
        assert_eq!(s.targeting.audience, crate::Audience::Lapsed { days: 90 });
        assert_eq!(s.targeting.sample_percent, 100);
    }
}
