//! The widget's configuration, from the `data-*` attributes of its script tag.

use std::collections::BTreeMap;

use kept_shared::Survey;
use kept_shared::validate::validate_ref;

use crate::asked::Outcome;

/// Default seconds the kiosk shows its thank-you screen before the next respondent.
pub const DEFAULT_KIOSK_THANKS_SECONDS: u32 = 6;
/// Default seconds without a touch after which a half-answered kiosk survey is discarded.
pub const DEFAULT_KIOSK_IDLE_SECONDS: u32 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Embedded in the shop's page.
    Inline,
    /// Full screen on an in-store tablet, one respondent after another.
    Kiosk,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WidgetConfig {
    /// Base URL of the Kept API, without a trailing slash.
    pub api: String,
    pub public_key: String,
    /// Survey ids to show, in order; `None`: all the shop's active surveys.
    pub surveys: Option<Vec<String>>,
    pub customer: Option<String>,
    pub order: Option<String>,
    pub locale: String,
    pub mode: Mode,
    pub kiosk_thanks_seconds: u32,
    pub kiosk_idle_seconds: u32,
    /// The owner's preview (`data-preview="true"`): nothing is queued, counted or
    /// remembered.
    pub preview: bool,
}

/// Reads the configuration `mount` gets as JSON: an object of attribute names
/// (without `data-`, either `kiosk-idle-seconds` or `kioskIdleSeconds`) to values.
/// Numbers and booleans are taken as their text; `null` as absent.
pub fn attrs_from_json(json: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("the configuration is not JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("the configuration is not an object of data-* attributes".into());
    };
    let mut attrs = BTreeMap::new();
    for (name, value) in map {
        let name = kebab(name.strip_prefix("data-").unwrap_or(&name));
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            other => return Err(format!("data-{name} must be text, not {other}")),
        };
        attrs.insert(name, text);
    }
    Ok(attrs)
}

/// "kioskIdleSeconds" → "kiosk-idle-seconds" (dataset names to attribute names).
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses the attributes (names without `data-`). `api` and `locale` come filled
/// in by the loader with the script's origin and the browser's language.
pub fn parse(attrs: &BTreeMap<String, String>) -> Result<WidgetConfig, String> {
    let get = |name: &str| attrs.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let public_key = get("key")
        .ok_or("data-key (the shop's public key) is missing")?
        .to_string();
    validate_ref("data-key", &public_key).map_err(|e| e.to_string())?;
    let api = get("api")
        .ok_or("data-api is missing")?
        .trim_end_matches('/')
        .to_string();
    if !(api.starts_with("https://") || api.starts_with("http://")) {
        return Err(format!("data-api {api:?} is not an http(s) URL"));
    }
    let reference = |name: &str| -> Result<Option<String>, String> {
        get(name)
            .map(|v| {
                validate_ref(&format!("data-{name}"), v)
                    .map(|_| v.to_string())
                    .map_err(|e| e.to_string())
            })
            .transpose()
    };
    let mode = match get("mode") {
        None | Some("inline") => Mode::Inline,
        Some("kiosk") => Mode::Kiosk,
        Some(other) => {
            return Err(format!(
                "data-mode {other:?} is neither \"inline\" nor \"kiosk\""
            ));
        }
    };
    let seconds = |name: &str, default: u32| -> Result<u32, String> {
        match get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or(format!("data-{name} must be 1 to 3600 seconds")),
        }
    };
    let surveys = get("survey").map(|v| {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let kiosk = mode == Mode::Kiosk;
    Ok(WidgetConfig {
        api,
        public_key,
        surveys,
        // A kiosk serves strangers one after another: it never carries a person's references.
        customer: if kiosk { None } else { reference("customer")? },
        order: if kiosk { None } else { reference("order")? },
        locale: get("locale").unwrap_or("en").to_string(),
        mode,
        kiosk_thanks_seconds: seconds("kiosk-thanks-seconds", DEFAULT_KIOSK_THANKS_SECONDS)?,
        kiosk_idle_seconds: seconds("kiosk-idle-seconds", DEFAULT_KIOSK_IDLE_SECONDS)?,
        preview: get("preview") == Some("true"),
    })
}

/// Which surveys to ask this visitor, and how the ones not asked ended before.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The surveys to ask, in order.
    pub ask: Vec<Survey>,
    /// The outcomes of the chosen surveys this visitor already answered or skipped.
    pub earlier: Vec<Outcome>,
}

