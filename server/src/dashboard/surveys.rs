//! The surveys editor: what each survey asks in each language, the reasons a churn
//! survey offers, whether NPS asks why, which surveys are on and in what order,
//! who sees them; with a preview of the widget as visitors see it. Changes go
//! through the owner API's functions and the shared rules.

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kept_shared::settings::{valid_locale, validate_survey};
use kept_shared::{
    Audience, ChurnReasonChoice, FieldError, FieldProblem, PageMatch, PageRule, SurveyDefinition,
    SurveyKind, SurveyTexts, Targeting,
};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::form::{self, Unread};
use super::i18n::Texts;
use super::layout::{Section, aria_invalid, enc, errors, said_on_load, shell};
use super::session::Session;
use super::{expired, fields_allowed, form_allowed, refused};
use crate::db::Db;
use crate::http::Failure;
use crate::owner::settings::{self as owner_settings, Actor, ChangeError};

/// The dashboard as the audit log names it, with the session.
pub fn dashboard_actor(session: &Session) -> Actor {
    use crate::audit_words as W;
    Actor(format!(
        "{} ({} {})",
        W::DASHBOARD.en,
        W::SESSION.en,
        &hex::encode(&session.id_hash)[..8]
    ))
}

fn kind_name(t: &Texts, kind: &SurveyKind) -> &'static str {
    kind_named(t, kind.name())
}

/// A survey kind by its name in the owner's language, from its code
/// ([`SurveyKind::name`], as a refusal names it); an unknown code as it is.
pub(super) fn kind_named<'a>(t: &Texts, code: &'a str) -> &'a str {
    match code {
        "nps" => t.nps,
        "csat" => t.csat,
        "churn_reason" => t.churn_reasons,
        other => other,
    }
}

fn audience_name(t: &Texts, a: &Audience) -> String {
    match a {
        Audience::Everyone => t.audience_everyone.into(),
        Audience::KnownCustomers => t.audience_known.into(),
        Audience::Lapsed { days } => format!("{} ({days})", t.audience_lapsed),
    }
}

/// The list's address after a survey was moved or switched: which one.
#[derive(Debug, Default, Deserialize)]
pub struct Arranged {
    arranged: Option<String>,
}

pub async fn list(
    State(db): State<Db>,
    session: Session,
    form::Filters { given, .. }: form::Filters<Arranged>,
) -> Result<Response, Failure> {
    render_list(&db, &session, &[], None, given.arranged.as_deref()).await
}

/// The new survey's form as typed: its id and kind.
#[derive(Debug, Deserialize)]
pub struct NewSurveyForm {
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    kind: String,
}

