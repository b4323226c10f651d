//! What only a browser has: local storage, fetch, timers, randomness, the clock,
//! the console.

use std::cell::Cell;

use kept_shared::UnixMillis;
use kept_shared::json::{FromJson, Json};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, RequestInit, Response};

use crate::queue::{KeyValueStore, StorageError};

/// Longest a request to the API may take before it counts as failed (the loader
/// waits as long for the plan).
pub const FETCH_TIMEOUT_MS: i32 = 15_000;

#[wasm_bindgen]
extern "C" {
    /// The page's `window`, imported by name: `web_sys::window()` looks for the
    /// global object four ways, which costs the widget's download for nothing
    /// (the widget only runs in a page).
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: web_sys::Window;
}

pub fn window() -> web_sys::Window {
    WINDOW.with(web_sys::Window::clone)
}

/// The browser's local storage, if this page may use it (private modes and
/// sandboxed frames may not).
pub struct LocalStore(web_sys::Storage);

impl LocalStore {
    pub fn open() -> Option<LocalStore> {
        window().local_storage().ok()?.map(LocalStore)
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
    if let Ok(crypto) = window().crypto() {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A timestamp (RFC 3339) as the visitor's clock and language write a date
/// and time: the browser's, which knows their time zone.
pub fn local_time(timestamp: &str, locale: &str) -> String {
    js_sys::Date::new(&JsValue::from_str(timestamp))
        .to_locale_string(locale, &JsValue::UNDEFINED)
        .into()
}

/// Now, to the millisecond (what an answer records).
pub fn now() -> UnixMillis {
    UnixMillis(now_ms() as i64)
}

fn console(error: bool, message: &str) {
    let line = JsValue::from_str(&(String::from("[kept] ") + message));
    if error {
        web_sys::console::error_1(&line);
    } else {
        web_sys::console::warn_1(&line);
    }
}

pub fn warn(message: &str) {
    console(false, message);
}

pub fn error(message: &str) {
    console(true, message);
}

/// The text of a thrown JS value, for people: an Error's "Name: message", a
/// string, or its `String()`. Never Rust's debug form (`JsValue(TypeError: …)`):
/// that is noise in a shop's console.
pub fn js_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.name()) + ": " + &String::from(err.message());
    }
    e.as_string()
        .unwrap_or_else(|| String::from(js_sys::JsString::from(e.clone())))
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
    let why = if !window().navigator().on_line() {
        "offline".to_string()
    } else if error.starts_with("AbortError") {
        "no answer within 15 s".to_string()
    } else {
        String::from(error)
            + " (the server or the network is down, or the server does not allow this page's origin)"
    };
    warn(
        &(String::from("could not reach ")
            + api
            + ": "
            + &why
            + "; answers are kept and sent later"),
    );
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timer {
    id: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    pub fn new(ms: u32, f: impl FnOnce() + 'static) -> Timer {
        Timer::boxed(ms, Box::new(f))
    }

    /// One copy of the timer's code for every kind of `f` (the widget's size).
    fn boxed(ms: u32, f: Box<dyn FnOnce()>) -> Timer {
        let mut f = Some(f);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f()
            }
        });
        let id = window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                ms.min(i32::MAX as u32) as i32,
            )
            .unwrap_or(0);
        Timer {
            id,
            _callback: callback,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        window().clear_timeout_with_handle(self.id);
    }
}

/// Calls `f` on every `event` of the window, for the page's life.
pub fn on_window_event(event: &str, f: impl FnMut() + 'static) {
    let callback = Closure::<dyn FnMut()>::new(f);
    let _ = window().add_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
    callback.forget();
}

/// Why a request to the API failed.
#[derive(Debug)]
pub enum FetchError {
    /// No answer: offline, server down, CORS refused, or timed out. Worth retrying.
    Network(String),
    /// The server answered with an error status, and its error's code and message.
    Status(u16, Option<(String, String)>),
    /// Too many requests (429): come back after this many milliseconds, as the
    /// server's `Retry-After` says.
    Throttled(u32),
    /// The answer was not what the API promises.
    Decode(String),
}

impl FetchError {
    /// The server refused this shop's widget altogether (unknown key, origin not allowed).
    pub fn refuses_the_widget(&self) -> bool {
        self.is("unknown_key") || self.is("origin_not_allowed")
    }

    /// The server's refusal with the error code `code` (`shared/src/error.rs`).
    pub fn is(&self, code: &str) -> bool {
        matches!(self, FetchError::Status(_, Some((c, _))) if c == code)
    }

    /// What happened, for a console line.
    pub fn message(&self) -> String {
        match self {
            FetchError::Network(e) => String::from("network: ") + e,
            FetchError::Status(_, Some((_, message))) => message.clone(),
            FetchError::Status(status, None) => {
                String::from("HTTP ") + &kept_shared::json::u64_text(u64::from(*status))
            }
            FetchError::Throttled(_) => String::from("too many requests"),
            FetchError::Decode(e) => String::from("unexpected answer: ") + e,
        }
    }
}

/// An object of no prototype, for the options the widget hands the browser:
/// in an ordinary one, what a page's polluted `Object.prototype` holds (a
/// request's `credentials`, `method` or `cache`, a Web Lock's `mode`, `steal`
/// or `signal`) is read as an option the widget never set, and had stopped
/// every answer being sent.
pub fn options_object() -> js_sys::Object {
    js_sys::Object::create(JsValue::NULL.unchecked_ref::<js_sys::Object>())
}

