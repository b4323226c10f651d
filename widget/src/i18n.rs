//! The widget's own texts (survey questions come from the survey definitions).

use crate::plural::{self, Forms};

/// Every text the widget shows besides the survey's own.
#[derive(Debug)]
pub struct Texts {
    /// The language these texts are in, for its plural rules.
    pub language: &'static str,
    pub not_likely: &'static str,
    pub very_likely: &'static str,
    pub very_unsatisfied: &'static str,
    pub very_satisfied: &'static str,
    pub send: &'static str,
    pub skip: &'static str,
    pub optional: &'static str,
    pub characters_left: &'static str,
    /// The closing screen after at least one answer.
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    /// The closing screen when every question was skipped: no "your answer helps".
    pub skipped_title: &'static str,
    pub next_customer: &'static str,
    /// The word after the points count on the loyalty card ("620 points").
    pub points: Forms,
    pub tier: &'static str,
    /// "{points} points to {tier}", by the plural category of `points`.
    pub points_to_next: Forms,
    pub top_tier: &'static str,
    /// "as of {date}" for a cached loyalty status shown offline
    pub as_of: &'static str,
    pub reasons_hint: &'static str,
}

const EN: Texts = Texts {
    language: "en",
    not_likely: "Not likely",
    very_likely: "Very likely",
    very_unsatisfied: "Very unsatisfied",
    very_satisfied: "Very satisfied",
    send: "Send",
    skip: "Skip",
    optional: "optional",
    characters_left: "characters left",
    thanks_title: "Thank you!",
    thanks_body: "Your answer helps us get better.",
    skipped_title: "Thanks for your time!",
    next_customer: "Next customer",
    points: Forms::one_other("point", "points"),
    tier: "Tier",
    points_to_next: Forms::one_other("{points} point to {tier}", "{points} points to {tier}"),
    top_tier: "You are at our top tier.",
    as_of: "as of {date}",
    reasons_hint: "Pick all that apply.",
};

const RU: Texts = Texts {
    language: "ru",
    not_likely: "Маловероятно",
    very_likely: "Очень вероятно",
    very_unsatisfied: "Совсем не доволен",
    very_satisfied: "Очень доволен",
    send: "Отправить",
    skip: "Пропустить",
    optional: "необязательно",
    characters_left: "символов осталось",
    thanks_title: "Спасибо!",
    thanks_body: "Ваш ответ помогает нам стать лучше.",
    skipped_title: "Спасибо за ваше время!",
    next_customer: "Следующий покупатель",
    points: Forms {
        one: "балл",
        few: "балла",
        many: "баллов",
        other: "балла",
    },
    tier: "Уровень",
    points_to_next: Forms {
        one: "{points} балл до уровня {tier}",
        few: "{points} балла до уровня {tier}",
        many: "{points} баллов до уровня {tier}",
        other: "{points} балла до уровня {tier}",
    },
    top_tier: "У вас наивысший уровень.",
    as_of: "на {date}",
    reasons_hint: "Отметьте всё, что подходит.",
};

const UK: Texts = Texts {
    language: "uk",
    not_likely: "Малоймовірно",
    very_likely: "Дуже ймовірно",
    very_unsatisfied: "Зовсім не задоволений",
    very_satisfied: "Дуже задоволений",
    send: "Надіслати",
    skip: "Пропустити",
    optional: "необов'язково",
    characters_left: "символів залишилось",
    thanks_title: "Дякуємо!",
    thanks_body: "Ваша відповідь допомагає нам ставати кращими.",
    skipped_title: "Дякуємо за ваш час!",
    next_customer: "Наступний покупець",
    points: Forms {
        one: "бал",
        few: "бали",
        many: "балів",
        other: "бала",
    },
    tier: "Рівень",
    points_to_next: Forms {
        one: "{points} бал до рівня {tier}",
        few: "{points} бали до рівня {tier}",
        many: "{points} балів до рівня {tier}",
        other: "{points} бала до рівня {tier}",
    },
    top_tier: "У вас найвищий рівень.",
    as_of: "станом на {date}",
    reasons_hint: "Позначте все, що підходить.",
};

/// The language of `locale` ("uk-UA" → "uk") if the widget speaks it, else "en".
pub fn language(locale: &str) -> &'static str {
    match locale
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "ru" => "ru",
        "uk" => "uk",
        _ => "en",
    }
}

pub fn texts(locale: &str) -> &'static Texts {
    match language(locale) {
        "ru" => &RU,
        "uk" => &UK,
        _ => &EN,
    }
}

impl Texts {
    /// The word after a points count: "1 point", "2 балла", "5 балів".
    pub fn points_word(&self, points: u64) -> &'static str {
        self.points.pick(plural::category(self.language, points))
    }

    /// "1450 points to Gold", with the plural form the number takes.
    pub fn points_to_next(&self, points: u64, tier: &str) -> String {
        let template = self
            .points_to_next
            .pick(plural::category(self.language, points));
        fill(
            template,
            &[
                ("points", &kept_shared::json::u64_text(points)),
                ("tier", tier),
            ],
        )
    }
}

/// Fills `{name}` placeholders; an unknown name or a lone brace stays as it is.
/// (Scanned by hand: `str::replace` links the standard library's substring
/// search, a kilobyte of the widget's download.)
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.bytes().position(|b| b == b'{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let value = rest.bytes().position(|b| b == b'}').and_then(|close| {
            let name = &rest[1..close];
            values
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &rest[close + 1..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_picks_the_language_with_english_as_fallback() {
        assert_eq!(texts("uk-UA").send, "Надіслати");
        assert_eq!(texts("ru").send, "Отправить");
        assert_eq!(texts("de-DE").send, "Send");
        assert_eq!(texts("").send, "Send");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(
                "{points} to {tier}",
                &[("points", "1450"), ("tier", "Gold")]
            ),
            "1450 to Gold"
        );
        assert_eq!(
            fill("{a}{b} {c} {a", &[("a", "1"), ("b", "{a}")]),
            "1{a} {c} {a"
        );
        assert_eq!(fill("", &[("a", "1")]), "");
    }

    #[test]
    fn points_take_the_plural_form_of_their_number() {
        let en = texts("en");
        assert_eq!(en.points_to_next(1, "Silver"), "1 point to Silver");
        assert_eq!(en.points_to_next(1450, "Gold"), "1450 points to Gold");
        assert_eq!([en.points_word(1), en.points_word(0)], ["point", "points"]);
        let ru = texts("ru-RU");
        assert_eq!(ru.points_to_next(1, "Gold"), "1 балл до уровня Gold");
        assert_eq!(ru.points_to_next(2, "Gold"), "2 балла до уровня Gold");
        assert_eq!(ru.points_to_next(11, "Gold"), "11 баллов до уровня Gold");
        assert_eq!(ru.points_to_next(21, "Gold"), "21 балл до уровня Gold");
        let uk = texts("uk");
        assert_eq!(uk.points_to_next(1, "Gold"), "1 бал до рівня Gold");
        assert_eq!(uk.points_to_next(3, "Gold"), "3 бали до рівня Gold");
        assert_eq!(uk.points_to_next(1450, "Gold"), "1450 балів до рівня Gold");
        assert_eq!(
            [uk.points_word(1), uk.points_word(22), uk.points_word(620)],
            ["бал", "бали", "балів"]
        );
    }
}
