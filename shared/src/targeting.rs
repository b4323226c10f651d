//! When and to whom a survey shows: the rules' types, their validation, the display
//! plan the widget's loader reads, and the server's part of the decision. The rules
//! themselves are described once, in `shared/targeting.md`, and tested against the
//! table of cases `shared/targeting-cases.json`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::field_problem::{FieldProblem, Unit};
use crate::limits::{
    MAX_CHURN_WINDOW_DAYS, MAX_DELAY_SECONDS, MAX_PAGE_PATH_CHARS, MAX_PAGE_RULES,
    MAX_RECONTACT_DAYS, MIN_CHURN_WINDOW_DAYS,
};
use crate::settings::FieldError;
use crate::survey::{ShopInfo, Survey};

/// Days a visitor is not shown a survey again after being shown it, by default.
pub const DEFAULT_RECONTACT_DAYS: u32 = 30;
/// Days after any survey during which a visitor is shown no other, by default.
pub const DEFAULT_COOLDOWN_DAYS: u32 = 7;

/// When and to whom a survey may show (see `shared/targeting.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targeting {
    #[serde(default)]
    pub audience: Audience,
    /// The pages it may show on; empty: every page.
    #[serde(default)]
    pub pages: Vec<PageRule>,
    /// Seconds after the page loads before it appears.
    #[serde(default)]
    pub delay_seconds: u32,
    /// The share of visitors (0–100) ever asked.
    #[serde(default = "all_visitors")]
    pub sample_percent: u8,
    /// Days before a visitor shown it may be shown it again.
    #[serde(default = "default_recontact_days")]
    pub recontact_days: u32,
    /// Answered or skipped for an order: never again for that order.
    #[serde(default = "yes")]
    pub once_per_order: bool,
}

fn all_visitors() -> u8 {
    100
}
fn default_recontact_days() -> u32 {
    DEFAULT_RECONTACT_DAYS
}
fn yes() -> bool {
    true
}

impl Default for Targeting {
    fn default() -> Self {
        Targeting {
            audience: Audience::Everyone,
            pages: Vec::new(),
            delay_seconds: 0,
            sample_percent: all_visitors(),
            recontact_days: DEFAULT_RECONTACT_DAYS,
            once_per_order: true,
        }
    }
}

/// Which visitors a survey is meant for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Anyone who sees the page: the post-purchase NPS and CSAT.
    #[default]
    Everyone,
    /// Only visitors the shop identified (`data-customer`).
    KnownCustomers,
    /// Only customers whose last purchase is `days` days old or more (the churn
    /// survey): never a buyer on an order page.
    Lapsed { days: u32 },
}

/// A page a survey may show on, by its path (`location.pathname`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRule {
    #[serde(rename = "match")]
    pub kind: PageMatch,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageMatch {
    /// The path is exactly this.
    Exact,
    /// The path starts with this.
    Prefix,
    /// The whole path matches: `*` any characters but `/`, `**` any characters.
    Glob,
}

impl PageMatch {
    pub const ALL: [PageMatch; 3] = [PageMatch::Exact, PageMatch::Prefix, PageMatch::Glob];

