//! Webhooks against a local receiver, on both engines: a detractor's answer is
//! delivered, signed, after the receiver failed twice (three attempts in the
//! log, one event id); an event queued while no deliverer runs is delivered
//! after a restart; the receiver can tell a forged body by the signature.

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use common::TestApp;
use kept_server::outbound::Receivers;
use kept_server::webhooks::{DeliveryTiming, EVENT_ID_HEADER, SIGNATURE_HEADER, signature};
use kept_server::{AppConfig, HEADER_READ_TIMEOUT, RunningServer, demo};
use kept_shared::testing::AnswerBuilder;
use kept_shared::webhooks::{
    Delivery, DeliveryState, EventKind, NewWebhook, Webhook, WebhookEvent,
};

/// What the receiver got: each request's event id, signature and body.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

struct Receiver {
    url: String,
    received: Received,
    task: tokio::task::JoinHandle<()>,
}

/// A receiver that answers 500 to its first `failures` requests, then 200.
async fn receiver(failures: usize) -> Receiver {
    let received: Received = Arc::default();
    let state = (received.clone(), Arc::new(Mutex::new(failures)));
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State((received, left)): State<(Received, Arc<Mutex<usize>>)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    received.lock().unwrap().push((
                        header(EVENT_ID_HEADER),
                        header(SIGNATURE_HEADER),
                        String::from_utf8_lossy(&body).to_string(),
                    ));
                    let mut left = left.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url,
        received,
        task,
    }
}

/// The receiver's check: the signature is the one the endpoint's secret makes
/// of this body at its timestamp.
fn signed_by(secret: &str, header: &str, body: &str) -> bool {
    let Some(t) = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return false;
    };
    signature(secret, t, body) == header
}

/// The owner's request to register an endpoint.
async fn post_webhook(app: &TestApp, url: &str, events: Vec<EventKind>) -> common::Reply {
    app.raw(
        Method::POST,
        &format!("/api/v1/shops/{}/webhooks", demo::SHOP_ID),
        &[
            ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
            ("content-type", "application/json"),
        ],
        serde_json::to_string(&NewWebhook {
            url: url.into(),
            events,
        })
        .unwrap(),
    )
    .await
}

async fn register(app: &TestApp, url: &str, events: Vec<EventKind>) -> Webhook {
    let reply = post_webhook(app, url, events).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.json()
}

async fn log(app: &TestApp, webhook: &str) -> Vec<Delivery> {
    app.get_with(
        &format!(
            "/api/v1/shops/{}/webhooks/{webhook}/deliveries",
            demo::SHOP_ID
        ),
        &[("authorization", &format!("Bearer {}", demo::OWNER_TOKEN))],
    )
    .await
    .json()
}

async fn serve(app: &TestApp) -> RunningServer {
    serve_with(
        app,
        DeliveryTiming {
            poll: Duration::from_millis(20),
            first_retry: Duration::from_millis(100),
            ..DeliveryTiming::default()
        },
    )
    .await
}

