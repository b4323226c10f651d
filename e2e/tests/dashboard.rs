//! The owner's dashboard in the real browser, against the real server with the
//! demo year: sign in, read the overview, every page at desktop and phone size
//! (screenshots under target/e2e-screenshots/, and no axe-core violations), edit
//! the NPS question and see it in the widget, follow up a detractor, import a
//! file with a bad row, export the win-back list, make a new back-office key, and
//! sign out.

use anyhow::{Context, Result};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use kept_e2e::dashboard::Dashboard;
use kept_e2e::{Env, WAIT};
use kept_server::demo;
use kept_shared::testing::AnswerBuilder;
use kept_shared::webhooks::{Delivery, EventKind, NewWebhook, Webhook};
use kept_shared::{Page, RecordPurchase, WinBackEntry, api};

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 740);

/// Every page of the dashboard, with the name its screenshots get (and the
/// page an address that is none of them gets).
const PAGES: [(&str, &str); 13] = [
    ("/dashboard", "overview"),
    ("/dashboard/responses", "responses"),
    ("/dashboard/customers", "customers"),
    ("/dashboard/customers/cust-0001", "customer"),
    ("/dashboard/win-back", "win-back"),
    ("/dashboard/inbox", "inbox"),
    ("/dashboard/surveys", "surveys"),
    ("/dashboard/surveys/churn-why-left", "survey-editor"),
    ("/dashboard/settings", "settings"),
    ("/dashboard/webhooks", "webhooks"),
    ("/dashboard/kiosks", "kiosks"),
    ("/dashboard/import", "import"),
    ("/dashboard/no-such-page", "not-found"),
];

