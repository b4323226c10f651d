//! The customer base: search, sort and page it; one customer's page; and the
//! customers to win back.

use crate::http::streaming;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use kept_shared::{FieldError, Page};
use maud::html;
use serde::Deserialize;

use super::form::{Filters, NotUsed, Unread};
use super::format;
use super::i18n::Texts;
use super::layout::{
    Section, aria_invalid, enc, errors, last_page_start, page_from, pagination, shell,
};
use super::refused;
use super::responses::answers_table;
use super::session::Session;
use crate::calendar::today;
use crate::db::{CustomerQuery, CustomerSort, Db};
use crate::http::Failure;
use crate::owner;
use crate::owner::settings::ChangeError;
use kept_shared::limits::MAX_LAPSED_DAYS;

/// Customers on one page.
const PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListForm {
    q: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    offset: Option<String>,
}

const SORTS: [(&str, CustomerSort); 6] = [
    ("customer_ref", CustomerSort::Reference),
    ("last_purchase", CustomerSort::LastPurchase),
    ("first_purchase", CustomerSort::FirstPurchase),
    ("purchases", CustomerSort::Purchases),
    ("total", CustomerSort::Total),
    ("points", CustomerSort::Points),
];

/// The sort a list's address names (`sort=total`), if the list has it.
fn sort_named(name: &str) -> Option<(&'static str, CustomerSort)> {
    SORTS.iter().find(|(known, _)| *known == name).copied()
}

impl ListForm {
    /// The query, with what cannot be read left out and noted: a search; a
    /// sort the list does not have (the last purchase instead, as its heading
    /// shows); an order other than `asc` or `desc` (the sort's own: newest or
    /// largest first, references from A).
    fn query(&self, offset: u64, limit: u64, not_used: &mut NotUsed) -> CustomerQuery {
        let search = super::form::search(
            not_used,
            self.q.as_deref(),
            kept_shared::limits::MAX_REF_CHARS,
        );
        let (_, sort) = not_used
            .read("sort", self.sort.as_deref(), sort_named)
            .unwrap_or(SORTS[1]);
        let descending = not_used
            .read("order", self.order.as_deref(), |o| match o {
                "asc" => Some(false),
                "desc" => Some(true),
                _ => None,
            })
            .unwrap_or(sort != CustomerSort::Reference);
        CustomerQuery {
            search,
            sort,
            descending,
            offset,
            limit,
        }
    }
}

