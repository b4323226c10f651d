//! A customer's rights, from their page: everything stored about them as a
//! download (a subject access request), and erasing them, confirmed by typing
//! their reference (`owner/privacy.rs` does both, as the API does).

use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use kept_shared::validate::validate_ref;
use maud::{Markup, html};
use serde::Deserialize;

use super::format::whole;
use super::i18n::fill;
use super::layout::{Section, enc, said_on_load, shell};
use super::session::Session;
use super::surveys::dashboard_actor;
use super::{expired, form_allowed};
use crate::db::Db;
use crate::http::Failure;
use crate::owner;

/// The privacy part of a customer's page; `mismatch` when the reference typed
/// to confirm erasing was not theirs.
pub fn section(session: &Session, customer_ref: &str, mismatch: bool) -> Markup {
    let t = session.lang.texts();
    let path = format!("/dashboard/customers/{}", enc(customer_ref));
    html! {
        section class="card privacy" aria-labelledby="privacy" {
            h2 id="privacy" { (t.privacy) }
            p { a href={(path) "/export.json"} download data-testid="customer-export" { (t.export_customer) } }
            form method="post" action={(path) "/erase"} data-testid="erase-form" {
                input type="hidden" name="csrf" value=(session.csrf);
                p class="intro" { (t.erase_hint) }
                @if mismatch { (said_on_load(None, html! { p role="alert" class="error" id="erase-error" { (t.erase_mismatch) } })) }
                label { (t.erase_confirm) input name="confirm" autocomplete="off" required aria-invalid=[mismatch.then_some("true")] aria-describedby=[mismatch.then_some("erase-error")]; }
                div class="actions" { button type="submit" class="danger" { (t.erase_customer) } }
            }
        }
    }
}

/// Everything stored about the customer, as a JSON download.
pub async fn export(
    State(db): State<Db>,
    session: Session,
    Path(customer_ref): Path<String>,
) -> Result<Response, Failure> {
    validate_ref("customer_ref", &customer_ref)?;
    let export = owner::privacy::export(db.as_ref(), &session.shop, &customer_ref).await?;
    let headers = owner::privacy::export_headers(&session.shop.id, &customer_ref);
    Ok((headers, axum::Json(export)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EraseForm {
    csrf: String,
    confirm: String,
}

/// Erases the customer once their reference is typed to confirm; says what
/// was removed.
pub async fn erase(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(customer_ref): Path<String>,
    Form(f): Form<EraseForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    validate_ref("customer_ref", &customer_ref)?;
    let t = session.lang.texts();
    let title = format!("{}: {customer_ref}", t.customer);
    if f.confirm.trim() != customer_ref {
        let content = html! {
            p { a href={"/dashboard/customers/" (enc(&customer_ref))} { (title) } }
            (section(&session, &customer_ref, true))
        };
        let page = shell(&session, Section::Customers, &title, content);
        return Ok(super::refused(page));
    }
    let erased = owner::privacy::erase(
        db.as_ref(),
        &session.shop,
        &customer_ref,
        &dashboard_actor(&session),
    )
    .await?;
    // Said on a page of its own, so that reloading it erases nothing again.
    Ok(Redirect::to(&format!(
        "/dashboard/customers/{}/erased?purchases={}&answers={}",
        enc(&customer_ref),
        erased.purchases,
        erased.answers_unlinked
    ))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct Erased {
    #[serde(default, deserialize_with = "super::form::optional")]
    purchases: Option<u64>,
    #[serde(default, deserialize_with = "super::form::optional")]
    answers: Option<u64>,
}

/// What erasing a customer removed.
pub async fn erased(
    session: Session,
    Path(customer_ref): Path<String>,
    super::form::Filters { given: e, .. }: super::form::Filters<Erased>,
) -> Response {
    let t = session.lang.texts();
    let content = html! {
        (said_on_load(None, html! { p role="status" class="status-message" data-testid="erased" {
            (fill(t.erased, &[
                ("purchases", &whole(e.purchases.unwrap_or(0))),
                ("answers", &whole(e.answers.unwrap_or(0))),
            ]))
        } }))
        p { a href="/dashboard/customers" { (t.customers) } }
    };
    let title = format!("{}: {customer_ref}", t.customer);
    shell(&session, Section::Customers, &title, content)
}
