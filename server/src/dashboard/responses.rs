//! Every individual answer with its text: filtered by survey, score, channel,
//! store and date, and searched by words.

use crate::http::streaming;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use kept_shared::{AnswerItem, AnswerValue, Channel, Survey};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{Filters, NotUsed};
use super::format;
use super::i18n::{Lang, Texts};
use super::layout::{Section, enc, page_from, pagination, shell, store_select, unverified_mark};
use super::session::Session;
use crate::db::{AnswerQuery, Db};
use crate::http::Failure;
use crate::owner;

/// Answers on one page.
const PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct AnswerFilters {
    survey: Option<String>,
    min_score: Option<String>,
    max_score: Option<String>,
    channel: Option<String>,
    store: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    offset: Option<String>,
}

impl AnswerFilters {
    /// The query, with what cannot be read left out and noted (a form is
    /// forgiving, and says what it did not use); ends given the wrong way
    /// round (scores, dates) are put in order.
    fn query(&self, offset: u64, limit: u64, not_used: &mut NotUsed) -> AnswerQuery {
        let mut score = |field, s: &Option<String>| {
            not_used.read(field, s.as_deref(), |s| {
                s.parse::<u8>().ok().filter(|s| *s <= 10)
            })
        };
        let (min_score, max_score) = super::form::in_order(
            score("min_score", &self.min_score),
            score("max_score", &self.max_score),
        );
        let survey = super::form::reference(not_used, "survey", self.survey.as_deref());
        let store = super::form::reference(not_used, "store", self.store.as_deref());
        let channel = not_used.read("channel", self.channel.as_deref(), Channel::parse);
        let mut day = |field, d: &Option<String>| {
            not_used.read(field, d.as_deref(), |d| {
                d.parse::<NaiveDate>()
                    .ok()
                    .filter(|d| crate::calendar::in_supported_years(*d))
            })
        };
        let (from, to) = super::form::in_order(day("from", &self.from), day("to", &self.to));
        let text = super::form::search(
            not_used,
            self.q.as_deref(),
            kept_shared::limits::MAX_TEXT_CHARS,
        );
        AnswerQuery {
            survey,
            min_score,
            max_score,
            channel,
            store,
            from,
            to,
            text,
            newest_first: true,
            offset,
            limit,
            ..Default::default()
        }
    }
}