async fn serve_with(app: &TestApp, timing: DeliveryTiming) -> RunningServer {
    RunningServer::serve_with(
        app.db.clone(),
        "127.0.0.1:0".parse().unwrap(),
        AppConfig {
            webhook_timing: timing,
            // The receivers here listen on loopback.
            webhook_receivers: Receivers::Any,
            ..AppConfig::default()
        },
        HEADER_READ_TIMEOUT,
    )
    .await
    .unwrap()
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "waited too long for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_detractor_is_delivered_signed_after_two_failures(app: TestApp) {
    let receiver = receiver(2).await;
    let hook = register(
        &app,
        &receiver.url,
        vec![EventKind::Detractor, EventKind::Churn],
    )
    .await;
    let secret = hook.secret.clone().expect("the secret, shown once");
    assert!(secret.starts_with("whsec_"));
    let server = serve(&app).await;
    let unhappy = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 3)
        .reason("Cold coffee")
        .build();
    app.send_answers(&[
        unhappy.clone(),
        // Not events, or not of a kind the endpoint takes.
        AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 10).build(),
        AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 1).build(),
    ])
    .await;
    wait_for("the delivery", async || {
        log(&app, &hook.id)
            .await
            .first()
            .is_some_and(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    server.stop().await;
    let deliveries = log(&app, &hook.id).await;
    assert_eq!(deliveries.len(), 1);
    let statuses: Vec<_> = deliveries[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert_eq!(deliveries[0].next_attempt_at, None);
    // Three requests, one event: the same id and body each time, each signed.
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    assert!(
        received
            .iter()
            .all(|(id, _, body)| *id == deliveries[0].event_id && *body == received[0].2)
    );
    for (_, sig, body) in &received {
        assert!(signed_by(&secret, sig, body), "{sig}");
        assert!(!signed_by(&secret, sig, &body.replace("Cold", "Warm")));
        assert!(!signed_by("whsec_other", sig, body));
    }
    let event: WebhookEvent = serde_json::from_str(&received[0].2).unwrap();
    assert_eq!(
        (event.kind, event.answer.map(|a| a.id)),
        (EventKind::Detractor, Some(unhappy.id))
    );
    assert_eq!(event.shop, demo::SHOP_ID);
    receiver.task.abort();
}

/// An endpoint's deliveries follow each other as fast as its receiver
/// answers: each place freed is taken at once, not at the next look for due
/// deliveries (one a second had let an endpoint take 4 a second). With no
/// look after the first, more events than an endpoint's places all arrive.
async fn a_freed_place_is_taken_without_waiting_for_the_next_look(app: TestApp) {
    let receiver = receiver(0).await;
    let hook = register(&app, &receiver.url, vec![EventKind::Detractor]).await;
    let detractors: Vec<_> = (0..12)
        .map(|_| AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 1).build())
        .collect();
    app.send_answers(&detractors).await;
    let server = serve_with(
        &app,
        DeliveryTiming {
            poll: Duration::from_secs(3600),
            ..DeliveryTiming::default()
        },
    )
    .await;
    wait_for("every delivery", async || {
        log(&app, &hook.id)
            .await
            .iter()
            .filter(|d| d.state == DeliveryState::Delivered)
            .count()
            == detractors.len()
    })
    .await;
    server.stop().await;
    assert_eq!(receiver.received.lock().unwrap().len(), detractors.len());
    receiver.task.abort();
}

async fn an_event_queued_while_no_deliverer_runs_survives_a_restart(app: TestApp) {
    let receiver = receiver(0).await;
    let hook = register(&app, &receiver.url, vec![EventKind::Churn]).await;
    // Acknowledged by the in-process app: no deliverer runs, as if the server
    // had died right after the receipt.
    let churn = AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, &["price"], None).build();
    let receipt = app.send_answers(std::slice::from_ref(&churn)).await;
    assert_eq!(receipt.stored, vec![churn.id]);
    assert_eq!(log(&app, &hook.id).await[0].state, DeliveryState::Pending);
    let server = serve(&app).await;
    wait_for("the delivery", async || {
        receiver.received.lock().unwrap().len() == 1
    })
    .await;
    wait_for("the log", async || {
        log(&app, &hook.id).await[0].state == DeliveryState::Delivered
    })
    .await;
    server.stop().await;
    // The same answer again is a duplicate: no second event.
    app.send_answers(&[churn]).await;
    assert_eq!(log(&app, &hook.id).await.len(), 1);
    receiver.task.abort();
}

async fn endpoints_are_checked_listed_and_removed(app: TestApp) {
    let owner = |method: Method, rest: String, body: String| {
        let app = &app;
        async move {
            app.raw(
                method,
                &format!("/api/v1/shops/{}/{rest}", demo::SHOP_ID),
                &[
                    ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
                    ("content-type", "application/json"),
                ],
                body,
            )
            .await
        }
    };
    for bad in [
        r#"{"url":"ftp://x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"not a url","events":["answer.churn"]}"#,
        r#"{"url":"https://x.example/h","events":[]}"#,
        r#"{"url":"https://user:secret@x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"https://:@x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"https:user:pw@x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"https:\\\\user:pw@x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"https:/user@x.example/h","events":["answer.churn"]}"#,
        r#"{"url":"https://x.example:0/h","events":["answer.churn"]}"#,
        r#"{"url":"https://exa\tmple.com/h","events":["answer.churn"]}"#,
        r#"{"url":"https://example.com/\u0007x","events":["answer.churn"]}"#,
        r#"{"url":"https://example.com/\u202ex","events":["answer.churn"]}"#,
    ] {
        let reply = owner(Method::POST, "webhooks".into(), bad.into()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let empty = owner(
        Method::POST,
        "webhooks".into(),
        r#"{"url":" ","events":["answer.churn"]}"#.into(),
    )
    .await;
    assert_eq!(
        empty.error().fields[0].problem,
        kept_shared::FieldProblem::Empty
    );
    let unknown = owner(
        Method::POST,
        "webhooks".into(),
        r#"{"url":"https://x.example/h","events":["answer.praise"]}"#.into(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let made = register(
        &app,
        "https://hooks.example.com/kept",
        vec![EventKind::LowCsat],
    )
    .await;
    let listed: Vec<Webhook> = owner(Method::GET, "webhooks".into(), String::new())
        .await
        .json();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].secret, None, "the secret is shown only once");
    let gone = owner(
        Method::DELETE,
        format!("webhooks/{}", made.id),
        String::new(),
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = owner(
        Method::DELETE,
        format!("webhooks/{}", made.id),
        String::new(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// Requests at the same moment cannot pass the limit together (an outside
/// test made 22 endpoints with 20 at once): each counts what the others wrote.
async fn the_endpoint_limit_holds_for_requests_at_the_same_moment(app: TestApp) {
    use kept_shared::webhooks::MAX_WEBHOOKS;
    let urls: Vec<String> = (0..MAX_WEBHOOKS + 10)
        .map(|i| format!("https://hooks.example.com/k{i}"))
        .collect();
    let replies = futures_util::future::join_all(
        urls.iter()
            .map(|url| post_webhook(&app, url, vec![EventKind::LowCsat])),
    )
    .await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, MAX_WEBHOOKS);
    for refused in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            matches!(
                refused.error().fields[0].problem,
                kept_shared::FieldProblem::AtMost { max, .. } if max == MAX_WEBHOOKS as u64
            ),
            "{:?}",
            refused.error()
        );
    }
    let listed: Vec<Webhook> = app.owner_reply("webhooks").await.json();
    assert_eq!(listed.len(), MAX_WEBHOOKS);
}

/// The at-risk look reads the customers, then writes what it found: a
/// customer erased in between is left out then, so that neither their
/// reference nor an event of theirs comes back after the erasure.
async fn a_customer_erased_after_the_at_risk_look_is_not_brought_back(app: TestApp) {
    use kept_server::db::{NewEvent, RiskChange};
    let hook = register(
        &app,
        "https://hooks.example.com/risk",
        vec![EventKind::AtRisk],
    )
    .await;
    let event = |who: &str| NewEvent {
        answer_id: uuid::Uuid::nil(),
        event_id: format!("evt_risk_{who}"),
        kind: EventKind::AtRisk,
        payload: format!(r#"{{"customer":"{who}"}}"#),
    };
    // Alice is stored; Ghost was erased after the look saw them.
    app.db
        .mark_at_risk(
            demo::SHOP_ID,
            RiskChange {
                day: chrono::Utc::now().date_naive(),
                entered: vec!["alice".into(), "ghost".into()],
                left: Vec::new(),
                events: vec![event("alice"), event("ghost")],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        app.db.customers_at_risk(demo::SHOP_ID).await.unwrap(),
        ["alice"]
    );
    let queued: Vec<String> = log(&app, &hook.id)
        .await
        .into_iter()
        .map(|d| d.event_id)
        .collect();
    assert_eq!(queued, ["evt_risk_alice"]);
}

async fn a_good_customer_entering_an_at_risk_segment_is_an_event_once(app: TestApp) {
    use chrono::{Duration as Days, Utc};
    use kept_shared::{CustomerDetail, RecordPurchase, Segment};
    let buy = |customer: &'static str, id: String, days_ago: i64, cents: u64| {
        let app = &app;
        async move {
            let mut p = RecordPurchase::new(customer, &id, cents);
            p.purchased_at = Some(Utc::now() - Days::days(days_ago));
            let reply = app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
            assert_eq!(reply.status, StatusCode::OK);
        }
    };
    // Frank bought a dozen times, much, and then stopped; the others bought once, lately.
    for n in 0..12 {
        buy("frank", format!("f-{n}"), 300 - n * 10, 50_000).await;
    }
    for (n, c) in ["g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"]
        .into_iter()
        .enumerate()
    {
        buy(c, format!("g-{n}"), 3 + n as i64, 1_000).await;
    }
    let owner_get = |rest: String| {
        let app = &app;
        async move {
            app.get_with(
                &format!("/api/v1/shops/{}/{rest}", demo::SHOP_ID),
                &[("authorization", &format!("Bearer {}", demo::OWNER_TOKEN))],
            )
            .await
        }
    };
    let frank: CustomerDetail = owner_get("customers/frank".into()).await.json();
    let segment = frank.rfm.unwrap().segment;
    assert!(
        matches!(segment, Segment::AtRisk | Segment::CantLose),
        "{segment:?}"
    );

    let hook = register(
        &app,
        "https://hooks.example.com/risk",
        vec![EventKind::AtRisk],
    )
    .await;
    assert_eq!(
        kept_server::at_risk::look(app.db.as_ref()).await.unwrap(),
        1
    );
    let queued = log(&app, &hook.id).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].kind, EventKind::AtRisk);
    // Still at risk an hour later: no second event.
    assert_eq!(
        kept_server::at_risk::look(app.db.as_ref()).await.unwrap(),
        0
    );
    // Back, and then away again: an event again when he enters again.
    buy("frank", "f-back".into(), 0, 50_000).await;
    assert_eq!(
        kept_server::at_risk::look(app.db.as_ref()).await.unwrap(),
        0
    );
    assert!(
        app.db
            .customers_at_risk(demo::SHOP_ID)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(log(&app, &hook.id).await.len(), 1);
}

/// Failing past the time allowed (three days by default; moments here), the
/// delivery is given up: no more attempts, and the log says so.
async fn a_delivery_that_keeps_failing_is_given_up_in_time(app: TestApp) {
    // Nothing listens on the discard port: every attempt is refused.
    let hook = register(&app, "http://127.0.0.1:9/hook", vec![EventKind::Churn]).await;
    app.send_answers(&[
        AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, &["price"], None).build(),
    ])
    .await;
    let server = serve_with(
        &app,
        DeliveryTiming {
            poll: Duration::from_millis(20),
            first_retry: Duration::from_millis(50),
            give_up_after: Duration::from_millis(400),
            ..DeliveryTiming::default()
        },
    )
    .await;
    wait_for("giving up", async || {
        log(&app, &hook.id).await[0].state == DeliveryState::GaveUp
    })
    .await;
    server.stop().await;
    let delivery = &log(&app, &hook.id).await[0];
    assert_eq!(delivery.next_attempt_at, None);
    assert!(delivery.attempts.len() >= 2, "{:?}", delivery.attempts);
    assert!(
        delivery
            .attempts
            .iter()
            .all(|a| a.status.is_none() && a.error.is_some())
    );
}

/// What a slow receiver has seen: the requests it answered, the ones it
/// holds now, and the most it held at once.
#[derive(Default)]
struct Held {
    answered: usize,
    now: usize,
    most: usize,
}

/// A receiver that answers its first `answered` requests at once and then
/// never answers.
async fn slow_receiver(answered: usize) -> (String, Arc<Mutex<Held>>, tokio::task::JoinHandle<()>) {
    let held: Arc<Mutex<Held>> = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(move |State(held): State<Arc<Mutex<Held>>>| async move {
                {
                    let mut h = held.lock().unwrap();
                    if h.answered < answered {
                        h.answered += 1;
                        return StatusCode::OK;
                    }
                    h.now += 1;
                    h.most = h.most.max(h.now);
                }
                std::future::pending::<StatusCode>().await
            }),
        )
        .with_state(held.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, held, task)
}

