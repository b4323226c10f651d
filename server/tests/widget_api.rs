//! The widget's routes, on both engines: surveys, idempotent answer batches,
//! validation, loyalty status and CORS.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use common::{ORIGIN, TestApp};
use kept_server::demo;
use kept_shared::limits::{MAX_BATCH_ANSWERS, MAX_BODY_BYTES};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{
    Answer, AnswerValue, ErrorCode, LoyaltyStatus, ShopSurveys, SyncBatch, ValidationError, api,
};
use uuid::Uuid;

fn nps(score: u8) -> AnswerBuilder {
    AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, score)
        .customer("alice")
        .order("order-1")
}

fn csat(score: u8) -> AnswerBuilder {
    AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, score)
}

fn churn(reasons: &[&str], other: Option<&str>) -> AnswerBuilder {
    AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, reasons, other)
}

on_both_engines!(
    surveys_are_served_by_public_key_with_their_targeting,
    resending_a_batch_stores_each_answer_once_and_says_so,
    an_answer_id_holds_one_answer,
    every_answer_comes_back_as_it_was_sent,
    bad_answers_are_rejected_with_reasons_and_good_ones_still_stored,
    oversized_empty_and_malformed_batches_get_a_clear_4xx_and_store_nothing,
    free_text_is_stored_without_control_or_bidi_override_characters,
    loyalty_of_an_unknown_customer_is_zero_at_the_first_tier_and_refs_are_checked,
    cors_allows_only_the_shops_origins_and_says_why_to_the_others,
    an_unknown_key_is_a_404_any_page_can_read,
);

async fn surveys_are_served_by_public_key_with_their_targeting(app: TestApp) {
    let reply = app.get(&api::surveys(demo::PUBLIC_KEY)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let got: ShopSurveys = reply.json();
    assert_eq!(got.shop.id, "demo");
    let ids: Vec<_> = got.surveys.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [demo::NPS_SURVEY, demo::CSAT_SURVEY, demo::CHURN_SURVEY]
    );
    assert!(
        got.surveys
            .iter()
            .all(|s| ["en", "ru", "uk"].iter().all(|l| s.texts.contains_key(*l)))
    );
    // Buyers on an order page see NPS and CSAT; the churn survey is for lapsed customers.
    let by_default: Vec<_> = got
        .surveys
        .iter()
        .filter(|s| s.targeting.audience == kept_shared::Audience::Everyone)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(by_default, [demo::NPS_SURVEY, demo::CSAT_SURVEY]);
}