/// The filters `q` used, as an address gives them (its export and its pages
/// link with these: what the page did not use is said once, not carried on).
fn pairs(q: &AnswerQuery) -> Vec<(String, String)> {
    [
        ("survey", q.survey.clone()),
        ("min_score", q.min_score.map(|s| s.to_string())),
        ("max_score", q.max_score.map(|s| s.to_string())),
        ("channel", q.channel.map(|c| c.as_str().to_string())),
        ("store", q.store.clone()),
        ("from", q.from.map(|d| d.to_string())),
        ("to", q.to.map(|d| d.to_string())),
        ("q", q.text.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect()
}

/// An answer's value in words: the score, the reasons picked, the text.
pub fn value(lang: Lang, v: &AnswerValue, surveys: &[Survey]) -> Markup {
    let t = lang.texts();
    html! {
        @match v {
            AnswerValue::Nps { score, reason } => {
                span class={"pill " (if *score <= 6 { "bad" } else if *score >= 9 { "good" } else { "" })} { (t.nps) " " (score) }
                @if let Some(r) = reason { " " span class="answer-text" { (r) } }
            }
            AnswerValue::Csat { score } => {
                span class={"pill " (if *score <= 2 { "bad" } else if *score >= 4 { "good" } else { "" })} { "CSAT " (score) "/5" }
            }
            AnswerValue::ChurnReason { reasons, other } => {
                @for r in reasons { span class="pill bad" { (format::reason(lang, r, surveys)) } " " }
                @if let Some(o) = other { span class="answer-text" { (o) } }
            }
        }
    }
}

/// Where an answer was given, in the owner's words (a personal link's had
/// been called the website's).
fn channel_name(t: &Texts, channel: Channel) -> &'static str {
    match channel {
        Channel::Web => t.web,
        Channel::Kiosk => t.kiosk,
        Channel::Link => t.by_link,
    }
}

/// A table of answers (responses, a customer's page).
pub fn answers_table(
    session: &Session,
    items: &[AnswerItem],
    surveys: &[Survey],
    stores: &[kept_shared::Store],
    with_customer: bool,
) -> Markup {
    let lang = session.lang;
    let t = lang.texts();
    html! {
        div class="table-wrap" {
            table {
                thead { tr {
                    th scope="col" { (t.when) }
                    th scope="col" { (t.survey) }
                    th scope="col" { (t.answer) }
                    th scope="col" { (t.channel) }
                    @if with_customer { th scope="col" { (t.customer) } }
                } }
                tbody {
                    @for a in items {
                        tr {
                            td { (format::date_time(lang, a.answered_at, session.shop.time_zone)) }
                            td { (format::survey_name(lang, &a.survey, surveys)) }
                            td { (value(lang, &a.value, surveys)) }
                            td {
                                (channel_name(t, a.channel)) @if let Some(s) = &a.store { " · " (format::store_name(stores, s)) }
                                @if !with_customer { (unverified_mark(t, a)) }
                            }
                            @if with_customer {
                                td class="ref" { @if let Some(c) = &a.customer_ref { a href={"/dashboard/customers/" (enc(c))} { (c) } } @else { "—" } (unverified_mark(t, a)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn page(
    State(db): State<Db>,
    session: Session,
    Filters { given: f, repeated }: Filters<AnswerFilters>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let mut not_used = NotUsed::repeated(&repeated);
    let offset = super::form::offset(&mut not_used, f.offset.as_deref());
    // The form shows what the page shows: the filters used.
    let used = f.query(offset, PAGE, &mut not_used);
    let ((found, offset), surveys, stores) = tokio::try_join!(
        async {
            let read = |offset| {
                let query = AnswerQuery {
                    offset,
                    ..used.clone()
                };
                owner::inbox::answer_page(db.as_ref(), &session.shop.id, query)
            };
            Ok::<_, Failure>(page_from(offset, PAGE, read).await?)
        },
        async {
            Ok::<_, Failure>(owner::settings::surveys_asked(db.as_ref(), &session.shop).await?)
        },
        async { Ok::<_, Failure>(db.stores(&session.shop.id).await?) },
    )?;
    let pairs = pairs(&used);
    let export = format!(
        "/dashboard/responses.csv?{}",
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    );
    let shown = |v: Option<String>| v.unwrap_or_default();
    let content = html! {
        (not_used.notice(lang))
        form class="filters" method="get" action="/dashboard/responses" role="search" {
            label { (t.search) input type="search" name="q" value=(shown(used.text.clone())); }
            label { (t.survey)
                select name="survey" {
                    option value="" { (t.any) }
                    @for s in &surveys { option value=(s.id) selected[used.survey.as_deref() == Some(s.id.as_str())] { (format::survey_name(lang, &s.id, &surveys)) } }
                }
            }
            label { (t.min_score) input type="number" name="min_score" min="0" max="10" value=(shown(used.min_score.map(|s| s.to_string()))); }
            label { (t.max_score) input type="number" name="max_score" min="0" max="10" value=(shown(used.max_score.map(|s| s.to_string()))); }
            label { (t.channel)
                select name="channel" {
                    option value="" { (t.any) }
                    @for c in Channel::ALL {
                        option value=(c.as_str()) selected[used.channel == Some(c)] { (channel_name(t, c)) }
                    }
                }
            }
            (store_select(t, used.store.as_deref(), &stores))
            label { (t.from) input type="date" name="from" value=(shown(used.from.map(|d| d.to_string()))); }
            label { (t.to) input type="date" name="to" value=(shown(used.to.map(|d| d.to_string()))); }
            button type="submit" { (t.show) }
        }
        p { a class="button secondary" href=(export) download { (t.download_csv) } }
        @if found.items.is_empty() {
            p role="status" { (t.nothing_found) }
        } @else {
            p role="status" { (lang.count(found.total, &t.answers)) }
            (answers_table(&session, &found.items, &surveys, &stores, true))
            (pagination(t, "/dashboard/responses", &pairs, offset, PAGE, found.total))
        }
    };
    Ok(shell(&session, Section::Responses, t.responses, content))
}

pub async fn export(
    State(db): State<Db>,
    session: Session,
    Filters { given: f, .. }: Filters<AnswerFilters>,
) -> Result<Response, Failure> {
    let stream =
        owner::exports::answers_csv(db, &session.shop, f.query(0, 0, &mut NotUsed::default()))
            .await?
            .map_err(std::io::Error::other);
    Ok((
        owner::exports::csv_download(&format!("{}-answers.csv", session.shop.id)),
        streaming::body(stream),
    )
        .into_response())
}
