//! Stores, the kiosk PIN and kiosk tablets, on both engines: the owner names
//! stores and sets the PIN; a tablet is set up with the PIN (a wrong one, or too
//! many tries, get nothing), reports while online, and the owner sees it with
//! its store, pending count and a warning when it has not synced; kiosk answers
//! carry their store into the report.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode, header};
use chrono::{Duration, Utc};
use common::TestApp;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{
    Channel, DeviceReport, Devices, ErrorCode, KioskPin, KioskSetup, KioskSetupRequest, Store,
    StoreName,
};

const PIN: &str = "246810";

async fn put(app: &TestApp, path: &str, body: &impl serde::Serialize) -> common::Reply {
    app.raw(
        Method::PUT,
        &format!("/api/v1/shops/demo/{path}"),
        &[
            (header::CONTENT_TYPE.as_str(), "application/json"),
            (
                header::AUTHORIZATION.as_str(),
                &format!("Bearer {}", demo::OWNER_TOKEN),
            ),
        ],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// The owner sets the kiosk PIN (`None` removes it).
async fn set_pin(app: &TestApp, pin: Option<&str>) -> common::Reply {
    put(
        app,
        "kiosk-pin",
        &KioskPin {
            pin: pin.map(str::to_string),
        },
    )
    .await
}

async fn set_up(app: &TestApp, pin: &str, device: &str) -> common::Reply {
    app.post_json(
        "/api/v1/widget/pk_demo/kiosk",
        None,
        &KioskSetupRequest {
            pin: pin.into(),
            device: device.into(),
            locale: None,
        },
    )
    .await
}

fn report(sig: &str, store: Option<&str>, pending: u32, last_sync_ms: Option<i64>) -> DeviceReport {
    DeviceReport {
        sig: sig.into(),
        version: "0.1.0-test".into(),
        store: store.map(str::to_string),
        pending,
        last_sync_ms,
    }
}

async fn stores_are_named_and_checked(app: TestApp) {
    let saved = put(
        &app,
        "stores/old-town",
        &StoreName {
            name: "  Old town ".into(),
        },
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(saved.json::<Store>().name, "Old town");
    put(
        &app,
        "stores/harbour",
        &StoreName {
            name: "Harbour".into(),
        },
    )
    .await;
    // Renamed in place.
    put(
        &app,
        "stores/harbour",
        &StoreName {
            name: "The harbour".into(),
        },
    )
    .await;
    let stores: Vec<Store> = app.owner_reply("stores").await.json();
    assert_eq!(
        stores,
        [
            Store {
                id: "harbour".into(),
                name: "The harbour".into()
            },
            Store {
                id: "old-town".into(),
                name: "Old town".into()
            },
        ]
    );
    for (path, name) in [
        ("stores/bad%20id", "A"),
        ("stores/%2E%2E", "Dots"),
        ("stores/x", "   "),
        ("stores/y", "a\u{7}"),
    ] {
        let refused = put(&app, path, &StoreName { name: name.into() }).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(refused.error().code, ErrorCode::Invalid);
    }
    // A kiosk whose address names a store the shop lacks (a typo in the
    // tablet's bookmark) does not run, thanking respondents whose answers the
    // server refuses: it says so to the staff, in the kiosk's language, with
    // the stores there are (their names escaped).
    put(
        &app,
        "stores/harbour",
        &StoreName {
            name: "The <b>harbour</b>".into(),
        },
    )
    .await;
    for (query, words) in [
        ("?store=old-twn", "This shop has no store"),
        ("?store=old-twn&locale=uk-UA", "У магазину немає точки"),
        ("?store=%3Cscript%3E", "This shop has no store"),
    ] {
        let page = app.get(&format!("/kiosk/pk_demo{query}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{query}");
        let html = String::from_utf8_lossy(&page.body).into_owned();
        assert!(html.contains(words), "{query}: {html}");
        assert!(html.contains("<code>old-town</code> — Old town"), "{html}");
        assert!(html.contains("The &lt;b&gt;harbour&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
    for query in ["?store=old-town", "", "?survey=&locale=&store="] {
        let page = app.get(&format!("/kiosk/pk_demo{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
    }
    // Behind a PIN, the page names the store refused but lists none: the
    // public key is on every page of the shop, the setup lists them to staff.
    set_pin(&app, Some(PIN)).await;
    let page = app.get("/kiosk/pk_demo?store=old-twn").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains("old-twn") && !html.contains("Old town"),
        "{html}"
    );
    set_pin(&app, None).await;
    // Without the owner token: nothing.
    let anonymous = app
        .raw(
            Method::PUT,
            "/api/v1/shops/demo/stores/z",
            &[(header::CONTENT_TYPE.as_str(), "application/json")],
            r#"{"name":"Z"}"#,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// Stores made at the same moment cannot pass the limit together (an outside
/// test made 530 with 35 at once): each counts what the others wrote; a store
/// already there is still renamed at the limit.
async fn the_store_limit_holds_for_requests_at_the_same_moment(app: TestApp) {
    use kept_shared::limits::MAX_STORES;
    let name = |n: &str| StoreName { name: n.into() };
    let had = app.owner_reply("stores").await.json::<Vec<Store>>().len();
    for i in 0..MAX_STORES - 5 - had {
        let saved = put(&app, &format!("stores/s{i}"), &name("A store")).await;
        assert_eq!(saved.status, StatusCode::OK);
    }
    let (new_one, renamed) = (name("New"), name("Renamed"));
    let paths: Vec<String> = (0..35).map(|i| format!("stores/new{i}")).collect();
    let mut requests: Vec<_> = paths.iter().map(|p| put(&app, p, &new_one)).collect();
    requests.push(put(&app, "stores/s0", &renamed));
    let replies = futures_util::future::join_all(requests).await;
    let (renamed, new) = replies.split_last().unwrap();
    assert_eq!(renamed.status, StatusCode::OK);
    let saved = new.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!(saved, 5);
    for refused in new.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.error().code, ErrorCode::Invalid);
    }
    let stores: Vec<Store> = app.owner_reply("stores").await.json();
    assert_eq!(stores.len(), MAX_STORES);
    assert!(stores.iter().any(|s| s.id == "s0" && s.name == "Renamed"));
}

async fn a_tablet_is_set_up_only_with_the_pin(app: TestApp) {
    // No PIN yet: the tablet is told the owner must set one.
    let none = set_up(&app, PIN, "tablet-1").await;
    assert_eq!(none.status, StatusCode::CONFLICT);
    for bad in ["12345", "12a456"] {
        let refused = set_pin(&app, Some(bad)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    // Only an explicit null removes a PIN: no field, or a misspelt one, is refused.
    for body in [serde_json::json!({}), serde_json::json!({"PIN": PIN})] {
        let refused = put(&app, "kiosk-pin", &body).await;
        assert_eq!(
            (refused.status, refused.error().code),
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::BadRequest),
            "{body}"
        );
    }
    assert_eq!(
        set_pin(&app, Some(PIN)).await.status,
        StatusCode::NO_CONTENT
    );
    put(
        &app,
        "stores/old-town",
        &StoreName {
            name: "Old town".into(),
        },
    )
    .await;
    let wrong = set_up(&app, "135790", "tablet-1").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.error().code, ErrorCode::Unauthorized);
    let setup: KioskSetup = set_up(&app, PIN, "tablet-1").await.json();
    assert!(
        setup
            .stores
            .iter()
            .any(|s| s.id == "old-town" && s.name == "Old town")
    );
    let kinds: Vec<&str> = setup.surveys.iter().map(|s| s.kind.as_str()).collect();
    assert!(
        kinds.contains(&"nps") && kinds.contains(&"csat"),
        "{kinds:?}"
    );
    assert_eq!(setup.device_sig.len(), 64);
    // The surveys are listed in the staff's language.
    let uk: KioskSetup = app
        .post_json(
            "/api/v1/widget/pk_demo/kiosk",
            None,
            &KioskSetupRequest {
                pin: PIN.into(),
                device: "tablet-1".into(),
                locale: Some("uk-UA".into()),
            },
        )
        .await
        .json();
    assert!(
        uk.surveys
            .iter()
            .any(|s| s.title.starts_with("Наскільки ймовірно")),
        "{:?}",
        uk.surveys
    );
    // The owner changing the PIN and reading the audit log.
    let audit = app.owner_reply("audit").await;
    assert!(String::from_utf8_lossy(&audit.body).contains("kiosk PIN set"));
}

async fn guessing_the_pin_is_cut_short(app: TestApp) {
    set_pin(&app, Some(PIN)).await;
    let mut statuses = Vec::new();
    for guess in 0..12 {
        statuses.push(
            set_up(&app, &format!("{:06}", guess), "tablet-x")
                .await
                .status,
        );
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS);
    // Even the right PIN waits now: the limit is the shop's, not the guess's.
    let right = set_up(&app, PIN, "tablet-x").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(right.header("retry-after").is_some());
}

/// The owner removes a tablet (lost, stolen, given away): it leaves the list,
/// its reports are refused (the kiosk app then asks for the PIN), and the PIN
/// sets it up again; the owner's dashboard does the same.
async fn a_removed_tablet_is_refused_until_set_up_again(app: TestApp) {
    set_pin(&app, Some(PIN)).await;
    let setup: KioskSetup = set_up(&app, PIN, "tablet-9").await.json();
    let body = report(&setup.device_sig, None, 0, None);
    let send = || app.post_json("/api/v1/widget/pk_demo/devices/tablet-9", None, &body);
    assert_eq!(send().await.status, StatusCode::NO_CONTENT);
    let listed = async || -> Vec<String> {
        let devices: Devices = app.owner_reply("devices").await.json();
        devices.devices.into_iter().map(|d| d.id).collect()
    };
    assert_eq!(listed().await, ["tablet-9"]);
    let bearer = format!("Bearer {}", demo::OWNER_TOKEN);
    let remove = async |device: &str| {
        app.raw(
            Method::DELETE,
            &format!("/api/v1/shops/demo/devices/{device}"),
            &[(header::AUTHORIZATION.as_str(), &bearer)],
            axum::body::Body::empty(),
        )
        .await
    };
    assert_eq!(remove("tablet-9").await.status, StatusCode::NO_CONTENT);
    assert_eq!(remove("no-such-tablet").await.status, StatusCode::NOT_FOUND);
    assert!(listed().await.is_empty());
    let refused = send().await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.error().message.contains("removed this tablet"),
        "{:?}",
        refused.error()
    );
    // Set up again with the PIN: back.
    let again: KioskSetup = set_up(&app, PIN, "tablet-9").await.json();
    assert_eq!(again.device_sig, setup.device_sig);
    assert_eq!(send().await.status, StatusCode::NO_CONTENT);
    assert_eq!(listed().await, ["tablet-9"]);
    let audit = app.owner_reply("audit").await;
    assert!(String::from_utf8_lossy(&audit.body).contains("tablet removed"));

    // From the dashboard: the list's button, and the page says what follows.
    let (cookie, csrf) = common::sign_in(&app).await;
    let page = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/kiosks/tablets/tablet-9/remove",
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains(r#"data-testid="tablet-removed""#), "{html}");
    assert!(!html.contains(r#"data-testid="tablet""#), "{html}");
    assert_eq!(send().await.status, StatusCode::UNAUTHORIZED);
}

async fn tablets_report_and_the_owner_sees_which_need_looking_at(app: TestApp) {
    set_pin(&app, Some(PIN)).await;
    let one: KioskSetup = set_up(&app, PIN, "tablet-1").await.json();
    let two: KioskSetup = set_up(&app, PIN, "tablet-2").await.json();
    let send = |device: &'static str, r: DeviceReport| {
        let app = &app;
        async move {
            app.post_json(
                &format!("/api/v1/widget/pk_demo/devices/{device}"),
                None,
                &r,
            )
            .await
        }
    };
    // Tablet 1 synced everything; tablet 2 has answers waiting since five hours ago.
    let five_hours_ago = (Utc::now() - Duration::hours(5)).timestamp_millis();
    assert_eq!(
        send(
            "tablet-1",
            report(&one.device_sig, Some("old-town"), 0, None)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    send(
        "tablet-2",
        report(&two.device_sig, Some("harbour"), 3, Some(five_hours_ago)),
    )
    .await;
    // A made-up device, or one tablet's signature on another: refused.
    let forged = send("tablet-3", report(&one.device_sig, None, 0, None)).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let elsewhere = send(
        "tablet-1",
        report(&one.device_sig, Some("moon-base"), 0, None),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST);
    let bad = send(
        "tablet-1",
        DeviceReport {
            version: "a b".into(),
            ..report(&one.device_sig, None, 0, None)
        },
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let devices: Devices = app.owner_reply("devices").await.json();
    assert_eq!(devices.stale_after_hours, 4);
    let ids: Vec<(&str, bool, u32)> = devices
        .devices
        .iter()
        .map(|d| (d.id.as_str(), d.stale, d.pending))
        .collect();
    // The one to look at first.
    assert_eq!(ids, [("tablet-2", true, 3), ("tablet-1", false, 0)]);
    assert_eq!(devices.devices[1].store.as_deref(), Some("old-town"));
    // Asked with a longer patience, nothing is stale.
    let patient: Devices = app.owner_reply("devices?stale_after_hours=6").await.json();
    assert!(patient.devices.iter().all(|d| !d.stale));
    assert_eq!(
        app.owner_reply("devices?stale_after_hours=0").await.status,
        StatusCode::BAD_REQUEST
    );
    // Tablet 2 comes back and sends its queue: no longer stale, and its sync
    // time never goes back even if a later report says an older one.
    send(
        "tablet-2",
        report(&two.device_sig, Some("harbour"), 0, Some(five_hours_ago)),
    )
    .await;
    let devices: Devices = app.owner_reply("devices").await.json();
    assert!(devices.devices.iter().all(|d| !d.stale && d.pending == 0));
}

async fn kiosk_answers_carry_their_store_into_the_report(app: TestApp) {
    let at = |store: Option<&str>, score| {
        let b = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, score).channel(Channel::Kiosk);
        match store {
            Some(s) => b.store(s).build(),
            None => b.build(),
        }
    };
    let answers = [
        at(Some("old-town"), 10),
        at(Some("old-town"), 9),
        at(Some("harbour"), 2),
        at(None, 8),
    ];
    let receipt = app.send_answers(&answers).await;
    assert_eq!(receipt.stored.len(), 4);
    let stored = app.stored().await;
    assert_eq!(
        stored
            .iter()
            .filter(|a| a.store.as_deref() == Some("old-town"))
            .count(),
        2
    );
    let report = app.report("").await;
    assert_eq!(report.by_store.len(), 2);
    assert_eq!(report.by_store["old-town"].nps.score, Some(100.0));
    assert_eq!(report.by_store["harbour"].nps.score, Some(-100.0));
    assert_eq!(report.by_channel[&Channel::Kiosk].nps.responses, 4);
    // The dashboard's overview of one store: its answers alone (its NPS had
    // been the whole shop's under the store's name), the store by its name.
    let (cookie, _) = common::sign_in(&app).await;
    let stores: Vec<Store> = app.owner_reply("stores").await.json();
    for (query, nps, answers) in [
        ("", "+25", "4 answers"),
        ("?store=old-town", "+100", "2 answers"),
        ("?store=harbour", "−100", "1 answer"),
    ] {
        let page = app
            .get_with(&format!("/dashboard{query}"), &[("cookie", &cookie)])
            .await;
        let html = String::from_utf8_lossy(&page.body).to_string();
        let card = format!(r#"<h2>NPS</h2><div class="big">{nps}</div>"#);
        assert!(html.contains(&card), "{query}: {card} in {html}");
        assert!(html.contains(answers), "{query}: {answers}");
        // What the figure "lost" counts, beside the segments' own.
        assert!(
            html.contains("the churn window (90 days without one)"),
            "{html}"
        );
        if let Some(id) = query.strip_prefix("?store=") {
            let name = &stores.iter().find(|s| s.id == id).unwrap().name;
            assert!(html.contains(&format!("Store: {name}")), "{html}");
        }
    }
    // The responses name each answer's store by its name too, and filter by a
    // list of the stores (it had been an id to type).
    let page = app
        .get_with("/dashboard/responses?store=harbour", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    let harbour = &stores.iter().find(|s| s.id == "harbour").unwrap().name;
    assert!(html.contains(&format!("Kiosk · {harbour}")), "{html}");
    assert!(
        html.contains(&format!(
            r#"<option value="harbour" selected>{harbour}</option>"#
        )),
        "{html}"
    );
    // A store that is not a reference is refused with the answer's reason.
    let bad = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 7)
        .store("old town")
        .build();
    let receipt = app.send_answers(&[bad]).await;
    assert_eq!(receipt.rejected.len(), 1);
    // Well-formed but not one of the shop's stores: refused with the reason, the
    // rest of the batch stored.
    let made_up = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 7)
        .store("moon-base")
        .build();
    let fine = at(Some("harbour"), 6);
    let receipt = app.send_answers(&[made_up.clone(), fine.clone()]).await;
    assert_eq!(receipt.stored, [fine.id]);
    assert_eq!(receipt.rejected[0].id, made_up.id);
    assert!(
        receipt.rejected[0].message.contains("moon-base"),
        "{:?}",
        receipt.rejected
    );
}

async fn the_dashboard_names_stores_sets_the_pin_and_flags_tablets(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let form = |path: &str, body: String| {
        let (app, cookie, path) = (&app, cookie.clone(), path.to_string());
        async move { common::dashboard_post(app, &cookie, &path, body).await }
    };
    let page = app
        .get_with("/dashboard/kiosks", &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains("/kiosk/pk_demo") && html.contains("No PIN yet"),
        "{html}"
    );

    let bad = form("/dashboard/kiosks/pin", format!("csrf={csrf}&pin=12")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&bad.body).contains("role=\"alert\""));
    let forged = form("/dashboard/kiosks/pin", format!("csrf=nope&pin={PIN}")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        form("/dashboard/kiosks/pin", format!("csrf={csrf}&pin={PIN}"))
            .await
            .status,
        StatusCode::OK
    );
    let saved = form(
        "/dashboard/kiosks/stores",
        format!("csrf={csrf}&id=old-town&name=Old+town"),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK);

    // A tablet that reported answers waiting since yesterday is flagged, by its store's name.
    let setup: KioskSetup = set_up(&app, PIN, "tablet-9").await.json();
    let yesterday = (Utc::now() - Duration::hours(26)).timestamp_millis();
    app.post_json(
        "/api/v1/widget/pk_demo/devices/tablet-9",
        None,
        &report(&setup.device_sig, Some("old-town"), 2, Some(yesterday)),
    )
    .await;
    let page = app
        .get_with("/dashboard/kiosks", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("A PIN is set."));
    assert!(
        html.contains("data-stale=\"true\"") && html.contains("Not synced for 4 h"),
        "{html}"
    );
    assert!(html.contains("<td>Old town</td>"), "{html}");
    // The PIN can be removed: kiosks then run with their address's settings.
    let removed = form("/dashboard/kiosks/pin", format!("csrf={csrf}&remove=1")).await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&removed.body).contains("No PIN yet"));
    assert_eq!(
        set_up(&app, PIN, "tablet-10").await.status,
        StatusCode::CONFLICT
    );

    // The win-back page offers the links, and they download as CSV.
    let links = app
        .get_with(
            &format!(
                "/dashboard/win-back/links.csv?survey={}&lapsed_days=30",
                demo::CHURN_SURVEY
            ),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(links.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&links.body).starts_with("\u{feff}customer_ref,order_ref"));
}

on_both_engines!(
    the_dashboard_names_stores_sets_the_pin_and_flags_tablets,
    stores_are_named_and_checked,
    the_store_limit_holds_for_requests_at_the_same_moment,
    a_tablet_is_set_up_only_with_the_pin,
    guessing_the_pin_is_cut_short,
    tablets_report_and_the_owner_sees_which_need_looking_at,
    a_removed_tablet_is_refused_until_set_up_again,
    kiosk_answers_carry_their_store_into_the_report,
);
