//! The overview: NPS and its trend, the 0–10 spread, CSAT over time, why customers
//! left, who came and who was lost, the segments; each figure against the period
//! before, and the range always stated.

use axum::extract::State;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use kept_shared::{CohortReport, Period, Report, RetentionReport};
use maud::{Markup, html};
use serde::Deserialize;

use super::charts::{ChartWords, Series, bar_chart, line_chart, ranked_bars};
use super::form::{Filters, NotUsed};
use super::format;
use super::i18n::{Lang, fill};
use super::layout::{Section, shell, store_select};
use super::session::Session;
use crate::calendar::today;
use crate::db::{Db, Shop};
use crate::http::Failure;
use crate::owner::{self, analytics_range};
use crate::report;

/// The overview's filters as the address gives them.
#[derive(Debug, Default, Deserialize)]
pub struct RangeForm {
    from: Option<String>,
    to: Option<String>,
    period: Option<String>,
    store: Option<String>,
}

/// What the overview shows: its range, period and store.
struct Range {
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    store: Option<String>,
}

impl RangeForm {
    /// The range asked for (its ends put in order), by week or month, of a
    /// store or all; what cannot be read, or a range the analytics refuse
    /// (past the longest report, outside the supported years), is left at
    /// its default (the last twelve months, by month, all stores) and noted.
    fn read(&self, shop: &Shop, not_used: &mut NotUsed) -> Range {
        let today = today(shop.time_zone);
        let from = not_used.read("from", self.from.as_deref(), |d| d.parse().ok());
        let to = not_used.read("to", self.to.as_deref(), |d| d.parse().ok());
        let (from, to) = super::form::in_order(from, to);
        let (from, to) = analytics_range(from, to, today).unwrap_or_else(|_| {
            // The dates that read, refused together (one that did not read
            // is noted already).
            for (field, read, typed) in [("from", from, &self.from), ("to", to, &self.to)] {
                if let (Some(_), Some(typed)) = (read, typed.as_deref()) {
                    not_used.add(field, typed.trim());
                }
            }
            analytics_range(None, None, today).expect("the default range is valid")
        });
        let period = not_used
            .read("period", self.period.as_deref(), |p| match p {
                "week" => Some(Period::Week),
                "month" => Some(Period::Month),
                _ => None,
            })
            .unwrap_or(Period::Month);
        let store = super::form::reference(not_used, "store", self.store.as_deref());
        Range {
            from,
            to,
            period,
            store,
        }
    }
}

/// The range just before `from..=to`, as long.
fn previous(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let days = (to - from).num_days() as u64 + 1;
    let end = from.pred_opt().unwrap_or(from);
    (
        end.checked_sub_days(Days::new(days - 1)).unwrap_or(end),
        end,
    )
}

struct Figures {
    report: Report,
    retention: RetentionReport,
}

async fn figures(
    db: &Db,
    shop: &Shop,
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    store: Option<String>,
) -> Result<Figures, Failure> {
    let (mut rollups, mut reasons, retention) = tokio::try_join!(
        db.rollups(&shop.id, from, to),
        db.reason_rollups(&shop.id, from, to),
        owner::retention::retention_report(db.as_ref(), shop, from, to, period, store.clone()),
    )?;
    // One store's page: its answers alone, as its customers are.
    if let Some(store) = &store {
        rollups.retain(|r| &r.key.store == store);
        reasons.retain(|r| &r.store == store);
    }
    Ok(Figures {
        report: report::build(from, to, period, &rollups, &reasons),
        retention,
    })
}

fn sums(r: &RetentionReport) -> (u64, u64, u64, u64) {
    let acquired = r.periods.iter().map(|p| p.acquired).sum();
    let lost = r.periods.iter().map(|p| p.lost).sum();
    let won_back = r.periods.iter().map(|p| p.won_back).sum();
    let active = r.periods.first().map_or(0, |p| p.active_at_start);
    (acquired, lost, won_back, active)
}

fn card(title: &str, value: String, delta: Option<String>, than_before: &str) -> Markup {
    html! {
        section class="card" {
            h2 { (title) }
            div class="big" { (value) }
            @if let Some(d) = delta {
                div class="delta" { (d) " " (than_before) }
            }
        }
    }
}

