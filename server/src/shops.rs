//! Creating shops and changing their settings, as the CLI (and the demo) do: the
//! rules a shop's settings must follow, its keys, and the surveys a new shop starts
//! with.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use chrono_tz::Tz;
use kept_shared::limits::{MAX_ID_CHARS, MAX_ORIGINS};
use kept_shared::validate::validate_ref;
use kept_shared::{
    Audience, ChurnReasonChoice, ShopSettings, Survey, SurveyKind, SurveyTexts, Targeting,
    TierSetting,
};

use crate::db::{DEFAULT_CHURN_WINDOW_DAYS, Database, NewShop, Shop, SurveyRecord, Tier};
use crate::owner::settings::check_settings;
use crate::tokens::{TokenKind, generate_public_key, generate_token, hash_token};

pub const NPS_SURVEY: &str = "nps-after-purchase";
pub const CSAT_SURVEY: &str = "csat-after-purchase";
pub const CHURN_SURVEY: &str = "churn-why-left";

/// What a new shop is made of; its keys are generated unless given (the demo's are fixed).
#[derive(Debug, Clone)]
pub struct ShopSpec {
    pub id: String,
    pub name: String,
    pub origins: Vec<String>,
    pub tiers: Vec<Tier>,
    pub points_per_unit: u64,
    pub time_zone: Tz,
    pub keys: Option<ShopKeys>,
}

/// A shop's keys in clear: shown once, stored only hashed (but the public key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopKeys {
    pub public_key: String,
    pub back_office_token: String,
    pub owner_token: String,
    /// Signs customer and order references for the widget (`signatures.rs`).
    pub widget_secret: String,
}

/// The tiers of a shop that names none.
pub fn default_tiers() -> Vec<Tier> {
    vec![
        Tier::new("Bronze", 0)
            .with_label("ru", "Бронза")
            .with_label("uk", "Бронза"),
        Tier::new("Silver", 500)
            .with_label("ru", "Серебро")
            .with_label("uk", "Срібло"),
        Tier::new("Gold", 2000)
            .with_label("ru", "Золото")
            .with_label("uk", "Золото"),
    ]
}

/// Creates the shop with its keys and the three standard surveys; returns the keys.
pub async fn create(db: &dyn Database, spec: ShopSpec) -> Result<ShopKeys> {
    validate_ref("id", &spec.id).map_err(|e| anyhow::anyhow!("{e}"))?;
    if spec.id.chars().count() > MAX_ID_CHARS {
        bail!("the shop's id may be at most {MAX_ID_CHARS} characters");
    }
    // The demo's page signs for the shop with this id (with the demo's
    // published secret alone, but a real shop is better kept apart from it).
    if spec.keys.is_none() && spec.id == crate::demo::SHOP_ID {
        bail!(
            "the id {:?} is the demo shop's (--demo): choose another",
            spec.id
        );
    }
    // The rules the owner's settings follow, all of them: a shop made past
    // them (a name of 101 characters, 11 tiers, a label in no language) could
    // not save its own settings, unchanged, from the dashboard or the API.
    let mut settings = ShopSettings {
        name: spec.name,
        allowed_origins: spec.origins,
        tiers: spec.tiers.iter().map(TierSetting::from).collect(),
        points_per_unit: spec.points_per_unit,
        churn_window_days: DEFAULT_CHURN_WINDOW_DAYS,
        time_zone: spec.time_zone.name().to_string(),
        survey_cooldown_days: kept_shared::targeting::DEFAULT_COOLDOWN_DAYS,
        require_verified: false,
        text_retention_days: 0,
    };
    check_settings(&mut settings).map_err(|errors| {
        let said: Vec<String> = errors
            .iter()
            .map(|e| format!("  {}: {}", e.field, e.message))
            .collect();
        anyhow::anyhow!("the shop's settings break its rules:\n{}", said.join("\n"))
    })?;
    let keys = spec.keys.unwrap_or_else(|| ShopKeys {
        public_key: generate_public_key(),
        back_office_token: generate_token(TokenKind::BackOffice),
        owner_token: generate_token(TokenKind::Owner),
        widget_secret: crate::signatures::generate_widget_secret(),
    });
    db.create_shop(NewShop {
        shop: Shop {
            id: spec.id.clone(),
            name: settings.name,
            public_key: keys.public_key.clone(),
            allowed_origins: settings.allowed_origins,
            points_per_unit: settings.points_per_unit,
            time_zone: spec.time_zone,
            churn_window_days: settings.churn_window_days,
            survey_cooldown_days: settings.survey_cooldown_days,
            widget_secret: keys.widget_secret.clone(),
            require_verified: settings.require_verified,
            text_retention_days: settings.text_retention_days,
            has_erased_customers: false,
        },
        tiers: settings.tiers.into_iter().map(Tier::from).collect(),
        back_office_token_hash: hash_token(&keys.back_office_token),
        owner_token_hash: hash_token(&keys.owner_token),
    })
    .await?;
    for (position, survey) in (0..).zip(standard_surveys()) {
        db.put_survey(
            &spec.id,
            SurveyRecord {
                survey,
                active: true,
                position,
            },
            kept_shared::limits::MAX_SURVEYS,
            crate::db::SurveyWrite::New,
        )
        .await?;
    }
    Ok(keys)
}

