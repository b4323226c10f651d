//! A refused form's fields in the owner's language: which field, by the label
//! the form shows it with, and what is wrong with it. English is the problem's
//! own words, as the API gives them; Russian and Ukrainian are written here,
//! from the same details (as an import's problems are, in `import_problems`).

use kept_shared::{FieldProblem, Unit};

use super::format::whole;
use super::i18n::{Forms, Lang, Texts};
use super::import_problems::{CHARACTERS, CHARACTERS_UK, capitalized};
use super::surveys::kind_named;

/// A unit after "up to" or "at most" a number: Russian and Ukrainian put it in
/// the genitive, singular after a number ending in 1 (but 11), else plural:
/// as plural forms, `one` the singular and `few` and `many` the plural.
const fn genitive(one: &'static str, plural: &'static str) -> Forms {
    Forms {
        one,
        few: plural,
        many: plural,
        other: "",
    }
}

/// The unit's genitive forms: (Russian, Ukrainian); `None` for a bare number.
fn units(unit: Unit) -> Option<(Forms, Forms)> {
    Some(match unit {
        Unit::Number => return None,
        Unit::Percent => (genitive("%", "%"), genitive("%", "%")),
        Unit::Days => (genitive("дня", "дней"), genitive("дня", "днів")),
        Unit::Seconds => (genitive("секунды", "секунд"), genitive("секунди", "секунд")),
        Unit::Points => (genitive("балла", "баллов"), genitive("бала", "балів")),
        Unit::Characters => (
            genitive("символа", "символов"),
            genitive("символу", "символів"),
        ),
        Unit::Digits => (genitive("цифры", "цифр"), genitive("цифри", "цифр")),
        Unit::Origins => (genitive("сайта", "сайтов"), genitive("сайту", "сайтів")),
        Unit::Tiers => (genitive("уровня", "уровней"), genitive("рівня", "рівнів")),
        Unit::Locales => (genitive("языка", "языков"), genitive("мови", "мов")),
        Unit::PageRules => (genitive("правила", "правил"), genitive("правила", "правил")),
        Unit::Reasons => (genitive("причины", "причин"), genitive("причини", "причин")),
        Unit::Stores => (
            genitive("магазина", "магазинов"),
            genitive("магазину", "магазинів"),
        ),
        Unit::Surveys => (
            genitive("опроса", "опросов"),
            genitive("опитування", "опитувань"),
        ),
        Unit::Webhooks => (
            genitive("вебхука", "вебхуков"),
            genitive("вебхука", "вебхуків"),
        ),
        Unit::Links => (
            genitive("ссылки", "ссылок"),
            genitive("посилання", "посилань"),
        ),
    })
}

/// `n` with its unit after "up to" or "at most", in Russian and Ukrainian:
/// the unit kept on the number's line.
fn amount(n: u64, unit: Unit) -> (String, String) {
    let together = |counted: String| counted.replacen(' ', "\u{a0}", 1);
    match units(unit) {
        None => (whole(n), whole(n)),
        Some((ru, uk)) => (
            together(Lang::Ru.count(n, &ru)),
            together(Lang::Uk.count(n, &uk)),
        ),
    }
}

