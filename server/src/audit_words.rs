//! The change log's words, in one table: the log is stored in English (the
//! owner API gives it so), written with these phrases' English, and the
//! dashboard says each phrase it finds there in its owner's language. What the
//! owner wrote (a name, a question, an address) is left as it is.
//!
//! A line of the log is a phrase (`switched on`), or `label: value` and
//! `label: before → after`, where the label and each value may be phrases
//! (`churn window: 90 days → 60 days`), or the action `survey {id}`.

/// One phrase in the dashboard's three languages.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    pub en: &'static str,
    pub ru: &'static str,
    pub uk: &'static str,
}

macro_rules! words {
    ($($(#[$doc:meta])* $name:ident = $en:literal, $ru:literal, $uk:literal;)*) => {
        $($(#[$doc])* pub const $name: Words = Words { en: $en, ru: $ru, uk: $uk };)*
        /// Every phrase, for the dashboard to find the ones a line holds.
        const ALL: &[Words] = &[$($name),*];
    };
}

words! {
    // What was done.
    SETTINGS = "settings", "настройки", "налаштування";
    /// `survey {id}`.
    SURVEY = "survey", "опрос", "опитування";
    WEBHOOK_ADDED = "webhook added", "вебхук добавлен", "вебхук додано";
    WEBHOOK_REMOVED = "webhook removed", "вебхук удалён", "вебхук видалено";
    STORE_SAVED = "store saved", "магазин сохранён", "магазин збережено";
    PIN_SET = "kiosk PIN set", "PIN киоска задан", "PIN кіоску задано";
    PIN_REMOVED = "kiosk PIN removed", "PIN киоска снят", "PIN кіоску знято";
    TABLET_REMOVED = "tablet removed", "планшет удалён", "планшет видалено";
    CUSTOMER_ERASED = "customer erased", "клиент стёрт", "клієнта стерто";
    BACK_OFFICE_KEY = "back-office key", "ключ бэк-офиса", "ключ бек-офісу";
    OWNER_TOKEN = "owner token", "токен владельца", "токен власника";
    WIDGET_SECRET = "widget secret", "секрет виджета", "секрет віджета";
    REPLACED = "replaced (the old one no longer works)", "заменён (старый больше не действует)",
        "замінено (старий більше не діє)";
    YEAR_LOADING = "demo year loading", "загрузка демо-года", "завантаження демо-року";
    YEAR_LOADED = "demo year loaded", "демо-год загружен", "демо-рік завантажено";
    // The settings.
    NAME = "name", "название", "назва";
    ORIGINS = "origins", "сайты", "сайти";
    TIERS = "tiers", "уровни", "рівні";
    POINTS_PER_UNIT = "points per unit", "баллов за единицу", "балів за одиницю";
    CHURN_WINDOW = "churn window", "окно оттока", "вікно відтоку";
    SURVEY_COOLDOWN = "survey cooldown", "пауза между опросами", "пауза між опитуваннями";
    ANSWERS_STORED = "answers stored", "хранятся ответы", "зберігаються відповіді";
    VERIFIED_ONLY = "verified only", "только подтверждённые", "лише підтверджені";
    ALL_ANSWERS = "all", "все", "усі";
    FREE_TEXT_KEPT = "free text kept", "свободный текст хранится", "вільний текст зберігається";
    ALWAYS = "always", "всегда", "завжди";
    TIME_ZONE = "time zone", "часовой пояс", "часовий пояс";
    // A survey.
    CREATED = "created", "создан", "створено";
    SWITCHED_ON = "switched on", "включён", "увімкнено";
    SWITCHED_OFF = "switched off", "выключен", "вимкнено";
    ORDER = "order", "порядок", "порядок";
    /// `{locale} question`.
    QUESTION = "question", "вопрос", "питання";
    /// `{locale} follow-up changed`.
    FOLLOW_UP_CHANGED = "follow-up changed", "уточняющий вопрос изменён", "уточнювальне питання змінено";
    ADDED = "added", "добавлен", "додано";
    REMOVED = "removed", "удалён", "видалено";
    OPTIONS_CHANGED = "options changed", "варианты изменены", "варіанти змінено";
    SAVED_UNCHANGED = "saved unchanged", "сохранён без изменений", "збережено без змін";
    // A survey's targeting.
    AUDIENCE = "audience", "аудитория", "аудиторія";
    EVERYONE = "everyone", "все", "усі";
    KNOWN_CUSTOMERS = "known customers", "известные клиенты", "відомі клієнти";
    /// `lapsed {n} days`.
    LAPSED = "lapsed", "без покупок", "без покупок";
    PAGES = "pages", "страницы", "сторінки";
    EVERY_PAGE = "every page", "все страницы", "усі сторінки";
    /// `starts with {path}`.
    STARTS_WITH = "starts with", "начинается с", "починається з";
    /// `glob {path}`.
    GLOB = "glob", "шаблон", "шаблон";
    DELAY = "delay", "задержка", "затримка";
    SHARE_OF_VISITORS = "share of visitors", "доля посетителей", "частка відвідувачів";
    RECONTACT = "recontact", "повторно не спрашивать", "повторно не питати";
    ONCE_PER_ORDER = "once per order", "раз на заказ", "раз на замовлення";
    ON = "on", "да", "так";
    OFF = "off", "нет", "ні";
    TARGETING_CHANGED = "targeting changed", "показ изменён", "показ змінено";
    // Units and counts.
    /// `{n} days`.
    DAYS = "days", "дн.", "дн.";
    /// `{n} s`.
    SECONDS = "s", "с", "с";
    /// `purchases deleted: {n}, answers unlinked: {n}` (before 2026-11-30,
    /// `{n} purchases deleted, {n} answers unlinked`).
    PURCHASES_DELETED = "purchases deleted", "покупок удалено", "покупок видалено";
    ANSWERS_UNLINKED = "answers unlinked", "ответов отвязано", "відповідей відв'язано";
    // Who did it.
    OWNER_API = "owner API", "API владельца", "API власника";
    /// `owner API from {ip}`.
    FROM = "from", "с адреса", "з адреси";
    /// `dashboard (session {id})`.
    DASHBOARD = "dashboard", "панель", "панель";
    SESSION = "session", "сеанс", "сеанс";
}

/// `{n} days` as the log writes it (and [`detail_said`] reads it back).
pub fn days(n: u32) -> String {
    format!("{n} {}", DAYS.en)
}

/// `{n} s` as the log writes it.
pub fn seconds(n: u32) -> String {
    format!("{n} {}", SECONDS.en)
}

/// Which of a phrase's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    En,
    Ru,
    Uk,
}

impl Words {
    pub fn in_(self, lang: In) -> &'static str {
        match lang {
            In::En => self.en,
            In::Ru => self.ru,
            In::Uk => self.uk,
        }
    }
}

/// An entry's action in `lang`: a phrase, or `survey {id}`.
pub fn action_said(action: &str, lang: In) -> String {
    if let Some(w) = phrase(action) {
        return w.in_(lang).to_string();
    }
    match action
        .strip_prefix(SURVEY.en)
        .and_then(|id| id.strip_prefix(' '))
    {
        Some(id) => format!("{} {id}", SURVEY.in_(lang)),
        None => action.to_string(),
    }
}

/// Who made an entry, in `lang`: the owner API (from an address), the
/// dashboard (a session), or a name as it is (`kept-server --demo`).
pub fn actor_said(actor: &str, lang: In) -> String {
    if actor == OWNER_API.en {
        return OWNER_API.in_(lang).to_string();
    }
    let from = format!("{} {} ", OWNER_API.en, FROM.en);
    if let Some(ip) = actor.strip_prefix(&from) {
        return format!("{} {} {ip}", OWNER_API.in_(lang), FROM.in_(lang));
    }
    let dashboard = format!("{} ({} ", DASHBOARD.en, SESSION.en);
    if let Some(session) = actor
        .strip_prefix(&dashboard)
        .and_then(|s| s.strip_suffix(')'))
    {
        return format!("{} ({} {session})", DASHBOARD.in_(lang), SESSION.in_(lang));
    }
    actor.to_string()
}

/// An entry's detail in `lang`, as its action wrote it: the changes of the
/// settings or a survey line by line, an erasure's counts, a key's
/// replacement; any other detail (an address, a store, a tablet, a day) is
/// the owner's or the server's own, as it is.
pub fn detail_said(action: &str, detail: &str, lang: In) -> String {
    if lang == In::En {
        return detail.to_string();
    }
    if action == SETTINGS.en || action.starts_with(&format!("{} ", SURVEY.en)) {
        return detail
            .split('\n')
            .map(|line| change_said(line, lang))
            .collect::<Vec<_>>()
            .join("\n");
    }
    if action == CUSTOMER_ERASED.en
        && let Some((purchases, answers)) = detail.split_once(", ")
    {
        // As written now (`label: count`), or before (`count label`).
        let count = |part: &str, words: Words| {
            part.strip_prefix(&format!("{}: ", words.en))
                .or_else(|| part.strip_suffix(&format!(" {}", words.en)))
                .map(str::to_string)
        };
        if let (Some(p), Some(a)) = (
            count(purchases, PURCHASES_DELETED),
            count(answers, ANSWERS_UNLINKED),
        ) {
            return format!(
                "{}: {p}, {}: {a}",
                PURCHASES_DELETED.in_(lang),
                ANSWERS_UNLINKED.in_(lang)
            );
        }
    }
    if detail == REPLACED.en {
        return REPLACED.in_(lang).to_string();
    }
    detail.to_string()
}

/// The labels whose values are the log's own words (`90 days`, `verified
/// only`, `every page`): any other label's values are the owner's (a name, a
/// question, a tier), as written.
const WORDED: &[Words] = &[
    ANSWERS_STORED,
    FREE_TEXT_KEPT,
    CHURN_WINDOW,
    SURVEY_COOLDOWN,
    AUDIENCE,
    PAGES,
    DELAY,
    SHARE_OF_VISITORS,
    RECONTACT,
    ONCE_PER_ORDER,
];

/// One line of a settings' or a survey's change: a phrase (`switched on`),
/// `{locale} follow-up changed`, `{locale}: added`, or `label: value` and
/// `label: before → after`.
fn change_said(line: &str, lang: In) -> String {
    if let Some(w) = phrase(line) {
        return w.in_(lang).to_string();
    }
    if let Some(locale) = line
        .strip_suffix(FOLLOW_UP_CHANGED.en)
        .and_then(|l| l.strip_suffix(' '))
    {
        return format!("{} ({locale})", FOLLOW_UP_CHANGED.in_(lang));
    }
    let Some((label, rest)) = line.split_once(": ") else {
        return line.to_string();
    };
    if kept_shared::settings::valid_locale(label)
        && let Some(w) = [ADDED, REMOVED].into_iter().find(|w| w.en == rest)
    {
        return format!("{label}: {}", w.in_(lang));
    }
    if let Some(locale) = label
        .strip_suffix(QUESTION.en)
        .and_then(|l| l.strip_suffix(' '))
    {
        return format!("{} ({locale}): {rest}", QUESTION.in_(lang));
    }
    let Some(w) = phrase(label) else {
        return line.to_string();
    };
    let rest = if WORDED.iter().any(|v| v.en == w.en) {
        rest.split(" → ")
            .map(|v| value_said(v, lang))
            .collect::<Vec<_>>()
            .join(" → ")
    } else {
        rest.to_string()
    };
    format!("{}: {rest}", w.in_(lang))
}

fn phrase(text: &str) -> Option<Words> {
    ALL.iter().find(|w| w.en == text).copied()
}

/// A worded value: a phrase, `{n} days`, `{n} s`, `lapsed {n} days`, or
/// pages (`starts with /a, glob /b/**`); anything else as it is.
fn value_said(value: &str, lang: In) -> String {
    if let Some(w) = phrase(value) {
        return w.in_(lang).to_string();
    }
    let days = format!(" {}", DAYS.en);
    if let Some(n) = value.strip_suffix(&days)
        && n.parse::<u32>().is_ok()
    {
        return format!("{n} {}", DAYS.in_(lang));
    }
    if let Some(n) = value
        .strip_suffix(&format!(" {}", SECONDS.en))
        .filter(|n| n.parse::<u32>().is_ok())
    {
        return format!("{n} {}", SECONDS.in_(lang));
    }
    if let Some(n) = value
        .strip_prefix(&format!("{} ", LAPSED.en))
        .and_then(|v| v.strip_suffix(&days))
    {
        return format!("{} {n} {}", LAPSED.in_(lang), DAYS.in_(lang));
    }
    value
        .split(", ")
        .map(|rule| {
            for how in [STARTS_WITH, GLOB] {
                if let Some(path) = rule.strip_prefix(how.en).and_then(|r| r.strip_prefix(' ')) {
                    return format!("{} {path}", how.in_(lang));
                }
            }
            rule.to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phrase_once() {
        for (i, w) in ALL.iter().enumerate() {
            assert!(ALL[..i].iter().all(|o| o.en != w.en), "{:?} twice", w.en);
        }
    }

    #[test]
    fn a_change_is_said_phrase_by_phrase_and_what_the_owner_wrote_is_left() {
        let settings = |line: &str| detail_said(SETTINGS.en, line, In::Ru);
        for (stored, ru) in [
            ("switched off", "выключен"),
            (
                "churn window: 90 days → 60 days",
                "окно оттока: 90 дн. → 60 дн.",
            ),
            (
                "answers stored: all → verified only",
                "хранятся ответы: все → только подтверждённые",
            ),
            ("en question: Why? → on", "вопрос (en): Why? → on"),
            ("uk follow-up changed", "уточняющий вопрос изменён (uk)"),
            ("uk: added", "uk: добавлен"),
            (
                "audience: everyone → lapsed 90 days",
                "аудитория: все → без покупок 90 дн.",
            ),
            (
                "pages: every page → starts with /orders, glob /замовлення/**",
                "страницы: все страницы → начинается с /orders, шаблон /замовлення/**",
            ),
            ("once per order: on → off", "раз на заказ: да → нет"),
            ("delay: 0 s → 5 s", "задержка: 0 с → 5 с"),
            ("order: 1 → 2", "порядок: 1 → 2"),
            // The owner's words, though they read as the log's own.
            (
                "name: Old Shop → starts with love",
                "название: Old Shop → starts with love",
            ),
            ("name: always → 30 days", "название: always → 30 days"),
        ] {
            assert_eq!(settings(stored), ru, "{stored}");
            assert_eq!(detail_said(SETTINGS.en, stored, In::En), stored);
        }
        assert_eq!(
            detail_said("survey nps", "switched on\norder: 1 → 2", In::Uk),
            "увімкнено\nпорядок: 1 → 2"
        );
        // Details that are the owner's: a store named as a phrase, an address.
        assert_eq!(
            detail_said(STORE_SAVED.en, "all: always", In::Ru),
            "all: always"
        );
        assert_eq!(
            detail_said(WEBHOOK_ADDED.en, "https://hooks.example/kept", In::Ru),
            "https://hooks.example/kept"
        );
        for written in [
            "purchases deleted: 3, answers unlinked: 2",
            "3 purchases deleted, 2 answers unlinked",
        ] {
            assert_eq!(
                detail_said(CUSTOMER_ERASED.en, written, In::Ru),
                "покупок удалено: 3, ответов отвязано: 2",
                "{written}"
            );
        }
        assert_eq!(
            detail_said(
                CUSTOMER_ERASED.en,
                "purchases deleted: 1, answers unlinked: 1",
                In::En
            ),
            "purchases deleted: 1, answers unlinked: 1"
        );
        assert_eq!(
            action_said("survey nps-after-purchase", In::Ru),
            "опрос nps-after-purchase"
        );
        assert_eq!(action_said(SETTINGS.en, In::Uk), "налаштування");
        assert_eq!(
            actor_said("dashboard (session 1a2b3c4d)", In::Ru),
            "панель (сеанс 1a2b3c4d)"
        );
        assert_eq!(
            actor_said("owner API from 127.0.0.1", In::Ru),
            "API владельца с адреса 127.0.0.1"
        );
        assert_eq!(
            actor_said("kept-server --demo", In::Ru),
            "kept-server --demo"
        );
    }
}
