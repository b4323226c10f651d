//! What a shop's owner may change — the shop's settings and its surveys — and the
//! rules every change must follow, checked the same way by the owner API and the
//! dashboard. A failed check lists every field that is wrong, for a form to show.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::field_problem::{FieldProblem, Unit};
use crate::limits::*;
use crate::validate::validate_ref;
use crate::{Survey, SurveyKind};

/// A shop's settings, as the owner edits them.
// A member it does not know is refused: a misspelt one (`text_retention_day`)
// had been taken, changed nothing, and was answered 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    pub name: String,
    /// Origins allowed to embed the widget: `https://shop.example` (scheme, host, port).
    pub allowed_origins: Vec<String>,
    /// Loyalty tiers; one starts at 0 points.
    pub tiers: Vec<TierSetting>,
    /// Points per whole currency unit spent.
    pub points_per_unit: u64,
    /// Days without a purchase after which a customer counts as lost.
    pub churn_window_days: u32,
    /// IANA time zone (`Europe/Kyiv`): decides the day of answers and purchases.
    pub time_zone: String,
    /// Days after any survey during which a visitor is shown no other
    /// (`shared/targeting.md`).
    #[serde(default = "default_cooldown")]
    pub survey_cooldown_days: u32,
    /// Store only verified answers: ones whose customer or order reference the
    /// shop's page signed (`data-customer-sig`, `data-order-sig`).
    #[serde(default)]
    pub require_verified: bool,
    /// Days after which free-text answers are deleted (the scores stay); 0 keeps them.
    #[serde(default)]
    pub text_retention_days: u32,
}

fn default_cooldown() -> u32 {
    crate::targeting::DEFAULT_COOLDOWN_DAYS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSetting {
    pub name: String,
    pub min_points: u64,
    /// The tier's name by locale.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The settings with what the owner may read but not set directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopView {
    pub id: String,
    pub public_key: String,
    pub settings: ShopSettings,
}

/// A survey with the shop's choices about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyDefinition {
    pub survey: Survey,
    pub active: bool,
    /// Order among the shop's surveys, lowest first.
    pub position: i32,
}

/// Who changed what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// "dashboard" or "owner API", with the client address where known.
    pub actor: String,
    /// What was changed: "settings", "survey nps-after-purchase", "back-office key", …
    pub action: String,
    /// The change in words (old → new), secrets never included.
    pub detail: String,
}

/// A secret made anew: shown this once (the tokens are stored only hashed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedSecret {
    /// "back_office", "owner" or "widget".
    pub kind: String,
    pub secret: String,
}

/// One field that fails its rule: the problem's code and details, and its
/// English words in `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, as a path: `name`, `tiers[1].min_points`, `texts.uk.question`.
    pub field: String,
    pub message: String,
    #[serde(flatten)]
    pub problem: FieldProblem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: FieldProblem) -> FieldError {
        FieldError {
            field: field.into(),
            message: problem.to_string(),
            problem,
        }
    }
}

fn err(field: impl Into<String>, problem: FieldProblem) -> FieldError {
    FieldError::new(field, problem)
}

/// `https://shop.example` as a browser sends it in `Origin` (RFC 6454, by the
/// WHATWG URL rules browsers follow): scheme and host (and a port), no path.
/// The host as browsers write it: lower case, a name in another script in its
/// `xn--` form (`магазин.укр` is `xn--80aairftm.xn--j1amh`), IPv6 compressed;
/// a scheme's default port left out (an origin listed with it would match no
/// page). `None` for anything else.
pub fn normalize_origin(origin: &str) -> Option<String> {
    let origin = origin.trim();
    let (scheme, rest) = origin.split_once("://")?;
    // What the URL parser would take and drop (a path, a query, credentials)
    // is no part of an origin: refused rather than silently cut.
    // A wildcard (`https://*.shop.example`) would be kept as a name no page has.
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '\\', '*']) {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let url = url::Url::parse(origin).ok()?;
    if url.port() == Some(0) || url.host().is_none() {
        return None;
    }
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// A locale code: `en`, `uk`, `pt-BR` (2–3 letters, optionally a region).
pub fn valid_locale(code: &str) -> bool {
    let mut parts = code.split('-');
    let language = parts.next().unwrap_or_default();
    let region_ok = match parts.next() {
        None => true,
        Some(r) => (2..=3).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()),
    };
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && region_ok
        && parts.next().is_none()
}

/// A name, label or question: not empty, at most `max` characters, and no
/// control characters (a terminal's escapes, a bell: nothing a page shows).
fn check_len(field: &str, text: &str, max: usize, errors: &mut Vec<FieldError>) {
    if let Some(problem) = FieldProblem::of_length(text, max) {
        errors.push(err(field, problem));
    } else if text.chars().any(is_control_or_override) {
        errors.push(err(field, FieldProblem::ControlCharacters));
    }
}

