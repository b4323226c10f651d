//! Numbers, dates and names as the dashboard writes them, in the reader's language.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use kept_shared::{Period, Segment, Survey, SurveyKind};

use super::i18n::Lang;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_RU: [&str; 12] = [
    "янв.",
    "февр.",
    "мар.",
    "апр.",
    "мая",
    "июн.",
    "июл.",
    "авг.",
    "сент.",
    "окт.",
    "нояб.",
    "дек.",
];
const MONTHS_RU_ALONE: [&str; 12] = [
    "янв.",
    "февр.",
    "март",
    "апр.",
    "май",
    "июнь",
    "июль",
    "авг.",
    "сент.",
    "окт.",
    "нояб.",
    "дек.",
];
const MONTHS_UK: [&str; 12] = [
    "січ.",
    "лют.",
    "бер.",
    "квіт.",
    "трав.",
    "черв.",
    "лип.",
    "серп.",
    "вер.",
    "жовт.",
    "лист.",
    "груд.",
];

fn month(lang: Lang, m: u32, alone: bool) -> &'static str {
    let i = (m as usize).saturating_sub(1).min(11);
    match (lang, alone) {
        (Lang::En, _) => MONTHS_EN[i],
        (Lang::Ru, true) => MONTHS_RU_ALONE[i],
        (Lang::Ru, false) => MONTHS_RU[i],
        (Lang::Uk, _) => MONTHS_UK[i],
    }
}

/// "28 Nov 2026", "28 нояб. 2026".
pub fn date(lang: Lang, d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month(lang, d.month(), false), d.year())
}

/// A date and time in the shop's zone: "28 Nov 2026, 14:05".
pub fn date_time(lang: Lang, t: DateTime<Utc>, zone: Tz) -> String {
    let local = t.with_timezone(&zone);
    format!(
        "{}, {}",
        date(lang, local.date_naive()),
        local.format("%H:%M")
    )
}

/// A period's label on a chart: "Nov 2026" for a month, "23 Nov" for a week.
pub fn period_label(lang: Lang, start: NaiveDate, period: Period) -> String {
    match period {
        Period::Month => format!("{} {}", month(lang, start.month(), true), start.year()),
        _ => format!("{} {}", start.day(), month(lang, start.month(), false)),
    }
}

/// A whole number with its thousands apart: "12 345" (narrow no-break
/// spaces, which every language here reads and no line breaks).
pub fn whole(n: u64) -> String {
    grouped(&n.to_string())
}

fn grouped(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// The decimal mark of `lang`: a point in English, a comma in Russian and
/// Ukrainian.
fn decimal_mark(lang: Lang) -> char {
    match lang {
        Lang::En => '.',
        Lang::Ru | Lang::Uk => ',',
    }
}

/// A number with `decimals` places as `lang` writes it: "1 234.5", "1 234,5";
/// negative with a minus sign.
pub fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, half_up(value.abs(), decimals));
    let (units, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    out.push_str(&grouped(units));
    if !fraction.is_empty() {
        out.push(decimal_mark(lang));
        out.push_str(fraction);
    }
    out
}

/// `value` (not below zero) rounded to `decimals` places, a half up, as an
/// owner rounds (formatting rounds a half to even: a churn rate of 12.5 %
/// had been shown as 12 %); the nudge takes a half that arithmetic left a
/// hair below (29 of 200 is 14.499…98 %) as the half it is.
fn half_up(value: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (value * scale + 1e-9).round() / scale
}

/// An amount in minor units: "1 234.50", "1 234,50".
pub fn money(lang: Lang, cents: u64) -> String {
    format!(
        "{}{}{:02}",
        whole(cents / 100),
        decimal_mark(lang),
        cents % 100
    )
}

/// An NPS: "+38", "−12", "0"; a dash without answers.
pub fn nps(score: Option<f64>) -> String {
    match score {
        None => "—".into(),
        Some(s) if s >= 0.0 && half_up(s, 0) > 0.0 => format!("+{:.0}", half_up(s, 0)),
        Some(s) if s < 0.0 && half_up(-s, 0) > 0.0 => format!("−{:.0}", half_up(-s, 0)),
        Some(_) => "0".into(),
    }
}

