//! The dashboard's forms as an owner fills them in: an empty or mistyped
//! filter is not given (never a bare error page), a refused form keeps what
//! was typed, and what a form asked for that cannot be done is said on its page.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::TestApp;
use kept_server::demo;

on_both_engines!(
    an_empty_or_mistyped_filter_is_not_given,
    a_refused_webhook_keeps_what_was_typed,
    too_many_lapsed_customers_for_one_download_are_said_on_the_page,
    an_address_that_is_no_page_is_said_in_the_dashboard,
    a_customer_is_exported_and_erased_from_their_page,
    a_respondent_who_never_bought_has_a_page_to_export_and_erase_them_from,
    a_refused_form_names_its_fields_in_the_owner_s_language,
    a_refused_follow_up_is_said_beside_its_answer,
    a_stale_form_and_a_form_s_address_lead_somewhere,
    a_tier_is_named_in_the_owner_s_language,
    the_win_back_list_is_paged,
    a_page_past_the_end_of_a_list_shows_its_last_page,
    a_personal_links_answer_is_said_and_found_as_one,
);

async fn page(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let reply = app.get_with(path, &[("cookie", cookie)]).await;
    (
        reply.status,
        String::from_utf8(reply.body.to_vec()).unwrap(),
    )
}

/// The owner's session cookie, once the demo shop has one customer, alice,
/// with one purchase.
async fn signed_in_after_alices_purchase(app: &TestApp) -> String {
    let (cookie, _) = common::sign_in(app).await;
    app.purchase(
        demo::SECRET_KEY,
        demo::SHOP_ID,
        &kept_shared::RecordPurchase::new("alice", "p-1", 1200),
    )
    .await
    .assert_ok();
    cookie
}

