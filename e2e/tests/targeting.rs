//! When the widget loads and what it shows (`shared/targeting.md`), in the real
//! browser: nothing but the plan on a page with nothing due; a survey after its
//! delay and only on its pages; recontact and cooldown over days (a moved clock);
//! the sample; lapsed customers; answers sent from a later page; the last flush as
//! the page goes away.

use anyhow::Result;
use base64::Engine;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EventRequestPaused, FulfillRequestParams, HeaderEntry,
};
use chrono::{Duration, Utc};
use futures::StreamExt;
use kept_e2e::{Env, Widget};
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{PageMatch, PageRule, RecordPurchase};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const NPS: &str = demo::NPS_SURVEY;
const CSAT: &str = demo::CSAT_SURVEY;
const CHURN: &str = demo::CHURN_SURVEY;

fn rule(kind: PageMatch, path: &str) -> PageRule {
    PageRule {
        kind,
        path: path.into(),
    }
}

/// The NPS and CSAT surveys show only on the order-confirmation page `/thanks`.
async fn only_on_thanks(env: &Env) -> Result<()> {
    for id in [NPS, CSAT] {
        env.edit_survey(id, |s| {
            s.survey.targeting.pages = vec![rule(PageMatch::Exact, "/thanks")]
        })
        .await?;
    }
    Ok(())
}

/// Skips every survey shown, until the closing screen.
async fn skip_all(w: &Widget) -> Result<()> {
    while w.exists(".kept-survey").await? || !w.exists(".kept-thanks").await? {
        w.wait_for(".kept-survey, .kept-thanks").await?;
        if w.exists(".kept-thanks").await? {
            break;
        }
        let id = w.attribute(".kept-survey", "data-survey").await?.unwrap();
        w.click(".kept-skip").await?;
        w.wait_until(
            "the next screen",
            &format!(
                "document.querySelector('.kept-host').shadowRoot.querySelector('.kept-survey[data-survey=\"{id}\"]') === null"
            ),
        )
        .await?;
    }
    Ok(())
}

/// Forgets this browser's display history: the next page is a new visitor's.
async fn new_visitor(w: &Widget) -> Result<()> {
    w.eval("localStorage.removeItem('kept:v1:pk_demo:seen')")
        .await?;
    Ok(())
}

