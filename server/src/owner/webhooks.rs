//! The owner's webhook endpoints: register (the secret shown once), list,
//! remove, and read each one's delivery log.

use chrono::Utc;
use kept_shared::settings::is_control_or_override;
use kept_shared::webhooks::{Delivery, MAX_WEBHOOK_URL_CHARS, MAX_WEBHOOKS, NewWebhook, Webhook};
use kept_shared::{FieldError, FieldProblem, Unit};
use rand::RngCore;

use super::settings::{Actor, ChangeError, audit};
use crate::db::{Database, DbError, Shop, WebhookRecord};
use crate::outbound::Receivers;
use crate::webhooks::generate_secret;

/// Deliveries the log shows, newest first.
pub const DELIVERY_LOG: u32 = 50;

fn view(w: WebhookRecord, with_secret: bool) -> Webhook {
    Webhook {
        id: w.id,
        url: w.url,
        events: w.events,
        created_at: w.created_at,
        secret: with_secret.then_some(w.secret),
    }
}

/// Checks `new` as the rules say: an absolute http(s) URL with a host, at most
/// [`MAX_WEBHOOK_URL_CHARS`], not written as a private address unless the
/// server may call those; at least one event.
fn check(new: &NewWebhook, receivers: Receivers) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let field = FieldError::new;
    // The address as typed is the one listed and called: no spaces, control
    // or bidirectional-override characters (the parser would drop or encode
    // them, and the list show them as typed), and a real port.
    let typed = &new.url;
    let plain = !typed
        .chars()
        .any(|c| c.is_whitespace() || is_control_or_override(c));
    let scheme_typed = ["http://", "https://"].iter().any(|s| {
        typed
            .get(..s.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(s))
    });
    let url = reqwest::Url::parse(typed).ok().filter(|u| {
        plain
            && scheme_typed
            && typed.chars().count() <= MAX_WEBHOOK_URL_CHARS
            && matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.port() != Some(0)
    });
    // A user or password would be sent with every delivery, and shown in the
    // dashboard: the parser's word, and an empty pair (`https://:@host/`,
    // which it drops) by the `@` before the host.
    let authority = typed.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '\\', '?', '#']).next().unwrap_or("")
    });
    let credentials = |u: &reqwest::Url| {
        !u.username().is_empty() || u.password().is_some() || authority.contains('@')
    };
    match url {
        None if typed.trim().is_empty() => errors.push(field("url", FieldProblem::Empty)),
        None => errors.push(field(
            "url",
            FieldProblem::NotAWebAddress {
                max: MAX_WEBHOOK_URL_CHARS as u64,
            },
        )),
        Some(u) if credentials(&u) => errors.push(field("url", FieldProblem::CredentialsInAddress)),
        Some(u) => {
            if let Some(refused) = receivers.refusal(&u) {
                errors.push(field(
                    "url",
                    FieldProblem::PrivateAddress { host: refused.0 },
                ));
            } else if u.scheme() != "https" && !receivers.plain_http_allowed(&u) {
                errors.push(field("url", FieldProblem::NotHttps));
            }
        }
    }
    if new.events.is_empty() {
        errors.push(field("events", FieldProblem::NoEvents));
    }
    errors
}

pub async fn create(
    db: &dyn Database,
    shop: &Shop,
    new: NewWebhook,
    receivers: Receivers,
    actor: &Actor,
) -> Result<Webhook, ChangeError> {
    let errors = check(&new, receivers);
    if !errors.is_empty() {
        return Err(ChangeError::Invalid(errors));
    }
    let mut id = [0u8; 8];
    rand::rng().fill_bytes(&mut id);
    let mut events = new.events;
    events.sort();
    events.dedup();
    let record = WebhookRecord {
        id: format!("wh_{}", hex::encode(id)),
        url: new.url,
        events,
        secret: generate_secret(),
        created_at: Utc::now(),
    };
    if !db
        .create_webhook(&shop.id, record.clone(), MAX_WEBHOOKS)
        .await?
    {
        return Err(ChangeError::field(
            "url",
            FieldProblem::AtMost {
                max: MAX_WEBHOOKS as u64,
                unit: Unit::Webhooks,
            },
        ));
    }
    audit(
        db,
        &shop.id,
        actor,
        crate::audit_words::WEBHOOK_ADDED.en,
        record.url.clone(),
    )
    .await?;
    Ok(view(record, true))
}

pub async fn list(db: &dyn Database, shop: &Shop) -> Result<Vec<Webhook>, DbError> {
    Ok(db
        .webhooks(&shop.id)
        .await?
        .into_iter()
        .map(|w| view(w, false))
        .collect())
}

pub async fn remove(
    db: &dyn Database,
    shop: &Shop,
    id: &str,
    actor: &Actor,
) -> Result<(), DbError> {
    let url = db
        .webhooks(&shop.id)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .map(|w| w.url)
        .ok_or_else(|| DbError::NotFound(format!("the shop has no webhook {id:?}")))?;
    db.delete_webhook(&shop.id, id).await?;
    audit(
        db,
        &shop.id,
        actor,
        crate::audit_words::WEBHOOK_REMOVED.en,
        url,
    )
    .await
}

pub async fn deliveries(
    db: &dyn Database,
    shop: &Shop,
    id: &str,
) -> Result<Vec<Delivery>, DbError> {
    if !db.webhooks(&shop.id).await?.iter().any(|w| w.id == id) {
        return Err(DbError::NotFound(format!("the shop has no webhook {id:?}")));
    }
    db.deliveries(&shop.id, id, DELIVERY_LOG).await
}