/// A backlog at a receiver that answers slowly holds up no other endpoint's
/// delivery, and has at most four attempts in flight, also once some of them
/// have ended: an outside test flooded one shop's endpoints and another
/// shop's event waited past 200 s, as each look for due deliveries took the
/// oldest twenty and waited for the slowest.
async fn a_flooded_silent_endpoint_holds_up_no_other(app: TestApp) {
    let (slow_url, held, slow_task) = slow_receiver(2).await;
    let slow = register(&app, &slow_url, vec![EventKind::Detractor]).await;
    let flood: Vec<_> = (0..60)
        .map(|_| AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 0).build())
        .collect();
    assert_eq!(app.send_answers(&flood).await.stored.len(), 60);
    let other = receiver(0).await;
    let hook = register(&app, &other.url, vec![EventKind::Detractor]).await;
    let delivered = |n: usize| {
        let (app, hook) = (&app, hook.id.clone());
        async move {
            log(app, &hook)
                .await
                .iter()
                .filter(|d| d.state == DeliveryState::Delivered)
                .count()
                >= n
        }
    };
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 1).build()])
        .await;
    let server = serve(&app).await;
    wait_for("the other endpoint's delivery", async || delivered(1).await).await;
    // Delivered while the slow receiver still holds its attempts (they end
    // only at the 10 s request timeout), but the two it answered at once.
    let attempted: usize = log(&app, &slow.id)
        .await
        .iter()
        .map(|d| d.attempts.len())
        .sum();
    assert!(attempted <= 2, "{attempted} attempts ended");
    // The two answered at once freed their places, and the next looks took
    // two more, not four: one more event, once its delivery to the other
    // endpoint is in, marks a look past that.
    wait_for("the slow receiver's first two", async || {
        held.lock().unwrap().answered == 2
    })
    .await;
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2).build()])
        .await;
    wait_for("the mark's delivery", async || delivered(2).await).await;
    let most = held.lock().unwrap().most;
    assert!(most <= 4, "{most} held at once");
    assert_eq!(held.lock().unwrap().now, 4, "the places left taken");
    server.stop().await;
    slow_task.abort();
    other.task.abort();
}

