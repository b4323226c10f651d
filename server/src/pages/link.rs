//! The personal links' page (`/s/{token}`, see `links.rs`): phone-sized, the
//! shop's name and the widget asking the link's survey, for the link's customer
//! and order, signed here as the shop's server would sign them; or, in the
//! respondent's language, why it cannot: the link is not valid, has expired,
//! was answered already, or its survey is closed. Also the link's QR code.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use super::PAGE_CSP;
use crate::db::Db;
use crate::links::{LinkError, PublicUrl, Standing, open_stored, resolve};
use crate::qr;

pub fn router() -> Router<Db> {
    Router::new()
        .route("/s/{token}", get(page))
        .route("/s/{token}/{file}", get(qr))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    locale: Option<String>,
}

/// The few sentences of this page, in the widget's languages.
struct Texts {
    lang: &'static str,
    invalid: &'static str,
    expired: &'static str,
    answered: &'static str,
    closed: &'static str,
    /// After the shop's name in the survey page's title (a tab, a screen
    /// reader's first words): the shop's name alone said nothing of why.
    asks: &'static str,
}

const EN: Texts = Texts {
    lang: "en",
    invalid: "This link is not valid. Please check that it was copied in full, or ask the shop for a new one.",
    expired: "This link has expired. Please ask the shop for a new one.",
    answered: "You have already answered this survey. Thank you!",
    closed: "This survey is closed. Thank you for your interest.",
    asks: "a question for you",
};
const RU: Texts = Texts {
    lang: "ru",
    invalid: "Ссылка недействительна. Проверьте, что она скопирована полностью, или попросите у магазина новую.",
    expired: "Срок действия ссылки истёк. Попросите у магазина новую.",
    answered: "Вы уже ответили на этот опрос. Спасибо!",
    closed: "Этот опрос закрыт. Спасибо за интерес.",
    asks: "вопрос для вас",
};
const UK: Texts = Texts {
    lang: "uk",
    invalid: "Посилання недійсне. Перевірте, що його скопійовано повністю, або попросіть у магазину нове.",
    expired: "Термін дії посилання минув. Попросіть у магазину нове.",
    answered: "Ви вже відповіли на це опитування. Дякуємо!",
    closed: "Це опитування закрито. Дякуємо за інтерес.",
    asks: "питання для вас",
};

/// The page's language: `?locale=`, else the browser's first choice, else English.
fn texts(query: &PageQuery, headers: &HeaderMap) -> &'static Texts {
    let wanted = query.locale.clone().or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .map(|s| s.to_string())
    });
    let wanted = wanted.unwrap_or_default().to_ascii_lowercase();
    match wanted.get(..2) {
        Some("ru") => &RU,
        Some("uk") => &UK,
        _ => &EN,
    }
}

fn layout(t: &Texts, title: &str, heading: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(t.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (heading) }
                    (body)
                }
            }
        }
    }
}

const STYLE: &str = "body{margin:0;font:17px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
color:#2b2118;background:#faf6f1}main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}\
h1{font:600 1.4rem/1.3 Georgia,'DejaVu Serif',serif;margin:0 0 1rem}\
.note{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}";

fn message(status: StatusCode, t: &Texts, title: &str, text: &str) -> Response {
    let page = layout(
        t,
        title,
        title,
        html! { p.note data-testid="link-message" { (text) } },
    );
    (status, [(header::CONTENT_SECURITY_POLICY, PAGE_CSP)], page).into_response()
}

async fn page(
    State(db): State<Db>,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let t = texts(&query, &headers);
    let resolved = match resolve(db.as_ref(), &token, None).await {
        Ok(Ok(resolved)) => resolved,
        Ok(Err(LinkError::Invalid)) => {
            return message(StatusCode::NOT_FOUND, t, "Kept", t.invalid);
        }
        Ok(Err(LinkError::Expired(_))) => {
            return message(StatusCode::GONE, t, "Kept", t.expired);
        }
        Err(e) => return crate::http::Failure::from(e).into_response(),
    };
    let name = &resolved.shop.name;
    match resolved.standing {
        Standing::Closed => return message(StatusCode::GONE, t, name, t.closed),
        Standing::Answered => return message(StatusCode::OK, t, name, t.answered),
        Standing::Open => {}
    }
    let (customer_sig, order_sig) = resolved.signatures();
    let (shop, link) = (&resolved.shop, &resolved.link);
    let widget = html! {
        script src="/widget/kept.js" defer
            data-key=(shop.public_key)
            data-mode="link"
            data-survey=(link.survey)
            data-customer=(link.customer)
            data-customer-sig=(customer_sig)
            data-order=(link.order)
            data-order-sig=(order_sig)
            // The page's language, whichever way it was chosen: the widget
            // would otherwise take the browser's own, which may differ from
            // the language the visitor prefers for pages.
            data-locale=(t.lang) {}
    };
    let page = layout(t, &format!("{name}: {}", t.asks), name, widget);
    (
        [
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            // A personal page: not for shared caches, not for search engines.
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        [(header::HeaderName::from_static("x-robots-tag"), "noindex")],
        page,
    )
        .into_response()
}

/// The link itself for a QR code: only a genuine, unexpired one.
async fn link_url(
    db: &Db,
    public_url: &PublicUrl,
    headers: &HeaderMap,
    token: &str,
) -> Result<String, Response> {
    match open_stored(db.as_ref(), token).await {
        Ok(Ok(_)) => public_url
            .link(headers, token)
            .map_err(|e| crate::http::Failure::from(e).into_response()),
        Ok(Err(LinkError::Invalid)) => {
            Err((StatusCode::NOT_FOUND, "not a valid link").into_response())
        }
        Ok(Err(LinkError::Expired(at))) => {
            Err((StatusCode::GONE, format!("the link expired at {at}")).into_response())
        }
        Err(e) => Err(crate::http::Failure::from(e).into_response()),
    }
}

/// `/s/{token}/qr.svg` or `/s/{token}/qr.png`: the link's QR code.
async fn qr(
    State(db): State<Db>,
    Extension(public_url): Extension<Arc<PublicUrl>>,
    Path((token, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let render: fn(&str) -> Vec<u8> = match file.as_str() {
        "qr.svg" => |url| qr::svg(url).into_bytes(),
        "qr.png" => qr::png,
        _ => return (StatusCode::NOT_FOUND, "qr.svg or qr.png").into_response(),
    };
    let kind = if file == "qr.svg" {
        "image/svg+xml"
    } else {
        "image/png"
    };
    match link_url(&db, &public_url, &headers, &token).await {
        Ok(url) => (
            [
                (header::CONTENT_TYPE, kind),
                // Personal, like the page it leads to.
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            render(&url),
        )
            .into_response(),
        Err(resp) => resp,
    }
}
