//! The page around every dashboard view: landmarks, the sections, the language
//! switcher, signing out; and the pieces forms share (errors, pagination).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use kept_shared::{FieldError, Page};
use maud::{DOCTYPE, Markup, html};

use super::field_problems;
use super::format::whole;
use super::i18n::{Lang, Texts, fill};
use super::session::Session;
use crate::db::DbResult;

/// The dashboard's stylesheet and its one script (progressive: every page works
/// without it).
pub const CSS: &str = include_str!("../../assets/dashboard.css");
pub const JS: &str = include_str!("../../assets/dashboard.js");

/// The sections, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Responses,
    Customers,
    WinBack,
    Inbox,
    Surveys,
    Settings,
    Webhooks,
    Kiosks,
    Import,
}

impl Section {
    const ALL: [Section; 10] = [
        Section::Overview,
        Section::Responses,
        Section::Customers,
        Section::WinBack,
        Section::Inbox,
        Section::Surveys,
        Section::Settings,
        Section::Webhooks,
        Section::Kiosks,
        Section::Import,
    ];

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "/dashboard",
            Section::Responses => "/dashboard/responses",
            Section::Customers => "/dashboard/customers",
            Section::WinBack => "/dashboard/win-back",
            Section::Inbox => "/dashboard/inbox",
            Section::Surveys => "/dashboard/surveys",
            Section::Settings => "/dashboard/settings",
            Section::Webhooks => "/dashboard/webhooks",
            Section::Kiosks => "/dashboard/kiosks",
            Section::Import => "/dashboard/import",
        }
    }

    fn name(self, t: &Texts) -> &'static str {
        match self {
            Section::Overview => t.overview,
            Section::Responses => t.responses,
            Section::Customers => t.customers,
            Section::WinBack => t.win_back,
            Section::Inbox => t.inbox,
            Section::Surveys => t.surveys,
            Section::Settings => t.settings,
            Section::Webhooks => t.webhooks,
            Section::Kiosks => t.kiosks,
            Section::Import => t.import,
        }
    }
}