/// One shop's deliveries take at most 16 of the deliverer's 64 places,
/// whatever its endpoints: the outside attacker's test of the first fair
/// deliverer had two shops with ten silent endpoints each fill every place
/// (four each), and every other shop's events then waited for the 10 s
/// request timeouts. Here one shop's ten silent endpoints hold 16 requests,
/// not 40, and another shop's events are delivered at once.
async fn a_shop_with_many_silent_endpoints_takes_a_quarter_of_the_places(app: TestApp) {
    let (slow_url, held, slow_task) = slow_receiver(0).await;
    for i in 0..10 {
        register(
            &app,
            &format!("{slow_url}?n={i}"),
            vec![EventKind::Detractor],
        )
        .await;
    }
    let flood: Vec<_> = (0..60)
        .map(|_| AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 0).build())
        .collect();
    assert_eq!(app.send_answers(&flood).await.stored.len(), 60);

    let other = app.add_shop("other", chrono_tz::UTC).await;
    let fast = receiver(0).await;
    let registered = app
        .raw(
            Method::POST,
            "/api/v1/shops/other/webhooks",
            &[
                ("authorization", &format!("Bearer {}", other.owner_token)),
                ("content-type", "application/json"),
            ],
            serde_json::to_string(&NewWebhook {
                url: fast.url.clone(),
                events: vec![EventKind::Detractor],
            })
            .unwrap(),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED);
    let detractor_of_other = || {
        let (app, key) = (&app, other.public_key.clone());
        async move {
            app.post_json(
                &kept_shared::api::answers(&key),
                None,
                &kept_shared::SyncBatch {
                    answers: vec![AnswerBuilder::nps("other", demo::NPS_SURVEY, 0).build()],
                },
            )
            .await
            .assert_ok();
        }
    };
    detractor_of_other().await;

    let server = serve(&app).await;
    let received = |n: usize| fast.received.lock().unwrap().len() >= n;
    wait_for("the other shop's event", async || received(1)).await;
    wait_for("the silent endpoints' places taken", async || {
        held.lock().unwrap().now >= 16
    })
    .await;
    // One more event of the other shop, once delivered, marks a look past
    // the one that filled the silent shop's places.
    detractor_of_other().await;
    wait_for("the mark's delivery", async || received(2)).await;
    let most = held.lock().unwrap().most;
    assert_eq!(most, 16, "held at once by one shop's endpoints");
    server.stop().await;
    slow_task.abort();
    fast.task.abort();
}