pub async fn list(
    State(db): State<Db>,
    session: Session,
    Filters { given: f, repeated }: Filters<ListForm>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let mut not_used = NotUsed::repeated(&repeated);
    let offset = super::form::offset(&mut not_used, f.offset.as_deref());
    let query = f.query(offset, PAGE, &mut not_used);
    // The search box, its links and the export say the search and the sort used.
    let q = query.search.clone().unwrap_or_default();
    let desc = query.descending;
    let sort = SORTS
        .iter()
        .find(|(_, s)| *s == query.sort)
        .map_or(SORTS[1].0, |(name, _)| name);
    let (found, offset) = page_from(offset, PAGE, |offset| {
        let query = CustomerQuery {
            offset,
            ..query.clone()
        };
        owner::customers::customer_list(db.as_ref(), &session.shop, query)
    })
    .await?;
    let tiers = db.tiers(&session.shop.id).await?;
    let mut pairs = vec![
        ("sort".to_string(), sort.to_string()),
        ("order".into(), if desc { "desc" } else { "asc" }.into()),
    ];
    if !q.is_empty() {
        pairs.push(("q".into(), q.clone()));
    }
    // A column heading sorts by its column; again, the other way round.
    let heading = |name: &str, label: &str, numeric: bool| {
        let current = name == sort;
        let next = if current && desc { "asc" } else { "desc" };
        let aria = if current {
            if desc { "descending" } else { "ascending" }
        } else {
            "none"
        };
        html! {
            th scope="col" class=[numeric.then_some("num")] aria-sort=(aria) {
                a href={"/dashboard/customers?sort=" (name) "&order=" (next) "&q=" (enc(&q))} { (label) @if current { (if desc { " ▼" } else { " ▲" }) } }
            }
        }
    };
    let export = format!(
        "/dashboard/customers.csv?sort={sort}&order={}&q={}",
        if desc { "desc" } else { "asc" },
        enc(&q)
    );
    let content = html! {
        (not_used.notice(lang))
        form class="filters" method="get" action="/dashboard/customers" role="search" {
            label { (t.search) input type="search" name="q" value=(q); }
            input type="hidden" name="sort" value=(sort);
            button type="submit" { (t.show) }
        }
        p { a class="button secondary" href=(export) download { (t.download_csv) } }
        @if found.items.is_empty() {
            p role="status" { (t.nothing_found) }
        } @else {
            p role="status" { (lang.count(found.total, &t.customers_count)) }
            div class="table-wrap" {
                table {
                    thead { tr {
                        (heading("customer_ref", t.customer, false))
                        (heading("first_purchase", t.first_purchase, false))
                        (heading("last_purchase", t.last_purchase, false))
                        (heading("purchases", t.purchases, true))
                        (heading("total", t.total, true))
                        th scope="col" class="num" { (t.average_check) }
                        (heading("points", t.points, true))
                        th scope="col" { (t.tier) }
                        th scope="col" { (t.status) }
                    } }
                    tbody {
                        @for c in &found.items {
                            tr {
                                td class="ref" { a href={"/dashboard/customers/" (enc(&c.customer_ref))} { (c.customer_ref) } }
                                td { (c.first_purchase.map(|d| format::date(lang, d)).unwrap_or_else(|| "—".into())) }
                                td { (c.last_purchase.map(|d| format::date(lang, d)).unwrap_or_else(|| "—".into())) }
                                td class="num" { (format::whole(c.purchases)) }
                                td class="num" { (format::money(lang, c.total_cents)) }
                                td class="num" { (c.average_check_cents.map(|m| format::money(lang, m)).unwrap_or_else(|| "—".into())) }
                                td class="num" { (format::whole(c.points)) }
                                td { (format::tier(lang, &tiers, &c.tier)) }
                                td { @if c.active { span class="pill good" { (t.active) } } @else if c.purchases > 0 { span class="pill bad" { (t.lapsed) } } }
                            }
                        }
                    }
                }
            }
            (pagination(t, "/dashboard/customers", &pairs, offset, PAGE, found.total))
        }
    };
    Ok(shell(&session, Section::Customers, t.customers, content))
}

pub async fn export(
    State(db): State<Db>,
    session: Session,
    Filters { given: f, .. }: Filters<ListForm>,
) -> Result<Response, Failure> {
    let headers = owner::exports::csv_download(&format!("{}-customers.csv", session.shop.id));
    let query = f.query(0, 0, &mut NotUsed::default());
    let stream = owner::exports::customers_csv(db, session.shop, query)
        .await?
        .map_err(std::io::Error::other);
    Ok((headers, streaming::body(stream)).into_response())
}

/// Which of a customer's purchases their page shows.
#[derive(Debug, Default, Deserialize)]
pub struct DetailForm {
    offset: Option<String>,
}

