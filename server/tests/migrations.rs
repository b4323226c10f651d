//! A database of the first release migrates to the typed schema with nothing lost:
//! answers (texts, reasons, times), shops, tokens, tiers, points, purchases, and
//! the rollups the reports read.

mod common;

use chrono::{TimeZone, Utc};
use kept_server::db::sqlite::schema::MIGRATIONS;
use kept_server::tokens::{TokenKind, hash_token, token_matches};
use kept_shared::{AnswerValue, Channel, Period};
use rusqlite::params;

#[tokio::test]
async fn a_first_release_database_migrates_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let mut c = rusqlite::Connection::open(&path).unwrap();
        MIGRATIONS.to_version(&mut c, 1).unwrap();
        let survey = serde_json::json!({
            "id": "nps", "kind": "nps", "ask_reason": true, "default_locale": "en",
            "texts": {"en": {"question": "How likely?"}}
        });
        c.execute_batch(&format!(
            r#"
            INSERT INTO shops VALUES ('s1', 'Shop', 'pk_s1', '["https://s1.example"]', 2, '2026-01-02T03:04:05.678Z');
            INSERT INTO tiers VALUES ('s1', 'Base', 0), ('s1', 'Gold', 100);
            INSERT INTO surveys VALUES ('s1', 'nps', '{survey}', 1, 0);
            INSERT INTO customers VALUES ('s1', 'alice', 150);
            INSERT INTO purchases VALUES ('s1', 'p1', 'alice', 7500, 150, '2026-03-01T10:00:00.000Z');
            "#
        ))
        .unwrap();
        c.execute(
            "INSERT INTO tokens VALUES ('s1', 'owner', ?1, '2026-01-02T03:04:05.678Z')",
            params![hash_token("ot_s1")],
        )
        .unwrap();
        let answers = [
            (
                "11111111-1111-4111-8111-111111111111",
                "nps",
                "nps",
                Some(9),
                "2026-03-01T09:30:00.123Z",
                r#"{"id":"11111111-1111-4111-8111-111111111111","shop":"s1","survey":"nps","channel":"web","customer_ref":"alice","answered_at":"2026-03-01T09:30:00.123Z","value":{"kind":"nps","score":9,"reason":"Great beans"}}"#,
            ),
            (
                "22222222-2222-4222-8222-222222222222",
                "nps",
                "nps",
                Some(3),
                "2026-03-02T23:59:59.999Z",
                r#"{"id":"22222222-2222-4222-8222-222222222222","shop":"s1","survey":"nps","channel":"kiosk","answered_at":"2026-03-02T23:59:59.999Z","value":{"kind":"nps","score":3}}"#,
            ),
            (
                "33333333-3333-4333-8333-333333333333",
                "churn",
                "churn_reason",
                None,
                "2026-03-03T12:00:00.000Z",
                r#"{"id":"33333333-3333-4333-8333-333333333333","shop":"s1","survey":"churn","channel":"web","answered_at":"2026-03-03T12:00:00.000Z","value":{"kind":"churn_reason","reasons":["quality","price"],"other":"moved"}}"#,
            ),
        ];
        for (id, survey, kind, score, at, body) in answers {
            let channel = if body.contains("kiosk") {
                "kiosk"
            } else {
                "web"
            };
            c.execute(
                "INSERT INTO answers VALUES (?1, 's1', ?2, ?3, ?4, ?5, ?6, '2026-03-04T00:00:00.000Z', ?7, NULL, ?8)",
                params![id, survey, channel, kind, score, at, if id.starts_with('1') { Some("alice") } else { None }, body],
            )
            .unwrap();
        }
    }

    let db = kept_server::db::open(path.to_str().unwrap()).await.unwrap();
    let shop = db.shop("s1").await.unwrap().unwrap();
    assert_eq!(
        (shop.points_per_unit, shop.allowed_origins.clone()),
        (2, vec!["https://s1.example".to_string()])
    );
    assert_eq!(shop.time_zone, chrono_tz::UTC);
    assert!(token_matches(
        "ot_s1",
        &db.token_hashes("s1", TokenKind::Owner).await.unwrap()
    ));
    assert_eq!(db.customer_points("s1", "alice").await.unwrap(), Some(150));
    assert_eq!(db.tiers("s1").await.unwrap().len(), 2);
    assert_eq!(db.surveys("s1", true).await.unwrap()[0].survey.id, "nps");

    let answers = db.answers("s1").await.unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(
        answers[0].answer.answered_at,
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap() + chrono::Duration::milliseconds(123)
    );
    assert_eq!(
        answers[0].answer.value,
        AnswerValue::Nps {
            score: 9,
            reason: Some("Great beans".into())
        }
    );
    assert_eq!(answers[0].answer.customer_ref.as_deref(), Some("alice"));
    assert_eq!(answers[1].answer.channel, Channel::Kiosk);
    assert_eq!(answers[1].day.to_string(), "2026-03-02");
    assert_eq!(
        answers[2].answer.value,
        AnswerValue::ChurnReason {
            reasons: vec!["quality".into(), "price".into()],
            other: Some("moved".into())
        }
    );

    let from = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let r = kept_server::report::build(
        from,
        to,
        Period::Month,
        &db.rollups("s1", from, to).await.unwrap(),
        &db.reason_rollups("s1", from, to).await.unwrap(),
    );
    assert_eq!(
        (
            r.total.nps.responses,
            r.total.nps.promoters,
            r.total.nps.detractors,
            r.total.nps.with_text
        ),
        (2, 1, 1, 1)
    );
    assert_eq!((r.total.churn.responses, r.total.churn.with_text), (1, 1));
    assert_eq!(r.total.churn.reasons.len(), 2);
}