/// `problem` as a sentence in `lang`.
pub fn describe(lang: Lang, problem: &FieldProblem) -> String {
    use FieldProblem as P;
    let (ru, uk) = match problem {
        P::Empty => (
            "Не может быть пустым".into(),
            "Не може бути порожнім".into(),
        ),
        P::TooLong { len, max } => (
            format!(
                "Длина — {}, а можно не больше {}",
                Lang::Ru.count(*len, &CHARACTERS),
                whole(*max)
            ),
            format!(
                "Довжина — {}, а можна не більше ніж {}",
                Lang::Uk.count(*len, &CHARACTERS_UK),
                whole(*max)
            ),
        ),
        P::BadCharacters => (
            "Может содержать только латинские буквы, цифры и - _ . : @".into(),
            "Може містити лише латинські літери, цифри та - _ . : @".into(),
        ),
        P::DotsOnly => (
            "Не может быть . или .. (такое не бывает частью адреса страницы)".into(),
            "Не може бути . або .. (таке не буває частиною адреси сторінки)".into(),
        ),
        P::ControlCharacters => (
            "Не может содержать управляющие символы".into(),
            "Не може містити керівних символів".into(),
        ),
        P::NotAChoice { value } => (
            format!("«{value}» — не один из вариантов"),
            format!("«{value}» — не один із варіантів"),
        ),
        P::NotAWholeNumber { value } => (
            format!("«{value}» — не целое число"),
            format!("«{value}» — не ціле число"),
        ),
        P::Range { min, max, unit } => {
            let (ru, uk) = amount(*max, *unit);
            (
                format!("От {} до {ru}", whole(*min)),
                format!("Від {} до {uk}", whole(*min)),
            )
        }
        P::KeepOrDays { max } => {
            let (ru, uk) = amount(*max, Unit::Days);
            (
                format!("От 0 (хранить всегда) до {ru}"),
                format!("Від 0 (зберігати завжди) до {uk}"),
            )
        }
        P::AtMost { max, unit } => {
            let (ru, uk) = amount(*max, *unit);
            (format!("Не больше {ru}"), format!("Не більше {uk}"))
        }
        P::NotALocale { value } => (
            format!("«{value}» — не код языка вроде en или pt-BR"),
            format!("«{value}» — не код мови на кшталт en або pt-BR"),
        ),
        P::NotALabel { value } => (
            format!("«{value}» — не язык и название, как uk=Золото"),
            format!("«{value}» — не мова й назва, як uk=Золото"),
        ),
        P::NotAnOrigin { value } => (
            format!(
                "«{value}» должен выглядеть как https://shop.example.com (схема, домен и, если \
                 нужно, порт; без пути и без *: каждый сайт отдельно)"
            ),
            format!(
                "«{value}» має виглядати як https://shop.example.com (схема, домен і, за \
                 потреби, порт; без шляху й без *: кожен сайт окремо)"
            ),
        ),
        P::NotATimeZone { value } => (
            format!("«{value}» — не часовой пояс IANA вроде Europe/Kyiv"),
            format!("«{value}» — не часовий пояс IANA на кшталт Europe/Kyiv"),
        ),
        P::NoTierAtZero => (
            "Один из уровней должен начинаться с 0 баллов".into(),
            "Один із рівнів має починатися з 0 балів".into(),
        ),
        P::Repeated { value } => (
            format!("«{value}» указано дважды"),
            format!("«{value}» вказано двічі"),
        ),
        P::DefaultLocaleWithoutTexts => (
            "У языка по умолчанию должны быть тексты".into(),
            "Мова за замовчуванням повинна мати тексти".into(),
        ),
        P::DefaultLocaleRemoved => (
            "Язык по умолчанию нельзя удалить: сначала сделайте языком по умолчанию другой".into(),
            "Мову за замовчуванням не можна видалити: спершу зробіть мовою за замовчуванням іншу"
                .into(),
        ),
        P::NoLabel => (
            "У причины должна быть подпись".into(),
            "Причина повинна мати підпис".into(),
        ),
        P::NoLabelIn { locale } => (
            format!("У причины должна быть подпись на каждом языке опроса ({locale})"),
            format!("Причина повинна мати підпис кожною мовою опитування ({locale})"),
        ),
        P::KindChanged { from, to } => {
            // Named as the dashboard names the kinds, in every language
            // (the API's own words name them by their codes).
            let t = lang.texts();
            let (from, to) = (kind_named(t, from), kind_named(t, to));
            return match lang {
                Lang::En => format!(
                    "A survey's kind cannot change (\"{from}\" → \"{to}\"): create a new survey"
                ),
                Lang::Ru => {
                    format!("Тип опроса нельзя изменить («{from}» → «{to}»): создайте новый опрос")
                }
                Lang::Uk => format!(
                    "Тип опитування не можна змінити («{from}» → «{to}»): створіть нове опитування"
                ),
            };
        }
        P::PathNotAbsolute => (
            "Путь начинается с / (например, /thank-you)".into(),
            "Шлях починається з / (наприклад, /thank-you)".into(),
        ),
        P::PathWithSpaces => (
            "Без пробелов и управляющих символов".into(),
            "Без пробілів і керівних символів".into(),
        ),
        P::PathWithQuery => (
            "Только путь: без ?запроса и #фрагмента".into(),
            "Лише шлях: без ?запиту та #фрагмента".into(),
        ),
        P::WildcardOutsideGlob => (
            "* означает «что угодно» только в шаблоне (glob)".into(),
            "* означає «будь-що» лише в шаблоні (glob)".into(),
        ),
        P::NotAWebAddress { max } => {
            let (ru, uk) = amount(*max, Unit::Characters);
            (
                format!("Адрес http:// или https:// длиной не больше {ru}"),
                format!("Адреса http:// або https:// завдовжки не більше {uk}"),
            )
        }
        P::CredentialsInAddress => (
            "В адресе не может быть имени пользователя и пароля: они уходили бы (и были бы \
             видны) с каждой доставкой"
                .into(),
            "В адресі не може бути імені користувача й пароля: вони надсилалися б (і було б \
             їх видно) з кожною доставкою"
                .into(),
        ),
        P::PrivateAddress { host } => (
            format!("{host} — адрес внутренней сети: Kept отправляет только на публичные адреса"),
            format!("{host} — адреса внутрішньої мережі: Kept надсилає лише на публічні адреси"),
        ),
        P::SurveyExists { survey } => (
            format!("Опрос «{survey}» уже есть: измените его или дайте новому другой код"),
            format!("Опитування «{survey}» уже є: змініть його або дайте новому інший код"),
        ),
        P::NotHttps => (
            "Адрес https://: события несут ответы клиентов, которые не должны идти по интернету \
             незашифрованными"
                .into(),
            "Адреса https://: події несуть відповіді клієнтів, які не мають іти інтернетом \
             незашифрованими"
                .into(),
        ),
        P::NoEvents => (
            "Выберите хотя бы одно событие".into(),
            "Виберіть принаймні одну подію".into(),
        ),
        P::UnknownSurvey { survey } => (
            format!("У магазина нет опроса «{survey}»"),
            format!("Магазин не має опитування «{survey}»"),
        ),
        P::CustomersOrLapsedDays => (
            "Укажите либо список клиентов, либо число дней без покупок".into(),
            "Укажіть або список клієнтів, або кількість днів без покупок".into(),
        ),
        P::TooManyLapsed { count, days, max } => {
            let (ru, uk) = amount(*max, Unit::Links);
            (
                format!(
                    "Клиентов, купивших в последний раз {} или больше дней назад: {}; одна \
                     выгрузка вмещает не больше {ru}: укажите больше дней, чтобы их стало меньше",
                    whole(*days),
                    whole(*count),
                ),
                format!(
                    "Клієнтів, які купували востаннє {} або більше днів тому: {}; одне \
                     вивантаження вміщує не більше {uk}: укажіть більше днів, щоб їх стало менше",
                    whole(*days),
                    whole(*count),
                ),
            )
        }
        P::TooManyCustomers { count, max } => {
            let (ru, uk) = amount(*max, Unit::Links);
            (
                format!(
                    "Клиентов: {}; один запрос создаёт не больше {ru}",
                    whole(*count)
                ),
                format!(
                    "Клієнтів: {}; один запит створює не більше {uk}",
                    whole(*count)
                ),
            )
        }
        // No code of its own: the API's words are all there is.
        P::Invalid { detail } => (detail.clone(), detail.clone()),
        P::Unknown => (
            "Неизвестная этой версии ошибка".into(),
            "Невідома цій версії помилка".into(),
        ),
    };
    match lang {
        Lang::En => capitalized(&problem.to_string()),
        Lang::Ru => ru,
        Lang::Uk => uk,
    }
}