pub async fn detail(
    State(db): State<Db>,
    session: Session,
    Path(customer_ref): Path<String>,
    Filters { given: f, repeated }: Filters<DetailForm>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let valid = kept_shared::validate::validate_ref("customer", &customer_ref).is_ok();
    let mut not_used = NotUsed::repeated(&repeated);
    let offset = super::form::offset(&mut not_used, f.offset.as_deref());
    let found = if valid {
        owner::customers::customer_detail(db.as_ref(), &session.shop, &customer_ref, offset, PAGE)
            .await?
    } else {
        None
    };
    let Some(c) = found else {
        let mut resp = shell(
            &session,
            Section::Customers,
            t.customer,
            html! { p role="alert" { (t.no_customer) } },
        );
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return Ok(resp);
    };
    let tiers = db.tiers(&session.shop.id).await?;
    let surveys = owner::settings::surveys_asked(db.as_ref(), &session.shop).await?;
    let stores = db.stores(&session.shop.id).await?;
    let s = &c.summary;
    let content = html! {
        dl class="facts" {
            dt { (t.first_purchase) } dd { (s.first_purchase.map(|d| format::date(lang, d)).unwrap_or_else(|| "—".into())) }
            dt { (t.last_purchase) } dd { (s.last_purchase.map(|d| format::date(lang, d)).unwrap_or_else(|| "—".into())) }
            dt { (t.purchases) } dd { (format::whole(s.purchases)) }
            dt { (t.total) } dd { (format::money(lang, s.total_cents)) }
            dt { (t.average_check) } dd { (s.average_check_cents.map(|m| format::money(lang, m)).unwrap_or_else(|| "—".into())) }
            dt { (t.points) } dd { (format::whole(s.points)) }
            dt { (t.tier) } dd { (format::tier(lang, &tiers, &s.tier)) }
            // Lapsed is for a customer who bought; a respondent who never did is neither.
            dt { (t.status) } dd { (if s.active { t.active } else if s.purchases > 0 { t.lapsed } else { "—" }) }
            @if let Some(r) = &c.rfm {
                dt { (t.segment) } dd { (format::segment(lang, r.segment)) }
                dt { (t.rfm) } dd { (r.r) " " (r.f) " " (r.m) }
            }
        }
        h2 id="purchases" { (t.purchases) }
        (not_used.notice(lang))
        @if c.purchases.is_empty() { p { (t.nothing_found) } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { (t.when) } th scope="col" { (t.purchase) } th scope="col" class="num" { (t.amount) } th scope="col" class="num" { (t.points) } th scope="col" { (t.store) } } }
                tbody { @for p in &c.purchases { tr {
                    td { (format::date_time(lang, p.purchased_at, session.shop.time_zone)) }
                    td { (p.purchase_id) }
                    td class="num" { (format::money(lang, p.amount_cents)) }
                    td class="num" { (format::whole(p.points)) }
                    td { (p.store.as_deref().map_or("—", |s| format::store_name(&stores, s))) }
                } } }
            } }
        }
        // Also past the last page (an address typed by hand): the way back.
        @if s.purchases > PAGE || offset > 0 {
            (pagination(t, &format!("/dashboard/customers/{}", enc(&s.customer_ref)), &[], offset, PAGE, s.purchases))
        }
        h2 { (t.responses) }
        @if c.answers.is_empty() { p { (t.nothing_found) } } @else {
            (answers_table(&session, &c.answers, &surveys, &stores, false))
        }
        (super::privacy::section(&session, &s.customer_ref, false))
    };
    Ok(shell(
        &session,
        Section::Customers,
        &format!("{}: {}", t.customer, s.customer_ref),
        content,
    ))
}

/// The win-back page's address: which page of the list.
#[derive(Debug, Default, Deserialize)]
pub struct WinBackForm {
    offset: Option<String>,
}

pub async fn win_back(
    State(db): State<Db>,
    session: Session,
    Filters { given: f, repeated }: Filters<WinBackForm>,
) -> Result<Response, Failure> {
    let mut not_used = NotUsed::repeated(&repeated);
    let offset = super::form::offset(&mut not_used, f.offset.as_deref());
    render_win_back(&db, &session, &[], None, offset, not_used).await
}

/// The win-back links form's labels, by field (see `field_problems`).
fn links_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "survey" => t.link_survey,
        "lapsed_days" => t.lapsed_days,
        _ => return None,
    })
}

