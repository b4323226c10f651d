//! The harness of the end-to-end tests: a real Kept server on a fresh database, a
//! "shop website" on another origin that embeds the widget with its one script tag,
//! and headless Chromium driven over the DevTools protocol.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::layout::Point;
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
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
        if !dist.join("kept-widget_bg.wasm").exists() {
            bail!(
                "the widget is not built at {}: run scripts/build-widget.sh first",
                dist.display()
            );
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
        })
        .await?;
        let api_addr = api.addr();
        demo::seed(api.db().as_ref(), &[format!("http://{shop}")]).await?;

        let app = Router::new()
            .route("/", axum::routing::get(shop_page))
            .nest_service("/kept", ServeDir::new(dist))
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
        let query: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("http://{}/?{}", self.shop, query.join("&"))
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
        let opts = ServerOptions {
            db: self.db.to_string_lossy().into_owned(),
            listen: self.api_addr,
            widget_dir: Some(widget_dist()),
        };
        self.api = Some(RunningServer::start(opts).await?);
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

    pub async fn open(&self, url: &str) -> Result<Widget> {
        let page = self
            .browser
            .new_page(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(Widget { page })
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.browser_task.abort();
        self.shop_task.abort();
        self.stop_api().await;
    }
}

/// The shop's "order confirmed" page, with the widget's one script tag.
async fn shop_page(
    State(api): State<String>,
    Query(attrs): Query<std::collections::BTreeMap<String, String>>,
) -> Html<String> {
    let attrs: String = attrs
        .iter()
        .map(|(k, v)| format!(r#" data-{k}="{v}""#))
        .collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Order confirmed</title></head>
<body><h1>Thank you for your order!</h1><p>Order #1001 is on its way.</p>
<script src="/kept/kept.js" defer data-api="{api}" data-key="{key}"{attrs}></script>
</body></html>"#,
        key = demo::PUBLIC_KEY
    ))
}

/// A page with the widget, reached through its open shadow root.
pub struct Widget {
    pub page: Page,
}

/// JavaScript that finds `selector` inside the widget's shadow root (or null).
fn find(selector: &str) -> String {
    format!(
        "(document.querySelector('.kept-host')?.shadowRoot?.querySelector({}) ?? null)",
        js_str(selector)
    )
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

impl Widget {
    pub async fn eval(&self, js: &str) -> Result<Value> {
        let result = self
            .page
            .evaluate(js)
            .await
            .with_context(|| format!("evaluating {js}"))?;
        Ok(result.value().cloned().unwrap_or(Value::Null))
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
        let js = format!(
            "(() => {{ const e = {}; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            find(selector)
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
        Ok(path)
    }
}