/// A control character (a terminal's escape, a bell), or one that overrides
/// the direction of the text after it (U+202D, U+202E): a name holding one
/// reads otherwise than it is. Embeddings and isolates, which right-to-left
/// translations use, pass.
pub fn is_control_or_override(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202d}' | '\u{202e}')
}

fn check_labels(
    field: &str,
    labels: &BTreeMap<String, String>,
    max: usize,
    errors: &mut Vec<FieldError>,
) {
    for (locale, label) in labels {
        if !valid_locale(locale) {
            errors.push(err(
                format!("{field}.{locale}"),
                FieldProblem::NotALocale {
                    value: locale.clone(),
                },
            ));
        }
        check_len(&format!("{field}.{locale}"), label, max, errors);
    }
}

impl ShopSettings {
    /// Checks every rule (but the time zone's name, which the server knows) and
    /// normalises the origins; on failure, every field that is wrong.
    pub fn validate(&mut self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        self.name = self.name.trim().to_string();
        check_len("name", &self.name, MAX_NAME_CHARS, &mut errors);
        let mut origins = Vec::new();
        for (i, o) in self.allowed_origins.iter().enumerate() {
            match normalize_origin(o) {
                Some(o) if !origins.contains(&o) => origins.push(o),
                Some(_) => {}
                None => errors.push(err(
                    format!("allowed_origins[{i}]"),
                    FieldProblem::NotAnOrigin { value: o.clone() },
                )),
            }
        }
        // Counted once each, as browsers write them.
        if origins.len() > MAX_ORIGINS {
            errors.push(err(
                "allowed_origins",
                FieldProblem::AtMost {
                    max: MAX_ORIGINS as u64,
                    unit: Unit::Origins,
                },
            ));
        }
        self.allowed_origins = origins;
        if self.tiers.is_empty() || self.tiers.len() > MAX_TIERS {
            errors.push(err(
                "tiers",
                FieldProblem::Range {
                    min: 1,
                    max: MAX_TIERS as u64,
                    unit: Unit::Tiers,
                },
            ));
        }
        if !self.tiers.iter().any(|t| t.min_points == 0) {
            errors.push(err("tiers", FieldProblem::NoTierAtZero));
        }
        let mut names = BTreeSet::new();
        let mut starts = BTreeSet::new();
        for (i, t) in self.tiers.iter_mut().enumerate() {
            t.name = t.name.trim().to_string();
            check_len(
                &format!("tiers[{i}].name"),
                &t.name,
                MAX_NAME_CHARS,
                &mut errors,
            );
            if !names.insert(t.name.clone()) {
                errors.push(err(
                    format!("tiers[{i}].name"),
                    FieldProblem::Repeated {
                        value: t.name.clone(),
                    },
                ));
            }
            // Two tiers from the same points: which a customer is in is a toss.
            if !starts.insert(t.min_points) {
                errors.push(err(
                    format!("tiers[{i}].min_points"),
                    FieldProblem::Repeated {
                        value: t.min_points.to_string(),
                    },
                ));
            }
            if t.min_points > MAX_POINTS {
                errors.push(err(
                    format!("tiers[{i}].min_points"),
                    FieldProblem::AtMost {
                        max: MAX_POINTS,
                        unit: Unit::Points,
                    },
                ));
            }
            check_labels(
                &format!("tiers[{i}].labels"),
                &t.labels,
                MAX_NAME_CHARS,
                &mut errors,
            );
        }
        self.tiers.sort_by_key(|t| t.min_points);
        if self.points_per_unit > MAX_POINTS_PER_UNIT {
            errors.push(err(
                "points_per_unit",
                FieldProblem::Range {
                    min: 0,
                    max: MAX_POINTS_PER_UNIT,
                    unit: Unit::Points,
                },
            ));
        }
        if !(MIN_CHURN_WINDOW_DAYS..=MAX_CHURN_WINDOW_DAYS).contains(&self.churn_window_days) {
            errors.push(err(
                "churn_window_days",
                FieldProblem::Range {
                    min: MIN_CHURN_WINDOW_DAYS.into(),
                    max: MAX_CHURN_WINDOW_DAYS.into(),
                    unit: Unit::Days,
                },
            ));
        }
        if self.text_retention_days > MAX_TEXT_RETENTION_DAYS {
            errors.push(err(
                "text_retention_days",
                FieldProblem::KeepOrDays {
                    max: MAX_TEXT_RETENTION_DAYS.into(),
                },
            ));
        }
        if self.survey_cooldown_days > MAX_RECONTACT_DAYS {
            errors.push(err(
                "survey_cooldown_days",
                FieldProblem::Range {
                    min: 0,
                    max: MAX_RECONTACT_DAYS.into(),
                    unit: Unit::Days,
                },
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Checks a survey definition: its id, a text in its default locale, texts and
/// labels of sane length in valid locales, distinct reason codes.
pub fn validate_survey(s: &Survey) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(e) = validate_ref("id", &s.id) {
        errors.push(err("id", FieldProblem::of_reference(e)));
    } else if s.id.chars().count() > MAX_ID_CHARS {
        errors.push(err(
            "id",
            FieldProblem::TooLong {
                len: s.id.chars().count() as u64,
                max: MAX_ID_CHARS as u64,
            },
        ));
    }
    if !valid_locale(&s.default_locale) {
        errors.push(err(
            "default_locale",
            FieldProblem::NotALocale {
                value: s.default_locale.clone(),
            },
        ));
    }
    if !s.texts.contains_key(&s.default_locale) {
        errors.push(err(
            format!("texts.{}", s.default_locale),
            FieldProblem::DefaultLocaleWithoutTexts,
        ));
    }
    if s.texts.len() > MAX_LOCALES {
        errors.push(err(
            "texts",
            FieldProblem::AtMost {
                max: MAX_LOCALES as u64,
                unit: Unit::Locales,
            },
        ));
    }
    for (locale, t) in &s.texts {
        if !valid_locale(locale) {
            errors.push(err(
                format!("texts.{locale}"),
                FieldProblem::NotALocale {
                    value: locale.clone(),
                },
            ));
        }
        check_len(
            &format!("texts.{locale}.question"),
            &t.question,
            MAX_QUESTION_CHARS,
            &mut errors,
        );
        if let Some(f) = &t.follow_up
            && !f.trim().is_empty()
        {
            check_len(
                &format!("texts.{locale}.follow_up"),
                f,
                MAX_QUESTION_CHARS,
                &mut errors,
            );
        }
    }
    crate::targeting::validate_targeting(&s.targeting, &mut errors);
    if let SurveyKind::ChurnReason { reasons, .. } = &s.kind {
        if reasons.is_empty() || reasons.len() > MAX_REASONS {
            errors.push(err(
                "reasons",
                FieldProblem::Range {
                    min: 1,
                    max: MAX_REASONS as u64,
                    unit: Unit::Reasons,
                },
            ));
        }
        let mut codes = BTreeSet::new();
        for (i, r) in reasons.iter().enumerate() {
            if let Err(e) = validate_ref("code", &r.code) {
                errors.push(err(
                    format!("reasons[{i}].code"),
                    FieldProblem::of_reference(e),
                ));
            }
            if !codes.insert(&r.code) {
                errors.push(err(
                    format!("reasons[{i}].code"),
                    FieldProblem::Repeated {
                        value: r.code.clone(),
                    },
                ));
            }
            if r.labels.is_empty() {
                errors.push(err(format!("reasons[{i}].labels"), FieldProblem::NoLabel));
            } else {
                // In each language the survey asks in (a reason labelled in
                // English alone had been shown in English to Ukrainian visitors).
                for locale in s.texts.keys().filter(|l| !r.labels.contains_key(*l)) {
                    errors.push(err(
                        format!("reasons[{i}].labels.{locale}"),
                        FieldProblem::NoLabelIn {
                            locale: locale.clone(),
                        },
                    ));
                }
            }
            check_labels(
                &format!("reasons[{i}].labels"),
                &r.labels,
                MAX_LABEL_CHARS,
                &mut errors,
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChurnReasonChoice, SurveyTexts};

    fn settings() -> ShopSettings {
        ShopSettings {
            name: " Northwind ".into(),
            allowed_origins: vec!["https://Shop.Example".into(), "https://shop.example".into()],
            tiers: vec![
                TierSetting {
                    name: "Gold".into(),
                    min_points: 2000,
                    labels: BTreeMap::new(),
                },
                TierSetting {
                    name: "Base".into(),
                    min_points: 0,
                    labels: BTreeMap::new(),
                },
            ],
            points_per_unit: 1,
            churn_window_days: 90,
            time_zone: "UTC".into(),
            survey_cooldown_days: 7,
            require_verified: false,
            text_retention_days: 0,
        }
    }

    #[test]
    fn settings_are_normalised_and_every_bad_field_is_named() {
        let mut s = settings();
        s.validate().unwrap();
        assert_eq!(s.name, "Northwind");
        assert_eq!(s.allowed_origins, ["https://shop.example"]);
        assert_eq!(s.tiers[0].name, "Base", "tiers sorted by points");

        let mut bad = settings();
        bad.name = "".into();
        bad.allowed_origins.push("shop.example/path".into());
        bad.tiers[1].min_points = 5;
        bad.tiers[0]
            .labels
            .insert("ukrainian".into(), "Золото".into());
        bad.points_per_unit = MAX_POINTS_PER_UNIT + 1;
        bad.churn_window_days = 1;
        bad.survey_cooldown_days = MAX_RECONTACT_DAYS + 1;
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "allowed_origins[2]",
                "tiers",
                "tiers[0].labels.ukrainian",
                "points_per_unit",
                "churn_window_days",
                "survey_cooldown_days"
            ]
        );

        // Two tiers from the same points, and a name that turns the text.
        let mut bad = settings();
        bad.tiers[0].min_points = 0;
        bad.tiers[1].name = "Base\u{202e}esaB".into();
        let problems: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect();
        assert_eq!(
            problems,
            [
                ("tiers[1].name".to_string(), FieldProblem::ControlCharacters),
                (
                    "tiers[1].min_points".to_string(),
                    FieldProblem::Repeated { value: "0".into() }
                ),
            ]
        );
    }

    #[test]
    fn surveys_need_texts_in_their_default_locale_and_distinct_reasons() {
        let texts = |q: &str| SurveyTexts {
            question: q.into(),
            follow_up: None,
        };
        let mut s = Survey {
            id: "churn".into(),
            kind: SurveyKind::ChurnReason {
                reasons: vec![
                    ChurnReasonChoice {
                        code: "price".into(),
                        labels: BTreeMap::from([("en".into(), "Price".into())]),
                    },
                    ChurnReasonChoice {
                        code: "price".into(),
                        labels: BTreeMap::new(),
                    },
                ],
                allow_other_text: true,
            },
            default_locale: "en".into(),
            texts: BTreeMap::from([("uk".into(), texts("Чому?")), ("xx-?".into(), texts(" "))]),
            targeting: Default::default(),
        };
        let fields: Vec<_> = validate_survey(&s)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "texts.en",
                "texts.xx-?",
                "texts.xx-?.question",
                // Its label in English only, the survey asking in Ukrainian too.
                "reasons[0].labels.uk",
                "reasons[0].labels.xx-?",
                "reasons[1].code",
                "reasons[1].labels"
            ]
        );
        s.texts = BTreeMap::from([("en".into(), texts("Why?"))]);
        if let SurveyKind::ChurnReason { reasons, .. } = &mut s.kind {
            reasons.pop();
        }
        assert_eq!(validate_survey(&s), Ok(()));
        // A terminal's escape or a bell in a question: refused, not shown to visitors.
        s.texts = BTreeMap::from([("en".into(), texts("Why?\u{7}\u{1b}[31m"))]);
        let problems: Vec<_> = validate_survey(&s)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect();
        assert_eq!(
            problems,
            [(
                "texts.en.question".to_string(),
                FieldProblem::ControlCharacters
            )]
        );
    }

    #[test]
    fn origins_are_written_as_browsers_write_them() {
        for (listed, origin) in [
            ("https://Shop.Example.com", "https://shop.example.com"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            // No default port: a browser writes none.
            ("https://Shop.Example:443", "https://shop.example"),
            ("http://shop.example:80", "http://shop.example"),
            ("https://shop.example:0443", "https://shop.example"),
            ("https://shop.example:80", "https://shop.example:80"),
            ("http://shop.example:443", "http://shop.example:443"),
            ("http://127.0.0.1:08080", "http://127.0.0.1:8080"),
            ("http://[::1]:80", "http://[::1]"),
            ("http://[::1]", "http://[::1]"),
            ("http://[0:0::1]:3000", "http://[::1]:3000"),
            // A name in another script, as browsers send it.
            ("https://Магазин.укр", "https://xn--80aairftm.xn--j1amh"),
            ("https://shop.example.", "https://shop.example."),
            ("https://shop.example.com:", "https://shop.example.com"),
        ] {
            assert_eq!(
                normalize_origin(listed).as_deref(),
                Some(origin),
                "{listed}"
            );
        }
        for bad in [
            "shop.example.com",
            "ftp://shop.example.com",
            "https://shop.example.com/",
            "https://shop.example.com/path",
            "https://",
            "https://shop.example.com:0",
            "https://shop.example.com:99999",
            "https://shop example.com",
            "https://shop.example.com?x",
            "http://[::1]x",
            "http://[::g]:80",
            "null",
            "https://*.example",
            "https://shop.*",
        ] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_limit_counts_each_origin_once_as_browsers_write_it() {
        let mut s = settings();
        s.allowed_origins = (0..MAX_ORIGINS)
            .map(|i| format!("https://s{i}.example"))
            .chain(["https://S0.example:443".to_string()])
            .collect();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.allowed_origins.len(), MAX_ORIGINS);
        s.allowed_origins.push("https://one-more.example".into());
        let fields: Vec<String> = s
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["allowed_origins"]);
    }

    #[test]
    fn locales() {
        assert!(valid_locale("en") && valid_locale("pt-BR") && valid_locale("uk"));
        assert!(!valid_locale("EN") && !valid_locale("english") && !valid_locale("en-"));
    }
}