    pub fn as_str(self) -> &'static str {
        match self {
            PageMatch::Exact => "exact",
            PageMatch::Prefix => "prefix",
            PageMatch::Glob => "glob",
        }
    }

    pub fn parse(s: &str) -> Option<PageMatch> {
        PageMatch::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A page rule's path as browsers write `location.pathname`, which it is
/// compared with: a character past ASCII (or one of `"<>`{}`) as the
/// percent-encoding of its UTF-8 bytes (`/замовлення` is `/%D0%B7%D0%B0…`),
/// every percent-encoding in capitals (the loader compares the page's path
/// with its encodings in capitals: a link may write them small); the rest as
/// written. The plan gives rules so (a rule written `/замовлення/**` had
/// matched no page); they are kept as the owner wrote them.
pub fn path_as_browsers_write(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            out.push('%');
            // An encoding's two hex digits, in capitals.
            for _ in 0..2 {
                match chars.peek() {
                    Some(d) if d.is_ascii_hexdigit() => {
                        out.push(d.to_ascii_uppercase());
                        chars.next();
                    }
                    _ => break,
                }
            }
        } else if c.is_ascii() && !matches!(c, '"' | '<' | '>' | '`' | '{' | '}') {
            out.push(c);
        } else {
            for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// A path as its owner reads it: the percent-encodings of characters past
/// ASCII as those characters; an encoded ASCII character (`%20`, `%2F`),
/// and anything that decodes to no character, as written.
pub fn readable_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let escaped = |i: usize| -> Option<u8> {
        let hex = path.get(i + 1..i + 3)?;
        (bytes[i] == b'%' && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u8::from_str_radix(hex, 16).ok())
            .flatten()
    };
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        // A run of encoded bytes from `i` that is one character past ASCII.
        let lead = escaped(i).filter(|b| *b >= 0x80);
        let width = lead.map_or(0, |b| match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 0,
        });
        let decoded = (width > 0)
            .then(|| {
                (0..width)
                    .map(|k| escaped(i + 3 * k))
                    .collect::<Option<Vec<u8>>>()
            })
            .flatten()
            .and_then(|utf8| String::from_utf8(utf8).ok());
        if let Some(c) = decoded {
            out.push_str(&c);
            i += 3 * width;
        } else {
            let c = path[i..]
                .chars()
                .next()
                .expect("a character at a char boundary");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Checks a survey's targeting; the errors name the fields (`targeting.pages[2].path`).
pub fn validate_targeting(t: &Targeting, errors: &mut Vec<FieldError>) {
    let mut err =
        |field: String, problem: FieldProblem| errors.push(FieldError::new(field, problem));
    let range = |min: u32, max: u32, unit: Unit| FieldProblem::Range {
        min: min.into(),
        max: max.into(),
        unit,
    };
    if let Audience::Lapsed { days } = t.audience
        && !(MIN_CHURN_WINDOW_DAYS..=MAX_CHURN_WINDOW_DAYS).contains(&days)
    {
        err(
            "targeting.audience.days".into(),
            range(MIN_CHURN_WINDOW_DAYS, MAX_CHURN_WINDOW_DAYS, Unit::Days),
        );
    }
    if t.pages.len() > MAX_PAGE_RULES {
        err(
            "targeting.pages".into(),
            FieldProblem::AtMost {
                max: MAX_PAGE_RULES as u64,
                unit: Unit::PageRules,
            },
        );
    }
    for (i, rule) in t.pages.iter().enumerate() {
        let p = &rule.path;
        let len = p.chars().count();
        let problem = if !p.starts_with('/') {
            Some(FieldProblem::PathNotAbsolute)
        } else if len > MAX_PAGE_PATH_CHARS {
            Some(FieldProblem::TooLong {
                len: len as u64,
                max: MAX_PAGE_PATH_CHARS as u64,
            })
        } else if p.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some(FieldProblem::PathWithSpaces)
        } else if p.contains(['?', '#']) {
            Some(FieldProblem::PathWithQuery)
        } else if rule.kind != PageMatch::Glob && p.contains('*') {
            Some(FieldProblem::WildcardOutsideGlob)
        } else {
            None
        };
        if let Some(problem) = problem {
            err(format!("targeting.pages[{i}].path"), problem);
        }
    }
    if t.delay_seconds > MAX_DELAY_SECONDS {
        err(
            "targeting.delay_seconds".into(),
            range(0, MAX_DELAY_SECONDS, Unit::Seconds),
        );
    }
    if t.sample_percent > 100 {
        err(
            "targeting.sample_percent".into(),
            range(0, 100, Unit::Percent),
        );
    }
    if t.recontact_days > MAX_RECONTACT_DAYS {
        err(
            "targeting.recontact_days".into(),
            range(0, MAX_RECONTACT_DAYS, Unit::Days),
        );
    }
}

/// What the widget shows from (`GET api::plan`): the shop's active surveys in
/// order, each with its rules and the server's verdict for this visitor, and
/// the shop's cooldown. Texts are only the visitor's locale's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayPlan {
    pub shop: ShopInfo,
    pub cooldown_days: u32,
    pub surveys: Vec<PlannedSurvey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedSurvey {
    #[serde(flatten)]
    pub survey: Survey,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What the loader decides with, on every page (`GET api::plan` with
/// `texts=false`, and written into `kept.js?key=…`): of each survey of the plan
/// only what `widget/loader/decide.js` reads: its id, its targeting but the
/// audience (which only the server judges: the verdict), and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRules {
    pub cooldown_days: u32,
    pub surveys: Vec<SurveyRules>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyRules {
    pub id: String,
    pub targeting: PageTargeting,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// A survey's `Targeting` but its audience: what the loader decides with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageTargeting {
    pub pages: Vec<PageRule>,
    pub delay_seconds: u32,
    pub sample_percent: u8,
    pub recontact_days: u32,
    pub once_per_order: bool,
}

impl From<&Targeting> for PageTargeting {
    fn from(t: &Targeting) -> Self {
        PageTargeting {
            pages: t.pages.clone(),
            delay_seconds: t.delay_seconds,
            sample_percent: t.sample_percent,
            recontact_days: t.recontact_days,
            once_per_order: t.once_per_order,
        }
    }
}

impl From<&DisplayPlan> for DecisionRules {
    fn from(plan: &DisplayPlan) -> Self {
        DecisionRules {
            cooldown_days: plan.cooldown_days,
            surveys: plan
                .surveys
                .iter()
                .map(|s| SurveyRules {
                    id: s.survey.id.clone(),
                    targeting: PageTargeting::from(&s.survey.targeting),
                    verdict: s.verdict,
                })
                .collect(),
        }
    }
}

/// The server's part of the decision (see `shared/targeting.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The visitor is in the survey's audience.
    pub audience_match: bool,
    /// An answer to the survey for this page's order is stored.
    pub answered: bool,
}

/// Who the page says the visitor is, as the plan request carries it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visitor<'a> {
    pub customer: Option<&'a str>,
    pub order: Option<&'a str>,
}

/// The server's verdict on one survey for `visitor`: `last_purchase` is the
/// customer's last purchase day known to Kept, `today` the shop's local day,
/// `answered_for_order` whether an answer to the survey for the page's order is stored.
pub fn verdict(
    audience: Audience,
    visitor: Visitor<'_>,
    last_purchase: Option<NaiveDate>,
    today: NaiveDate,
    answered_for_order: bool,
) -> Verdict {
    let audience_match = match audience {
        Audience::Everyone => true,
        Audience::KnownCustomers => visitor.customer.is_some(),
        Audience::Lapsed { days } => {
            visitor.customer.is_some()
                && visitor.order.is_none()
                && last_purchase.is_some_and(|last| (today - last).num_days() >= i64::from(days))
        }
    };
    Verdict {
        audience_match,
        answered: visitor.order.is_some() && answered_for_order,
    }
}

#[cfg(test)]
mod tests {

    /// A rule's path is saved as the browser's `location.pathname` reads, and
    /// shown to its owner as they wrote it.
    #[test]
    fn a_path_is_saved_as_browsers_write_it_and_read_as_written() {
        for (typed, saved) in [
            (
                "/замовлення/**",
                "/%D0%B7%D0%B0%D0%BC%D0%BE%D0%B2%D0%BB%D0%B5%D0%BD%D0%BD%D1%8F/**",
            ),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("/café", "/caf%C3%A9"),
            ("/Cart%20Done", "/Cart%20Done"),
            ("/a%2fb/🛒", "/a%2Fb/%F0%9F%9B%92"),
            ("/100%", "/100%"),
            ("/50%x", "/50%x"),
            ("/a{b}/\"q\"", "/a%7Bb%7D/%22q%22"),
        ] {
            assert_eq!(path_as_browsers_write(typed), saved, "{typed}");
        }
        for (saved, shown) in [
            (
                "/%D0%B7%D0%B0%D0%BC%D0%BE%D0%B2%D0%BB%D0%B5%D0%BD%D0%BD%D1%8F/**",
                "/замовлення/**",
            ),
            ("/caf%C3%A9", "/café"),
            ("/Cart%20Done", "/Cart%20Done"),
            ("/a%2Fb/%F0%9F%9B%92", "/a%2Fb/🛒"),
            ("/%C3", "/%C3"),
            ("/%C3%28", "/%C3%28"),
            ("/100%", "/100%"),
        ] {
            assert_eq!(readable_path(saved), shown, "{saved}");
            assert_eq!(
                path_as_browsers_write(&readable_path(saved)),
                saved,
                "{saved}"
            );
        }
    }

    use chrono::Duration;

    use super::*;

    /// The server's cases of the one table (`plan_cases`).
    #[test]
    fn the_servers_verdicts_follow_the_table_of_cases() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../targeting-cases.json")).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let cases = table["plan_cases"].as_array().unwrap();
        assert!(cases.len() >= 10);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let audience: Audience = serde_json::from_value(case["audience"].clone()).unwrap();
            let visitor = Visitor {
                customer: case["customer"].as_str(),
                order: case["order"].as_str(),
            };
            let last = case["last_purchase_days_ago"]
                .as_i64()
                .map(|d| today - Duration::days(d));
            let got = verdict(
                audience,
                visitor,
                last,
                today,
                case["answered_for_order"].as_bool().unwrap(),
            );
            let expected: Verdict = serde_json::from_value(case["expect"].clone()).unwrap();
            assert_eq!(got, expected, "{name}");
        }
    }

    /// The table's defaults are this type's: the loader's tests fill them in.
    #[test]
    fn the_tables_defaults_are_the_rules_defaults() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../targeting-cases.json")).unwrap();
        let defaults: Targeting = serde_json::from_value(table["defaults"].clone()).unwrap();
        assert_eq!(defaults, Targeting::default());
        assert_eq!(
            serde_json::to_value(Targeting::default()).unwrap(),
            table["defaults"]
        );
        // A survey stored before targeting had rules reads as the defaults.
        let old: Targeting = serde_json::from_str(r#"{"audience":{"kind":"everyone"}}"#).unwrap();
        assert_eq!(old, Targeting::default());
    }

    #[test]
    fn rules_out_of_range_are_named() {
        let t = Targeting {
            audience: Audience::Lapsed { days: 0 },
            pages: vec![
                PageRule {
                    kind: PageMatch::Exact,
                    path: "thanks".into(),
                },
                PageRule {
                    kind: PageMatch::Prefix,
                    path: "/a/*".into(),
                },
                PageRule {
                    kind: PageMatch::Glob,
                    path: "/orders/*/done?x=1".into(),
                },
                PageRule {
                    kind: PageMatch::Glob,
                    path: "/orders/**".into(),
                },
            ],
            delay_seconds: MAX_DELAY_SECONDS + 1,
            sample_percent: 101,
            recontact_days: MAX_RECONTACT_DAYS + 1,
            once_per_order: true,
        };
        let mut errors = Vec::new();
        validate_targeting(&t, &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "targeting.audience.days",
                "targeting.pages[0].path",
                "targeting.pages[1].path",
                "targeting.pages[2].path",
                "targeting.delay_seconds",
                "targeting.sample_percent",
                "targeting.recontact_days",
            ]
        );
        let mut none = Vec::new();
        validate_targeting(&Targeting::default(), &mut none);
        assert!(none.is_empty());
    }
}