/// The surveys for this page: those the snippet names (`data-survey`), in its
/// order, whatever their audience (unknown ids are skipped); without names, the
/// shop's surveys that show by default ([`kept_shared::Targeting::shown_by_default`]:
/// never the churn survey, which is for lapsed customers, on an order page).
/// Then those `earlier` says this visitor already answered or skipped are left
/// out, so nobody is asked twice.
pub fn surveys_to_ask(
    all: &[Survey],
    wanted: Option<&[String]>,
    earlier: impl Fn(&str) -> Option<Outcome>,
) -> Plan {
    let chosen: Vec<&Survey> = match wanted {
        None => all
            .iter()
            .filter(|s| s.targeting.shown_by_default())
            .collect(),
        Some(ids) => ids
            .iter()
            .filter_map(|id| all.iter().find(|s| &s.id == id))
            .collect(),
    };
    let mut plan = Plan {
        ask: Vec::new(),
        earlier: Vec::new(),
    };
    for survey in chosen {
        match earlier(&survey.id) {
            Some(outcome) => plan.earlier.push(outcome),
            None => plan.ask.push(survey.clone()),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use kept_shared::{Audience, Targeting};

    use super::*;

    fn survey(id: &str, audience: Audience) -> Survey {
        Survey {
            id: id.into(),
            kind: kept_shared::SurveyKind::Csat,
            default_locale: "en".into(),
            texts: BTreeMap::new(),
            targeting: Targeting { audience },
        }
    }

    fn ids(v: &[Survey]) -> Vec<&str> {
        v.iter().map(|s| s.id.as_str()).collect()
    }

    fn shop() -> [Survey; 3] {
        [
            survey("nps", Audience::Everyone),
            survey("csat", Audience::Everyone),
            survey("churn", Audience::Lapsed { days: 90 }),
        ]
    }

    #[test]
    fn without_names_only_surveys_shown_by_default_are_asked() {
        let all = shop();
        let plan = surveys_to_ask(&all, None, |_| None);
        assert_eq!(ids(&plan.ask), ["nps", "csat"], "never the churn survey");
        assert!(plan.earlier.is_empty());
        let known = [survey("vip", Audience::KnownCustomers)];
        assert!(surveys_to_ask(&known, None, |_| None).ask.is_empty());
    }

    #[test]
    fn named_surveys_are_asked_in_the_snippets_order_whatever_their_audience() {
        let all = shop();
        let wanted = ["churn".to_string(), "gone".to_string(), "nps".to_string()];
        let plan = surveys_to_ask(&all, Some(&wanted), |_| None);
        assert_eq!(ids(&plan.ask), ["churn", "nps"]);
    }

    #[test]
    fn surveys_answered_or_skipped_before_are_left_out_and_their_outcomes_kept() {
        let all = shop();
        let earlier = |id: &str| match id {
            "nps" => Some(Outcome::Skipped),
            "churn" => Some(Outcome::Answered),
            _ => None,
        };
        let plan = surveys_to_ask(&all, None, earlier);
        assert_eq!(ids(&plan.ask), ["csat"]);
        assert_eq!(plan.earlier, [Outcome::Skipped]);
        let plan = surveys_to_ask(&all, None, |_| Some(Outcome::Skipped));
        assert!(plan.ask.is_empty());
        assert_eq!(plan.earlier, [Outcome::Skipped, Outcome::Skipped]);
    }

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_minimal_snippet_is_an_inline_widget_for_all_surveys() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "https://kept.example/"),
            ("locale", "uk-UA"),
        ]))
        .unwrap();
        assert_eq!(c.api, "https://kept.example");
        assert_eq!(
            (c.mode, c.surveys, c.customer, c.locale.as_str()),
            (Mode::Inline, None, None, "uk-UA")
        );
        assert_eq!(c.kiosk_idle_seconds, DEFAULT_KIOSK_IDLE_SECONDS);
    }

    #[test]
    fn all_options_are_read() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://127.0.0.1:8080"),
            ("survey", "nps, csat"),
            ("customer", "alice"),
            ("order", "o-1"),
            ("kiosk-thanks-seconds", "2"),
        ]))
        .unwrap();
        assert_eq!(c.surveys, Some(vec!["nps".to_string(), "csat".to_string()]));
        assert_eq!(
            (
                c.customer.as_deref(),
                c.order.as_deref(),
                c.kiosk_thanks_seconds
            ),
            (Some("alice"), Some("o-1"), 2)
        );
    }

    #[test]
    fn a_kiosk_drops_personal_references() {
        let c = parse(&attrs(&[
            ("key", "pk_demo"),
            ("api", "http://x"),
            ("mode", "kiosk"),
            ("customer", "alice"),
        ]))
        .unwrap();
        assert_eq!((c.mode, c.customer), (Mode::Kiosk, None));
    }

    #[test]
    fn the_mount_configuration_is_read_from_json() {
        let a = attrs_from_json(
            r#"{"key":"pk_demo","api":"http://x","kioskIdleSeconds":30,"data-mode":"kiosk","order":null}"#,
        )
        .unwrap();
        assert_eq!(
            a,
            attrs(&[
                ("key", "pk_demo"),
                ("api", "http://x"),
                ("kiosk-idle-seconds", "30"),
                ("mode", "kiosk")
            ])
        );
        assert_eq!(parse(&a).unwrap().kiosk_idle_seconds, 30);
        assert!(attrs_from_json("[1]").is_err());
        assert!(attrs_from_json("not json").is_err());
        assert!(attrs_from_json(r#"{"key":{"a":1}}"#).is_err());
    }

    #[test]
    fn bad_snippets_say_what_is_wrong() {
        assert!(
            parse(&attrs(&[("api", "http://x")]))
                .unwrap_err()
                .contains("data-key")
        );
        assert!(
            parse(&attrs(&[("key", "pk"), ("api", "ftp://x")]))
                .unwrap_err()
                .contains("data-api")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("mode", "tv")
            ]))
            .unwrap_err()
            .contains("data-mode")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("customer", "a b")
            ]))
            .unwrap_err()
            .contains("data-customer")
        );
        assert!(
            parse(&attrs(&[
                ("key", "pk"),
                ("api", "http://x"),
                ("kiosk-idle-seconds", "0")
            ]))
            .unwrap_err()
            .contains("seconds")
        );
    }
}