/// A new survey (`owner::settings::create_survey`), then its editor; refused,
/// the list again with what was wrong beside the form, as typed.
pub async fn create(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Form(f): Form<NewSurveyForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    let id = f.id.trim();
    match owner_settings::create_survey(
        db.as_ref(),
        &session.shop,
        id,
        &f.kind,
        &dashboard_actor(&session),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/surveys/{}", enc(id))).into_response()),
        Err(ChangeError::Invalid(errs)) => Ok(refused(
            render_list(&db, &session, &errs, Some(&f), None).await?,
        )),
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

async fn render_list(
    db: &Db,
    session: &Session,
    errs: &[FieldError],
    draft: Option<&NewSurveyForm>,
    arranged: Option<&str>,
) -> Result<Response, Failure> {
    let t = session.lang.texts();
    let surveys = owner_settings::surveys(db.as_ref(), &session.shop).await?;
    let n = surveys.len();
    let new_id = |f: &str| format!("new-{f}");
    let new_label = |t: &Texts, key: &str| match key {
        "id" => Some(t.survey_id),
        "kind" => Some(t.survey_kind),
        _ => None,
    };
    let content = html! {
        p class="intro" { (t.surveys_intro) }
        div class="table-wrap" { table {
            thead { tr {
                th scope="col" { (t.question) } th scope="col" { (t.survey) } th scope="col" { (t.audience) }
                th scope="col" { (t.active_survey) } th scope="col" { span class="sr-only" { (t.edit) } }
            } }
            tbody { @for (i, s) in surveys.iter().enumerate() {
                @let question = s.survey.texts_for(session.lang.code()).map(|t| t.question.clone()).unwrap_or_default();
                tr {
                    td { a href={"/dashboard/surveys/" (s.survey.id)} { (question) } br; small { (s.survey.id) } }
                    td { (kind_name(t, &s.survey.kind)) }
                    td { (audience_name(t, &s.survey.targeting.audience)) }
                    td { (if s.active { t.active } else { "—" }) }
                    td {
                        form method="post" action={"/dashboard/surveys/" (s.survey.id) "/arrange"} class="actions" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            @if i > 0 { button type="submit" class="secondary" name="move" value="up" aria-label={(t.move_up) ": " (question)} { "↑ " (t.move_up) } }
                            @if i + 1 < n { button type="submit" class="secondary" name="move" value="down" aria-label={(t.move_down) ": " (question)} { "↓ " (t.move_down) } }
                            // What the click does, in words (a pause glyph was a box in some fonts).
                            button type="submit" class="secondary" name="move" value="toggle" aria-label={(if s.active { t.turn_off } else { t.turn_on }) ": " (question)} { (if s.active { t.turn_off } else { t.turn_on }) }
                        }
                        // Said in the row moved or switched, where focus then
                        // is: the page had opened at its top, saying nothing.
                        @if arranged == Some(s.survey.id.as_str()) {
                            (said_on_load(Some("arranged"), html! { p class="status-message" role="status" { (t.saved) } }))
                        }
                    }
                }
            } }
        } }
        h2 { (t.new_survey) }
        (errors(session.lang, errs, new_id, new_label))
        form method="post" action="/dashboard/surveys" class="card" data-testid="new-survey" {
            input type="hidden" name="csrf" value=(session.csrf);
            p class="intro" { (t.new_survey_hint) }
            label { (t.survey_kind)
                select name="kind" id=(new_id("kind")) aria-invalid=[aria_invalid(errs, "kind")] {
                    @for (code, name) in [("nps", t.nps), ("csat", t.csat), ("churn_reason", t.churn_reasons)] {
                        option value=(code) selected[draft.is_some_and(|d| d.kind == code)] { (name) }
                    }
                }
            }
            label { (t.survey_id)
                input name="id" id=(new_id("id")) required maxlength="64" pattern="[A-Za-z0-9_.:@\\-]+" value=[draft.map(|d| d.id.as_str())] aria-invalid=[aria_invalid(errs, "id")];
            }
            div class="actions" { button type="submit" { (t.create_survey) } }
        }
    };
    Ok(shell(session, Section::Surveys, t.surveys, content))
}

/// Each field's label, by its path (`reasons.code`; see `field_problems`).
fn field_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "default_locale" => t.default_locale,
        "new_locale" => t.locale_code,
        "texts.question" => t.question,
        "texts.follow_up" => t.follow_up,
        "targeting.audience" => t.audience,
        "targeting.audience.days" => t.lapsed_days,
        "targeting.pages" => t.pages,
        "targeting.pages.path" => t.page_path,
        "targeting.pages.match" => t.page_match,
        "targeting.delay_seconds" => t.delay_seconds,
        "targeting.sample_percent" => t.sample_percent,
        "targeting.recontact_days" => t.recontact_days,
        "reasons" => t.reasons,
        "reasons.code" => t.reason_code,
        "reasons.labels" => t.label,
        _ => return None,
    })
}

/// A field's id in the form, from its path in a [`FieldError`].
fn field_id(path: &str) -> String {
    format!(
        "f-{}",
        path.replace(['.', '[', ']'], "-").trim_end_matches('-')
    )
}

