//! A person uses the product: each scenario drives the real widget in headless
//! Chromium against the real server, then checks what the database or the owner
//! report holds, and saves a screenshot of the final screen under target/.

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::{Duration, Utc};
use kept_e2e::{Env, UNCAUGHT, Viewport, Widget};
use kept_server::demo;
use kept_shared::{Answer, AnswerValue, Channel, RecordPurchase};
use uuid::Uuid;

/// One browser at a time: the machine has two cores, and timing-sensitive steps
/// (kiosk reset, sync retries) should not compete with other Chromiums.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const NPS: &str = demo::NPS_SURVEY;
const CSAT: &str = demo::CSAT_SURVEY;
const CHURN: &str = demo::CHURN_SURVEY;

fn survey_screen(id: &str) -> String {
    format!(r#".kept-survey[data-survey="{id}"]"#)
}

/// Answers the NPS survey: a score, then the reason.
async fn answer_nps(w: &Widget, score: u8, reason: &str) -> Result<()> {
    w.wait_for(&survey_screen(NPS)).await?;
    w.click(&format!(r#"[data-score="{score}"]"#)).await?;
    w.type_into(r#"textarea[name="reason"]"#, reason).await?;
    w.click(".kept-submit").await
}

async fn answer_csat(w: &Widget, score: u8) -> Result<()> {
    w.wait_for(&survey_screen(CSAT)).await?;
    w.click(&format!(r#"[data-score="{score}"]"#)).await?;
    w.click(".kept-submit").await
}

async fn answer_churn(w: &Widget, reasons: &[&str], other: &str) -> Result<()> {
    w.wait_for(&survey_screen(CHURN)).await?;
    for code in reasons {
        w.click(&format!(r#"input[type="checkbox"][value="{code}"]"#))
            .await?;
    }
    w.type_into(r#"textarea[name="other"]"#, other).await?;
    w.click(".kept-submit").await
}

/// Reloads the page and checks, once the widget's queue is empty (so it has
/// nothing left it could send), that the database still holds exactly `n` answers.
async fn reload_sends_nothing_more(env: &Env, w: &Widget, n: usize) -> Result<()> {
    w.reload().await?;
    w.decision().await?;
    w.wait_for_empty_queue().await?;
    assert_eq!(
        env.stored_answers().await?.len(),
        n,
        "a reload stored nothing again"
    );
    Ok(())
}

fn ids(answers: &[Answer]) -> BTreeSet<Uuid> {
    answers.iter().map(|a| a.id).collect()
}

fn pending_ids(keys: &[String]) -> BTreeSet<Uuid> {
    keys.iter()
        .map(|k| k.rsplit(':').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn nps_answer_with_reason_is_stored_once_and_reported() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    // The demo shop page the server itself serves.
    let w = env
        .open(&format!(
            "{}/demo?survey={NPS}&order=order-1001",
            env.api_url()
        ))
        .await?;

    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.decision().await?, [NPS]);
    // The demo page names a customer (alice, for her loyalty card): only the
    // server knows her plan, so the shop's kept.js handed the page over to
    // the whole loader, which asked for her rules once; then the glue and the
    // wasm downloaded side by side, the glue's second half asked for the
    // plan's texts while the wasm came, and the widget asked for nothing
    // more before showing the question.
    let timing = w
        .eval(
            "(() => { const r = performance.getEntriesByType('resource'); \
             const rules = r.filter(e => e.name.includes('/plan?') && e.name.endsWith('texts=false')); \
             const texts = r.filter(e => e.name.includes('/plan?') && !e.name.includes('texts=false')); \
             const glue = r.find(e => /kept-widget\\.[0-9a-f]+\\.js$/.test(e.name)); \
             const wasm = r.find(e => e.name.endsWith('.wasm')); \
             const surveys = r.filter(e => e.name.endsWith('/surveys')); \
             return [rules.length, texts.length, surveys.length, !!glue && !!wasm \
               && wasm.startTime < glue.responseEnd && texts[0].startTime >= glue.responseEnd]; })()",
        )
        .await?;
    assert_eq!(
        timing,
        serde_json::json!([1, 1, 0, true]),
        "one request for the rules, then the wasm alongside the glue, the texts from it"
    );
    // The characters left count as the field's limit does: an emoji is two.
    let reason = "Fast delivery, great beans ☕😀";
    w.click(r#"[data-score="9"]"#).await?;
    w.type_into(r#"textarea[name="reason"]"#, reason).await?;
    let left = 1000 - reason.encode_utf16().count();
    assert_eq!(
        w.text(".kept-count").await?,
        format!("{left} characters left")
    );
    w.click(".kept-submit").await?;
    w.wait_for(".kept-thanks").await?;
    // Send is gone with its question: focus moves to the thanks, not to the page's body.
    w.wait_until(
        "focus on the thanks heading",
        "document.activeElement?.shadowRoot?.activeElement?.tagName === 'H2'",
    )
    .await?;
    assert_eq!(w.focused().await?.as_deref(), Some("H2 Thank you!"));
    w.screenshot("1-nps-answered").await?;

    let answers = env.wait_for_answers(1).await?;
    let a = &answers[0];
    assert_eq!(a.survey, NPS);
    assert_eq!(a.channel, Channel::Web);
    assert_eq!(a.customer_ref.as_deref(), Some("alice"));
    assert_eq!(a.order_ref.as_deref(), Some("order-1001"));
    assert_eq!(
        a.value,
        AnswerValue::Nps {
            score: 9,
            reason: Some(reason.into())
        }
    );
    w.wait_for_empty_queue().await?;

    let report = env.report().await?;
    assert_eq!(
        (report.total.nps.responses, report.total.nps.promoters),
        (1, 1)
    );
    assert_eq!(report.total.nps.score, Some(100.0));
    assert_eq!(report.by_channel[&Channel::Web].nps.responses, 1);
    assert_eq!(report.by_channel[&Channel::Kiosk].nps.responses, 0);

    // Answered for this order: after a reload nothing is due, and nothing but the
    // plan is downloaded.
    w.reload().await?;
    assert!(
        w.decision().await?.is_empty(),
        "the survey is not asked twice for one order"
    );
    // (The demo page still shows the loyalty card.)
    w.wait_for(".kept-loyalty").await?;
    assert!(!w.exists(".kept-survey").await?);
    assert_eq!(env.stored_answers().await?.len(), 1);
    w.screenshot("1b-nothing-due").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_given_offline_survive_a_reload_and_sync_once_when_back() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    // The churn survey is for lapsed customers: only a page that names it asks it.
    let all_three = format!("{NPS},{CSAT},{CHURN}");
    let w = env
        .open(&env.shop_url(&[
            ("customer", "bob"),
            ("order", "o-offline"),
            ("loyalty", "card"),
            ("survey", &all_three),
        ]))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.wait_for(".kept-loyalty").await?;
    // The visitor's clock: 5:45 ahead of UTC (the server's time is in UTC).
    w.set_time_zone("Asia/Kathmandu").await?;

    env.stop_api().await;
    answer_nps(&w, 3, "Coffee arrived stale").await?;
    answer_csat(&w, 2).await?;
    answer_churn(&w, &["price", "quality"], "Found a roaster nearby").await?;
    w.wait_for(".kept-thanks").await?;

    let before = w.storage_keys("pending").await?;
    assert_eq!(
        before.len(),
        3,
        "three answers wait in the queue: {before:?}"
    );
    // Three sends failed (one per answer, then retries): the console says so once,
    // in words, without a Rust dump (waited for: a failed send's line arrives a
    // moment after the queue is written, later under a loaded machine).
    w.wait_for_console("the server said unreachable", |l| {
        l.from_script() && l.text.starts_with("[kept] could not reach")
    })
    .await?;
    let script_lines: Vec<String> = w
        .console_until_now()
        .await?
        .into_iter()
        .filter(|l| l.from_script())
        .map(|l| l.text)
        .collect();
    let unreachable: Vec<_> = script_lines
        .iter()
        .filter(|l| l.starts_with("[kept] could not reach"))
        .collect();
    assert_eq!(unreachable.len(), 1, "said once: {script_lines:#?}");
    assert!(unreachable[0].contains(&env.api_url()), "{unreachable:?}");
    assert!(
        script_lines.iter().all(|l| !l.contains("JsValue")),
        "{script_lines:#?}"
    );
    // Nor does anything reach the shop's page uncaught (the funnel's events, sent
    // and forgotten, once left their failed requests as unhandled rejections).
    let uncaught: Vec<_> = w
        .console()
        .into_iter()
        .filter(|l| l.source == UNCAUGHT)
        .collect();
    assert!(uncaught.is_empty(), "{uncaught:#?}");

    w.reload().await?;
    // The page works from its saved plan while the API is down: everything is
    // answered for this order, so no survey; the loyalty card from its saved copy,
    // marked as not current; and the queue is intact.
    assert!(w.decision().await?.is_empty());
    w.wait_for(r#".kept-loyalty[data-current="false"]"#).await?;
    assert!(!w.exists(".kept-survey").await?);
    let after = w.storage_keys("pending").await?;
    assert_eq!(after, before, "the queue survives the reload");
    // As of when, on the visitor's clock, as their language writes it.
    let saved_at = "JSON.parse(localStorage.getItem('kept:v1:pk_demo:loyalty:bob')).as_of";
    let as_of = w.text(".kept-stale").await?;
    let local = w
        .eval(&format!(
            "new Date({saved_at}).toLocaleString('en', {{ timeZone: 'Asia/Kathmandu' }})"
        ))
        .await?;
    assert_eq!(
        as_of,
        format!("as of {}", local.as_str().unwrap_or_default())
    );
    // In another language (a shop's language switch), the saved card still
    // shows, in that language; the surveys' texts kept are the other one's.
    w.goto(&env.shop_url(&[
        ("customer", "bob"),
        ("order", "o-offline-2"),
        ("loyalty", "card"),
        ("locale", "uk"),
    ]))
    .await?;
    w.wait_for(r#".kept-loyalty[data-current="false"]"#).await?;
    assert!(w.text(".kept-stale").await?.starts_with("станом на "));
    assert!(!w.exists(".kept-survey").await?);

    env.restart_api().await?;
    let stored = env.wait_for_answers(3).await?;
    assert_eq!(
        ids(&stored),
        pending_ids(&before),
        "exactly the queued answers are stored"
    );
    w.wait_for_empty_queue().await?;

    // Another reload sends nothing again.
    reload_sends_nothing_more(&env, &w, 3).await?;
    let kinds: BTreeSet<_> = stored.iter().map(|a| a.survey.as_str()).collect();
    assert_eq!(kinds, BTreeSet::from([NPS, CSAT, CHURN]));
    let churn = stored.iter().find(|a| a.survey == CHURN).unwrap();
    assert_eq!(
        churn.value,
        AnswerValue::ChurnReason {
            reasons: vec!["price".into(), "quality".into()],
            other: Some("Found a roaster nearby".into())
        }
    );

    w.screenshot("2-offline-synced").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kiosk_serves_three_respondents_each_with_a_fresh_survey() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&format!(
            "{}/kiosk/{}?survey={NPS}",
            env.api_url(),
            demo::PUBLIC_KEY
        ))
        .await?;

    for (i, score) in [10u8, 6, 8].into_iter().enumerate() {
        w.wait_for(&survey_screen(NPS)).await?;
        // Nothing of the previous respondent is visible.
        assert!(
            !w.exists(r#"[aria-checked="true"]"#).await?,
            "respondent {i} sees a picked score"
        );
        assert_eq!(
            w.value_of(r#"textarea[name="reason"]"#).await?,
            "",
            "respondent {i} sees old text"
        );
        assert!(
            !w.exists(".kept-loyalty").await?,
            "a kiosk shows no loyalty card"
        );
        if i == 0 {
            // The follow-up opening below a score does not move the scale
            // under the finger (a second tap had landed in the text field).
            let scale_top = "document.querySelector('.kept-host').shadowRoot.querySelector('.kept-scale').getBoundingClientRect().top";
            let before = w.eval(scale_top).await?;
            w.click(&format!(r#"[data-score="{score}"]"#)).await?;
            w.wait_for(r#"textarea[name="reason"]"#).await?;
            assert_eq!(w.eval(scale_top).await?, before);
        }

        answer_nps(&w, score, &format!("respondent {i}")).await?;
        w.wait_for(".kept-thanks").await?;
        if i < 2 {
            // The next customer taps to start; the last one walks away and it resets by itself.
            w.click(".kept-next").await?;
        }
    }
    w.wait_for(&survey_screen(NPS)).await?;
    assert!(!w.exists(".kept-thanks").await?);

    let answers = env.wait_for_answers(3).await?;
    assert!(
        answers
            .iter()
            .all(|a| a.channel == Channel::Kiosk && a.customer_ref.is_none())
    );
    let scores: BTreeSet<u8> = answers
        .iter()
        .map(|a| match a.value {
            AnswerValue::Nps { score, .. } => score,
            _ => panic!("not an NPS answer: {a:?}"),
        })
        .collect();
    assert_eq!(scores, BTreeSet::from([10, 6, 8]));
    assert_eq!(
        env.report().await?.by_channel[&Channel::Kiosk]
            .nps
            .responses,
        3
    );

    w.screenshot("3-kiosk-reset").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn kiosk_resets_after_idle_time_discarding_the_unsent_answer() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&env.shop_url(&[
            ("mode", "kiosk"),
            ("survey", NPS),
            ("kiosk-idle-seconds", "3"),
        ]))
        .await?;

    w.wait_for(&survey_screen(NPS)).await?;
    w.click(r#"[data-score="4"]"#).await?;
    // Checked before typing, well within the idle time even on a busy machine.
    assert!(
        w.exists(r#"[aria-checked="true"]"#).await?,
        "the score is picked"
    );
    w.type_into(r#"textarea[name="reason"]"#, "half an answer")
        .await?;
    let picked =
        r#"document.querySelector('.kept-host').shadowRoot.querySelector('[aria-checked="true"]')"#;
    w.wait_until("the idle reset", &format!("{picked} === null"))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.value_of(r#"textarea[name="reason"]"#).await?, "");
    // Nothing was queued, so nothing can be sent later.
    assert!(w.storage_keys("pending").await?.is_empty());
    assert!(
        env.stored_answers().await?.is_empty(),
        "an abandoned answer is not sent"
    );

    w.screenshot("3b-kiosk-idle-reset").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn purchase_from_the_back_office_shows_as_points_and_tier() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let purchase = RecordPurchase::new("dave", "order-2001", 55_000);
    let resp = reqwest::Client::new()
        .post(format!(
            "{}{}",
            env.api_url(),
            kept_shared::api::purchases(demo::SHOP_ID)
        ))
        .bearer_auth(demo::SECRET_KEY)
        .json(&purchase)
        .send()
        .await?;
    assert!(
        resp.status().is_success(),
        "recording the purchase: {}",
        resp.text().await?
    );

    let w = env
        .open(&env.shop_url(&[("customer", "dave"), ("loyalty", "card")]))
        .await?;
    w.wait_for(r#".kept-loyalty[data-points="550"]"#).await?;
    assert_eq!(
        w.attribute(".kept-loyalty", "data-tier").await?.as_deref(),
        Some("Silver")
    );
    let card = w.text(".kept-loyalty").await?;
    assert!(
        card.contains("Gold"),
        "the card names the next tier: {card}"
    );
    assert!(
        card.contains("1450") || card.contains("1,450") || card.contains("1 450"),
        "points to Gold: {card}"
    );
    let progress = w
        .attribute(r#".kept-loyalty [role="progressbar"]"#, "aria-valuenow")
        .await?;
    assert!(progress.is_some(), "the card has a progress bar");

    w.screenshot("4-loyalty").await?;

    // The same device, a page whose signature does not match (a shop's
    // signing broken, or a reference typed in): the card kept from before is
    // neither shown nor kept once the server refuses it.
    let saved = format!(
        "localStorage.getItem('kept:v1:{}:loyalty:dave')",
        demo::PUBLIC_KEY
    );
    assert_ne!(w.eval(&saved).await?, serde_json::Value::Null);
    let forged = "0f".repeat(32);
    let before = w.console().len();
    w.goto(&env.shop_url(&[
        ("customer", "dave"),
        ("customer-sig", &forged),
        ("loyalty", "card"),
    ]))
    .await?;
    w.wait_until(
        "the saved card to be forgotten",
        &format!("{saved} === null"),
    )
    .await?;
    assert!(!w.exists(".kept-loyalty").await?);
    // The shop's developer is told, once, what the signature costs.
    let wrong_sig = |name: &'static str| {
        move |l: &kept_e2e::ConsoleLine| {
            l.text
                .starts_with(&format!("[kept] data-{name}-sig is not "))
        }
    };
    w.wait_for_console("the customer's signature said", wrong_sig("customer"))
        .await?;
    // Said once: the card, sure to be refused, is not asked for (the
    // browser would write its own line for the 404).
    w.wait_until(
        "the widget mounted",
        "document.querySelector('script[data-kept-shown]') !== null",
    )
    .await?;
    let console = w.console_until_now().await?;
    let loyalty: Vec<_> = console[before..]
        .iter()
        .filter(|l| l.text.contains("loyalty status") || l.text.contains("404"))
        .collect();
    assert!(loyalty.is_empty(), "{loyalty:#?}");
    let asked: Vec<_> = w
        .downloads()
        .await?
        .into_iter()
        .filter(|(url, _)| url.contains("/loyalty"))
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
    // A page with the shop's rules in `kept.js?key=…` and a survey due for its
    // order, whose signature is a template left unfilled: the plan with the
    // texts says it is none; the survey is asked all the same, for anyone.
    w.goto(&env.shop_url(&[
        ("loader", "shop"),
        ("order", "o-unsigned"),
        ("order-sig", "{{sig}}"),
        ("survey", NPS),
    ]))
    .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    // Handed over to the whole loader (a survey named), with the rules of
    // the file: no request for them.
    let rules_asked: Vec<_> = w
        .downloads()
        .await?
        .into_iter()
        .filter(|(url, _)| url.contains("texts=false"))
        .collect();
    assert!(rules_asked.is_empty(), "{rules_asked:?}");
    let console = w
        .wait_for_console("the order's signature said", wrong_sig("order"))
        .await?;
    for name in ["customer", "order"] {
        let said = console.iter().filter(|l| wrong_sig(name)(l)).count();
        assert_eq!(said, 1, "{name}, once: {console:#?}");
    }
    assert!(
        console.iter().any(|l| l
            .text
            .starts_with("[kept] data-order-sig is not a signature")),
        "{console:#?}"
    );
    // Nothing else was said against the page: the widget took the page as it is.
    let refusals: Vec<_> = console
        .iter()
        .filter(|l| l.text.contains("widget is not shown") || l.text.contains("must be"))
        .collect();
    assert!(refusals.is_empty(), "{refusals:#?}");
    // A card asked for with a customer's signature left unfilled: the plan's
    // warning says the card is not shown, and no request sure to be refused
    // is made for it.
    let before = w.console().len();
    w.goto(&env.shop_url(&[
        ("customer", "dave"),
        ("customer-sig", "{{sig}}"),
        ("loyalty", "card"),
    ]))
    .await?;
    w.wait_until(
        "the widget mounted",
        "document.querySelector('script[data-kept-shown]') !== null",
    )
    .await?;
    assert!(!w.exists(".kept-loyalty").await?);
    let console = w
        .wait_for_console("the unfilled signature said", |l| {
            l.text
                .starts_with("[kept] data-customer-sig is not a signature")
        })
        .await?;
    let loyalty: Vec<_> = console[before..]
        .iter()
        .filter(|l| l.text.contains("loyalty status"))
        .collect();
    assert!(loyalty.is_empty(), "{loyalty:#?}");
    // A customer's signature on a page that names no customer (its
    // attribute left out): the page is told what is missing, by the rules
    // the generic loader asks for.
    let before = w.console().len();
    w.goto(&env.shop_url(&[("customer-sig", &forged)])).await?;
    w.wait_until(
        "the loader to decide",
        "document.querySelector('script[data-kept-due]') !== null",
    )
    .await?;
    w.wait_for_console("the missing customer said", |l| {
        l.text
            .starts_with("[kept] data-customer-sig is given without data-customer")
    })
    .await?;
    let console = w.console_until_now().await?;
    let said: Vec<_> = console[before..]
        .iter()
        .filter(|l| l.text.contains("data-customer"))
        .collect();
    assert_eq!(said.len(), 1, "{said:#?}");
    env.close().await;
    Ok(())
}

/// The storage key and the entry the widget set answer `id` aside under, once
/// it has.
async fn set_aside(w: &Widget, id: Uuid) -> Result<(String, serde_json::Value)> {
    let key = format!("kept:v1:{}:rejected:{id}", demo::PUBLIC_KEY);
    w.wait_until(
        &format!("answer {id} to be set aside"),
        &format!("localStorage.getItem('{key}') !== null"),
    )
    .await?;
    let entry = serde_json::from_str(&w.storage_get(&key).await?.unwrap_or_default())?;
    Ok((key, entry))
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_answer_is_rejected_with_a_reason_and_does_not_block_the_queue() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open(&env.shop_url(&[("survey", CSAT)])).await?;
    w.wait_for(&survey_screen(CSAT)).await?;

    // Someone edits local storage: an NPS score of 11, queued before a good answer.
    let answer = |score: u8, minutes_ago: i64| Answer {
        id: Uuid::new_v4(),
        shop: demo::SHOP_ID.into(),
        survey: NPS.into(),
        channel: Channel::Web,
        customer_ref: None,
        order_ref: None,
        customer_sig: None,
        order_sig: None,
        store: None,
        answered_at: Utc::now() - Duration::minutes(minutes_ago),
        value: AnswerValue::Nps {
            score,
            reason: None,
        },
    };
    let (tampered, good) = (answer(11, 10), answer(7, 5));
    for a in [&tampered, &good] {
        w.queue_answer(a, None).await?;
    }
    // And one the server cannot even read (a score of 300 is no score): the
    // widget sends it as it was stored, the server refuses the batch holding
    // it, and the widget halves the batch until that answer is set aside.
    let unreadable = answer(3, 8);
    let mut score_300 = serde_json::to_value(&unreadable)?;
    score_300["value"]["score"] = serde_json::json!(300);
    w.queue_answer(&unreadable, Some(&score_300.to_string()))
        .await?;

    // The visitor answers; the sync sends the whole queue.
    answer_csat(&w, 5).await?;
    w.wait_for(".kept-thanks").await?;

    let stored = env.wait_for_answers(2).await?;
    assert!(ids(&stored).contains(&good.id));
    assert!(!ids(&stored).contains(&tampered.id));
    assert!(!ids(&stored).contains(&unreadable.id));
    let (rejected_key, aside) = set_aside(&w, tampered.id).await?;
    let reason = aside["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("11"),
        "the reason says what is wrong: {aside}"
    );
    let (unreadable_aside, aside) = set_aside(&w, unreadable.id).await?;
    assert_eq!(
        aside["answer"]["value"]["score"], 300,
        "kept as it was: {aside}"
    );
    assert!(
        aside["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "with the server's reason: {aside}"
    );
    w.wait_for_empty_queue().await?;

    // Neither is retried: a reload leaves them aside and stores nothing more.
    reload_sends_nothing_more(&env, &w, 2).await?;
    assert!(w.storage_get(&rejected_key).await?.is_some());
    assert!(w.storage_get(&unreadable_aside).await?.is_some());

    w.screenshot("5-tampered-rejected").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_of_one_shop_share_the_queue_without_losing_or_doubling_answers() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    // Each answer is for another order: one answered is not asked again.
    let pages: Vec<String> = (0..=4)
        .map(|n| env.shop_url(&[("survey", CSAT), ("order", &format!("o-{n}"))]))
        .collect();
    let order_page = |n: usize| pages[n].clone();
    let (tab1, tab2) = (
        env.open(&order_page(1)).await?,
        env.open(&order_page(2)).await?,
    );
    for tab in [&tab1, &tab2] {
        tab.wait_for(&survey_screen(CSAT)).await?;
    }

    env.stop_api().await;
    for (n, tab, score) in [(1, &tab1, 4), (2, &tab2, 5), (3, &tab1, 3), (4, &tab2, 2)] {
        tab.bring_to_front().await?;
        answer_csat(tab, score).await?;
        tab.wait_for(".kept-thanks").await?;
        // The next order in the same tab (the first two tabs are open already).
        if n <= 2 {
            tab.goto(&order_page(n + 2)).await?;
        }
    }
    let pending = tab1.storage_keys("pending").await?;
    assert_eq!(
        pending.len(),
        4,
        "both tabs' answers wait in the one queue: {pending:?}"
    );
    assert_eq!(tab2.storage_keys("pending").await?, pending);

    env.restart_api().await?;
    let stored = env.wait_for_answers(4).await?;
    assert_eq!(ids(&stored), pending_ids(&pending));
    // With both queues empty neither tab has anything left to send twice.
    for tab in [&tab1, &tab2] {
        tab.wait_for_empty_queue().await?;
    }
    assert_eq!(env.stored_answers().await?.len(), 4);
    assert!(tab1.storage_keys("rejected").await?.is_empty());

    tab2.screenshot("6-two-tabs").await?;
    env.close().await;
    Ok(())
}

/// Asserts that axe-core finds no accessibility violation on the page as it is now.
async fn assert_accessible(w: &Widget, what: &str) -> Result<()> {
    let violations = w.axe_violations().await?;
    assert!(violations.is_empty(), "axe-core on {what}: {violations:#?}");
    Ok(())
}

/// The survey ids a visitor is asked on this page, skipping each, until the closing.
async fn skip_through(w: &Widget) -> Result<Vec<String>> {
    let mut asked = Vec::new();
    loop {
        w.wait_for(".kept-survey, .kept-thanks").await?;
        let Some(id) = w.attribute(".kept-survey", "data-survey").await? else {
            return Ok(asked);
        };
        asked.push(id.clone());
        w.click(".kept-skip").await?;
        w.wait_until(
            "the next screen",
            &format!(
                "document.querySelector('.kept-host').shadowRoot.querySelector('.kept-survey[data-survey=\"{id}\"]') === null"
            ),
        )
        .await?;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn default_pages_and_the_kiosk_never_ask_the_churn_survey() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let demo = env.open(&format!("{}/demo", env.api_url())).await?;
    assert_eq!(skip_through(&demo).await?, [NPS, CSAT]);
    let kiosk = env
        .open(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    assert_eq!(skip_through(&kiosk).await?, [NPS, CSAT]);
    // Named, it is asked whatever its audience.
    let named = env.open(&env.shop_url(&[("survey", CHURN)])).await?;
    named.wait_for(&survey_screen(CHURN)).await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn skipping_everything_is_remembered_and_thanked_for_the_time_not_the_answer() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    // A real shop's pause: not again for 30 days (the demo shop asks every time).
    for id in [NPS, CSAT] {
        env.edit_survey(id, |s| s.survey.targeting.recontact_days = 30)
            .await?;
    }
    for attrs in [vec![("order", "o-skip")], vec![]] {
        let w = env.open(&env.shop_url(&attrs)).await?;
        assert_eq!(skip_through(&w).await?, [NPS, CSAT], "{attrs:?}");
        assert_eq!(
            w.attribute(".kept-thanks", "data-answered")
                .await?
                .as_deref(),
            Some("false")
        );
        let closing = w.text(".kept-thanks").await?;
        assert!(closing.contains("Thanks for your time"), "{closing}");
        assert!(!closing.contains("answer"), "{closing}");
        if attrs.is_empty() {
            w.screenshot("8-skipped-everything").await?;
        }
        let forget = "localStorage.removeItem('kept:v1:pk_demo:seen')";
        // Asked again after a reload? No: not for this order, nor (without an
        // order) for 30 days. And no "thanks" greets the visitor again either:
        // nothing is shown, nothing but the plan downloaded.
        w.reload().await?;
        assert!(w.decision().await?.is_empty(), "{attrs:?}: asked again");
        assert_eq!(
            w.eval("document.querySelector('.kept-host')").await?,
            serde_json::Value::Null,
            "{attrs:?}"
        );
        // The next round is another visitor.
        w.eval(forget).await?;
    }
    assert!(env.stored_answers().await?.is_empty());

    // A kiosk remembers nobody: the next respondent is asked again.
    let kiosk = env
        .open(&env.shop_url(&[("mode", "kiosk"), ("survey", CSAT)]))
        .await?;
    assert_eq!(skip_through(&kiosk).await?, [CSAT]);
    assert!(
        kiosk
            .text(".kept-thanks")
            .await?
            .contains("Thanks for your time")
    );
    kiosk.click(".kept-next").await?;
    kiosk.wait_for(&survey_screen(CSAT)).await?;

    // The owner's survey funnel counted what the widget showed and what was skipped
    // (two pages skipped NPS and CSAT; the kiosk showed CSAT twice, skipped it once).
    let deadline = std::time::Instant::now() + kept_e2e::WAIT;
    loop {
        let funnel: kept_shared::FunnelReport = env.owner_get("analytics/funnel").await?;
        let row = |id: &str| {
            funnel
                .surveys
                .iter()
                .find(|r| r.survey == id)
                .cloned()
                .unwrap_or_default()
        };
        let (nps, csat) = (row(NPS), row(CSAT));
        if (nps.shown, nps.skipped, csat.shown, csat.skipped) == (2, 2, 4, 3) {
            assert_eq!((nps.answered, csat.answered), (0, 0));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "funnel: {:?}",
            funnel.surveys
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn keyboard_users_pick_scores_with_arrow_keys_and_keep_their_place_after_send() -> Result<()>
{
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&env.shop_url(&[("survey", &format!("{NPS},{CSAT}"))]))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    let checked = r#"[role="radio"][aria-checked="true"]"#;

    // The scale is one tab stop: the first score until one is picked.
    w.press("Tab").await?;
    assert_eq!(w.focused().await?.as_deref(), Some("BUTTON 0"));
    assert!(!w.exists(checked).await?, "focus alone picks nothing");
    for (key, score) in [
        ("ArrowRight", "1"),
        ("ArrowRight", "2"),
        ("End", "10"),
        ("ArrowRight", "0"),
        ("ArrowLeft", "10"),
        ("ArrowUp", "9"),
        ("Home", "0"),
        ("ArrowDown", "1"),
        ("ArrowRight", "2"),
    ] {
        w.press(key).await?;
        assert_eq!(
            w.focused().await?,
            Some(format!("BUTTON {score}")),
            "after {key}"
        );
        assert_eq!(
            w.attribute(checked, "data-score").await?.as_deref(),
            Some(score)
        );
    }
    let tab_stops = w
        .eval("[...document.querySelector('.kept-host').shadowRoot.querySelectorAll('[role=radio]')].filter(r => r.tabIndex === 0).length")
        .await?;
    assert_eq!(tab_stops, 1);

    // Tab leaves the scale for the reason field, then Skip, then Send.
    w.press("Tab").await?;
    assert_eq!(
        w.focused().await?.as_deref().map(|f| &f[..8]),
        Some("TEXTAREA")
    );
    w.press("Tab").await?;
    w.press("Tab").await?;
    assert_eq!(w.focused().await?.as_deref(), Some("BUTTON Send"));
    w.press("Enter").await?;

    // Focus moves to the next question's heading, inside the widget.
    w.wait_for(&survey_screen(CSAT)).await?;
    w.wait_until(
        "focus on the next heading",
        "document.activeElement?.shadowRoot?.activeElement?.tagName === 'H2'",
    )
    .await?;
    assert_eq!(
        w.focused().await?.as_deref(),
        Some("H2 How satisfied are you with your purchase?")
    );
    w.press("Tab").await?;
    assert_eq!(w.focused().await?.as_deref(), Some("BUTTON 1"));
    w.press("ArrowRight").await?;
    w.press("Tab").await?;
    w.press("Tab").await?;
    assert_eq!(w.focused().await?.as_deref(), Some("BUTTON Send"));
    w.press("Enter").await?;
    w.wait_for(".kept-thanks").await?;
    w.wait_until(
        "focus on the thanks heading",
        "document.activeElement?.shadowRoot?.activeElement?.tagName === 'H2'",
    )
    .await?;
    assert_eq!(w.focused().await?.as_deref(), Some("H2 Thank you!"));

    let answers = env.wait_for_answers(2).await?;
    let values: BTreeSet<String> = answers.iter().map(|a| format!("{:?}", a.value)).collect();
    assert_eq!(
        values,
        BTreeSet::from([
            format!(
                "{:?}",
                AnswerValue::Nps {
                    score: 2,
                    reason: None
                }
            ),
            format!("{:?}", AnswerValue::Csat { score: 2 }),
        ])
    );
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_widget_and_the_kiosk_pass_axe_core_checks() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    // The demo shop page, themed in the shop's colours, with the loyalty card.
    let w = env.open(&format!("{}/demo", env.api_url())).await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.wait_for(r#".kept-loyalty[data-current="true"]"#).await?;
    // The check itself can fail: an image without a text alternative is found.
    w.eval(
        "document.body.insertAdjacentHTML('beforeend', '<img id=\"axe-probe\" src=\"data:,\">')",
    )
    .await?;
    let found = w.axe_violations().await?;
    assert!(
        found.iter().any(|v| v.starts_with("image-alt")),
        "axe-core finds a missing alt: {found:#?}"
    );
    w.eval("document.getElementById('axe-probe').remove()")
        .await?;
    assert_accessible(&w, "the demo page with the widget and the loyalty card").await?;
    w.click(r#"[data-score="8"]"#).await?;
    w.wait_for(r#"textarea[name="reason"]"#).await?;
    assert_accessible(&w, "the NPS question with its reason field").await?;
    w.screenshot("9-demo-themed").await?;
    w.click(".kept-submit").await?;
    w.wait_for(&survey_screen(CSAT)).await?;
    w.click(".kept-skip").await?;
    w.wait_for(".kept-thanks").await?;
    assert_accessible(&w, "the thank-you screen").await?;

    let churn = env
        .open(&format!(
            "{}/demo?survey={CHURN}&order=o-axe",
            env.api_url()
        ))
        .await?;
    churn.wait_for(&survey_screen(CHURN)).await?;
    assert_accessible(&churn, "the churn question").await?;

    let kiosk = env
        .open(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    kiosk.wait_for(&survey_screen(NPS)).await?;
    assert_accessible(&kiosk, "the kiosk").await?;
    kiosk.click(r#"[data-score="3"]"#).await?;
    assert_accessible(&kiosk, "the kiosk with the reason field").await?;
    env.close().await;
    Ok(())
}

/// Checks that Send is in view after scrolling to it and that a tap at its centre
/// lands on it, then taps it.
async fn send_is_reachable(w: &Widget, what: &str) -> Result<()> {
    let reach = w.reach(".kept-submit:not([disabled])").await?;
    assert!(reach.in_view, "{what}: Send is not in view: {reach:?}");
    assert!(
        reach.hit,
        "{what}: a tap on Send lands elsewhere: {reach:?}"
    );
    w.click_at(reach.x, reach.y).await
}

#[tokio::test(flavor = "multi_thread")]
async fn send_is_reachable_on_tablets_and_phones_in_the_kiosk_and_inline() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open("about:blank").await?;
    let both = format!("{CHURN},{NPS}");
    for size in Viewport::ALL {
        w.set_viewport(size.width, size.height).await?;
        for mode in ["kiosk", "inline"] {
            let url = match mode {
                "kiosk" => format!("{}/kiosk/{}?survey={both}", env.api_url(), demo::PUBLIC_KEY),
                _ => format!(
                    "{}/demo?survey={both}&order=reach-{}",
                    env.api_url(),
                    size.name
                ),
            };
            // Each size is another visitor: the surveys shown are forgotten (the
            // answers still waiting to be sent are not).
            w.eval("(() => { try { localStorage.removeItem('kept:v1:pk_demo:seen') } catch (e) {} })()")
                .await?;
            w.goto(&url).await?;
            let what = format!("{mode} at {}", size.name);
            assert_eq!(
                w.eval("[innerWidth, innerHeight]").await?,
                serde_json::json!([size.width, size.height]),
                "{what}"
            );
            // The longest question: five reasons, the free-text field, then Send.
            w.wait_for(&survey_screen(CHURN)).await?;
            w.click(r#"input[type="checkbox"][value="delivery"]"#)
                .await?;
            w.eval("window.scrollTo(0, 0); document.querySelector('.kept-host').scrollTop = 0")
                .await?;
            w.screenshot(&format!("10-reach-{mode}-{}", size.name))
                .await?;
            let broken = w.broken_words().await?;
            assert!(broken.is_empty(), "{what}: words broken: {broken:?}");
            send_is_reachable(&w, &format!("churn, {what}")).await?;
            // NPS once the reason field shows.
            w.wait_for(&survey_screen(NPS)).await?;
            w.click(r#"[data-score="9"]"#).await?;
            w.wait_for(r#"textarea[name="reason"]"#).await?;
            send_is_reachable(&w, &format!("NPS, {what}")).await?;
            w.wait_for(".kept-thanks").await?;
        }
    }
    env.wait_for_answers(2 * 2 * Viewport::ALL.len()).await?;
    env.close().await;
    Ok(())
}

/// A shop page written right to left, whose CSS reaches for every `div` and
/// every element (important) and shrinks its root font size, on a 320 px
/// phone, with a question holding a word and an address longer than the
/// screen: the widget keeps its own direction, layout and size, and the page
/// does not scroll sideways.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_hostile_page_a_long_question_keeps_the_widget_in_its_place() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let long_word =
        "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft";
    let address = format!("https://shop.example/{}", "a".repeat(100));
    env.edit_survey(NPS, |s| {
        let en = s.survey.texts.get_mut("en").expect("English texts");
        en.question = format!("Would you recommend the {long_word} to a friend? {address}");
        en.follow_up = Some(format!("Why? {long_word}{long_word}"));
    })
    .await?;
    let w = env.open("about:blank").await?;
    w.set_viewport(320, 568).await?;
    w.goto(&env.shop_url(&[
        ("style", "hostile"),
        ("survey", NPS),
        ("order", "o-hostile"),
        ("locale", "en"),
    ]))
    .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.click(r#"[data-score="7"]"#).await?;
    w.wait_for(r#"textarea[name="reason"]"#).await?;
    w.screenshot("14-hostile-page-phone").await?;
    let in_widget = |js: &str| {
        format!(
            "(() => {{ const root = document.querySelector('.kept-host').shadowRoot; return {js}; }})()"
        )
    };
    assert_eq!(
        w.eval("document.documentElement.scrollWidth").await?,
        serde_json::json!(320),
        "the page does not scroll sideways"
    );
    assert_eq!(
        w.eval(&in_widget("getComputedStyle(root.host).visibility"))
            .await?,
        "visible"
    );
    // The card takes the width the page gives its element (its margins are
    // the page's, and its display: a flex row), no less.
    let widths = w
        .eval(&in_widget(
            "[root.host.clientWidth, root.querySelector('.kept-survey').getBoundingClientRect().width]",
        ))
        .await?;
    assert_eq!(widths[0], widths[1], "{widths}");
    for (property, value) in [
        ("direction", "ltr"),
        ("whiteSpace", "normal"),
        ("letterSpacing", "normal"),
        ("textAlign", "start"),
        ("textIndent", "0px"),
    ] {
        assert_eq!(
            w.eval(&in_widget(&format!(
                "getComputedStyle(root.querySelector('.kept-question')).{property}"
            )))
            .await?,
            value,
            "{property}"
        );
    }
    assert_eq!(
        w.eval(&in_widget(
            "getComputedStyle(root.querySelector('.kept')).fontSize"
        ))
        .await?,
        "16px",
        "the page's root font size does not reach in"
    );
    // 0 on the left, 10 on the right; each score wide enough to tap.
    let boxes: Vec<[f64; 2]> = serde_json::from_value(
        w.eval(&in_widget(
            "[...root.querySelectorAll('.kept-score')].map(b => { const r = b.getBoundingClientRect(); return [r.x, r.width]; })",
        ))
        .await?,
    )?;
    assert!(boxes[0][0] < boxes[10][0], "{boxes:?}");
    assert!(boxes.iter().all(|b| b[1] >= 20.0), "{boxes:?}");
    // A long word breaks where it must; a button's words (10, Skip, Send) do not.
    let lines = w
        .eval(&in_widget(
            "[...root.querySelectorAll('button')].filter(b => b.textContent.trim()).map(b => { \
               const range = document.createRange(); range.selectNodeContents(b); \
               return b.textContent.trim() + ':' + new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })",
        ))
        .await?;
    assert!(
        lines.as_array().is_some_and(|all| all
            .iter()
            .all(|l| l.as_str().is_some_and(|l| l.ends_with(":1")))),
        "{lines}"
    );
    env.close().await;
    Ok(())
}

/// In a box the page sizes by its content, the question is as wide as a
/// phone's width allows, or wider where there is room, and on the page: the
/// widget's own element an item of a shop's flex row (its `main` lays out
/// the title, the text and the widget side by side; or a row of a summary
/// and the widget), or put by `data-target` into a flex row's item, an
/// inline-block, a float or a grid's auto column.
/// It had been 0 px wide (its card past the page's right edge, the page
/// scrolling sideways), and 20em beside a flex row's other items on a phone,
/// past the edge.
#[tokio::test(flavor = "multi_thread")]
async fn in_a_box_sized_by_its_content_the_question_keeps_a_phones_width() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open("about:blank").await?;
    let boxes = [
        ("row", ("style", "row")),
        ("flex-row", ("box", "flex-row")),
        ("flex-item", ("box", "flex-item")),
        ("inline-block", ("box", "inline-block")),
        ("float", ("box", "float")),
        ("grid-auto", ("box", "grid-auto")),
    ];
    for (width, height) in [(390u32, 844u32), (1280, 800)] {
        w.set_viewport(width, height).await?;
        for (name, kind) in boxes {
            // The page's main a row of five (its title, two paragraphs, the
            // script and the widget) is no layout for a phone, whatever the
            // widget does.
            if width == 390 && name == "row" {
                continue;
            }
            let what = format!("{name} at {width} px");
            let order = format!("box-{name}-{width}");
            let mut attrs = vec![kind, ("survey", NPS), ("locale", "en"), ("order", &order)];
            if kind.0 == "box" {
                attrs.push(("target", "#slot"));
            }
            w.goto(&env.shop_url(&attrs)).await?;
            w.wait_for(&survey_screen(NPS)).await?;
            if kind.0 == "box" {
                assert_eq!(
                    w.eval("document.querySelector('.kept-host').parentElement.id")
                        .await?,
                    serde_json::json!("slot"),
                    "{what}"
                );
            }
            if width == 1280 && name == "row" {
                w.screenshot("14b-flex-row-desktop").await?;
            }
            if width == 390 && name == "flex-item" {
                w.screenshot("14b-flex-item-phone").await?;
            }
            let card: [f64; 2] = serde_json::from_value(
                w.eval(
                    "(() => { const r = document.querySelector('.kept-host').shadowRoot \
                       .querySelector('.kept-survey').getBoundingClientRect(); \
                       return [r.right, r.width]; })()",
                )
                .await?,
            )?;
            // On a phone, beside the row's other item, what is left of the
            // width; on a desktop 36em where there is room, and at least
            // 18em (the 0–10 scale's 24 px spacing) in the page's crowded row.
            let least = match (width, name) {
                (390, _) => 280.0,
                (_, "row") => 288.0,
                _ => 576.0,
            };
            assert!(
                card[1] >= least,
                "{what}: the card's [right, width]: {card:?}"
            );
            assert!(card[0] <= f64::from(width), "{what}: {card:?}");
            assert_eq!(
                w.eval("document.documentElement.scrollWidth").await?,
                serde_json::json!(width),
                "{what}: the page does not scroll sideways"
            );
            let broken = w.broken_words().await?;
            assert!(broken.is_empty(), "{what}: words broken: {broken:?}");
        }
    }
    env.close().await;
    Ok(())
}

/// In a box the shop made narrower than the scale's 24 px spacing allows
/// (240 px), the 0–10 scale takes two rows, 0–5 over 6–10: on one, its
/// buttons had been 14 px wide and "10" broken in two.
#[tokio::test(flavor = "multi_thread")]
async fn in_a_narrow_box_the_scale_takes_two_rows() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open("about:blank").await?;
    w.set_viewport(390, 844).await?;
    w.goto(&env.shop_url(&[
        ("box", "narrow"),
        ("target", "#slot"),
        ("survey", NPS),
        ("locale", "en"),
        ("order", "narrow-box"),
    ]))
    .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.screenshot("14b-narrow-box").await?;
    // Each score's box: [top, centre x].
    let boxes: Vec<[f64; 2]> = serde_json::from_value(
        w.eval(
            "[...document.querySelector('.kept-host').shadowRoot.querySelectorAll('.kept-score')]\
             .map(b => { const r = b.getBoundingClientRect(); return [r.top, r.x + r.width / 2]; })",
        )
        .await?,
    )?;
    let rows: Vec<usize> = [boxes[0][0], boxes[6][0]]
        .iter()
        .map(|top| boxes.iter().filter(|b| b[0] == *top).count())
        .collect();
    assert_eq!(rows, [6, 5], "0–5 over 6–10: {boxes:?}");
    for pair in boxes[..6].windows(2).chain(boxes[6..].windows(2)) {
        assert!(pair[1][1] - pair[0][1] >= 24.0, "{pair:?}");
    }
    let broken = w.broken_words().await?;
    assert!(broken.is_empty(), "words broken: {broken:?}");
    env.close().await;
    Ok(())
}

/// A visitor who set their browser's default font to 32 px on a 320 px phone
/// gets the 0–10 scale in two rows with its digits near their size, not the
/// 12 px of one row's room (an outside test found them at a third of it).
#[tokio::test(flavor = "multi_thread")]
async fn the_scores_digits_follow_the_visitors_large_font() -> Result<()> {
    use chromiumoxide::cdp::browser_protocol::page::{FontSizes, SetFontSizesParams};
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open("about:blank").await?;
    w.set_viewport(320, 640).await?;
    w.page
        .execute(SetFontSizesParams::new(
            FontSizes::builder().standard(32).fixed(32).build(),
        ))
        .await?;
    w.goto(&env.shop_url(&[("survey", NPS), ("locale", "ru"), ("order", "large-font")]))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.screenshot("14c-large-default-font").await?;
    let digits: Vec<f64> = serde_json::from_value(
        w.eval(
            "[...document.querySelector('.kept-host').shadowRoot.querySelectorAll('.kept-score')]\
             .map(b => parseFloat(getComputedStyle(b).fontSize))",
        )
        .await?,
    )?;
    assert!(digits.iter().all(|px| *px >= 18.0), "{digits:?}");
    let broken = w.broken_words().await?;
    assert!(broken.is_empty(), "words broken: {broken:?}");
    env.close().await;
    Ok(())
}

/// A loyalty card the server sends after the question is shown does not move
/// the question (under the visitor's finger), on a shop's page or in a kiosk.
#[tokio::test(flavor = "multi_thread")]
async fn a_loyalty_card_arriving_late_leaves_the_question_where_it_is() -> Result<()> {
    use chromiumoxide::cdp::browser_protocol::fetch::ContinueRequestParams;
    use futures::StreamExt;
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let question_top = "document.querySelector('.kept-host').shadowRoot.querySelector('.kept-question').getBoundingClientRect().top";
    for (n, mode) in ["inline", "kiosk"].into_iter().enumerate() {
        let w = env.open("about:blank").await?;
        w.set_viewport(1024, 768).await?;
        let mut held = w.hold_requests("*/loyalty*").await?;
        let customer = format!("late-{n}");
        w.goto(&env.shop_url(&[
            ("mode", mode),
            ("customer", &customer),
            ("loyalty", "card"),
            ("survey", NPS),
            ("order", &format!("o-late-{n}")),
        ]))
        .await?;
        let Ok(Some(card)) = tokio::time::timeout(kept_e2e::WAIT, held.next()).await else {
            anyhow::bail!("{mode}: no loyalty request");
        };
        w.wait_for(&survey_screen(NPS)).await?;
        let before = w.eval(question_top).await?;
        w.page
            .execute(ContinueRequestParams::new(card.request_id.clone()))
            .await?;
        w.wait_for(".kept-loyalty").await?;
        assert_eq!(w.eval(question_top).await?, before, "{mode}");
        w.screenshot(&format!("15-late-card-{mode}")).await?;
    }
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_the_nps_scale_keeps_one_row_and_skip_and_send_their_words_whole() -> Result<()>
{
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open("about:blank").await?;
    for width in [320u32, 375] {
        w.set_viewport(width, 740).await?;
        for locale in ["en", "ru", "uk"] {
            let what = format!("{width} px, {locale}");
            w.goto(&format!(
                "{}/demo?survey={NPS}&locale={locale}&order=phone-{width}-{locale}",
                env.api_url()
            ))
            .await?;
            assert_eq!(
                w.eval("innerWidth").await?,
                serde_json::json!(width),
                "{what}"
            );
            w.wait_for(&survey_screen(NPS)).await?;
            w.click(r#"[data-score="7"]"#).await?;
            w.wait_for(r#"textarea[name="reason"]"#).await?;
            // Each score's box: [top, centre x, width, height].
            let boxes: Vec<[f64; 4]> = serde_json::from_value(
                w.eval(
                    "[...document.querySelector('.kept-host').shadowRoot.querySelectorAll('.kept-score')]\
                     .map(b => { const r = b.getBoundingClientRect(); return [r.top, r.x + r.width / 2, r.width, r.height]; })",
                )
                .await?,
            )?;
            assert_eq!(boxes.len(), 11);
            assert!(
                boxes.iter().all(|b| b[0] == boxes[0][0]),
                "{what}: 0–10 on one row: {boxes:?}"
            );
            // WCAG 2.2 2.5.8: 24 px targets, or 24 px circles around each that do not overlap.
            for pair in boxes.windows(2) {
                assert!(
                    pair[1][1] - pair[0][1] >= 24.0,
                    "{what}: scores closer than 24 px: {pair:?}"
                );
            }
            assert!(boxes.iter().all(|b| b[3] >= 24.0), "{what}: {boxes:?}");
            // Skip and Send side by side at 320 px had broken "Пропустить"
            // before its last letter.
            let broken = w.broken_words().await?;
            assert!(broken.is_empty(), "{what}: words broken: {broken:?}");
            // Where both fit (a 375 px phone, in each language), side by side.
            if width == 375 {
                let tops = w
                    .eval(
                        "['.kept-skip', '.kept-submit'].map(s => document.querySelector('.kept-host').shadowRoot.querySelector(s).getBoundingClientRect().top)",
                    )
                    .await?;
                assert_eq!(tops[0], tops[1], "{what}: Skip and Send side by side");
            }
            let widths = w
                .eval("[document.documentElement.scrollWidth, innerWidth, document.querySelector('.kept-host').getBoundingClientRect().right]")
                .await?;
            assert!(
                widths[0] == widths[1] && widths[2].as_f64() <= widths[1].as_f64(),
                "{what}: no sideways scrolling (page width, window width, widget's right edge): {widths}"
            );
            w.screenshot(&format!("11-phone-{width}-{locale}")).await?;
        }
    }
    env.close().await;
    Ok(())
}

/// Checks that a refused widget said so in exactly one `[kept] ` line containing
/// `expected`, without Rust debug dumps, and left nothing on the page.
async fn refused_in_one_line(w: &Widget, expected: &str) -> Result<()> {
    w.wait_until(
        "the widget to give up",
        "document.querySelector('.kept-host') === null",
    )
    .await?;
    let console = w
        .wait_for_console("the widget's line", |l| {
            l.from_script() && l.text.starts_with("[kept] ")
        })
        .await?;
    let kept: Vec<_> = console
        .iter()
        .filter(|l| l.from_script() && l.text.starts_with("[kept] "))
        .collect();
    assert_eq!(kept.len(), 1, "one line: {console:#?}");
    assert!(kept[0].text.contains(expected), "{console:#?}");
    assert!(
        console
            .iter()
            .all(|l| !l.text.contains("JsValue") && !l.text.contains("panicked")),
        "{console:#?}"
    );
    // No box: what follows the script tag sits right under the text before it.
    let gap = w
        .eval("document.getElementById('after-widget').getBoundingClientRect().top - document.querySelector('main > p').getBoundingClientRect().bottom")
        .await?;
    assert!(
        gap.as_f64().unwrap_or(f64::MAX) <= 20.0,
        "a gap of {gap} px"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widget_the_api_refuses_says_why_in_one_line_and_shows_nothing() -> Result<()> {
    // Against a stand-in that answers as issue 8 specifies for the server, so the
    // widget's side is tested whatever the server does today.
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let api = env.refusing_api_url();
    let w = env
        .open(&env.shop_url(&[("api", &api), ("key", "pk_unknown"), ("customer", "alice")]))
        .await?;
    refused_in_one_line(&w, "no shop has the key pk_unknown").await?;
    let w = env
        .open(&env.shop_url(&[("api", &api), ("mode", "kiosk")]))
        .await?;
    refused_in_one_line(&w, "is not allowed for shop demo").await?;
    w.screenshot("12-refused-kiosk").await?;
    env.close().await;
    Ok(())
}

/// A shop whose policy allows inline styles only by nonce (so `'unsafe-inline'`
/// counts for nothing) still gets the widget styled: its stylesheet is a
/// constructed one, and the card's progress is set through the CSSOM.
#[tokio::test(flavor = "multi_thread")]
async fn a_shop_page_with_a_strict_style_policy_gets_the_widget_styled() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&env.shop_url(&[
            ("csp", "nonce"),
            ("customer", "alice"),
            ("loyalty", "card"),
            ("survey", NPS),
        ]))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.wait_for(".kept-loyalty").await?;
    let styled = w
        .eval(
            "(() => { const root = document.querySelector('.kept-host').shadowRoot; \
             const fill = root.querySelector('.kept-progress-fill'); \
             const bar = root.querySelector('[role=progressbar]'); \
             return [getComputedStyle(root.querySelector('.kept-score')).borderRadius, \
                     fill.style.width == bar.getAttribute('aria-valuenow') + '%' \
                       && fill.getBoundingClientRect().width > 0, \
                     root.querySelectorAll('style').length]; })()",
        )
        .await?;
    assert_eq!(styled, serde_json::json!(["8px", true, 0]));
    let refused: Vec<String> = w
        .console()
        .into_iter()
        .map(|l| l.text)
        .filter(|t| t.contains("Content Security Policy"))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
    w.screenshot("2-strict-style-policy").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_an_origin_the_shop_did_not_list_shows_nothing_and_says_why() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&env.unlisted_shop_url(&[("customer", "alice")]))
        .await?;
    refused_in_one_line(&w, "is not allowed").await?;
    // The snippet with the shop's rules, on a page where a survey would be
    // due: the server sends the generic loader to a page the API refuses, so
    // nothing of the widget is downloaded before the refusal.
    let w = env
        .open(&env.unlisted_shop_url(&[("loader", "shop"), ("order", "o-1")]))
        .await?;
    refused_in_one_line(&w, "is not allowed").await?;
    let downloads = w.downloads().await?;
    assert!(
        downloads
            .iter()
            .all(|(url, _)| !url.contains("kept-widget")),
        "{downloads:#?}"
    );
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mistyped_key_shows_nothing_and_says_why() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env.open(&env.shop_url(&[("key", "pk_dmeo")])).await?;
    refused_in_one_line(&w, "pk_dmeo").await?;
    // In the src (kept.js?key=…): the server, with no shop's rules to write in,
    // sends the generic loader, which reads the key from its src and asks.
    let w = env
        .open(&env.shop_url(&[("key", "pk_dmeo"), ("loader", "shop")]))
        .await?;
    refused_in_one_line(&w, "no shop has the key \"pk_dmeo\"").await?;
    env.close().await;
    Ok(())
}
