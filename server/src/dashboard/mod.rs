//! The owner's dashboard: server-rendered pages (maud) on the owner API's own
//! functions, in English, Russian and Ukrainian, usable by keyboard and screen
//! reader, from a 320 px phone to a desktop. Charts are SVG drawn in Rust; the one
//! script only shows an import's progress.

mod charts;
mod customers;
mod field_problems;
mod form;
mod format;
mod i18n;
mod import;
mod import_problems;
mod inbox;
mod kiosks;
mod layout;
mod overview;
mod privacy;
mod responses;
mod session;
mod settings;
mod surveys;
mod webhooks;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

use crate::db::Db;
pub use i18n::Lang;
use layout::{CSS, JS, bare_page};
pub use session::{COOKIE as SESSION_COOKIE, cookie};
use session::{LANG_COOKIE, Session, language, same_origin, set_cookie, sign_in, sign_out};

pub fn router() -> Router<Db> {
    Router::new()
        .route("/dashboard", get(overview::page))
        .route("/dashboard/login", get(login_form).post(login))
        .route("/dashboard/logout", back_to("/dashboard").post(logout))
        .route("/dashboard/language/{code}", get(set_language))
        .route(
            "/dashboard/assets/dashboard.css",
            get(|| async { asset("text/css", CSS) }),
        )
        .route(
            "/dashboard/assets/dashboard.js",
            get(|| async { asset("text/javascript", JS) }),
        )
        .route("/dashboard/responses", get(responses::page))
        .route("/dashboard/responses.csv", get(responses::export))
        .route("/dashboard/customers", get(customers::list))
        .route("/dashboard/customers.csv", get(customers::export))
        .route(
            "/dashboard/customers/{customer_ref}",
            get(customers::detail),
        )
        .route(
            "/dashboard/customers/{customer_ref}/export.json",
            get(privacy::export),
        )
        .route(
            "/dashboard/customers/{customer_ref}/erase",
            get(|Path(customer): Path<String>| async move {
                Redirect::to(&format!("/dashboard/customers/{}", layout::enc(&customer)))
            })
            .post(privacy::erase),
        )
        .route(
            "/dashboard/customers/{customer_ref}/erased",
            get(privacy::erased),
        )
        .route("/dashboard/win-back", get(customers::win_back))
        .route("/dashboard/win-back.csv", get(customers::win_back_csv))
        .route(
            "/dashboard/win-back/links.csv",
            get(customers::win_back_links),
        )
        .route("/dashboard/kiosks", get(kiosks::page))
        .route(
            "/dashboard/kiosks/stores",
            back_to("/dashboard/kiosks").post(kiosks::save_store),
        )
        .route(
            "/dashboard/kiosks/pin",
            back_to("/dashboard/kiosks").post(kiosks::set_pin),
        )
        .route(
            "/dashboard/kiosks/tablets/{device}/remove",
            back_to("/dashboard/kiosks").post(kiosks::remove_tablet),
        )
        .route("/dashboard/inbox", get(inbox::page))
        .route(
            "/dashboard/inbox/{answer_id}",
            get(|Path(answer): Path<String>| async move {
                Redirect::to(&format!("/dashboard/inbox#a-{}", layout::enc(&answer)))
            })
            .post(inbox::save),
        )
        .route(
            "/dashboard/webhooks",
            get(webhooks::page).post(webhooks::add),
        )
        .route(
            "/dashboard/webhooks/{id}/delete",
            back_to("/dashboard/webhooks").post(webhooks::remove),
        )
        .route(
            "/dashboard/surveys",
            get(surveys::list).post(surveys::create),
        )
        .route(
            "/dashboard/surveys/{survey_id}",
            get(surveys::edit).post(surveys::save),
        )
        .route(
            "/dashboard/surveys/{survey_id}/arrange",
            back_to("/dashboard/surveys").post(surveys::arrange),
        )
        .route(
            "/dashboard/surveys/{survey_id}/preview",
            get(surveys::preview),
        )
        .route(
            "/dashboard/surveys/{survey_id}/preview/api/v1/widget/{key}/plan",
            get(surveys::preview_plan),
        )
        .route(
            "/dashboard/settings",
            get(settings::page).post(settings::save),
        )
        .route(
            "/dashboard/settings/keys/{kind}",
            back_to("/dashboard/settings").post(settings::rotate),
        )
        .route(
            "/dashboard/import",
            // Its body limit: `http/request_limits.rs`.
            get(import::page).post(import::upload),
        )
        .route(
            "/dashboard/",
            get(|| async { Redirect::permanent("/dashboard") }),
        )
        .route("/dashboard/{*unknown}", get(no_such_page))
}

/// An address under the dashboard that is none of its pages (mistyped, or
/// from an older version): said in the owner's language, with the navigation.
async fn no_such_page(session: Session) -> Response {
    let t = session.lang.texts();
    let content = maud::html! {
        p { (t.no_such_page) }
        p { a href="/dashboard" { (t.overview) } }
    };
    let mut page = layout::outside_sections(&session, t.page_not_found, content);
    *page.status_mut() = StatusCode::NOT_FOUND;
    page
}

