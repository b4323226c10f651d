//! Property tests of the answer endpoint: arbitrary JSON, and answers whose
//! every field takes arbitrary values, never get a 5xx, and nothing invalid is
//! ever stored (every stored answer passes the shared rules).

mod common;

use chrono::Utc;
use common::{Engine, TestApp};
use kept_server::demo;
use kept_shared::validate::validate_answer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A field's value: a plausible one or anything at all.
fn field(plausible: Value) -> impl Strategy<Value = Option<Value>> {
    field_from(Just(plausible))
}

fn field_from(plausible: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        12 => plausible.prop_map(Some),
        1 => Just(None),
        2 => any_json().prop_map(Some),
    ]
}

/// An answer-shaped object whose every field may be wrong in any way.
fn answer_like() -> impl Strategy<Value = Value> {
    let now = Utc::now().to_rfc3339();
    (
        field_from(any::<u128>().prop_map(|n| json!(uuid::Uuid::from_u128(n)))),
        field(json!(demo::SHOP_ID)),
        field(json!(demo::NPS_SURVEY)),
        field(json!("web")),
        field(json!("alice")),
        field(json!("o-1")),
        field(json!(now)),
        field(json!({"kind": "nps", "score": 9})),
        (0u8..=20, any::<String>()),
    )
        .prop_map(
            |(id, shop, survey, channel, customer, order, at, value, (score, text))| {
                let mut m = serde_json::Map::new();
                for (k, v) in [
                    ("id", id),
                    ("shop", shop),
                    ("survey", survey),
                    ("channel", channel),
                    ("customer_ref", customer),
                    ("order_ref", order),
                    ("answered_at", at),
                    ("value", value),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                // A value of the right shape with arbitrary contents, now and then.
                if score % 3 == 0 {
                    m.insert(
                        "value".into(),
                        json!({"kind": "nps", "score": score, "reason": text}),
                    );
                }
                Value::Object(m)
            },
        )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        proptest::collection::vec(answer_like(), 0..4)
            .prop_map(|a| serde_json::to_vec(&json!({ "answers": a })).unwrap()),
        any::<Vec<u8>>(),
    ]
}

#[test]
fn no_body_gets_a_5xx_and_nothing_invalid_is_stored() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::new(Engine::Sqlite));
    let mut runner = TestRunner::new(Config {
        cases: 400,
        // A failure prints its minimal case; nothing is written to the source tree.
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&body(), |body| {
            let reply = rt.block_on(app.post_answers_raw(body));
            prop_assert!(
                !reply.status.is_server_error(),
                "{}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
            // Every answer is the API's JSON, success or error.
            prop_assert!(serde_json::from_slice::<Value>(&reply.body).is_ok());
            Ok(())
        })
        .unwrap();
    let surveys: Vec<_> = rt
        .block_on(app.db.surveys(demo::SHOP_ID, true))
        .unwrap()
        .into_iter()
        .map(|r| r.survey)
        .collect();
    let stored = rt.block_on(app.stored());
    // The plausible answers among them were stored: the rules were reached.
    assert!(!stored.is_empty());
    for answer in &stored {
        // Judged at the time it was received: within the rules then, and now.
        assert_eq!(
            validate_answer(demo::SHOP_ID, &surveys, answer, Utc::now()),
            Ok(()),
            "{answer:?}"
        );
    }
}