/// What the editor just did, said where focus goes as the page loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done<'a> {
    Nothing,
    Saved,
    /// A language added: its question, to write, takes focus (it had been
    /// left on the page).
    Added(&'a str),
}

fn edit_form(
    session: &Session,
    d: &SurveyDefinition,
    errs: &[FieldError],
    unread: &Unread,
    done: Done,
) -> Markup {
    let t = session.lang.texts();
    let s = &d.survey;
    let id = &s.id;
    let locales: Vec<&String> = s.texts.keys().collect();
    let reason_locales: Vec<String> = {
        let mut l: Vec<String> = s.texts.keys().cloned().collect();
        if let SurveyKind::ChurnReason { reasons, .. } = &s.kind {
            for r in reasons {
                for k in r.labels.keys() {
                    if !l.contains(k) {
                        l.push(k.clone());
                    }
                }
            }
        }
        l
    };
    html! {
        (errors(session.lang, errs, field_id, field_label))
        @if done == Done::Saved { (said_on_load(None, html! { p class="status-message" role="status" { (t.saved) } })) }
        form method="post" action={"/dashboard/surveys/" (id)} {
            // Enter in a field saves: a form's first submit button is the one
            // Enter presses, and "Add a language" comes before Save (it had
            // answered a delay typed and entered with "not a locale code").
            button type="submit" name="action" value="save" hidden tabindex="-1" {}
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="position" value=(d.position);
            div class="grid2" {
                label class="check" { input type="checkbox" name="active" checked[d.active]; (t.active_survey) }
                label { (t.default_locale)
                    select name="default_locale" id="f-default_locale" {
                        @for l in &locales { option value=(l) selected[**l == s.default_locale] { (l) } }
                    }
                }
                label { (t.audience)
                    select name="audience" id=(field_id("targeting.audience")) aria-invalid=[aria_invalid(errs, "targeting.audience")] {
                        option value="everyone" selected[s.targeting.audience == Audience::Everyone] { (t.audience_everyone) }
                        option value="known" selected[s.targeting.audience == Audience::KnownCustomers] { (t.audience_known) }
                        option value="lapsed" selected[matches!(s.targeting.audience, Audience::Lapsed { .. })] { (t.audience_lapsed) }
                    }
                }
                label { (t.lapsed_days)
                    input type=(unread.number_type("targeting.audience.days")) inputmode="numeric" name="lapsed_days" id=(field_id("targeting.audience.days")) min="7" max="730"
                        value=(unread.shown("targeting.audience.days", match s.targeting.audience { Audience::Lapsed { days } => days, _ => session.shop.churn_window_days }))
                        aria-invalid=[aria_invalid(errs, "targeting.audience.days")];
                }
            }
            fieldset {
                legend { (t.when_it_shows) }
                div class="grid2" {
                    label { (t.delay_seconds) input type=(unread.number_type("targeting.delay_seconds")) inputmode="numeric" name="delay_seconds" id=(field_id("targeting.delay_seconds")) min="0" max="600" value=(unread.shown("targeting.delay_seconds", s.targeting.delay_seconds))
                        aria-invalid=[aria_invalid(errs, "targeting.delay_seconds")]; }
                    label { (t.sample_percent) input type=(unread.number_type("targeting.sample_percent")) inputmode="numeric" name="sample_percent" id=(field_id("targeting.sample_percent")) min="0" max="100" value=(unread.shown("targeting.sample_percent", s.targeting.sample_percent))
                        aria-invalid=[aria_invalid(errs, "targeting.sample_percent")]; }
                    label { (t.recontact_days) input type=(unread.number_type("targeting.recontact_days")) inputmode="numeric" name="recontact_days" id=(field_id("targeting.recontact_days")) min="0" max="365" value=(unread.shown("targeting.recontact_days", s.targeting.recontact_days))
                        aria-invalid=[aria_invalid(errs, "targeting.recontact_days")]; }
                    label class="check" { input type="checkbox" name="once_per_order" checked[s.targeting.once_per_order]; (t.once_per_order) }
                }
                div class="table-wrap" id=(field_id("targeting.pages")) { table {
                    caption { (t.pages) }
                    thead { tr { th scope="col" { (t.page_match) } th scope="col" { (t.page_path) } } }
                    tbody {
                        // Three empty rows to add rules in (an empty one is no rule).
                        @for (i, rule) in s.targeting.pages.iter().chain(std::iter::repeat_n(&PageRule { kind: PageMatch::Exact, path: String::new() }, 3)).enumerate() {
                            tr {
                                td { select name={"page." (i) ".match"} id=(field_id(&format!("targeting.pages[{i}].match"))) aria-label={(t.page_match) " " (i + 1)}
                                    aria-invalid=[aria_invalid(errs, &format!("targeting.pages[{i}].match"))] {
                                    @for (m, name) in [(PageMatch::Exact, t.match_exact), (PageMatch::Prefix, t.match_prefix), (PageMatch::Glob, t.match_glob)] {
                                        option value=(m.as_str()) selected[rule.kind == m] { (name) }
                                    }
                                } }
                                td { input id=(field_id(&format!("targeting.pages[{i}].path"))) name={"page." (i) ".path"} value=(kept_shared::targeting::readable_path(&rule.path)) placeholder="/thank-you"
                                    aria-label={(t.page_path) " " (i + 1)} aria-describedby="pages-hint"
                                    aria-invalid=[aria_invalid(errs, &format!("targeting.pages[{i}].path"))]; }
                            }
                        }
                    }
                } }
                p class="intro" id="pages-hint" { (t.pages_hint) }
            }
            @match &s.kind {
                SurveyKind::Nps { ask_reason } => {
                    label class="check" { input type="checkbox" name="ask_reason" checked[*ask_reason]; (t.ask_why) }
                }
                SurveyKind::ChurnReason { allow_other_text, .. } => {
                    label class="check" { input type="checkbox" name="allow_other" checked[*allow_other_text]; (t.allow_other_text) }
                }
                SurveyKind::Csat => {}
            }
            @for l in &locales {
                @let texts = &s.texts[*l];
                fieldset id=(field_id(&format!("texts.{l}"))) {
                    // The language's name where the dashboard has it: a code
                    // alone ("uk") is read as a word.
                    legend { (super::i18n::Lang::parse(l).map_or(l.to_string(), |x| format!("{} ({l})", x.name()))) }
                    // Any but the default (the survey's fallback) may go, on Save.
                    @if **l != s.default_locale {
                        label class="check" { input type="checkbox" name={"drop." (l)} data-testid={"drop-" (l)}; (t.remove_locale) }
                    }
                    // Text boxes, so that a long question is read whole on a phone
                    // (a line of it, in a field, was cut off); its lines are joined.
                    label { (t.question)
                        textarea id=(field_id(&format!("texts.{l}.question"))) name={"q." (l)} rows="2" maxlength="300" lang=(l)
                            data-focus-on-load[done == Done::Added(l.as_str())]
                            aria-invalid=[aria_invalid(errs, &format!("texts.{l}.question"))] { (texts.question) }
                    }
                    @if !matches!(s.kind, SurveyKind::Csat) {
                        label { (t.follow_up)
                            textarea id=(field_id(&format!("texts.{l}.follow_up"))) name={"f." (l)} rows="2" maxlength="300" lang=(l) { (texts.follow_up.clone().unwrap_or_default()) }
                        }
                    }
                }
            }
            @if let SurveyKind::ChurnReason { reasons, .. } = &s.kind {
                fieldset id=(field_id("reasons")) {
                    legend { (t.reasons) }
                    div class="table-wrap" { table {
                        thead { tr {
                            th scope="col" { (t.reason_code) }
                            @for l in &reason_locales { th scope="col" { (t.label) " (" (l) ")" } }
                        } }
                        tbody {
                            @for (i, r) in reasons.iter().chain(std::iter::once(&ChurnReasonChoice { code: String::new(), labels: BTreeMap::new() })).enumerate() {
                                tr id=(field_id(&format!("reasons[{i}].labels"))) {
                                    td { input id=(field_id(&format!("reasons[{i}].code"))) name={"reason." (i) ".code"} value=(r.code) aria-label={(t.reason_code) " " (i + 1)}
                                        aria-invalid=[aria_invalid(errs, &format!("reasons[{i}].code"))]; }
                                    @for l in &reason_locales {
                                        td { input id=(field_id(&format!("reasons[{i}].labels.{l}"))) name={"reason." (i) ".label." (l)} value=(r.labels.get(l).cloned().unwrap_or_default())
                                            aria-label={(t.label) " " (i + 1) " (" (l) ")"}
                                            aria-invalid=[aria_invalid(errs, &format!("reasons[{i}].labels.{l}"))]; }
                                    }
                                }
                            }
                        }
                    } }
                    p class="intro" { (t.add_reason) ": " (t.reason_code) " + " (t.label) }
                }
            }
            fieldset {
                legend { (t.add_locale) }
                label { (t.locale_code) input name="new_locale" id="f-new_locale" value=(unread.shown("new_locale", "")) aria-invalid=[aria_invalid(errs, "new_locale")] pattern="[a-z]{2,3}(-[A-Za-z0-9]{2,3})?" maxlength="7"; }
                button type="submit" class="secondary" name="action" value="add_locale" { (t.add_locale) }
            }
            div class="actions" {
                button type="submit" name="action" value="save" { (t.save) }
                a class="button secondary" href={"/dashboard/surveys/" (id) "/preview"} target="_blank" { (t.preview) }
            }
        }
        h2 { (t.preview) }
        p class="intro" { (t.preview_saved) }
        iframe class="preview" src={"/dashboard/surveys/" (id) "/preview"} title={(t.preview) ": " (id)} {}
    }
}