/// `https://shop.example` as a browser sends it in `Origin`: scheme and host (and
/// a port), lower case, no path. Refuses anything else with a sentence.
pub fn normalize_origin(origin: &str) -> Result<String> {
    kept_shared::settings::normalize_origin(origin).ok_or_else(|| {
        anyhow::anyhow!(
            "origin {origin:?} must look like https://shop.example.com (scheme, host and an optional port; no path, no *: each site listed on its own)"
        )
    })
}

/// A tier as the CLI takes it: `Silver=500`.
pub fn parse_tier(text: &str) -> Result<Tier> {
    let (name, points) = text
        .split_once('=')
        .with_context(|| format!("tier {text:?} is not NAME=MIN_POINTS"))?;
    let points = points
        .trim()
        .parse()
        .with_context(|| format!("tier {text:?}: the points are not a whole number"))?;
    Ok(Tier::new(name.trim(), points))
}

/// A tier's name in a locale as the CLI takes it: `Silver:uk=Срібло`.
pub fn add_tier_label(tiers: &mut [Tier], text: &str) -> Result<()> {
    let (key, label) = text
        .split_once('=')
        .with_context(|| format!("tier label {text:?} is not TIER:LOCALE=NAME"))?;
    let (tier, locale) = key
        .split_once(':')
        .with_context(|| format!("tier label {text:?} is not TIER:LOCALE=NAME"))?;
    let tier = tiers
        .iter_mut()
        .find(|t| t.name == tier.trim())
        .with_context(|| format!("tier label {text:?}: there is no tier {tier:?}"))?;
    tier.labels
        .insert(locale.trim().to_ascii_lowercase(), label.trim().to_string());
    Ok(())
}

fn texts(
    en: (&str, Option<&str>),
    ru: (&str, Option<&str>),
    uk: (&str, Option<&str>),
) -> BTreeMap<String, SurveyTexts> {
    [("en", en), ("ru", ru), ("uk", uk)]
        .into_iter()
        .map(|(l, (q, f))| {
            (
                l.to_string(),
                SurveyTexts {
                    question: q.into(),
                    follow_up: f.map(Into::into),
                },
            )
        })
        .collect()
}

