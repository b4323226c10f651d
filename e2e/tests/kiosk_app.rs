//! The kiosk as an installed app, in the real browser: set up behind the owner's
//! PIN, it keeps working through a reload with the server gone (its service
//! worker), takes three respondents' answers, and sends them once when the
//! server is back, with the store; the tablet then shows as seen with nothing
//! pending. Leaving the kiosk takes the PIN, checked on the tablet.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use kept_e2e::{Env, WAIT, Widget};
use kept_server::demo;
use kept_shared::{AnswerValue, Channel, Device, Devices, KioskPin, StoreName};

const NPS: &str = demo::NPS_SURVEY;
const PIN: &str = "246810";

fn survey_screen(id: &str) -> String {
    format!(r#".kept-survey[data-survey="{id}"]"#)
}

/// The owner's part: a store, and the PIN.
async fn owner_prepares(env: &Env) -> Result<()> {
    env.owner_send(
        reqwest::Method::PUT,
        "kiosk-pin",
        &KioskPin {
            pin: Some(PIN.into()),
        },
    )
    .await?;
    env.owner_send(
        reqwest::Method::PUT,
        "stores/old-town",
        &StoreName {
            name: "Old town".into(),
        },
    )
    .await
}

/// The staff's part on the tablet: the PIN, then the store, the NPS survey only,
/// the language, and the seconds without a touch before the next respondent.
async fn set_up(w: &Widget, idle_seconds: u32, locale: &str) -> Result<()> {
    w.wait_for_in_page("#pin").await?;
    w.type_in_page("#pin", "135790").await?;
    w.click_in_page("[data-testid=kiosk-pin-submit]").await?;
    w.wait_until(
        "the wrong PIN to be refused",
        "document.getElementById('pin-error').textContent.startsWith('Wrong PIN. Try again')",
    )
    .await?;
    w.type_in_page("#pin", PIN).await?;
    w.click_in_page("[data-testid=kiosk-pin-submit]").await?;
    w.wait_for_in_page("#store").await?;
    w.select_in_page("#store", "old-town").await?;
    w.eval(&format!(
        "document.querySelectorAll('#surveys-list input').forEach(b => b.checked = b.value == '{NPS}')"
    ))
    .await?;
    w.select_in_page("#locale", locale).await?;
    // The form, and the surveys' questions in it, in the language chosen there
    // (the questions had stayed in the browser's).
    assert_eq!(w.eval("document.documentElement.lang").await?, locale);
    let titles = w
        .eval("[...document.querySelectorAll('#surveys-list [data-titles]')].map(e => e.textContent).join(' | ')")
        .await?;
    if locale == "uk" {
        assert!(
            titles.to_string().contains("Наскільки ймовірно"),
            "{titles}"
        );
    }
    w.type_in_page("#idle", &idle_seconds.to_string()).await?;
    w.screenshot("14-kiosk-setup").await?;
    w.click_in_page("[data-testid=kiosk-start]").await
}

async fn answer_nps(w: &Widget, score: u8) -> Result<()> {
    w.wait_for(&survey_screen(NPS)).await?;
    w.click(&format!(r#"[data-score="{score}"]"#)).await?;
    w.click(".kept-submit").await?;
    w.wait_for(".kept-thanks").await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_installed_kiosk_reloads_offline_and_keeps_every_answer() -> Result<()> {
    let mut env = Env::start().await?;
    owner_prepares(&env).await?;
    let w = env
        .open(&format!(
            "{}/kiosk/{}?heartbeat=1",
            env.api_url(),
            demo::PUBLIC_KEY
        ))
        .await?;
    w.set_viewport(1280, 800).await?;
    set_up(&w, 60, "en").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    // Installed: the worker controls the page and keeps the page itself.
    w.wait_until(
        "the service worker to control the kiosk",
        "navigator.serviceWorker.controller !== null",
    )
    .await?;
    w.wait_until(
        "the kiosk page to be kept",
        "(caches.match(location.href).then(r => window.keptPageKept = !!r), window.keptPageKept === true)",
    )
    .await?;

    // The shop's network goes down, and the tablet reloads.
    env.stop_api().await;
    w.reload().await?;
    w.wait_for(&survey_screen(NPS)).await?;
    for (i, score) in [9u8, 4, 10].into_iter().enumerate() {
        answer_nps(&w, score).await?;
        if i < 2 {
            w.click(".kept-next").await?;
        }
    }
    assert_eq!(w.storage_keys("pending").await?.len(), 3);
    w.screenshot("14-kiosk-offline-three-answers").await?;

    env.restart_api().await?;
    let answers = env.wait_for_answers(3).await?;
    assert!(
        answers.iter().all(|a| a.channel == Channel::Kiosk
            && a.store.as_deref() == Some("old-town")
            && a.customer_ref.is_none()),
        "{answers:#?}"
    );
    let mut scores: Vec<u8> = answers
        .iter()
        .map(|a| match a.value {
            AnswerValue::Nps { score, .. } => score,
            _ => panic!("not an NPS answer"),
        })
        .collect();
    scores.sort();
    assert_eq!(scores, [4, 9, 10]);
    assert_eq!(env.report().await?.by_store["old-town"].nps.responses, 3);

    // The tablet reports itself: seen, in its store, nothing pending, not stale.
    the_tablet(&env, "showed as synced", |d| {
        d.pending == 0 && !d.stale && d.store.as_deref() == Some("old-town")
    })
    .await?;
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_the_kiosk_takes_the_pin() -> Result<()> {
    let env = Env::start().await?;
    owner_prepares(&env).await?;
    let w = env
        .open(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    set_up(&w, 60, "uk").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.click_in_page("[data-testid=kiosk-unlock-open]").await?;
    w.type_in_page("[data-testid=kiosk-unlock-pin]", "000000")
        .await?;
    w.click_in_page("[data-testid=kiosk-unlock]").await?;
    // The staff's words in the kiosk's language too.
    w.wait_until(
        "the wrong PIN to be refused, in Ukrainian",
        "document.getElementById('unlock-error').textContent.startsWith('Неправильний PIN-код. Спробуйте ще раз') \
         && document.querySelector('[data-testid=kiosk-unlock]').textContent == 'Відкрити'",
    )
    .await?;
    w.screenshot("14-kiosk-unlock").await?;
    w.type_in_page("[data-testid=kiosk-unlock-pin]", PIN)
        .await?;
    w.click_in_page("[data-testid=kiosk-unlock]").await?;
    // The settings again, with the store chosen before.
    w.wait_for_in_page("#store").await?;
    assert_eq!(
        w.eval("document.getElementById('store').value").await?,
        "old-town"
    );
    assert_eq!(
        w.eval("document.querySelector('[data-t=store]').textContent")
            .await?,
        "Магазин"
    );
    assert!(!w.exists(&survey_screen(NPS)).await?);
    env.close().await;
    Ok(())
}

/// The staff's PIN and the receipt's scan open as dialogs: named, the kiosk
/// behind them out of reach (Tab stays in them, a screen reader reads them
/// alone), closed by Escape with focus back on the button that opened them; a
/// wrong PIN is marked on its field and said by it; the page's title is in
/// the kiosk's language. (An outside test found Escape doing nothing, Tab
/// reaching the widget under the dialog's shade, and focus dropped to the page.)
#[tokio::test(flavor = "multi_thread")]
async fn the_staffs_and_the_receipts_dialogs_keep_the_keyboard_in_them() -> Result<()> {
    let env = Env::start().await?;
    owner_prepares(&env).await?;
    // In full screen the browser keeps Escape to leave it: a browser without
    // full screen for a page (Safari on an iPhone) gives every Escape to it.
    let w = env.open("about:blank").await?;
    w.run_before_each_page("delete Element.prototype.requestFullscreen")
        .await?;
    w.goto(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    set_up(&w, 60, "uk").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.eval("document.title").await?, "Кіоск Kept");
    let focused_id = "document.activeElement && document.activeElement.id";
    for (opener, dialog, field) in [
        ("unlock-open", "unlock", "unlock-pin"),
        ("scan-open", "scan", "scan-code"),
    ] {
        w.click_in_page(&format!("#{opener}")).await?;
        w.wait_until(
            &format!("{dialog} to open with focus in it"),
            &format!("!document.getElementById('{dialog}').hidden && {focused_id} == '{field}'"),
        )
        .await?;
        let named = w
            .eval(&format!(
                "(() => {{ const d = document.getElementById('{dialog}');                  return d.getAttribute('role') + ' ' + d.getAttribute('aria-modal') + ' ' +                  document.getElementById(d.getAttribute('aria-labelledby')).textContent; }})()"
            ))
            .await?;
        assert!(
            named
                .as_str()
                .is_some_and(|n| n.starts_with("dialog true ") && n.len() > 14),
            "{dialog}: {named}"
        );
        // Round the dialog and back: never the widget nor the other buttons.
        let mut reached = Vec::new();
        for _ in 0..6 {
            w.press("Tab").await?;
            reached.push(w.eval(&format!(
                "document.getElementById('{dialog}').contains(document.activeElement)                  || document.activeElement == document.body"
            )).await?);
        }
        assert!(reached.iter().all(|r| r == true), "{dialog}: {reached:?}");
        assert_eq!(
            w.eval(&format!("document.getElementById('{opener}').inert"))
                .await?,
            true
        );
        w.press("Escape").await?;
        w.wait_until(
            &format!("{dialog} to close with focus back on {opener}"),
            &format!("document.getElementById('{dialog}').hidden && {focused_id} == '{opener}'"),
        )
        .await?;
        assert_eq!(
            w.eval(&format!("document.getElementById('{opener}').inert"))
                .await?,
            false
        );
    }
    w.click_in_page("#unlock-open").await?;
    w.type_in_page("#unlock-pin", "000000").await?;
    w.click_in_page("[data-testid=kiosk-unlock]").await?;
    w.wait_until(
        "the wrong PIN to be marked on its field",
        "document.getElementById('unlock-pin').getAttribute('aria-invalid') == 'true' \
         && document.getElementById('unlock-pin').getAttribute('aria-describedby') == 'unlock-error' \
         && document.getElementById('unlock-error').textContent.startsWith('Неправильний PIN-код')",
    )
    .await?;
    w.screenshot("14-kiosk-unlock-dialog").await?;
    env.close().await;
    Ok(())
}

/// Whether the staff's setup form is on screen.
const SETUP_FORM_SHOWN: &str = "document.getElementById('setup-form').checkVisibility()";

/// A tablet whose setup the staff leave half-way (a reload, a power cut) asks
/// for the PIN again, not a kiosk without its settings; the setup form of a
/// set-up tablet is open only right after the PIN, never after a reload nor
/// once the kiosk's idle time has passed without a touch; and the waits after
/// wrong PINs hold across the kiosk's reloads.
#[tokio::test(flavor = "multi_thread")]
async fn the_setup_is_only_ever_open_to_the_staff() -> Result<()> {
    let env = Env::start().await?;
    owner_prepares(&env).await?;
    // The address's language is the staff's until the setup names one.
    let w = env
        .open(&format!(
            "{}/kiosk/{}?locale=uk",
            env.api_url(),
            demo::PUBLIC_KEY
        ))
        .await?;
    w.set_viewport(768, 1024).await?;
    w.wait_for_in_page("#pin").await?;
    assert_eq!(
        w.eval("document.querySelector('[data-t=ownerPin]').textContent")
            .await?,
        "PIN-код кіоску від власника"
    );
    w.type_in_page("#pin", PIN).await?;
    w.click_in_page("[data-testid=kiosk-pin-submit]").await?;
    w.wait_for_in_page("#store").await?;
    assert_eq!(
        w.eval("document.getElementById('locale').value").await?,
        "uk"
    );
    // No way back from a first setup: there is no kiosk yet.
    assert_eq!(
        w.eval("document.getElementById('setup-back').checkVisibility()")
            .await?,
        false
    );
    w.reload().await?;
    w.wait_for_in_page("#pin").await?;
    assert_eq!(w.eval(SETUP_FORM_SHOWN).await?, false);
    assert!(!w.exists(&survey_screen(NPS)).await?);

    w.goto(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    set_up(&w, 5, "en").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    let unlock = async || -> Result<()> {
        w.click_in_page("[data-testid=kiosk-unlock-open]").await?;
        w.type_in_page("[data-testid=kiosk-unlock-pin]", PIN)
            .await?;
        w.click_in_page("[data-testid=kiosk-unlock]").await?;
        w.wait_for_in_page("[data-testid=kiosk-setup-back]").await
    };
    // Unlocked, then reloaded: the kiosk, locked.
    unlock().await?;
    w.screenshot("14-kiosk-setup-again").await?;
    w.reload().await?;
    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.eval(SETUP_FORM_SHOWN).await?, false);
    // Unlocked, then left alone: the kiosk again after the idle time (5 s).
    unlock().await?;
    let opened = Instant::now();
    w.wait_for(&survey_screen(NPS)).await?;
    assert_eq!(w.eval(SETUP_FORM_SHOWN).await?, false);
    // Not at once (counted from when the test saw the form, later than the
    // page's own start of the 5 s on a loaded machine).
    assert!(
        opened.elapsed() >= Duration::from_millis(2_500),
        "closed after {:?}",
        opened.elapsed()
    );
    // Unlocked, and back to the kiosk by the staff's own button.
    unlock().await?;
    w.click_in_page("[data-testid=kiosk-setup-back]").await?;
    w.wait_for(&survey_screen(NPS)).await?;

    // Three wrong PINs: the next try waits, and still after the kiosk reloads
    // (as it does after each respondent identified by a receipt).
    w.click_in_page("[data-testid=kiosk-unlock-open]").await?;
    for _ in 0..3 {
        w.type_in_page("[data-testid=kiosk-unlock-pin]", "000000")
            .await?;
        w.eval("document.getElementById('unlock-error').textContent = ''")
            .await?;
        w.click_in_page("[data-testid=kiosk-unlock]").await?;
        w.wait_until(
            "the wrong PIN to be refused",
            "document.getElementById('unlock-error').textContent.startsWith('Wrong PIN')",
        )
        .await?;
    }
    w.reload().await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.click_in_page("[data-testid=kiosk-unlock-open]").await?;
    w.type_in_page("[data-testid=kiosk-unlock-pin]", PIN)
        .await?;
    w.click_in_page("[data-testid=kiosk-unlock]").await?;
    w.wait_until(
        "the try to wait, after the reload too",
        "document.getElementById('unlock-error').textContent.startsWith('Too many wrong PINs')",
    )
    .await?;
    assert_eq!(w.eval(SETUP_FORM_SHOWN).await?, false);
    env.close().await;
    Ok(())
}

/// A tablet set up by the staff (idle time 3 s) that reports every second,
/// and its device id once the owner's list shows it.
async fn a_reporting_tablet(env: &Env) -> Result<(Widget, String)> {
    owner_prepares(env).await?;
    let w = env
        .open(&format!(
            "{}/kiosk/{}?heartbeat=1",
            env.api_url(),
            demo::PUBLIC_KEY
        ))
        .await?;
    set_up(&w, 3, "en").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    let tablet = the_tablet(env, "reported", |_| true).await?;
    Ok((w, tablet.id))
}

/// The shop's one tablet, once the owner's list shows it as `is` says
/// (`what`, for the failure's words).
async fn the_tablet(env: &Env, what: &str, is: impl Fn(&Device) -> bool) -> Result<Device> {
    let deadline = Instant::now() + WAIT;
    loop {
        let devices: Devices = env.owner_get("devices").await?;
        if let [d] = &devices.devices[..]
            && is(d)
        {
            return Ok(d.clone());
        }
        if Instant::now() > deadline {
            bail!("the tablet never {what}: {devices:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The owner removes the tablet `device` (`DELETE devices/{device}`).
async fn remove_tablet(env: &Env, device: &str) -> Result<()> {
    env.owner_send(
        reqwest::Method::DELETE,
        &format!("devices/{device}"),
        &serde_json::json!(null),
    )
    .await
}

/// A tablet the owner removes (lost, stolen, given away), or whose widget
/// secret the owner replaced, asks for the PIN once nobody is answering, and
/// the PIN sets it up again with its settings as they were.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_tablet_asks_for_the_pin_again() -> Result<()> {
    let env = Env::start().await?;
    let (w, device) = a_reporting_tablet(&env).await?;
    remove_tablet(&env, &device).await?;
    w.wait_for_in_page("#pin").await?;
    assert!(!w.exists(&survey_screen(NPS)).await?);
    // The staff are told why.
    w.wait_until(
        "the reason to be said",
        r#"document.getElementById('pin-error').textContent.startsWith("The shop's owner removed this tablet")"#,
    )
    .await?;
    w.screenshot("14-kiosk-removed").await?;
    w.type_in_page("#pin", PIN).await?;
    w.click_in_page("[data-testid=kiosk-pin-submit]").await?;
    w.wait_for_in_page("#store").await?;
    assert_eq!(
        w.eval("document.getElementById('store').value").await?,
        "old-town"
    );
    w.click_in_page("[data-testid=kiosk-start]").await?;
    w.wait_for(&survey_screen(NPS)).await?;

    // Removed again, once the shop has no PIN any more: it still asks, and
    // the staff are told, in the kiosk's words, that the owner must set one.
    env.owner_send(reqwest::Method::PUT, "kiosk-pin", &KioskPin { pin: None })
        .await?;
    remove_tablet(&env, &device).await?;
    w.wait_for_in_page("#pin").await?;
    w.type_in_page("#pin", PIN).await?;
    w.click_in_page("[data-testid=kiosk-pin-submit]").await?;
    w.wait_until(
        "the staff to be told the shop has no PIN",
        "document.getElementById('pin-error').textContent.startsWith('The shop has no kiosk PIN')",
    )
    .await?;
    env.close().await;
    Ok(())
}

/// A removed tablet that still holds an answer (its sends held here, as a
/// network gone would) sends it while it waits for the PIN: the answer is
/// stored once, not left on the tablet until someone sets it up again.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_tablet_sends_the_answers_it_holds() -> Result<()> {
    let env = Env::start().await?;
    let (w, device) = a_reporting_tablet(&env).await?;
    let held = w.hold_requests("*/answers").await?;
    answer_nps(&w, 9).await?;
    w.wait_until(
        "the answer to wait in the queue",
        "Object.keys(localStorage).some(k => k.startsWith('kept:v1:pk_demo:pending:'))",
    )
    .await?;
    remove_tablet(&env, &device).await?;
    w.wait_for_in_page("#pin").await?;
    // From now on the sends go through: the old page's are gone with it, so
    // only the page asking for the PIN can send the answer.
    let releasing = w.let_held_go(held);
    let answers = env.wait_for_answers(1).await?;
    assert_eq!(answers[0].store.as_deref(), Some("old-town"));
    w.wait_until(
        "the queue to be empty",
        "!Object.keys(localStorage).some(k => k.startsWith('kept:v1:pk_demo:pending:'))",
    )
    .await?;
    releasing.abort();
    env.close().await;
    Ok(())
}

/// The owner's list follows a tablet's queue within seconds, not at its next
/// report a minute later: an outside test saw two answers reported waiting
/// long after they were sent (the report had gone out as the network came
/// back, just before the queue was sent).
#[tokio::test(flavor = "multi_thread")]
async fn a_tablets_waiting_answers_are_reported_as_they_come_and_go() -> Result<()> {
    let env = Env::start().await?;
    owner_prepares(&env).await?;
    // No report of its own for an hour after the first.
    let w = env
        .open(&format!(
            "{}/kiosk/{}?heartbeat=3600",
            env.api_url(),
            demo::PUBLIC_KEY
        ))
        .await?;
    set_up(&w, 60, "en").await?;
    let pending_reported =
        async |n: u32| the_tablet(&env, &format!("reported {n} waiting"), |d| d.pending == n).await;
    pending_reported(0).await?;
    let held = w.hold_requests("*/answers").await?;
    answer_nps(&w, 8).await?;
    pending_reported(1).await?;
    let releasing = w.let_held_go(held);
    env.wait_for_answers(1).await?;
    pending_reported(0).await?;
    releasing.abort();
    env.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receipt_identifies_the_respondent_for_their_answer_only() -> Result<()> {
    let env = Env::start().await?;
    owner_prepares(&env).await?;
    // The personal link a till prints on the receipt, as its QR code.
    let link = env.personal_link("carol", "o-5151", NPS).await?;
    let w = env
        .open(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    w.set_viewport(1024, 768).await?;
    set_up(&w, 8, "en").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    assert!(!w.exists(".kept-loyalty").await?);

    // A hand scanner types what the QR code holds; a wrong code is told apart.
    w.click_in_page("[data-testid=kiosk-scan-open]").await?;
    w.type_in_page("#scan-code", "not-a-receipt").await?;
    w.click_in_page("[data-testid=kiosk-scan-use]").await?;
    w.wait_until(
        "the wrong code to be refused",
        "document.getElementById('scan-error').textContent.includes('not one of our receipts')",
    )
    .await?;
    w.type_in_page("#scan-code", &link.url).await?;
    w.click_in_page("[data-testid=kiosk-scan-use]").await?;
    // Carol's card shows, and her answer goes with her order; focus is on
    // the kiosk, not dropped to the page with the button that went.
    w.wait_until("focus on the kiosk", "document.activeElement.id == 'kiosk'")
        .await?;
    w.wait_for(".kept-loyalty").await?;
    w.wait_for(&survey_screen(NPS)).await?;
    w.screenshot("14-kiosk-identified").await?;
    answer_nps(&w, 7).await?;
    let answers = env.wait_for_answers(1).await?;
    let a = &answers[0];
    assert_eq!(
        (
            a.channel,
            a.store.as_deref(),
            a.customer_ref.as_deref(),
            a.order_ref.as_deref()
        ),
        (
            Channel::Kiosk,
            Some("old-town"),
            Some("carol"),
            Some("o-5151")
        )
    );
    assert!(env.api().db().answers(demo::SHOP_ID).await?[0].verified);

    // The next respondent sees nothing of hers: an anonymous kiosk again.
    w.click(".kept-next").await?;
    w.wait_until(
        "a fresh anonymous kiosk",
        "!document.querySelector('script[data-customer]') && document.querySelector('.kept-host')?.shadowRoot?.querySelector('.kept-survey') != null",
    )
    .await?;
    assert!(!w.exists(".kept-loyalty").await?);
    // Nor in the page's storage: her card and her plan, kept for a reload
    // offline, went with her.
    assert_eq!(w.storage_keys("loyalty").await?, Vec::<String>::new());
    assert!(
        !w.storage_get(&format!("kept:v1:{}:plan", demo::PUBLIC_KEY))
            .await?
            .unwrap_or_default()
            .contains("carol"),
    );
    // Her receipt again: answered already, so no second survey for it.
    w.click_in_page("[data-testid=kiosk-scan-open]").await?;
    w.type_in_page("#scan-code", &link.url).await?;
    w.click_in_page("[data-testid=kiosk-scan-use]").await?;
    w.wait_until(
        "the receipt to be known as answered",
        "document.getElementById('scan-error').textContent.includes('already answered')",
    )
    .await?;

    // Left open with a code typed, the dialog closes after the idle time, the
    // code gone: it is the respondent's link, good for answering as them.
    w.type_in_page("#scan-code", &link.url).await?;
    w.eval("window.__typed = performance.now()").await?;
    w.wait_until(
        "the idle kiosk to close the receipt dialog, emptied",
        "document.getElementById('scan').hidden && document.getElementById('scan-code').value == ''",
    )
    .await?;
    // Not before the idle time (8 s).
    let waited = w.eval("performance.now() - window.__typed").await?;
    assert!(
        waited.as_f64().unwrap() >= 7_500.0,
        "closed after {waited} ms"
    );
    // And the staff's PIN dialog, a PIN begun in it.
    w.click_in_page("[data-testid=kiosk-unlock-open]").await?;
    w.type_in_page("#unlock-pin", "13").await?;
    w.wait_until(
        "the idle kiosk to close the PIN dialog, emptied",
        "document.getElementById('unlock').hidden && document.getElementById('unlock-pin').value == ''",
    )
    .await?;

    // A respondent holding a receipt to the camera touches nothing, yet is
    // there: a code read counts as a touch, so the dialog stays open the idle
    // time after the read, not after the last touch. A code that stays in view
    // (a poster, a receipt left on the counter) counts once, so the dialog
    // still closes. (Chromium on Linux has no BarcodeDetector: a stand-in sees
    // a code once told to, over a camera that is a canvas.)
    w.eval(
        r#"window.__codeInView = false;
        window.BarcodeDetector = class {
          detect() {
            if (!window.__codeInView) return Promise.resolve([]);
            window.__readAt = window.__readAt || performance.now();
            return Promise.resolve([{ rawValue: 'not-a-receipt' }]);
          }
        };
        navigator.mediaDevices.getUserMedia = () => {
          const canvas = document.createElement('canvas');
          canvas.width = canvas.height = 16;
          canvas.getContext('2d').fillRect(0, 0, 16, 16);
          return Promise.resolve(canvas.captureStream());
        };"#,
    )
    .await?;
    w.click_in_page("[data-testid=kiosk-scan-open]").await?;
    w.eval("window.__opened = performance.now()").await?;
    w.wait_until(
        "the camera to show",
        "!document.getElementById('scan-video').hidden",
    )
    .await?;
    w.wait_until(
        "five seconds without a touch",
        "performance.now() - window.__opened > 5000",
    )
    .await?;
    w.eval("window.__codeInView = true").await?;
    w.wait_until(
        "the code held up to be read (and refused)",
        "document.getElementById('scan-error').textContent.includes('not one of our receipts')",
    )
    .await?;
    w.wait_until(
        "the dialog to close, the code still in view",
        "document.getElementById('scan').hidden",
    )
    .await?;
    let since_opened = w.eval("performance.now() - window.__opened").await?;
    let since_read = w.eval("performance.now() - window.__readAt").await?;
    assert!(
        since_opened.as_f64().unwrap() >= 10_000.0 && since_read.as_f64().unwrap() >= 7_000.0,
        "closed {since_opened} ms after the last touch and {since_read} ms after the read"
    );

    // Another customer scans their receipt and walks away without a touch: after
    // the idle time the kiosk is anonymous again, their card gone.
    w.click_in_page("[data-testid=kiosk-scan-open]").await?;
    let walked_away = env.personal_link("bob", "o-5152", NPS).await?;
    w.type_in_page("#scan-code", &walked_away.url).await?;
    w.click_in_page("[data-testid=kiosk-scan-use]").await?;
    w.wait_for(".kept-loyalty").await?;
    w.wait_until(
        "the kiosk to forget the respondent who walked away",
        "!document.querySelector('script[data-customer]') && document.querySelector('.kept-host')?.shadowRoot?.querySelector('.kept-survey') != null && !document.querySelector('.kept-host').shadowRoot.querySelector('.kept-loyalty')",
    )
    .await?;
    env.close().await;
    Ok(())
}

/// The names of the kiosk's caches in the page, once there are some.
async fn kiosk_caches(w: &Widget, what: &str, condition: &str) -> Result<Vec<String>> {
    w.wait_until(
        what,
        &format!(
            "(caches.keys().then(k => window.keptCaches = k.filter(n => n.startsWith('kept-kiosk-'))), \
             window.keptCaches && ({condition}))"
        ),
    )
    .await?;
    Ok(serde_json::from_value(w.eval("window.keptCaches").await?)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_release_replaces_the_kiosks_worker_and_its_cache() -> Result<()> {
    let mut env = Env::start().await?;
    let w = env
        .open(&format!("{}/kiosk/{}", env.api_url(), demo::PUBLIC_KEY))
        .await?;
    w.wait_for(&survey_screen(NPS)).await?;
    let first = kiosk_caches(
        &w,
        "the first worker's cache",
        "window.keptCaches.length == 1",
    )
    .await?;

    // A release: the widget rebuilt (a new content-hashed file among its own).
    let release = tempfile::tempdir()?;
    for entry in std::fs::read_dir(kept_e2e::widget_dist())? {
        let entry = entry?;
        std::fs::copy(entry.path(), release.path().join(entry.file_name()))?;
    }
    std::fs::write(
        release.path().join("kept-extra.0123456789abcdef.js"),
        "// a file of the new release\n",
    )?;
    env.stop_api().await;
    env.restart_api_serving(release.path().to_path_buf())
        .await?;

    // Started online, the kiosk picks the new worker up; it drops the old cache.
    w.reload().await?;
    w.wait_for(&survey_screen(NPS)).await?;
    let now = kiosk_caches(
        &w,
        "the new worker to replace the old cache",
        &format!(
            "window.keptCaches.length == 1 && window.keptCaches[0] != {:?}",
            first[0]
        ),
    )
    .await?;
    assert_ne!(now, first);
    // The page itself moved to the new cache: a restart offline still shows it.
    w.wait_until(
        "the kiosk page kept across the release",
        "(caches.open(window.keptCaches[0]).then(c => c.match(location.href)).then(r => window.keptPage = !!r), window.keptPage === true)",
    )
    .await?;
    w.wait_until(
        "the new release's files to be kept",
        "(caches.match('/widget/kept-extra.0123456789abcdef.js').then(r => window.keptExtra = !!r), window.keptExtra === true)",
    )
    .await?;
    env.close().await;
    Ok(())
}