pub async fn edit(
    State(db): State<Db>,
    session: Session,
    Path(survey_id): Path<String>,
) -> Result<Response, Failure> {
    let t = session.lang.texts();
    let Some(d) = owner_settings::surveys(db.as_ref(), &session.shop)
        .await?
        .into_iter()
        .find(|s| s.survey.id == survey_id)
    else {
        return Ok((StatusCode::NOT_FOUND, "no such survey").into_response());
    };
    Ok(shell(
        &session,
        Section::Surveys,
        &format!("{}: {}", t.edit, d.survey.id),
        edit_form(&session, &d, &[], &Unread::default(), Done::Nothing),
    ))
}

/// The definition the form describes, built on the stored one (whose kind and
/// id it cannot change).
/// The survey as the form gives it, whether a language is being added, and
/// the fields in it that do not read.
fn from_form(
    stored: &SurveyDefinition,
    fields: &[(String, String)],
) -> (SurveyDefinition, bool, Unread) {
    let get = |name: &str| form::field(fields, name);
    let mut d = stored.clone();
    d.active = get("active").is_some();
    if let Some(l) = get("default_locale") {
        d.survey.default_locale = l.to_string();
    }
    // A text box's lines (an Enter typed) joined into one: a question is one line.
    let one_line = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut texts = BTreeMap::new();
    for (k, v) in fields {
        if let Some(l) = k.strip_prefix("q.") {
            let follow_up = get(&format!("f.{l}"))
                .map(one_line)
                .filter(|f| !f.is_empty());
            texts.insert(
                l.to_string(),
                SurveyTexts {
                    question: one_line(v),
                    follow_up,
                },
            );
        }
    }
    let new_locale = get("new_locale").map(str::trim).filter(|l| !l.is_empty());
    // A code typed to add, then Enter (which presses the form's first
    // button, Save) or Save: the language is added, its texts to write, as
    // "Add a language" does (saved, it had been refused for its empty question).
    let adding = get("action") == Some("add_locale") || new_locale.is_some();
    // A language the survey has: said, where it had been taken in silence.
    let had = new_locale.filter(|l| texts.contains_key(*l));
    if let Some(new) = new_locale {
        texts.entry(new.to_string()).or_insert(SurveyTexts {
            question: String::new(),
            follow_up: None,
        });
    }
    d.survey.texts = texts;
    let mut unread = Unread::default();
    if let Some(had) = had {
        unread.refuse(
            "new_locale",
            had,
            FieldProblem::Repeated {
                value: had.to_string(),
            },
        );
    }
    // A choice the form does not offer (only a hand-made request sends one)
    // is refused, not read as the first.
    let choice = |unread: &mut Unread, path: &str, typed: &str| {
        unread.refuse(
            path,
            typed,
            FieldProblem::NotAChoice {
                value: typed.to_string(),
            },
        )
    };
    let before = stored.survey.targeting.clone();
    let mut pages: BTreeMap<usize, PageRule> = BTreeMap::new();
    for (k, v) in fields {
        let Some((i, what)) = k.strip_prefix("page.").and_then(|r| r.split_once('.')) else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        let rule = pages.entry(i).or_insert(PageRule {
            kind: PageMatch::Exact,
            path: String::new(),
        });
        match what {
            "match" => {
                rule.kind = PageMatch::parse(v).unwrap_or_else(|| {
                    choice(&mut unread, &format!("targeting.pages[{i}].match"), v);
                    PageMatch::Exact
                })
            }
            "path" => rule.path = v.trim().to_string(),
            _ => {}
        }
    }
    let audience = get("audience");
    if let Some(other) = audience.filter(|a| !["everyone", "known", "lapsed"].contains(a)) {
        choice(&mut unread, "targeting.audience", other);
    }
    // A missing number keeps its value; one that does not read is an error.
    let mut number = |name: &str, path: &str, current: u32| {
        get(name).map_or(current, |v| unread.number(path, v, current))
    };
    d.survey.targeting = Targeting {
        audience: match audience {
            Some("known") => Audience::KnownCustomers,
            Some("lapsed") => Audience::Lapsed {
                days: number("lapsed_days", "targeting.audience.days", 90),
            },
            _ => Audience::Everyone,
        },
        // A row without a path is not a rule (clearing the path removes one).
        pages: pages.into_values().filter(|r| !r.path.is_empty()).collect(),
        delay_seconds: number(
            "delay_seconds",
            "targeting.delay_seconds",
            before.delay_seconds,
        ),
        // Past what a percentage field holds: the largest it does, which the
        // rules refuse, and the number typed shown again.
        sample_percent: u8::try_from(number(
            "sample_percent",
            "targeting.sample_percent",
            before.sample_percent.into(),
        ))
        .unwrap_or(u8::MAX),
        recontact_days: number(
            "recontact_days",
            "targeting.recontact_days",
            before.recontact_days,
        ),
        once_per_order: get("once_per_order").is_some(),
    };
    if let Some(typed) = get("sample_percent")
        && typed
            .trim()
            .parse::<u32>()
            .is_ok_and(|n| n > u8::MAX.into())
    {
        unread.keep_typed("targeting.sample_percent", typed);
    }
    match &mut d.survey.kind {
        SurveyKind::Nps { ask_reason } => *ask_reason = get("ask_reason").is_some(),
        SurveyKind::ChurnReason {
            reasons,
            allow_other_text,
        } => {
            *allow_other_text = get("allow_other").is_some();
            let mut rows: BTreeMap<usize, ChurnReasonChoice> = BTreeMap::new();
            for (k, v) in fields {
                let Some(rest) = k.strip_prefix("reason.") else {
                    continue;
                };
                let mut parts = rest.splitn(3, '.');
                let (Some(i), Some(what)) =
                    (parts.next().and_then(|i| i.parse().ok()), parts.next())
                else {
                    continue;
                };
                let row = rows.entry(i).or_insert(ChurnReasonChoice {
                    code: String::new(),
                    labels: BTreeMap::new(),
                });
                match (what, parts.next()) {
                    ("code", None) => row.code = v.trim().to_string(),
                    ("label", Some(locale)) if !v.trim().is_empty() => {
                        row.labels.insert(locale.to_string(), v.trim().to_string());
                    }
                    _ => {}
                }
            }
            // A row without a code or a label is not a reason (clearing both
            // removes one); one with a label but no code is the owner's to mend.
            *reasons = rows
                .into_values()
                .filter(|r| !r.code.is_empty() || !r.labels.is_empty())
                .collect();
        }
        SurveyKind::Csat => {}
    }
    // A language the owner removes (not the default: the survey's fallback),
    // with its reasons' labels. The default ticked too (made the default in
    // the same Save) is refused, not kept in silence.
    let (dropped, refused_default): (Vec<String>, Vec<String>) = fields
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("drop."))
        .map(str::to_string)
        .partition(|l| *l != d.survey.default_locale);
    if let Some(default) = refused_default.first() {
        unread.errors.push(FieldError::new(
            format!("texts.{default}"),
            FieldProblem::DefaultLocaleRemoved,
        ));
    }
    for l in &dropped {
        d.survey.texts.remove(l);
        if let SurveyKind::ChurnReason { reasons, .. } = &mut d.survey.kind {
            for r in reasons.iter_mut() {
                r.labels.remove(l);
            }
        }
    }
    (d, adding, unread)
}

