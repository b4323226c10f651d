//! What the owner changes, through the owner API and the dashboard's forms, on
//! both engines: settings (and what a new time zone or churn window recomputes),
//! surveys, keys, the audit log; and the dashboard's sessions and their guards.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use common::TestApp;
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::{
    AuditEntry, ErrorCode, RecordPurchase, Report, RetentionReport, RotatedSecret, ShopView,
    SurveyDefinition, api,
};

on_both_engines!(
    settings_are_checked_saved_and_logged,
    a_new_time_zone_moves_answers_and_purchases_to_their_new_days,
    a_new_churn_window_recomputes_who_was_lost,
    a_settings_change_gets_through_while_purchases_keep_coming,
    a_survey_edited_is_what_the_widget_gets_and_its_kind_cannot_change,
    a_new_secret_works_at_once_and_the_old_one_never_again,
    keys_replaced_at_the_same_moment_leave_one_valid,
    the_dashboard_signs_in_with_the_owner_token_and_guards_its_forms,
    a_key_is_replaced_only_once_confirmed,
    a_new_owner_token_ends_every_dashboard_session,
    the_survey_editor_sets_targeting_and_names_what_is_wrong,
    a_shop_has_at_most_fifty_surveys_even_made_at_the_same_moment,
    a_survey_made_twice_at_once_keeps_one_kind,
    the_dashboard_makes_a_new_survey_from_the_standard_one_of_its_kind,
    a_new_survey_is_made_once_and_never_beside_its_twin_in_case,
    a_site_named_in_another_script_is_shown_in_it,
    a_page_rule_in_another_script_is_given_to_pages_as_browsers_write_paths,
    the_change_log_is_said_in_the_owners_language,
    a_surveys_preview_plan_is_the_signed_in_owners_only,
);

/// The editor's preview asks the dashboard for its plan, which holds the
/// survey previewed even while it is off: only with the owner's session,
/// and only for their shop's key.
async fn a_surveys_preview_plan_is_the_signed_in_owners_only(app: TestApp) {
    let mut csat = survey(&app, demo::CSAT_SURVEY).await;
    csat.active = false;
    put_survey(&app, &csat).await.assert_ok();
    let path = |key: &str| {
        format!(
            "/dashboard/surveys/{}/preview/api/v1/widget/{key}/plan?locale=en",
            demo::CSAT_SURVEY
        )
    };
    let anonymous = app.get(&path(demo::PUBLIC_KEY)).await;
    assert!(!anonymous.status.is_success(), "{:?}", anonymous.status);
    let (cookie, _) = common::sign_in(&app).await;
    let other = app
        .get_with(&path("pk_other"), &[("cookie", &cookie)])
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let plan = app
        .get_with(&path(demo::PUBLIC_KEY), &[("cookie", &cookie)])
        .await;
    plan.assert_ok();
    let plan: kept_shared::DisplayPlan = plan.json();
    assert!(
        plan.surveys
            .iter()
            .any(|s| s.survey.id == demo::CSAT_SURVEY)
    );
    // Visitors' plans keep it out.
    let public: kept_shared::DisplayPlan = app.get(&api::plan(demo::PUBLIC_KEY)).await.json();
    assert!(
        public
            .surveys
            .iter()
            .all(|s| s.survey.id != demo::CSAT_SURVEY)
    );
}

/// The change log is stored in English (the owner API gives it so); the
/// dashboard says its words in the owner's language, and leaves what the
/// owner wrote as written (it had shown a Russian owner English throughout).
async fn the_change_log_is_said_in_the_owners_language(app: TestApp) {
    let view: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    let mut s = view.settings;
    s.churn_window_days = 60;
    s.require_verified = true;
    put_settings(&app, &s).await.assert_ok();
    let mut nps = survey(&app, demo::NPS_SURVEY).await;
    nps.active = false;
    nps.survey.targeting.audience = kept_shared::Audience::Lapsed { days: 90 };
    nps.survey.texts.get_mut("ru").unwrap().question = "Порекомендуете нас?".into();
    put_survey(&app, &nps).await.assert_ok();
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert!(
        log.iter()
            .any(|e| e.detail.contains("churn window: 90 days → 60 days")),
        "stored in English: {log:?}"
    );

    let (cookie, _) = common::sign_in(&app).await;
    for (lang, says) in [
        (
            "ru",
            [
                "окно оттока: 90 дн. → 60 дн.",
                "хранятся ответы: все → только подтверждённые",
                "опрос nps-after-purchase",
                "выключен",
                "аудитория: все → без покупок 90 дн.",
                "вопрос (ru): Насколько вероятно, что вы порекомендуете нас другу? → Порекомендуете нас?",
                "API владельца",
            ],
        ),
        (
            "uk",
            [
                "вікно відтоку: 90 дн. → 60 дн.",
                "зберігаються відповіді: усі → лише підтверджені",
                "опитування nps-after-purchase",
                "вимкнено",
                "аудиторія: усі → без покупок 90 дн.",
                "питання (ru): Насколько вероятно, что вы порекомендуете нас другу? → Порекомендуете нас?",
                "API власника",
            ],
        ),
    ] {
        let page = app
            .get_with(
                "/dashboard/settings",
                &[("cookie", &format!("{cookie}; kept_lang={lang}"))],
            )
            .await;
        let html = String::from_utf8_lossy(&page.body).to_string();
        for said in says {
            assert!(html.contains(said), "{lang}: {said}: {html}");
        }
        assert!(!html.contains("churn window"), "{lang}: {html}");
    }
}

