//! What the owner changes: the shop's settings, its surveys, its secret keys.
//! Every change is checked by the shared rules, and written to the audit log
//! with who made it and what changed (never a secret).

use crate::audit_words as W;
use chrono::Utc;
use chrono_tz::Tz;
use kept_shared::limits::MAX_SURVEYS;
use kept_shared::settings::validate_survey;
use kept_shared::targeting::readable_path;
use kept_shared::{Audience, PageMatch, PageRule, Targeting};
use kept_shared::{
    AuditEntry, FieldError, FieldProblem, RotatedSecret, ShopSettings, ShopView, Survey,
    SurveyDefinition, TierSetting, Unit,
};

use crate::db::{
    AuditRecord, Database, DbError, Shop, ShopUpdate, SurveyRecord, SurveyWrite, Tier,
};
use crate::tokens::{TokenKind, generate_token, hash_token};

/// Who is making a change, as the audit log says it: "dashboard" or "owner API",
/// with the client's address where known.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// Why a change was not made.
#[derive(Debug)]
pub enum ChangeError {
    /// It breaks the rules: each field and why.
    Invalid(Vec<FieldError>),
    Store(DbError),
}

impl ChangeError {
    /// One field that breaks its rule.
    pub fn field(field: &str, problem: FieldProblem) -> ChangeError {
        ChangeError::Invalid(vec![FieldError::new(field, problem)])
    }

    /// `value` of the reference field `field`, checked by the shared rule.
    pub fn check_ref(field: &str, value: &str) -> Result<(), ChangeError> {
        kept_shared::validate::validate_ref(field, value)
            .map_err(|e| ChangeError::field(field, FieldProblem::of_reference(e)))
    }
}

impl From<DbError> for ChangeError {
    fn from(e: DbError) -> Self {
        ChangeError::Store(e)
    }
}

/// The shop as its owner sees its settings.
pub async fn view(db: &dyn Database, shop: &Shop) -> Result<ShopView, DbError> {
    let tiers = db.tiers(&shop.id).await?;
    Ok(ShopView {
        id: shop.id.clone(),
        public_key: shop.public_key.clone(),
        settings: ShopSettings {
            name: shop.name.clone(),
            allowed_origins: shop.allowed_origins.clone(),
            tiers: tiers.iter().map(TierSetting::from).collect(),
            points_per_unit: shop.points_per_unit,
            churn_window_days: shop.churn_window_days,
            time_zone: shop.time_zone.name().to_string(),
            survey_cooldown_days: shop.survey_cooldown_days,
            require_verified: shop.require_verified,
            text_retention_days: shop.text_retention_days,
        },
    })
}

pub(crate) async fn audit(
    db: &dyn Database,
    shop_id: &str,
    actor: &Actor,
    action: &str,
    detail: String,
) -> Result<(), DbError> {
    db.record_audit(
        shop_id,
        AuditRecord {
            at: Utc::now(),
            actor: actor.0.clone(),
            action: action.to_string(),
            detail,
        },
    )
    .await
}

/// Checks new settings by every rule, the time zone's name included, and
/// normalises them; the zone they name, or every field that is wrong.
pub fn check_settings(settings: &mut ShopSettings) -> Result<Tz, Vec<FieldError>> {
    let mut errors = settings.validate().err().unwrap_or_default();
    let zone: Option<Tz> = settings.time_zone.trim().parse().ok();
    if zone.is_none() {
        errors.push(FieldError::new(
            "time_zone",
            FieldProblem::NotATimeZone {
                value: settings.time_zone.clone(),
            },
        ));
    }
    match zone {
        Some(zone) if errors.is_empty() => Ok(zone),
        _ => Err(errors),
    }
}

