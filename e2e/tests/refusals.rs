//! When the server (or a proxy in front of it) refuses the widget's batches, in
//! the real browser: a batch refused as a whole is split until the answer at
//! fault is set aside with the server's reason, and every other answer is
//! stored; a `429` is waited out as long as its `Retry-After` says.
//!
//! The refusals are made by the browser's request interception (the DevTools
//! Fetch domain) in front of the real server: a real Kept server never refuses a
//! well-formed batch as a whole, but a proxy with a small body limit does, and
//! so would a server of another version.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EventRequestPaused, FulfillRequestParams, HeaderEntry,
};
use chrono::{Duration, Utc};
use futures::StreamExt;
use kept_e2e::{Env, Widget};
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{Answer, SyncBatch};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Puts `n` answers in the page's queue, as a widget that could not send them
/// left them, and returns them.
async fn queue_answers(w: &Widget, n: usize) -> Result<Vec<Answer>> {
    let mut answers = Vec::new();
    for i in 0..n {
        let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, (i % 11) as u8)
            .at(Utc::now() - Duration::minutes((n - i) as i64))
            .build();
        w.queue_answer(&answer, None).await?;
        answers.push(answer);
    }
    Ok(answers)
}

/// The answers in an intercepted batch.
fn batch_of(event: &EventRequestPaused) -> Result<Vec<Answer>> {
    let mut body = Vec::new();
    for entry in event.request.post_data_entries.iter().flatten() {
        if let Some(bytes) = &entry.bytes {
            body.extend(
                base64::engine::general_purpose::STANDARD.decode(AsRef::<str>::as_ref(bytes))?,
            );
        }
    }
    Ok(serde_json::from_slice::<SyncBatch>(&body)
        .context("an intercepted batch")?
        .answers)
}

/// Answers an intercepted request as the server (or a proxy) would, readable by
/// the shop's page.
async fn fulfil(
    page: &Page,
    event: &EventRequestPaused,
    status: i64,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<()> {
    let mut reply = FulfillRequestParams::builder()
        .request_id(event.request_id.clone())
        .response_code(status)
        .response_header(HeaderEntry::new("content-type", "application/json"))
        .response_header(HeaderEntry::new("access-control-allow-origin", "*"))
        .response_header(HeaderEntry::new(
            "access-control-expose-headers",
            "retry-after",
        ))
        .body(base64::engine::general_purpose::STANDARD.encode(body));
    for (name, value) in headers {
        reply = reply.response_header(HeaderEntry::new(*name, *value));
    }
    page.execute(reply.build().map_err(anyhow::Error::msg)?)
        .await?;
    Ok(())
}

async fn pass_on(page: &Page, event: &EventRequestPaused) -> Result<()> {
    page.execute(ContinueRequestParams::new(event.request_id.clone()))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_refused_as_a_whole_is_split_and_the_answer_at_fault_set_aside() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    // The answers are put in the queue on a page of the shop without the widget.
    let w = env.open(&env.shop_url(&[("page", "bare")])).await?;
    let answers = queue_answers(&w, 9).await?;
    let bad = answers[5].id;
    let mut paused = w.hold_requests("*/answers").await?;
    // A server that cannot read the bad answer refuses every batch holding it.
    let page = w.page.clone();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let server = tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            if event.request.method != "POST" {
                pass_on(&page, &event).await?;
                continue;
            }
            let batch = batch_of(&event)?;
            let refuse = batch.iter().any(|a| a.id == bad);
            seen.lock().unwrap().push((batch.len(), refuse));
            if refuse {
                let body =
                    format!(r#"{{"code":"bad_request","message":"cannot read answer {bad}"}}"#);
                fulfil(&page, &event, 400, &[], &body).await?;
            } else {
                pass_on(&page, &event).await?;
            }
        }
        anyhow::Ok(())
    });
    // On a page with the widget, it sends them.
    w.goto(&env.shop_url(&[])).await?;
    env.wait_for_answers(answers.len() - 1).await?;
    w.wait_for_empty_queue().await?;
    server.abort();
    // 9, then 4 without the bad answer and 4 with it, then 2, then 1 and 1, then
    // the 3 after it, in full batches again.
    assert_eq!(
        *sizes.lock().unwrap(),
        [
            (9, true),
            (4, false),
            (4, true),
            (2, true),
            (1, false),
            (1, true),
            (3, false)
        ]
    );
    let stored = env.stored_answers().await?;
    assert_eq!(stored.len(), answers.len() - 1);
    assert!(stored.iter().all(|a| a.id != bad));
    // Set aside in the browser with the server's reason, never sent again.
    let rejected = w.storage_keys("rejected").await?;
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].ends_with(&bad.to_string()));
    let entry = w.storage_get(&rejected[0]).await?.unwrap_or_default();
    assert!(entry.contains("cannot read answer"), "{entry}");
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_waited_out_as_retry_after_says() -> Result<()> {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = Env::start().await?;
    // The answers are put in the queue on a page of the shop without the widget.
    let w = env.open(&env.shop_url(&[("page", "bare")])).await?;
    let answers = queue_answers(&w, 1).await?;
    let mut paused = w.hold_requests("*/answers").await?;
    w.goto(&env.shop_url(&[])).await?;
    let mut turned_away_at = None;
    loop {
        let Ok(Some(event)) = tokio::time::timeout(kept_e2e::WAIT, paused.next()).await else {
            anyhow::bail!("the widget never came back");
        };
        if event.request.method != "POST" {
            pass_on(&w.page, &event).await?;
            continue;
        }
        match turned_away_at {
            None => {
                turned_away_at = Some(Instant::now());
                let body =
                    r#"{"code":"rate_limited","message":"too many requests; try again in 3 s"}"#;
                fulfil(&w.page, &event, 429, &[("retry-after", "3")], body).await?;
            }
            Some(at) => {
                // Its own first retry would come within a second.
                let waited = at.elapsed();
                assert!(
                    waited >= std::time::Duration::from_millis(2900),
                    "came back after {waited:?}"
                );
                pass_on(&w.page, &event).await?;
                break;
            }
        }
    }
    let stored = env.wait_for_answers(1).await?;
    assert_eq!(stored[0].id, answers[0].id);
    env.close().await;
    Ok(())
}
