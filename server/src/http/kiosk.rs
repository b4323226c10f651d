//! The kiosk tablets' routes, under the widget's (by the shop's public key): a
//! tablet's setup with the owner's PIN, and its reports while online.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use kept_shared::kiosk::{validate_pin, validate_version};
use kept_shared::validate::{ValidationError, validate_ref, validate_signature};
use kept_shared::{
    DeviceReport, ErrorCode, KioskRespondent, KioskSetup, KioskSetupRequest, KioskSurveyChoice,
};

use super::error::Failure;
use super::throttle::too_many_requests;
use crate::db::{Db, DeviceRecord, Shop};
use crate::kiosk::pin_matches;
use crate::links::{LinkError, Standing, resolve};
use crate::rate_limit::Buckets;
use crate::signatures::{self, Signed, sign};

/// The shops' buckets of PIN attempts (`kiosk::PIN_ATTEMPTS`).
#[derive(Debug, Clone)]
pub struct PinAttempts(pub Arc<Buckets>);

fn wrong(message: &str) -> Failure {
    Failure::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
}

/// `POST /api/v1/widget/{public_key}/kiosk`: the owner's PIN sets a tablet up;
/// the answer lists what it may be set up with and signs its device id.
pub async fn setup(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Extension(attempts): Extension<PinAttempts>,
    body: Result<Json<KioskSetupRequest>, JsonRejection>,
) -> Result<Response, Failure> {
    let Json(req) = body?;
    if let Err(wait) = attempts.0.spend(&shop.id, Instant::now()) {
        return Ok(too_many_requests(wait));
    }
    validate_ref("device", &req.device)?;
    let Some(stored) = db.kiosk_pin(&shop.id).await? else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "the shop has no kiosk PIN: the owner sets one in the dashboard (Stores & kiosks)",
        ));
    };
    if validate_pin(&req.pin).is_err() || !pin_matches(&shop.id, &req.pin, &stored) {
        return Err(wrong("wrong PIN"));
    }
    // Set up again with the PIN: a tablet the owner removed is taken back.
    db.set_device_removed(&shop.id, &req.device, false).await?;
    let stores = db.stores(&shop.id).await?;
    let surveys = db
        .surveys(&shop.id, true)
        .await?
        .into_iter()
        .map(|r| {
            let s = r.survey;
            let title = s
                .texts_for(req.locale.as_deref().unwrap_or("en"))
                .map(|t| t.question.clone())
                .unwrap_or_else(|| s.id.clone());
            let titles = s
                .texts
                .iter()
                .map(|(locale, t)| (locale.clone(), t.question.clone()))
                .collect();
            KioskSurveyChoice {
                kind: s.kind.name().to_string(),
                id: s.id,
                title,
                titles,
            }
        })
        .collect();
    Ok(Json(KioskSetup {
        device_sig: sign(&shop.widget_secret, Signed::Device, &req.device),
        stores,
        surveys,
    })
    .into_response())
}

/// `POST /api/v1/widget/{public_key}/devices/{device}`: a tablet's report.
pub async fn report(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Path((_, device)): Path<(String, String)>,
    body: Result<Json<DeviceReport>, JsonRejection>,
) -> Result<StatusCode, Failure> {
    let Json(r) = body?;
    validate_ref("device", &device)?;
    validate_signature("sig", &r.sig)?;
    if !signatures::verify(&shop.widget_secret, Signed::Device, &device, &r.sig) {
        return Err(wrong(
            "this device is not set up for the shop: set it up again with the kiosk PIN",
        ));
    }
    validate_version(&r.version).map_err(Failure::bad_request)?;
    if let Some(store) = &r.store
        && !db.stores(&shop.id).await?.iter().any(|s| &s.id == store)
    {
        return Err(ValidationError::UnknownStore {
            store: store.clone(),
        }
        .into());
    }
    let now = Utc::now();
    // The tablet's clock may be off: a sync time in the future counts as now.
    let last_sync = r
        .last_sync_ms
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.min(now));
    // With nothing waiting, the queue is sent as of this report.
    let synced_at = if r.pending == 0 { Some(now) } else { last_sync };
    let recorded = db
        .record_device(
            &shop.id,
            DeviceRecord {
                id: device,
                store: r.store,
                version: r.version,
                pending: r.pending,
                synced_at,
                last_seen_at: now,
            },
        )
        .await?;
    if !recorded {
        return Err(wrong(
            "the shop's owner removed this tablet: set it up again with the kiosk PIN",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/widget/{public_key}/links/{token}`: the respondent of a receipt's
/// personal link, scanned at this shop's kiosk: their references signed, and
/// whether the link's survey is answered for the order already. Another shop's
/// link is not one here (404); an expired one, or one whose survey is no longer
/// asked, is gone (410).
pub async fn respondent(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    Path((_, token)): Path<(String, String)>,
) -> Result<Json<KioskRespondent>, Failure> {
    let gone = |message: String| Failure::new(StatusCode::GONE, ErrorCode::NotFound, message);
    let resolved = match resolve(db.as_ref(), &token, Some(&shop.id)).await? {
        Ok(resolved) => resolved,
        Err(LinkError::Invalid) => {
            return Err(Failure::not_found(
                "this code is not one of the shop's survey links",
            ));
        }
        Err(LinkError::Expired(at)) => return Err(gone(format!("the link expired at {at}"))),
    };
    if resolved.standing == Standing::Closed {
        return Err(gone("the link's survey is no longer asked".into()));
    }
    let (customer_sig, order_sig) = resolved.signatures();
    let link = resolved.link;
    Ok(Json(KioskRespondent {
        customer_sig,
        order_sig,
        survey: link.survey,
        customer: link.customer,
        order: link.order,
        answered: resolved.standing == Standing::Answered,
    }))
}