/// A page rule written in Ukrainian (`/замовлення/**`) is given to pages as
/// browsers write `location.pathname`, which it is compared with (it had
/// matched no page); it is kept, and shown in the editor and the change log,
/// as written (the owner API gives back what it took: a long rule, kept
/// encoded, had been refused when sent back unchanged).
async fn a_page_rule_in_another_script_is_given_to_pages_as_browsers_write_paths(app: TestApp) {
    let mut csat = survey(&app, demo::CSAT_SURVEY).await;
    csat.survey.targeting.pages = vec![kept_shared::PageRule {
        kind: kept_shared::PageMatch::Glob,
        path: "/замовлення/**".into(),
    }];
    put_survey(&app, &csat).await.assert_ok();
    let encoded = "/%D0%B7%D0%B0%D0%BC%D0%BE%D0%B2%D0%BB%D0%B5%D0%BD%D0%BD%D1%8F/**";
    let saved: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let rule = &saved
        .iter()
        .find(|s| s.survey.id == demo::CSAT_SURVEY)
        .unwrap()
        .survey
        .targeting
        .pages[0];
    assert_eq!(rule.path, "/замовлення/**");
    let rules = app
        .get(&format!("{}?texts=false", api::plan(demo::PUBLIC_KEY)))
        .await;
    assert!(
        String::from_utf8_lossy(&rules.body).contains(encoded),
        "{:?}",
        rules.body
    );
    let (cookie, _) = common::sign_in(&app).await;
    let editor = app
        .get_with(
            &format!("/dashboard/surveys/{}", demo::CSAT_SURVEY),
            &[("cookie", &cookie)],
        )
        .await;
    let html = String::from_utf8_lossy(&editor.body).to_string();
    assert!(html.contains(r#"value="/замовлення/**""#), "{html}");
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert!(
        log.iter().any(|e| e.detail.contains("glob /замовлення/**")),
        "{log:?}"
    );
}

/// A Ukrainian shop's site (`магазин.укр`) is shown in the settings as its
/// owner wrote it, and kept in the form browsers send (`xn--…`): the form had
/// shown the owner a name they would not know for theirs.
async fn a_site_named_in_another_script_is_shown_in_it(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let saved = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/settings",
        format!(
            "csrf={csrf}&name=Shop&time_zone=UTC&points_per_unit=1&churn_window_days=90\
             &survey_cooldown_days=7&allowed_origins=https%3A%2F%2F%D0%BC%D0%B0%D0%B3%D0%B0%D0%B7%D0%B8%D0%BD.%D1%83%D0%BA%D1%80%0Ahttps%3A%2F%2Fshop.example%3A8443\
             &tier.0.name=Base&tier.0.min_points=0&tier.0.labels="
        ),
    )
    .await;
    saved.assert_ok();
    let stored = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    assert_eq!(
        stored.allowed_origins,
        [
            "https://xn--80aairftm.xn--j1amh",
            "https://shop.example:8443"
        ]
    );
    let page = app
        .get_with("/dashboard/settings", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains("https://магазин.укр\nhttps://shop.example:8443</textarea>"),
        "{html}"
    );
}

/// Twenty "Create" clicks of one new survey at the same moment make it once:
/// one goes to its editor, the others are told it exists, and the log says
/// "created" once (the id was checked, then written: each had passed the
/// check, and a later one could write over an edit made meanwhile). Nor is
/// an id made that differs from a survey's only in case, by the dashboard or
/// the owner API (`NPS-After-Purchase` had become a second survey beside
/// `nps-after-purchase`); the survey of that id itself is still changed.
/// Each request a task of its own, so that they overlap on the runtime's threads.
async fn a_new_survey_is_made_once_and_never_beside_its_twin_in_case(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let replies = futures_util::future::join_all((0..20).map(|_| {
        let app = app.app.clone();
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        tokio::spawn(async move {
            let req = axum::http::Request::post("/dashboard/surveys")
                .header("host", "kept.test")
                .header("origin", "http://kept.test")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie)
                .body(axum::body::Body::from(format!(
                    "csrf={csrf}&kind=csat&id=csat-delivery"
                )))
                .unwrap();
            tower::ServiceExt::oneshot(app, req).await.unwrap().status()
        })
    }))
    .await;
    let made = replies
        .iter()
        .filter(|r| *r.as_ref().unwrap() == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(made, 1, "{replies:?}");
    assert!(replies.iter().all(|r| matches!(
        *r.as_ref().unwrap(),
        StatusCode::SEE_OTHER | StatusCode::UNPROCESSABLE_ENTITY
    )));
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    let created = log
        .iter()
        .filter(|e| e.action == "survey csat-delivery" && e.detail == "created")
        .count();
    assert_eq!(created, 1);

    let twin = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/surveys",
        format!("csrf={csrf}&kind=csat&id=CSAT-Delivery"),
    )
    .await;
    assert_eq!(twin.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8_lossy(&twin.body).to_string();
    assert!(
        html.contains("has a survey &quot;csat-delivery&quot; already"),
        "{html}"
    );
    let surveys: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let nps = surveys
        .iter()
        .find(|s| s.survey.id == "nps-after-purchase")
        .unwrap();
    let mut twin = nps.clone();
    twin.survey.id = "NPS-After-Purchase".into();
    let refused = put_survey(&app, &twin).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = refused.error();
    assert_eq!(error.fields[0].field, "id");
    assert_eq!(
        error.fields[0].message,
        "the shop has a survey \"nps-after-purchase\" already: edit it, or give the new one another id"
    );
    let mut changed = nps.clone();
    changed.active = false;
    put_survey(&app, &changed).await.assert_ok();
    let after: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    assert_eq!(after.len(), surveys.len());
}

/// A new survey from the dashboard (it had only the three a shop starts
/// with): the standard survey of its kind under the id given, off, last; its
/// editor next. An id taken or malformed, or a kind there is not, is refused
/// beside the form, as typed.
async fn the_dashboard_makes_a_new_survey_from_the_standard_one_of_its_kind(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let made = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/surveys",
        format!("csrf={csrf}&kind=nps&id=nps-delivery"),
    )
    .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    assert_eq!(
        made.header("location"),
        Some("/dashboard/surveys/nps-delivery")
    );
    let surveys: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let new = surveys
        .iter()
        .find(|s| s.survey.id == "nps-delivery")
        .unwrap();
    assert!(!new.active);
    assert_eq!(new.survey.kind.name(), "nps");
    assert_eq!(
        new.survey.texts.keys().collect::<Vec<_>>(),
        ["en", "ru", "uk"]
    );
    assert!(surveys.iter().all(|s| s.position <= new.position));
    // Asking what the standard NPS asks, each is named with its id where the
    // dashboard lists surveys (the responses' filter had shown two alike).
    let page = app
        .get_with("/dashboard/responses", &[("cookie", &cookie)])
        .await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(
        html.contains("How likely are you to recommend us to a friend? (nps-delivery)")
            && html
                .contains("How likely are you to recommend us to a friend? (nps-after-purchase)"),
        "{html}"
    );
    assert!(
        html.contains("How satisfied are you with your purchase?<"),
        "a survey alone keeps its question"
    );
    for (body, says) in [
        (
            format!("csrf={csrf}&kind=nps&id=nps-delivery"),
            "has a survey \"nps-delivery\" already",
        ),
        (
            format!("csrf={csrf}&kind=nps&id=a+b"),
            "ay hold only letters",
        ),
        (
            format!("csrf={csrf}&kind=poll&id=poll-1"),
            "\"poll\" is not one of the choices",
        ),
    ] {
        let refused =
            common::dashboard_post(&app, &cookie, "/dashboard/surveys", body.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let html = String::from_utf8_lossy(&refused.body).to_string();
        assert!(
            html.contains(&says.replace('"', "&quot;")) || html.contains(says),
            "{body}: {html}"
        );
    }
    let ru = common::dashboard_post(
        &app,
        &format!("{cookie}; kept_lang=ru"),
        "/dashboard/surveys",
        format!("csrf={csrf}&kind=csat&id=nps-delivery"),
    )
    .await;
    let html = String::from_utf8_lossy(&ru.body).to_string();
    assert!(html.contains("Опрос «nps-delivery» уже есть"), "{html}");
    assert!(html.contains(r#"value="nps-delivery""#), "the id as typed");
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert!(
        log.iter()
            .any(|e| e.action == "survey nps-delivery" && e.detail == "created")
    );
}

async fn owner(
    app: &TestApp,
    method: Method,
    rest: &str,
    body: Option<serde_json::Value>,
) -> common::Reply {
    let path = api::owner(demo::SHOP_ID, rest);
    app.raw(
        method,
        &path,
        &[
            ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
            ("content-type", "application/json"),
        ],
        body.map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default(),
    )
    .await
}

/// The survey `id` as the owner API gives it.
async fn survey(app: &TestApp, id: &str) -> SurveyDefinition {
    let surveys: Vec<SurveyDefinition> = owner(app, Method::GET, "surveys", None).await.json();
    surveys
        .into_iter()
        .find(|s| s.survey.id == id)
        .unwrap_or_else(|| panic!("no survey {id}"))
}

/// `definition` sent as its survey's new state, as the owner API takes it.
async fn put_survey(app: &TestApp, definition: &SurveyDefinition) -> common::Reply {
    let path = format!("surveys/{}", definition.survey.id);
    owner(
        app,
        Method::PUT,
        &path,
        Some(serde_json::to_value(definition).unwrap()),
    )
    .await
}

/// `settings` sent as the shop's new settings.
async fn put_settings(app: &TestApp, settings: &kept_shared::ShopSettings) -> common::Reply {
    owner(
        app,
        Method::PUT,
        "settings",
        Some(serde_json::to_value(settings).unwrap()),
    )
    .await
}

async fn settings_are_checked_saved_and_logged(app: TestApp) {
    let view: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    assert_eq!(view.public_key, demo::PUBLIC_KEY);
    let mut s = view.settings;
    s.name = "Northwind Roasters".into();
    // As the owner may type it: a browser writes no default port.
    s.allowed_origins
        .push("https://Northwind.Example:443".into());
    s.tiers[1].labels.insert("de".into(), "Silber".into());
    // A member the settings do not have (misspelt), at the top or in a tier,
    // is refused and changes nothing: it had been answered 200.
    for misspelt in ["/text_retention_day", "/tiers/0/min_point"] {
        let mut body = serde_json::to_value(&s).unwrap();
        let (parent, member) = misspelt.rsplit_once('/').unwrap();
        body.pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(member.into(), serde_json::json!(30));
        let refused = owner(&app, Method::PUT, "settings", Some(body)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{misspelt}"
        );
        assert!(
            refused.error().message.contains(member),
            "{misspelt}: {}",
            refused.error().message
        );
    }
    let reply = put_settings(&app, &s).await;
    reply.assert_ok();
    let saved: ShopView = reply.json();
    assert_eq!(saved.settings.name, "Northwind Roasters");
    assert!(
        saved
            .settings
            .allowed_origins
            .contains(&"https://northwind.example".to_string())
    );
    // The widget sees the new origin and the tier's new name.
    let cors = app
        .get_with(
            &api::surveys(demo::PUBLIC_KEY),
            &[("origin", "https://northwind.example")],
        )
        .await;
    assert_eq!(cors.status, StatusCode::OK);
    // One listed by an earlier release with its default port still matches.
    app.db
        .set_allowed_origins(demo::SHOP_ID, vec!["http://legacy.example:80".into()])
        .await
        .unwrap();
    let legacy = app
        .get_with(
            &api::surveys(demo::PUBLIC_KEY),
            &[("origin", "http://legacy.example")],
        )
        .await;
    assert_eq!(legacy.status, StatusCode::OK);
    app.db
        .set_allowed_origins(demo::SHOP_ID, saved.settings.allowed_origins.clone())
        .await
        .unwrap();
    let status: kept_shared::LoyaltyStatus = app.get(&common::signed_loyalty("alice")).await.json();
    assert_eq!(status.tier_name("de"), "Silber");

    let mut bad = s.clone();
    bad.time_zone = "Mars/Olympus".into();
    bad.churn_window_days = 3;
    bad.tiers.retain(|t| t.min_points > 0);
    let reply = put_settings(&app, &bad).await;
    assert_eq!(
        (reply.status, reply.error().code),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid)
    );
    let fields: Vec<String> = reply.error().fields.into_iter().map(|f| f.field).collect();
    assert_eq!(fields, ["tiers", "churn_window_days", "time_zone"]);
    // Each field's problem is a code with its details, beside its English words.
    let body: serde_json::Value = reply.json();
    assert_eq!(
        body["fields"][1],
        serde_json::json!({
            "field": "churn_window_days",
            "message": "7 to 730 days",
            "code": "range",
            "min": 7,
            "max": 730,
            "unit": "days"
        })
    );
    assert_eq!(body["fields"][2]["code"], "not_a_time_zone");
    assert_eq!(body["fields"][2]["value"], "Mars/Olympus");
    let unchanged: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    assert_eq!(unchanged.settings.churn_window_days, 90);

    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "settings");
    assert!(
        log[0]
            .detail
            .contains("name: Northwind Coffee Roasters → Northwind Roasters"),
        "{}",
        log[0].detail
    );
    assert!(log[0].actor.starts_with("owner API"));
}

async fn a_new_time_zone_moves_answers_and_purchases_to_their_new_days(app: TestApp) {
    // 23:30 UTC on Mar 31: still March in UTC, already April 1 in Kyiv (UTC+3 in summer time).
    let late = Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap();
    let shop = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    kept_server::ingest::ingest(
        app.db.as_ref(),
        &shop,
        vec![
            AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 10)
                .at(late)
                .build(),
        ],
        late,
    )
    .await
    .unwrap();
    let mut p = RecordPurchase::new("tz", "tz-1", 100);
    p.purchased_at = Some(late);
    assert_eq!(
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
            .await
            .status,
        StatusCode::OK
    );
    let month = |r: &Report| {
        r.trend
            .iter()
            .map(|p| p.start.to_string())
            .collect::<Vec<_>>()
    };
    let before = app
        .report("from=2026-03-01&to=2026-04-30&period=month")
        .await;
    assert_eq!(month(&before), ["2026-03-01"]);

    let mut s: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    s.settings.time_zone = "Europe/Kyiv".into();
    let reply = owner(
        &app,
        Method::PUT,
        "settings",
        Some(serde_json::to_value(&s.settings).unwrap()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let after = app
        .report("from=2026-03-01&to=2026-04-30&period=month")
        .await;
    assert_eq!(month(&after), ["2026-04-01"], "the answer's day moved");
    let r: RetentionReport = owner(
        &app,
        Method::GET,
        "analytics/retention?from=2026-03-01&to=2026-04-30",
        None,
    )
    .await
    .json();
    assert_eq!(
        (r.periods[0].acquired, r.periods[1].acquired),
        (0, 1),
        "so did the purchase's"
    );
    // A batch read in the old zone, written after the change: its day is
    // the new zone's (it had kept the old zone's, the recount done before it).
    let late = Utc.with_ymd_and_hms(2026, 4, 30, 22, 30, 0).unwrap();
    let record = kept_server::db::AnswerRecord {
        answer: AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9)
            .at(late)
            .build(),
        day: late.date_naive(),
        verified: false,
        store: None,
    };
    app.db
        .insert_answers(demo::SHOP_ID, vec![record], Utc::now(), vec![])
        .await
        .unwrap();
    let may = app
        .report("from=2026-05-01&to=2026-05-31&period=month")
        .await;
    assert_eq!(month(&may), ["2026-05-01"], "May 1 in Kyiv");
    // So a purchase's.
    app.db
        .record_purchase(
            demo::SHOP_ID,
            kept_server::db::NewPurchase {
                purchase_id: "late-1".into(),
                customer_ref: "late".into(),
                amount_cents: 100,
                points: 1,
                purchased_at: late,
                day: late.date_naive(),
                store: None,
                time_given: true,
            },
        )
        .await
        .unwrap();
    let r: RetentionReport = owner(
        &app,
        Method::GET,
        "analytics/retention?from=2026-04-01&to=2026-05-31",
        None,
    )
    .await
    .json();
    assert_eq!(
        (r.periods[0].acquired, r.periods[1].acquired),
        (1, 1),
        "acquired on May 1 in Kyiv"
    );
    // The export chosen by the new day writes the answer on it, with the
    // shop's offset (it had written the UTC time, a day earlier).
    let csv = owner(
        &app,
        Method::GET,
        "answers.csv?from=2026-04-01&to=2026-04-01",
        None,
    )
    .await;
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&csv.body[..])
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "2026-04-01T02:30:00+03:00");
}

