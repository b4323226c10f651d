//! The Kept server: serves survey definitions, ingests answer batches idempotently,
//! answers loyalty status, records purchases and reports to shop owners, all on an
//! embedded SQLite file. It also serves the widget files, a demo shop page, the
//! kiosk page and the owner dashboard.

pub mod auth;
pub mod demo;
mod http;
mod pages;
pub mod report;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use store::Store;

/// How long `stop` waits for requests in flight before it cuts them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct ServerOptions {
    /// The SQLite file; created, and migrated to the current schema, at start.
    pub db: PathBuf,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The built widget (`widget/dist`), served under `/widget/`.
    pub widget_dir: Option<PathBuf>,
}

/// A server serving in a background task until [`RunningServer::stop`].
pub struct RunningServer {
    addr: SocketAddr,
    store: Store,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub async fn start(opts: ServerOptions) -> anyhow::Result<RunningServer> {
        let db = opts.db.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&db))
            .await?
            .with_context(|| format!("opening the database {}", opts.db.display()))?;
        let listener = TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("listening on {}", opts.listen))?;
        let addr = listener.local_addr()?;
        let app = http::router(store.clone(), opts.widget_dir);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, "kept-server listening");
        Ok(RunningServer {
            addr,
            store,
            shutdown,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops accepting, lets requests in flight finish (up to a grace period), and
    /// releases the port.
    pub async fn stop(self) {
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

    /// Splits off the shutdown trigger, so a signal handler can stop a server that `wait`s.
    pub fn into_parts(self) -> (ShutdownHandle, RunningServerTask) {
        (ShutdownHandle(self.shutdown), RunningServerTask(self.task))
    }
}

pub struct ShutdownHandle(oneshot::Sender<()>);

impl ShutdownHandle {
    pub fn shutdown(self) {
        let _ = self.0.send(());
    }
}

pub struct RunningServerTask(JoinHandle<std::io::Result<()>>);

impl RunningServerTask {
    pub async fn wait(self) -> anyhow::Result<()> {
        Ok(self.0.await??)
    }
}
