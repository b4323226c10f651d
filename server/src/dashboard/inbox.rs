//! The inbox: every detractor and every answer about leaving, with its follow-up
//! status and note, changed in place (each item is its own small form; after
//! saving, the page comes back to that item and says so).

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kept_shared::{FieldError, FieldProblem, FollowUpStatus, FollowUpUpdate};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::form::{Filters, NotUsed};
use super::format;
use super::i18n::Texts;
use super::layout::{
    Section, aria_invalid, enc, errors, page_from, pagination, said_on_load, shell, unverified_mark,
};
use super::responses::value;
use super::session::Session;
use super::{expired, form_allowed};
use crate::db::{AnswerQuery, Db};
use crate::http::Failure;
use crate::owner;
use crate::owner::settings::ChangeError;

const PAGE: u64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    status: Option<String>,
    offset: Option<String>,
    #[serde(default, deserialize_with = "super::form::optional")]
    saved: Option<Uuid>,
}

fn status_name(t: &super::i18n::Texts, s: FollowUpStatus) -> &'static str {
    match s {
        FollowUpStatus::New => t.status_new,
        FollowUpStatus::Contacted => t.status_contacted,
        FollowUpStatus::Resolved => t.status_resolved,
    }
}

/// A follow-up the owner saved that was refused: which answer, why, and the
/// note as typed.
struct Refused {
    answer: Uuid,
    errors: Vec<FieldError>,
    note: String,
    /// The status chosen, when it is one.
    status: Option<FollowUpStatus>,
}

/// The follow-up form's labels, by field (see `field_problems`).
fn field_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "status" => t.status,
        "note" => t.note,
        _ => return None,
    })
}

pub async fn page(
    State(db): State<Db>,
    session: Session,
    Filters {
        given: filter,
        repeated,
    }: Filters<Filter>,
) -> Result<Response, Failure> {
    // A tab the inbox does not have shows them all, and says so.
    let mut not_used = NotUsed::repeated(&repeated);
    not_used.read("status", filter.status.as_deref(), FollowUpStatus::parse);
    let offset = super::form::offset(&mut not_used, filter.offset.as_deref());
    render(&db, &session, filter, offset, None, &not_used).await
}

