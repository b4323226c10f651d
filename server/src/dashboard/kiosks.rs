//! Stores and kiosks in the dashboard: the shop's stores (add, rename), the
//! kiosk PIN, and every tablet with its store, when it was last seen, what waits
//! in its queue, and a warning when it has not synced.

use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kept_shared::FieldError;
use kept_shared::limits::DEFAULT_DEVICE_STALE_HOURS;
use maud::{Markup, html};
use serde::Deserialize;

use super::format;
use super::i18n::{Texts, fill};
use super::layout::{Section, aria_invalid, enc, errors, said_on_load, shell};
use super::session::Session;
use super::surveys::dashboard_actor;
use super::{expired, form_allowed, refused};
use crate::db::Db;
use crate::http::Failure;
use crate::owner::kiosks;
use crate::owner::settings::ChangeError;

fn field_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "id" => t.store_id,
        "name" => t.store_name,
        "pin" => t.kiosk_pin,
        _ => return None,
    })
}

fn field_id(field: &str) -> String {
    format!("k-{field}")
}

/// The page; `draft` is a refused store, shown again to be mended.
async fn render(
    db: &Db,
    session: &Session,
    invalid: &[FieldError],
    draft: Option<&StoreForm>,
    notice: Option<Markup>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let zone = session.shop.time_zone;
    let shop = &session.shop;
    let stores = db.stores(&shop.id).await?;
    let pin_set = db.kiosk_pin(&shop.id).await?.is_some();
    let devices = kiosks::devices(db.as_ref(), shop, DEFAULT_DEVICE_STALE_HOURS).await?;
    let store_name = |id: &Option<String>| -> String {
        match id {
            None => "—".into(),
            Some(id) => stores
                .iter()
                .find(|s| &s.id == id)
                .map_or_else(|| id.clone(), |s| s.name.clone()),
        }
    };
    let kiosk_path = format!("/kiosk/{}", shop.public_key);
    let hours = devices.stale_after_hours.to_string();
    let content = html! {
        p class="intro" { (t.kiosks_intro) }
        @if let Some(n) = notice { (n) }
        (errors(session.lang, invalid, field_id, field_label))
        p { (t.kiosk_address) ": " a href=(kiosk_path) data-testid="kiosk-address" { code { (kiosk_path) } } }

        h2 { (t.tablets) }
        @if devices.devices.is_empty() { p role="status" { (t.no_tablets) } } @else {
            div class="table-wrap" { table data-testid="tablets" {
                thead { tr {
                    th scope="col" { "ID" } th scope="col" { (t.tablet_store) } th scope="col" { (t.tablet_last_seen) }
                    th scope="col" { (t.tablet_synced) } th scope="col" class="num" { (t.tablet_pending) } th scope="col" { (t.tablet_version) }
                    th scope="col" { span class="sr-only" { (t.remove_tablet) } }
                } }
                tbody { @for d in &devices.devices { tr data-testid="tablet" data-stale=(d.stale) {
                    td { code { (d.id.chars().take(8).collect::<String>()) } }
                    td { (store_name(&d.store)) }
                    td { (format::date_time(lang, d.last_seen_at, zone)) }
                    td {
                        @match d.synced_at { Some(at) => { (format::date_time(lang, at, zone)) }, None => { "—" } }
                        @if d.stale { br; span class="pill bad" { (fill(t.tablet_needs_look, &[("hours", &hours)])) } }
                    }
                    td class="num" { (format::whole(u64::from(d.pending))) }
                    td { code { (d.version) } }
                    td {
                        form method="post" action={"/dashboard/kiosks/tablets/" (enc(&d.id)) "/remove"} class="actions" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            button type="submit" class="danger" aria-label={(t.remove_tablet) ": " (d.id)} { (t.remove_tablet) }
                        }
                    }
                } } }
            } }
            p class="intro" { (t.remove_tablet_hint) }
        }

        h2 { (t.stores) }
        @if stores.is_empty() { p { (t.no_stores) } } @else {
            ul data-testid="stores" { @for s in &stores { li { (s.name) " · " code { (s.id) } } } }
        }
        form method="post" action="/dashboard/kiosks/stores" class="card" {
            input type="hidden" name="csrf" value=(session.csrf);
            label { (t.store_id) input id=(field_id("id")) name="id" value=[draft.map(|d| &d.id)] required maxlength="128" pattern="[A-Za-z0-9_.:@\\-]+" aria-invalid=[aria_invalid(invalid, "id")]; }
            label { (t.store_name) input id=(field_id("name")) name="name" value=[draft.map(|d| &d.name)] required maxlength="100" aria-invalid=[aria_invalid(invalid, "name")]; }
            div class="actions" { button type="submit" { (t.save_store) } }
        }

        h2 { (t.kiosk_pin) }
        p role="status" data-testid="pin-state" { (if pin_set { t.pin_is_set } else { t.pin_not_set }) }
        form method="post" action="/dashboard/kiosks/pin" class="card" {
            input type="hidden" name="csrf" value=(session.csrf);
            label { (t.kiosk_pin) input id=(field_id("pin")) name="pin" type="password" inputmode="numeric" autocomplete="new-password" required minlength="6" maxlength="12" pattern="[0-9]{6,12}" aria-describedby="pin-hint" aria-invalid=[aria_invalid(invalid, "pin")]; }
            p id="pin-hint" class="intro" { (t.kiosk_pin_hint) }
            div class="actions" { button type="submit" { (t.set_pin) } }
        }
        @if pin_set {
            form method="post" action="/dashboard/kiosks/pin" {
                input type="hidden" name="csrf" value=(session.csrf);
                button type="submit" name="remove" value="1" class="danger" data-testid="remove-pin" { (t.remove_pin) }
            }
        }
    };
    Ok(shell(session, Section::Kiosks, t.kiosks, content))
}

