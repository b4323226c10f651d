//! The loader's display plan (`shared/targeting.md`) on both engines: the
//! server's verdict from what only it knows (lapsed customers, answers stored
//! for an order), texts for one locale, caching, and bad input.

#[macro_use]
mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::TestApp;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{DecisionRules, DisplayPlan, ErrorCode, RecordPurchase, api};

on_both_engines!(
    an_anonymous_visitor_is_planned_the_surveys_for_everyone,
    a_lapsed_customer_is_planned_the_churn_survey_but_never_on_an_order_page,
    a_survey_answered_for_an_order_is_marked_answered_for_that_order_only,
    the_rules_alone_carry_every_verdict_and_no_text,
    an_order_changes_nothing_of_the_plan_but_what_it_answered,
    the_plan_is_cached_briefly_and_revalidated_by_its_etag,
    bad_plan_requests_get_a_clear_400,
);

/// The plan's URL for `query`, its customer and order signed as the shop's page
/// signs them (what an unsigned plan tells is in `verified.rs`).
fn plan_url(query: &str) -> String {
    use kept_server::signatures::{Signed, sign};
    let mut url = format!("{}?{query}", api::plan(demo::PUBLIC_KEY));
    for pair in query.split('&') {
        let what = match pair.split_once('=') {
            Some(("customer", v)) => Some(("customer_sig", Signed::Customer, v)),
            Some(("order", v)) => Some(("order_sig", Signed::Order, v)),
            _ => None,
        };
        if let Some((name, what, value)) = what {
            url += &format!("&{name}={}", sign(demo::WIDGET_SECRET, what, value));
        }
    }
    url
}

async fn plan(app: &TestApp, query: &str) -> DisplayPlan {
    let reply = app.get(&plan_url(query)).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}");
    reply.json()
}

/// `(id, audience_match, answered)` of each survey of a plan.
fn verdicts(plan: &DisplayPlan) -> Vec<(&str, bool, bool)> {
    plan.surveys
        .iter()
        .map(|s| {
            (
                s.survey.id.as_str(),
                s.verdict.audience_match,
                s.verdict.answered,
            )
        })
        .collect()
}

async fn an_anonymous_visitor_is_planned_the_surveys_for_everyone(app: TestApp) {
    let p = plan(&app, "locale=uk-UA").await;
    assert_eq!(p.shop.id, demo::SHOP_ID);
    // The demo shop asks on every order (tests set other rules where they matter).
    assert_eq!(p.cooldown_days, 0);
    assert_eq!(
        verdicts(&p),
        [
            (demo::NPS_SURVEY, true, false),
            (demo::CSAT_SURVEY, true, false),
            (demo::CHURN_SURVEY, false, false),
        ]
    );
    // Only the texts the visitor's locale shows travel.
    for s in &p.surveys {
        assert_eq!(
            s.survey.texts.keys().collect::<Vec<_>>(),
            ["uk"],
            "{}",
            s.survey.id
        );
    }
    // Without a locale, every text.
    let all = plan(&app, "").await;
    assert_eq!(all.surveys[0].survey.texts.len(), 3);
    // An inactive survey is not planned.
    app.edit_demo_survey(demo::CSAT_SURVEY, |d| d.active = false)
        .await;
    let ids: Vec<_> = plan(&app, "")
        .await
        .surveys
        .into_iter()
        .map(|s| s.survey.id)
        .collect();
    assert_eq!(ids, [demo::NPS_SURVEY, demo::CHURN_SURVEY]);
}