on_both_engines!(
    a_freed_place_is_taken_without_waiting_for_the_next_look,
    a_shop_with_many_silent_endpoints_takes_a_quarter_of_the_places,
    a_flooded_silent_endpoint_holds_up_no_other,
    a_delivery_that_keeps_failing_is_given_up_in_time,
    a_good_customer_entering_an_at_risk_segment_is_an_event_once,
    a_customer_erased_after_the_at_risk_look_is_not_brought_back,
    a_detractor_is_delivered_signed_after_two_failures,
    an_event_queued_while_no_deliverer_runs_survives_a_restart,
    endpoints_are_checked_listed_and_removed,
    the_endpoint_limit_holds_for_requests_at_the_same_moment,
    webhooks_go_to_public_addresses_only_unless_the_server_allows_private_ones,
);

/// An owner cannot make Kept call its own network: a private address is refused
/// when registered, and a delivery to one (an endpoint registered while the
/// server allowed them, or a name that resolves to one) never leaves.
async fn webhooks_go_to_public_addresses_only_unless_the_server_allows_private_ones(app: TestApp) {
    let receiver = receiver(0).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // Registered while private networks are allowed (the fixture's setting).
    let literal = register(&app, &receiver.url, vec![EventKind::Detractor]).await;
    let named = register(
        &app,
        &format!("http://localhost:{port}/hook"),
        vec![EventKind::Detractor],
    )
    .await;
    // A name the refusal at registration cannot see through: this machine's own
    // name, which resolves to loopback or a private network (checked here; on a
    // machine whose name is public or unknown there is no such name to try).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string();
    let private_name = match tokio::net::lookup_host((host.as_str(), 0)).await {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !host.is_empty()
                && host != "localhost"
                && !addrs.is_empty()
                && addrs
                    .iter()
                    .all(|a| !kept_server::outbound::is_public(a.ip()))
        }
        Err(_) => false,
    };
    // Plain HTTP to a public name: refused even where private receivers are
    // allowed (plain HTTP is for those alone); one stored before that rule
    // (written here as the store had it) is not sent to.
    let refused_plain = post_webhook(
        &app,
        "http://hooks.example.com/kept",
        vec![EventKind::Detractor],
    )
    .await;
    assert_eq!(refused_plain.status, StatusCode::UNPROCESSABLE_ENTITY);
    let plain_http = "wh_plain_http_before".to_string();
    assert!(
        app.db
            .create_webhook(
                demo::SHOP_ID,
                kept_server::db::WebhookRecord {
                    id: plain_http.clone(),
                    url: "http://hooks.example.com/kept".into(),
                    events: vec![EventKind::Detractor],
                    secret: "whsec_test".into(),
                    created_at: chrono::Utc::now(),
                },
                10,
            )
            .await
            .unwrap()
    );
    let resolved = if private_name {
        // https: a plain http:// one would be refused before its name is looked up.
        let url = format!("https://{host}:{port}/hook");
        Some(register(&app, &url, vec![EventKind::Detractor]).await)
    } else {
        None
    };
    let app = app.with_config(AppConfig::default());
    for url in [
        receiver.url.as_str(),
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5:8080/",
        "http://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
    ] {
        let reply = post_webhook(&app, url, vec![EventKind::Detractor]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let body = String::from_utf8_lossy(&reply.body);
        assert!(body.contains("private address"), "{url}: {body}");
    }
    // A public receiver over plain HTTP: refused too, the events carrying
    // customers' answers (allowed only beside a server that allows private
    // receivers, such as the fixture's above).
    let plain = post_webhook(
        &app,
        "http://hooks.example.com/kept",
        vec![EventKind::Detractor],
    )
    .await;
    assert_eq!(plain.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&plain.body).contains("an https:// address"));
    let server = RunningServer::serve_with(
        app.db.clone(),
        "127.0.0.1:0".parse().unwrap(),
        AppConfig {
            webhook_timing: DeliveryTiming {
                poll: Duration::from_millis(20),
                ..DeliveryTiming::default()
            },
            ..AppConfig::default()
        },
        HEADER_READ_TIMEOUT,
    )
    .await
    .unwrap();
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2).build()])
        .await;
    let error = async |hook: &str| {
        log(&app, hook)
            .await
            .first()
            .and_then(|d| d.attempts.first())
            .and_then(|a| a.error.clone())
    };
    wait_for("every attempt", async || {
        let resolved_tried = match &resolved {
            Some(hook) => error(&hook.id).await.is_some(),
            None => true,
        };
        error(&literal.id).await.is_some()
            && error(&named.id).await.is_some()
            && error(&plain_http).await.is_some()
            && resolved_tried
    })
    .await;
    server.stop().await;
    // Never sent: the answers would have crossed the internet unencrypted.
    assert_eq!(
        error(&plain_http).await.unwrap(),
        "http://hooks.example.com/kept is not an https:// address: Kept sends customers' answers encrypted only"
    );
    assert_eq!(
        error(&literal.id).await.unwrap(),
        "127.0.0.1 is a private address: Kept delivers only to public ones"
    );
    assert_eq!(
        error(&named.id).await.unwrap(),
        "localhost is a private address: Kept delivers only to public ones"
    );
    if let Some(hook) = &resolved {
        assert_eq!(
            error(&hook.id).await.unwrap(),
            format!("{host} is a private address: Kept delivers only to public ones")
        );
    }
    assert!(receiver.received.lock().unwrap().is_empty());
    receiver.task.abort();
}