/// A stylesheet or script of the dashboard: cached a while, revalidated after.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, Default)]
struct Next {
    next: Option<String>,
    failed: Option<String>,
    /// The shop id of a refused sign-in, typed again for the owner.
    shop: Option<String>,
}

/// Only a path of the dashboard itself may follow signing in (no open redirect),
/// written as a `Location` can carry it: visible ASCII only (a line break would
/// split the header).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/dashboard")
                && !n.starts_with("//")
                && !n.contains("://")
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n
        }
        _ => "/dashboard",
    }
}

async fn login_form(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<Next>,
    session: Option<Session>,
) -> Response {
    if session.is_some() {
        return Redirect::to(safe_next(q.next.as_deref())).into_response();
    }
    let lang = language(&headers);
    let t = lang.texts();
    let failed = q.failed.is_some();
    bare_page(
        lang,
        t.sign_in,
        html! {
            p class="intro" { (t.sign_in_intro) }
            @if failed {
                (layout::said_on_load(None, html! { p class="errors" role="alert" id="sign-in-failed" { (t.sign_in_failed) } }))
            }
            form method="post" action="/dashboard/login" {
                input type="hidden" name="next" value=(safe_next(q.next.as_deref()));
                // After a refusal the shop's id is kept, and both fields said
                // wrong (which one, a sign-in does not tell).
                p { label { (t.shop_id) input name="shop" value=[q.shop.as_deref()] required autocomplete="username" autocapitalize="none" spellcheck="false"
                    aria-invalid=[failed.then_some("true")] aria-describedby=[failed.then_some("sign-in-failed")]; } }
                p { label { (t.owner_token) input name="token" type="password" required autocomplete="current-password"
                    aria-invalid=[failed.then_some("true")] aria-describedby=[failed.then_some("sign-in-failed")]; } }
                p { button type="submit" { (t.sign_in) } }
            }
            p class="intro" { (t.demo_hint) }
            nav aria-label=(t.language) class="langs" {
                @for l in Lang::ALL {
                    @if l == lang {
                        span aria-current="true" lang=(l.code()) { (l.name()) } " "
                    } @else {
                        a href={"/dashboard/language/" (l.code())} lang=(l.code()) hreflang=(l.code()) { (l.name()) } " "
                    }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    shop: String,
    token: String,
    next: Option<String>,
}

async fn login(State(db): State<Db>, headers: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    // A login form posted from another site would sign the victim into the
    // attacker's shop: only the dashboard's own form may sign in.
    if !same_origin(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match sign_in(&db, &f.shop, &f.token, &headers).await {
        Some((cookie, _)) => ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response(),
        None => Redirect::to(&format!(
            "/dashboard/login?failed=1&shop={}&next={}",
            layout::enc(f.shop.trim()),
            layout::enc(&next)
        ))
        .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A form's page shown again with what was wrong in it: 422, so a script or a
/// test sees the refusal that the owner reads on the page.
pub fn refused(mut page: Response) -> Response {
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    page
}

/// Whether a form that changes something may: from the dashboard's own page, with
/// the session's token.
pub fn form_allowed(session: &Session, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && session.csrf_matches(csrf)
}

/// [`form_allowed`] for a form read as a list of fields.
pub fn fields_allowed(session: &Session, headers: &HeaderMap, fields: &[(String, String)]) -> bool {
    form_allowed(session, headers, form::field(fields, "csrf").unwrap_or(""))
}

/// A form [`form_allowed`] refused: sent from a page opened before the owner
/// last signed in (another tab), or from another site. Said in the owner's
/// language with the way on (403), not as a blank page.
pub fn expired(session: &Session) -> Response {
    let t = session.lang.texts();
    let content = maud::html! {
        (layout::said_on_load(None, maud::html! { p role="alert" { (t.form_expired) } }))
        p { a href="/dashboard" { (t.overview) } }
    };
    let mut page = layout::outside_sections(session, t.form_expired_title, content);
    *page.status_mut() = StatusCode::FORBIDDEN;
    page
}

/// The page a form that only posts was on: where a browser asking for the
/// form's address (a reload, the language switch) is sent.
fn back_to(page: &'static str) -> axum::routing::MethodRouter<Db> {
    get(move || async move { Redirect::to(page) })
}

async fn logout(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !form_allowed(&session, &headers, &f.csrf) {
        return expired(&session);
    }
    let cookie = sign_out(&db, &session, &headers).await;
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/dashboard/login"),
    )
        .into_response()
}

async fn set_language(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Back to where the reader was, if that was a dashboard page.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .map(|p| safe_next(Some(p)).to_string())
        .unwrap_or_else(|| "/dashboard".into());
    (
        [(
            header::SET_COOKIE,
            set_cookie(LANG_COOKIE, lang.code(), 365 * 24 * 3600, &headers),
        )],
        Redirect::to(&back),
    )
        .into_response()
}