/// A share as a percentage with `decimals` places: "12.5 %", "12,5 %" (the
/// sign kept with its number).
pub fn percent(lang: Lang, share: Option<f64>, decimals: usize) -> String {
    share.map_or_else(
        || "—".into(),
        |s| format!("{}\u{a0}%", number(lang, s * 100.0, decimals)),
    )
}

/// A chart axis' amount, short enough for the axis: "950", "12k", "1.2M";
/// in Russian and Ukrainian with their own abbreviations, "12 тыс.",
/// "1,2 млн" ("k" and "M" had stood on their pages).
pub fn compact(lang: Lang, value: f64) -> String {
    let (thousand, million) = match lang {
        Lang::En => ("k", "M"),
        Lang::Ru => ("\u{a0}тыс.", "\u{a0}млн"),
        Lang::Uk => ("\u{a0}тис.", "\u{a0}млн"),
    };
    match value.abs() {
        v if v >= 1_000_000.0 => format!("{}{million}", number(lang, value / 1_000_000.0, 1)),
        v if v >= 10_000.0 => format!("{}{thousand}", number(lang, value / 1_000.0, 0)),
        _ => number(lang, value, 0),
    }
}

/// A change against the period before: "▲ 4", "▼ 0,18", "±0", with words for
/// screen readers inside the text.
pub fn delta(lang: Lang, now: f64, before: f64, decimals: usize) -> String {
    let d = now - before;
    if half_up(d.abs(), decimals) == 0.0 {
        "±0".into()
    } else if d > 0.0 {
        format!("▲ {}", number(lang, d, decimals))
    } else {
        format!("▼ {}", number(lang, -d, decimals))
    }
}

/// A loyalty tier's name in `lang`, where the shop named it in that language
/// (the names its customers see), else as the shop named it.
pub fn tier<'a>(lang: Lang, tiers: &'a [crate::db::Tier], name: &'a str) -> &'a str {
    tiers
        .iter()
        .find(|t| t.name == name)
        .and_then(|t| t.labels.get(lang.code()))
        .map_or(name, String::as_str)
}

/// A segment's name.
pub fn segment(lang: Lang, s: Segment) -> &'static str {
    use Segment::*;
    match (lang, s) {
        (Lang::En, Champions) => "Champions",
        (Lang::En, Loyal) => "Loyal",
        (Lang::En, Promising) => "Promising",
        (Lang::En, New) => "New",
        (Lang::En, Hibernating) => "Hibernating",
        (Lang::En, AtRisk) => "At risk",
        (Lang::En, CantLose) => "Can't lose",
        (Lang::En, Lost) => "Lost",
        (Lang::Ru, Champions) => "Чемпионы",
        (Lang::Ru, Loyal) => "Лояльные",
        // A soft hyphen, as for the CSAT card (i18n.rs).
        (Lang::Ru, Promising) => "Перспек\u{ad}тивные",
        (Lang::Ru, New) => "Новые",
        (Lang::Ru, Hibernating) => "Спящие",
        (Lang::Ru, AtRisk) => "Под угрозой",
        (Lang::Ru, CantLose) => "Нельзя потерять",
        (Lang::Ru, Lost) => "Ушедшие",
        (Lang::Uk, Champions) => "Чемпіони",
        (Lang::Uk, Loyal) => "Лояльні",
        (Lang::Uk, Promising) => "Перспективні",
        (Lang::Uk, New) => "Нові",
        (Lang::Uk, Hibernating) => "Сплячі",
        (Lang::Uk, AtRisk) => "Під загрозою",
        (Lang::Uk, CantLose) => "Не можна втратити",
        (Lang::Uk, Lost) => "Втрачені",
    }
}