pub async fn page(
    State(db): State<Db>,
    session: Session,
    Filters { given: q, repeated }: Filters<RangeForm>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let shop = &session.shop;
    let mut not_used = NotUsed::repeated(&repeated);
    let Range {
        from,
        to,
        period,
        store,
    } = q.read(shop, &mut not_used);
    let (prev_from, prev_to) = previous(from, to);
    let (now, before, surveys, scored, cohorts) = tokio::try_join!(
        figures(&db, shop, from, to, period, store.clone()),
        figures(&db, shop, prev_from, prev_to, period, store.clone()),
        async { Ok::<_, Failure>(owner::settings::surveys_asked(db.as_ref(), shop).await?) },
        async { Ok::<_, Failure>(owner::rfm::scored(db.as_ref(), shop, to).await?) },
        async {
            Ok::<_, Failure>(owner::retention::cohort_report(db.as_ref(), shop, from, to).await?)
        },
    )?;
    let stores = db.stores(&shop.id).await?;
    let rfm = owner::rfm::rfm_report(to, &scored);
    let compared = format!(
        "{} {}",
        t.compared_with,
        fill(
            t.range,
            &[
                ("from", &format::date(lang, prev_from)),
                ("to", &format::date(lang, prev_to))
            ]
        )
    );
    let total = &now.report.total;
    let earlier = &before.report.total;
    let (acquired, lost, won_back, active) = sums(&now.retention);
    let (acquired0, lost0, won_back0, active0) = sums(&before.retention);
    // The periods' churn rates, averaged (a range's losses over its first day's
    // actives would count the customers it acquired as if they were there).
    let churn = |r: &RetentionReport| {
        let rates: Vec<f64> = r.periods.iter().filter_map(|p| p.churn_rate).collect();
        (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64)
    };
    let words = ChartWords {
        table: t.show_numbers,
        x_head: t.period,
        empty: t.no_data,
    };
    // Counts and amounts on a bar chart's axis, short enough for a phone.
    let axis = |v: f64| format::compact(lang, v);
    let labels: Vec<String> = now
        .retention
        .periods
        .iter()
        .map(|p| format::period_label(lang, p.start, period))
        .collect();
    // The survey report's trend lists periods with answers; line them up with all.
    let by_start = |f: &dyn Fn(&kept_shared::Summary) -> Option<f64>| -> Vec<Option<f64>> {
        now.retention
            .periods
            .iter()
            .map(|p| {
                now.report
                    .trend
                    .iter()
                    .find(|s| s.start == period.start_of(p.start))
                    .and_then(|s| f(&s.total))
            })
            .collect()
    };
    let count_of = |f: &dyn Fn(&kept_shared::Summary) -> u64| by_start(&|s| Some(f(s) as f64));
    let content = html! {
        p class="range" {
            (fill(t.range, &[("from", &format::date(lang, from)), ("to", &format::date(lang, to))]))
            " · " (if period == Period::Week { t.week } else { t.month })
            @if let Some(s) = &store {
                " · " (t.store) ": " (format::store_name(&stores, s))
            }
            " · " (compared)
        }
        (not_used.notice(lang))
        (range_form(lang, from, to, period, (store.as_deref(), &stores), "/dashboard"))
        div class="cards" {
            (card(t.nps, format::nps(total.nps.score), total.nps.score.zip(earlier.nps.score).map(|(a, b)| format::delta(lang, a, b, 0)), t.than_before))
            (card(t.csat, total.csat.average.map_or("—".into(), |a| format::number(lang, a, 2)), total.csat.average.zip(earlier.csat.average).map(|(a, b)| format::delta(lang, a, b, 2)), t.than_before))
            (card(t.acquired, format::whole(acquired), Some(format::delta(lang, acquired as f64, acquired0 as f64, 0)), t.than_before))
            (card(t.lost, format::whole(lost), Some(format::delta(lang, lost as f64, lost0 as f64, 0)), t.than_before))
            (card(t.won_back, format::whole(won_back), Some(format::delta(lang, won_back as f64, won_back0 as f64, 0)), t.than_before))
            (card(t.active_at_start, format::whole(active), Some(format::delta(lang, active as f64, active0 as f64, 0)), t.than_before))
            (card(t.churn_rate_average, format::percent(lang, churn(&now.retention), 1), churn(&now.retention).zip(churn(&before.retention)).map(|(a, b)| format::delta(lang, a * 100.0, b * 100.0, 1)), t.than_before))
        }
        p class="intro" data-testid="lost-hint" { (fill(t.lost_hint, &[("days", &shop.churn_window_days.to_string())])) }
        p class="range" { (lang.count(total.nps.responses + total.csat.responses + total.churn.responses, &t.answers)) }
        div class="charts" {
            (line_chart("c-nps", t.nps_trend, &words, &labels,
                &[Series { label: t.nps, class: "c1", values: by_start(&|s| s.nps.score) }],
                (-100.0, 100.0), &|v| format::nps(Some(v))))
            (bar_chart("c-ppd", t.nps_groups, &words, &labels, &[
                Series { label: t.promoters, class: "c1", values: count_of(&|s| s.nps.promoters) },
                Series { label: t.passives, class: "c2", values: count_of(&|s| s.nps.passives) },
                Series { label: t.detractors, class: "c3", values: count_of(&|s| s.nps.detractors) },
            ], true, &axis))
            (bar_chart("c-spread", t.nps_spread, &ChartWords { table: t.show_numbers, x_head: t.score, empty: t.no_data },
                &(0..=10).map(|s| s.to_string()).collect::<Vec<_>>(),
                &[Series { label: t.nps_spread, class: "c1", values: total.nps.distribution.iter().map(|n| Some(*n as f64)).collect() }],
                false, &axis))
            (line_chart("c-csat", t.csat_trend, &words, &labels,
                &[Series { label: t.csat, class: "c4", values: by_start(&|s| s.csat.average) }],
                (1.0, 5.0), &|v| format::number(lang, v, 1)))
            (ranked_bars("c-reasons", t.churn_reasons,
                &total.churn.reasons.iter().map(|r| (format::reason(lang, &r.code, &surveys), r.count)).collect::<Vec<_>>(), "c3", t.no_data))
            (bar_chart("c-customers", t.acquired_vs_lost, &words, &labels, &[
                Series { label: t.acquired, class: "c1", values: now.retention.periods.iter().map(|p| Some(p.acquired as f64)).collect() },
                Series { label: t.won_back, class: "c4", values: now.retention.periods.iter().map(|p| Some(p.won_back as f64)).collect() },
                Series { label: t.lost, class: "c3", values: now.retention.periods.iter().map(|p| Some(p.lost as f64)).collect() },
            ], false, &axis))
            (line_chart("c-churn", t.churn_trend, &words, &labels,
                &[Series { label: t.churn_rate, class: "c4", values: now.retention.periods.iter().map(|p| p.churn_rate.map(|r| r * 100.0)).collect() }],
                (0.0, churn_scale(&now.retention)), &|v| format::percent(lang, Some(v / 100.0), 0)))
            (bar_chart("c-revenue", t.revenue_by_customers, &words, &labels, &[
                Series { label: t.revenue_new, class: "c1", values: now.retention.periods.iter().map(|p| Some(p.revenue_new_cents as f64 / 100.0)).collect() },
                Series { label: t.revenue_returning, class: "c2", values: now.retention.periods.iter().map(|p| Some(p.revenue_returning_cents as f64 / 100.0)).collect() },
            ], true, &axis))
            // Customers by their purchases in every store, a store's page too.
            (ranked_bars("c-segments", &if store.is_some() { format!("{} · {}", t.segments, t.all_stores) } else { t.segments.to_string() },
                &rfm.segments.iter().map(|s| (
                    format!("{} ({} {})", format::segment(lang, s.segment), format::percent(lang, s.share_of_revenue, 1), t.revenue_share.to_lowercase()),
                    s.customers,
                )).collect::<Vec<_>>(), "c1", t.no_data))
        }
        (cohort_table(lang, &cohorts, store.is_some()))
    };
    Ok(shell(&session, Section::Overview, t.overview, content))
}

