//! The real server on a loopback port, talked to over HTTP.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use kept_server::{RunningServer, ServerOptions, demo};
use kept_shared::limits::MAX_BATCH_ANSWERS;
use kept_shared::{
    Answer, AnswerValue, ApiError, Channel, ErrorCode, LoyaltyStatus, PurchaseReceipt,
    RecordPurchase, Report, ShopSurveys, SyncBatch, SyncReceipt, ValidationError, api,
};
use reqwest::{Client, StatusCode};
use serde_json::json;
use uuid::Uuid;

const ORIGIN: &str = "https://shop.example.com";

struct Server {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    running: RunningServer,
    http: Client,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kept.db");
        let running = RunningServer::start(ServerOptions {
            db: db.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            widget_dir: None,
        })
        .await
        .unwrap();
        demo::seed(running.store(), &[ORIGIN.to_string()]).unwrap();
        Server {
            _dir: dir,
            db,
            running,
            http: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    /// Posts `body` as JSON to the demo shop's answers route.
    async fn post_answers(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http
            .post(self.url(&api::answers(demo::PUBLIC_KEY)))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn send(&self, answers: &[Answer]) -> SyncReceipt {
        let batch = SyncBatch {
            answers: answers.to_vec(),
        };
        let resp = self.post_answers(serde_json::to_vec(&batch).unwrap()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    /// The owner report request of `shop` with `token`, as the server answers it.
    async fn report_response(&self, shop: &str, token: &str, query: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("{}?{query}", api::report(shop))))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    async fn report(&self, query: &str) -> Report {
        let resp = self
            .report_response(demo::SHOP_ID, demo::OWNER_TOKEN, query)
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    async fn purchase(&self, token: &str, shop: &str, p: &RecordPurchase) -> reqwest::Response {
        self.http
            .post(self.url(&api::purchases(shop)))
            .bearer_auth(token)
            .json(p)
            .send()
            .await
            .unwrap()
    }
}

fn answer(survey: &str, value: AnswerValue) -> Answer {
    Answer {
        id: Uuid::new_v4(),
        shop: demo::SHOP_ID.into(),
        survey: survey.into(),
        channel: Channel::Web,
        customer_ref: Some("alice".into()),
        order_ref: Some("order-1".into()),
        answered_at: Utc::now(),
        value,
    }
}

fn nps(score: u8) -> Answer {
    answer(
        demo::NPS_SURVEY,
        AnswerValue::Nps {
            score,
            reason: None,
        },
    )
}

fn at(mut a: Answer, t: DateTime<Utc>, channel: Channel) -> Answer {
    a.answered_at = t;
    a.channel = channel;
    a
}

async fn error_of(resp: reqwest::Response) -> (StatusCode, ApiError) {
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn surveys_are_served_by_public_key() {
    let s = Server::start().await;
    let got: ShopSurveys = s
        .http
        .get(s.url(&api::surveys(demo::PUBLIC_KEY)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

    let (status, err) = error_of(
        s.http
            .get(s.url(&api::surveys("pk_nope")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, err.code),
        (StatusCode::NOT_FOUND, ErrorCode::NotFound)
    );
}

#[tokio::test]
async fn resending_a_batch_stores_each_answer_once_and_says_so() {
    let s = Server::start().await;
    let batch = vec![
        nps(9),
        answer(demo::CSAT_SURVEY, AnswerValue::Csat { score: 4 }),
    ];
    let first = s.send(&batch).await;
    assert_eq!(first.stored, vec![batch[0].id, batch[1].id]);
    assert!(first.duplicates.is_empty() && first.rejected.is_empty());

    let second = s.send(&batch).await;
    assert!(second.stored.is_empty());
    assert_eq!(second.duplicates, vec![batch[0].id, batch[1].id]);
    assert_eq!(s.running.store().answers(demo::SHOP_ID).unwrap().len(), 2);
}

#[tokio::test]
async fn the_same_id_twice_in_one_batch_is_stored_once() {
    let s = Server::start().await;
    let a = nps(7);
    let receipt = s.send(&[a.clone(), a.clone()]).await;
    assert_eq!(
        (receipt.stored, receipt.duplicates),
        (vec![a.id], vec![a.id])
    );
    let stored = s.running.store().answers(demo::SHOP_ID).unwrap();
    assert_eq!(stored, vec![a]);
}

#[tokio::test]
async fn bad_answers_are_rejected_with_reasons_and_good_ones_still_stored() {
    let s = Server::start().await;
    let good = nps(10);
    let out_of_range = nps(11);
    let unknown_reason = answer(
        demo::CHURN_SURVEY,
        AnswerValue::ChurnReason {
            reasons: vec!["weather".into()],
            other: None,
        },
    );
    let unknown_survey = answer("no-such-survey", AnswerValue::Csat { score: 3 });
    let wrong_kind = answer(
        demo::CSAT_SURVEY,
        AnswerValue::Nps {
            score: 3,
            reason: None,
        },
    );
    let too_long = answer(
        demo::NPS_SURVEY,
        AnswerValue::Nps {
            score: 3,
            reason: Some("x".repeat(1001)),
        },
    );
    let batch = [
        good.clone(),
        out_of_range.clone(),
        unknown_reason.clone(),
        unknown_survey.clone(),
        wrong_kind.clone(),
        too_long.clone(),
    ];

    let receipt = s.send(&batch).await;
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
        ]
    );
    assert_eq!(receipt.rejected[0].message, "score 11 is outside 0–10");
    assert_eq!(
        s.running.store().answers(demo::SHOP_ID).unwrap(),
        vec![good]
    );
}

#[tokio::test]
async fn oversized_and_malformed_batches_get_a_clear_4xx_and_store_nothing() {
    let s = Server::start().await;
    let too_many: Vec<Answer> = (0..=MAX_BATCH_ANSWERS).map(|_| nps(5)).collect();
    let resp = s
        .post_answers(serde_json::to_vec(&SyncBatch { answers: too_many }).unwrap())
        .await;
    let (status, err) = error_of(resp).await;
    assert_eq!(
        (status, err.code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BatchTooLarge)
    );
    assert!(err.message.contains("at most 100"), "{}", err.message);

    let huge = "x".repeat(kept_shared::limits::MAX_BODY_BYTES + 1);
    let resp = s.post_answers(huge).await;
    let (status, err) = error_of(resp).await;
    assert_eq!(
        (status, err.code),
        (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
    );

    let resp = s.post_answers(r#"{"answers": [{"id": 1}]}"#).await;
    let (status, err) = error_of(resp).await;
    assert_eq!(
        (status, err.code),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
    assert!(!err.message.is_empty());
    assert!(s.running.store().answers(demo::SHOP_ID).unwrap().is_empty());
}

#[tokio::test]
async fn back_office_and_owner_routes_refuse_missing_wrong_and_foreign_tokens() {
    let s = Server::start().await;
    // A second shop, whose valid tokens must not open the demo shop.
    s.running
        .store()
        .with_conn(|c| {
            kept_server::store::add_shop(
                c,
                &kept_server::store::NewShop {
                    id: "other",
                    name: "Other",
                    public_key: "pk_other",
                    allowed_origins: &[],
                    points_per_unit: 1,
                    tiers: &[("Base", 0)],
                    back_office_token: "sk_other",
                    owner_token: "ot_other",
                },
            )
        })
        .unwrap();
    let p = RecordPurchase {
        customer_ref: "alice".into(),
        purchase_id: "p1".into(),
        amount_cents: 100,
    };
    for token in ["", "sk_wrong", "sk_other", demo::OWNER_TOKEN] {
        let resp = s.purchase(token, demo::SHOP_ID, &p).await;
        assert_eq!(resp.headers().get("www-authenticate").unwrap(), "Bearer");
        let (status, err) = error_of(resp).await;
        assert_eq!(
            (status, err.code),
            (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            "token {token:?}"
        );
    }
    let no_header = s
        .http
        .post(s.url(&api::purchases(demo::SHOP_ID)))
        .json(&p)
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), StatusCode::UNAUTHORIZED);
    for token in ["ot_wrong", "ot_other", demo::SECRET_KEY] {
        let resp = s.report_response(demo::SHOP_ID, token, "").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "token {token:?}");
    }
    let unknown_shop = s.report_response("nope", demo::OWNER_TOKEN, "").await;
    assert_eq!(unknown_shop.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn purchases_earn_points_once_and_move_customers_up_tiers() {
    let s = Server::start().await;
    let p = RecordPurchase {
        customer_ref: "dave".into(),
        purchase_id: "order-7".into(),
        amount_cents: 55_099,
    };
    let first: PurchaseReceipt = s
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (first.points_earned, first.duplicate, first.status.points),
        (550, false, 550)
    );
    assert_eq!(first.status.tier, "Silver");
    let next = first.status.next_tier.clone().unwrap();
    assert_eq!(
        (next.name.as_str(), next.min_points, next.points_needed),
        ("Gold", 2000, 1450)
    );

    let again: PurchaseReceipt = s
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again.points_earned, again.duplicate, again.status.points),
        (0, true, 550)
    );

    let big = RecordPurchase {
        purchase_id: "order-8".into(),
        amount_cents: 200_000,
        ..p.clone()
    };
    let gold: PurchaseReceipt = s
        .purchase(demo::SECRET_KEY, demo::SHOP_ID, &big)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            gold.status.points,
            gold.status.tier.as_str(),
            gold.status.next_tier
        ),
        (2550, "Gold", None)
    );

    let status: LoyaltyStatus = s
        .http
        .get(s.url(&api::loyalty(demo::PUBLIC_KEY, "dave")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((status.points, status.tier.as_str()), (2550, "Gold"));

    let too_big = RecordPurchase {
        purchase_id: "order-9".into(),
        amount_cents: u64::MAX,
        ..p
    };
    let (status, err) = error_of(s.purchase(demo::SECRET_KEY, demo::SHOP_ID, &too_big).await).await;
    assert_eq!(
        (status, err.code),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
}

#[tokio::test]
async fn loyalty_of_an_unknown_customer_is_zero_at_the_first_tier_and_refs_are_checked() {
    let s = Server::start().await;
    let status: LoyaltyStatus = s
        .http
        .get(s.url(&api::loyalty(demo::PUBLIC_KEY, "newcomer")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            status.points,
            status.tier.as_str(),
            status.next_tier.unwrap().points_needed
        ),
        (0, "Bronze", 500)
    );
    let resp = s
        .http
        .get(s.url(&api::loyalty(demo::PUBLIC_KEY, "bad%20ref")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cors_allows_only_the_shops_listed_origins() {
    let s = Server::start().await;
    let preflight = |origin: &str| {
        s.http
            .request(
                reqwest::Method::OPTIONS,
                s.url(&api::answers(demo::PUBLIC_KEY)),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(ORIGIN).await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        ORIGIN
    );
    assert!(
        ok.headers()
            .get("access-control-allow-methods")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("POST")
    );

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let get = s
        .http
        .get(s.url(&api::surveys(demo::PUBLIC_KEY)))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(get.headers().get("access-control-allow-origin").is_none());
    // Owner routes never answer cross-origin requests.
    let report = s
        .http
        .get(s.url(&api::report(demo::SHOP_ID)))
        .header("origin", ORIGIN)
        .bearer_auth(demo::OWNER_TOKEN)
        .send()
        .await
        .unwrap();
    assert!(
        report
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn report_numbers_match_hand_computed_values() {
    let s = Server::start().await;
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let csat = |score| answer(demo::CSAT_SURVEY, AnswerValue::Csat { score });
    let churn = |reasons: &[&str], other: Option<&str>| {
        answer(
            demo::CHURN_SURVEY,
            AnswerValue::ChurnReason {
                reasons: reasons.iter().map(|r| r.to_string()).collect(),
                other: other.map(Into::into),
            },
        )
    };
    // Mon 2 Nov and Wed 4 Nov are one ISO week, Mon 9 Nov the next; 30 Oct is the month before.
    let answers = vec![
        at(nps(10), day(2, 9), Channel::Web),
        at(nps(9), day(2, 10), Channel::Web),
        at(nps(8), day(4, 11), Channel::Kiosk),
        at(nps(3), day(4, 12), Channel::Kiosk),
        at(nps(0), day(9, 8), Channel::Web),
        at(csat(5), day(2, 9), Channel::Web),
        at(csat(4), day(9, 9), Channel::Kiosk),
        at(csat(1), day(9, 10), Channel::Kiosk),
        at(churn(&["price", "delivery"], None), day(3, 9), Channel::Web),
        at(
            churn(&["price"], Some("too far")),
            day(10, 9),
            Channel::Kiosk,
        ),
        at(churn(&[], Some("moved")), day(10, 10), Channel::Kiosk),
        at(
            nps(10),
            Utc.with_ymd_and_hms(2026, 10, 30, 12, 0, 0).unwrap(),
            Channel::Web,
        ),
    ];
    // The answers are "old": check them as the server would have, on 10 Nov.
    let receipt = s
        .running
        .store()
        .with_conn(|c| kept_server::store::store_batch(c, demo::SHOP_ID, &answers, day(10, 12)))
        .unwrap();
    assert_eq!(receipt.stored.len(), answers.len());

    let r = s.report("from=2026-11-01&to=2026-11-30&period=week").await;
    // NPS: 5 answers, promoters 10, 9; passive 8; detractors 3, 0 → (2 − 2) / 5 = 0.
    assert_eq!(
        (
            r.total.nps.responses,
            r.total.nps.promoters,
            r.total.nps.passives,
            r.total.nps.detractors
        ),
        (5, 2, 1, 2)
    );
    assert_eq!(r.total.nps.score, Some(0.0));
    // Web: 10, 9, 0 → (2 − 1) / 3; kiosk: 8, 3 → (0 − 1) / 2.
    assert_eq!(r.by_channel[&Channel::Web].nps.score, Some(100.0 / 3.0));
    assert_eq!(r.by_channel[&Channel::Kiosk].nps.score, Some(-50.0));
    // CSAT: 5, 4, 1 → 10 / 3.
    assert_eq!(r.total.csat.distribution, [1, 0, 0, 1, 1]);
    assert_eq!(r.total.csat.average, Some(10.0 / 3.0));
    // Churn: price 2, delivery 1; two answers with text.
    assert_eq!((r.total.churn.responses, r.total.churn.with_text), (3, 2));
    let ranked: Vec<_> = r
        .total
        .churn
        .reasons
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert_eq!(ranked, [("price", 2), ("delivery", 1)]);

    let weeks: Vec<_> = r
        .trend
        .iter()
        .map(|p| (p.start, p.total.nps.responses))
        .collect();
    let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    assert_eq!(weeks, [(date(2), 4), (date(9), 1)]);
    assert_eq!(r.trend[0].by_channel[&Channel::Kiosk].nps.responses, 2);

    let months = s.report("from=2026-10-01&to=2026-11-30&period=month").await;
    let m: Vec<_> = months
        .trend
        .iter()
        .map(|p| (p.start, p.total.nps.responses))
        .collect();
    assert_eq!(
        m,
        [
            (NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), 1),
            (date(1), 5)
        ]
    );

    let days = s.report("from=2026-11-04&to=2026-11-04&period=day").await;
    assert_eq!(days.total.nps.responses, 2);

    let bad = s
        .report_response(
            demo::SHOP_ID,
            demo::OWNER_TOKEN,
            "from=2026-12-01&to=2026-11-01",
        )
        .await;
    let (status, err) = error_of(bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err.message.contains("after"), "{}", err.message);
    let bad = s
        .report_response(demo::SHOP_ID, demo::OWNER_TOKEN, "period=year")
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn data_survives_a_restart_on_the_same_port() {
    let s = Server::start().await;
    let a = nps(6);
    s.send(std::slice::from_ref(&a)).await;
    let addr = s.running.addr();
    let Server {
        _dir,
        db,
        running,
        http,
    } = s;
    running.stop().await;
    let again = RunningServer::start(ServerOptions {
        db,
        listen: addr,
        widget_dir: None,
    })
    .await
    .unwrap();
    assert_eq!(again.addr(), addr);
    let receipt: SyncReceipt = http
        .post(format!("{}{}", again.url(), api::answers(demo::PUBLIC_KEY)))
        .json(&json!({ "answers": [a] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt.duplicates, vec![a.id]);
    assert_eq!(again.store().answers(demo::SHOP_ID).unwrap(), vec![a]);
    again.stop().await;
}

#[tokio::test]
async fn pages_are_served_and_escape_nothing_they_should_not() {
    let s = Server::start().await;
    let demo_page = s
        .http
        .get(s.url("/demo?customer=carol&locale=uk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        demo_page.contains(r#"data-key="pk_demo""#)
            && demo_page.contains(r#"data-customer="carol""#)
    );
    assert!(demo_page.contains(r#"data-locale="uk""#));
    let hostile = s
        .http
        .get(s.url("/demo?customer=%22%3E%3Cscript%3E"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!hostile.contains("\"><script>"));
    let kiosk = s.http.get(s.url("/kiosk/pk_demo")).send().await.unwrap();
    assert_eq!(kiosk.status(), StatusCode::OK);
    assert!(kiosk.text().await.unwrap().contains(r#"data-mode="kiosk""#));
    assert_eq!(
        s.http
            .get(s.url("/kiosk/pk_nope"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.http
            .get(s.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let widget = s.http.get(s.url("/widget/kept.js")).send().await.unwrap();
    assert_eq!(widget.status(), StatusCode::NOT_FOUND);
}

#[test]
fn answer_timestamps_far_off_are_refused_by_the_shared_rule() {
    // The store applies the shared validation with the server's clock.
    let dir = tempfile::tempdir().unwrap();
    let store = kept_server::Store::open(&dir.path().join("k.db")).unwrap();
    demo::seed(&store, &[]).unwrap();
    let future = at(nps(5), Utc::now() + Duration::days(3), Channel::Web);
    let r = store
        .with_conn(|c| kept_server::store::store_batch(c, demo::SHOP_ID, &[future], Utc::now()))
        .unwrap();
    assert!(matches!(
        r.rejected[0].reason,
        ValidationError::FromTheFuture { .. }
    ));
}