/// A webhook to a receiver that is not there, and a detractor's answer for it:
/// the webhooks page then shows an endpoint with a failed attempt in its log.
async fn a_webhook_that_fails(env: &Env) -> Result<()> {
    env.owner_send(
        reqwest::Method::POST,
        "webhooks",
        &NewWebhook {
            // Nothing listens on the discard port: the connection is refused.
            url: "http://127.0.0.1:9/kept-events".into(),
            events: vec![EventKind::Detractor, EventKind::Churn],
        },
    )
    .await?;
    let answer = AnswerBuilder::nps(demo::SHOP_ID, demo::NPS_SURVEY, 2)
        .reason("The order came a week late")
        .build();
    env.send_answers(vec![answer]).await?;
    let hooks: Vec<Webhook> = env.owner_get("webhooks").await?;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let log: Vec<Delivery> = env
            .owner_get(&format!("webhooks/{}/deliveries", hooks[0].id))
            .await?;
        if log.first().is_some_and(|d| !d.attempts.is_empty()) {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "no attempt was made");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A refused form's page, at desktop and phone size: checked by axe, not
/// scrolling sideways, and looked at.
async fn refused_page(d: &Dashboard, name: &str) -> Result<()> {
    for (size, (w, h)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        d.tab.set_viewport(w, h).await?;
        d.wait_for_tables_fitted().await?;
        let violations = d.tab.axe_violations().await?;
        assert!(violations.is_empty(), "{name} at {size}: {violations:#?}");
        assert!(!d.scrolls_sideways().await?, "{name} at {size}");
        d.tab
            .screenshot(&format!("11-dashboard-{name}-{size}"))
            .await?;
    }
    d.tab.set_viewport(DESKTOP.0, DESKTOP.1).await
}

/// Chooses `csv` (written to `path`) on the import page and sends it.
async fn import_file(d: &Dashboard, path: &std::path::Path, csv: &str) -> Result<()> {
    std::fs::write(path, csv)?;
    d.visit("/dashboard/import").await?;
    let input = d.tab.page.find_element("input[type=file]").await?;
    d.tab
        .page
        .execute(
            SetFileInputFilesParams::builder()
                .file(path.to_string_lossy().into_owned())
                .object_id(input.remote_object_id.clone())
                .build()
                .map_err(anyhow::Error::msg)?,
        )
        .await?;
    d.click("form[data-import] button[type=submit]").await
}

async fn purchase_status(env: &Env, token: &str, id: &str) -> Result<u16> {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}{}",
            env.api_url(),
            api::purchases(demo::SHOP_ID)
        ))
        .bearer_auth(token)
        .json(&RecordPurchase::new("rotated", id, 1000))
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_reads_the_year_acts_on_it_and_changes_the_shop() -> Result<()> {
    let env = Env::start().await?;
    demo::seed_history(env.api().db().as_ref()).await?;
    let d = Dashboard::new(
        env.open(&format!("{}/dashboard", env.api_url())).await?,
        &env.api_url(),
    );

    // Signed out, the dashboard asks to sign in first; a wrong token is refused.
    d.wait_for_path("/dashboard/login").await?;
    d.fill("input[name=shop]", "demo").await?;
    d.fill("input[name=token]", "ot_wrong").await?;
    d.submit("form button[type=submit]").await?;
    assert!(d.text("[role=alert]").await?.contains("wrong"));
    d.sign_in("demo", demo::OWNER_TOKEN).await?;

    // The overview of the demo year states its range and draws its charts.
    let range = d.text("p.range").await?;
    assert!(
        range.contains('–') && range.contains("compared with"),
        "{range}"
    );
    for chart in [
        "#c-nps",
        "#c-ppd",
        "#c-spread",
        "#c-csat",
        "#c-reasons",
        "#c-customers",
        "#c-churn",
        "#c-revenue",
        "#c-segments",
        ".cohorts td.heat",
    ] {
        assert!(d.exists(chart).await?, "{chart}");
    }
    let nps = d.text(".card .big").await?;
    assert!(
        nps.starts_with('+') || nps.starts_with('−') || nps == "0",
        "{nps}"
    );

    a_webhook_that_fails(&env).await?;
    // Every page, at desktop and phone size: looked at, and checked by axe.
    for (size, (w, h)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        d.tab.set_viewport(w, h).await?;
        for (path, name) in PAGES {
            d.visit(path).await?;
            let violations = d.tab.axe_violations().await?;
            assert!(violations.is_empty(), "{path} at {size}: {violations:#?}");
            assert!(
                !d.scrolls_sideways().await?,
                "{path} scrolls sideways at {size}"
            );
            d.tab
                .screenshot(&format!("11-dashboard-{name}-{size}"))
                .await?;
        }
    }
    d.tab.set_viewport(DESKTOP.0, DESKTOP.1).await?;

    // A table wider than a phone is a named region the keyboard reaches; one
    // that fits is no tab stop.
    d.visit("/dashboard/customers").await?;
    let region = "(() => { const w = document.querySelector('main .table-wrap'); \
                  return [w.getAttribute('tabindex'), w.getAttribute('role'), w.getAttribute('aria-label')]; })()";
    assert_eq!(
        d.tab.eval(region).await?,
        serde_json::json!([null, null, null])
    );
    d.tab.set_viewport(PHONE.0, PHONE.1).await?;
    d.wait_for_tables_fitted().await?;
    let at_phone = d.tab.eval(region).await?;
    assert_eq!(
        (&at_phone[0], &at_phone[1]),
        (&serde_json::json!("0"), &serde_json::json!("region"))
    );
    assert!(
        at_phone[2].as_str().is_some_and(|name| !name.is_empty()),
        "{at_phone}"
    );
    d.tab.set_viewport(DESKTOP.0, DESKTOP.1).await?;
    d.wait_for_tables_fitted().await?;
    assert_eq!(
        d.tab.eval(region).await?,
        serde_json::json!([null, null, null])
    );

    // In Ukrainian.
    d.visit("/dashboard").await?;
    d.click("a[hreflang=uk]").await?;
    d.tab
        .wait_until(
            "the Ukrainian page",
            "document.documentElement.lang === 'uk'",
        )
        .await?;
    assert_eq!(d.text("main h1").await?, "Огляд");
    assert!(d.tab.axe_violations().await?.is_empty());
    d.tab.screenshot("11-dashboard-overview-uk").await?;
    d.click("a[hreflang=en]").await?;
    d.tab
        .wait_until("the English page", "document.documentElement.lang === 'en'")
        .await?;

    // The NPS question, edited here, is what the widget asks on its next load.
    let question = "How likely are you to recommend Northwind to a friend?";
    d.visit("/dashboard/surveys/nps-after-purchase").await?;
    d.fill("textarea[name='q.en']", question).await?;
    d.submit(".actions button[value=save]").await?;
    assert!(d.text("[role=status]").await?.contains("Saved"));
    let shop = env
        .open(&env.shop_url(&[("survey", demo::NPS_SURVEY)]))
        .await?;
    shop.wait_until(
        "the edited question",
        &format!(
            "document.querySelector('.kept-host')?.shadowRoot?.querySelector('.kept-question')?.textContent === {}",
            serde_json::to_string(question)?
        ),
    )
    .await?;
    // A rule broken is named by its field's label, and nothing is saved.
    d.fill("textarea[name='q.en']", " ").await?;
    d.submit(".actions button[value=save]").await?;
    let errors = d.text("#errors").await?;
    assert!(
        errors.contains("Question (en): Must not be empty"),
        "{errors}"
    );
    refused_page(&d, "survey-refused").await?;
    // A webhook the server refuses keeps what was typed, and says why.
    d.visit("/dashboard/webhooks").await?;
    d.fill("input[name=url]", "ftp://shop.example/hook").await?;
    d.tab
        .eval("document.querySelectorAll('input[name=events]').forEach(e => e.checked = false)")
        .await?;
    d.submit("form[action='/dashboard/webhooks'] button[type=submit]")
        .await?;
    let errors = d.text("#errors").await?;
    assert!(
        errors.contains("An http:// or https:// address"),
        "{errors}"
    );
    assert!(errors.contains("At least one event"), "{errors}");
    refused_page(&d, "webhook-refused").await?;
    // Settings refused in Ukrainian: each field by its label, in Ukrainian.
    d.visit("/dashboard/language/uk").await?;
    d.visit("/dashboard/settings").await?;
    d.tab
        .eval(
            "(() => { const f = document.querySelector('[name=churn_window_days]').form; \
             f.noValidate = true; f.querySelector('[name=churn_window_days]').value = '3'; \
             f.querySelector('[name=allowed_origins]').value = 'shop.example'; return true; })()",
        )
        .await?;
    d.submit("form[action='/dashboard/settings'] button[type=submit]")
        .await?;
    let errors = d.text("#errors").await?;
    assert!(errors.contains("Від 7 до 730\u{a0}днів"), "{errors}");
    assert!(
        errors.contains("«shop.example» має виглядати як"),
        "{errors}"
    );
    refused_page(&d, "settings-refused-uk").await?;
    d.visit("/dashboard/language/en").await?;

    // A detractor marked contacted stays so after a reload.
    d.visit("/dashboard/inbox?status=new").await?;
    let id: String = d
        .tab
        .eval("document.querySelector('ol.inbox article').id")
        .await?
        .as_str()
        .context("an inbox item")?
        .to_string();
    d.fill(&format!("#{id} select[name=status]"), "contacted")
        .await?;
    d.fill(
        &format!("#{id} textarea[name=note]"),
        "Called; sent a fresh bag",
    )
    .await?;
    d.submit(&format!("#{id} button[type=submit]")).await?;
    assert!(d.text("[data-testid=saved]").await?.contains("Saved"));
    assert!(!d.exists(&format!("#{id}")).await?, "no longer new");
    d.visit("/dashboard/inbox?status=contacted").await?;
    d.tab.reload().await?;
    d.wait_for(&format!("#{id}")).await?;
    let status = d
        .tab
        .eval(&format!(
            "document.querySelector('#{id} select[name=status]').value"
        ))
        .await?;
    assert_eq!(status, "contacted");
    assert_eq!(
        d.text(&format!("#{id} textarea[name=note]")).await?.trim(),
        ""
    );
    let note = d
        .tab
        .eval(&format!(
            "document.querySelector('#{id} textarea[name=note]').value"
        ))
        .await?;
    assert_eq!(note, "Called; sent a fresh bag");
    d.tab.screenshot("11-dashboard-inbox-saved").await?;

    // An import with one bad row names the row and stores nothing.
    let csv = "customer_ref,purchase_id,amount,purchased_at\n\
               new-1,imp-1,10.00,2026-02-01\n\
               new-2,imp-2,ten,2026-02-02\n";
    let dir = tempfile::tempdir()?;
    import_file(&d, &dir.path().join("customers.csv"), csv).await?;
    d.wait_for("[data-testid=import-error]").await?;
    let row = d.texts("[data-testid=import-error] td").await?;
    assert_eq!(row[0], "3", "{row:?}");
    assert!(
        row[1].starts_with("amount: ") && row[1].contains("ten"),
        "{row:?}"
    );
    d.tab.screenshot("11-dashboard-import-failed").await?;
    assert_eq!(env.api().db().customer(demo::SHOP_ID, "new-1").await?, None);

    // A clean one, its progress streamed compressed as the browser asks: what
    // was imported, sent once (a stream cut short once made the page send the
    // file again, and say "imported 0, already known 2").
    let csv = "customer_ref,purchase_id,amount,purchased_at\n\
               new-3,imp-3,10.00,2026-02-01\n\
               new-4,imp-4,12.50,2026-02-02\n";
    import_file(&d, &dir.path().join("clean.csv"), csv).await?;
    d.wait_for("[data-testid=imported]").await?;
    assert_eq!(d.text("[data-testid=imported]").await?, "2");
    assert_eq!(d.text("[data-testid=import-duplicates]").await?, "0");
    d.tab.screenshot("11-dashboard-import-done").await?;

    // Erasing a customer asks for their reference; a wrong one erases nothing.
    d.visit("/dashboard/customers/new-3").await?;
    d.fill("[data-testid=erase-form] input[name=confirm]", "new-4")
        .await?;
    d.submit("[data-testid=erase-form] button[type=submit]")
        .await?;
    d.wait_for("#erase-error").await?;
    refused_page(&d, "erase-refused").await?;
    assert!(
        env.api()
            .db()
            .customer(demo::SHOP_ID, "new-3")
            .await?
            .is_some()
    );

    // The win-back list exported is the list the owner API gives.
    let exported = d.download("/dashboard/win-back.csv").await?;
    let expected: Page<WinBackEntry> = env.owner_get("win-back?limit=500").await?;
    assert!(expected.total <= 500, "{}", expected.total);
    let expected = expected.items;
    let mut rows = csv::Reader::from_reader(exported.as_bytes());
    let refs: Vec<String> = rows
        .records()
        .map(|r| r.map(|r| r[0].to_string()))
        .collect::<Result<_, _>>()?;
    assert!(!refs.is_empty());
    assert_eq!(
        refs,
        expected
            .iter()
            .map(|w| w.customer_ref.clone())
            .collect::<Vec<_>>()
    );

    // A new back-office key: shown once; the old one stops working at once.
    assert_eq!(
        purchase_status(&env, demo::SECRET_KEY, "before").await?,
        200
    );
    d.visit("/dashboard/settings").await?;
    d.submit("form[action='/dashboard/settings/keys/back-office'] button")
        .await?;
    // Asked first, saying what stops working; nothing replaced until confirmed.
    d.wait_for("[data-testid=confirm-rotation]").await?;
    assert_eq!(purchase_status(&env, demo::SECRET_KEY, "asked").await?, 200);
    d.tab.screenshot("11-dashboard-confirm-key").await?;
    d.submit("[data-testid=confirm-rotation] button").await?;
    let secret = d.text("[data-testid=new-secret]").await?;
    assert!(secret.starts_with("sk_"), "{secret}");
    assert_eq!(purchase_status(&env, demo::SECRET_KEY, "after").await?, 401);
    assert_eq!(purchase_status(&env, &secret, "after").await?, 200);
    assert!(
        d.text("main").await?.contains("back-office key"),
        "the change is in the log"
    );
    d.tab.screenshot("11-dashboard-new-key").await?;

    // Signing out ends the session.
    d.submit("form.signout button").await?;
    d.wait_for_path("/dashboard/login").await?;
    d.visit("/dashboard/customers").await.ok();
    d.wait_for_path("/dashboard/login").await?;
    let _ = WAIT;
    env.close().await;
    Ok(())
}