/// A churn reason's label from the shop's survey, in the reader's language (the
/// code itself when no survey names it).
pub fn reason(lang: Lang, code: &str, surveys: &[Survey]) -> String {
    surveys
        .iter()
        .find_map(|s| match &s.kind {
            SurveyKind::ChurnReason { reasons, .. } => reasons
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.label_for(lang.code(), &s.default_locale).to_string()),
            _ => None,
        })
        .unwrap_or_else(|| code.replace('_', " "))
}

/// A survey's question in the reader's language, or its id.
pub fn survey_name(lang: Lang, id: &str, surveys: &[Survey]) -> String {
    let question = |s: &Survey| s.texts_for(lang.code()).map(|t| t.question.clone());
    let Some(asked) = surveys.iter().find(|s| s.id == id).and_then(question) else {
        return id.to_string();
    };
    // Two surveys asking the same (a new one starts as the standard one of
    // its kind) are told apart by their ids.
    let twins = surveys
        .iter()
        .filter(|s| question(s).as_deref() == Some(asked.as_str()))
        .count();
    if twins > 1 {
        format!("{asked} ({id})")
    } else {
        asked
    }
}

/// A store by its name, where the shop has named it; else (a store only
/// answers or purchases name) by its id.
pub fn store_name<'a>(stores: &'a [kept_shared::Store], id: &'a str) -> &'a str {
    stores
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_money_and_scores_read_naturally() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(date(Lang::En, d), "28 Nov 2026");
        assert_eq!(date(Lang::Uk, d), "28 лист. 2026");
        assert_eq!(period_label(Lang::Ru, d, Period::Month), "нояб. 2026");
        assert_eq!(money(Lang::En, 123_456_789), "1\u{202f}234\u{202f}567.89");
        assert_eq!(money(Lang::Ru, 123_456_789), "1\u{202f}234\u{202f}567,89");
        assert_eq!(money(Lang::Uk, 5), "0,05");
        assert_eq!(whole(4145), "4\u{202f}145");
        assert_eq!(number(Lang::Ru, 3.816, 2), "3,82");
        assert_eq!(number(Lang::En, -1234.5, 1), "−1\u{202f}234.5");
        assert_eq!(number(Lang::Uk, -0.01, 1), "0,0", "no minus on a zero");
        assert_eq!(percent(Lang::Uk, Some(0.048), 1), "4,8\u{a0}%");
        assert_eq!(
            (
                compact(Lang::En, 950.0),
                compact(Lang::En, 120_400.0),
                compact(Lang::Ru, 1_250_000.0)
            ),
            ("950".into(), "120k".into(), "1,3\u{a0}млн".into())
        );
        assert_eq!(
            (compact(Lang::Uk, 40_000.0), compact(Lang::Ru, 40_000.0)),
            ("40\u{a0}тис.".into(), "40\u{a0}тыс.".into())
        );
        assert_eq!(
            (nps(Some(38.2)), nps(Some(-12.0)), nps(Some(0.2)), nps(None)),
            ("+38".into(), "−12".into(), "0".into(), "—".into())
        );
        assert_eq!(delta(Lang::En, 40.0, 36.0, 0), "▲ 4");
        assert_eq!(delta(Lang::En, 3.9, 4.1, 1), "▼ 0.2");
        assert_eq!(delta(Lang::Ru, 3.64, 3.82, 2), "▼ 0,18");
    }

    #[test]
    fn a_half_is_rounded_up_as_an_owner_rounds() {
        // 1 of 8 lost (it had been "12 %"), and 29 of 200, a hair below in floats.
        assert_eq!(percent(Lang::En, Some(1.0 / 8.0), 0), "13\u{a0}%");
        assert_eq!(percent(Lang::En, Some(29.0 / 200.0), 0), "15\u{a0}%");
        assert_eq!(percent(Lang::En, Some(0.144), 0), "14\u{a0}%");
        assert_eq!(number(Lang::Ru, 0.125, 2), "0,13");
        assert_eq!(number(Lang::En, -2.5, 0), "−3");
        assert_eq!(
            (nps(Some(12.5)), nps(Some(-12.5)), nps(Some(-0.4))),
            ("+13".into(), "−13".into(), "0".into())
        );
    }
}
