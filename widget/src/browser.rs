//! What only a browser has: local storage, fetch, randomness, the clock.

use std::cell::Cell;
use std::time::Duration;

use kept_shared::{ApiError, ErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, RequestMode, Response};

use crate::queue::{KeyValueStore, StorageError};

/// Longest a request to the API may take before it counts as failed.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// The browser's local storage, if this page may use it (private modes and
/// sandboxed frames may not).
pub struct LocalStore(web_sys::Storage);

impl LocalStore {
    pub fn open() -> Option<LocalStore> {
        // gloo's handle throws where storage is forbidden; ask the window first.
        web_sys::window()?.local_storage().ok()??;
        Some(LocalStore(
            <gloo_storage::LocalStorage as gloo_storage::Storage>::raw(),
        ))
    }
}

impl KeyValueStore for LocalStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0.get_item(key).ok().flatten()
    }

    fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.0
            .set_item(key, value)
            .map_err(|e| StorageError(js_message(&e)))
    }

    fn remove(&self, key: &str) {
        let _ = self.0.remove_item(key);
    }

    fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        let len = self.0.length().unwrap_or(0);
        (0..len)
            .filter_map(|i| self.0.key(i).ok().flatten())
            .filter(|k| k.starts_with(prefix))
            .collect()
    }
}

/// A random v4 UUID from the browser's CSPRNG (works on plain http pages too).
pub fn random_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    let crypto = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .expect("window.crypto");
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .expect("crypto.getRandomValues");
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("[kept] {message}")));
}

pub fn error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(&format!("[kept] {message}")));
}

/// The text of a thrown JS value, for people: an Error's "Name: message", a
/// string, or the value as JSON. Never Rust's debug
/// form (`JsValue(TypeError: …)`): that is noise in a shop's console.
pub fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!(
            "{}: {}",
            String::from(err.name()),
            String::from(err.message())
        );
    }
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok()?.as_string())
        .unwrap_or_else(|| "an unknown error".to_string())
}

thread_local! {
    /// Whether this page already said that the Kept server cannot be reached.
    static TOLD_UNREACHABLE: Cell<bool> = const { Cell::new(false) };
}

/// Says, once per page, that the server at `api` cannot be reached (the widget
/// retries quietly after that; answers wait in the queue meanwhile).
pub fn warn_unreachable(api: &str, error: &str) {
    if TOLD_UNREACHABLE.replace(true) {
        return;
    }
    let offline = web_sys::window().is_some_and(|w| !w.navigator().on_line());
    let why = if offline {
        "offline".to_string()
    } else if error.contains("AbortError") {
        format!("no answer within {} s", FETCH_TIMEOUT.as_secs())
    } else {
        format!(
            "{error} (the server or the network is down, or the server does not allow this page's origin)"
        )
    };
    warn(&format!(
        "could not reach {api}: {why}; answers are kept and sent later"
    ));
}

/// Why a request to the API failed.
#[derive(Debug)]
pub enum FetchError {
    /// No answer: offline, server down, CORS refused, or timed out. Worth retrying.
    Network(String),
    /// The server answered with an error status.
    Status(u16, Option<ApiError>),
    /// The answer was not what the API promises.
    Decode(String),
}

impl FetchError {
    /// An answer that no retry will change: the key is unknown, the page's origin
    /// is not allowed, the request is malformed. The snippet or the shop's settings
    /// are wrong (timeouts and rate limits are not that: 408 and 429 are retried).
    pub fn is_config_error(&self) -> bool {
        matches!(self, FetchError::Status(s, _) if (400..500).contains(s) && *s != 408 && *s != 429)
    }

    /// The server refused this shop's widget altogether (unknown key, origin not allowed).
    pub fn refuses_the_widget(&self) -> bool {
        matches!(
            self,
            FetchError::Status(
                _,
                Some(ApiError {
                    code: ErrorCode::UnknownKey | ErrorCode::OriginNotAllowed,
                    ..
                })
            )
        )
    }

    /// The server's own sentence when it gave one, else what happened.
    pub fn message(&self) -> String {
        match self {
            FetchError::Status(_, Some(e)) => e.message.clone(),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Network(e) => write!(f, "network: {e}"),
            FetchError::Status(s, Some(e)) => write!(f, "HTTP {s}: {}", e.message),
            FetchError::Status(s, None) => write!(f, "HTTP {s}"),
            FetchError::Decode(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

/// Posts `body` as JSON and forgets it: the request outlives the page
/// (`keepalive`), and nothing is retried (counts for the owner's funnel, where a
/// lost one costs nothing).
pub fn post_and_forget<B: Serialize>(url: &str, body: &B) {
    let (Some(window), Ok(body)) = (web_sys::window(), serde_json::to_string(body)) else {
        return;
    };
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_mode(RequestMode::Cors);
    // web-sys has no setter for it; the dictionary takes it as a plain property.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("content-type", "application/json");
        init.set_headers(&headers);
    }
    init.set_body(&JsValue::from_str(&body));
    // The promise is dropped: a failure is not worth a console line.
    let _ = window.fetch_with_str_and_init(url, &init);
}

pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
    fetch_json("GET", url, None).await
}

pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, FetchError> {
    let body = serde_json::to_string(body).map_err(|e| FetchError::Decode(e.to_string()))?;
    fetch_json("POST", url, Some(body)).await
}

async fn fetch_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<T, FetchError> {
    let window = web_sys::window().ok_or_else(|| FetchError::Network("no window".into()))?;
    let network = |e: JsValue| FetchError::Network(js_message(&e));
    let controller = AbortController::new().map_err(network)?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_mode(RequestMode::Cors);
    init.set_signal(Some(&controller.signal()));
    if let Some(body) = body {
        let headers = web_sys::Headers::new().map_err(network)?;
        headers
            .set("content-type", "application/json")
            .map_err(network)?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&body));
    }
    // Abort when the timeout passes; dropping the timer (on completion) cancels it.
    let abort = controller.clone();
    let _timeout =
        gloo_timers::callback::Timeout::new(FETCH_TIMEOUT.as_millis() as u32, move || {
            abort.abort()
        });
    read_json(window.fetch_with_str_and_init(url, &init)).await
}

/// The JSON answer of a `fetch` already started: by [`fetch_json`], or by
/// `kept.js`, which asks for the surveys while the wasm downloads.
pub async fn read_json<T: DeserializeOwned>(response: js_sys::Promise) -> Result<T, FetchError> {
    let network = |e: JsValue| FetchError::Network(js_message(&e));
    let resp: Response = JsFuture::from(response)
        .await
        .map_err(network)?
        .unchecked_into();
    let text = JsFuture::from(resp.text().map_err(network)?)
        .await
        .map_err(network)?
        .as_string()
        .unwrap_or_default();
    if !resp.ok() {
        return Err(FetchError::Status(
            resp.status(),
            serde_json::from_str(&text).ok(),
        ));
    }
    serde_json::from_str(&text).map_err(|e| FetchError::Decode(e.to_string()))
}
