//! The harness of the end-to-end tests: a real Kept server on a fresh database, a
//! "shop website" on another origin that embeds the widget with its one script tag,
//! and headless Chromium driven over the DevTools protocol.

pub mod dashboard;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams as FetchEnable, EventRequestPaused, RequestPattern,
};
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, InsertTextParams,
};
use chromiumoxide::cdp::browser_protocol::log::EventEntryAdded;
use chromiumoxide::cdp::browser_protocol::target::SetAutoAttachParams;
use chromiumoxide::cdp::js_protocol::runtime::{EventConsoleApiCalled, EventExceptionThrown};
use chromiumoxide::layout::Point;
use chromiumoxide::listeners::EventStream;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use kept_server::outbound::Receivers;
use kept_server::signatures::{Signed, sign};
use kept_server::{RunningServer, ServerOptions, demo};
use kept_shared::{Answer, Report};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::services::ServeDir;

/// How long a wait for something on the page or in the database may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// Where the built widget is (scripts/build-widget.sh puts it there).
pub fn widget_dist() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../widget/dist")
}

/// axe-core's script, which scripts/setup.sh installs from the npm registry.
pub fn axe_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/npm/node_modules/axe-core/axe.min.js")
}

/// Where screenshots of each scenario's final screen go, for a person to look at.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots")
}

/// One scenario's world: the Kept server, the shop's website and a browser.
pub struct Env {
    _dir: TempDir,
    db: PathBuf,
    api: Option<RunningServer>,
    api_addr: SocketAddr,
    shop: SocketAddr,
    shop_task: JoinHandle<()>,
    browser: Browser,
    browser_task: JoinHandle<()>,
}

