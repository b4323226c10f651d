//! The server's test fixture: a fresh store on either engine with the demo shop,
//! the app called in-process (`tower::ServiceExt::oneshot`), or the real server on
//! a loopback port, or the real `kept-server` process.
//!
//! PostgreSQL tests run on the throw-away cluster of `scripts/pg-test-cluster.sh`:
//! `scripts/test.sh` starts it and sets `KEPT_TEST_POSTGRES`; without that, the
//! first test starts it (and leaves it running for the next `cargo test`; stop it
//! with `scripts/pg-test-cluster.sh stop`). Each test gets a database of its own.

#![allow(dead_code)]

mod store;

pub use store::{Engine, fresh_db_url};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use kept_server::db::Db;
use kept_server::outbound::Receivers;
use kept_server::{AppConfig, RunningServer, demo};
use kept_shared::{Answer, ApiError, SyncBatch, SyncReceipt, api};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tempfile::TempDir;
use tower::ServiceExt;

/// The shop site allowed to embed the demo shop's widget in these tests.
pub const ORIGIN: &str = "https://shop.example.com";

/// Runs each named `async fn name(app: TestApp)` once per engine, as
/// `sqlite::name` and `postgres::name`.
#[allow(unused_macros)]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::TestApp::new(crate::common::Engine::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::TestApp::new(crate::common::Engine::Postgres).await).await
                }
            )*
        }
    };
}