/// What the loader decides with (`texts=false`): of the same surveys, only
/// their ids, rules and verdicts, less than half the bytes.
async fn the_rules_alone_carry_every_verdict_and_no_text(app: TestApp) {
    let whole = app.get(&plan_url("locale=en&customer=dave")).await;
    let rules = app
        .get(&plan_url("locale=en&customer=dave&texts=false"))
        .await;
    assert_eq!(rules.status, StatusCode::OK);
    let whole_plan: DisplayPlan = whole.json();
    assert_eq!(
        rules.json::<DecisionRules>(),
        DecisionRules::from(&whole_plan)
    );
    let text = String::from_utf8_lossy(&rules.body);
    for absent in [
        "\"texts\"",
        "\"labels\"",
        "recommend",
        "\"reasons\"",
        "\"shop\"",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    assert!(
        rules.body.len() * 2 < whole.body.len(),
        "{} B of rules against {} B",
        rules.body.len(),
        whole.body.len()
    );
}

async fn a_lapsed_customer_is_planned_the_churn_survey_but_never_on_an_order_page(app: TestApp) {
    let bought = |customer: &str, id: &str, days_ago: i64| {
        let mut p = RecordPurchase::new(customer, id, 1500);
        p.purchased_at = Some(Utc::now() - Duration::days(days_ago));
        p
    };
    for p in [bought("gone", "p-1", 120), bought("regular", "p-2", 10)] {
        let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let churn = |p: &DisplayPlan| {
        p.surveys
            .iter()
            .find(|s| s.survey.id == demo::CHURN_SURVEY)
            .unwrap()
            .verdict
            .audience_match
    };
    assert!(churn(&plan(&app, "customer=gone").await));
    assert!(!churn(&plan(&app, "customer=regular").await));
    assert!(
        !churn(&plan(&app, "customer=stranger").await),
        "no purchase: not lapsed"
    );
    assert!(!churn(&plan(&app, "").await));
    assert!(
        !churn(&plan(&app, "customer=gone&order=o-9").await),
        "a visitor on an order page is buying"
    );
}

async fn a_survey_answered_for_an_order_is_marked_answered_for_that_order_only(app: TestApp) {
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
        .customer("alice")
        .order("o-1")
        .build();
    app.send_answers(&[answer]).await;
    let answered = |p: &DisplayPlan| {
        p.surveys
            .iter()
            .filter(|s| s.verdict.answered)
            .map(|s| s.survey.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(answered(&plan(&app, "order=o-1").await), [demo::NPS_SURVEY]);
    assert!(answered(&plan(&app, "order=o-2").await).is_empty());
    assert!(answered(&plan(&app, "customer=alice").await).is_empty());
}

/// `kept.js?key=…` carries the plan of a visitor the server knows nothing of,
/// and the loader decides with it on every page that names no customer: an
/// order, signed or not, may only mark surveys answered (not due), and the
/// loader learns that from the plan it fetches with the texts.
async fn an_order_changes_nothing_of_the_plan_but_what_it_answered(app: TestApp) {
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
        .order("o-1")
        .build();
    app.send_answers(&[answer]).await;
    let anonymous = plan(&app, "").await;
    let unsigned = app
        .get(&format!("{}?order=o-1", api::plan(demo::PUBLIC_KEY)))
        .await
        .json::<DisplayPlan>();
    assert_eq!(unsigned, anonymous, "an unsigned order tells nothing");
    for order in ["o-1", "o-2"] {
        let mut signed = plan(&app, &format!("order={order}")).await;
        let mut answered = Vec::new();
        for s in &mut signed.surveys {
            if std::mem::take(&mut s.verdict.answered) {
                answered.push(s.survey.id.clone());
            }
        }
        let expected: &[&str] = if order == "o-1" {
            &[demo::NPS_SURVEY]
        } else {
            &[]
        };
        assert_eq!(answered, expected);
        assert_eq!(signed, anonymous, "{order}");
    }
}

async fn the_plan_is_cached_briefly_and_revalidated_by_its_etag(app: TestApp) {
    let first = app.get(&plan_url("locale=en")).await;
    assert_eq!(first.header("cache-control"), Some("private, max-age=60"));
    // Kept's own pages (the survey editor's preview) ask again every time, so
    // a survey just saved shows there at once.
    let own = app
        .get_with(&plan_url("locale=en"), &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(own.header("cache-control"), Some("private, no-cache"));
    let etag = first.header("etag").unwrap().to_string();
    let again = app
        .get_with(&plan_url("locale=en"), &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    // The tag as a cache may hand it on, weak, in a list: compared weakly.
    let weak = app
        .get_with(
            &plan_url("locale=en"),
            &[("if-none-match", &format!("\"other\", W/{etag}"))],
        )
        .await;
    assert_eq!(weak.status, StatusCode::NOT_MODIFIED);
    // A lapsed customer's plan changes with their purchase: a new tag.
    let before = app.get(&plan_url("customer=zoe")).await;
    let mut p = RecordPurchase::new("zoe", "p-z", 100);
    p.purchased_at = Some(Utc::now() - Duration::days(200));
    app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
    let after = app
        .get_with(
            &plan_url("customer=zoe"),
            &[("if-none-match", before.header("etag").unwrap())],
        )
        .await;
    assert_eq!(after.status, StatusCode::OK);
}

async fn bad_plan_requests_get_a_clear_400(app: TestApp) {
    for query in [
        "customer=a%20b",
        "order=%00",
        "locale=en%3Cscript%3E",
        &format!("locale={}", "x".repeat(40)),
        &format!("customer={}", "c".repeat(200)),
        "texts=no",
    ] {
        let reply = app.get(&plan_url(query)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.error().code, ErrorCode::BadRequest, "{query}");
    }
    // A long value is named, not repeated whole (5000 characters had come back).
    let reply = app
        .get(&plan_url(&format!("locale={}", "x".repeat(5000))))
        .await;
    let message = reply.error().message;
    assert!(message.chars().count() < 120, "{message}");
    assert!(
        message.contains(&format!("{}…", "x".repeat(40))),
        "{message}"
    );
    let reply = app.get(&api::plan("pk_nope")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error().code, ErrorCode::UnknownKey);
}
