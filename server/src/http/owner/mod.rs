//! The shop owner's API, behind the owner token: reports, the retention
//! analytics, the customer base, answers and the inbox, imports and exports.

mod analytics;
mod answers;
mod customers;
mod import;
mod kiosks;
mod report;
mod settings;
mod webhooks;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Router, middleware};
use chrono::NaiveDate;
use kept_shared::Period;
use serde::Deserialize;

use super::auth::require_token;
use super::error::Failure;
use crate::calendar::today;
use crate::db::{Db, Shop};
use crate::owner::analytics_range;
use crate::tokens::TokenKind;

pub fn router(db: Db) -> Router<Db> {
    Router::new()
        .route("/{shop_id}/report", get(report::owner_report))
        .route("/{shop_id}/analytics/retention", get(analytics::retention))
        .route("/{shop_id}/analytics/cohorts", get(analytics::cohorts))
        .route("/{shop_id}/analytics/rfm", get(analytics::rfm))
        .route(
            "/{shop_id}/analytics/satisfaction",
            get(analytics::satisfaction),
        )
        .route("/{shop_id}/analytics/funnel", get(analytics::funnel))
        .route("/{shop_id}/analytics/loyalty", get(analytics::loyalty))
        .route("/{shop_id}/win-back", get(analytics::win_back))
        .route("/{shop_id}/win-back.csv", get(analytics::win_back_csv))
        .route("/{shop_id}/customers", get(customers::list))
        .route("/{shop_id}/customers.csv", get(customers::export))
        .route(
            "/{shop_id}/customers/{customer_ref}",
            get(customers::detail).delete(customers::erase),
        )
        .route(
            "/{shop_id}/customers/{customer_ref}/export",
            get(customers::export_one).layer(middleware::from_fn(takes_no_query)),
        )
        .route("/{shop_id}/answers", get(answers::list))
        .route("/{shop_id}/answers.csv", get(answers::export))
        .route("/{shop_id}/inbox", get(answers::inbox))
        .route("/{shop_id}/inbox/{answer_id}", patch(answers::follow_up))
        .route(
            "/{shop_id}/settings",
            get(settings::show)
                .put(settings::update)
                .layer(middleware::from_fn(takes_no_query)),
        )
        .route(
            "/{shop_id}/surveys",
            get(settings::surveys).layer(middleware::from_fn(takes_no_query)),
        )
        .route("/{shop_id}/surveys/{survey_id}", put(settings::put_survey))
        .route("/{shop_id}/keys/{kind}", post(settings::rotate))
        .route(
            "/{shop_id}/audit",
            get(settings::audit).layer(middleware::from_fn(takes_no_query)),
        )
        .route(
            "/{shop_id}/webhooks",
            get(webhooks::list)
                .post(webhooks::create)
                .layer(middleware::from_fn(takes_no_query)),
        )
        .route("/{shop_id}/webhooks/{id}", delete(webhooks::remove))
        .route(
            "/{shop_id}/webhooks/{id}/deliveries",
            get(webhooks::deliveries).layer(middleware::from_fn(takes_no_query)),
        )
        .route(
            "/{shop_id}/stores",
            get(kiosks::stores).layer(middleware::from_fn(takes_no_query)),
        )
        .route("/{shop_id}/stores/{store_id}", put(kiosks::put_store))
        .route("/{shop_id}/kiosk-pin", put(kiosks::set_pin))
        .route("/{shop_id}/devices", get(kiosks::devices))
        .route("/{shop_id}/devices/{device}", delete(kiosks::remove_device))
        .route("/{shop_id}/links.csv", post(kiosks::bulk_links))
        .route(
            "/{shop_id}/import",
            // Its body limit: `http/request_limits.rs`.
            post(import::import),
        )
        .route_layer(middleware::from_fn_with_state(
            (db, TokenKind::Owner),
            require_token,
        ))
}

/// For the owner's routes that take no query: a parameter given to one is a
/// 400 naming it (`audit?limit=2` would otherwise answer with everything, as
/// if the limit held), as a misspelt one is on the routes that take some.
async fn takes_no_query(request: Request, next: Next) -> Response {
    match request.uri().query().filter(|q| !q.is_empty()) {
        Some(query) => {
            let name = query.split('&').next().unwrap_or(query);
            let name = name.split('=').next().unwrap_or(name);
            Failure::bad_request(format!(
                "this route takes no query parameters; it was given {name:?}"
            ))
            .into_response()
        }
        None => next.run(request).await,
    }
}

/// The range (and period, and store) of an analytics view, as the query gives it.
#[derive(Debug, Default, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub period: Option<Period>,
    pub store: Option<String>,
    /// `true`: only verified answers count (where answers are counted).
    #[serde(default)]
    pub verified: bool,
}

impl RangeQuery {
    /// The range checked, defaulting to the last twelve months in the shop's days.
    pub fn range(&self, shop: &Shop) -> Result<(NaiveDate, NaiveDate), Failure> {
        analytics_range(self.from, self.to, today(shop.time_zone)).map_err(Failure::bad_request)
    }

    pub fn store(&self) -> Result<Option<String>, Failure> {
        match self
            .store
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(s) => kept_shared::validate::validate_ref("store", s)
                .map(|_| Some(s.to_string()))
                .map_err(Failure::from),
        }
    }
}

/// Most items one page of a list may hold.
pub const MAX_PAGE: u64 = 500;
/// Items in a page when the query names no limit.
pub const DEFAULT_PAGE: u64 = 50;

/// A list's search words (`q`), checked: text of at most `max` characters,
/// without control characters. What percent-decoding could not read as UTF-8
/// arrives as U+FFFD and is refused too, rather than searched for.
pub fn search(q: Option<String>, max: usize) -> Result<Option<String>, Failure> {
    let Some(q) = q else { return Ok(None) };
    if q.chars().count() > max {
        return Err(Failure::bad_request(format!(
            "the search is too long: at most {max} characters"
        )));
    }
    if q.chars()
        .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
    {
        return Err(Failure::bad_request(
            "the search holds control characters or bytes that are not UTF-8 text",
        ));
    }
    Ok(Some(q))
}

/// `offset` and `limit` of a list, bounded.
pub fn paging(offset: Option<u64>, limit: Option<u64>) -> Result<(u64, u64), Failure> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Failure::bad_request(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    Ok((offset.unwrap_or(0), limit))
}

/// The paging of a list whose export is asked for: none (an export has every
/// row; an `offset` or a `limit` had been taken and done nothing).
pub fn unpaged(offset: Option<u64>, limit: Option<u64>) -> Result<(u64, u64), Failure> {
    if offset.is_some() || limit.is_some() {
        return Err(Failure::bad_request(
            "an export has every row the filters give: offset and limit page the list, not its export; leave them out",
        ));
    }
    Ok((0, 0))
}
