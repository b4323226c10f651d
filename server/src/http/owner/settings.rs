//! The shop's settings, surveys and keys, changed through the owner API, checked
//! by the shared rules and written to the audit log.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Extension, Json};
use kept_shared::{AuditEntry, ErrorCode, RotatedSecret, ShopSettings, ShopView, SurveyDefinition};

use crate::audit_words as W;
use crate::db::{Db, Shop};
use crate::http::error::{ApiResult, Failure};
use crate::owner::settings::{self, Actor, ChangeError};

/// Most entries of the audit log one request returns.
const AUDIT_PAGE: u64 = 200;

/// "owner API", with the client's address where known.
pub fn api_actor(parts: &Parts) -> Actor {
    match parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>() {
        Some(ConnectInfo(addr)) => {
            Actor(format!("{} {} {}", W::OWNER_API.en, W::FROM.en, addr.ip()))
        }
        None => Actor(W::OWNER_API.en.into()),
    }
}

impl From<ChangeError> for Failure {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Invalid(fields) => {
                let mut f = Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::Invalid,
                    fields
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                f.1.fields = fields;
                f
            }
            ChangeError::Store(e) => e.into(),
        }
    }
}

pub async fn show(State(db): State<Db>, Extension(shop): Extension<Shop>) -> ApiResult<ShopView> {
    Ok(Json(settings::view(db.as_ref(), &shop).await?))
}

pub async fn update(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    parts: Parts,
    body: Result<Json<ShopSettings>, JsonRejection>,
) -> ApiResult<ShopView> {
    let Json(new) = body?;
    settings::update_settings(db.as_ref(), &shop, new, &api_actor(&parts)).await?;
    let shop = db
        .shop(&shop.id)
        .await?
        .ok_or_else(|| Failure::not_found("the shop is gone"))?;
    Ok(Json(settings::view(db.as_ref(), &shop).await?))
}

pub async fn surveys(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
) -> ApiResult<Vec<SurveyDefinition>> {
    Ok(Json(settings::surveys(db.as_ref(), &shop).await?))
}

pub async fn put_survey(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: Parts,
    body: Result<Json<SurveyDefinition>, JsonRejection>,
) -> ApiResult<SurveyDefinition> {
    let Path((_, survey_id)) = path?;
    let Json(definition) = body?;
    if definition.survey.id != survey_id {
        return Err(Failure::bad_request(format!(
            "the survey in the body is {:?}, the path names {survey_id:?}",
            definition.survey.id
        )));
    }
    settings::put_survey(db.as_ref(), &shop, definition.clone(), &api_actor(&parts)).await?;
    Ok(Json(definition))
}

pub async fn rotate(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    path: Result<Path<(String, String)>, PathRejection>,
    parts: Parts,
) -> ApiResult<RotatedSecret> {
    let Path((_, kind)) = path?;
    let Some(kind) = settings::Secret::from_path(&kind) else {
        return Err(Failure::not_found(format!(
            "no key is called {kind:?}: back-office, owner or widget"
        )));
    };
    Ok(Json(
        settings::rotate(db.as_ref(), &shop, kind, &api_actor(&parts)).await?,
    ))
}

pub async fn audit(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
) -> ApiResult<Vec<AuditEntry>> {
    Ok(Json(
        settings::audit_log(db.as_ref(), &shop, AUDIT_PAGE).await?,
    ))
}