/// The top of the churn chart's scale, in percent: a round number above the
/// highest rate (10 % at least, so small rates do not fill the drawing).
fn churn_scale(r: &RetentionReport) -> f64 {
    let highest = r
        .periods
        .iter()
        .filter_map(|p| p.churn_rate)
        .fold(0.0, f64::max)
        * 100.0;
    ((highest / 10.0).ceil() * 10.0).clamp(10.0, 100.0)
}

/// The cohorts: customers by the month of their first purchase, and the share
/// of each buying again in each month after, shaded by that share.
fn cohort_table(lang: Lang, report: &CohortReport, one_store: bool) -> Markup {
    let t = lang.texts();
    let months = report
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0);
    html! {
        div class="cohorts" {
            h2 id="cohorts-title" { (t.cohorts) }
            p class="intro" { (t.cohorts_hint) @if one_store { " " (t.cohorts_all_stores) } }
            @if report.cohorts.is_empty() { p { (t.no_data) } } @else {
                // A region a keyboard scrolls, named by its heading;
                // dashboard.js takes the tab stop off while it fits its box.
                div class="table-wrap" tabindex="0" role="region" aria-labelledby="cohorts-title" data-labelledby="cohorts-title" { table {
                    thead { tr {
                        th scope="col" { (t.first_purchase) }
                        th scope="col" class="num" { (t.customers) }
                        @for k in 0..months { th scope="col" class="num" { "+" (k) } }
                    } }
                    tbody { @for c in &report.cohorts { tr {
                        th scope="row" { (format::period_label(lang, c.month, Period::Month)) }
                        td class="num" { (format::whole(c.customers)) }
                        @for share in &c.retention {
                            td class={"num heat h" (((share * 5.0).ceil() as u8).min(5))} {
                                (format::percent(lang, Some(*share), 0))
                            }
                        }
                    } } }
                } }
            }
        }
    }
}

/// The range, period and store form (shared by the overview).
pub fn range_form(
    lang: Lang,
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
    (store, stores): (Option<&str>, &[kept_shared::Store]),
    action: &str,
) -> Markup {
    let t = lang.texts();
    html! {
        form class="filters" method="get" action=(action) {
            label { (t.from) input type="date" name="from" value=(from.to_string()); }
            label { (t.to) input type="date" name="to" value=(to.to_string()); }
            label { (t.period)
                select name="period" {
                    option value="month" selected[period == Period::Month] { (t.month) }
                    option value="week" selected[period == Period::Week] { (t.week) }
                }
            }
            (store_select(t, store, stores))
            button type="submit" { (t.show) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_before_is_as_long() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(previous(d(3, 1), d(3, 31)), (d(1, 29), d(2, 28)));
        assert_eq!(previous(d(1, 5), d(1, 5)), (d(1, 4), d(1, 4)));
    }
}
