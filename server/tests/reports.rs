//! The owner report, on both engines: numbers checked against hand-computed
//! values, periods, time zones, and ranges no request can break.

#[macro_use]
mod common;

use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone, Utc};
use common::TestApp;
use kept_server::{demo, ingest};
use kept_shared::testing::AnswerBuilder;
use kept_shared::{Answer, Channel, ErrorCode};

on_both_engines!(
    report_numbers_match_hand_computed_values,
    the_shops_time_zone_decides_which_day_an_answer_counts_on,
    report_ranges_outside_the_supported_years_are_a_400_not_a_crash,
);

fn at(b: AnswerBuilder, t: chrono::DateTime<Utc>, channel: Channel) -> Answer {
    b.at(t).channel(channel).build()
}

async fn report_numbers_match_hand_computed_values(app: TestApp) {
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let nps = |s| AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, s);
    let csat = |s| AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, s);
    let churn = |r: &[&str], o| AnswerBuilder::churn(demo::SHOP_ID, demo::CHURN_SURVEY, r, o);
    // Mon 2 Nov and Wed 4 Nov are one ISO week, Mon 9 Nov the next; 30 Oct is the month before.
    let answers = vec![
        at(nps(10).reason("great beans"), day(2, 9), Channel::Web),
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
    // Checked as the server would have on 10 Nov (so the test does not age).
    let shop = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let receipt = ingest::ingest(app.db.as_ref(), &shop, answers.clone(), day(10, 12))
        .await
        .unwrap();
    assert_eq!(receipt.stored.len(), answers.len());

    let r = app
        .report("from=2026-11-01&to=2026-11-30&period=week")
        .await;
    // NPS: 5 answers, promoters 10, 9; passive 8; detractors 3, 0 → (2 − 2) / 5 = 0.
    let n = &r.total.nps;
    assert_eq!(
        (
            n.responses,
            n.promoters,
            n.passives,
            n.detractors,
            n.with_text
        ),
        (5, 2, 1, 2, 1)
    );
    assert_eq!(n.score, Some(0.0));
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

    let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let weeks: Vec<_> = r
        .trend
        .iter()
        .map(|p| (p.start, p.total.nps.responses))
        .collect();
    assert_eq!(weeks, [(date(2), 4), (date(9), 1)]);
    assert_eq!(r.trend[0].by_channel[&Channel::Kiosk].nps.responses, 2);

    let months = app
        .report("from=2026-10-01&to=2026-11-30&period=month")
        .await;
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

    let days = app.report("from=2026-11-04&to=2026-11-04&period=day").await;
    assert_eq!(days.total.nps.responses, 2);

    let reply = app
        .report_reply(
            demo::SHOP_ID,
            demo::OWNER_TOKEN,
            "from=2026-12-01&to=2026-11-01",
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.error().message.contains("after"),
        "{}",
        reply.error().message
    );
    let reply = app
        .report_reply(demo::SHOP_ID, demo::OWNER_TOKEN, "period=year")
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
    );
}

async fn the_shops_time_zone_decides_which_day_an_answer_counts_on(app: TestApp) {
    let kyiv = app.add_shop("kyiv", chrono_tz::Europe::Kyiv).await;
    let shop = app.db.shop("kyiv").await.unwrap().unwrap();
    // 22:30 UTC on 1 Mar is 00:30 on 2 Mar in Kyiv (UTC+2 in winter).
    let late = Utc.with_ymd_and_hms(2026, 3, 1, 22, 30, 0).unwrap();
    let a = AnswerBuilder::nps("kyiv", demo::NPS_SURVEY, 9)
        .at(late)
        .build();
    ingest::ingest(app.db.as_ref(), &shop, vec![a], late)
        .await
        .unwrap();
    let reply = app
        .report_reply(
            "kyiv",
            &kyiv.owner_token,
            "from=2026-03-01&to=2026-03-02&period=day",
        )
        .await;
    let r: kept_shared::Report = reply.json();
    let days: Vec<_> = r.trend.iter().map(|p| p.start.to_string()).collect();
    assert_eq!(days, ["2026-03-02"]);
}

async fn report_ranges_outside_the_supported_years_are_a_400_not_a_crash(app: TestApp) {
    for query in [
        "from=-262143-01-01&to=-262143-01-01",
        "to=-262143-01-01",
        "from=%2B262142-12-31&to=%2B262142-12-31",
        "to=%2B262142-12-31",
        "from=1999-12-31&to=2000-01-10",
        "from=2026-01-01&to=2101-01-01",
        "from=2000-01-01&to=2100-12-31",
        "from=2026-02-30",
        "from=yesterday",
    ] {
        let reply = app
            .report_reply(demo::SHOP_ID, demo::OWNER_TOKEN, query)
            .await;
        assert_eq!(
            (reply.status, reply.error().code),
            (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            "{query}"
        );
    }
    let edge = app
        .report("from=2000-01-01&to=2000-01-31&period=week")
        .await;
    assert_eq!(edge.total.nps.responses, 0);
}