impl Env {
    pub async fn start() -> Result<Env> {
        let dist = widget_dist();
        if let Some(problem) = kept_server::widget_dir_problem(&dist) {
            bail!("{problem}");
        }
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("kept.db");

        // The shop's website, on its own origin. It hosts the widget files itself (as a
        // CDN would), so that its pages still load while the Kept API is down.
        let shop_listener = TcpListener::bind("127.0.0.1:0").await?;
        let shop = shop_listener.local_addr()?;

        let api = RunningServer::start(ServerOptions {
            db: db.to_string_lossy().into_owned(),
            listen: "127.0.0.1:0".parse()?,
            widget_dir: Some(dist.clone()),
            // The tests' webhook receivers listen on loopback.
            webhook_receivers: Receivers::Any,
        })
        .await?;
        let api_addr = api.addr();
        demo::seed(api.db().as_ref(), &[format!("http://{shop}")]).await?;

        let app = Router::new()
            .route("/", axum::routing::get(shop_page))
            .route(
                "/refusing-api/api/v1/widget/{key}/{*rest}",
                axum::routing::any(refusing_api),
            )
            // Compressed as a CDN would serve them (scripts/build-widget.sh makes the twins).
            .nest_service(
                "/kept",
                ServeDir::new(dist).precompressed_br().precompressed_gzip(),
            )
            .route("/floor/{script}", axum::routing::get(floor_script))
            // Any other path is the same page: targeting rules match paths.
            .fallback(shop_page)
            .with_state(api.url());
        let shop_task = tokio::spawn(async move {
            axum::serve(shop_listener, app)
                .await
                .expect("shop site failed");
        });

        let profile = dir.path().join("chromium-profile");
        let config = BrowserConfig::builder()
            .chrome_executable("/usr/bin/chromium")
            .no_sandbox()
            .user_data_dir(&profile)
            .window_size(1024, 900)
            // Without these Chromium floods the closed network with background requests.
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
            ])
            .args(["disable-component-update", "disable-sync"])
            .build()
            .map_err(anyhow::Error::msg)?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .context("starting /usr/bin/chromium")?;
        let browser_task = tokio::spawn(async move { while handler.next().await.is_some() {} });

        Ok(Env {
            _dir: dir,
            db,
            api: Some(api),
            api_addr,
            shop,
            shop_task,
            browser,
            browser_task,
        })
    }

    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// The shop's order page with the widget; `attrs` become `data-*` attributes of its script tag.
    pub fn shop_url(&self, attrs: &[(&str, &str)]) -> String {
        self.shop_url_at("/", attrs)
    }

    /// The same page at another path of the shop's site (targeting matches paths).
    pub fn shop_url_at(&self, path: &str, attrs: &[(&str, &str)]) -> String {
        // Encoded: a value may hold `#` (a `data-target`) or `&`.
        let mut url = reqwest::Url::parse(&format!("http://{}{path}", self.shop))
            .expect("the shop's address is an address");
        url.query_pairs_mut().extend_pairs(attrs);
        url.into()
    }

    /// The same page on an origin the shop never listed: `localhost` instead of
    /// `127.0.0.1` (same site, other origin).
    pub fn unlisted_shop_url(&self, attrs: &[(&str, &str)]) -> String {
        self.shop_url(attrs).replacen(
            &format!("http://{}", self.shop),
            &format!("http://localhost:{}", self.shop.port()),
            1,
        )
    }

    /// A stand-in for a Kept API that refuses the widget the way issue 8 specifies
    /// (`data-api` for a shop page): key `pk_unknown` gets 404 `unknown_key`, any
    /// other key 403 `origin_not_allowed`, both readable from any origin.
    pub fn refusing_api_url(&self) -> String {
        format!("http://{}/refusing-api", self.shop)
    }

    pub fn api(&self) -> &RunningServer {
        self.api.as_ref().expect("the API is stopped")
    }

    /// Takes the Kept server down, as a network outage would.
    pub async fn stop_api(&mut self) {
        if let Some(api) = self.api.take() {
            api.stop().await;
        }
    }

    /// Brings the Kept server back on the same port and database.
    pub async fn restart_api(&mut self) -> Result<()> {
        self.restart_api_serving(widget_dist()).await
    }

    /// Brings the Kept server back on the same port and database, serving the
    /// widget built in `widget_dir` (another release).
    pub async fn restart_api_serving(&mut self, widget_dir: PathBuf) -> Result<()> {
        let opts = ServerOptions {
            db: self.db.to_string_lossy().into_owned(),
            listen: self.api_addr,
            widget_dir: Some(widget_dir),
            webhook_receivers: Receivers::Any,
        };
        self.api = Some(RunningServer::start(opts).await?);
        Ok(())
    }

    /// Sends `answers` to the demo shop's widget API, as a shop's page would
    /// (from another device than the test's browser).
    pub async fn send_answers(&self, answers: Vec<Answer>) -> Result<()> {
        let resp = reqwest::Client::new()
            .post(format!(
                "{}{}",
                self.api_url(),
                kept_shared::api::answers(demo::PUBLIC_KEY)
            ))
            .json(&kept_shared::SyncBatch { answers })
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "{}", resp.status());
        Ok(())
    }

    /// All answers the database holds for the demo shop.
    pub async fn stored_answers(&self) -> Result<Vec<Answer>> {
        let records = self.api().db().answers(demo::SHOP_ID).await?;
        Ok(records.into_iter().map(|r| r.answer).collect())
    }

    /// Waits until the database holds `n` answers, and returns them.
    pub async fn wait_for_answers(&self, n: usize) -> Result<Vec<Answer>> {
        let deadline = Instant::now() + WAIT;
        loop {
            let answers = self.stored_answers().await?;
            if answers.len() == n {
                return Ok(answers);
            }
            if answers.len() > n || Instant::now() > deadline {
                bail!(
                    "expected {n} stored answers, the database holds {}: {answers:#?}",
                    answers.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The owner report, fetched over HTTP with the owner token.
    pub async fn report(&self) -> Result<Report> {
        let url = format!(
            "{}{}",
            self.api_url(),
            kept_shared::api::report(demo::SHOP_ID)
        );
        let resp = reqwest::Client::new()
            .get(url)
            .bearer_auth(demo::OWNER_TOKEN)
            .send()
            .await?;
        let status = resp.status();
        let body = resp.text().await?;
        if !status.is_success() {
            bail!("report: {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// Opens `url` in a new tab, recording its console from the start.
    /// A view of the demo shop's owner API (`rest` after `/shops/demo/`).
    pub async fn owner_get<T: serde::de::DeserializeOwned>(&self, rest: &str) -> Result<T> {
        let url = format!(
            "{}{}",
            self.api_url(),
            kept_shared::api::owner(demo::SHOP_ID, rest)
        );
        let resp = reqwest::Client::new()
            .get(url)
            .bearer_auth(demo::OWNER_TOKEN)
            .send()
            .await?;
        let status = resp.status();
        let body = resp.text().await?;
        if !status.is_success() {
            bail!("{rest}: {status}: {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// Sends `body` to the demo shop's owner API (`rest` after `/shops/demo/`).
    pub async fn owner_send<T: serde::Serialize>(
        &self,
        method: reqwest::Method,
        rest: &str,
        body: &T,
    ) -> Result<()> {
        let url = format!(
            "{}{}",
            self.api_url(),
            kept_shared::api::owner(demo::SHOP_ID, rest)
        );
        let resp = reqwest::Client::new()
            .request(method, url)
            .bearer_auth(demo::OWNER_TOKEN)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("{rest}: {status}: {}", resp.text().await?);
        }
        Ok(())
    }

    /// A personal survey link, as the demo shop's back office asks for one
    /// (for a receipt, an e-mail, an SMS).
    pub async fn personal_link(
        &self,
        customer: &str,
        order: &str,
        survey: &str,
    ) -> Result<kept_shared::PersonalLink> {
        let resp = reqwest::Client::new()
            .post(format!(
                "{}/api/v1/shops/{}/links",
                self.api_url(),
                demo::SHOP_ID
            ))
            .bearer_auth(demo::SECRET_KEY)
            .json(&kept_shared::LinkRequest {
                customer_ref: customer.into(),
                order_ref: order.into(),
                survey: survey.into(),
                expires_in_days: None,
            })
            .send()
            .await?;
        let status = resp.status();
        if !status.is_success() {
            bail!("a personal link: {status}: {}", resp.text().await?);
        }
        Ok(resp.json().await?)
    }

    /// Changes one of the demo shop's surveys as its owner would.
    pub async fn edit_survey(
        &self,
        id: &str,
        change: impl FnOnce(&mut kept_shared::SurveyDefinition),
    ) -> Result<()> {
        let surveys: Vec<kept_shared::SurveyDefinition> = self.owner_get("surveys").await?;
        let mut survey = surveys
            .into_iter()
            .find(|s| s.survey.id == id)
            .with_context(|| format!("no survey {id}"))?;
        change(&mut survey);
        self.owner_send(reqwest::Method::PUT, &format!("surveys/{id}"), &survey)
            .await
    }

    /// Changes the demo shop's settings as its owner would.
    pub async fn edit_settings(
        &self,
        change: impl FnOnce(&mut kept_shared::ShopSettings),
    ) -> Result<()> {
        let mut view: kept_shared::ShopView = self.owner_get("settings").await?;
        change(&mut view.settings);
        self.owner_send(reqwest::Method::PUT, "settings", &view.settings)
            .await
    }

    pub async fn open(&self, url: &str) -> Result<Widget> {
        let page = self.browser.new_page("about:blank").await?;
        let console = Arc::new(Mutex::new(Vec::new()));
        let mut calls = page.event_listener::<EventConsoleApiCalled>().await?;
        let mut entries = page.event_listener::<EventEntryAdded>().await?;
        let mut thrown = page.event_listener::<EventExceptionThrown>().await?;
        page.enable_log().await?;
        let sink = console.clone();
        let listener = tokio::spawn(async move {
            loop {
                let line = tokio::select! {
                    Some(call) = calls.next() => ConsoleLine::from_call(&call),
                    Some(entry) = entries.next() => ConsoleLine {
                        source: format!("log:{:?}", entry.entry.source).to_lowercase(),
                        text: entry.entry.text.clone(),
                    },
                    // Uncaught errors and unhandled rejections: what a shop's
                    // error tracker would record against its own page.
                    Some(e) = thrown.next() => ConsoleLine {
                        source: UNCAUGHT.to_string(),
                        text: format!(
                            "{} {}",
                            e.exception_details.text,
                            e.exception_details
                                .exception
                                .as_ref()
                                .and_then(|x| x.description.clone())
                                .unwrap_or_default()
                        ),
                    },
                    else => break,
                };
                sink.lock().expect("console lock").push(line);
            }
        });
        // chromiumoxide attaches to every target the page starts and holds it until
        // it says "run"; service workers it lets go of without saying it, so they
        // would never install (the kiosk's offline worker). Nothing waits here.
        page.execute(
            SetAutoAttachParams::builder()
                .auto_attach(true)
                .flatten(true)
                .wait_for_debugger_on_start(false)
                .build()
                .map_err(anyhow::Error::msg)?,
        )
        .await?;
        page.goto(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(Widget {
            page,
            console,
            viewport: Mutex::new(None),
            _console_listener: AbortOnDrop(listener),
        })
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.browser_task.abort();
        self.shop_task.abort();
        self.stop_api().await;
    }
}

/// The shop's "order confirmed" page, with the widget's one script tag (`api` and
/// `key` are the real server's and the demo shop's unless the query says otherwise).
/// `page=bare` leaves the widget out; `page=plain` puts in its place the same NPS
/// question as a plain HTML form; `page=storage` one inline script that reads
/// local storage (the references of the page-load benchmark);
/// `page=floor-storage`, `page=floor-tag` and `page=floor-form` the
/// benchmark's floors: one external script (`/floor/…`, see [`floor_script`])
/// that only reads local storage, or its own tag's attributes and local
/// storage, or only writes the plain form into the page.
/// `csp=nonce` gives the page a strict Content-Security-Policy that allows
/// inline styles by nonce only.
/// `style=hostile` makes the page a right-to-left one (Arabic) whose CSS
/// reaches for every `div` and every element, important, lays out every
/// child of its `main` as a flex row, hides elements not defined (as
/// web-component libraries advise), gives the widget's own element text
/// rules that its content would inherit (as a `*` rule does), shrinks its root
/// font size and spaces and capitalises its text (the widget's look must not
/// follow).
/// `style=row` lays out its `main` as a flex row, as many a shop's product
/// page does, the widget's element one of its items.
/// `box=flex-row` puts before the snippet a flex row `#slot` with one item;
/// `box=flex-item|inline-block|float|grid-auto` an empty `#slot` sized by its
/// content: the second item of a flex row, an inline-block, a float, or the
/// second auto column of a grid (for `target=#slot`); `box=narrow` a
/// `#slot` 240 px wide.
/// `twice=yes` puts the snippet on the page twice (as a shop's template and
/// its theme each may).
/// `loader=shop` loads `kept.js?key=…` from the Kept server, the loader with the
/// shop's rules in it, instead of the generic `kept.js` the shop hosts.
/// As a shop's server does, the page signs its customer and order with the demo
/// shop's widget secret, unless `sign=no` (or the query gives its own signatures).
async fn shop_page(
    State(api): State<String>,
    Query(mut attrs): Query<std::collections::BTreeMap<String, String>>,
) -> Html<String> {
    let api = attrs.remove("api").unwrap_or(api);
    let key = attrs
        .remove("key")
        .unwrap_or_else(|| demo::PUBLIC_KEY.to_string());
    let page = attrs.remove("page");
    let loader = attrs.remove("loader");
    let twice = attrs.remove("twice").is_some();
    let slot = match attrs.remove("box").as_deref() {
        Some("flex-row") => {
            r#"<div id="slot" style="display: flex; gap: 8px"><div>Order summary</div></div>"#
        }
        Some("flex-item") => {
            r#"<div style="display: flex; gap: 8px"><div>Order summary</div><div id="slot"></div></div>"#
        }
        Some("inline-block") => r#"<div id="slot" style="display: inline-block"></div>"#,
        Some("float") => r#"<div id="slot" style="float: left"></div>"#,
        Some("grid-auto") => {
            r#"<div style="display: grid; grid-template-columns: auto auto"><div>Order</div><div id="slot"></div></div>"#
        }
        Some("narrow") => r#"<div id="slot" style="width: 240px"></div>"#,
        _ => "",
    };
    // `csp=nonce`: the page's own policy, strict as many shops write it: its
    // inline styles by nonce (so `'unsafe-inline'` counts for nothing), and
    // what README asks for Kept.
    let policy = match attrs.remove("csp").as_deref() {
        Some("nonce") => format!(
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' {api}; style-src 'self' 'nonce-shop' 'unsafe-inline'">
<style nonce="shop">body {{ font-family: serif; }}</style>"#
        ),
        _ => String::new(),
    };
    let (html, style) = match attrs.remove("style").as_deref() {
        Some("hostile") => (
            r#"<html lang="ar" dir="rtl">"#,
            "<style>html { font-size: 62.5%; } body { letter-spacing: 3px; text-transform: uppercase; } \
             div { display: flex !important; padding: 30px !important; } * { margin: 2px !important; } \
             main > * { display: flex !important; } :not(:defined) { visibility: hidden; } \
             kept-widget { white-space: nowrap; letter-spacing: 4px; text-align: right; text-indent: 3em; }</style>",
        ),
        Some("row") => (
            r#"<html lang="en">"#,
            "<style>main { display: flex; gap: 16px; padding: 8px; }</style>",
        ),
        _ => (r#"<html lang="en">"#, ""),
    };
    if attrs.remove("sign").as_deref() != Some("no") {
        for (name, what) in [("customer", Signed::Customer), ("order", Signed::Order)] {
            if let Some(value) = attrs.get(name).cloned() {
                attrs
                    .entry(format!("{name}-sig"))
                    .or_insert_with(|| sign(demo::WIDGET_SECRET, what, &value));
            }
        }
    }
    let attrs: String = attrs
        .iter()
        .map(|(k, v)| format!(r#" data-{k}="{v}""#))
        .collect();
    let widget = match page.as_deref() {
        Some("bare") => String::new(),
        Some("plain") => PLAIN_FORM.to_string(),
        Some("storage") => STORAGE_TOUCH.to_string(),
        Some("floor-storage") => r#"<script src="/floor/storage.js" defer></script>"#.to_string(),
        Some("floor-tag") => r#"<script src="/floor/tag.js" defer></script>"#.to_string(),
        Some("floor-form") => r#"<script src="/floor/form.js" defer></script>"#.to_string(),
        _ if loader.as_deref() == Some("shop") => {
            format!(r#"<script src="{api}/widget/kept.js?key={key}" defer{attrs}></script>"#)
        }
        _ => format!(
            r#"<script src="/kept/kept.js" defer data-api="{api}" data-key="{key}"{attrs}></script>"#
        ),
    };
    let widget = if twice {
        format!("{widget}\n{widget}")
    } else {
        widget
    };
    Html(format!(
        r#"<!doctype html>{html}<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Order confirmed</title>{policy}{style}</head>
<body><main><h1>Thank you for your order!</h1><p>Order #1001 is on its way.</p>
{slot}{widget}
<p id="after-widget">Questions? Write to us.</p></main>
</body></html>"#
    ))
}

/// The NPS question as the plainest HTML can ask it: what a survey costs a page
/// without any script (the benchmark's reference).
const PLAIN_FORM: &str = r#"<form class="plain-survey" method="post" action="/answers">
<h2 class="kept-question">How likely are you to recommend us to a friend?</h2>
<fieldset><legend>0 = not likely, 10 = very likely</legend>
<label><input type="radio" name="score" value="0">0</label> <label><input type="radio" name="score" value="1">1</label>
<label><input type="radio" name="score" value="2">2</label> <label><input type="radio" name="score" value="3">3</label>
<label><input type="radio" name="score" value="4">4</label> <label><input type="radio" name="score" value="5">5</label>
<label><input type="radio" name="score" value="6">6</label> <label><input type="radio" name="score" value="7">7</label>
<label><input type="radio" name="score" value="8">8</label> <label><input type="radio" name="score" value="9">9</label>
<label><input type="radio" name="score" value="10">10</label></fieldset>
<label>What is the main reason for your score? <textarea name="reason"></textarea></label>
<button type="submit">Send</button></form>"#;

/// The least a script that keeps anything in the visitor's browser does on a
/// page: its first touch of local storage, which opens the origin's storage
/// (the benchmark's floor for a loader that must look for queued answers).
const STORAGE_TOUCH: &str = "<script>localStorage.length</script>";

/// The page-load benchmark's floors, each the least an external script can be
/// for its part of what the loader does: `storage.js` only reads local storage
/// (what any loader that must find answers queued on an earlier page pays on a
/// page with nothing due), `tag.js` reads its own script tag's attributes too
/// (what the page asks of a loader: its order, once per order; a loyalty card
/// placed there; a customer), `form.js` only writes the plain form after its tag
/// (the soonest a question delivered by a script, rather than written in the
/// shop's page, can be on screen: one round trip after the page).
async fn floor_script(
    axum::extract::Path(script): axum::extract::Path<String>,
) -> axum::response::Response {
    let body = match script.as_str() {
        "storage.js" => "localStorage.length".to_string(),
        "tag.js" => "[].forEach.call(document.currentScript.attributes,function(a){a.value});localStorage.length".to_string(),
        "form.js" => format!(
            "document.currentScript.insertAdjacentHTML('afterend',{})",
            serde_json::to_string(PLAIN_FORM).expect("a string is JSON")
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "text/javascript")], body).into_response()
}

/// See [`Env::refusing_api_url`].
async fn refusing_api(
    axum::extract::Path((key, _rest)): axum::extract::Path<(String, String)>,
) -> impl IntoResponse {
    let (status, code, message) = if key == "pk_unknown" {
        (
            StatusCode::NOT_FOUND,
            "unknown_key",
            format!("no shop has the key {key}"),
        )
    } else {
        (
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "origin http://localhost is not allowed for shop demo: add it under the dashboard's Settings, or with `kept-server shop set demo --add-origin http://localhost`".to_string(),
        )
    };
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    (
        status,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CONTENT_TYPE, "application/json"),
        ],
        body,
    )
}

/// One line of the page's console: a `console.*` call from a script
/// (`source` "console:error", ...) or an entry the browser itself logged
/// (`source` "log:network", "log:javascript", ...).
#[derive(Debug, Clone)]
pub struct ConsoleLine {
    pub source: String,
    pub text: String,
}

impl ConsoleLine {
    fn from_call(call: &EventConsoleApiCalled) -> ConsoleLine {
        let text = call
            .args
            .iter()
            .map(|a| match &a.value {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => a.description.clone().unwrap_or_default(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        ConsoleLine {
            source: format!("console:{:?}", call.r#type).to_lowercase(),
            text,
        }
    }

    /// Whether a script wrote it (rather than the browser reporting, say, a 403).
    pub fn from_script(&self) -> bool {
        self.source.starts_with("console:")
    }
}

/// The [`ConsoleLine::source`] of an uncaught error or unhandled rejection.
pub const UNCAUGHT: &str = "uncaught";

/// Aborts the task when dropped: the console listener ends with its page object.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A page with the widget, reached through its open shadow root.
pub struct Widget {
    pub page: Page,
    console: Arc<Mutex<Vec<ConsoleLine>>>,
    /// The size [`Widget::set_viewport`] set, if any (a full-page screenshot resets it).
    viewport: Mutex<Option<(u32, u32)>>,
    _console_listener: AbortOnDrop,
}

/// A viewport to test layouts at (CSS pixels).
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Viewport {
    /// Landscape and portrait tablets and a phone: every screen must fit or scroll at these.
    pub const ALL: [Viewport; 4] = [
        Viewport::new("tablet-1024x768", 1024, 768),
        Viewport::new("tablet-1280x800", 1280, 800),
        Viewport::new("tablet-768x1024", 768, 1024),
        Viewport::new("phone-375x740", 375, 740),
    ];

    pub const fn new(name: &'static str, width: u32, height: u32) -> Viewport {
        Viewport {
            name,
            width,
            height,
        }
    }
}

/// Where an element inside the widget is after `scrollIntoView`, and what a
/// click at its centre would hit.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Reach {
    /// The element lies wholly inside the window.
    pub in_view: bool,
    /// `elementFromPoint` at its centre (inside the shadow root) is the element or inside it.
    pub hit: bool,
    /// What was hit instead, for the failure message.
    pub hit_instead: String,
    pub x: f64,
    pub y: f64,
}

/// JavaScript that finds `selector` inside the widget's shadow root (or null).
fn find(selector: &str) -> String {
    format!(
        "(document.querySelector('.kept-host')?.shadowRoot?.querySelector({}) ?? null)",
        js_str(selector)
    )
}

/// An element of the page itself (outside the widget's shadow root).
fn find_in_page(selector: &str) -> String {
    format!("document.querySelector({})", js_str(selector))
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

impl Widget {
    /// Everything the page logged to its console so far.
    pub fn console(&self) -> Vec<ConsoleLine> {
        self.console.lock().expect("console lock").clone()
    }

    /// Waits until the console has a line for which `wanted` is true (console
    /// events arrive a moment after the page acts), and returns every line so far.
    pub async fn wait_for_console(
        &self,
        what: &str,
        wanted: impl Fn(&ConsoleLine) -> bool,
    ) -> Result<Vec<ConsoleLine>> {
        let deadline = Instant::now() + WAIT;
        loop {
            let lines = self.console();
            if lines.iter().any(&wanted) {
                return Ok(lines);
            }
            if Instant::now() > deadline {
                bail!("waited {WAIT:?} for {what} in the console: {lines:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every `console.*` line the page's scripts wrote before now, and none
    /// still on its way: a mark written last, once it is in, says that all
    /// before it are (a page's console calls arrive in order). For a test that
    /// a line was *not* written, where waiting for another would miss it.
    pub async fn console_until_now(&self) -> Result<Vec<ConsoleLine>> {
        let mark = format!("[e2e] mark {}", uuid::Uuid::new_v4());
        self.eval(&format!("console.debug({})", js_str(&mark)))
            .await?;
        let lines = self
            .wait_for_console("the mark", |l| l.text == mark)
            .await?;
        Ok(lines.into_iter().take_while(|l| l.text != mark).collect())
    }

    /// Sets the window's size in CSS pixels (narrow ones as a phone: mobile
    /// viewport, touch-sized layout).
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        *self.viewport.lock().expect("viewport lock") = Some((width, height));
        self.page
            .execute(SetDeviceMetricsOverrideParams::new(
                width,
                height,
                1.0,
                width <= 480,
            ))
            .await?;
        Ok(())
    }

    /// Brings this tab to the front, as a person does before using it: a tab
    /// behind another is hidden, and Chromium takes seconds to deliver a
    /// click to it.
    pub async fn bring_to_front(&self) -> Result<()> {
        self.page.bring_to_front().await?;
        Ok(())
    }

    /// Sets this tab's time zone (an IANA name), as the visitor's device has it.
    pub async fn set_time_zone(&self, zone: &str) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::emulation::SetTimezoneOverrideParams;
        self.page
            .execute(SetTimezoneOverrideParams::new(zone))
            .await?;
        Ok(())
    }

    /// Opens another URL in this tab.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.page
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(())
    }

    /// Presses a key (`"Tab"`, `"ArrowRight"`, `"End"`, ...) as the keyboard
    /// would, into whatever has focus.
    pub async fn press(&self, key: &str) -> Result<()> {
        let def = chromiumoxide::keys::get_key_definition(key)
            .with_context(|| format!("no key {key}"))?;
        let mut down = DispatchKeyEventParams::builder()
            .key(def.key)
            .code(def.code)
            .windows_virtual_key_code(def.key_code)
            .native_virtual_key_code(def.key_code);
        let down_type = match def.text {
            Some(text) => {
                down = down.text(text);
                DispatchKeyEventType::KeyDown
            }
            None => DispatchKeyEventType::RawKeyDown,
        };
        let up = down.clone().r#type(DispatchKeyEventType::KeyUp);
        self.page
            .execute(down.r#type(down_type).build().map_err(anyhow::Error::msg)?)
            .await?;
        self.page
            .execute(up.build().map_err(anyhow::Error::msg)?)
            .await?;
        Ok(())
    }

    /// What has focus: `None` unless it is inside the widget's shadow root (the
    /// document's active element is then the widget's host); else the focused
    /// element's tag, text and `data-score`, like `"H2 Thank you!"` or `"BUTTON 7"`.
    pub async fn focused(&self) -> Result<Option<String>> {
        let js = "(() => { const host = document.querySelector('.kept-host');                   if (!host || document.activeElement !== host) return null;                   const e = host.shadowRoot.activeElement; if (!e) return null;                   return e.tagName + ' ' + (e.dataset.score ?? e.textContent.trim()); })()";
        Ok(self.eval(js).await?.as_str().map(str::to_string))
    }

    /// Scrolls the element into view as a person would look for it, then says
    /// whether it is in the window and whether a tap at its centre lands on it.
    pub async fn reach(&self, selector: &str) -> Result<Reach> {
        self.wait_for(selector).await?;
        let js = format!(
            "(() => {{ const e = {}; e.scrollIntoView({{block: 'nearest'}});              const r = e.getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2;              const root = document.querySelector('.kept-host').shadowRoot;              const hit = root.elementFromPoint(x, y);              return {{ in_view: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,                        hit: !!hit && (hit === e || e.contains(hit)),                        hit_instead: hit ? hit.outerHTML.slice(0, 120) : 'nothing', x, y }}; }})()",
            find(selector)
        );
        Ok(serde_json::from_value(self.eval(&js).await?)?)
    }

    /// A real click at a point of the window.
    pub async fn click_at(&self, x: f64, y: f64) -> Result<()> {
        self.page.click(Point { x, y }).await?;
        Ok(())
    }

    /// Runs axe-core over the whole document (the widget's open shadow root
    /// included) and returns its violations, one line each: rule, impact, help
    /// and the elements. Any page object can call it: the dashboard too.
    pub async fn axe_violations(&self) -> Result<Vec<String>> {
        if self.eval("typeof window.axe").await? != Value::String("object".into()) {
            let script = std::fs::read_to_string(axe_script()).with_context(|| {
                format!(
                    "axe-core is not installed at {}: run scripts/setup.sh",
                    axe_script().display()
                )
            })?;
            // As a plain expression: chromiumoxide would take a script that starts
            // like a function for one.
            self.page
                .evaluate_expression(script.as_str())
                .await
                .context("injecting axe-core")?;
        }
        let js = "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.map(v =>                   v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => JSON.stringify(n.target)).join(', ')))";
        Ok(serde_json::from_value(self.eval(js).await?)?)
    }

    /// The words the page breaks across lines where a reader would not: inside
    /// the word, not at a space, a soft hyphen, a hyphen, a dash or a slash (Russian
    /// "Пропустить" broken before its last letter, Ukrainian "Перспективні"
    /// after its ninth), though it is narrower than the page; each as
    /// "tag.class: word". The whole document, the widget's open shadow root
    /// included; not code (a snippet, an address), which is meant to break
    /// anywhere.
    pub async fn broken_words(&self) -> Result<Vec<String>> {
        let js = r#"(() => {
            const broken = [];
            // A word wider than the page's width less its margins fits no
            // line: broken, it is where it must be. (Not its own box's
            // width: a box squeezed narrower than its words is what breaks
            // them.)
            const room = document.documentElement.clientWidth - 32;
            const span = (t, from, to) => {
                const r = document.createRange();
                r.setStart(t, from);
                r.setEnd(t, to);
                return r;
            };
            const look = root => {
                const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
                for (let t; (t = texts.nextNode()); ) {
                    const e = t.parentElement;
                    if (!e || e.closest('code, pre') || !e.getClientRects().length) continue;
                    // The line a character is on (its box's bottom).
                    const line = i => Math.round(span(t, i, i + 1).getBoundingClientRect().bottom);
                    for (const w of t.data.matchAll(/[^\s\u00ad\u2010-\u2014/-]{2,}/g)) {
                        const end = w.index + w[0].length;
                        if (line(w.index) == line(end - 1)) continue;
                        const width = [...span(t, w.index, end).getClientRects()].reduce((sum, c) => sum + c.width, 0);
                        if (width <= room) broken.push(e.localName + '.' + e.className + ': ' + w[0]);
                    }
                }
                for (const e of root.querySelectorAll('*')) if (e.shadowRoot) look(e.shadowRoot);
            };
            look(document.body);
            return broken;
        })()"#;
        Ok(serde_json::from_value(self.eval(js).await?)?)
    }

    pub async fn eval(&self, js: &str) -> Result<Value> {
        let result = self
            .page
            .evaluate(js)
            .await
            .with_context(|| format!("evaluating {js}"))?;
        Ok(result.value().cloned().unwrap_or(Value::Null))
    }

    /// Waits for the loader's decision on this page (`data-kept-due` on its script
    /// tag) and returns the surveys due, in order.
    pub async fn decision(&self) -> Result<Vec<String>> {
        let due = "document.querySelector('script[data-kept-due]')";
        self.wait_until("the loader's decision", &format!("{due} !== null"))
            .await?;
        let v = self
            .eval(&format!("{due}.getAttribute('data-kept-due')"))
            .await?;
        Ok(v.as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect())
    }

    /// Holds every request of this tab whose URL matches `pattern` (a glob,
    /// `*/answers`) for the test to continue or answer; the held requests, as
    /// they come.
    pub async fn hold_requests(&self, pattern: &str) -> Result<EventStream<EventRequestPaused>> {
        self.page
            .execute(
                FetchEnable::builder()
                    .pattern(RequestPattern::builder().url_pattern(pattern).build())
                    .build(),
            )
            .await?;
        Ok(self.page.event_listener::<EventRequestPaused>().await?)
    }

    /// Lets every request `held` holds, and each it holds from now on, go on
    /// to the server (until the task returned is aborted).
    pub fn let_held_go(&self, mut held: EventStream<EventRequestPaused>) -> JoinHandle<()> {
        use chromiumoxide::cdp::browser_protocol::fetch::ContinueRequestParams;
        let page = self.page.clone();
        tokio::spawn(async move {
            while let Some(paused) = held.next().await {
                let _ = page
                    .execute(ContinueRequestParams::new(paused.request_id.clone()))
                    .await;
            }
        })
    }

    /// What this page downloaded (its resource timing entries): URL and bytes
    /// over the network (header and body).
    pub async fn downloads(&self) -> Result<Vec<(String, u64)>> {
        let v = self
            .eval("performance.getEntriesByType('resource').map(e => [e.name, e.transferSize])")
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Runs `script` in every document this tab loads from now on, before the
    /// page's own scripts (a clock, a watcher); returns its id for
    /// [`Widget::forget_script`].
    pub async fn run_before_each_page(&self, script: &str) -> Result<String> {
        use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
        let added = self
            .page
            .execute(AddScriptToEvaluateOnNewDocumentParams::new(script))
            .await?;
        Ok(added.result.identifier.inner().clone())
    }

    pub async fn forget_script(&self, id: &str) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::page::RemoveScriptToEvaluateOnNewDocumentParams;
        self.page
            .execute(RemoveScriptToEvaluateOnNewDocumentParams::new(
                id.to_string(),
            ))
            .await?;
        Ok(())
    }

    /// Moves this tab's clock (`Date.now()`, `new Date()`) `days` ahead for the
    /// pages it loads next, replacing an earlier move; returns the script's id.
    pub async fn set_clock_days_ahead(&self, days: i64, earlier: Option<&str>) -> Result<String> {
        if let Some(id) = earlier {
            self.forget_script(id).await?;
        }
        let offset = days * 86_400_000;
        self.run_before_each_page(&format!(
            "(() => {{ const Real = Date, offset = {offset}; \
             class Shifted extends Real {{ constructor(...a) {{ super(...(a.length ? a : [Real.now() + offset])); }} \
               static now() {{ return Real.now() + offset; }} }} \
             window.Date = Shifted; }})()"
        ))
        .await
    }

    /// Waits until the JavaScript expression `condition` is true.
    pub async fn wait_until(&self, what: &str, condition: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.eval(&format!("!!({condition})")).await.ok() == Some(Value::Bool(true)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("waited {WAIT:?} for {what} ({condition})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until no answer is pending in the widget's local-storage queue.
    pub async fn wait_for_empty_queue(&self) -> Result<()> {
        self.wait_until(
            "the queue to empty",
            "Object.keys(localStorage).every(k => !k.includes(':pending:'))",
        )
        .await
    }

    /// Waits for an element matching `selector` inside the widget.
    pub async fn wait_for(&self, selector: &str) -> Result<()> {
        self.wait_until(selector, &find(selector)).await
    }

    pub async fn exists(&self, selector: &str) -> Result<bool> {
        Ok(self.eval(&format!("{} !== null", find(selector))).await? == Value::Bool(true))
    }

    /// Clicks the element as a person would: a real mouse click at its centre.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for(selector).await?;
        self.click_found(&find(selector)).await
    }

    /// Clicks the element the JavaScript expression `element` finds.
    async fn click_found(&self, element: &str) -> Result<()> {
        let js = format!(
            "(() => {{ const e = {element}; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        );
        let xy: Vec<f64> = serde_json::from_value(self.eval(&js).await?)?;
        self.page.click(Point { x: xy[0], y: xy[1] }).await?;
        Ok(())
    }

    /// Focuses a field and types `text` into it through the browser's input pipeline.
    pub async fn type_into(&self, selector: &str, text: &str) -> Result<()> {
        self.click(selector).await?;
        self.page.execute(InsertTextParams::new(text)).await?;
        Ok(())
    }

    /// Waits for an element of the page itself (outside the widget), shown.
    pub async fn wait_for_in_page(&self, selector: &str) -> Result<()> {
        self.wait_until(
            selector,
            &format!("{}?.checkVisibility() === true", find_in_page(selector)),
        )
        .await
    }

    /// Clicks an element of the page itself (outside the widget), as a person would.
    pub async fn click_in_page(&self, selector: &str) -> Result<()> {
        self.wait_for_in_page(selector).await?;
        self.click_found(&find_in_page(selector)).await
    }

    /// Types `text` into a field of the page itself, replacing what it holds.
    pub async fn type_in_page(&self, selector: &str, text: &str) -> Result<()> {
        self.click_in_page(selector).await?;
        self.eval(&format!("{}.select()", find_in_page(selector)))
            .await?;
        self.page.execute(InsertTextParams::new(text)).await?;
        Ok(())
    }

    /// Picks `value` in a `<select>` of the page itself.
    pub async fn select_in_page(&self, selector: &str, value: &str) -> Result<()> {
        self.wait_for_in_page(selector).await?;
        self.eval(&format!(
            "(() => {{ const s = {}; s.value = {}; s.dispatchEvent(new Event('change', {{bubbles: true}})); }})()",
            find_in_page(selector),
            js_str(value)
        ))
        .await?;
        Ok(())
    }

    /// The value of a form field inside the widget.
    pub async fn value_of(&self, selector: &str) -> Result<String> {
        let v = self
            .eval(&format!("{}?.value ?? null", find(selector)))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    pub async fn attribute(&self, selector: &str, name: &str) -> Result<Option<String>> {
        let v = self
            .eval(&format!(
                "{}?.getAttribute({}) ?? null",
                find(selector),
                js_str(name)
            ))
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    pub async fn text(&self, selector: &str) -> Result<String> {
        let v = self
            .eval(&format!("{}?.textContent ?? ''", find(selector)))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Local-storage keys of the widget with this prefix (after `kept:v1:pk_demo:`).
    pub async fn storage_keys(&self, kind: &str) -> Result<Vec<String>> {
        let prefix = format!("kept:v1:{}:{kind}:", demo::PUBLIC_KEY);
        let js = format!(
            "Object.keys(localStorage).filter(k => k.startsWith({})).sort()",
            js_str(&prefix)
        );
        Ok(serde_json::from_value(self.eval(&js).await?)?)
    }

    /// Puts `answer` in this browser's queue of the demo shop as the widget
    /// queues one (`value`: what is stored for it, the answer as JSON unless
    /// given), to be sent by a later page.
    pub async fn queue_answer(&self, answer: &Answer, value: Option<&str>) -> Result<()> {
        let key = format!("kept:v1:{}:pending:{}", demo::PUBLIC_KEY, answer.id);
        match value {
            Some(value) => self.storage_set(&key, value).await,
            None => {
                self.storage_set(&key, &serde_json::to_string(answer)?)
                    .await
            }
        }
    }

    pub async fn storage_get(&self, key: &str) -> Result<Option<String>> {
        let v = self
            .eval(&format!("localStorage.getItem({})", js_str(key)))
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    pub async fn storage_set(&self, key: &str, value: &str) -> Result<()> {
        self.eval(&format!(
            "localStorage.setItem({}, {})",
            js_str(key),
            js_str(value)
        ))
        .await?;
        Ok(())
    }

    pub async fn reload(&self) -> Result<()> {
        self.page.reload().await?;
        Ok(())
    }

    /// Saves the page as it looks now to target/e2e-screenshots/NAME.png.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        self.page
            .save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
            .await?;
        // chromiumoxide clears the device metrics after a full-page shot: put the
        // size under test back.
        let viewport = *self.viewport.lock().expect("viewport lock");
        if let Some((width, height)) = viewport {
            self.set_viewport(width, height).await?;
        }
        Ok(path)
    }
}
