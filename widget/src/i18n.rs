//! The widget's own texts (survey questions come from the survey definitions).

/// Every text the widget shows besides the survey's own.
#[derive(Debug)]
pub struct Texts {
    pub not_likely: &'static str,
    pub very_likely: &'static str,
    pub very_unsatisfied: &'static str,
    pub very_satisfied: &'static str,
    pub send: &'static str,
    pub skip: &'static str,
    pub optional: &'static str,
    pub characters_left: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub next_customer: &'static str,
    pub points: &'static str,
    pub tier: &'static str,
    /// "{points} points to {tier}"
    pub points_to_next: &'static str,
    pub top_tier: &'static str,
    /// "as of {date}" for a cached loyalty status shown offline
    pub as_of: &'static str,
    pub score_label: &'static str,
    pub reasons_hint: &'static str,
}

const EN: Texts = Texts {
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
    next_customer: "Next customer",
    points: "points",
    tier: "Tier",
    points_to_next: "{points} points to {tier}",
    top_tier: "You are at our top tier.",
    as_of: "as of {date}",
    score_label: "Score {score}",
    reasons_hint: "Pick all that apply.",
};

const RU: Texts = Texts {
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
    next_customer: "Следующий покупатель",
    points: "баллов",
    tier: "Уровень",
    points_to_next: "{points} баллов до уровня {tier}",
    top_tier: "У вас наивысший уровень.",
    as_of: "на {date}",
    score_label: "Оценка {score}",
    reasons_hint: "Отметьте всё, что подходит.",
};

const UK: Texts = Texts {
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
    next_customer: "Наступний покупець",
    points: "балів",
    tier: "Рівень",
    points_to_next: "{points} балів до рівня {tier}",
    top_tier: "У вас найвищий рівень.",
    as_of: "станом на {date}",
    score_label: "Оцінка {score}",
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

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_string(), |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v)
    })
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
                texts("en").points_to_next,
                &[("points", "1450"), ("tier", "Gold")]
            ),
            "1450 points to Gold"
        );
    }
}