async fn render(
    db: &Db,
    session: &Session,
    filter: Filter,
    offset: u64,
    refused: Option<Refused>,
    not_used: &NotUsed,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let status = filter.status.as_deref().and_then(FollowUpStatus::parse);
    let saved = filter.saved;
    let query = AnswerQuery {
        inbox: true,
        status,
        newest_first: true,
        offset,
        limit: PAGE,
        ..Default::default()
    };
    let (found, offset) = page_from(offset, PAGE, |offset| {
        let query = AnswerQuery {
            offset,
            ..query.clone()
        };
        owner::inbox::answer_page(db.as_ref(), &session.shop.id, query)
    })
    .await?;
    let surveys = owner::settings::surveys_asked(db.as_ref(), &session.shop).await?;
    let here = |s: Option<FollowUpStatus>| match s {
        Some(s) => format!("/dashboard/inbox?status={}", s.as_str()),
        None => "/dashboard/inbox".into(),
    };
    let pairs: Vec<(String, String)> = status
        .map(|s| vec![("status".to_string(), s.as_str().to_string())])
        .unwrap_or_default();
    let content = html! {
        p class="intro" { (t.inbox_intro) }
        (not_used.notice(lang))
        // "Saved." beside the item saved, where the page opens; at the top
        // when the item is no longer in this list (its status changed).
        @if let Some(id) = saved.filter(|id| !found.items.iter().any(|a| a.id == *id)) {
            (said_on_load(Some("saved"), html! { p class="status-message" role="status" data-testid="saved" {
                (t.saved) " " a href={"/dashboard/inbox#a-" (id)} { (t.inbox) }
            } }))
        }
        ul class="tabs" {
            li { a href=(here(None)) aria-current=[status.is_none().then_some("page")] { (t.any) } }
            @for s in FollowUpStatus::ALL {
                li { a href=(here(Some(s))) aria-current=[(status == Some(s)).then_some("page")] { (status_name(t, s)) } }
            }
        }
        @if found.items.is_empty() { p role="status" { (t.nothing_found) } } @else {
            p role="status" { (lang.count(found.total, &t.answers)) }
            ol class="inbox" {
                @for a in &found.items {
                    @let fu = a.follow_up.clone().unwrap_or(kept_shared::FollowUp { status: FollowUpStatus::New, note: String::new(), updated_at: None });
                    @let id = a.id.to_string();
                    @let mine = refused.as_ref().filter(|r| r.answer == a.id);
                    @let field_id = |f: &str| format!("n-{id}-{f}");
                    li {
                        article id={"a-" (id)} aria-labelledby={"h-" (id)} {
                            h2 id={"h-" (id)} class="inline" {
                                (format::survey_name(lang, &a.survey, &surveys))
                            }
                            p id={"w-" (id)} {
                                (format::date_time(lang, a.answered_at, session.shop.time_zone)) " · "
                                @if let Some(c) = &a.customer_ref { a href={"/dashboard/customers/" (enc(c))} { (c) } } @else { "—" }
                                (unverified_mark(t, a))
                            }
                            p { (value(lang, &a.value, &surveys)) }
                            @if let Some(r) = mine { (errors(lang, &r.errors, field_id, field_label)) }
                            form method="post" action={"/dashboard/inbox/" (id)} {
                                input type="hidden" name="csrf" value=(session.csrf);
                                input type="hidden" name="back" value=(status.map(|s| s.as_str()).unwrap_or(""));
                                input type="hidden" name="offset" value=(offset);
                                label { (t.status)
                                    select name="status" id=(field_id("status")) aria-describedby={"h-" (id) " w-" (id)} {
                                        @for s in FollowUpStatus::ALL {
                                            option value=(s.as_str()) selected[s == mine.and_then(|r| r.status).unwrap_or(fu.status)] { (status_name(t, s)) }
                                        }
                                    }
                                }
                                label { (t.note) textarea name="note" id=(field_id("note")) rows="2" maxlength="1000" aria-describedby={"h-" (id) " w-" (id)}
                                    aria-invalid=[mine.and_then(|r| aria_invalid(&r.errors, "note"))] { (mine.map_or(fu.note.as_str(), |r| r.note.as_str())) } }
                                // Each item's controls say whose they are: a
                                // page of them had thirty alike.
                                button type="submit" aria-describedby={"h-" (id) " w-" (id)} { (t.save) }
                            }
                            @if saved == Some(a.id) {
                                (said_on_load(Some("saved"), html! { p class="status-message" role="status" data-testid="saved" { (t.saved) } }))
                            }
                            @if let Some(at) = fu.updated_at {
                                p class="intro" { (status_name(t, fu.status)) " · " (format::date_time(lang, at, session.shop.time_zone)) }
                            }
                        }
                    }
                }
            }
            (pagination(t, "/dashboard/inbox", &pairs, offset, PAGE, found.total))
        }
    };
    let mut resp = shell(session, Section::Inbox, t.inbox, content);
    if refused.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
pub struct SaveForm {
    csrf: String,
    status: String,
    note: String,
    back: Option<String>,
    /// The page of the list the item was on: a refusal shows that page.
    #[serde(default, deserialize_with = "super::form::optional")]
    offset: Option<u64>,
}

pub async fn save(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(answer_id): Path<Uuid>,
    Form(f): Form<SaveForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    let back = f.back.as_deref().and_then(FollowUpStatus::parse);
    // Refused: the same page, the reason beside this answer's form, its note
    // as typed and its status as chosen.
    let refuse = |errors: Vec<FieldError>| Refused {
        answer: answer_id,
        errors,
        note: f.note.clone(),
        status: FollowUpStatus::parse(&f.status),
    };
    // The page of the list the answer was on (the form's own field).
    let offset = f.offset.unwrap_or(0);
    let filter = || Filter {
        status: back.map(|s| s.as_str().to_string()),
        ..Default::default()
    };
    let Some(status) = FollowUpStatus::parse(&f.status) else {
        let unknown = FieldProblem::NotAChoice {
            value: f.status.clone(),
        };
        let refused = refuse(vec![FieldError::new("status", unknown)]);
        return render(
            &db,
            &session,
            filter(),
            offset,
            Some(refused),
            &NotUsed::default(),
        )
        .await;
    };
    match owner::inbox::follow_up(
        db.as_ref(),
        &session.shop.id,
        answer_id,
        FollowUpUpdate {
            status,
            note: Some(f.note.clone()),
        },
    )
    .await
    {
        Ok(()) => {}
        Err(ChangeError::Invalid(errors)) => {
            return render(
                &db,
                &session,
                filter(),
                offset,
                Some(refuse(errors)),
                &NotUsed::default(),
            )
            .await;
        }
        Err(ChangeError::Store(e)) => return Err(e.into()),
    }
    let mut to = "/dashboard/inbox?".to_string();
    if let Some(b) = back {
        to.push_str(&format!("status={}&", b.as_str()));
    }
    // To its "Saved.", beside it (a fragment that is not the element focused
    // had the browser drop the focus the dashboard's script gave it).
    to.push_str(&format!("saved={answer_id}#saved"));
    Ok(Redirect::to(&to).into_response())
}