async fn a_new_churn_window_recomputes_who_was_lost(app: TestApp) {
    for (id, day) in [("w-1", 1), ("w-2", 20)] {
        let mut p = RecordPurchase::new("win", id, 100);
        p.purchased_at = Some(Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap());
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p).await;
    }
    let lost = |r: &RetentionReport| r.periods.iter().map(|p| p.lost).collect::<Vec<_>>();
    let q = "analytics/retention?from=2026-03-01&to=2026-06-30";
    let r: RetentionReport = owner(&app, Method::GET, q, None).await.json();
    assert_eq!(lost(&r), [0, 0, 0, 1], "lost June 18 with W = 90");
    let mut s: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    s.settings.churn_window_days = 14;
    assert_eq!(
        owner(
            &app,
            Method::PUT,
            "settings",
            Some(serde_json::to_value(&s.settings).unwrap())
        )
        .await
        .status,
        StatusCode::OK
    );
    let r: RetentionReport = owner(&app, Method::GET, q, None).await.json();
    // W = 14: lost on Mar 15 (Mar 1 + 14), won back Mar 20, lost again Apr 3.
    assert_eq!(lost(&r), [1, 1, 0, 0]);
    assert_eq!(r.periods[0].won_back, 1);
}

async fn a_survey_edited_is_what_the_widget_gets_and_its_kind_cannot_change(app: TestApp) {
    let surveys: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let mut nps = surveys[0].clone();
    nps.survey.texts.get_mut("en").unwrap().question = "Would you recommend us?".into();
    nps.survey.texts.insert(
        "de".into(),
        kept_shared::SurveyTexts {
            question: "Würden Sie uns empfehlen?".into(),
            follow_up: None,
        },
    );
    let path = format!("surveys/{}", nps.survey.id);
    let reply = owner(
        &app,
        Method::PUT,
        &path,
        Some(serde_json::to_value(&nps).unwrap()),
    )
    .await;
    reply.assert_ok();
    let widget: kept_shared::ShopSurveys = app.get(&api::surveys(demo::PUBLIC_KEY)).await.json();
    assert_eq!(
        widget.surveys[0].texts["en"].question,
        "Would you recommend us?"
    );
    assert_eq!(
        widget.surveys[0].texts_for("de-AT").unwrap().question,
        "Würden Sie uns empfehlen?"
    );

    // A churn reason needs a label in each of its survey's languages (one in
    // English alone had been shown in English to Ukrainian visitors).
    let mut churn = surveys
        .iter()
        .find(|s| s.survey.id == demo::CHURN_SURVEY)
        .unwrap()
        .clone();
    if let kept_shared::SurveyKind::ChurnReason { reasons, .. } = &mut churn.survey.kind {
        reasons.push(kept_shared::ChurnReasonChoice {
            code: "moved".into(),
            labels: [("en".to_string(), "I moved away".to_string())].into(),
        });
    }
    let reply = owner(
        &app,
        Method::PUT,
        &format!("surveys/{}", demo::CHURN_SURVEY),
        Some(serde_json::to_value(&churn).unwrap()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = reply.error().fields.into_iter().map(|f| f.field).collect();
    let last = churn_reasons_len(&churn) - 1;
    assert_eq!(
        fields,
        [
            format!("reasons[{last}].labels.ru"),
            format!("reasons[{last}].labels.uk")
        ]
    );

    // Stored before that rule (written past the checks here), it is still
    // switched off and on as it is; a change of its content is judged.
    app.db
        .put_survey(
            demo::SHOP_ID,
            kept_server::db::SurveyRecord {
                survey: churn.survey.clone(),
                active: churn.active,
                position: churn.position,
            },
            50,
            kept_server::db::SurveyWrite::NewOrChange,
        )
        .await
        .unwrap();
    let mut off = churn.clone();
    off.active = !off.active;
    owner(
        &app,
        Method::PUT,
        &format!("surveys/{}", demo::CHURN_SURVEY),
        Some(serde_json::to_value(&off).unwrap()),
    )
    .await
    .assert_ok();
    off.survey.default_locale = "ru".into();
    let reply = owner(
        &app,
        Method::PUT,
        &format!("surveys/{}", demo::CHURN_SURVEY),
        Some(serde_json::to_value(&off).unwrap()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut changed_kind = nps.clone();
    changed_kind.survey.kind = kept_shared::SurveyKind::Csat;
    let reply = owner(
        &app,
        Method::PUT,
        &path,
        Some(serde_json::to_value(&changed_kind).unwrap()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error().fields[0].field, "kind");
    let mut empty = nps.clone();
    empty.survey.texts.get_mut("en").unwrap().question = " ".into();
    let reply = owner(
        &app,
        Method::PUT,
        &path,
        Some(serde_json::to_value(&empty).unwrap()),
    )
    .await;
    assert_eq!(reply.error().fields[0].field, "texts.en.question");
    let wrong_path = owner(
        &app,
        Method::PUT,
        "surveys/other",
        Some(serde_json::to_value(&nps).unwrap()),
    )
    .await;
    assert_eq!(wrong_path.status, StatusCode::BAD_REQUEST);

    // Switched off, it is not offered to the widget; its answers are then refused.
    let mut off = nps.clone();
    off.active = false;
    owner(
        &app,
        Method::PUT,
        &path,
        Some(serde_json::to_value(&off).unwrap()),
    )
    .await;
    let widget: kept_shared::ShopSurveys = app.get(&api::surveys(demo::PUBLIC_KEY)).await.json();
    assert!(widget.surveys.iter().all(|s| s.id != nps.survey.id));
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert!(log.iter().any(|e| e.detail.contains(
        "en question: How likely are you to recommend us to a friend? → Would you recommend us?"
    )));
    assert!(log.iter().any(|e| e.detail.contains("switched off")));
}

/// Every active survey is in the rules each page of the shop reads: a shop has
/// at most [`MAX_SURVEYS`], and requests at the same moment cannot pass that
/// together; one already there is still changed at the limit.
async fn a_shop_has_at_most_fifty_surveys_even_made_at_the_same_moment(app: TestApp) {
    use kept_shared::limits::MAX_SURVEYS;
    let surveys: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let numbered = |i: usize| {
        let mut s = surveys[0].clone();
        s.survey.id = format!("extra-{i}");
        s.active = false;
        s
    };
    let put = |s: SurveyDefinition| {
        let app = &app;
        async move {
            let path = format!("surveys/{}", s.survey.id);
            owner(
                app,
                Method::PUT,
                &path,
                Some(serde_json::to_value(&s).unwrap()),
            )
            .await
        }
    };
    for i in 0..MAX_SURVEYS - 5 - surveys.len() {
        put(numbered(i)).await.assert_ok();
    }
    let mut requests: Vec<_> = (100..110).map(|i| put(numbered(i))).collect();
    let mut changed = surveys[0].clone();
    changed.active = false;
    requests.push(put(changed));
    let replies = futures_util::future::join_all(requests).await;
    let (changed, new) = replies.split_last().unwrap();
    changed.assert_ok();
    assert_eq!(new.iter().filter(|r| r.status.is_success()).count(), 5);
    for refused in new.iter().filter(|r| !r.status.is_success()) {
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let error = refused.error();
        assert_eq!(error.fields[0].field, "id");
        assert_eq!(
            error.fields[0].message,
            format!("at most {MAX_SURVEYS} surveys")
        );
    }
    let after: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    assert_eq!(after.len(), MAX_SURVEYS);
}

/// One survey made by requests at the same moment with two kinds (an outside
/// test saw its kind flip from write to write): the first kind written is
/// its kind, and each request of the other kind is refused as a change of
/// kind.
async fn a_survey_made_twice_at_once_keeps_one_kind(app: TestApp) {
    let surveys: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let nps = surveys
        .iter()
        .find(|s| s.survey.kind.name() == "nps")
        .unwrap();
    let of_kind = |csat: bool| {
        let mut s = nps.clone();
        s.survey.id = "twice".into();
        if csat {
            s.survey.kind = kept_shared::SurveyKind::Csat;
        }
        s
    };
    let replies = futures_util::future::join_all((0..20).map(|i| {
        let s = of_kind(i % 2 == 1);
        let app = &app;
        async move {
            let reply = owner(
                app,
                Method::PUT,
                "surveys/twice",
                Some(serde_json::to_value(&s).unwrap()),
            )
            .await;
            (s.survey.kind.name(), reply)
        }
    }))
    .await;
    let after: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    let kept = after
        .iter()
        .find(|s| s.survey.id == "twice")
        .unwrap()
        .survey
        .kind
        .name();
    for (kind, reply) in &replies {
        if *kind == kept {
            reply.assert_ok();
        } else {
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
            assert_eq!(reply.error().fields[0].field, "kind");
        }
    }
}

/// Replacements of one key at the same moment leave one of the new keys
/// valid, the last: on PostgreSQL each had kept its own (an outside test kept
/// 7 of 20 working), so a leaked key raced against its replacement lived on.
/// Each request a task of its own, so that they overlap on the runtime's threads.
async fn keys_replaced_at_the_same_moment_leave_one_valid(app: TestApp) {
    for round in 0..5 {
        let replies = futures_util::future::join_all((0..20).map(|_| {
            let app = app.app.clone();
            tokio::spawn(async move {
                let path = api::owner(demo::SHOP_ID, "keys/back-office");
                let req = axum::http::Request::post(path)
                    .header("authorization", format!("Bearer {}", demo::OWNER_TOKEN))
                    .body(axum::body::Body::empty())
                    .unwrap();
                let reply = tower::ServiceExt::oneshot(app, req).await.unwrap();
                axum::body::to_bytes(reply.into_body(), usize::MAX)
                    .await
                    .unwrap()
            })
        }))
        .await;
        let mut valid = 0;
        for (i, reply) in replies.into_iter().enumerate() {
            let secret: RotatedSecret = serde_json::from_slice(&reply.unwrap()).unwrap();
            let p = RecordPurchase::new("k", &format!("k-{round}-{i}"), 100);
            if app.purchase(&secret.secret, demo::SHOP_ID, &p).await.status == StatusCode::OK {
                valid += 1;
            }
        }
        assert_eq!(valid, 1, "round {round}");
    }
}

async fn a_new_secret_works_at_once_and_the_old_one_never_again(app: TestApp) {
    let p = RecordPurchase::new("k", "k-1", 100);
    let reply = owner(&app, Method::POST, "keys/back-office", None).await;
    let secret: RotatedSecret = reply.json();
    assert!(secret.secret.starts_with("sk_"));
    assert_eq!(
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.purchase(&secret.secret, demo::SHOP_ID, &p).await.status,
        StatusCode::OK
    );
    let owner_token: RotatedSecret = owner(&app, Method::POST, "keys/owner", None).await.json();
    assert_eq!(
        owner(&app, Method::GET, "settings", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let log = app
        .get_with(
            &api::owner(demo::SHOP_ID, "audit"),
            &[("authorization", &format!("Bearer {}", owner_token.secret))],
        )
        .await;
    let log: Vec<AuditEntry> = log.json();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["owner token", "back-office key"]);
    assert!(
        log.iter().all(|e| !e.detail.contains(&secret.secret)),
        "no secret in the log"
    );
    assert_eq!(
        owner(&app, Method::POST, "keys/front-door", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// The session cookie of a reply's `Set-Cookie`.
async fn the_dashboard_signs_in_with_the_owner_token_and_guards_its_forms(app: TestApp) {
    let form = "application/x-www-form-urlencoded";
    let here = [
        ("host", "kept.test"),
        ("origin", "http://kept.test"),
        ("content-type", form),
    ];
    // Signed out: to the sign-in page, which remembers where the owner was going.
    let reply = app.get("/dashboard/inbox").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.header("location"),
        Some("/dashboard/login?next=/dashboard/inbox")
    );
    // A wrong token, a sign-in from another site, a redirect elsewhere: refused.
    let wrong = app
        .raw(
            Method::POST,
            "/dashboard/login",
            &here,
            "shop=demo&token=ot_wrong",
        )
        .await;
    assert!(wrong.header("location").unwrap().contains("failed"));
    assert!(wrong.header("set-cookie").is_none());
    let forged = [
        ("host", "kept.test"),
        ("origin", "https://evil.example"),
        ("content-type", form),
    ];
    let reply = app
        .raw(
            Method::POST,
            "/dashboard/login",
            &forged,
            format!("shop=demo&token={}", demo::OWNER_TOKEN),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app
        .raw(
            Method::POST,
            "/dashboard/login",
            &here,
            format!(
                "shop=demo&token={}&next=https://evil.example",
                demo::OWNER_TOKEN
            ),
        )
        .await;
    assert_eq!(reply.header("location"), Some("/dashboard"));
    // Nor a path with a line break in it (it would split the header).
    let split = app
        .raw(
            Method::POST,
            "/dashboard/login",
            &here,
            format!(
                "shop=demo&token={}&next=/dashboard%0D%0ASet-Cookie:x=1",
                demo::OWNER_TOKEN
            ),
        )
        .await;
    assert_eq!(
        (split.status, split.header("location")),
        (StatusCode::SEE_OTHER, Some("/dashboard"))
    );
    let cookie = common::session_cookie(&reply);

    let page = app
        .get_with("/dashboard/settings", &[("cookie", &cookie)])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    // The line to put on the shop's pages, from where this server is reached.
    assert!(
        html.contains(
            "&lt;script src=&quot;http://localhost/widget/kept.js?key=pk_demo&quot; defer&gt;&lt;/script&gt;"
        ),
        "{html}"
    );
    let csrf = common::csrf_in(&html);

    // A form without the session's CSRF token, or from another site, changes nothing.
    let with_cookie = |origin: &'static str| {
        vec![
            ("host", "kept.test"),
            ("origin", origin),
            ("content-type", form),
            ("cookie", cookie.as_str()),
        ]
    };
    let body = |token: &str| {
        format!(
            "csrf={token}&name=Hacked&time_zone=UTC&points_per_unit=1&churn_window_days=90&survey_cooldown_days=7&allowed_origins=&tier.0.name=Base&tier.0.min_points=0&tier.0.labels="
        )
    };
    for (origin, token) in [
        ("http://kept.test", "nope"),
        ("https://evil.example", csrf.as_str()),
    ] {
        let reply = app
            .raw(
                Method::POST,
                "/dashboard/settings",
                &with_cookie(origin),
                body(token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{origin}");
    }
    assert_eq!(
        app.db.shop(demo::SHOP_ID).await.unwrap().unwrap().name,
        "Northwind Coffee Roasters"
    );
    let ok = app
        .raw(
            Method::POST,
            "/dashboard/settings",
            &with_cookie("http://kept.test"),
            body(&csrf),
        )
        .await;
    ok.assert_ok();
    assert_eq!(
        app.db.shop(demo::SHOP_ID).await.unwrap().unwrap().name,
        "Hacked"
    );
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    assert!(log[0].actor.starts_with("dashboard"));

    // Signing out ends the session: the cookie no longer opens anything.
    let out = app
        .raw(
            Method::POST,
            "/dashboard/logout",
            &with_cookie("http://kept.test"),
            format!("csrf={csrf}"),
        )
        .await;
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    let after = app
        .get_with("/dashboard/settings", &[("cookie", &cookie)])
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

/// The dashboard asks before it replaces a key: the first post only asks, a
/// confirmation with another session's token changes nothing, the confirmed one
/// replaces the key.
async fn a_key_is_replaced_only_once_confirmed(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let headers = [
        ("host", "kept.test"),
        ("origin", "http://kept.test"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", cookie.as_str()),
    ];
    let key_works = |id: &'static str| {
        let app = &app;
        async move {
            app.purchase(
                demo::SECRET_KEY,
                demo::SHOP_ID,
                &kept_shared::RecordPurchase::new("zed", id, 100),
            )
            .await
            .status
        }
    };
    let post = |body: String| {
        app.raw(
            Method::POST,
            "/dashboard/settings/keys/back-office",
            &headers,
            body,
        )
    };
    let asked = post(format!("csrf={csrf}")).await;
    assert_eq!(asked.status, StatusCode::OK);
    let page = String::from_utf8(asked.body.to_vec()).unwrap();
    assert!(
        page.contains(r#"data-testid="confirm-rotation""#)
            && page.contains(r#"name="confirm" value="yes""#),
        "{page}"
    );
    assert_eq!(key_works("k-1").await, StatusCode::OK);
    let forged = post("csrf=nope&confirm=yes".to_string()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(key_works("k-2").await, StatusCode::OK);
    let replaced = post(format!("csrf={csrf}&confirm=yes")).await;
    assert_eq!(replaced.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&replaced.body).contains(r#"data-testid="new-secret""#));
    assert_eq!(key_works("k-3").await, StatusCode::UNAUTHORIZED);
}

async fn a_new_owner_token_ends_every_dashboard_session(app: TestApp) {
    let (cookie, _) = common::sign_in(&app).await;
    let open = app.get_with("/dashboard", &[("cookie", &cookie)]).await;
    assert_eq!(open.status, StatusCode::OK);

    let rotated = owner(&app, Method::POST, "keys/owner", None).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let closed = app.get_with("/dashboard", &[("cookie", &cookie)]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
}

async fn the_survey_editor_sets_targeting_and_names_what_is_wrong(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let url = format!("/dashboard/surveys/{}", demo::CSAT_SURVEY);
    let editor = app.get_with(&url, &[("cookie", &cookie)]).await;
    let html = String::from_utf8(editor.body.to_vec()).unwrap();
    for field in [
        "name=\"delay_seconds\"",
        "name=\"sample_percent\"",
        "name=\"recontact_days\"",
        "name=\"once_per_order\"",
        "name=\"page.0.path\"",
    ] {
        assert!(html.contains(field), "the editor has {field}");
    }
    let post = |body: String| {
        let (app, cookie, url) = (&app, cookie.clone(), url.clone());
        async move { common::dashboard_post(app, &cookie, &url, body).await }
    };
    let form = |delay: &str, sample: &str, page: &str| {
        format!(
            "csrf={csrf}&position=1&active=on&default_locale=en&audience=everyone&lapsed_days=90\
             &delay_seconds={delay}&sample_percent={sample}&recontact_days=14\
             &page.0.match=glob&page.0.path={page}&page.1.match=exact&page.1.path=\
             &q.en=How+was+it%3F&q.ru=%D0%9A%D0%B0%D0%BA%3F&q.uk=%D0%AF%D0%BA%3F"
        )
    };
    // A language added, then removed (the box beside it, on Save): the
    // default language has no such box.
    let with_de = format!("{}&q.de=Wie+war+es%3F", form("0", "100", ""));
    assert_eq!(post(with_de.clone()).await.status, StatusCode::OK);
    let locales = async || -> Vec<String> {
        let csat = survey(&app, demo::CSAT_SURVEY).await;
        csat.survey.texts.into_keys().collect()
    };
    assert_eq!(locales().await, ["de", "en", "ru", "uk"]);
    let page = app.get_with(&url, &[("cookie", &cookie)]).await;
    let html = String::from_utf8(page.body.to_vec()).unwrap();
    assert!(html.contains(r#"name="drop.de""#) && !html.contains(r#"name="drop.en""#));
    // The default too (a form that offers no such box): refused, and said,
    // nothing removed.
    let refused = post(format!("{with_de}&drop.de=on&drop.en=on")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        String::from_utf8(refused.body.to_vec())
            .unwrap()
            .contains("The default language cannot be removed")
    );
    assert_eq!(locales().await, ["de", "en", "ru", "uk"]);
    let dropped = post(format!("{with_de}&drop.de=on")).await;
    assert_eq!(dropped.status, StatusCode::OK);
    assert_eq!(locales().await, ["en", "ru", "uk"], "de gone");

    let saved = post(form("3", "25", "%2Forders%2F*%2Fdone")).await;
    assert_eq!(saved.status, StatusCode::OK);
    let csat = survey(&app, demo::CSAT_SURVEY).await;
    let t = &csat.survey.targeting;
    assert_eq!(
        (
            t.delay_seconds,
            t.sample_percent,
            t.recontact_days,
            t.once_per_order
        ),
        (3, 25, 14, false),
        "an unticked box is false; the empty page row is no rule"
    );
    assert_eq!(
        t.pages,
        [kept_shared::PageRule {
            kind: kept_shared::PageMatch::Glob,
            path: "/orders/*/done".into()
        }]
    );
    // The change log says which rules changed, each from and to (it had said
    // "audience changed" for any of them, the audience too when it had not).
    let log: Vec<AuditEntry> = owner(&app, Method::GET, "audit", None).await.json();
    let last = &log[0].detail;
    for change in [
        "pages: every page → glob /orders/*/done",
        "delay: 0 s → 3 s",
        "share of visitors: 100 % → 25 %",
    ] {
        assert!(last.contains(change), "{change} in {last}");
    }
    assert!(!last.contains("audience"), "{last}");
    // Wrong values: each named by its label, linked to its field, nothing saved.
    let refused = post(form("601", "abc", "orders")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(refused.body.to_vec()).unwrap();
    for error in [
        "href=\"#f-targeting-delay_seconds\">Delay after the page loads (seconds): 0 to 600 seconds",
        "href=\"#f-targeting-sample_percent\">Share of visitors asked (%): &quot;abc&quot; is not a whole number",
        "href=\"#f-targeting-pages-0--path\">Pages 1 · Path: A path starts with / (like /thank-you)",
    ] {
        assert!(html.contains(error), "{error}: {html}");
    }
    assert!(!html.contains("targeting.delay_seconds"), "no API path");
    // In Russian, the same errors in Russian, with their details.
    let refused = common::dashboard_post(
        &app,
        &format!("{cookie}; kept_lang=ru"),
        &format!("/dashboard/surveys/{}", demo::CSAT_SURVEY),
        form("601", "abc", "orders"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(refused.body.to_vec()).unwrap();
    for error in [
        "От 0 до 600\u{a0}секунд",
        "«abc» — не целое число",
        "Путь начинается с / (например, /thank-you)",
    ] {
        assert!(html.contains(error), "{error}: {html}");
    }
    let again: Vec<SurveyDefinition> = owner(&app, Method::GET, "surveys", None).await.json();
    assert_eq!(
        again
            .iter()
            .find(|s| s.survey.id == demo::CSAT_SURVEY)
            .unwrap()
            .survey
            .targeting
            .delay_seconds,
        3
    );
}

fn churn_reasons_len(d: &SurveyDefinition) -> usize {
    match &d.survey.kind {
        kept_shared::SurveyKind::ChurnReason { reasons, .. } => reasons.len(),
        _ => 0,
    }
}

/// A change of settings waits for the purchases being written, and the ones
/// that come after it wait for it: on PostgreSQL it had waited for as long as
/// purchases kept coming (each took the shop's row shared while others held
/// it, and a row's lockers are not queued), then answered 408, the change lost.
async fn a_settings_change_gets_through_while_purchases_keep_coming(app: TestApp) {
    // Purchases as fast as the store takes them (the token's limit would pace
    // them), and a change that waits longer than a few seconds failed.
    let app = app.with_config(kept_server::AppConfig {
        rate_limits: kept_server::rate_limit::RateLimits::unlimited(),
        request_timeout: std::time::Duration::from_secs(5),
        ..kept_server::AppConfig::default()
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let buying = |buyer: usize| {
        let (app, done) = (&app, &done);
        async move {
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let p =
                    RecordPurchase::new(&format!("buyer-{buyer}"), &format!("b{buyer}-{n}"), 500);
                app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
                    .await
                    .assert_ok();
                n += 1;
            }
            n
        }
    };
    let change = async {
        // Once purchases are under way.
        tokio::task::yield_now().await;
        let mut s: ShopView = owner(&app, Method::GET, "settings", None).await.json();
        s.settings.name = "Renamed while busy".into();
        let reply = put_settings(&app, &s.settings).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reply
    };
    let (reply, bought) = tokio::join!(change, futures_util::future::join_all((0..32).map(buying)));
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let after: ShopView = owner(&app, Method::GET, "settings", None).await.json();
    assert_eq!(after.settings.name, "Renamed while busy");
    assert!(bought.iter().sum::<usize>() > 0);
}