/// The win-back page, the list from `offset` (a page of 50: a shop of 50 000
/// customers had 7 755 rows on one page, 2 MB); `invalid` says what the links
/// form (`asked`) got wrong.
async fn render_win_back(
    db: &Db,
    session: &Session,
    invalid: &[FieldError],
    asked: Option<&LinksQuery>,
    offset: u64,
    not_used: NotUsed,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let at = today(session.shop.time_zone);
    let all = owner::rfm::win_back(db.as_ref(), &session.shop, at).await?;
    let last = last_page_start(all.len() as u64, PAGE);
    let list = Page::of(all, offset.min(last), PAGE);
    let tiers = db.tiers(&session.shop.id).await?;
    let surveys = owner::settings::surveys_asked(db.as_ref(), &session.shop).await?;
    let content = html! {
        p class="intro" { (t.win_back_intro) }
        (errors(lang, invalid, |f| format!("links-{f}"), links_label))
        p { a class="button secondary" href="/dashboard/win-back.csv" download { (t.download_csv) } }
        (not_used.notice(lang))
        @if list.total == 0 { p role="status" { (t.nothing_found) } } @else {
            p role="status" { (lang.count(list.total, &t.customers_count)) }
            div class="table-wrap" { table {
                thead { tr {
                    th scope="col" { (t.customer) } th scope="col" { (t.segment) } th scope="col" { (t.last_purchase) }
                    th scope="col" class="num" { (t.days_since) } th scope="col" class="num" { (t.purchases) }
                    th scope="col" class="num" { (t.total) } th scope="col" { (t.tier) } th scope="col" class="num" { (t.points) }
                    th scope="col" { (t.last_answers) }
                } }
                tbody { @for w in &list.items { tr {
                    td class="ref" { a href={"/dashboard/customers/" (enc(&w.customer_ref))} { (w.customer_ref) } }
                    td { (format::segment(lang, w.segment)) }
                    td { (format::date(lang, w.last_purchase)) }
                    td class="num" { (format::whole(u64::from(w.rfm.recency_days))) }
                    td class="num" { (format::whole(w.rfm.frequency)) }
                    td class="num" { (format::money(lang, w.total_cents)) }
                    td { (format::tier(lang, &tiers, &w.tier)) }
                    td class="num" { (format::whole(w.points)) }
                    td {
                        @if let Some(n) = w.last_nps { span class={"pill " (if n <= 6 { "bad" } else { "" })} { "NPS " (n) } " " }
                        @if let Some(c) = w.last_csat { span class="pill" { "CSAT " (c) } " " }
                        @for r in &w.last_churn_reasons { span class="pill bad" { (format::reason(lang, r, &surveys)) } " " }
                    }
                } } }
            } }
            (pagination(t, "/dashboard/win-back", &[], list.offset, PAGE, list.total))
        }
        h2 { (t.links_title) }
        form method="get" action="/dashboard/win-back/links.csv" class="card" data-testid="links-form" {
            p class="intro" { (t.links_hint) }
            label { (t.link_survey)
                select id="links-survey" name="survey" { @for s in &surveys {
                    option value=(s.id) selected[asked.map_or(s.kind.name() == "churn_reason", |a| a.survey == s.id)] {
                        (s.texts_for(lang.code()).map_or(s.id.as_str(), |x| x.question.as_str()))
                    }
                } }
            }
            label { (t.lapsed_days) input id="links-lapsed_days" name="lapsed_days" type="number" min="1" max=(MAX_LAPSED_DAYS) value=(asked.map_or(session.shop.churn_window_days.to_string(), |a| a.lapsed_days.clone())) required aria-invalid=[aria_invalid(invalid, "lapsed_days")]; }
            div class="actions" { button type="submit" { (t.download_links) } }
        }
    };
    Ok(shell(session, Section::WinBack, t.win_back, content))
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct LinksQuery {
    #[serde(default)]
    survey: String,
    /// As typed: shown again if it does not read.
    #[serde(default)]
    lapsed_days: String,
}

/// Personal links for the customers who stopped buying, as CSV (`owner/links.rs`).
pub async fn win_back_links(
    State(db): State<Db>,
    session: Session,
    axum::Extension(public_url): axum::Extension<std::sync::Arc<crate::links::PublicUrl>>,
    headers: axum::http::HeaderMap,
    query: Result<axum::extract::Query<LinksQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    let axum::extract::Query(q) = query?;
    let mut unread = Unread::default();
    let lapsed_days = unread.number("lapsed_days", &q.lapsed_days, 0);
    if !unread.errors.is_empty() {
        return Ok(refused(
            render_win_back(
                &db,
                &session,
                &unread.errors,
                Some(&q),
                0,
                NotUsed::default(),
            )
            .await?,
        ));
    }
    let req = kept_shared::BulkLinksRequest {
        survey: q.survey.clone(),
        customers: Vec::new(),
        lapsed_days: Some(lapsed_days),
        expires_in_days: None,
    };
    let base = public_url.base(&headers)?;
    let rows = match owner::links::bulk(db.as_ref(), &session.shop, &req, &base).await {
        Ok(rows) => rows,
        // Said on the page, beside the form, rather than as the API's JSON.
        Err(ChangeError::Invalid(invalid)) => {
            return Ok(refused(
                render_win_back(&db, &session, &invalid, Some(&q), 0, NotUsed::default()).await?,
            ));
        }
        Err(ChangeError::Store(e)) => return Err(e.into()),
    };
    Ok((
        owner::exports::csv_download(&owner::exports::links_file_name(
            &session.shop.id,
            &req.survey,
            today(session.shop.time_zone),
        )),
        owner::exports::links_csv(&rows, session.shop.time_zone),
    )
        .into_response())
}

pub async fn win_back_csv(State(db): State<Db>, session: Session) -> Result<Response, Failure> {
    let at = today(session.shop.time_zone);
    let list = owner::rfm::win_back(db.as_ref(), &session.shop, at).await?;
    Ok((
        owner::exports::csv_download(&format!("{}-win-back-{at}.csv", session.shop.id)),
        owner::exports::win_back_csv(&list),
    )
        .into_response())
}