fn widget_code(downloads: &[(String, u64)]) -> Vec<&str> {
    downloads
        .iter()
        .map(|(url, _)| url.as_str())
        .filter(|u| u.contains("kept-widget"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_nothing_due_downloads_the_loader_and_the_plan_only() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let w = env
        .open(&env.shop_url_at("/products/espresso", &[("customer", "alice")]))
        .await?;
    assert!(w.decision().await?.is_empty());
    let downloads = w.downloads().await?;
    assert!(widget_code(&downloads).is_empty(), "{downloads:#?}");
    let from_kept: Vec<_> = downloads
        .iter()
        .filter(|(url, _)| url.contains("/kept/") || url.contains("/api/"))
        .collect();
    assert_eq!(from_kept.len(), 2, "kept.js and the plan: {downloads:#?}");
    assert!(from_kept[0].0.ends_with("/kept/kept.js"));
    assert!(
        from_kept[1].0.contains("/plan?") && from_kept[1].0.ends_with("&texts=false"),
        "the plan's rules alone: {downloads:#?}"
    );
    assert_eq!(
        w.eval("document.querySelector('.kept-host')").await?,
        serde_json::Value::Null
    );
    // The order page of the same shop shows them.
    w.goto(&env.shop_url_at("/thanks", &[("order", "o-1")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    w.wait_for(".kept-survey").await?;
    let downloads = w.downloads().await?;
    assert_eq!(widget_code(&downloads).len(), 2, "glue and wasm");
    // The texts came with the widget: the same plan without `texts=false`.
    assert!(
        downloads
            .iter()
            .any(|(u, _)| u.contains("/plan?") && !u.contains("texts=false")),
        "{downloads:#?}"
    );
    env.close().await;
    Ok(())
}

/// `kept.js?key=…` carries the shop's rules: a page with nothing due asks Kept
/// for nothing more; a due survey brings its texts with the widget, with the
/// server's word on the order: an order answered on another device shows only
/// what is left to ask.
#[tokio::test(flavor = "multi_thread")]
async fn the_loader_with_the_shops_rules_asks_for_nothing_more_where_nothing_is_due() -> Result<()>
{
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let from_kept = |downloads: &[(String, u64)]| -> Vec<String> {
        downloads
            .iter()
            .map(|(url, _)| url.clone())
            .filter(|u| u.starts_with(&env.api_url()))
            .collect()
    };
    let w = env
        .open(&env.shop_url_at("/products", &[("loader", "shop")]))
        .await?;
    assert!(w.decision().await?.is_empty());
    let downloads = w.downloads().await?;
    assert_eq!(
        from_kept(&downloads),
        [format!(
            "{}/widget/kept.js?key={}",
            env.api_url(),
            demo::PUBLIC_KEY
        )],
        "the loader with the rules, nothing else"
    );
    // A page that names a customer (whose plan only the server knows) is
    // handed over to the whole loader, which asks for the customer's rules:
    // with nothing due, nothing more.
    w.goto(&env.shop_url_at("/products", &[("loader", "shop"), ("customer", "newcomer")]))
        .await?;
    assert!(w.decision().await?.is_empty());
    let asked = from_kept(&w.downloads().await?);
    assert_eq!(asked.len(), 3, "{asked:#?}");
    assert!(asked[0].ends_with(&format!("/widget/kept.js?key={}", demo::PUBLIC_KEY)));
    assert!(
        asked[1].contains("/widget/kept-full.") && asked[1].ends_with(".js"),
        "{asked:#?}"
    );
    assert!(
        asked[2].contains("/plan?") && asked[2].contains("customer=newcomer"),
        "{asked:#?}"
    );
    assert!(asked[2].ends_with("&texts=false"), "{asked:#?}");
    // A snippet that names two shops gets the generic loader, which says so.
    w.goto(&env.shop_url_at(
        "/products",
        &[("loader", "shop"), ("key", "pk_demo&key=pk_nope")],
    ))
    .await?;
    assert!(w.decision().await?.is_empty());
    w.wait_for_console("the two keys said", |l| {
        l.text == "[kept] the snippet names more than one shop's key: pk_demo is used, not pk_nope"
    })
    .await?;

    w.goto(&env.shop_url_at("/thanks", &[("loader", "shop"), ("order", "o-1")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    w.wait_for(&format!(r#".kept-survey[data-survey="{NPS}"]"#))
        .await?;
    let asked = from_kept(&w.downloads().await?);
    assert_eq!(widget_code(&w.downloads().await?).len(), 2, "glue and wasm");
    assert_eq!(
        asked.iter().filter(|u| u.contains("/plan?")).count(),
        1,
        "{asked:#?}"
    );
    assert!(
        asked
            .iter()
            .any(|u| u.contains("/plan?") && !u.contains("texts=false") && u.contains("order=o-1")),
        "the texts, with the order: {asked:#?}"
    );

    // Answered for order o-9 elsewhere: the rules in the file say both are due,
    // the server's word leaves CSAT.
    let answered = AnswerBuilder::nps(demo::SHOP_ID, NPS, 10)
        .order("o-9")
        .build();
    env.send_answers(vec![answered]).await?;
    new_visitor(&w).await?;
    w.goto(&env.shop_url_at("/thanks", &[("loader", "shop"), ("order", "o-9")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    w.wait_until(
        "the widget shows what is left",
        "document.querySelector('script[data-kept-shown]') !== null",
    )
    .await?;
    assert_eq!(
        w.eval("document.querySelector('script[data-kept-shown]').dataset.keptShown")
            .await?,
        CSAT
    );
    w.wait_for(&format!(r#".kept-survey[data-survey="{CSAT}"]"#))
        .await?;
    env.close().await;
    Ok(())
}

/// The snippet twice on a page (a shop's template and its theme each put it
/// there) asks each survey due once: it had shown two cards of the same
/// question, and kept both answers for one order.
#[tokio::test(flavor = "multi_thread")]
async fn the_snippet_twice_on_a_page_asks_once() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let w = env.open("about:blank").await?;
    for loader in [("loader", "shop"), ("loader", "generic")] {
        w.goto(&env.shop_url_at("/thanks", &[loader, ("twice", "yes"), ("order", "o-2")]))
            .await?;
        w.wait_until(
            "both snippets' decisions",
            "document.querySelectorAll('script[data-kept-due]').length === 2",
        )
        .await?;
        let due = w
            .eval("[...document.querySelectorAll('script[data-kept-due]')].map(s => s.dataset.keptDue)")
            .await?;
        assert_eq!(
            due,
            serde_json::json!([format!("{NPS} {CSAT}"), ""]),
            "{loader:?}"
        );
        w.wait_for(&format!(r#".kept-survey[data-survey="{NPS}"]"#))
            .await?;
        assert_eq!(
            w.eval("document.querySelectorAll('kept-widget').length")
                .await?,
            serde_json::json!(1),
            "{loader:?}"
        );
        assert_eq!(
            widget_code(&w.downloads().await?).len(),
            2,
            "glue and wasm, once"
        );
        new_visitor(&w).await?;
    }
    // A single-page shop moves to its next page (another order's thank-you)
    // and puts the snippet in again: asked again there, not claimed for good.
    let again = r#"(() => {
        history.pushState(null, '', '/thanks?order=o-3');
        const first = document.querySelector('script[data-kept-due]');
        const s = document.createElement('script');
        for (const a of first.attributes) if (a.name != 'data-kept-due' && a.name != 'data-kept-shown') s.setAttribute(a.name, a.value);
        s.setAttribute('data-order', 'o-3');
        s.id = 'next-page';
        document.body.appendChild(s);
    })()"#;
    w.eval(again).await?;
    w.wait_until(
        "the next page's decision",
        "document.getElementById('next-page').hasAttribute('data-kept-due')",
    )
    .await?;
    assert_eq!(
        w.eval("document.getElementById('next-page').dataset.keptDue")
            .await?,
        format!("{NPS} {CSAT}")
    );
    env.close().await;
    Ok(())
}

/// What a page's `Object.prototype` holds (an old library's additions, or a
/// polluted prototype: `?__proto__[key]=…` in a careless query parser) is not
/// read as the snippet's: a `key` there had become the shop's key on every
/// page, and a `customer`, `order` or `survey` chose who answered what; an
/// `api` would send the answers elsewhere. Nor as a request's options (a
/// `method`, `credentials`, a `cache`: the plan had not been had, no answer
/// sent; a Web Lock's `steal` or `signal`: the lock was refused, and the
/// answers waited in the queue), the plan's warnings (said in the console as
/// the server's), or what the visitor's history does not hold (a `last`
/// display in the future had stopped every survey), or what the loader's
/// own objects do not hold (a `mode` had made every survey due on every page
/// of the shop's loader, a `card` had loaded the widget on each).
#[tokio::test(flavor = "multi_thread")]
async fn a_polluted_prototype_is_not_read_as_the_snippets_attributes() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let w = env.open("about:blank").await?;
    w.run_before_each_page(
        "Object.assign(Object.prototype, { key: 'pk_elsewhere', api: 'http://127.0.0.1:9', \
         customer: 'mallory', order: 'o-evil', survey: 'churn-why-left', rules: { surveys: [] }, \
         method: 'PUT', credentials: 'include', cache: 'only-if-cached', \
         redirect: 'error', warnings: ['data-customer-sig said by the prototype'], last: 1e15, seed: 5, \
         q: '?locale=en', hasOwnProperty: 1, steal: true, signal: 1, mode: 'link', card: 1 })",
    )
    .await?;
    for (answers, loader, order) in [
        (1, ("loader", "shop"), "o-3"),
        (2, ("loader", "generic"), "o-4"),
    ] {
        // A page where nothing is due: nothing is, and nothing more loads.
        w.goto(&env.shop_url_at("/products", &[loader])).await?;
        assert!(w.decision().await?.is_empty(), "{loader:?}");
        assert!(widget_code(&w.downloads().await?).is_empty(), "{loader:?}");
        w.goto(&env.shop_url_at("/thanks", &[loader, ("order", order)]))
            .await?;
        assert_eq!(w.decision().await?, [NPS, CSAT], "{loader:?}");
        w.wait_for(&format!(r#".kept-survey[data-survey="{NPS}"]"#))
            .await?;
        let asked: Vec<String> = w
            .downloads()
            .await?
            .into_iter()
            .map(|(url, _)| url)
            .filter(|u| u.contains("/api/"))
            .collect();
        assert!(
            asked.iter().all(|u| u.starts_with(&env.api_url())
                && u.contains(demo::PUBLIC_KEY)
                && !u.contains("mallory")
                && !u.contains("evil")),
            "{loader:?}: {asked:#?}"
        );
        // The widget's own requests too: the answer is sent.
        w.click(r#"[data-score="9"]"#).await?;
        w.click(".kept-submit").await?;
        env.wait_for_answers(answers).await?;
        let said = w.console_until_now().await?;
        assert!(
            !said.iter().any(|l| l.text.contains("prototype")),
            "{loader:?}: {said:#?}"
        );
        new_visitor(&w).await?;
    }
    // A signed customer's card: the prototype's warnings (one naming the
    // customer's signature) are not the plan's, which had taken the card away.
    w.goto(&env.shop_url_at(
        "/products",
        &[
            ("loader", "shop"),
            ("customer", "alice"),
            ("loyalty", "card"),
        ],
    ))
    .await?;
    w.wait_for(".kept-loyalty").await?;
    env.close().await;
    Ok(())
}

/// A page rule written in the shop's own script matches its pages, whose
/// path the browser gives percent-encoded (`/замовлення/**` had matched none),
/// in capitals or, as a link wrote it, in small letters (WordPress's).
#[tokio::test(flavor = "multi_thread")]
async fn a_page_rule_in_cyrillic_matches_its_pages() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    env.edit_survey(CSAT, |s| {
        s.survey.targeting.pages = vec![rule(PageMatch::Glob, "/замовлення/**")]
    })
    .await?;
    env.edit_survey(NPS, |s| s.active = false).await?;
    let w = env.open("about:blank").await?;
    let small = "/%d0%b7%d0%b0%d0%bc%d0%be%d0%b2%d0%bb%d0%b5%d0%bd%d0%bd%d1%8f/1002";
    for loader in [("loader", "shop"), ("loader", "generic")] {
        for (path, due) in [
            ("/замовлення/1001", true),
            (small, true),
            ("/orders/1003", false),
        ] {
            w.goto(&env.shop_url_at(path, &[loader, ("order", "o-1001")]))
                .await?;
            let expected: &[&str] = if due { &[CSAT] } else { &[] };
            assert_eq!(w.decision().await?, expected, "{loader:?} {path}");
            new_visitor(&w).await?;
        }
    }
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_due_survey_appears_after_its_delay_and_only_on_its_pages() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    env.edit_survey(CSAT, |s| {
        s.survey.targeting.pages = vec![rule(PageMatch::Glob, "/orders/*/done")];
        s.survey.targeting.delay_seconds = 2;
    })
    .await?;
    env.edit_survey(NPS, |s| s.active = false).await?;
    let w = env.open("about:blank").await?;
    // When the first question is first on screen, in ms since the page began to load.
    w.run_before_each_page(
        "(() => { const tick = () => { const h = document.querySelector('.kept-host'); \
         if (h && h.shadowRoot && h.shadowRoot.querySelector('.kept-survey')) { \
           window.__keptFirstQuestion = performance.now(); return; } \
         requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()",
    )
    .await?;
    w.goto(&env.shop_url_at("/orders/1001/done", &[("order", "o-1001")]))
        .await?;
    assert_eq!(w.decision().await?, [CSAT]);
    w.wait_for(".kept-survey").await?;
    let shown_at = w.eval("window.__keptFirstQuestion").await?;
    assert!(
        shown_at.as_f64().unwrap() >= 2000.0,
        "shown {shown_at} ms after the page began to load"
    );
    w.screenshot("13-delayed-survey").await?;
    for other in [
        "/orders/1001/done/",
        "/orders/1001",
        "/orders/10/01/done",
        "/",
    ] {
        new_visitor(&w).await?;
        w.goto(&env.shop_url_at(other, &[("order", "o-1002")]))
            .await?;
        assert!(w.decision().await?.is_empty(), "{other}");
    }
    env.close().await;
    Ok(())
}

/// The tab's clock, moved ahead a number of days for the pages it loads.
#[derive(Default)]
struct Clock(Option<String>);

impl Clock {
    /// Opens the order page of `order` on `day` and returns the surveys due.
    async fn visit(&mut self, env: &Env, w: &Widget, day: i64, order: &str) -> Result<Vec<String>> {
        self.0 = Some(w.set_clock_days_ahead(day, self.0.as_deref()).await?);
        w.goto(&env.shop_url_at("/thanks", &[("order", order)]))
            .await?;
        w.decision().await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn recontact_and_cooldown_hold_across_reloads_and_days() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    env.edit_survey(NPS, |s| s.survey.targeting.recontact_days = 30)
        .await?;
    env.edit_survey(CSAT, |s| s.survey.targeting.recontact_days = 0)
        .await?;
    env.edit_settings(|s| s.survey_cooldown_days = 7).await?;
    let w = env.open("about:blank").await?;
    let mut clock = Clock::default();
    let due = clock.visit(&env, &w, 0, "o-1").await?;
    assert_eq!(due, [NPS, CSAT], "day 0");
    skip_all(&w).await?;
    for (day, order, expected, what) in [
        (3, "o-2", vec![], "within the cooldown"),
        (8, "o-3", vec![CSAT], "NPS within its recontact days"),
        (9, "o-4", vec![], "within the cooldown again"),
        (31, "o-5", vec![NPS, CSAT], "both due"),
    ] {
        let due = clock.visit(&env, &w, day, order).await?;
        assert_eq!(due, expected, "day {day}: {what}");
        if !due.is_empty() {
            skip_all(&w).await?;
        }
    }
    // Shown for an order and left unanswered, a survey is there again when the
    // visitor comes back to that order's page, cooldown or not.
    let due = clock.visit(&env, &w, 62, "o-6").await?;
    assert_eq!(due, [NPS, CSAT]);
    w.reload().await?;
    assert_eq!(w.decision().await?, [NPS, CSAT], "the reload continues");
    skip_all(&w).await?;
    w.reload().await?;
    assert!(w.decision().await?.is_empty(), "skipped for this order");
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sample_of_none_never_shows_and_of_all_always_shows() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    env.edit_survey(NPS, |s| s.survey.targeting.sample_percent = 0)
        .await?;
    env.edit_survey(CSAT, |s| s.survey.targeting.sample_percent = 100)
        .await?;
    let w = env.open("about:blank").await?;
    for visitor in 0..6 {
        if visitor > 0 {
            new_visitor(&w).await?;
        }
        let order = format!("o-{visitor}");
        w.goto(&env.shop_url_at("/thanks", &[("order", &order)]))
            .await?;
        assert_eq!(w.decision().await?, [CSAT], "visitor {visitor}");
    }
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lapsed_customer_is_asked_why_they_left_and_an_active_one_is_not() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let client = reqwest::Client::new();
    for (customer, id, days_ago) in [("gone", "p-1", 120), ("regular", "p-2", 5)] {
        let mut p = RecordPurchase::new(customer, id, 2500);
        p.purchased_at = Some(Utc::now() - Duration::days(days_ago));
        let resp = client
            .post(format!(
                "{}{}",
                env.api_url(),
                kept_shared::api::purchases(demo::SHOP_ID)
            ))
            .bearer_auth(demo::SECRET_KEY)
            .json(&p)
            .send()
            .await?;
        assert!(resp.status().is_success());
    }
    let w = env
        .open(&env.shop_url_at("/account", &[("customer", "gone")]))
        .await?;
    assert_eq!(w.decision().await?, [CHURN]);
    w.wait_for(r#".kept-survey[data-survey="churn-why-left"]"#)
        .await?;
    w.screenshot("14-lapsed-customer").await?;
    new_visitor(&w).await?;
    w.goto(&env.shop_url_at("/account", &[("customer", "regular")]))
        .await?;
    assert!(w.decision().await?.is_empty(), "an active customer");
    // Buying again, on the order page: thanked and asked how it went, not why they left.
    new_visitor(&w).await?;
    w.goto(&env.shop_url_at("/thanks", &[("customer", "gone"), ("order", "o-9")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_queued_offline_are_sent_from_a_later_page_with_nothing_to_show() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    only_on_thanks(&env).await?;
    let w = env
        .open(&env.shop_url_at("/thanks", &[("order", "o-1")]))
        .await?;
    w.wait_for(r#".kept-survey[data-survey="nps-after-purchase"]"#)
        .await?;
    env.stop_api().await;
    w.click(r#"[data-score="9"]"#).await?;
    w.click(".kept-submit").await?;
    w.wait_for(r#".kept-survey[data-survey="csat-after-purchase"]"#)
        .await?;
    assert_eq!(w.storage_keys("pending").await?.len(), 1);

    // Another page of the shop, nothing due there; the server is back later.
    w.goto(&env.shop_url_at("/products", &[])).await?;
    assert!(w.decision().await?.is_empty());
    env.restart_api().await?;
    let stored = env.wait_for_answers(1).await?;
    assert_eq!(stored[0].order_ref.as_deref(), Some("o-1"));
    w.wait_for_empty_queue().await?;
    assert_eq!(
        w.eval("document.querySelector('.kept-host')").await?,
        serde_json::Value::Null
    );

    // The shop's loader (`kept.js?key=…`, which cannot load while the server
    // is down) does the same for what waits: sent from a page with nothing
    // due, without asking for any plan.
    let waiting = AnswerBuilder::nps(demo::SHOP_ID, NPS, 7)
        .order("o-2")
        .build();
    w.queue_answer(&waiting, None).await?;
    w.goto(&env.shop_url_at("/products", &[("loader", "shop")]))
        .await?;
    assert!(w.decision().await?.is_empty());
    let stored = env.wait_for_answers(2).await?;
    assert!(stored.iter().any(|a| a.id == waiting.id));
    w.wait_for_empty_queue().await?;
    let asked = w.downloads().await?;
    assert!(
        !asked.iter().any(|(u, _)| u.contains("/plan?")),
        "{asked:#?}"
    );
    assert_eq!(
        w.eval("document.querySelector('.kept-host')").await?,
        serde_json::Value::Null
    );
    env.close().await;
    Ok(())
}

/// A page that names a customer decides by the server's rules for them; with
/// the server out of reach, by the plan this browser kept for them: a survey
/// shown and not yet answered for this order shows again. A customer with no
/// plan kept here gets nothing, and the console says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_customers_page_decides_offline_by_the_plan_kept_for_them() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    only_on_thanks(&env).await?;
    let nps = r#".kept-survey[data-survey="nps-after-purchase"]"#;
    let w = env
        .open(&env.shop_url_at("/thanks", &[("customer", "bob"), ("order", "o-7")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    w.wait_for(nps).await?;

    env.stop_api().await;
    w.reload().await?;
    assert_eq!(w.decision().await?, [NPS, CSAT], "by the plan kept for bob");
    w.wait_for(nps).await?;

    w.goto(&env.shop_url_at("/thanks", &[("customer", "carol"), ("order", "o-8")]))
        .await?;
    assert!(w.decision().await?.is_empty(), "nothing kept for carol");
    assert!(!w.exists(".kept-survey").await?);
    let said: Vec<String> = w
        .console()
        .into_iter()
        .filter(|l| l.from_script())
        .map(|l| l.text)
        .collect();
    assert!(
        said.iter()
            .any(|l| l.starts_with("[kept] could not reach") && l.contains(&env.api_url())),
        "{said:#?}"
    );
    env.close().await;
    Ok(())
}

/// Two tabs of one visitor, opened together, each with a survey due: each
/// decision is made with the time and the history as they are when it is
/// made. Where the shop asks every time (the demo shop: no recontact, no
/// cooldown), the other tab's display, written while this tab waited for its
/// rules, is not in its future: both show the survey. With a cooldown, a
/// display the other tab made while this one waited for its texts holds this
/// one back: the visitor is asked once.
#[tokio::test(flavor = "multi_thread")]
async fn a_survey_due_in_two_tabs_at_once_is_decided_with_the_time_and_history_of_each_decision()
-> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let slow = env.open(&env.shop_url(&[("page", "bare")])).await?;
    let fast = env.open(&env.shop_url(&[("page", "bare")])).await?;
    // Every plan request of the slow tab waits for the test to let it go.
    let mut paused = slow.hold_requests("*/plan?*").await?;
    let (plan_asked, mut asked) = tokio::sync::mpsc::unbounded_channel();
    let holder = tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            let rules = event.request.url.contains("texts=false");
            let _ = plan_asked.send((rules, event.request_id.clone()));
        }
    });
    let mut next_plan_request =
        async || match tokio::time::timeout(kept_e2e::WAIT, asked.recv()).await {
            Ok(Some(request)) => Ok(request),
            _ => anyhow::bail!("the slow tab asked for no plan"),
        };
    let let_go = |id| ContinueRequestParams::new(id);
    let shown = r#".kept-survey[data-survey="csat-after-purchase"]"#;

    // Asked every time: the other tab shows the survey while this one waits for its rules.
    slow.goto(&env.shop_url(&[("survey", CSAT), ("order", "o-slow")]))
        .await?;
    let (rules, held) = next_plan_request().await?;
    assert!(rules);
    fast.goto(&env.shop_url(&[("survey", CSAT), ("order", "o-fast")]))
        .await?;
    fast.wait_for(shown).await?;
    slow.page.execute(let_go(held)).await?;
    assert_eq!(slow.decision().await?, [CSAT]);
    let (rules, texts) = next_plan_request().await?;
    assert!(!rules);
    slow.page.execute(let_go(texts)).await?;
    slow.wait_for(shown).await?;

    // With a week's cooldown, a new visitor: the other tab shows it while this
    // one, the rules' decision made, waits for its texts.
    env.edit_settings(|s| s.survey_cooldown_days = 7).await?;
    new_visitor(&slow).await?;
    slow.goto(&env.shop_url(&[("survey", CSAT), ("order", "o-slow-2")]))
        .await?;
    let (rules, held) = next_plan_request().await?;
    assert!(rules);
    slow.page.execute(let_go(held)).await?;
    assert_eq!(slow.decision().await?, [CSAT]);
    let (rules, texts) = next_plan_request().await?;
    assert!(!rules);
    fast.goto(&env.shop_url(&[("survey", CSAT), ("order", "o-fast-2")]))
        .await?;
    fast.wait_for(shown).await?;
    slow.page.execute(let_go(texts)).await?;
    slow.wait_until(
        "the widget's last word",
        "document.querySelector('script[data-kept-shown]') !== null",
    )
    .await?;
    assert_eq!(
        slow.eval("document.querySelector('script[data-kept-shown]').dataset.keptShown")
            .await?,
        ""
    );
    assert!(!slow.exists(".kept-survey").await?);
    holder.abort();
    env.close().await;
    Ok(())
}

/// The rules say a survey is due, but its texts cannot be had (the server
/// refuses them, as at its rate limit): the page gets nothing, empty or not,
/// the visitor's history records nothing as shown, and what waits in the queue
/// is sent all the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_due_survey_whose_texts_are_refused_leaves_nothing_and_still_sends_the_queue()
-> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    only_on_thanks(&env).await?;
    let w = env.open(&env.shop_url_at("/products", &[])).await?;
    assert!(w.decision().await?.is_empty());
    let waiting = AnswerBuilder::nps(demo::SHOP_ID, NPS, 8)
        .order("o-0")
        .build();
    w.queue_answer(&waiting, None).await?;
    let mut paused = w.hold_requests("*/plan?*").await?;
    let page = w.page.clone();
    let refuser = tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            if event.request.url.contains("texts=false") {
                let _ = page
                    .execute(ContinueRequestParams::new(event.request_id.clone()))
                    .await;
                continue;
            }
            let body = r#"{"code":"rate_limited","message":"too many requests"}"#;
            let refusal = FulfillRequestParams::builder()
                .request_id(event.request_id.clone())
                .response_code(429)
                .response_header(HeaderEntry::new("content-type", "application/json"))
                .response_header(HeaderEntry::new("access-control-allow-origin", "*"))
                .body(base64::engine::general_purpose::STANDARD.encode(body))
                .build()
                .expect("a response");
            let _ = page.execute(refusal).await;
        }
    });
    w.goto(&env.shop_url_at("/thanks", &[("order", "o-2")]))
        .await?;
    assert_eq!(w.decision().await?, [NPS, CSAT]);
    w.wait_for_console("the refusal said", |l| {
        l.text
            .contains("the widget is not shown: too many requests")
    })
    .await?;
    let stored = env.wait_for_answers(1).await?;
    assert_eq!(stored[0].id, waiting.id);
    w.wait_for_empty_queue().await?;
    assert_eq!(
        w.eval("document.querySelector('.kept-host')").await?,
        serde_json::Value::Null
    );
    let seen = w
        .eval(&format!(
            "localStorage.getItem('kept:v1:{}:seen')",
            demo::PUBLIC_KEY
        ))
        .await?;
    assert!(
        !seen.as_str().unwrap_or_default().contains("o-2"),
        "recorded as shown: {seen}"
    );
    refuser.abort();
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_queued_is_sent_as_the_page_goes_away() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&env.shop_url_at("/thanks", &[("order", "o-1"), ("survey", CSAT)]))
        .await?;
    w.wait_for(".kept-survey").await?;
    // Every answers request waits, unanswered, until the test lets it go: the
    // widget's own sync is stuck in flight when the page goes.
    let mut paused = w.hold_requests("*/answers").await?;
    // The next POST of answers; CORS preflights go on at once.
    let next_post = async |paused: &mut (
                                    dyn futures::Stream<Item = std::sync::Arc<EventRequestPaused>>
                                        + Unpin
                                )|
           -> Result<std::sync::Arc<EventRequestPaused>> {
        loop {
            let event = tokio::time::timeout(kept_e2e::WAIT, paused.next())
                .await?
                .expect("a request");
            if event.request.method == "POST" {
                return Ok(event);
            }
            w.page
                .execute(ContinueRequestParams::new(event.request_id.clone()))
                .await?;
        }
    };
    w.click(r#"[data-score="4"]"#).await?;
    w.click(".kept-submit").await?;
    let first = next_post(&mut paused).await?;

    w.goto("about:blank").await?;
    // As the page went, the widget sent the queue once more, with `keepalive`:
    // that request outlives the page; the first one died with it.
    let last = next_post(&mut paused).await?;
    for held in [first, last] {
        let _ = w
            .page
            .execute(ContinueRequestParams::new(held.request_id.clone()))
            .await;
    }
    let stored = env.wait_for_answers(1).await?;
    assert_eq!(stored[0].survey, CSAT);
    env.close().await;
    Ok(())
}
