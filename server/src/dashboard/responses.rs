//! Every individual answer with its text: filtered by survey, score, channel,
//! store and date, and searched by words.

use crate::http::streaming;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use kept_shared::{AnswerItem, AnswerValue, Channel, Survey};
use maud::{Markup, html};
use serde::Deserialize;

use super::format;
use super::i18n::Lang;
use super::layout::{Section, enc, pagination, shell};
use super::session::Session;
use crate::db::{AnswerQuery, Db};
use crate::http::Failure;
use crate::owner;

/// Answers on one page.
const PAGE: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    survey: Option<String>,
    min_score: Option<String>,
    max_score: Option<String>,
    channel: Option<String>,
    store: Option<String>,
    #[serde(default, deserialize_with = "super::form::optional")]
    from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "super::form::optional")]
    to: Option<NaiveDate>,
    q: Option<String>,
    #[serde(default, deserialize_with = "super::form::optional")]
    offset: Option<u64>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Filters {
    /// The query, with what makes no sense left out (a form is forgiving).
    fn query(&self, offset: u64, limit: u64) -> AnswerQuery {
        let score = |s: &Option<String>| {
            non_empty(s)
                .and_then(|s| s.parse::<u8>().ok())
                .filter(|s| *s <= 10)
        };
        let valid_ref = |s: &Option<String>| {
            non_empty(s).filter(|s| kept_shared::validate::validate_ref("x", s).is_ok())
        };
        let in_years = |d: Option<NaiveDate>| d.filter(|d| crate::calendar::in_supported_years(*d));
        let (from, to) = super::form::in_order(in_years(self.from), in_years(self.to));
        AnswerQuery {
            survey: valid_ref(&self.survey),
            min_score: score(&self.min_score),
            max_score: score(&self.max_score),
            channel: non_empty(&self.channel).and_then(|c| Channel::parse(&c)),
            store: valid_ref(&self.store),
            from,
            to,
            text: non_empty(&self.q).map(|q| {
                q.chars()
                    .take(kept_shared::limits::MAX_TEXT_CHARS)
                    .collect()
            }),
            newest_first: true,
            offset,
            limit,
            ..Default::default()
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("survey", &self.survey),
            ("min_score", &self.min_score),
            ("max_score", &self.max_score),
            ("channel", &self.channel),
            ("store", &self.store),
            ("q", &self.q),
        ] {
            if let Some(v) = non_empty(v) {
                out.push((k.to_string(), v));
            }
        }
        for (k, v) in [("from", self.from), ("to", self.to)] {
            if let Some(v) = v {
                out.push((k.to_string(), v.to_string()));
            }
        }
        out
    }
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

/// A table of answers (responses, a customer's page).
pub fn answers_table(
    session: &Session,
    items: &[AnswerItem],
    surveys: &[Survey],
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
                            td { (if a.channel == Channel::Kiosk { t.kiosk } else { t.web }) @if let Some(s) = &a.store { " · " (s) } }
                            @if with_customer {
                                td { @if let Some(c) = &a.customer_ref { a href={"/dashboard/customers/" (enc(c))} { (c) } } @else { "—" } }
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
    Query(f): Query<Filters>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let offset = f.offset.unwrap_or(0);
    let (found, surveys) = tokio::try_join!(
        async {
            Ok::<_, Failure>(
                owner::inbox::answer_page(db.as_ref(), &session.shop.id, f.query(offset, PAGE))
                    .await?,
            )
        },
        async {
            Ok::<_, Failure>(owner::settings::surveys_asked(db.as_ref(), &session.shop).await?)
        },
    )?;
    let pairs = f.pairs();
    let export = format!(
        "/dashboard/responses.csv?{}",
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    );
    let selected = |v: &Option<String>, x: &str| non_empty(v).as_deref() == Some(x);
    let content = html! {
        form class="filters" method="get" action="/dashboard/responses" role="search" {
            label { (t.search) input type="search" name="q" value=(f.q.clone().unwrap_or_default()); }
            label { (t.survey)
                select name="survey" {
                    option value="" { (t.any) }
                    @for s in &surveys { option value=(s.id) selected[selected(&f.survey, &s.id)] { (format::survey_name(lang, &s.id, &surveys)) } }
                }
            }
            label { (t.min_score) input type="number" name="min_score" min="0" max="10" value=(f.min_score.clone().unwrap_or_default()); }
            label { (t.max_score) input type="number" name="max_score" min="0" max="10" value=(f.max_score.clone().unwrap_or_default()); }
            label { (t.channel)
                select name="channel" {
                    option value="" { (t.any) }
                    option value="web" selected[selected(&f.channel, "web")] { (t.web) }
                    option value="kiosk" selected[selected(&f.channel, "kiosk")] { (t.kiosk) }
                }
            }
            label { (t.store) input name="store" value=(f.store.clone().unwrap_or_default()); }
            label { (t.from) input type="date" name="from" value=(f.from.map(|d| d.to_string()).unwrap_or_default()); }
            label { (t.to) input type="date" name="to" value=(f.to.map(|d| d.to_string()).unwrap_or_default()); }
            button type="submit" { (t.show) }
        }
        p { a class="button secondary" href=(export) download { (t.download_csv) } }
        @if found.items.is_empty() {
            p role="status" { (t.nothing_found) }
        } @else {
            p role="status" { (lang.count(found.total, &t.answers)) }
            (answers_table(&session, &found.items, &surveys, true))
            (pagination(t, "/dashboard/responses", &pairs, offset, PAGE, found.total))
        }
    };
    Ok(shell(&session, Section::Responses, t.responses, content))
}

pub async fn export(
    State(db): State<Db>,
    session: Session,
    Query(f): Query<Filters>,
) -> Result<Response, Failure> {
    let stream = owner::exports::answers_csv(db, session.shop.id.clone(), f.query(0, 0))
        .await?
        .map_err(std::io::Error::other);
    Ok((
        owner::exports::csv_download(&format!("{}-answers.csv", session.shop.id)),
        streaming::body(stream),
    )
        .into_response())
}
