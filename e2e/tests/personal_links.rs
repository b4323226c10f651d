//! A personal link in the real browser, on a phone: the back office asks for a
//! "why did you stop buying?" link for a customer's last order; the customer
//! opens it, answers, and the answer is stored once, verified, on the link
//! channel; opened again, the link says it was answered.

use anyhow::Result;
use kept_e2e::{Env, Widget};
use kept_server::demo;
use kept_shared::{AnswerValue, Channel};

const CHURN: &str = demo::CHURN_SURVEY;

async fn message(w: &Widget) -> Result<String> {
    w.wait_until(
        "the link's message",
        "document.querySelector('[data-testid=link-message]') !== null",
    )
    .await?;
    Ok(
        w.eval("document.querySelector('[data-testid=link-message]').textContent")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_personal_link_is_answered_once_on_a_phone() -> Result<()> {
    let env = Env::start().await?;
    let link = env.personal_link("carol", "o-4242", CHURN).await?;
    let w = env.open("about:blank").await?;
    w.set_viewport(375, 740).await?;
    w.goto(&link.url).await?;
    w.wait_for(&format!(r#".kept-survey[data-survey="{CHURN}"]"#))
        .await?;
    w.click(r#"input[type="checkbox"][value="price"]"#).await?;
    w.type_into(r#"textarea[name="other"]"#, "Found a cheaper roaster")
        .await?;
    w.click(".kept-submit").await?;
    w.wait_for(".kept-thanks").await?;
    w.screenshot("14-link-answered-phone").await?;

    let answers = env.wait_for_answers(1).await?;
    let a = &answers[0];
    assert_eq!(a.channel, Channel::Link);
    assert_eq!(
        (a.customer_ref.as_deref(), a.order_ref.as_deref()),
        (Some("carol"), Some("o-4242"))
    );
    assert!(matches!(&a.value, AnswerValue::ChurnReason { reasons, .. } if reasons == &["price"]));
    let records = env.api().db().answers(demo::SHOP_ID).await?;
    assert!(records[0].verified, "a link's answer is verified");

    // Opened again (or forwarded): answered already, no second survey.
    w.wait_for_empty_queue().await?;
    w.goto(&link.url).await?;
    assert!(message(&w).await?.contains("already answered"));
    w.screenshot("14-link-already-answered").await?;
    env.close().await;
    Ok(())
}

/// Answered while the server could not hear it, and opened again once it
/// can, before the answer waiting in this browser has reached it: the link
/// thanks again rather than asking again (the server keeps one answer per
/// link, and would drop a second without a word); the answer is sent once.
#[tokio::test(flavor = "multi_thread")]
async fn a_link_answered_offline_is_not_asked_again_before_its_answer_is_sent() -> Result<()> {
    let mut env = Env::start().await?;
    let link = env.personal_link("carol", "o-4343", CHURN).await?;
    let w = env.open("about:blank").await?;
    w.set_viewport(375, 740).await?;
    w.goto(&link.url).await?;
    w.wait_for(&format!(r#".kept-survey[data-survey="{CHURN}"]"#))
        .await?;
    env.stop_api().await;
    w.click(r#"input[type="checkbox"][value="quality"]"#)
        .await?;
    w.click(".kept-submit").await?;
    w.wait_for(".kept-thanks").await?;
    assert_eq!(w.storage_keys("pending").await?.len(), 1);
    // Left before the server is back, so that this page's own retries do not
    // send the answer first.
    w.goto("about:blank").await?;

    env.restart_api().await?;
    w.goto(&link.url).await?;
    w.wait_for(r#".kept-thanks[data-answered="true"]"#).await?;
    assert!(!w.exists(".kept-survey").await?, "not asked again");
    w.screenshot("14-link-answered-offline-reopened").await?;
    let answers = env.wait_for_answers(1).await?;
    assert!(
        matches!(&answers[0].value, AnswerValue::ChurnReason { reasons, .. } if reasons == &["quality"])
    );
    w.wait_for_empty_queue().await?;
    w.goto(&link.url).await?;
    assert!(message(&w).await?.contains("already answered"));
    env.close().await;
    Ok(())
}