/// The surveys every new shop starts with, in en/ru/uk: NPS and CSAT for anyone on
/// the order page, and the churn survey for customers who stopped buying (shown
/// only where a page names it or targeting finds a lapsed customer, never to a
/// buyer by default).
pub fn standard_surveys() -> Vec<Survey> {
    let reason = |code: &str, en: &str, ru: &str, uk: &str| ChurnReasonChoice {
        code: code.into(),
        labels: [("en", en), ("ru", ru), ("uk", uk)]
            .into_iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect(),
    };
    vec![
        Survey {
            id: NPS_SURVEY.into(),
            kind: SurveyKind::Nps { ask_reason: true },
            default_locale: "en".into(),
            // How a customer feels about the shop changes slowly: ask a quarter apart.
            targeting: Targeting {
                recontact_days: 90,
                ..Targeting::default()
            },
            texts: texts(
                (
                    "How likely are you to recommend us to a friend?",
                    Some("What is the main reason for your score?"),
                ),
                (
                    "Насколько вероятно, что вы порекомендуете нас другу?",
                    Some("Какова главная причина вашей оценки?"),
                ),
                (
                    "Наскільки ймовірно, що ви порекомендуєте нас другові?",
                    Some("Яка головна причина вашої оцінки?"),
                ),
            ),
        },
        Survey {
            id: CSAT_SURVEY.into(),
            kind: SurveyKind::Csat,
            default_locale: "en".into(),
            targeting: Targeting::default(),
            texts: texts(
                ("How satisfied are you with your purchase?", None),
                ("Насколько вы довольны покупкой?", None),
                ("Наскільки ви задоволені покупкою?", None),
            ),
        },
        Survey {
            id: CHURN_SURVEY.into(),
            kind: SurveyKind::ChurnReason {
                reasons: vec![
                    reason(
                        "price",
                        "Prices are too high",
                        "Слишком высокие цены",
                        "Зависокі ціни",
                    ),
                    reason(
                        "quality",
                        "Quality was not what I expected",
                        "Качество не оправдало ожиданий",
                        "Якість не виправдала очікувань",
                    ),
                    reason(
                        "delivery",
                        "Delivery was slow or unreliable",
                        "Доставка медленная или ненадёжная",
                        "Доставка повільна або ненадійна",
                    ),
                    reason(
                        "service",
                        "I was not treated well",
                        "Меня плохо обслужили",
                        "Мене погано обслужили",
                    ),
                    reason(
                        "assortment",
                        "I could not find what I wanted",
                        "Не нашёл нужного в ассортименте",
                        "Не знайшов потрібного в асортименті",
                    ),
                    reason(
                        "found_alternative",
                        "I found another shop",
                        "Я нашёл другой магазин",
                        "Я знайшов інший магазин",
                    ),
                    reason(
                        "no_longer_needed",
                        "I no longer need these products",
                        "Мне больше не нужны эти товары",
                        "Мені більше не потрібні ці товари",
                    ),
                ],
                allow_other_text: true,
            },
            default_locale: "en".into(),
            targeting: Targeting {
                audience: Audience::Lapsed {
                    days: DEFAULT_CHURN_WINDOW_DAYS,
                },
                ..Targeting::default()
            },
            texts: texts(
                (
                    "Why did you stop buying from us?",
                    Some("Anything else you'd like to tell us?"),
                ),
                (
                    "Почему вы перестали у нас покупать?",
                    Some("Хотите рассказать что-то ещё?"),
                ),
                (
                    "Чому ви перестали в нас купувати?",
                    Some("Бажаєте розповісти ще щось?"),
                ),
            ),
        },
    ]
}

/// A shop's origins after an edit, and the origins asked to be removed that
/// it did not have (a typo the operator should hear of).
#[derive(Debug, PartialEq, Eq)]
pub struct EditedOrigins {
    pub origins: Vec<String>,
    pub not_listed: Vec<String>,
}