pub async fn save(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(survey_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    if !fields_allowed(&session, &headers, &fields) {
        return Ok(expired(&session));
    }
    let t = session.lang.texts();
    let Some(stored) = owner_settings::surveys(db.as_ref(), &session.shop)
        .await?
        .into_iter()
        .find(|s| s.survey.id == survey_id)
    else {
        return Ok((StatusCode::NOT_FOUND, "no such survey").into_response());
    };
    let (draft, adding_locale, unread) = from_form(&stored, &fields);
    let title = format!("{}: {}", t.edit, survey_id);
    if adding_locale {
        let new = form::field(&fields, "new_locale").unwrap_or("").trim();
        if valid_locale(new) {
            // With what did not read said (a language the survey has).
            let page = shell(
                &session,
                Section::Surveys,
                &title,
                edit_form(&session, &draft, &unread.errors, &unread, Done::Added(new)),
            );
            return Ok(if unread.errors.is_empty() {
                page
            } else {
                refused(page)
            });
        }
        // Refused: the form without the new language, the code shown as typed.
        let (shown, _, mut unread) = from_form(
            &stored,
            &fields
                .iter()
                .filter(|(k, _)| k != "new_locale")
                .cloned()
                .collect::<Vec<_>>(),
        );
        unread.refuse(
            "new_locale",
            new,
            FieldProblem::NotALocale {
                value: new.to_string(),
            },
        );
        return Ok(refused(shell(
            &session,
            Section::Surveys,
            &title,
            edit_form(&session, &shown, &unread.errors, &unread, Done::Nothing),
        )));
    }
    let outcome = if unread.errors.is_empty() {
        owner_settings::put_survey(
            db.as_ref(),
            &session.shop,
            draft.clone(),
            &dashboard_actor(&session),
        )
        .await
    } else {
        let checked = validate_survey(&draft.survey).err().unwrap_or_default();
        Err(ChangeError::Invalid(unread.with(checked)))
    };
    match outcome {
        Ok(()) => Ok(shell(
            &session,
            Section::Surveys,
            &title,
            edit_form(&session, &draft, &[], &Unread::default(), Done::Saved),
        )),
        Err(ChangeError::Invalid(errs)) => Ok(refused(shell(
            &session,
            Section::Surveys,
            &title,
            edit_form(&session, &draft, &errs, &unread, Done::Nothing),
        ))),
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

/// Moves a survey up or down, or switches it on or off.
pub async fn arrange(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(survey_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    let get = |name: &str| form::field(&fields, name).unwrap_or("");
    if !fields_allowed(&session, &headers, &fields) {
        return Ok(expired(&session));
    }
    let mut surveys = owner_settings::surveys(db.as_ref(), &session.shop).await?;
    let Some(i) = surveys.iter().position(|s| s.survey.id == survey_id) else {
        return Ok((StatusCode::NOT_FOUND, "no such survey").into_response());
    };
    let actor = dashboard_actor(&session);
    match get("move") {
        "toggle" => surveys[i].active = !surveys[i].active,
        "up" if i > 0 => surveys.swap(i, i - 1),
        "down" if i + 1 < surveys.len() => surveys.swap(i, i + 1),
        _ => return Ok(Redirect::to("/dashboard/surveys").into_response()),
    }
    let back = format!("/dashboard/surveys?arranged={}#arranged", enc(&survey_id));
    // Positions follow the list's order; only surveys whose place or state changed are written.
    let before = owner_settings::surveys(db.as_ref(), &session.shop).await?;
    for (position, mut d) in surveys.into_iter().enumerate() {
        d.position = position as i32;
        if before.iter().find(|b| b.survey.id == d.survey.id) != Some(&d) {
            owner_settings::put_survey(db.as_ref(), &session.shop, d, &actor)
                .await
                .map_err(|e| match e {
                    ChangeError::Store(e) => Failure::from(e),
                    ChangeError::Invalid(_) => {
                        Failure::bad_request("a stored survey breaks the rules")
                    }
                })?;
        }
    }
    Ok(Redirect::to(&back).into_response())
}

/// The widget as visitors see it, showing this survey, in preview mode: nothing
/// answered here is stored or counted. Its plan comes from the dashboard
/// ([`preview_plan`]), which shows the survey whether it is on or off.
pub async fn preview(session: Session, Path(survey_id): Path<String>) -> Response {
    if kept_shared::validate::validate_ref("survey", &survey_id).is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    // The loader asks `{data-api}/api/v1/widget/{key}/plan`: here, with the
    // session's cookie. A path, read against the loader's own address: the
    // page's scheme and host, whatever a proxy in front calls them.
    let api = format!("/dashboard/surveys/{survey_id}/preview");
    let t = session.lang.texts();
    let markup = html! {
        (DOCTYPE)
        html lang=(session.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t.preview) ": " (survey_id) }
                link rel="stylesheet" href="/dashboard/assets/dashboard.css";
            }
            body {
                main {
                    h1 class="sr-only" { (t.preview) }
                    script src="/widget/kept.js" defer data-key=(session.shop.public_key) data-survey=(survey_id)
                        data-locale=(session.lang.code()) data-preview="true" data-api=(api) {}
                }
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The widget's wasm needs 'wasm-unsafe-eval'; the editor frames this page.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct PreviewPlanQuery {
    locale: Option<String>,
}

/// The preview's plan: the shop's, with the survey previewed in it even
/// while it is off. The signed-in owner's only (the session), for their shop's
/// key.
pub async fn preview_plan(
    State(db): State<Db>,
    session: Session,
    Path((survey_id, key)): Path<(String, String)>,
    Query(q): Query<PreviewPlanQuery>,
) -> Result<Response, Failure> {
    if key != session.shop.public_key {
        return Err(Failure::not_found("no such preview"));
    }
    let request = crate::plan::PlanRequest {
        locale: q.locale.filter(|l| valid_locale(l)),
        preview_of: Some(survey_id),
        ..Default::default()
    };
    let plan = crate::plan::display_plan(db.as_ref(), &session.shop, &request)
        .await?
        .plan;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(plan)).into_response())
}
