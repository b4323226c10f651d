//! Personal survey links (`/s/{token}`), on both engines: the back office gets a
//! link with its QR codes; the page asks the link's survey for its customer and
//! order, signed, so the answer is stored verified and once; a second answer is
//! a duplicate and the page then says it was answered; an expired link says so,
//! a tampered one is refused; the QR code decodes to the link; the owner gets
//! links in bulk for the customers who stopped buying.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode, header};
use chrono::{Duration, Utc};
use common::TestApp;
use kept_server::db::AnswerQuery;
use kept_server::demo;
use kept_server::links::Link;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{
    BulkLinksRequest, Channel, ErrorCode, KioskRespondent, LinkRequest, PersonalLink,
    RecordPurchase,
};

fn request(customer: &str, order: &str, survey: &str) -> LinkRequest {
    LinkRequest {
        customer_ref: customer.into(),
        order_ref: order.into(),
        survey: survey.into(),
        expires_in_days: None,
    }
}

async fn make_link(app: &TestApp, req: &LinkRequest) -> common::Reply {
    app.post_json("/api/v1/shops/demo/links", Some(demo::SECRET_KEY), req)
        .await
}

/// The value of the attribute `name` on the page.
fn attribute(page: &str, name: &str) -> Option<String> {
    let start = page.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(page[start..].split('"').next()?.to_string())
}

/// The demo shop's answers as stored (with whether each is verified).
async fn records(app: &TestApp) -> Vec<kept_server::db::StoredAnswer> {
    app.db
        .find_answers(demo::SHOP_ID, AnswerQuery::default())
        .await
        .unwrap()
        .0
}

/// A token as Kept signs it, for any shop, order and expiry.
fn token(shop: &str, survey: &str, order: &str, expires_at: chrono::DateTime<Utc>) -> String {
    Link {
        shop: shop.into(),
        survey: survey.into(),
        customer: "carol".into(),
        order: order.into(),
        expires_at,
    }
    .token(demo::WIDGET_SECRET)
}

fn path_of(link: &PersonalLink) -> String {
    format!("/s/{}", link.token)
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let reply = app.get(path).await;
    (
        reply.status,
        String::from_utf8_lossy(&reply.body).into_owned(),
    )
}

/// The answer the widget on the page would send, with the page's signatures.
fn answer_from(page: &str, score: u8) -> kept_shared::Answer {
    AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, score)
        .channel(Channel::Link)
        .customer(&attribute(page, "data-customer").unwrap())
        .customer_sig(&attribute(page, "data-customer-sig").unwrap())
        .order(&attribute(page, "data-order").unwrap())
        .order_sig(&attribute(page, "data-order-sig").unwrap())
        .build()
}