/// The session cookie a dashboard sign-in set, checked for its attributes.
pub fn session_cookie(reply: &Reply) -> String {
    let set = reply.header("set-cookie").expect("a cookie");
    assert!(
        set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
            && set.contains("Path=/dashboard"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// Signs in to the dashboard: the session cookie and the CSRF token its forms carry.
pub async fn sign_in(app: &TestApp) -> (String, String) {
    let reply = app
        .raw(
            Method::POST,
            "/dashboard/login",
            &[
                ("host", "kept.test"),
                ("origin", "http://kept.test"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            format!("shop=demo&token={}", demo::OWNER_TOKEN),
        )
        .await;
    let cookie = session_cookie(&reply);
    let page = app
        .get_with("/dashboard/surveys", &[("cookie", &cookie)])
        .await;
    (cookie, csrf_in(std::str::from_utf8(&page.body).unwrap()))
}

/// The CSRF token a dashboard page's forms echo.
pub fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// Posts a dashboard form as the signed-in owner's browser does (same origin,
/// the session cookie).
pub async fn dashboard_post(app: &TestApp, cookie: &str, path: &str, body: String) -> Reply {
    app.raw(
        Method::POST,
        path,
        &[
            ("host", "kept.test"),
            ("origin", "http://kept.test"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie),
        ],
        body,
    )
    .await
}

/// The demo shop's loyalty route for `customer`, signed as the shop's page signs it.
pub fn signed_loyalty(customer: &str) -> String {
    use kept_server::signatures::{Signed, sign};
    format!(
        "{}?sig={}",
        api::loyalty(demo::PUBLIC_KEY, customer),
        sign(demo::WIDGET_SECRET, Signed::Customer, customer)
    )
}

/// A fresh store with the demo shop (its widget allowed on [`ORIGIN`]), and the app over it.
pub struct TestApp {
    pub engine: Engine,
    pub db: Db,
    pub db_url: String,
    pub app: Router,
    _dir: Option<TempDir>,
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not the JSON expected ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The API error of a failed request.
    pub fn error(&self) -> ApiError {
        assert!(
            !self.status.is_success(),
            "expected an error, got {}",
            self.status
        );
        self.json()
    }

    /// Asserts the request succeeded with `200 OK`, showing the body if not.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// The same store behind an app configured as `config` says.
    pub fn with_config(mut self, config: AppConfig) -> TestApp {
        self.app = kept_server::app_with(self.db.clone(), config);
        self
    }

    pub async fn new(engine: Engine) -> TestApp {
        let (db_url, dir) = fresh_db_url(engine).await;
        let db = kept_server::db::open(&db_url).await.unwrap();
        demo::seed(db.as_ref(), &[ORIGIN.to_string()])
            .await
            .unwrap();
        TestApp {
            engine,
            // The tests' webhook receivers listen on loopback.
            app: kept_server::app_with(
                db.clone(),
                AppConfig {
                    webhook_receivers: Receivers::Any,
                    ..AppConfig::default()
                },
            ),
            db,
            db_url,
            _dir: dir,
        }
    }

    /// A second shop beside the demo, `id` in `time_zone`, named as its id
    /// is, with the standard tiers and surveys; its keys.
    #[allow(dead_code)]
    pub async fn add_shop(
        &self,
        id: &str,
        time_zone: chrono_tz::Tz,
    ) -> kept_server::shops::ShopKeys {
        kept_server::shops::create(
            self.db.as_ref(),
            kept_server::shops::ShopSpec {
                id: id.into(),
                name: id.into(),
                origins: vec![],
                tiers: kept_server::shops::default_tiers(),
                points_per_unit: 1,
                time_zone,
                keys: None,
            },
        )
        .await
        .unwrap()
    }

    /// Sends `req` to the app in-process.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends `req` to the app in-process; the status, and the body as it streams.
    pub async fn send_streaming(
        &self,
        req: Request<Body>,
    ) -> (StatusCode, axum::body::BodyDataStream) {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        (resp.status(), resp.into_body().into_data_stream())
    }

    /// GET `rest` of the demo shop's owner API, as its owner, read as it streams.
    pub async fn owner_streaming(&self, rest: &str) -> (StatusCode, axum::body::BodyDataStream) {
        self.send_streaming(
            Request::get(api::owner(demo::SHOP_ID, rest))
                .header("authorization", format!("Bearer {}", demo::OWNER_TOKEN))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// `method` on `path` with a raw body and headers.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    pub async fn post_json<T: Serialize>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &T,
    ) -> Reply {
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(
            req.body(Body::from(serde_json::to_vec(body).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// Posts a raw body to the demo shop's answers route.
    pub async fn post_answers_raw(&self, body: impl Into<Body>) -> Reply {
        self.raw(
            Method::POST,
            &api::answers(demo::PUBLIC_KEY),
            &[("content-type", "application/json")],
            body,
        )
        .await
    }

    /// Sends answers to the demo shop; the batch must be accepted (200).
    pub async fn send_answers(&self, answers: &[Answer]) -> SyncReceipt {
        let reply = self
            .post_json(
                &api::answers(demo::PUBLIC_KEY),
                None,
                &SyncBatch {
                    answers: answers.to_vec(),
                },
            )
            .await;
        reply.assert_ok();
        reply.json()
    }

    /// GET `rest` of the demo shop's owner API, as its owner.
    pub async fn owner_reply(&self, rest: &str) -> Reply {
        self.get_with(
            &api::owner(demo::SHOP_ID, rest),
            &[("authorization", &format!("Bearer {}", demo::OWNER_TOKEN))],
        )
        .await
    }

    /// GET `rest` of the demo shop's owner API, which must answer 200 with `T`.
    pub async fn owner_get<T: DeserializeOwned>(&self, rest: &str) -> T {
        let reply = self.owner_reply(rest).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{rest}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }

    /// `csv` imported into the demo shop through the owner API, answered as
    /// one JSON document.
    pub async fn import(&self, csv: impl Into<Vec<u8>>) -> Reply {
        self.owner_send(
            Method::POST,
            "import",
            "text/csv",
            csv.into(),
            "application/json",
        )
        .await
    }

    /// Imports `csv` into the demo shop, which must take it whole.
    pub async fn import_csv(&self, csv: String) {
        self.import(csv).await.assert_ok();
    }

    /// `method` on `rest` of the demo shop's owner API, as its owner.
    pub async fn owner_send(
        &self,
        method: Method,
        rest: &str,
        content_type: &str,
        body: Vec<u8>,
        accept: &str,
    ) -> Reply {
        self.raw(
            method,
            &api::owner(demo::SHOP_ID, rest),
            &[
                ("authorization", &format!("Bearer {}", demo::OWNER_TOKEN)),
                ("content-type", content_type),
                ("accept", accept),
            ],
            body,
        )
        .await
    }

    /// The owner report of the demo shop for `query`.
    pub async fn report_reply(&self, shop: &str, token: &str, query: &str) -> Reply {
        self.get_with(
            &format!("{}?{query}", api::report(shop)),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await
    }

    pub async fn report(&self, query: &str) -> kept_shared::Report {
        let reply = self
            .report_reply(demo::SHOP_ID, demo::OWNER_TOKEN, query)
            .await;
        reply.assert_ok();
        reply.json()
    }

    pub async fn purchase(
        &self,
        token: &str,
        shop: &str,
        p: &kept_shared::RecordPurchase,
    ) -> Reply {
        self.post_json(&api::purchases(shop), Some(token), p).await
    }

    /// Changes one of the demo shop's surveys through the owner API, as `edit` says.
    pub async fn edit_demo_survey(
        &self,
        id: &str,
        edit: impl FnOnce(&mut kept_shared::SurveyDefinition),
    ) {
        let owner = [
            ("authorization", format!("Bearer {}", demo::OWNER_TOKEN)),
            ("content-type", "application/json".to_string()),
        ];
        let owner: Vec<(&str, &str)> = owner.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut definition = self
            .get_with(&api::owner(demo::SHOP_ID, "surveys"), &owner)
            .await
            .json::<Vec<kept_shared::SurveyDefinition>>()
            .into_iter()
            .find(|d| d.survey.id == id)
            .unwrap_or_else(|| panic!("the demo shop has no survey {id}"));
        edit(&mut definition);
        let path = api::owner(demo::SHOP_ID, &format!("surveys/{id}"));
        let put = self
            .raw(
                Method::PUT,
                &path,
                &owner,
                serde_json::to_vec(&definition).unwrap(),
            )
            .await;
        put.assert_ok();
    }

    /// Every stored answer of the demo shop.
    pub async fn stored(&self) -> Vec<Answer> {
        self.db
            .answers(demo::SHOP_ID)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.answer)
            .collect()
    }

    /// The real server over this store, on a loopback port.
    pub async fn serve(&self) -> RunningServer {
        RunningServer::serve_with(
            self.db.clone(),
            "127.0.0.1:0".parse().unwrap(),
            AppConfig {
                webhook_receivers: Receivers::Any,
                ..AppConfig::default()
            },
            kept_server::HEADER_READ_TIMEOUT,
        )
        .await
        .unwrap()
    }
}

/// The real `kept-server` program, started on a store and a loopback port.
pub struct KeptProcess {
    pub child: tokio::process::Child,
    pub url: String,
    pub port: u16,
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl KeptProcess {
    /// Starts `kept-server` on `db` (with the demo shop, without its history) and
    /// `port`, and waits until it answers.
    pub async fn start(db: &str, port: u16) -> KeptProcess {
        {
            let store = kept_server::db::open(db).await.unwrap();
            demo::seed(store.as_ref(), &[]).await.unwrap();
        }
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kept-server"))
            .args(["--db", db, "--listen", &format!("127.0.0.1:{port}")])
            .args(["--widget-dir", "/nonexistent"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("starting kept-server");
        let url = format!("http://127.0.0.1:{port}");
        let ready = format!("{url}{}", api::surveys(demo::PUBLIC_KEY));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(resp) = reqwest::get(&ready).await
                && resp.status().is_success()
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "kept-server did not answer on {url} within a minute"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        KeptProcess { child, url, port }
    }

    /// `kill -9`: no shutdown, no flush, nothing.
    pub async fn kill_9(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    pub async fn stop(mut self) {
        // SIGTERM: the server's graceful shutdown.
        let pid = self.child.id().unwrap() as i32;
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
        self.child.wait().await.unwrap();
    }
}