async fn an_unknown_key_is_a_404_any_page_can_read(app: TestApp) {
    for key in ["pk_nope", "bad%20key"] {
        let reply = app
            .get_with(
                &api::surveys(key),
                &[("origin", "https://anywhere.example")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{key}");
        assert_eq!(reply.error().code, ErrorCode::UnknownKey);
        assert!(
            reply.error().message.contains("data-key"),
            "{}",
            reply.error().message
        );
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    // A key of kilobytes is said by a glance of it, not whole.
    let long = "k".repeat(5_000);
    let reply = app.get(&api::surveys(&long)).await;
    assert_eq!(reply.error().code, ErrorCode::UnknownKey);
    let message = reply.error().message;
    assert!(
        message.starts_with(r#"no shop has the key "kkkk"#),
        "{message}"
    );
    assert!(message.chars().count() < 200, "{message}");
}

async fn resending_a_batch_stores_each_answer_once_and_says_so(app: TestApp) {
    let batch = vec![nps(9).build(), csat(4).build()];
    let first = app.send_answers(&batch).await;
    assert_eq!(first.stored, vec![batch[0].id, batch[1].id]);
    assert!(first.duplicates.is_empty() && first.rejected.is_empty());

    let second = app.send_answers(&batch).await;
    assert!(second.stored.is_empty());
    assert_eq!(second.duplicates, vec![batch[0].id, batch[1].id]);
    assert_eq!(app.stored().await.len(), 2);
}

/// An answer twice in a batch is one answer, its id in the receipt once (it
/// had been both stored and a duplicate, against the receipt's own rule).
/// An id holding two different answers, in one batch or across two, is
/// rejected (`id_taken`), nothing stored in place of the first: another score
/// under a stored answer's id had been a "duplicate", dropped in silence.
async fn an_answer_id_holds_one_answer(app: TestApp) {
    let a = nps(7).build();
    let receipt = app.send_answers(&[a.clone(), a.clone()]).await;
    assert_eq!(
        (receipt.stored, receipt.duplicates, receipt.rejected.len()),
        (vec![a.id], vec![], 0)
    );
    assert_eq!(app.stored().await, vec![a.clone()]);

    let mut other_score = a.clone();
    other_score.value = AnswerValue::Nps {
        score: 2,
        reason: None,
    };
    let mut other_survey = csat(4).build();
    other_survey.id = a.id;
    let mut other_channel = a.clone();
    other_channel.channel = kept_shared::Channel::Kiosk;
    let mut other_time = a.clone();
    other_time.answered_at -= chrono::Duration::seconds(5);
    for taken in [other_score.clone(), other_survey, other_channel, other_time] {
        let receipt = app.send_answers(std::slice::from_ref(&taken)).await;
        assert!(receipt.stored.is_empty() && receipt.duplicates.is_empty());
        assert_eq!(receipt.rejected.len(), 1);
        assert_eq!(receipt.rejected[0].id, a.id);
        assert_eq!(
            receipt.rejected[0].reason,
            ValidationError::IdTaken {
                id: a.id.to_string()
            }
        );
    }
    // Sent again as it was, it is a duplicate still.
    let again = app.send_answers(std::slice::from_ref(&a)).await;
    assert_eq!(again.duplicates, vec![a.id]);
    // A churn answer's reasons are what a score is to the others (other
    // reasons had been a "duplicate", dropped); its text is not compared (a
    // shop may keep texts only for a while).
    let why = churn(&["price", "quality"], Some("too dear")).build();
    app.send_answers(std::slice::from_ref(&why)).await;
    let mut other_reasons = why.clone();
    other_reasons.value = AnswerValue::ChurnReason {
        reasons: vec!["quality".into(), "price".into()],
        other: Some("too dear".into()),
    };
    let receipt = app.send_answers(std::slice::from_ref(&other_reasons)).await;
    assert_eq!(receipt.rejected.len(), 1, "{receipt:?}");
    let mut other_text = why.clone();
    other_text.value = AnswerValue::ChurnReason {
        reasons: vec!["price".into(), "quality".into()],
        other: Some("far too dear".into()),
    };
    let receipt = app.send_answers(std::slice::from_ref(&other_text)).await;
    assert_eq!(receipt.duplicates, vec![why.id]);

    let b = nps(9).build();
    let mut b_changed = b.clone();
    b_changed.value = AnswerValue::Nps {
        score: 1,
        reason: None,
    };
    let c = csat(5).build();
    let receipt = app.send_answers(&[b.clone(), c.clone(), b_changed]).await;
    assert_eq!(receipt.stored, vec![c.id]);
    assert!(receipt.duplicates.is_empty());
    assert_eq!(
        receipt.rejected.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![b.id]
    );
    assert_eq!(
        app.stored().await.len(),
        3,
        "the first answer, the churn answer and c"
    );
}

async fn every_answer_comes_back_as_it_was_sent(app: TestApp) {
    let t = chrono::Utc::now() - chrono::Duration::hours(1);
    let answers = vec![
        nps(3).reason("Coffee arrived stale").at(t).build(),
        csat(5).at(t + chrono::Duration::seconds(1)).build(),
        churn(&["quality", "price"], Some("Found a roaster nearby"))
            .customer("bob")
            .at(t + chrono::Duration::seconds(2))
            .build(),
        churn(&[], Some("moved away"))
            .at(t + chrono::Duration::seconds(3))
            .build(),
    ];
    // A client that sends microseconds: both engines keep the millisecond.
    let mut sent = answers.clone();
    sent[1].answered_at += chrono::Duration::microseconds(456);
    app.send_answers(&sent).await;
    assert_eq!(app.stored().await, answers);
}

async fn bad_answers_are_rejected_with_reasons_and_good_ones_still_stored(app: TestApp) {
    let good = nps(10).build();
    let out_of_range = nps(11).build();
    let unknown_reason = churn(&["weather"], None).build();
    let unknown_survey = AnswerBuilder::csat(demo::SHOP_ID, "no-such-survey", 3).build();
    let wrong_kind = AnswerBuilder::nps(demo::SHOP_ID, demo::CSAT_SURVEY, 3).build();
    let too_long = nps(3).reason(&"x".repeat(1001)).build();
    let nil_id = nps(5).id(Uuid::nil()).build();
    let batch = [
        good.clone(),
        out_of_range.clone(),
        unknown_reason.clone(),
        unknown_survey.clone(),
        wrong_kind.clone(),
        too_long.clone(),
        nil_id.clone(),
    ];

    let receipt = app.send_answers(&batch).await;
    assert_eq!(receipt.stored, vec![good.id]);
    let reasons: Vec<(Uuid, ValidationError)> = receipt
        .rejected
        .iter()
        .map(|r| (r.id, r.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                out_of_range.id,
                ValidationError::ScoreOutOfRange {
                    score: 11,
                    min: 0,
                    max: 10
                }
            ),
            (
                unknown_reason.id,
                ValidationError::UnknownReason {
                    reason: "weather".into()
                }
            ),
            (
                unknown_survey.id,
                ValidationError::UnknownSurvey {
                    survey: "no-such-survey".into()
                }
            ),
            (
                wrong_kind.id,
                ValidationError::WrongKind {
                    survey: demo::CSAT_SURVEY.into(),
                    expected: "csat".into(),
                    got: "nps".into()
                }
            ),
            (
                too_long.id,
                ValidationError::TooLong {
                    field: "reason".into(),
                    len: 1001,
                    max: 1000
                }
            ),
            (
                nil_id.id,
                ValidationError::NotRandomId {
                    id: Uuid::nil().to_string()
                }
            ),
        ]
    );
    assert_eq!(receipt.rejected[0].message, "score 11 is outside 0–10");
    assert_eq!(app.stored().await, vec![good]);
}

/// Whether the widget splits a batch the server answered with `reply`, to find
/// the answer at fault, rather than retrying it for ever: every refusal of a
/// whole batch must be one `refuses_the_batch` names.
fn assert_the_widget_splits_it(reply: &common::Reply) {
    assert!(
        kept_shared::sync::refuses_the_batch(reply.status.as_u16()),
        "{}: {}",
        reply.status,
        reply.error().message
    );
}

async fn oversized_empty_and_malformed_batches_get_a_clear_4xx_and_store_nothing(app: TestApp) {
    let too_many: Vec<Answer> = (0..=MAX_BATCH_ANSWERS).map(|_| nps(5).build()).collect();
    let reply = app
        .post_answers_raw(serde_json::to_vec(&SyncBatch { answers: too_many }).unwrap())
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BatchTooLarge)
    );
    assert_the_widget_splits_it(&reply);
    assert!(
        reply.error().message.contains("at most 100"),
        "{}",
        reply.error().message
    );

    let reply = app.post_answers_raw(r#"{"answers": []}"#).await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
    assert_the_widget_splits_it(&reply);
    assert!(
        reply.error().message.contains("at least one"),
        "{}",
        reply.error().message
    );

    let reply = app.post_answers_raw("x".repeat(MAX_BODY_BYTES + 1)).await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
    );
    assert_the_widget_splits_it(&reply);

    // Broken JSON is a 400; JSON of the wrong shape a 422: among them one answer
    // in a queue someone edited, a score of 300.
    let mut score_300 = serde_json::to_value(SyncBatch {
        answers: vec![nps(5).build(), nps(6).build()],
    })
    .unwrap();
    score_300["answers"][1]["value"]["score"] = serde_json::json!(300);
    let score_300 = score_300.to_string();
    for (body, status) in [
        (score_300.as_str(), StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"answers": [{"id": 1}]}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("{", StatusCode::BAD_REQUEST),
        ("null", StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"answers": "x"}"#, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let reply = app.post_answers_raw(body.to_string()).await;
        assert_eq!(
            (reply.status, reply.error().code),
            (status, ErrorCode::BadRequest),
            "{body}"
        );
        assert!(!reply.error().message.is_empty());
        assert_the_widget_splits_it(&reply);
    }

    assert!(app.stored().await.is_empty());
}

async fn free_text_is_stored_without_control_or_bidi_override_characters(app: TestApp) {
    let a = nps(4)
        .reason("slow\u{0} \u{202E}gnippihs\u{202C}\r\nand\ttepid\u{7}")
        .build();
    let receipt = app.send_answers(std::slice::from_ref(&a)).await;
    assert_eq!(receipt.stored, vec![a.id]);
    let stored = app.stored().await;
    assert_eq!(
        stored[0].value,
        AnswerValue::Nps {
            score: 4,
            reason: Some("slow gnippihs\nand\ttepid".into())
        }
    );
    // Nothing left but what is removed, or spaces: no reason at all (it had
    // been stored as "").
    for nothing in ["\u{202E}\u{202C}\u{2066}", " \n\t "] {
        let a = nps(4).reason(nothing).build();
        app.send_answers(std::slice::from_ref(&a)).await;
        let stored = app.stored().await;
        let got = stored.iter().find(|s| s.id == a.id).unwrap();
        assert_eq!(
            got.value,
            AnswerValue::Nps {
                score: 4,
                reason: None
            },
            "{nothing:?}"
        );
    }
}

async fn loyalty_of_an_unknown_customer_is_zero_at_the_first_tier_and_refs_are_checked(
    app: TestApp,
) {
    let reply = app.get(&common::signed_loyalty("newcomer")).await;
    let status: LoyaltyStatus = reply.json();
    assert_eq!(
        (
            status.points,
            status.tier.as_str(),
            status.next_tier.as_ref().unwrap().points_needed
        ),
        (0, "Bronze", 500)
    );
    assert_eq!(status.tier_name("uk"), "Бронза");
    for bad in ["bad%20ref", "a%FFb", &"x".repeat(200)] {
        let reply = app.get(&api::loyalty(demo::PUBLIC_KEY, bad)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.error().code, ErrorCode::BadRequest);
    }
}

async fn cors_allows_only_the_shops_origins_and_says_why_to_the_others(app: TestApp) {
    async fn preflight(app: &TestApp, origin: &str) -> common::Reply {
        app.raw(
            Method::OPTIONS,
            &api::answers(demo::PUBLIC_KEY),
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            "",
        )
        .await
    }
    let ok = preflight(&app, ORIGIN).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(
        ok.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert_eq!(ok.header("access-control-max-age"), Some("7200"));

    let refused = preflight(&app, "https://evil.example").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(refused.header("vary").unwrap().contains("origin"));
    let why = refused.error();
    assert_eq!(why.code, ErrorCode::OriginNotAllowed);
    assert!(
        why.message.contains("https://evil.example"),
        "{}",
        why.message
    );

    let allowed = app
        .get_with(&api::surveys(demo::PUBLIC_KEY), &[("origin", ORIGIN)])
        .await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(
        allowed
            .header("vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")
    );

    // Another origin gets nothing of the shop's, but may read why: the widget
    // there says what to fix instead of failing in silence.
    let other = app
        .get_with(
            &api::surveys(demo::PUBLIC_KEY),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let e = other.error();
    assert_eq!(e.code, ErrorCode::OriginNotAllowed);
    // Added to the list, not put in place of it (`--origin` replaces the list).
    assert!(
        e.message.contains("https://evil.example")
            && e.message
                .contains("kept-server shop set demo --add-origin https://evil.example"),
        "{}",
        e.message
    );
    assert_eq!(other.header("access-control-allow-origin"), Some("*"));
    // An opaque origin (a sandboxed frame, a file) is none a shop could list:
    // no advice to list it.
    let opaque = app
        .get_with(&api::surveys(demo::PUBLIC_KEY), &[("origin", "null")])
        .await;
    assert_eq!(opaque.status, StatusCode::FORBIDDEN);
    let e = opaque.error();
    assert_eq!(e.code, ErrorCode::OriginNotAllowed);
    assert!(
        e.message.contains("sandboxed iframe") && !e.message.contains("--add-origin"),
        "{}",
        e.message
    );
    let answered = app
        .raw(
            Method::POST,
            &api::answers(demo::PUBLIC_KEY),
            &[
                ("origin", "https://evil.example"),
                ("content-type", "application/json"),
            ],
            serde_json::to_vec(&SyncBatch {
                answers: vec![nps(9).build()],
            })
            .unwrap(),
        )
        .await;
    assert_eq!(answered.status, StatusCode::FORBIDDEN);
    assert!(app.stored().await.is_empty());

    // The Kept server's own pages (the kiosk) are same-origin.
    let same = app
        .get_with(
            &api::surveys(demo::PUBLIC_KEY),
            &[
                ("origin", "http://kept.local:8080"),
                ("host", "kept.local:8080"),
            ],
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);

    // Owner routes never answer cross-origin requests.
    let report = app
        .get_with(
            &api::report(demo::SHOP_ID),
            &[
                ("origin", ORIGIN),
                ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
            ],
        )
        .await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.header("access-control-allow-origin").is_none());
}
