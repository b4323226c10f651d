//! The owner's stores, kiosk PIN and kiosk tablets: the API and the dashboard
//! both change them here, by the shared rules, with the audit log.

use chrono::Utc;
use kept_shared::kiosk::{validate_pin, validate_store_name};
use kept_shared::limits::{DEFAULT_DEVICE_STALE_HOURS, MAX_DEVICE_STALE_HOURS, MAX_STORES};
use kept_shared::{Devices, FieldError, FieldProblem, Store, Unit};

use super::settings::{Actor, ChangeError, audit};
use crate::db::{Database, DbError, Shop};
use crate::kiosk::{device_view, pin_hash};

/// Adds the store `id`, or renames it.
pub async fn put_store(
    db: &dyn Database,
    shop: &Shop,
    id: &str,
    name: &str,
    actor: &Actor,
) -> Result<Store, ChangeError> {
    // Both fields' problems at once, as a form shows them.
    let mut invalid = Vec::new();
    if let Err(e) = kept_shared::validate::validate_ref("id", id) {
        invalid.push(FieldError::new("id", FieldProblem::of_reference(e)));
    }
    let name = validate_store_name(name);
    if let Err(problem) = &name {
        invalid.push(FieldError::new("name", problem.clone()));
    }
    let (Ok(name), true) = (name, invalid.is_empty()) else {
        return Err(ChangeError::Invalid(invalid));
    };
    let store = Store {
        id: id.to_string(),
        name,
    };
    if !db.put_store(&shop.id, store.clone(), MAX_STORES).await? {
        return Err(ChangeError::field(
            "id",
            FieldProblem::AtMost {
                max: MAX_STORES as u64,
                unit: Unit::Stores,
            },
        ));
    }
    audit(
        db,
        &shop.id,
        actor,
        crate::audit_words::STORE_SAVED.en,
        format!("{}: {}", store.id, store.name),
    )
    .await?;
    Ok(store)
}

/// Sets the kiosk PIN, or removes it (`None`). Tablets set up before keep
/// working; leaving one still takes the PIN it was set up with.
pub async fn set_pin(
    db: &dyn Database,
    shop: &Shop,
    pin: Option<&str>,
    actor: &Actor,
) -> Result<(), ChangeError> {
    if let Some(pin) = pin {
        validate_pin(pin).map_err(|e| ChangeError::field("pin", e))?;
    }
    db.set_kiosk_pin(&shop.id, pin.map(|p| pin_hash(&shop.id, p)))
        .await?;
    let what = if pin.is_some() {
        crate::audit_words::PIN_SET
    } else {
        crate::audit_words::PIN_REMOVED
    }
    .en;
    audit(db, &shop.id, actor, what, String::new()).await?;
    Ok(())
}

/// Removes a tablet (a lost or stolen one, one given to another store): its
/// reports are refused, and the kiosk app, told so, asks for the PIN before
/// it takes the next respondent. Setting it up again with the PIN takes it back.
/// The answers it queued are still taken (nothing is lost; they were the
/// shop's customers').
pub async fn remove_device(
    db: &dyn Database,
    shop: &Shop,
    device: &str,
    actor: &Actor,
) -> Result<(), DbError> {
    db.set_device_removed(&shop.id, device, true).await?;
    audit(
        db,
        &shop.id,
        actor,
        crate::audit_words::TABLET_REMOVED.en,
        device.to_string(),
    )
    .await
}

/// The hours after which a tablet that has not synced is flagged: the owner's
/// choice within bounds, else the default.
pub fn stale_hours(asked: Option<u32>) -> Result<u32, String> {
    match asked {
        None => Ok(DEFAULT_DEVICE_STALE_HOURS),
        Some(h) if (1..=MAX_DEVICE_STALE_HOURS).contains(&h) => Ok(h),
        Some(_) => Err(format!(
            "stale_after_hours must be 1 to {MAX_DEVICE_STALE_HOURS}"
        )),
    }
}

pub async fn devices(
    db: &dyn Database,
    shop: &Shop,
    stale_after_hours: u32,
) -> Result<Devices, DbError> {
    let now = Utc::now();
    let mut devices: Vec<_> = db
        .devices(&shop.id)
        .await?
        .into_iter()
        .map(|d| device_view(d, stale_after_hours, now))
        .collect();
    // The ones to look at first, then the most recently seen.
    devices.sort_by(|a, b| {
        b.stale
            .cmp(&a.stale)
            .then(b.last_seen_at.cmp(&a.last_seen_at))
    });
    Ok(Devices {
        stale_after_hours,
        devices,
    })
}