/// The options of a JSON request ([`options_object`]).
fn request(method: &str, body: Option<&str>, keepalive: bool) -> RequestInit {
    let init: RequestInit = options_object().unchecked_into();
    // Its mode is a request's by default, "cors".
    init.set_method(method);
    if let Some(body) = body {
        if let Ok(headers) = web_sys::Headers::new() {
            let _ = headers.set("content-type", "application/json");
            init.set_headers(&headers);
        }
        init.set_body(&JsValue::from_str(body));
    }
    if keepalive {
        // web-sys has no setter for it; the dictionary takes it as a plain property.
        let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    }
    init
}

/// Posts `body` and forgets it: the request outlives the page (`keepalive`) and
/// nothing is retried or read back.
pub fn post_and_forget(url: &str, body: &str) {
    // A failure is not worth a console line, nor may it reach the shop's page as
    // an unhandled rejection (its error tracker would blame the shop): handed to
    // `Promise.allSettled`, which never rejects, the promise counts as handled.
    let sent = window().fetch_with_str_and_init(url, &request("POST", Some(body), true));
    let _ = js_sys::Promise::all_settled(&js_sys::Array::of1(&sent));
}

#[wasm_bindgen]
extern "C" {
    /// A promise, as far as `then` with a function made by `Closure::once_into_js`.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, f: &JsValue);
}

/// Calls `f` once `promise` settles, with its value or the reason it was
/// rejected. One callback, called exactly once (`Promise.allSettled` never
/// rejects), which frees itself.
///
/// The widget waits on promises with callbacks rather than `async`: an executor
/// and a state machine per `async fn` cost every visitor's download more than a
/// kilobyte (README, "Where the widget's bytes go").
///
/// `f` is boxed: one copy of this function serves every caller.
pub fn when_settled(promise: &js_sys::Promise, f: Box<dyn FnOnce(Result<JsValue, JsValue>)>) {
    let settled = js_sys::Promise::all_settled(&js_sys::Array::of1(promise));
    settled
        .unchecked_ref::<Thenable>()
        .then(&Closure::once_into_js(move |results: js_sys::Array| {
            let result = results.get(0);
            let field = |name: &str| {
                js_sys::Reflect::get(&result, &JsValue::from_str(name))
                    .unwrap_or(JsValue::UNDEFINED)
            };
            f(if field("status") == "fulfilled" {
                Ok(field("value"))
            } else {
                Err(field("reason"))
            })
        }));
}

/// What is called with the text of a successful answer, or why there is none.
pub type AfterText = Box<dyn FnOnce(Result<String, FetchError>)>;

/// Calls `done` with the text of a successful `GET`, or why there is none.
pub fn get_text(url: &str, done: AfterText) {
    fetch_text("GET", url, None, done)
}

/// Posts `body` (JSON text); calls `done` with the answer read as a `T`, or why not.
pub fn post_json<T: FromJson + 'static>(
    url: &str,
    body: String,
    done: impl FnOnce(Result<T, FetchError>) + 'static,
) {
    let read = move |text: Result<String, FetchError>| {
        done(text.and_then(|t| T::from_json_text(&t).map_err(|e| FetchError::Decode(e.0))))
    };
    fetch_text("POST", url, Some(body), Box::new(read))
}

/// How long a 429 asks to wait: `Retry-After` in seconds (the server exposes it
/// to every origin), else a minute; an HTTP date is read as a minute too.
fn retry_after_ms(resp: &Response) -> u32 {
    const DEFAULT_SECONDS: u32 = 60;
    let seconds = resp
        .headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(DEFAULT_SECONDS);
    seconds.min(3600).saturating_mul(1000)
}

/// A request that got no answer, and why.
fn network_error(e: JsValue) -> FetchError {
    FetchError::Network(js_message(&e))
}

/// Requests `url` (a JSON `body`, if any) and calls `done` with the answer's text
/// when it is a success, or why not.
fn fetch_text(method: &str, url: &str, body: Option<String>, done: AfterText) {
    let controller = match AbortController::new() {
        Ok(c) => c,
        Err(e) => return done(Err(network_error(e))),
    };
    let init = request(method, body.as_deref(), false);
    init.set_signal(Some(&controller.signal()));
    // Abort when the timeout passes; dropping the timer (once the whole answer
    // is read) cancels it.
    let timeout = Timer::new(FETCH_TIMEOUT_MS as u32, move || controller.abort());
    let fetched = window().fetch_with_str_and_init(url, &init);
    let answered = move |resp: Result<JsValue, JsValue>| {
        let resp: Response = match resp {
            Ok(r) => r.unchecked_into(),
            Err(e) => return done(Err(network_error(e))),
        };
        let text = match resp.text() {
            Ok(text) => text,
            Err(e) => return done(Err(network_error(e))),
        };
        let read = move |text: Result<JsValue, JsValue>| {
            drop(timeout);
            done(
                text.map_err(network_error)
                    .and_then(|text| success_text(&resp, text.as_string().unwrap_or_default())),
            )
        };
        when_settled(&text, Box::new(read));
    };
    when_settled(&fetched, Box::new(answered));
}

/// The text of an answer if it is a success; else the error it says.
fn success_text(resp: &Response, text: String) -> Result<String, FetchError> {
    if resp.status() == 429 {
        return Err(FetchError::Throttled(retry_after_ms(resp)));
    }
    if !resp.ok() {
        let error = Json::parse(&text).ok().and_then(|e| {
            Some((
                e.get("code")?.as_str()?.to_string(),
                e.get("message")?.as_str()?.to_string(),
            ))
        });
        return Err(FetchError::Status(resp.status(), error));
    }
    Ok(text)
}
