//! A person uses the product: each scenario drives the real widget in headless
//! Chromium against the real server, then checks what the database or the owner
//! report holds, and saves a screenshot of the final screen under target/.

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::{Duration, Utc};
use kept_e2e::{Env, Widget};
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

/// Reloads the page and checks, after the widget has had time to sync, that the
/// database still holds exactly `n` answers.
async fn reload_sends_nothing_more(env: &Env, w: &Widget, n: usize) -> Result<()> {
    w.reload().await?;
    w.wait_for(".kept-survey").await?;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
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
        .open(&format!("{}/demo?survey={NPS}", env.api_url()))
        .await?;

    answer_nps(&w, 9, "Fast delivery, great beans").await?;
    w.wait_for(".kept-thanks").await?;

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
            reason: Some("Fast delivery, great beans".into())
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

    // Answered for this order: a reload thanks the visitor instead of asking again.
    w.reload().await?;
    w.wait_for(".kept-thanks").await?;
    assert!(
        !w.exists(".kept-survey").await?,
        "the survey is not asked twice for one order"
    );
    assert_eq!(env.stored_answers().await?.len(), 1);

    w.screenshot("1-nps-answered").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_given_offline_survive_a_reload_and_sync_once_when_back() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    let w = env.open(&env.shop_url(&[("customer", "bob")])).await?;
    w.wait_for(&survey_screen(NPS)).await?;

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

    w.reload().await?;
    // The page works from its cache while the API is down, and the queue is intact.
    w.wait_for(".kept-survey").await?;
    let after = w.storage_keys("pending").await?;
    assert_eq!(after, before, "the queue survives the reload");

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
            ("kiosk-idle-seconds", "2"),
        ]))
        .await?;

    w.wait_for(&survey_screen(NPS)).await?;
    w.click(r#"[data-score="4"]"#).await?;
    w.type_into(r#"textarea[name="reason"]"#, "half an answer")
        .await?;
    assert!(
        w.exists(r#"[aria-checked="true"]"#).await?,
        "the score is picked"
    );
    let picked =
        r#"document.querySelector('.kept-host').shadowRoot.querySelector('[aria-checked="true"]')"#;
    w.wait_until("the idle reset", &format!("{picked} === null"))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.value_of(r#"textarea[name="reason"]"#).await?, "");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(
        env.stored_answers().await?.is_empty(),
        "an abandoned answer is not sent"
    );
    assert!(w.storage_keys("pending").await?.is_empty());

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

    let w = env.open(&env.shop_url(&[("customer", "dave")])).await?;
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
    env.close().await;
    Ok(())
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
        answered_at: Utc::now() - Duration::minutes(minutes_ago),
        value: AnswerValue::Nps {
            score,
            reason: None,
        },
    };
    let (tampered, good) = (answer(11, 10), answer(7, 5));
    for a in [&tampered, &good] {
        let key = format!("kept:v1:{}:pending:{}", demo::PUBLIC_KEY, a.id);
        w.storage_set(&key, &serde_json::to_string(a)?).await?;
    }

    // The visitor answers; the sync sends the whole queue.
    answer_csat(&w, 5).await?;
    w.wait_for(".kept-thanks").await?;

    let stored = env.wait_for_answers(2).await?;
    assert!(ids(&stored).contains(&good.id));
    assert!(!ids(&stored).contains(&tampered.id));
    let rejected_key = format!("kept:v1:{}:rejected:{}", demo::PUBLIC_KEY, tampered.id);
    w.wait_until(
        "the tampered answer to be set aside",
        &format!("localStorage.getItem('{rejected_key}') !== null"),
    )
    .await?;
    let aside: serde_json::Value =
        serde_json::from_str(&w.storage_get(&rejected_key).await?.unwrap())?;
    let reason = aside["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("11"),
        "the reason says what is wrong: {aside}"
    );
    w.wait_for_empty_queue().await?;

    // It is not retried: a reload leaves it aside and stores nothing more.
    reload_sends_nothing_more(&env, &w, 2).await?;
    assert!(w.storage_get(&rejected_key).await?.is_some());

    w.screenshot("5-tampered-rejected").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_of_one_shop_share_the_queue_without_losing_or_doubling_answers() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let mut env = Env::start().await?;
    let url = env.shop_url(&[("survey", CSAT)]);
    let (tab1, tab2) = (env.open(&url).await?, env.open(&url).await?);
    for tab in [&tab1, &tab2] {
        tab.wait_for(&survey_screen(CSAT)).await?;
    }

    env.stop_api().await;
    for (tab, score) in [(&tab1, 4), (&tab2, 5), (&tab1, 3), (&tab2, 2)] {
        answer_csat(tab, score).await?;
        tab.wait_for(".kept-thanks").await?;
        tab.reload().await?;
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
    for tab in [&tab1, &tab2] {
        tab.wait_for_empty_queue().await?;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(env.stored_answers().await?.len(), 4);
    assert!(tab1.storage_keys("rejected").await?.is_empty());

    tab2.screenshot("6-two-tabs").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_dashboard_shows_the_report_only_with_the_owner_token() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    let w = env
        .open(&format!("{}/demo?survey={NPS}", env.api_url()))
        .await?;
    answer_nps(&w, 10, "Lovely").await?;
    env.wait_for_answers(1).await?;

    let dash = env.open(&format!("{}/dashboard", env.api_url())).await?;
    let page = &dash.page;
    page.find_element("#token")
        .await?
        .click()
        .await?
        .type_str("ot_wrong")
        .await?;
    page.find_element("button").await?.click().await?;
    dash.wait_until(
        "the error",
        "document.getElementById('error').textContent.includes('wrong')",
    )
    .await?;
    assert_eq!(
        dash.eval("document.getElementById('report').hidden")
            .await?,
        serde_json::Value::Bool(true)
    );

    dash.eval("document.getElementById('token').value = ''")
        .await?;
    page.find_element("#token")
        .await?
        .click()
        .await?
        .type_str(demo::OWNER_TOKEN)
        .await?;
    page.find_element("button").await?.click().await?;
    dash.wait_until(
        "the report",
        "document.getElementById('nps').textContent === '100'",
    )
    .await?;
    let counts = dash
        .eval("document.getElementById('nps-counts').textContent")
        .await?;
    assert!(
        counts
            .as_str()
            .unwrap_or_default()
            .starts_with("1 answer · 1 promoter"),
        "{counts}"
    );

    dash.screenshot("7-dashboard").await?;
    env.close().await;
    Ok(())
}