/// A field's path (`tiers[1].min_points`, `texts.uk.question`) as the owner
/// sees the field: each part by the label its form gives it (`label`, asked
/// with the path so far, indices and languages left out: `tiers`, then
/// `tiers.min_points`), a row's number counted from 1, the language in
/// brackets: "Loyalty tiers 2 · From points", "Question (uk)". A path with no
/// part the form labels stays as it is.
pub fn field_name(
    t: &Texts,
    path: &str,
    label: impl Fn(&Texts, &str) -> Option<&'static str>,
) -> String {
    let mut key = String::new();
    let mut parts: Vec<String> = Vec::new();
    let mut locale = None;
    let mut after_texts = false;
    for segment in path.split('.') {
        if after_texts {
            // The segment after `texts` or `labels` is a language.
            locale = Some(segment);
            after_texts = false;
            continue;
        }
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<u64>().ok()),
            None => (segment, None),
        };
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(name);
        after_texts = matches!(name, "texts" | "labels");
        if let Some(text) = label(t, &key) {
            parts.push(match index {
                Some(i) => format!("{text} {}", i + 1),
                None => text.to_string(),
            });
        }
    }
    if parts.is_empty() {
        // `texts.uk` alone: the language is the field.
        return locale.unwrap_or(path).to_string();
    }
    let mut name = parts.join(" · ");
    if let Some(l) = locale {
        name.push_str(&format!(" ({l})"));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_kind_is_named_as_the_dashboard_names_it() {
        let changed = FieldProblem::KindChanged {
            from: "nps".into(),
            to: "churn_reason".into(),
        };
        assert_eq!(
            describe(Lang::Ru, &changed),
            "Тип опроса нельзя изменить («NPS» → «Почему клиенты ушли»): создайте новый опрос"
        );
        assert_eq!(
            describe(Lang::Uk, &changed),
            "Тип опитування не можна змінити («NPS» → «Чому клієнти пішли»): створіть нове опитування"
        );
        let unknown = FieldProblem::KindChanged {
            from: "csat".into(),
            to: "ces".into(),
        };
        assert!(
            describe(Lang::Ru, &unknown).contains("(«Удовлетво\u{ad}рённость (CSAT)» → «ces»)")
        );
        assert_eq!(
            describe(Lang::En, &changed),
            "A survey's kind cannot change (\"NPS\" → \"Why customers left\"): create a new survey"
        );
    }

    #[test]
    fn each_language_says_the_problem_with_its_details() {
        let days = FieldProblem::Range {
            min: 7,
            max: 730,
            unit: Unit::Days,
        };
        assert_eq!(describe(Lang::En, &days), "7 to 730 days");
        assert_eq!(describe(Lang::Ru, &days), "От 7 до 730\u{a0}дней");
        assert_eq!(describe(Lang::Uk, &days), "Від 7 до 730\u{a0}днів");
        let one = FieldProblem::AtMost {
            max: 21,
            unit: Unit::Origins,
        };
        assert_eq!(describe(Lang::Ru, &one), "Не больше 21\u{a0}сайта");
        assert_eq!(describe(Lang::Uk, &one), "Не більше 21\u{a0}сайту");
        let eleven = FieldProblem::AtMost {
            max: 11,
            unit: Unit::Tiers,
        };
        assert_eq!(describe(Lang::Ru, &eleven), "Не больше 11\u{a0}уровней");
        let bare = FieldProblem::Range {
            min: 0,
            max: 1000,
            unit: Unit::Number,
        };
        assert_eq!(describe(Lang::Uk, &bare), "Від 0 до 1\u{202f}000");
        let long = FieldProblem::TooLong { len: 102, max: 100 };
        assert_eq!(
            describe(Lang::Ru, &long),
            "Длина — 102 символа, а можно не больше 100"
        );
        assert_eq!(
            describe(Lang::En, &long),
            "Is 102 characters long, the most is 100"
        );
    }

    #[test]
    fn a_path_is_named_by_its_form_s_labels() {
        let t = Lang::En.texts();
        let label = |t: &Texts, key: &str| match key {
            "tiers" => Some(t.tiers),
            "tiers.min_points" => Some(t.min_points),
            "tiers.labels" => Some(t.tier_labels_hint),
            "texts.question" => Some(t.question),
            "name" => Some(t.shop_name),
            _ => None,
        };
        assert_eq!(
            field_name(t, "tiers[1].min_points", label),
            "Loyalty tiers 2 · From points"
        );
        assert_eq!(field_name(t, "texts.uk.question", label), "Question (uk)");
        assert_eq!(field_name(t, "name", label), "Shop name");
        assert_eq!(
            field_name(t, "tiers[0].labels.pt-BR", label),
            format!("Loyalty tiers 1 · {} (pt-BR)", t.tier_labels_hint)
        );
        // Nothing labelled: the language, else the path itself.
        assert_eq!(field_name(t, "texts.de", label), "de");
        assert_eq!(field_name(t, "kind", label), "kind");
    }
}