/// The dashboard's webhooks page: adding an endpoint shows its secret once,
/// the log shows each delivery with its attempts, removing it asks for the
/// session's CSRF token.
#[tokio::test]
async fn the_dashboard_adds_shows_and_removes_webhooks() {
    let app = TestApp::new(common::Engine::Sqlite).await;
    let (cookie, csrf) = common::sign_in(&app).await;
    let form = |path: &str, body: String| {
        let (app, cookie, path) = (&app, cookie.clone(), path.to_string());
        async move { common::dashboard_post(app, &cookie, &path, body).await }
    };
    let bad = form(
        "/dashboard/webhooks",
        format!("csrf={csrf}&url=ftp%3A%2F%2Fx&events=answer.churn"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&bad.body).contains("role=\"alert\""));
    let added = form(
        "/dashboard/webhooks",
        format!("csrf={csrf}&url=https%3A%2F%2Fhooks.example.com%2Fkept&events=answer.detractor"),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&added.body).to_string();
    assert!(
        html.contains("data-testid=\"new-secret\"") && html.contains("whsec_"),
        "{html}"
    );
    // A detractor answer is queued for it, and the page shows it waiting.
    app.send_answers(&[AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 0).build()])
        .await;
    let page = app
        .get_with("/dashboard/webhooks", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("https://hooks.example.com/kept"));
    assert_eq!(html.matches("data-testid=\"delivery\"").count(), 1);
    assert!(!html.contains("whsec_"), "the secret is shown only once");
    let id = html
        .split("/dashboard/webhooks/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let forged = form(
        &format!("/dashboard/webhooks/{id}/delete"),
        "csrf=nope".into(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // The list's button asks first, naming the address; nothing is removed yet.
    let asked = form(
        &format!("/dashboard/webhooks/{id}/delete"),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&asked.body).to_string();
    assert!(
        html.contains("data-testid=\"confirm-removal\"")
            && html.contains("https://hooks.example.com/kept")
            && html.contains("new signing secret")
            && html.contains(r#"name="confirm" value="yes""#),
        "{html}"
    );
    let page = app
        .get_with("/dashboard/webhooks", &[("cookie", &cookie)])
        .await;
    assert!(String::from_utf8_lossy(&page.body).contains("hooks.example.com"));
    let removed = form(
        &format!("/dashboard/webhooks/{id}/delete"),
        format!("csrf={csrf}&confirm=yes"),
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let page = app
        .get_with("/dashboard/webhooks", &[("cookie", &cookie)])
        .await;
    assert!(!String::from_utf8_lossy(&page.body).contains("hooks.example.com"));
}