/// The document around a page's content.
fn document(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Kept" }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/dashboard/assets/dashboard.css";
                script src="/dashboard/assets/dashboard.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A signed-in page: header, navigation, and `content` under its heading.
pub fn shell(session: &Session, section: Section, title: &str, content: Markup) -> Response {
    page(session, Some(section), title, content)
}

/// A signed-in page of no section (a page that does not exist).
pub fn outside_sections(session: &Session, title: &str, content: Markup) -> Response {
    page(session, None, title, content)
}

fn page(session: &Session, section: Option<Section>, title: &str, content: Markup) -> Response {
    let t = session.lang.texts();
    let body = html! {
        a class="skip" href="#main" { (t.skip_to_content) }
        header class="top" {
            div class="brand" { span aria-hidden="true" { "✓ " } "Kept · " (session.shop.name) }
            nav aria-label=(t.language) class="langs" {
                @for l in Lang::ALL {
                    @if l == session.lang {
                        span aria-current="true" lang=(l.code()) { (l.name()) }
                    } @else {
                        a href={"/dashboard/language/" (l.code())} lang=(l.code()) hreflang=(l.code()) { (l.name()) }
                    }
                }
            }
            form method="post" action="/dashboard/logout" class="signout" {
                input type="hidden" name="csrf" value=(session.csrf);
                button type="submit" { (t.sign_out) }
            }
        }
        nav aria-label=(t.nav_label) class="sections" {
            ul {
                @for s in Section::ALL {
                    li {
                        @if Some(s) == section {
                            a href=(s.path()) aria-current="page" { (s.name(t)) }
                        } @else {
                            a href=(s.path()) { (s.name(t)) }
                        }
                    }
                }
            }
        }
        main id="main" tabindex="-1" {
            h1 { (title) }
            (content)
        }
    };
    html_response(document(session.lang, title, body))
}

/// A page without the navigation (signing in).
pub fn bare_page(lang: Lang, title: &str, content: Markup) -> Response {
    let body = html! {
        main id="main" class="bare" {
            h1 { (title) }
            (content)
        }
    };
    html_response(document(lang, title, body))
}

/// HTML with the headers every dashboard page carries: it may not be framed
/// elsewhere, runs only its own script, and is never cached (it shows a shop's data).
pub fn html_response(markup: Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// `aria-invalid` for the input of `field`: set when an error names the field
/// or something inside it (`tiers[0].name` is inside `tiers`).
pub fn aria_invalid(errors: &[FieldError], field: &str) -> Option<&'static str> {
    errors
        .iter()
        .any(|e| {
            e.field
                .strip_prefix(field)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .then_some("true")
}

/// What the page says of what the owner just did (saved, erased, refused),
/// `message` (its live role inside): where focus goes as the page loads
/// (dashboard.js), so that a screen reader reads it and the owner's eyes find
/// it, wherever on the page it is. Focused in a wrapper, as the errors below
/// are, for the same reason: a live role on the element focused is read twice
/// by some screen readers. `id`: the wrapper's, for an address to point at.
pub fn said_on_load(id: Option<&str>, message: Markup) -> Markup {
    html! { div class="said" tabindex="-1" id=[id] data-focus-on-load { (message) } }
}

/// A refused form's errors, each linking to its field, named by the form's
/// `label`s (see [`field_problems::field_name`]) and said in `lang`.
pub fn errors(
    lang: Lang,
    errors: &[FieldError],
    field_id: impl Fn(&str) -> String,
    label: impl Fn(&Texts, &str) -> Option<&'static str>,
) -> Markup {
    let t = lang.texts();
    html! {
        @if !errors.is_empty() {
            // Focused by dashboard.js, and an alert inside rather than
            // itself: both on one element are read out twice by some screen
            // readers, and neither on its own by all (GOV.UK's error summary,
            // alphagov/govuk-frontend#2677).
            div class="errors" tabindex="-1" id="errors" data-focus-on-load {
                div role="alert" {
                    h2 { (t.errors_title) }
                    ul {
                        @for e in errors {
                            li { a href={"#" (field_id(&e.field))} {
                                (field_problems::field_name(t, &e.field, &label)) ": "
                                (field_problems::describe(lang, &e.problem))
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// The first row of a list's last page of `page` rows: where an offset at or
/// past its end (typed by hand, or the list shorter since) shows instead of
/// an empty table under "217–217 of 217".
pub fn last_page_start(total: u64, page: u64) -> u64 {
    total.saturating_sub(1) / page * page
}

/// The page of a list that `read` gives from an offset, from `offset`; where
/// that is at or past the end of a list that has rows, its last page
/// (`page` rows a page). With the offset the page starts at.
pub async fn page_from<T, Read, Reading>(
    offset: u64,
    page: u64,
    read: Read,
) -> DbResult<(Page<T>, u64)>
where
    Read: Fn(u64) -> Reading,
    Reading: Future<Output = DbResult<Page<T>>>,
{
    let found = read(offset).await?;
    if found.items.is_empty() && offset > 0 && found.total > 0 {
        let last = last_page_start(found.total, page);
        return Ok((read(last).await?, last));
    }
    Ok((found, offset))
}

/// "1–50 of 312", Previous and Next, keeping the other query parameters.
pub fn pagination(
    t: &Texts,
    base: &str,
    query: &[(String, String)],
    offset: u64,
    limit: u64,
    total: u64,
) -> Markup {
    let link = |offset: u64| {
        let mut q: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "offset")
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        q.push(format!("offset={offset}"));
        format!("{base}?{}", q.join("&"))
    };
    let shown_to = offset.saturating_add(limit).min(total);
    let shown = fill(
        t.page_of,
        &[
            ("from", &whole(offset.saturating_add(1).min(total))),
            ("to", &whole(shown_to)),
            ("total", &whole(total)),
        ],
    );
    html! {
        nav class="pager" aria-label=(shown) {
            span { (shown) }
            // From past the end (an address typed by hand): back to the last page.
            @if offset > 0 { a href=(link(offset.saturating_sub(limit).min(last_page_start(total, limit)))) rel="prev" { (t.previous) } }
            @if offset.saturating_add(limit) < total { a href=(link(offset + limit)) rel="next" { (t.next) } }
        }
    }
}

/// Percent-encodes a query component.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The store filter of a form: the shop's stores by name; a store only its
/// answers name (or one typed in the address), by its id.
pub fn store_select(t: &Texts, store: Option<&str>, stores: &[kept_shared::Store]) -> Markup {
    html! {
        label { (t.store)
            select name="store" {
                option value="" selected[store.is_none()] { (t.all_stores) }
                @for s in stores { option value=(s.id) selected[store == Some(s.id.as_str())] { (s.name) } }
                @if let Some(other) = store.filter(|id| !stores.iter().any(|s| s.id == *id)) {
                    option value=(other) selected { (other) }
                }
            }
        }
    }
}

/// The mark of an answer that names a customer or an order and is not
/// verified (its page did not sign its order, and its customer where named):
/// anyone with the shop's public key could have sent it in their name, so the
/// owner is told before acting on it (nothing for an anonymous one).
pub fn unverified_mark(t: &Texts, a: &kept_shared::AnswerItem) -> Markup {
    html! {
        @if !a.verified && (a.customer_ref.is_some() || a.order_ref.is_some()) {
            // Its explanation in its text too: a title is read by no
            // keyboard and by few screen readers.
            " " span class="tag" title=(t.unverified_hint) data-testid="unverified" { (t.unverified) span class="sr-only" { ": " (t.unverified_hint) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_marked_invalid_by_its_own_errors_and_those_inside_it() {
        let errors = |fields: &[&str]| -> Vec<FieldError> {
            fields
                .iter()
                .map(|f| FieldError::new(*f, kept_shared::FieldProblem::Empty))
                .collect()
        };
        let e = errors(&["name", "tiers[0].name", "texts.en.question"]);
        for marked in ["name", "tiers", "tiers[0]", "texts", "texts.en.question"] {
            assert_eq!(aria_invalid(&e, marked), Some("true"), "{marked}");
        }
        for clean in ["names", "nam", "tiers[1]", "texts.en.follow_up", "url"] {
            assert_eq!(aria_invalid(&e, clean), None, "{clean}");
        }
    }
}