/// A survey that is off, as every new one starts, shows in the editor's
/// preview, as saved: the preview asked the widget's public plan, which has
/// only the surveys that are on, and stayed empty until the survey was.
/// What the owner just did is said where focus goes, so that a screen reader
/// reads it and the owner's eyes find it (an outside test with the keyboard
/// found messages already on the page that no screen reader read, one off the
/// screen, a field's error it did not tie to the field, and Enter in the
/// survey editor pressing "Add a language"): a refused sign-in, the shop's id
/// kept; Enter in the editor saves; a refused field described by its error;
/// an inbox item's "Saved." beside it; a wrong reference typed to erase a
/// customer. And the focus ring on the dark header is white.
#[tokio::test(flavor = "multi_thread")]
async fn what_the_owner_just_did_is_said_where_focus_goes() -> Result<()> {
    let env = Env::start().await?;
    demo::seed_history(env.api().db().as_ref()).await?;
    let d = Dashboard::new(
        env.open(&format!("{}/dashboard", env.api_url())).await?,
        &env.api_url(),
    );
    let focus_is = async |what: &str, condition: &str| {
        d.tab
            .wait_until(
                what,
                &format!("(e => !!e && ({condition}))(document.activeElement)"),
            )
            .await
    };
    d.visit("/dashboard/login").await?;
    d.fill("input[name=shop]", "demo").await?;
    d.fill("input[name=token]", "ot_not_the_token").await?;
    d.submit("form button[type=submit]").await?;
    // Focused: the message's wrapper, its live role inside.
    focus_is(
        "the refused sign-in",
        "!!e.querySelector('#sign-in-failed')",
    )
    .await?;
    assert_eq!(
        d.tab
            .eval("document.querySelector('input[name=shop]').value")
            .await?,
        "demo"
    );
    assert_eq!(
        d.tab
            .eval("document.querySelector('input[name=token]').getAttribute('aria-invalid')")
            .await?,
        "true"
    );
    d.sign_in("demo", demo::OWNER_TOKEN).await?;

    d.tab.press("Tab").await?;
    d.tab.press("Tab").await?;
    focus_is("a link of the header", "!!e.closest('.top')").await?;
    assert_eq!(
        d.tab
            .eval("getComputedStyle(document.activeElement).outlineColor")
            .await?,
        "rgb(255, 255, 255)"
    );

    let editor = format!("/dashboard/surveys/{}", demo::NPS_SURVEY);
    d.visit(&editor).await?;
    d.fill("input[name=delay_seconds]", "5").await?;
    d.tab.press("Enter").await?;
    focus_is("Saved. after Enter", "!!e.querySelector('.status-message')").await?;
    assert_eq!(
        d.tab
            .eval("document.querySelector('input[name=delay_seconds]').value")
            .await?,
        "5"
    );

    d.fill("#f-texts-en-question", "").await?;
    d.submit(".actions button[value=save]").await?;
    focus_is("the refused form's errors", "e.id == 'errors'").await?;
    // What describes the field holds the error that links to it.
    let described = d
        .tab
        .eval(
            "(field => { const by = (field.getAttribute('aria-describedby') ?? '').split(' ') \
               .map(id => document.getElementById(id)?.textContent ?? '').join(' '); \
               const error = document.querySelector('#errors a[href=\"#' + field.id + '\"]'); \
               return !!error && by.includes(error.textContent); })\
             (document.getElementById('f-texts-en-question'))",
        )
        .await?;
    assert_eq!(described, true);

    // A language the survey has, added again: said, not taken in silence.
    d.visit(&editor).await?;
    d.fill("#f-new_locale", "en").await?;
    d.submit("button[value=add_locale]").await?;
    focus_is(
        "the language there refused",
        "e.id == 'errors' && e.textContent.includes('en')",
    )
    .await?;
    // A code typed to add, then Enter (which presses Save, the form's
    // first button): the language is added, as "Add a language" does.
    d.fill("#f-new_locale", "de").await?;
    d.tab.press("Enter").await?;
    d.wait_for("#f-texts-de").await?;
    // Its question, to write, has focus (it had been left on the page).
    focus_is(
        "the new language's question",
        "e.id == 'f-texts-de-question'",
    )
    .await?;
    // A survey moved: "Saved." in its row, where focus is.
    d.visit("/dashboard/surveys").await?;
    d.submit("button[name=move][value=down]").await?;
    focus_is(
        "Saved. in the row moved",
        "e.id == 'arranged' && !!e.closest('tr')",
    )
    .await?;

    d.visit("/dashboard/inbox").await?;
    let id = d
        .tab
        .eval("document.querySelector('ol.inbox article').id")
        .await?;
    let id = id.as_str().context("an inbox item")?;
    d.fill(&format!("#{id} textarea[name=note]"), "Called back")
        .await?;
    d.submit(&format!("#{id} button[type=submit]")).await?;
    focus_is(
        "Saved. beside the item",
        &format!("e.closest('article')?.id == '{id}' && !!e.querySelector('[data-testid=saved]')"),
    )
    .await?;
    d.tab
        .screenshot("11-dashboard-inbox-saved-in-place")
        .await?;

    d.visit("/dashboard/customers/cust-0001").await?;
    d.fill("[data-testid=erase-form] input[name=confirm]", "not-them")
        .await?;
    d.submit("[data-testid=erase-form] button[type=submit]")
        .await?;
    focus_is("the refused erasure", "!!e.querySelector('#erase-error')").await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_survey_that_is_off_shows_in_its_preview() -> Result<()> {
    let env = Env::start().await?;
    env.edit_survey(demo::CSAT_SURVEY, |s| {
        s.active = false;
        s.survey.texts.get_mut("en").expect("English").question = "How was the new blend?".into();
    })
    .await?;
    let d = Dashboard::new(
        env.open(&format!("{}/dashboard", env.api_url())).await?,
        &env.api_url(),
    );
    d.sign_in("demo", demo::OWNER_TOKEN).await?;
    d.visit(&format!("/dashboard/surveys/{}/preview", demo::CSAT_SURVEY))
        .await?;
    let question = format!(
        r#".kept-survey[data-survey="{}"] .kept-question"#,
        demo::CSAT_SURVEY
    );
    d.tab.wait_for(&question).await?;
    assert_eq!(d.tab.text(&question).await?, "How was the new blend?");
    d.tab
        .screenshot("11-dashboard-preview-of-a-survey-off")
        .await?;
    // The survey stays off for visitors.
    let plan: serde_json::Value =
        reqwest::get(format!("{}{}", env.api_url(), api::plan(demo::PUBLIC_KEY)))
            .await?
            .json()
            .await?;
    assert!(!plan.to_string().contains(demo::CSAT_SURVEY), "{plan}");
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_small_phone_every_page_fits_and_keeps_its_words_whole_in_each_language() -> Result<()>
{
    let env = Env::start().await?;
    demo::seed_history(env.api().db().as_ref()).await?;
    // Words longer than a phone's line: a shop named without spaces, a
    // store's id and name, a customer's reference (a SHA-256, as a shop that
    // keeps its customers pseudonymous gives): they had widened the page.
    env.edit_settings(|s| s.name = "N".repeat(100)).await?;
    let long = format!("s{}", "x".repeat(60));
    env.owner_send(
        reqwest::Method::PUT,
        &format!("stores/{long}"),
        &serde_json::json!({ "name": "Y".repeat(90) }),
    )
    .await?;
    let hashed = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
    let status = reqwest::Client::new()
        .post(format!(
            "{}{}",
            env.api_url(),
            api::purchases(demo::SHOP_ID)
        ))
        .bearer_auth(demo::SECRET_KEY)
        .json(&RecordPurchase::new(hashed, "hashed-1", 1000))
        .send()
        .await?
        .status();
    assert!(status.is_success(), "{status}");
    let d = Dashboard::new(
        env.open(&format!("{}/dashboard", env.api_url())).await?,
        &env.api_url(),
    );
    d.sign_in("demo", demo::OWNER_TOKEN).await?;
    d.tab.set_viewport(320, 640).await?;
    let hashed_page = format!("/dashboard/customers/{hashed}");
    let pages = PAGES
        .iter()
        .map(|(path, _)| *path)
        .chain([hashed_page.as_str(), "/dashboard?period=week"]);
    for language in ["en", "ru", "uk"] {
        d.visit(&format!("/dashboard/language/{language}")).await?;
        for path in pages.clone() {
            d.visit(path).await?;
            d.wait_for_tables_fitted().await?;
            // The segments' labels beside their bars had broken Ukrainian
            // "Перспективні" after its ninth letter.
            let broken = d.tab.broken_words().await?;
            assert!(broken.is_empty(), "{path} in {language}: {broken:?}");
            let clipped = d.clipped_chart_labels().await?;
            assert!(clipped.is_empty(), "{path} in {language}: {clipped:?}");
            assert!(
                !d.scrolls_sideways().await?,
                "{path} in {language} scrolls sideways"
            );
        }
    }
    env.close().await;
    Ok(())
}