/// The shop's new origins after setting, adding and removing some, by the
/// rules the owner's settings follow: each checked and written as browsers
/// write it, each kept once, at most [`MAX_ORIGINS`]. The current ones are
/// normalised too: one listed by an earlier release with its default port
/// (`https://shop.example:443`) is then removed, or not added twice, by the
/// name a browser gives it.
pub fn edit_origins(
    current: &[String],
    set: Option<&[String]>,
    add: &[String],
    remove: &[String],
) -> Result<EditedOrigins> {
    let mut origins: Vec<String> = Vec::new();
    let mut keep = |o: String| {
        if !origins.contains(&o) {
            origins.push(o);
        }
    };
    match set {
        Some(set) => {
            for o in set {
                keep(normalize_origin(o)?);
            }
        }
        None => {
            for o in current {
                keep(normalize_origin(o).unwrap_or_else(|_| o.clone()));
            }
        }
    }
    for o in add {
        keep(normalize_origin(o)?);
    }
    let mut not_listed = Vec::new();
    for o in remove {
        let o = normalize_origin(o)?;
        match origins.iter().position(|x| *x == o) {
            Some(i) => {
                origins.remove(i);
            }
            None => not_listed.push(o),
        }
    }
    if origins.len() > MAX_ORIGINS {
        bail!(
            "a shop may allow at most {MAX_ORIGINS} origins; this would make {}",
            origins.len()
        );
    }
    Ok(EditedOrigins {
        origins,
        not_listed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_not_written_as_one_is_refused_in_words() {
        let e = normalize_origin("shop.example.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must look like https://shop.example.com"), "{e}");
        assert_eq!(
            normalize_origin("https://Shop.Example:443").unwrap(),
            "https://shop.example"
        );
    }

    #[test]
    fn tiers_are_read_as_the_command_line_writes_them() {
        let mut tiers = vec![
            parse_tier("Silver = 500").unwrap(),
            parse_tier("Base=0").unwrap(),
        ];
        add_tier_label(&mut tiers, "Silver:UK=Срібло").unwrap();
        assert_eq!(tiers[0].labels["uk"], "Срібло");
        assert!(add_tier_label(&mut tiers, "Gold:uk=Золото").is_err());
        assert!(parse_tier("Silver").is_err());
        assert!(parse_tier("Silver=-1").is_err());
    }

    #[test]
    fn origins_are_set_added_and_removed_once() {
        let edit = |current: &[String], set: Option<&[&str]>, add: &[&str], remove: &[&str]| {
            let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let set = set.map(strings);
            edit_origins(current, set.as_deref(), &strings(add), &strings(remove))
        };
        let current = vec!["https://a.example".to_string()];
        let added = edit(
            &current,
            None,
            &["https://B.example", "https://a.example"],
            &[],
        )
        .unwrap()
        .origins;
        assert_eq!(added, ["https://a.example", "https://b.example"]);
        let removed = edit(&added, None, &[], &["https://a.example"]).unwrap();
        assert_eq!(removed.origins, ["https://b.example"]);
        assert!(removed.not_listed.is_empty());
        let set = edit(&added, Some(&["http://c.example:8080"]), &[], &[]).unwrap();
        assert_eq!(set.origins, ["http://c.example:8080"]);
        assert!(edit(&current, None, &["nope"], &[]).is_err());
        // Listed by an earlier release with the default port: removed, and
        // not added twice, by the name a browser gives it.
        let earlier = vec![
            "https://a.example:443".to_string(),
            "https://a.example".to_string(),
        ];
        let removed = edit(&earlier, None, &[], &["https://a.example"]).unwrap();
        assert!(removed.origins.is_empty(), "{removed:?}");
        let added = edit(&earlier[..1], None, &["https://a.example"], &[]).unwrap();
        assert_eq!(added.origins, ["https://a.example"]);
        // A set is kept once, by the names browsers give.
        let set = edit(
            &[],
            Some(&["http://A.example:80", "http://a.example"]),
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(set.origins, ["http://a.example"]);
        // A removal of what is not listed is said, not silent.
        let typo = edit(&current, None, &[], &["https://a.exmaple"]).unwrap();
        assert_eq!(typo.origins, current);
        assert_eq!(typo.not_listed, ["https://a.exmaple"]);
        // No more than the owner's settings take.
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        let e = edit_origins(&[], Some(&many), &[], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 20 origins"), "{e}");
        assert!(edit_origins(&many[..MAX_ORIGINS], None, &[], &[]).is_ok());
        assert!(
            edit_origins(&many[..MAX_ORIGINS], None, &many[..1], &[]).is_ok(),
            "already listed"
        );
    }

    #[test]
    fn the_churn_survey_is_never_shown_to_a_buyer_by_default() {
        let surveys = standard_surveys();
        let shown: Vec<_> = surveys
            .iter()
            .filter(|s| s.targeting.audience == Audience::Everyone)
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(shown, [NPS_SURVEY, CSAT_SURVEY]);
    }
}
