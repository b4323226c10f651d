//! What only a browser has: local storage, fetch, randomness, the clock.

use std::time::Duration;

use kept_shared::ApiError;
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
            .map_err(|e| StorageError(format!("{e:?}")))
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

/// The text of a thrown JS value: an Error's "Name: message", a string, or its debug form.
fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!(
            "{}: {}",
            String::from(err.name()),
            String::from(err.message())
        );
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
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

    let resp: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
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