/// Checks and stores new settings; the audit log says what changed.
pub async fn update_settings(
    db: &dyn Database,
    shop: &Shop,
    mut settings: ShopSettings,
    actor: &Actor,
) -> Result<(), ChangeError> {
    let zone = check_settings(&mut settings).map_err(ChangeError::Invalid)?;
    let before = view(db, shop).await?.settings;
    let mut changes = Vec::new();
    let mut note = |name: &str, old: String, new: String| note_change(&mut changes, name, old, new);
    note(W::NAME.en, before.name.clone(), settings.name.clone());
    note(
        W::ORIGINS.en,
        before.allowed_origins.join(" "),
        settings.allowed_origins.join(" "),
    );
    let tiers = |t: &[TierSetting]| {
        t.iter()
            .map(|t| {
                let labels: Vec<String> =
                    t.labels.iter().map(|(l, n)| format!("{l}={n}")).collect();
                format!("{}≥{} [{}]", t.name, t.min_points, labels.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    note(W::TIERS.en, tiers(&before.tiers), tiers(&settings.tiers));
    note(
        W::POINTS_PER_UNIT.en,
        before.points_per_unit.to_string(),
        settings.points_per_unit.to_string(),
    );
    note(
        W::CHURN_WINDOW.en,
        W::days(before.churn_window_days),
        W::days(settings.churn_window_days),
    );
    note(
        W::SURVEY_COOLDOWN.en,
        W::days(before.survey_cooldown_days),
        W::days(settings.survey_cooldown_days),
    );
    let only = |v: bool| {
        if v { W::VERIFIED_ONLY } else { W::ALL_ANSWERS }
            .en
            .to_string()
    };
    note(
        W::ANSWERS_STORED.en,
        only(before.require_verified),
        only(settings.require_verified),
    );
    let kept = |d: u32| {
        if d == 0 {
            W::ALWAYS.en.to_string()
        } else {
            W::days(d)
        }
    };
    note(
        W::FREE_TEXT_KEPT.en,
        kept(before.text_retention_days),
        kept(settings.text_retention_days),
    );
    note(
        W::TIME_ZONE.en,
        before.time_zone.clone(),
        zone.name().to_string(),
    );
    db.update_shop(
        &shop.id,
        ShopUpdate {
            name: settings.name,
            allowed_origins: settings.allowed_origins,
            points_per_unit: settings.points_per_unit,
            churn_window_days: settings.churn_window_days,
            survey_cooldown_days: settings.survey_cooldown_days,
            require_verified: settings.require_verified,
            text_retention_days: settings.text_retention_days,
            time_zone: zone,
            tiers: settings.tiers.into_iter().map(Tier::from).collect(),
        },
    )
    .await?;
    if !changes.is_empty() {
        audit(db, &shop.id, actor, W::SETTINGS.en, changes.join("\n")).await?;
    }
    Ok(())
}

/// The shop's surveys, active or not, in their order.
pub async fn surveys(db: &dyn Database, shop: &Shop) -> Result<Vec<SurveyDefinition>, DbError> {
    Ok(db
        .surveys(&shop.id, false)
        .await?
        .into_iter()
        .map(|r| SurveyDefinition {
            survey: r.survey,
            active: r.active,
            position: r.position,
        })
        .collect())
}

/// The shop's surveys, active or not, without their place in the editor: what
/// the pages that show answers read the questions and reasons from.
pub async fn surveys_asked(db: &dyn Database, shop: &Shop) -> Result<Vec<Survey>, DbError> {
    Ok(db
        .surveys(&shop.id, false)
        .await?
        .into_iter()
        .map(|r| r.survey)
        .collect())
}

/// Checks and stores a survey (new, or changed: its kind stays what it was, so its
/// answers keep their meaning).
pub async fn put_survey(
    db: &dyn Database,
    shop: &Shop,
    definition: SurveyDefinition,
    actor: &Actor,
) -> Result<(), ChangeError> {
    store_survey(db, shop, definition, actor, SurveyWrite::NewOrChange).await
}

/// Checks and stores a survey as `write` allows.
async fn store_survey(
    db: &dyn Database,
    shop: &Shop,
    definition: SurveyDefinition,
    actor: &Actor,
    write: SurveyWrite,
) -> Result<(), ChangeError> {
    let existing = surveys(db, shop)
        .await?
        .into_iter()
        .find(|s| s.survey.id == definition.survey.id);
    // A survey switched on or off, or moved, as it is stored: its content is
    // judged when it changes, not by rules that came after it (a churn
    // survey saved before its reasons needed a label in each language could
    // no longer be switched off, nor its neighbours moved).
    let as_stored = existing
        .as_ref()
        .is_some_and(|old| old.survey == definition.survey);
    let mut errors = if as_stored {
        Vec::new()
    } else {
        validate_survey(&definition.survey)
            .err()
            .unwrap_or_default()
    };
    if let Some(old) = &existing
        && old.survey.kind.name() != definition.survey.kind.name()
    {
        errors.push(FieldError::new(
            "kind",
            FieldProblem::KindChanged {
                from: old.survey.kind.name().to_string(),
                to: definition.survey.kind.name().to_string(),
            },
        ));
    }
    if !errors.is_empty() {
        return Err(ChangeError::Invalid(errors));
    }
    let detail = match &existing {
        None => W::CREATED.en.to_string(),
        Some(old) => describe_survey_change(old, &definition),
    };
    let id = definition.survey.id.clone();
    let kind = definition.survey.kind.name();
    let record = SurveyRecord {
        survey: definition.survey,
        active: definition.active,
        position: definition.position,
    };
    if !db.put_survey(&shop.id, record, MAX_SURVEYS, write).await? {
        // Not written: the survey was made meanwhile (another request at the
        // same moment) with another kind, or as this one where only a new one
        // may be; another differs from it in case alone; or the shop is at
        // its limit.
        let there = surveys(db, shop).await?;
        let made = there.iter().find(|s| s.survey.id == id);
        let twin = there.iter().find(|s| s.survey.id.eq_ignore_ascii_case(&id));
        // A new survey whose id is taken is told so, whatever the kind taken.
        let (field, problem) = match (made, twin) {
            (made, Some(other)) if made.is_none() || write == SurveyWrite::New => (
                "id",
                FieldProblem::SurveyExists {
                    survey: other.survey.id.clone(),
                },
            ),
            (Some(made), _) if made.survey.kind.name() != kind => (
                "kind",
                FieldProblem::KindChanged {
                    from: made.survey.kind.name().to_string(),
                    to: kind.to_string(),
                },
            ),
            _ => (
                "id",
                FieldProblem::AtMost {
                    max: MAX_SURVEYS as u64,
                    unit: Unit::Surveys,
                },
            ),
        };
        return Err(ChangeError::field(field, problem));
    }
    audit(
        db,
        &shop.id,
        actor,
        &format!("{} {id}", W::SURVEY.en),
        detail,
    )
    .await?;
    Ok(())
}

/// A new survey of `kind` (its code: `nps`, `csat` or `churn_reason`) with
/// the id `id`: the standard survey of that kind (its questions and reasons in
/// English, Russian and Ukrainian, its targeting), last in order and off, for
/// the owner to edit and switch on.
pub async fn create_survey(
    db: &dyn Database,
    shop: &Shop,
    id: &str,
    kind: &str,
    actor: &Actor,
) -> Result<SurveyDefinition, ChangeError> {
    let standard = crate::shops::standard_surveys();
    let template = standard.iter().find(|s| s.kind.name() == kind);
    // The id checked as every survey's is (by the first standard survey's
    // rules where the kind is none), both fields' problems at once.
    let mut survey = template.unwrap_or(&standard[0]).clone();
    survey.id = id.to_string();
    let mut invalid = validate_survey(&survey).err().unwrap_or_default();
    if template.is_none() {
        invalid.push(FieldError::new(
            "kind",
            FieldProblem::NotAChoice {
                value: kind.to_string(),
            },
        ));
    }
    // Said here with the other problems; the store checks it again as it
    // writes (another request may make it meanwhile).
    let existing = surveys(db, shop).await?;
    if let Some(other) = existing
        .iter()
        .find(|s| s.survey.id.eq_ignore_ascii_case(id))
    {
        invalid.push(FieldError::new(
            "id",
            FieldProblem::SurveyExists {
                survey: other.survey.id.clone(),
            },
        ));
    }
    if !invalid.is_empty() {
        return Err(ChangeError::Invalid(invalid));
    }
    let definition = SurveyDefinition {
        survey,
        active: false,
        position: existing.iter().map(|s| s.position).max().unwrap_or(0) + 1,
    };
    store_survey(db, shop, definition.clone(), actor, SurveyWrite::New).await?;
    Ok(definition)
}

/// What changed in a survey, in words.
fn describe_survey_change(old: &SurveyDefinition, new: &SurveyDefinition) -> String {
    let mut changes = Vec::new();
    if old.active != new.active {
        changes.push(
            if new.active {
                W::SWITCHED_ON
            } else {
                W::SWITCHED_OFF
            }
            .en
            .to_string(),
        );
    }
    if old.position != new.position {
        changes.push(format!(
            "{}: {} → {}",
            W::ORDER.en,
            old.position,
            new.position
        ));
    }
    for (locale, texts) in &new.survey.texts {
        match old.survey.texts.get(locale) {
            None => changes.push(format!("{locale}: {}", W::ADDED.en)),
            Some(before) if before != texts => {
                if before.question != texts.question {
                    changes.push(format!(
                        "{locale} {}: {} → {}",
                        W::QUESTION.en,
                        before.question,
                        texts.question
                    ));
                }
                if before.follow_up != texts.follow_up {
                    changes.push(format!("{locale} {}", W::FOLLOW_UP_CHANGED.en));
                }
            }
            Some(_) => {}
        }
    }
    for locale in old
        .survey
        .texts
        .keys()
        .filter(|l| !new.survey.texts.contains_key(*l))
    {
        changes.push(format!("{locale}: {}", W::REMOVED.en));
    }
    if old.survey.kind != new.survey.kind {
        changes.push(W::OPTIONS_CHANGED.en.into());
    }
    changes.extend(describe_targeting_change(
        &old.survey.targeting,
        &new.survey.targeting,
    ));
    if changes.is_empty() {
        W::SAVED_UNCHANGED.en.into()
    } else {
        changes.join("\n")
    }
}

/// `what: before → after` in `changes`, when they differ: how the audit log
/// says one value's change (the settings', a survey's targeting).
fn note_change(changes: &mut Vec<String>, what: &str, before: String, after: String) {
    if before != after {
        changes.push(format!("{what}: {before} → {after}"));
    }
}

/// What changed in a survey's targeting, each rule in words ("audience
/// changed" had stood for any of them).
fn describe_targeting_change(old: &Targeting, new: &Targeting) -> Vec<String> {
    let audience = |a: &Audience| match a {
        Audience::Everyone => W::EVERYONE.en.to_string(),
        Audience::KnownCustomers => W::KNOWN_CUSTOMERS.en.to_string(),
        Audience::Lapsed { days } => format!("{} {}", W::LAPSED.en, W::days(*days)),
    };
    let pages = |p: &[PageRule]| {
        if p.is_empty() {
            return W::EVERY_PAGE.en.to_string();
        }
        p.iter()
            .map(|r| {
                let path = readable_path(&r.path);
                match r.kind {
                    PageMatch::Exact => path,
                    PageMatch::Prefix => format!("{} {path}", W::STARTS_WITH.en),
                    PageMatch::Glob => format!("{} {path}", W::GLOB.en),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let on = |b: bool| if b { W::ON } else { W::OFF }.en;
    let mut changes = Vec::new();
    let mut changed =
        |what: &str, before: String, after: String| note_change(&mut changes, what, before, after);
    changed(
        W::AUDIENCE.en,
        audience(&old.audience),
        audience(&new.audience),
    );
    changed(W::PAGES.en, pages(&old.pages), pages(&new.pages));
    changed(
        W::DELAY.en,
        W::seconds(old.delay_seconds),
        W::seconds(new.delay_seconds),
    );
    changed(
        W::SHARE_OF_VISITORS.en,
        format!("{} %", old.sample_percent),
        format!("{} %", new.sample_percent),
    );
    changed(
        W::RECONTACT.en,
        W::days(old.recontact_days),
        W::days(new.recontact_days),
    );
    changed(
        W::ONCE_PER_ORDER.en,
        on(old.once_per_order).into(),
        on(new.once_per_order).into(),
    );
    // A rule not named above (one added later): said all the same.
    if changes.is_empty() && old != new {
        changes.push(W::TARGETING_CHANGED.en.into());
    }
    changes
}

/// A secret of the shop that its owner can replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// A token, stored hashed.
    Token(TokenKind),
    /// The widget secret that signs customer and order references.
    Widget,
}

impl Secret {
    /// The secret a URL names: `back-office`, `owner` or `widget`.
    pub fn from_path(name: &str) -> Option<Secret> {
        match name {
            "back-office" => Some(Secret::Token(TokenKind::BackOffice)),
            "owner" => Some(Secret::Token(TokenKind::Owner)),
            "widget" => Some(Secret::Widget),
            _ => None,
        }
    }
}

/// Makes a new secret of `kind`: the old one stops working at once (a new owner
/// token also ends every dashboard session; a new widget secret makes the
/// signatures on the shop's pages fail until its server signs with the new one).
/// The secret is returned this once.
pub async fn rotate(
    db: &dyn Database,
    shop: &Shop,
    kind: Secret,
    actor: &Actor,
) -> Result<RotatedSecret, DbError> {
    let (secret, what, name) = match kind {
        Secret::Token(token) => {
            let secret = generate_token(token);
            db.replace_token(&shop.id, token, hash_token(&secret))
                .await?;
            let what = match token {
                TokenKind::BackOffice => W::BACK_OFFICE_KEY.en,
                TokenKind::Owner => W::OWNER_TOKEN.en,
            };
            (secret, what, token.as_str())
        }
        Secret::Widget => {
            let secret = crate::signatures::generate_widget_secret();
            db.set_widget_secret(&shop.id, secret.clone()).await?;
            (secret, W::WIDGET_SECRET.en, "widget")
        }
    };
    audit(db, &shop.id, actor, what, W::REPLACED.en.into()).await?;
    Ok(RotatedSecret {
        kind: name.to_string(),
        secret,
    })
}

/// The audit log, newest first.
pub async fn audit_log(
    db: &dyn Database,
    shop: &Shop,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbError> {
    Ok(db
        .audit_log(&shop.id, limit)
        .await?
        .into_iter()
        .map(|a| AuditEntry {
            at: a.at,
            actor: a.actor,
            action: a.action,
            detail: a.detail,
        })
        .collect())
}