pub async fn page(State(db): State<Db>, session: Session) -> Result<Response, Failure> {
    render(&db, &session, &[], None, None).await
}

/// The outcome of a form: the page again, with what was wrong (422, the
/// refused store's `draft` kept) or a notice.
async fn after(
    db: &Db,
    session: &Session,
    outcome: Result<(), ChangeError>,
    draft: Option<&StoreForm>,
) -> Result<Response, Failure> {
    match outcome {
        Ok(()) => {
            let t = session.lang.texts();
            let notice = said_on_load(None, html! { p role="status" class="card" { (t.saved) } });
            render(db, session, &[], None, Some(notice)).await
        }
        Err(ChangeError::Invalid(invalid)) => {
            Ok(refused(render(db, session, &invalid, draft, None).await?))
        }
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct StoreForm {
    csrf: String,
    id: String,
    name: String,
}

pub async fn save_store(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Form(f): Form<StoreForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    let outcome = kiosks::put_store(
        db.as_ref(),
        &session.shop,
        f.id.trim(),
        &f.name,
        &dashboard_actor(&session),
    )
    .await
    .map(|_| ());
    after(&db, &session, outcome, Some(&f)).await
}

#[derive(Debug, Deserialize)]
pub struct PinForm {
    csrf: String,
    #[serde(default)]
    pin: String,
    /// The "Remove the PIN" button.
    #[serde(default)]
    remove: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// A tablet removed (`owner::kiosks::remove_device`): nothing is lost, and
/// the PIN sets it up again, so the page says so instead of asking first.
pub async fn remove_tablet(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    kiosks::remove_device(
        db.as_ref(),
        &session.shop,
        &device,
        &dashboard_actor(&session),
    )
    .await?;
    let t = session.lang.texts();
    let notice = said_on_load(
        None,
        html! { p role="status" class="card" data-testid="tablet-removed" { (t.tablet_removed) } },
    );
    render(&db, &session, &[], None, Some(notice)).await
}

pub async fn set_pin(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    Form(f): Form<PinForm>,
) -> Result<Response, Failure> {
    if !form_allowed(&session, &headers, &f.csrf) {
        return Ok(expired(&session));
    }
    let pin = f.remove.is_none().then(|| f.pin.trim());
    let outcome =
        kiosks::set_pin(db.as_ref(), &session.shop, pin, &dashboard_actor(&session)).await;
    after(&db, &session, outcome, None).await
}
