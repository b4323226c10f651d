//! The Kept server: serves survey definitions, ingests answer batches idempotently,
//! answers loyalty status, records purchases and reports to shop owners, on SQLite
//! (embedded) or PostgreSQL (several instances). It also serves the widget files,
//! a demo shop page, the kiosk page and the owner dashboard.

pub mod analytics;
pub mod at_risk;
mod audit_words;
pub mod calendar;
mod dashboard;
pub mod db;
pub mod demo;
mod http;
pub mod ingest;
pub mod kiosk;
pub mod links;
pub mod loyalty;
pub mod outbound;
pub mod owner;
mod pages;
mod places;
pub mod plan;
pub mod qr;
pub mod rate_limit;
pub mod report;
mod serve;
pub mod shops;
mod shortened;
pub mod signatures;
pub mod tokens;
pub mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use db::{Database, Db};
pub use http::{AppConfig, REQUEST_TIMEOUT, app, app_with, widget_dir_problem};
pub use serve::HEADER_READ_TIMEOUT;

/// How long `stop` waits for requests in flight before it cuts them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct ServerOptions {
    /// The store: a SQLite file path (created and migrated at start) or a
    /// `postgres://` URL.
    pub db: String,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The built widget (`widget/dist`), served under `/widget/`.
    pub widget_dir: Option<PathBuf>,
    /// Which addresses webhooks may be sent to (`outbound.rs`).
    pub webhook_receivers: outbound::Receivers,
}

/// A server serving in a background task until [`RunningServer::stop`].
pub struct RunningServer {
    addr: SocketAddr,
    db: Db,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
    /// Deletes free text past its shop's retention, while the server runs.
    sweeper: JoinHandle<()>,
    /// Sends the webhook deliveries that are due, while the server runs.
    deliverer: JoinHandle<()>,
    /// Looks for customers entering an at-risk segment, while the server runs.
    risk: JoinHandle<()>,
}

impl RunningServer {
    /// Opens the store named in `opts` and serves it.
    pub async fn start(opts: ServerOptions) -> anyhow::Result<RunningServer> {
        let db = db::open(&opts.db)
            .await
            .with_context(|| format!("opening the database {}", db::shown(&opts.db)))?;
        let config = AppConfig {
            widget_dir: opts.widget_dir,
            webhook_receivers: opts.webhook_receivers,
            ..AppConfig::default()
        };
        Self::serve_with(db, opts.listen, config, HEADER_READ_TIMEOUT).await
    }

    /// Serves an open store.
    pub async fn serve(
        db: Db,
        listen: SocketAddr,
        widget_dir: Option<PathBuf>,
    ) -> anyhow::Result<RunningServer> {
        let config = AppConfig {
            widget_dir,
            ..AppConfig::default()
        };
        Self::serve_with(db, listen, config, HEADER_READ_TIMEOUT).await
    }

    /// [`RunningServer::serve`] as `config` says, waiting `header_read` at most
    /// for a request's headers (on a new connection, or the next request on a
    /// kept-alive one).
    pub async fn serve_with(
        db: Db,
        listen: SocketAddr,
        config: AppConfig,
        header_read: Duration,
    ) -> anyhow::Result<RunningServer> {
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        let (timing, receivers) = (config.webhook_timing, config.webhook_receivers);
        let connections = serve::Connections::trusting(config.trusted_proxies.clone());
        let app = http::app_with(db.clone(), config);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve::serve(
            listener,
            app,
            header_read,
            connections,
            async move {
                let _ = stopped.await;
            },
        ));
        tracing::info!(%addr, engine = db.engine(), "kept-server listening");
        let sweeper = tokio::spawn(owner::privacy::sweep_expired_texts(db.clone()));
        let deliverer = tokio::spawn(webhooks::deliver_forever(db.clone(), timing, receivers));
        let risk = tokio::spawn(at_risk::look_forever(db.clone()));
        Ok(RunningServer {
            addr,
            db,
            shutdown,
            task,
            sweeper,
            deliverer,
            risk,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stops accepting, lets requests in flight finish (up to a grace period), and
    /// releases the port.
    pub async fn stop(self) {
        self.sweeper.abort();
        self.deliverer.abort();
        self.risk.abort();
        let _ = self.shutdown.send(());
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }

    /// Serves until `signal` resolves, then stops as [`RunningServer::stop`] does.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}
