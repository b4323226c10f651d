//! Webhooks in the dashboard: the shop's endpoints with their recent
//! deliveries and every attempt, adding one (its secret shown once), removing one.

use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use kept_shared::FieldError;
use kept_shared::webhooks::{DeliveryState, EventKind, NewWebhook, Webhook};
use maud::{Markup, html};

use super::format;
use super::i18n::Texts;
use super::layout::{Section, aria_invalid, errors, shell};
use super::session::Session;
use super::surveys::dashboard_actor;
use super::{expired, fields_allowed, form_allowed, refused};
use crate::db::Db;
use crate::http::Failure;
use crate::outbound::Receivers;
use crate::owner::settings::ChangeError;
use crate::owner::webhooks;

fn event_name(t: &Texts, k: EventKind) -> &'static str {
    match k {
        EventKind::Detractor => t.event_detractor,
        EventKind::Churn => t.event_churn,
        EventKind::LowCsat => t.event_low_csat,
        EventKind::AtRisk => t.event_at_risk,
    }
}

fn field_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "url" => t.webhook_url,
        "events" => t.webhook_events,
        _ => return None,
    })
}

fn field_id(field: &str) -> String {
    format!("w-{field}")
}

/// The page; `draft` is a refused new endpoint, shown again to be mended.
async fn render(
    db: &Db,
    session: &Session,
    invalid: &[FieldError],
    draft: Option<&NewWebhook>,
    notice: Option<Markup>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let zone = session.shop.time_zone;
    let hooks = webhooks::list(db.as_ref(), &session.shop).await?;
    let mut logs = Vec::with_capacity(hooks.len());
    // The endpoints are the shop's (just listed): each log is read directly.
    for h in &hooks {
        logs.push(
            db.deliveries(&session.shop.id, &h.id, webhooks::DELIVERY_LOG)
                .await?,
        );
    }
    let content = html! {
        p class="intro" { (t.webhooks_intro) }
        @if let Some(n) = notice { (n) }
        (errors(lang, invalid, field_id, field_label))
        @for (h, log) in hooks.iter().zip(&logs) {
            section class="card" aria-labelledby={"h-" (h.id)} data-testid="webhook" {
                h2 id={"h-" (h.id)} class="inline" { code { (h.url) } }
                p { @for (i, k) in h.events.iter().enumerate() { @if i > 0 { ", " } (event_name(t, *k)) } }
                @if log.is_empty() { p { (t.no_deliveries) } } @else {
                    // A list rather than a table: it reads the same on a phone.
                    h3 { (t.deliveries) }
                    ol class="deliveries" {
                        @for d in log { li data-testid="delivery" {
                            p {
                                strong { (event_name(t, d.kind)) } " · "
                                (match d.state {
                                    DeliveryState::Delivered => t.delivered,
                                    DeliveryState::Pending => t.pending,
                                    DeliveryState::GaveUp => t.gave_up,
                                })
                                " · " (format::date_time(lang, d.created_at, zone))
                            }
                            p class="intro" {
                                code { (d.event_id) }
                                @if let Some(next) = d.next_attempt_at { " · " (t.next_attempt) " " (format::date_time(lang, next, zone)) }
                            }
                            ol class="attempts" aria-label=(t.attempts) { @for a in &d.attempts { li {
                                (format::date_time(lang, a.at, zone)) " — "
                                @match (a.status, &a.error) {
                                    (Some(s), Some(e)) => { "HTTP " (s) " · " (e) }
                                    (Some(s), None) => { "HTTP " (s) }
                                    (None, Some(e)) => { (e) }
                                    (None, None) => { "—" }
                                }
                            } } }
                        } }
                    }
                }
                form method="post" action={"/dashboard/webhooks/" (h.id) "/delete"} class="actions" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button type="submit" class="danger" { (t.remove_webhook) }
                }
            }
        }
        h2 { (t.add_webhook) }
        form method="post" action="/dashboard/webhooks" class="card" {
            input type="hidden" name="csrf" value=(session.csrf);
            label { (t.webhook_url) input id=(field_id("url")) name="url" type="url" required placeholder="https://" value=[draft.map(|d| &d.url)] aria-invalid=[aria_invalid(invalid, "url")]; }
            fieldset id=(field_id("events")) aria-invalid=[aria_invalid(invalid, "events")] {
                legend { (t.webhook_events) }
                @for k in EventKind::ALL {
                    label class="check" { input type="checkbox" name="events" value=(k.as_str()) checked[draft.is_none_or(|d| d.events.contains(&k))]; (event_name(t, k)) }
                }
            }
            div class="actions" { button type="submit" { (t.add_webhook) } }
        }
    };
    Ok(shell(session, Section::Webhooks, t.webhooks, content))
}

pub async fn page(State(db): State<Db>, session: Session) -> Result<Response, Failure> {
    render(&db, &session, &[], None, None).await
}

pub async fn add(
    State(db): State<Db>,
    session: Session,
    Extension(receivers): Extension<Receivers>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    fn all<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    let get = |name: &'static str| all(&fields, name);
    if !fields_allowed(&session, &headers, &fields) {
        return Ok(expired(&session));
    }
    let new = NewWebhook {
        url: get("url").next().unwrap_or("").trim().to_string(),
        events: get("events").filter_map(EventKind::parse).collect(),
    };
    let t = session.lang.texts();
    let actor = dashboard_actor(&session);
    match webhooks::create(db.as_ref(), &session.shop, new.clone(), receivers, &actor).await {
        Ok(made) => {
            let notice = html! {
                section class="card" role="status" aria-labelledby="new-secret" {
                    h2 id="new-secret" { (t.webhook_secret) }
                    p class="secret" data-testid="new-secret" { (made.secret.unwrap_or_default()) }
                    p { (t.new_secret_hint) }
                }
            };
            render(&db, &session, &[], None, Some(notice)).await
        }
        Err(ChangeError::Invalid(invalid)) => Ok(refused(
            render(&db, &session, &invalid, Some(&new), None).await?,
        )),
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RemoveForm {
    csrf: String,
    /// "yes" from the page that asks first.
    confirm: Option<String>,
}

/// Removes a webhook once the owner has confirmed it: the list's button asks
/// first, on a page of its own, as a key's replacement does, since its
/// delivery log goes with it and, added again, it gets a new signing secret.
pub async fn remove(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    if f.confirm.as_deref() != Some("yes") {
        let hooks = webhooks::list(db.as_ref(), &session.shop).await?;
        let Some(hook) = hooks.iter().find(|h| h.id == id) else {
            return Ok(Redirect::to("/dashboard/webhooks").into_response());
        };
        return Ok(confirm_removal(&session, hook));
    }
    webhooks::remove(db.as_ref(), &session.shop, &id, &dashboard_actor(&session)).await?;
    Ok(Redirect::to("/dashboard/webhooks").into_response())
}

/// The page that asks before a webhook is removed, saying what goes with it.
fn confirm_removal(session: &Session, hook: &Webhook) -> Response {
    let t = session.lang.texts();
    let content = html! {
        section class="card" aria-labelledby="confirm-removal" data-testid="confirm-removal" {
            h2 id="confirm-removal" { code { (hook.url) } }
            p { (t.remove_webhook_warning) }
            form method="post" action={"/dashboard/webhooks/" (hook.id) "/delete"} class="actions" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="confirm" value="yes";
                button type="submit" class="danger" { (t.remove_webhook_confirm) }
                a href="/dashboard/webhooks" { (t.cancel) }
            }
        }
    };
    shell(session, Section::Webhooks, t.remove_webhook_title, content)
}