async fn an_empty_or_mistyped_filter_is_not_given(app: TestApp) {
    let cookie = signed_in_after_alices_purchase(&app).await;
    // The filter form sends every field, the dates left empty among them:
    // all used, nothing said.
    for path in [
        "/dashboard/responses?survey=&min_score=&max_score=&channel=&store=&from=&to=&q=coffee",
        "/dashboard?from=&to=&period=month&store=",
        "/dashboard/customers?q=&offset=",
        "/dashboard/customers?sort=%20total&order=asc%20",
        "/dashboard/inbox?offset=&saved=",
    ] {
        let (status, html) = page(&app, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains("filters-not-used"), "{path}");
    }
    // A hand-edited address: what cannot be read, or goes past a limit, is
    // not used (the page shows its default), and the page says which.
    for (path, not_used) in [
        (
            "/dashboard/responses?from=2026-13-01&offset=x",
            &["<code>from</code> “2026-13-01”", "<code>offset</code> “x”"][..],
        ),
        // A page number that is no count, a sort or an order the list
        // does not have: its first page, by last purchase, newest first.
        (
            "/dashboard/customers?offset=-1&sort=name&order=up",
            &[
                "<code>offset</code> “-1”",
                "<code>sort</code> “name”",
                "<code>order</code> “up”",
            ],
        ),
        (
            "/dashboard/inbox?offset=99999999999999999999",
            &["<code>offset</code> “99999999999999999999”"],
        ),
        (
            "/dashboard/customers/alice?offset=many",
            &["<code>offset</code> “many”"],
        ),
        (
            "/dashboard/customers/alice?offset=0&offset=50",
            &["<code>offset</code> “50”"],
        ),
        (
            "/dashboard?from=abc&period=day&store=a%20b",
            &[
                "<code>from</code> “abc”",
                "<code>period</code> “day”",
                "<code>store</code> “a b”",
            ],
        ),
        (
            "/dashboard?from=2000-01-01&to=2100-12-31",
            &[
                "<code>from</code> “2000-01-01”",
                "<code>to</code> “2100-12-31”",
            ],
        ),
        (
            "/dashboard?from=1999-01-01",
            &["<code>from</code> “1999-01-01”"],
        ),
        (
            "/dashboard/responses?min_score=eleven&channel=fax&q=%00",
            &[
                "<code>min_score</code> “eleven”",
                "<code>channel</code> “fax”",
                "<code>q</code> “\u{fffd}”",
            ],
        ),
        // A NUL in a search matched every customer (SQLite), or could not be
        // asked at all (PostgreSQL).
        (
            "/dashboard/customers?q=a%00b",
            &["<code>q</code> “a\u{fffd}b”"],
        ),
        // A filter said twice (axum's own reading refused it with a bare
        // 400): the first is used, the other said.
        (
            "/dashboard?from=2026-01-01&from=2026-02-01",
            &["<code>from</code> “2026-02-01”"],
        ),
        (
            "/dashboard/responses?q=coffee&q=tea",
            &["<code>q</code> “tea”"],
        ),
        ("/dashboard/customers?q=a&q=b", &["<code>q</code> “b”"]),
        (
            "/dashboard/inbox?status=done",
            &["<code>status</code> “done”"],
        ),
        (
            "/dashboard/inbox?status=new&status=resolved",
            &["<code>status</code> “resolved”"],
        ),
    ] {
        let (status, html) = page(&app, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        let notice = html
            .split("data-testid=\"filters-not-used\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{path}: nothing said"));
        let notice = notice.split("</p>").next().unwrap();
        for field in not_used {
            assert!(notice.contains(field), "{path}: {notice}");
        }
    }
    // In Russian and Ukrainian, in their quotation marks.
    let (_, html) = page(
        &app,
        &format!("{cookie}; kept_lang=ru"),
        "/dashboard?from=abc",
    )
    .await;
    assert!(html.contains("<code>from</code> «abc»"), "{html}");
    // The form shows what the page used, not what it did not.
    let (_, html) = page(&app, &cookie, "/dashboard/customers?q=a%00b").await;
    assert!(
        html.contains(r#"name="q" value="""#),
        "the search box is empty"
    );
    // Repeated anywhere, a filter is never a bare error.
    for path in [
        "/dashboard/inbox?status=new&status=resolved",
        "/dashboard/customers/alice?offset=1&offset=2",
        "/dashboard/responses.csv?from=2026-01-01&from=x",
        "/dashboard/customers.csv?sort=total&sort=points",
    ] {
        let (status, _) = page(&app, &cookie, path).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    // Scores given the wrong way round are put in order, as dates are.
    app.send_answers(&[kept_shared::testing::AnswerBuilder::nps(
        demo::SHOP_ID,
        demo::NPS_SURVEY,
        5,
    )
    .build()])
        .await;
    let found = |html: String| html.split("role=\"status\">").nth(1).map(str::to_string);
    let (_, swapped) = page(
        &app,
        &cookie,
        "/dashboard/responses?min_score=9&max_score=2",
    )
    .await;
    let (_, in_order) = page(
        &app,
        &cookie,
        "/dashboard/responses?min_score=2&max_score=9",
    )
    .await;
    assert!(!swapped.contains("filters-not-used"));
    assert!(!in_order.contains("Nothing found"));
    assert_eq!(found(swapped), found(in_order));
    // Ends given the wrong way round are put in order.
    let (status, html) = page(&app, &cookie, "/dashboard?from=2026-06-01&to=2026-01-01").await;
    assert_eq!(status, StatusCode::OK);
    let from = html.split("name=\"from\" value=\"").nth(1).unwrap();
    assert!(from.starts_with("2026-01-01"), "{}", &from[..20]);
}

async fn a_refused_webhook_keeps_what_was_typed(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let reply = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/webhooks",
        format!("csrf={csrf}&url=ftp%3A%2F%2Fshop.example%2Fhook&events=answer.churn"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(html.contains("id=\"errors\""), "the reason is said");
    assert!(html.contains("value=\"ftp://shop.example/hook\""), "{html}");
    let checked: Vec<&str> = html
        .split("type=\"checkbox\" name=\"events\" value=\"")
        .skip(1)
        .filter(|input| input.split('>').next().unwrap().contains("checked"))
        .map(|input| input.split('"').next().unwrap())
        .collect();
    assert_eq!(checked, ["answer.churn"], "only the event that was ticked");
}

async fn too_many_lapsed_customers_for_one_download_are_said_on_the_page(app: TestApp) {
    let limit = kept_shared::limits::MAX_BULK_LINKS;
    let mut csv = String::from("customer_ref,purchase_id,amount,purchased_at\n");
    for i in 0..=limit {
        csv.push_str(&format!("gone{i},old-{i},5.00,2025-06-01\n"));
    }
    app.import_csv(csv).await;
    let (cookie, _) = common::sign_in(&app).await;
    let (status, html) = page(
        &app,
        &cookie,
        &format!(
            "/dashboard/win-back/links.csv?survey={}&lapsed_days=60",
            demo::CHURN_SURVEY
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("<!DOCTYPE html>") || html.contains("<html"),
        "a page"
    );
    assert!(html.contains("ask for more days"), "what to do: {html}");
    assert!(
        html.contains("name=\"lapsed_days\" type=\"number\" min=\"1\" max=\"3650\" value=\"60\""),
        "the form, as it was sent: {html}"
    );
}

async fn an_address_that_is_no_page_is_said_in_the_dashboard(app: TestApp) {
    let (cookie, _) = common::sign_in(&app).await;
    let reply = app
        .get_with(
            "/dashboard/retention",
            &[("cookie", &cookie), ("accept-language", "uk")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let html = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(html.contains("Сторінку не знайдено"), "{html}");
    assert!(html.contains("class=\"sections\""), "with the navigation");
    assert!(!html.contains("aria-current=\"page\""), "in no section");
    let reply = app.get_with("/dashboard/", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.header("location"), Some("/dashboard"));
    // The pages and their files are still themselves.
    for path in ["/dashboard/assets/dashboard.css", "/dashboard/customers"] {
        let reply = app.get_with(path, &[("cookie", &cookie)]).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
}

async fn a_customer_is_exported_and_erased_from_their_page(app: TestApp) {
    app.purchase(
        demo::SECRET_KEY,
        demo::SHOP_ID,
        &kept_shared::RecordPurchase::new("ann", "till-1", 1250),
    )
    .await
    .assert_ok();
    let (cookie, csrf) = common::sign_in(&app).await;
    let (status, html) = page(&app, &cookie, "/dashboard/customers/ann").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"erase-form\""));
    let reply = app
        .get_with(
            "/dashboard/customers/ann/export.json",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .contains("demo-ann.json")
    );
    let export: kept_shared::CustomerExport = reply.json();
    assert_eq!(export.customer.unwrap().purchases.len(), 1);
    // Not the customer's reference typed: nothing is erased.
    let reply = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/customers/ann/erase",
        format!("csrf={csrf}&confirm=bob"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail: kept_shared::CustomerDetail = app.owner_get("customers/ann").await;
    assert_eq!(detail.purchases.len(), 1);
    // Without the session's token, nothing either.
    let reply = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/customers/ann/erase",
        "csrf=forged&confirm=ann".into(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/customers/ann/erase",
        format!("csrf={csrf}&confirm=ann"),
    )
    .await;
    // Said on a page of its own: reloading it erases nothing again.
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.header("location").unwrap().to_string();
    let (status, html) = page(&app, &cookie, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Purchases deleted: 1;"), "{html}");
    let gone = app.owner_reply("customers/ann").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

/// An answer that names a customer the shop has no purchase of: the
/// responses link to their page, which shows the answer and what the shop
/// must be able to do for them (a data download, the erasure).
async fn a_respondent_who_never_bought_has_a_page_to_export_and_erase_them_from(app: TestApp) {
    let answer = kept_shared::testing::AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 3)
        .customer("walk-in-7")
        .build();
    app.send_answers(std::slice::from_ref(&answer)).await;
    let detail: kept_shared::CustomerDetail = app.owner_get("customers/walk-in-7").await;
    assert_eq!(detail.summary.purchases, 0);
    assert_eq!(detail.summary.first_purchase, None);
    assert!(!detail.summary.active);
    assert_eq!(detail.rfm, None);
    assert_eq!(detail.answers.len(), 1);
    let (cookie, csrf) = common::sign_in(&app).await;
    let (_, responses) = page(&app, &cookie, "/dashboard/responses").await;
    assert!(responses.contains("href=\"/dashboard/customers/walk-in-7\""));
    let (status, html) = page(&app, &cookie, "/dashboard/customers/walk-in-7").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-testid=\"erase-form\""));
    assert!(!html.contains("Lapsed"), "never bought: not lapsed");
    let reply = app
        .get_with(
            "/dashboard/customers/walk-in-7/export.json",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let export: kept_shared::CustomerExport = reply.json();
    assert_eq!(export.answers.len(), 1);
    assert!(
        export.customer.is_none(),
        "no customer record: only answers"
    );
    let reply = common::dashboard_post(
        &app,
        &cookie,
        "/dashboard/customers/walk-in-7/erase",
        format!("csrf={csrf}&confirm=walk-in-7"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    // Their answer stays, anonymous: no page names them any more.
    let gone = app.owner_reply("customers/walk-in-7").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let (status, _) = page(&app, &cookie, "/dashboard/customers/walk-in-7").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.stored().await.len(), 1);
}

async fn a_refused_form_names_its_fields_in_the_owner_s_language(app: TestApp) {
    let (cookie, csrf) = common::sign_in(&app).await;
    let post = |lang: &'static str, path: &str, body: String| {
        let (app, cookie, path) = (
            &app,
            format!("{cookie}; kept_lang={lang}"),
            path.to_string(),
        );
        async move {
            let path = path.as_str();
            let reply = common::dashboard_post(app, &cookie, path, body).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            String::from_utf8(reply.body.to_vec()).unwrap()
        }
    };
    let settings = |lang| {
        post(
            lang,
            "/dashboard/settings",
            format!(
                "csrf={csrf}&name=Shop&time_zone=Mars%2FOlympus&points_per_unit=1\
                 &churn_window_days=3&survey_cooldown_days=7&allowed_origins=shop.example\
                 &tier.0.name=Base&tier.0.min_points=0&tier.0.labels=\
                 &tier.1.name=Gold&tier.1.min_points=2000000000000000&tier.1.labels="
            ),
        )
    };
    // Each field by the label its form shows, a row by its number, the
    // problem in the owner's words with its details.
    let uk = settings("uk").await;
    says(
        &uk,
        &[
            "Вікно відтоку (днів): Від 7 до 730\u{a0}днів",
            "«Mars/Olympus» — не часовий пояс IANA на кшталт Europe/Kyiv",
            "«shop.example» має виглядати як https://shop.example.com",
            "Рівні лояльності 2 · Від балів: Не більше 1\u{202f}000\u{202f}000\u{202f}000\u{202f}000\u{202f}000\u{a0}балів",
        ],
    );
    assert!(!uk.contains("churn_window_days:"), "no API path: {uk}");
    every_error_leads_to_its_field(&uk);
    let en = settings("en").await;
    assert!(en.contains("Churn window (days): 7 to 730 days"), "{en}");

    // A number that does not read is named as typed, and shown again as typed
    // (it used to come back as 18446744073709551615).
    let ru = post(
        "ru",
        "/dashboard/settings",
        format!(
            "csrf={csrf}&name=Shop&time_zone=UTC&points_per_unit=5.5&churn_window_days=90\
             &survey_cooldown_days=7&allowed_origins=&tier.0.name=Base&tier.0.min_points=0\
             &tier.0.labels=&tier.1.name=Gold&tier.1.min_points=&tier.1.labels="
        ),
    )
    .await;
    says(
        &ru,
        &[
            "«5.5» — не целое число",
            "name=\"points_per_unit\" type=\"text\"",
            "value=\"5.5\"",
            "Уровни лояльности 2 · От баллов: Не может быть пустым",
        ],
    );
    assert!(!ru.contains("18446744073709551615"), "{ru}");
    every_error_leads_to_its_field(&ru);
    // Tier names that are no pairs, and no tier from 0: refused, as typed.
    let ru = post(
        "ru",
        "/dashboard/settings",
        format!(
            "csrf={csrf}&name=Shop&time_zone=UTC&points_per_unit=1&churn_window_days=90\
             &survey_cooldown_days=7&allowed_origins=&tier.0.name=Base&tier.0.min_points=5\
             &tier.0.labels=uk%3D%D0%91%D0%B0%D0%B7%D0%B0%2C+oops"
        ),
    )
    .await;
    says(
        &ru,
        &[
            "Названия на других языках: «oops» — не язык и название, как uk=Золото",
            "Один из уровней должен начинаться с 0 баллов",
            "value=\"uk=База, oops\"",
        ],
    );
    every_error_leads_to_its_field(&ru);
    let survey = format!("/dashboard/surveys/{}", demo::CSAT_SURVEY);
    let uk = post(
        "uk",
        &survey,
        format!(
            "csrf={csrf}&position=1&active=on&default_locale=en&audience=everyone\
             &delay_seconds=-4&sample_percent=300&recontact_days=14&q.en=How%3F"
        ),
    )
    .await;
    says(
        &uk,
        &[
            "«-4» — не ціле число",
            "value=\"-4\"",
            "Від 0 до 100\u{a0}%",
            "value=\"300\"",
        ],
    );
    assert!(!uk.contains("4294967295"), "{uk}");
    every_error_leads_to_its_field(&uk);
    // The language made the default in the same Save cannot be removed in
    // it: refused and said (it had been kept, in silence).
    let ru = post(
        "ru",
        &survey,
        format!(
            "csrf={csrf}&position=1&active=on&default_locale=ru&audience=everyone\
             &delay_seconds=0&sample_percent=100&recontact_days=14\
             &q.en=How%3F&q.ru=%D0%9A%D0%B0%D0%BA%3F&q.uk=%D0%AF%D0%BA%3F&drop.ru=on"
        ),
    )
    .await;
    says(
        &ru,
        &["Язык по умолчанию нельзя удалить: сначала сделайте языком по умолчанию другой"],
    );
    every_error_leads_to_its_field(&ru);
    // A choice the form does not offer is refused, not read as the first.
    let ru = post(
        "ru",
        &survey,
        format!(
            "csrf={csrf}&position=1&active=on&default_locale=en&audience=bogus\
             &delay_seconds=0&sample_percent=100&recontact_days=14&q.en=How%3F\
             &page.0.match=regex&page.0.path=%2Fx"
        ),
    )
    .await;
    says(
        &ru,
        &[
            "«bogus» — не один из вариантов",
            "«regex» — не один из вариантов",
        ],
    );
    every_error_leads_to_its_field(&ru);

    let ru = post(
        "ru",
        "/dashboard/webhooks",
        format!("csrf={csrf}&url=ftp%3A%2F%2Fshop.example%2Fhook"),
    )
    .await;
    says(
        &ru,
        &[
            "Адрес http:// или https:// длиной не больше 2\u{202f}000\u{a0}символов",
            "Выберите хотя бы одно событие",
        ],
    );
    let uk = post("uk", "/dashboard/kiosks/pin", format!("csrf={csrf}&pin=12")).await;
    assert!(uk.contains("Від 6 до 12\u{a0}цифр"), "{uk}");
    // A refused store keeps what was typed.
    let uk = post(
        "uk",
        "/dashboard/kiosks/stores",
        format!("csrf={csrf}&id=main+street&name=Main+street"),
    )
    .await;
    says(
        &uk,
        &[
            "Може містити лише латинські літери, цифри та - _ . : @",
            "value=\"main street\"",
            "value=\"Main street\"",
        ],
    );
    // Both fields empty: both named.
    let en = post(
        "en",
        "/dashboard/kiosks/stores",
        format!("csrf={csrf}&id=&name="),
    )
    .await;
    assert_eq!(en.matches("Must not be empty").count(), 2, "{en}");
    // A language code the form refuses is shown again, as typed.
    let ru = post(
        "ru",
        "/dashboard/surveys/nps-after-purchase",
        format!(
            "csrf={csrf}&position=0&active=on&default_locale=en&audience=everyone\
             &delay_seconds=0&sample_percent=100&recontact_days=14&q.en=How%3F\
             &new_locale=EN&action=add_locale"
        ),
    )
    .await;
    says(&ru, &["«EN» — не код языка", "value=\"EN\""]);
}

/// `html` says each of `said`.
fn says(html: &str, said: &[&str]) {
    for said in said {
        assert!(html.contains(said), "{said}: {html}");
    }
}

/// Each error's link leads to an element of the page (its field, or the
/// fieldset or row holding it).
fn every_error_leads_to_its_field(html: &str) {
    let errors = html
        .split("id=\"errors\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("an errors list");
    for link in errors.split("href=\"#").skip(1) {
        let id = link.split('"').next().unwrap();
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "#{id} leads nowhere: {errors}"
        );
    }
}

async fn a_refused_follow_up_is_said_beside_its_answer(app: TestApp) {
    app.send_answers(&[kept_shared::testing::AnswerBuilder::nps(
        demo::SHOP_ID,
        demo::NPS_SURVEY,
        2,
    )
    .build()])
        .await;
    let (cookie, csrf) = common::sign_in(&app).await;
    let inbox: kept_shared::Page<kept_shared::AnswerItem> = app.owner_get("inbox").await;
    let id = inbox.items[0].id;
    let long = "ж".repeat(1001);
    let reply = common::dashboard_post(
        &app,
        &format!("{cookie}; kept_lang=ru"),
        &format!("/dashboard/inbox/{id}"),
        format!("csrf={csrf}&status=contacted&note={long}&back="),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8(reply.body.to_vec()).unwrap();
    let article = html
        .split(&format!("id=\"a-{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .expect("the answer's item");
    assert!(
        article.contains("Заметка: Длина — 1\u{202f}001 символ, а можно не больше 1\u{202f}000"),
        "{article}"
    );
    assert!(article.contains(&long), "the note as typed");
    assert!(
        article.contains(r#"<option value="contacted" selected>"#),
        "the status as chosen: {article}"
    );
    every_error_leads_to_its_field(&html);
    // Nothing was saved.
    let again: kept_shared::Page<kept_shared::AnswerItem> = app.owner_get("inbox").await;
    let item = again.items.iter().find(|a| a.id == id).unwrap();
    assert!(item.follow_up.as_ref().is_none_or(|f| f.note.is_empty()));
}

async fn a_stale_form_and_a_form_s_address_lead_somewhere(app: TestApp) {
    let (cookie, _) = common::sign_in(&app).await;
    // A form from a page opened before the owner signed in again: said, 403.
    let reply = common::dashboard_post(
        &app,
        &format!("{cookie}; kept_lang=uk"),
        "/dashboard/kiosks/stores",
        "csrf=from-an-old-page&id=main&name=Main".into(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let html = String::from_utf8(reply.body.to_vec()).unwrap();
    assert!(html.contains("Форму не надіслано"), "{html}");
    // A form's address asked for again (a reload, the language switch): its page.
    for (path, page) in [
        ("/dashboard/logout", "/dashboard"),
        ("/dashboard/webhooks/abc/delete", "/dashboard/webhooks"),
        ("/dashboard/kiosks/pin", "/dashboard/kiosks"),
        ("/dashboard/kiosks/stores", "/dashboard/kiosks"),
        (
            "/dashboard/surveys/nps-after-purchase/arrange",
            "/dashboard/surveys",
        ),
        ("/dashboard/settings/keys/owner", "/dashboard/settings"),
        ("/dashboard/customers/ann/erase", "/dashboard/customers/ann"),
        (
            "/dashboard/inbox/7f1d2c3b-0000-4000-8000-000000000001",
            "/dashboard/inbox#a-7f1d2c3b-0000-4000-8000-000000000001",
        ),
    ] {
        let reply = app.get_with(path, &[("cookie", &cookie)]).await;
        assert!(reply.status.is_redirection(), "{path}: {}", reply.status);
        assert_eq!(reply.header("location"), Some(page), "{path}");
    }
}

async fn a_tier_is_named_in_the_owner_s_language(app: TestApp) {
    app.purchase(
        demo::SECRET_KEY,
        demo::SHOP_ID,
        &kept_shared::RecordPurchase::new("ann", "till-1", 1250),
    )
    .await
    .assert_ok();
    let (cookie, _) = common::sign_in(&app).await;
    let ru = format!("{cookie}; kept_lang=ru");
    for path in ["/dashboard/customers", "/dashboard/customers/ann"] {
        let (status, html) = page(&app, &ru, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("Бронза"), "{path}: {html}");
    }
}

/// The win-back page lists 50 customers at a time, with the count of all and
/// the way to the rest (a shop of 50 000 customers had 7 755 rows on one
/// page, 2 MB).
async fn the_win_back_list_is_paged(app: TestApp) {
    let (cookie, _) = common::sign_in(&app).await;
    let long_ago = chrono::Utc::now() - chrono::Days::new(200);
    let buy = |customer: String, id: String, cents: u64, at| {
        let mut p = kept_shared::RecordPurchase::new(&customer, &id, cents);
        p.purchased_at = Some(at);
        p
    };
    // Sixty who bought twice, much, long ago (at risk); sixty new, little.
    for i in 0..60 {
        for n in 0..2 {
            let p = buy(
                format!("gone-{i:02}"),
                format!("g-{i}-{n}"),
                10_000,
                long_ago,
            );
            app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
                .await
                .assert_ok();
        }
        let p = buy(
            format!("new-{i:02}"),
            format!("n-{i}"),
            100,
            chrono::Utc::now(),
        );
        app.purchase(demo::SECRET_KEY, demo::SHOP_ID, &p)
            .await
            .assert_ok();
    }
    let all: kept_shared::Page<kept_shared::WinBackEntry> = app.owner_get("win-back").await;
    assert_eq!(all.total, 60);
    let (status, first) = page(&app, &cookie, "/dashboard/win-back").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        first.matches("<tr>").count(),
        1 + 50,
        "the heading and 50 rows"
    );
    assert!(first.contains("60 customers"), "{first}");
    assert!(
        first.contains("1–50 of 60")
            && first.contains(r#"href="/dashboard/win-back?offset=50" rel="next""#)
    );
    let (_, second) = page(&app, &cookie, "/dashboard/win-back?offset=50").await;
    assert_eq!(second.matches("<tr>").count(), 1 + 10);
    assert!(second.contains("51–60 of 60") && second.contains(r#"rel="prev""#));
    for past_the_end in ["60", "99999"] {
        let (_, last) = page(
            &app,
            &cookie,
            &format!("/dashboard/win-back?offset={past_the_end}"),
        )
        .await;
        assert!(last.contains("51–60 of 60"), "{past_the_end}: {last}");
        assert_eq!(last.matches("<tr>").count(), 1 + 10, "{past_the_end}");
    }
    let (_, typed) = page(&app, &cookie, "/dashboard/win-back?offset=x").await;
    assert!(typed.contains("<code>offset</code> “x”"), "{typed}");
}

/// A page address past the end of a list (typed by hand, or the list shorter
/// since) shows the list's last page, not an empty table under "3–3 of 3".
async fn a_page_past_the_end_of_a_list_shows_its_last_page(app: TestApp) {
    let cookie = signed_in_after_alices_purchase(&app).await;
    app.send_answers(&[kept_shared::testing::AnswerBuilder::nps(
        demo::SHOP_ID,
        demo::NPS_SURVEY,
        2,
    )
    .reason("Too slow")
    .build()])
        .await;
    for (path, shown) in [
        ("/dashboard/customers?offset=100", "alice"),
        ("/dashboard/responses?offset=100", "Too slow"),
        ("/dashboard/inbox?offset=100", "Too slow"),
    ] {
        let (status, html) = page(&app, &cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        // The first page, the only one: its rows, counted from 1.
        assert!(
            html.contains(shown) && html.contains("<span>1–"),
            "{path}: {html}"
        );
    }
}

/// An answer given through a personal link is said to be one on the
/// responses page (it had been called the website's), and the channel filter
/// offers the links (it had offered the website and the kiosk only).
async fn a_personal_links_answer_is_said_and_found_as_one(app: TestApp) {
    let (cookie, _) = common::sign_in(&app).await;
    let shop = app.db.shop(demo::SHOP_ID).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let by_link = kept_shared::testing::AnswerBuilder::csat(demo::SHOP_ID, demo::CSAT_SURVEY, 2)
        .channel(kept_shared::Channel::Link)
        .build();
    let on_the_site =
        kept_shared::testing::AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 9).build();
    kept_server::ingest::ingest(app.db.as_ref(), &shop, vec![by_link, on_the_site], now)
        .await
        .unwrap();
    let (_, all) = page(&app, &cookie, "/dashboard/responses").await;
    assert!(
        all.contains(r#"<option value="link">Personal link</option>"#),
        "{all}"
    );
    let (status, links) = page(&app, &cookie, "/dashboard/responses?channel=link").await;
    assert_eq!(status, StatusCode::OK);
    assert!(links.contains("<td>Personal link</td>"), "{links}");
    assert!(
        !links.contains("<td>Website</td>") && links.contains("1 answer<"),
        "{links}"
    );
    assert!(
        links.contains(r#"<option value="link" selected>"#),
        "{links}"
    );
}
