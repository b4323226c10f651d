//! `kept.js?key=pk_…`: the shop's loader (`kept-shop.js`, built from
//! `widget/loader/shop.js`) with the shop's rules written into it.
//!
//! Every page of a shop runs the loader, and the loader decides with the
//! shop's rules (`shared/targeting.md`). Asked for by the generic `kept.js`,
//! the rules are a second request after the script: one more round trip before
//! a survey can show, one more response's headers, and the page's first
//! `fetch`, which costs a slow phone milliseconds. Served here, the loader
//! carries the rules a visitor the server knows nothing of gets (no customer,
//! no signed order: `plan::display_plan`, as `DecisionRules`), so a page with
//! nothing due costs one response, as analytics snippets do
//! (`…/c/hotjar-<site>.js`). It is a loader of its own, holding only what
//! such a visitor's page needs (the queue's check, the decision, the second
//! half loaded when something is due): a page that asks for more (names a
//! customer or a survey; a kiosk, a personal link, a preview) is handed over
//! to the whole loader, a content-hashed file cached for a year, which costs
//! the browser's first such page one request more.
//!
//! Whatever stands in the way (an unknown key, the widget's rate limits, the
//! store not answering, a page on an origin the shop did not list) serves the
//! generic `kept.js` instead: a script that fails to load says nothing, while
//! the generic loader asks for the plan and says in the server's words what is
//! wrong. With the rules, a page on an origin the API refuses would decide a
//! survey due and download the whole widget before the refusal of its texts;
//! the generic loader downloads nothing past the plan's refusal. The page's
//! origin is the request's `Referer` (browsers send at least the origin of a
//! cross-origin page by default, but none from an https page to an http Kept,
//! nor under a `no-referrer` policy); without one the rules are served, and
//! the API still refuses the texts. Both answers are right for any page (the
//! generic one costs a request more), so a cache that keeps one for another
//! page does no harm and no `Vary: Referer` splits the cache.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use kept_shared::DecisionRules;

use super::throttle::Throttle;
use crate::db::{Db, DbError};
use crate::plan::{PlanRequest, display_plan};

/// The built file the rules are written into: the loader of a page whose
/// visitor the server knows nothing of, which hands any other page over to
/// the whole loader (the one the generic `kept.js` runs).
pub const TEMPLATE: &str = "kept-shop.js";

/// What `scripts/build-widget.sh` leaves in [`TEMPLATE`] for the server to
/// fill: a string literal, which the loader reads as "no rules here".
pub const RULES_SLOT: &str = "\"__KEPT_SHOP__\"";

/// How long a browser may run the loader with its rules before asking again
/// (as long as a plan), and how long after that it may still run it once while
/// it asks (`stale-while-revalidate`: the page does not wait for the answer).
/// No longer than the generic `kept.js` is cached: a loader names the widget's
/// content-hashed files, and a new build replaces them.
pub const MAX_AGE_SECONDS: u32 = 60;
pub const STALE_SECONDS: u32 = super::widget_files::LOADER_MAX_AGE_SECONDS;

pub struct ShopLoader {
    pub db: Db,
    pub throttle: Arc<Throttle>,
    /// The built [`TEMPLATE`].
    pub loader: PathBuf,
}

/// In front of the widget's files: `GET /kept.js?key=…` with the shop's
/// rules, anything else as the files are.
pub async fn with_rules(State(s): State<Arc<ShopLoader>>, req: Request, next: Next) -> Response {
    let key = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/kept.js") => {
            let keys: Vec<String> =
                url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                    .filter(|(name, _)| name == "key")
                    .map(|(_, key)| key.into_owned())
                    .collect();
            match keys.as_slice() {
                [key] => Some(key.clone()),
                [] => None,
                // Which shop it names is not for the server to guess: the
                // generic file, asked for again next time (it had been cached
                // for minutes, as the plain `kept.js` is).
                _ => return generic(req, next).await,
            }
        }
        _ => None,
    };
    let Some(key) = key else {
        return next.run(req).await;
    };
    if s.throttle.spend_widget(&req, &key).is_err() {
        return generic(req, next).await;
    }
    match s.loader_for(&key, req.headers()).await {
        Ok(Some(body)) => super::cacheable::respond(
            req.headers(),
            body,
            // ASCII (`ascii_only`): no charset needed.
            "text/javascript",
            format!("max-age={MAX_AGE_SECONDS}, stale-while-revalidate={STALE_SECONDS}"),
        ),
        Ok(None) => generic(req, next).await,
        Err(e) => {
            tracing::warn!("kept.js?key={key}: served without the shop's rules: {e}");
            generic(req, next).await
        }
    }
}

/// The generic loader under a URL that names a shop: asked for again on the
/// next page, so that neither the browser nor a CDN keeps it in place of the
/// shop's (a limit passes, a store answers again).
async fn generic(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

impl ShopLoader {
    /// The loader with the rules of the shop whose public key is `key`; `None`
    /// when no shop has it, the page asking is on an origin the shop's API
    /// refuses, or the built loader has no slot for them.
    async fn loader_for(&self, key: &str, headers: &HeaderMap) -> Result<Option<Vec<u8>>, DbError> {
        let Some(shop) = super::widget::shop_of_key(self.db.as_ref(), key).await? else {
            return Ok(None);
        };
        if let Some(page) = page_origin(headers)
            && !super::widget::origin_allowed(&shop, &page, headers)
        {
            return Ok(None);
        }
        // Read each time, as the generic file is served: a rebuilt widget
        // (new hashed names) is never paired with an old loader.
        let loader = match tokio::fs::read_to_string(&self.loader).await {
            Ok(text) if text.contains(RULES_SLOT) => text,
            _ => return Ok(None),
        };
        let plan = display_plan(self.db.as_ref(), &shop, &PlanRequest::default())
            .await?
            .plan;
        let rules = DecisionRules::from(&plan);
        let shop_rules = serde_json::json!({ "key": key, "rules": rules }).to_string();
        Ok(Some(
            loader
                .replacen(RULES_SLOT, &ascii_only(&shop_rules), 1)
                .into_bytes(),
        ))
    }
}

/// The origin of the page that asks for the loader, from its `Referer`: `None`
/// without one, or with one that names no origin to check (`file:`, opaque).
fn page_origin(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let origin = url::Url::parse(referer).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// `json` with every character past ASCII written as a `\u` escape (they can
/// only be inside its strings). The loader is then ASCII whatever the shop's
/// rules say: a page in another encoding reads it right, and no line
/// terminator (U+2028, which older engines refuse in a string literal) is left.
fn ascii_only(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_are_written_in_ascii() {
        let json = serde_json::json!({ "path": "/café/\u{2028}/🛒" }).to_string();
        let ascii = ascii_only(&json);
        assert!(ascii.is_ascii(), "{ascii}");
        assert_eq!(ascii, r#"{"path":"/caf\u00e9/\u2028/\ud83d\uded2"}"#);
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(back.to_string(), json);
    }
}