async fn a_link_is_answered_once_and_verified(app: TestApp) {
    let made = make_link(&app, &request("alice", "o-2001", demo::NPS_SURVEY)).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let link: PersonalLink = made.json();
    assert!(link.url.ends_with(&path_of(&link)), "{}", link.url);
    assert_eq!(link.qr_png, format!("{}/qr.png", link.url));
    let days = (link.expires_at - Utc::now()).num_days();
    assert!((29..=30).contains(&days), "{days}");

    let (status, html) = page(&app, &path_of(&link)).await;
    assert_eq!(status, StatusCode::OK);
    // Its title says why it is there, not only whose it is.
    assert!(html.contains(": a question for you</title>"), "{html}");
    assert_eq!(attribute(&html, "data-mode").as_deref(), Some("link"));
    assert_eq!(
        attribute(&html, "data-survey").as_deref(),
        Some(demo::NPS_SURVEY)
    );
    assert_eq!(attribute(&html, "data-order").as_deref(), Some("o-2001"));
    // The page's signatures are Kept's for the link's time and 30 days more
    // (an answer held offline still verified), not the shop's for good: a
    // forwarded page had spoken for the customer for ever.
    use kept_server::signatures::{Signed, sign, verify};
    let customer_sig = attribute(&html, "data-customer-sig").unwrap();
    assert_ne!(
        customer_sig,
        sign(demo::WIDGET_SECRET, Signed::Customer, "alice")
    );
    assert!(verify(
        demo::WIDGET_SECRET,
        Signed::Customer,
        "alice",
        &customer_sig
    ));
    let until = i64::from_str_radix(&customer_sig[..8], 16).unwrap();
    assert_eq!(
        until,
        (link.expires_at
            + chrono::Duration::days(kept_server::links::SIGNATURES_OUTLIVE_LINK_DAYS))
        .timestamp()
    );
    // One language for the page and its widget: the one the visitor prefers.
    let ru = app
        .get_with(&path_of(&link), &[("accept-language", "ru-RU,ru;q=0.9")])
        .await;
    let ru = String::from_utf8_lossy(&ru.body).into_owned();
    assert!(ru.contains(r#"<html lang="ru""#), "{ru}");
    assert_eq!(attribute(&ru, "data-locale").as_deref(), Some("ru"));

    let first = answer_from(&html, 9);
    assert_eq!(
        app.send_answers(std::slice::from_ref(&first)).await.stored,
        [first.id]
    );
    // From another phone, the same link: a duplicate, not a second answer.
    let second = answer_from(&html, 2);
    assert_eq!(
        app.send_answers(std::slice::from_ref(&second))
            .await
            .duplicates,
        [second.id]
    );
    let stored = records(&app).await;
    assert_eq!(stored.len(), 1);
    let record = &stored[0].record;
    assert!(record.verified);
    assert_eq!(record.answer.channel, Channel::Link);
    assert_eq!(record.answer.customer_ref.as_deref(), Some("alice"));
    // Opened again, the page says it was answered, and shows no survey.
    let (status, html) = page(&app, &format!("{}?locale=uk", path_of(&link))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ви вже відповіли"), "{html}");
    assert!(!html.contains("kept.js"));
    // The report counts it on the link channel.
    assert_eq!(
        app.report("").await.by_channel[&Channel::Link]
            .nps
            .responses,
        1
    );
}

async fn expired_tampered_and_rotated_links_say_why(app: TestApp) {
    let expired = token(
        demo::SHOP_ID,
        demo::CHURN_SURVEY,
        "o-1",
        Utc::now() - Duration::minutes(1),
    );
    let (status, html) = page(&app, &format!("/s/{expired}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link has expired"), "{html}");
    assert_eq!(
        app.get(&format!("/s/{expired}/qr.png")).await.status,
        StatusCode::GONE
    );

    let link: PersonalLink = make_link(&app, &request("alice", "o-3", demo::CHURN_SURVEY))
        .await
        .json();
    // One character changed anywhere: not a link.
    for at in [2, link.token.len() - 2] {
        let mut tampered = link.token.clone().into_bytes();
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        let (status, html) = page(&app, &format!("/s/{tampered}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tampered}");
        assert!(html.contains("This link is not valid"));
    }
    assert_eq!(page(&app, "/s/nonsense").await.0, StatusCode::NOT_FOUND);
    // A new widget secret voids the links signed with the old one.
    let rotated = app
        .raw(
            Method::POST,
            "/api/v1/shops/demo/keys/widget",
            &[(
                header::AUTHORIZATION.as_str(),
                &format!("Bearer {}", demo::OWNER_TOKEN),
            )],
            "",
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_eq!(page(&app, &path_of(&link)).await.0, StatusCode::NOT_FOUND);
}

async fn bad_link_requests_are_refused_by_field(app: TestApp) {
    for (req, field) in [
        (request("alice", "o-1", "no-such-survey"), "survey"),
        (request("al ice", "o-1", demo::NPS_SURVEY), "customer_ref"),
        (request("alice", "", demo::NPS_SURVEY), "order_ref"),
        (request("..", "o-1", demo::NPS_SURVEY), "customer_ref"),
        (
            LinkRequest {
                expires_in_days: Some(0),
                ..request("alice", "o-1", demo::NPS_SURVEY)
            },
            "expires_in_days",
        ),
        (
            LinkRequest {
                expires_in_days: Some(366),
                ..request("alice", "o-1", demo::NPS_SURVEY)
            },
            "expires_in_days",
        ),
    ] {
        let refused = make_link(&app, &req).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{req:?}");
        let error = refused.error();
        assert_eq!(error.code, ErrorCode::Invalid);
        assert_eq!(error.fields[0].field, field);
    }
    // The owner's token is not the back office's.
    let wrong = app
        .post_json(
            "/api/v1/shops/demo/links",
            Some(demo::OWNER_TOKEN),
            &request("alice", "o-1", demo::NPS_SURVEY),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    // Without --public-url a link is written with the request's Host, when it
    // is a host and a port alone: one a proxy passes on from a client is not
    // (`shop.example@evil.com` had written links to evil.com).
    let app = &app;
    let with_host = |host: &'static str| async move {
        let bearer = format!("Bearer {}", demo::SECRET_KEY);
        app.raw(
            Method::POST,
            "/api/v1/shops/demo/links",
            &[
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
                ("host", host),
            ],
            serde_json::to_vec(&request("alice", "o-1", demo::NPS_SURVEY)).unwrap(),
        )
        .await
    };
    for host in [
        "shop.example@evil.com",
        "evil.com/x?",
        "evil.com#",
        "a\"><svg onload=alert(1)>",
        "EVIL.com:99999",
        "sh\"op.example",
        "a,b",
        "a$b",
        "a{b}",
        "shop.example:0",
    ] {
        let refused = with_host(host).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{host}");
        assert!(refused.error().message.contains("--public-url"), "{host}");
    }
    for (host, base) in [
        ("Kept.Example:8080", "http://kept.example:8080/s/"),
        ("kept.example:80", "http://kept.example/s/"),
        ("[::1]:3000", "http://[::1]:3000/s/"),
    ] {
        let link: PersonalLink = with_host(host).await.json();
        assert!(link.url.starts_with(base), "{host}: {}", link.url);
    }
}

async fn the_qr_code_decodes_to_the_link(app: TestApp) {
    let link: PersonalLink = make_link(&app, &request("alice", "o-77", demo::NPS_SURVEY))
        .await
        .json();
    let png = app.get(&format!("{}/qr.png", path_of(&link))).await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(png.header("content-type"), Some("image/png"));
    let decoder = png::Decoder::new(std::io::Cursor::new(png.body.to_vec()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(text, link.url);
    let svg = app.get(&format!("{}/qr.svg", path_of(&link))).await;
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(String::from_utf8_lossy(&svg.body).contains("<svg"));
}

async fn the_owner_gets_links_in_bulk_for_customers_who_stopped_buying(app: TestApp) {
    let bought = |customer: &str, id: &str, days_ago: i64| {
        let mut p = RecordPurchase::new(customer, id, 1_500);
        p.purchased_at = Some(Utc::now() - Duration::days(days_ago));
        p
    };
    for p in [
        bought("gone-1", "p-1", 200),
        bought("gone-1", "p-2", 120),
        bought("gone-2", "p-3", 95),
        bought("loyal", "p-4", 3),
    ] {
        assert_eq!(
            app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
                .await
                .status,
            StatusCode::OK
        );
    }
    let bulk = |req: BulkLinksRequest| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/shops/demo/links.csv",
                Some(demo::OWNER_TOKEN),
                &req,
            )
            .await
        }
    };
    let reply = bulk(BulkLinksRequest {
        survey: demo::CHURN_SURVEY.into(),
        customers: vec![],
        lapsed_days: Some(90),
        expires_in_days: Some(14),
    })
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("links")
    );
    let mut csv = csv::Reader::from_reader(&reply.body[..]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let customers: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(customers, ["gone-1", "gone-2"]);
    // Each for the customer's last purchase; the link opens on its page.
    assert_eq!(&rows[0][1], "p-2");
    let path = rows[0][3]
        .split_once("/s/")
        .map(|(_, t)| format!("/s/{t}"))
        .unwrap();
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attribute(&html, "data-order").as_deref(), Some("p-2"));
    assert_eq!(
        attribute(&html, "data-survey").as_deref(),
        Some(demo::CHURN_SURVEY)
    );

    // A list of customers: one without purchases, or with a reference that is
    // not one, gets a row that says so; one named twice gets two rows. Two
    // purchases at the same instant: the greater id is the last.
    let at = Utc::now() - Duration::days(40);
    for id in ["p-5a", "p-5b"] {
        let mut p = RecordPurchase::new("twin", id, 900);
        p.purchased_at = Some(at);
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
    }
    let reply = bulk(BulkLinksRequest {
        survey: demo::CHURN_SURVEY.into(),
        customers: ["gone-2", "stranger", "gone-2", "a b", "twin"]
            .map(String::from)
            .to_vec(),
        lapsed_days: None,
        expires_in_days: None,
    })
    .await;
    let mut csv = csv::Reader::from_reader(&reply.body[..]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let orders: Vec<(&str, &str)> = rows.iter().map(|r| (&r[0], &r[1])).collect();
    assert_eq!(
        orders,
        [
            ("gone-2", "p-3"),
            ("stranger", ""),
            ("gone-2", "p-3"),
            ("a b", ""),
            ("twin", "p-5b")
        ]
    );
    assert!(rows[1][3].is_empty() && rows[1][5].contains("no purchase"));
    assert!(rows[3][3].is_empty() && !rows[3][5].is_empty());
    // Both ways at once, or neither: refused.
    let both = bulk(BulkLinksRequest {
        survey: demo::CHURN_SURVEY.into(),
        customers: vec!["gone-2".into()],
        lapsed_days: Some(30),
        expires_in_days: None,
    })
    .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Lapsed for 1 to 3650 days, said as a range with its unit.
    for days in [0, 3651] {
        let refused = bulk(BulkLinksRequest {
            survey: demo::CHURN_SURVEY.into(),
            customers: vec![],
            lapsed_days: Some(days),
            expires_in_days: None,
        })
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{days}");
        let body: serde_json::Value = refused.json();
        assert_eq!(
            body["fields"][0],
            serde_json::json!({
                "field": "lapsed_days",
                "message": "1 to 3650 days",
                "code": "range",
                "min": 1,
                "max": 3650,
                "unit": "days"
            }),
            "{days}"
        );
    }
}

async fn a_kiosk_identifies_the_respondent_of_a_receipt(app: TestApp) {
    let link: PersonalLink = make_link(&app, &request("carol", "o-88", demo::NPS_SURVEY))
        .await
        .json();
    let lookup = |token: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/widget/pk_demo/links/{token}"))
                .await
        }
    };
    let who: KioskRespondent = lookup(link.token.clone()).await.json();
    assert_eq!(
        (who.customer.as_str(), who.order.as_str(), who.answered),
        ("carol", "o-88", false)
    );
    // The widget sends these signatures with the kiosk's answer: verified, once.
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 8)
        .channel(Channel::Kiosk)
        .store("old-town")
        .customer(&who.customer)
        .customer_sig(&who.customer_sig)
        .order(&who.order)
        .order_sig(&who.order_sig)
        .build();
    assert_eq!(
        app.send_answers(std::slice::from_ref(&answer)).await.stored,
        [answer.id]
    );
    let stored = records(&app).await;
    assert!(stored[0].record.verified);
    let who: KioskRespondent = lookup(link.token.clone()).await.json();
    assert!(who.answered);
    // Not a link, or expired: said apart.
    assert_eq!(
        lookup("nonsense".into()).await.status,
        StatusCode::NOT_FOUND
    );
    let expired = token(
        demo::SHOP_ID,
        demo::NPS_SURVEY,
        "o-89",
        Utc::now() - Duration::days(1),
    );
    assert_eq!(lookup(expired).await.status, StatusCode::GONE);
    // Another shop's link, at this shop's kiosk: not one of its receipts.
    let other = token(
        "other",
        demo::NPS_SURVEY,
        "o-90",
        Utc::now() + Duration::days(1),
    );
    assert_eq!(lookup(other).await.status, StatusCode::NOT_FOUND);
    // Another shop's expired link is not one here either (not "expired").
    let other_expired = token(
        "other",
        demo::NPS_SURVEY,
        "o-91",
        Utc::now() - Duration::days(1),
    );
    assert_eq!(lookup(other_expired).await.status, StatusCode::NOT_FOUND);
    // A link to a survey no longer asked: gone, at the kiosk and on its page.
    let csat: PersonalLink = make_link(&app, &request("carol", "o-92", demo::CSAT_SURVEY))
        .await
        .json();
    app.edit_demo_survey(demo::CSAT_SURVEY, |d| d.active = false)
        .await;
    assert_eq!(lookup(csat.token.clone()).await.status, StatusCode::GONE);
    let (status, html) = page(&app, &path_of(&csat)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This survey is closed"), "{html}");
}

on_both_engines!(
    a_kiosk_identifies_the_respondent_of_a_receipt,
    a_link_is_answered_once_and_verified,
    expired_tampered_and_rotated_links_say_why,
    bad_link_requests_are_refused_by_field,
    the_qr_code_decodes_to_the_link,
    the_owner_gets_links_in_bulk_for_customers_who_stopped_buying,
);
