//! The connection loop: accepts TCP connections and serves the app on each, over
//! HTTP/1.1 or HTTP/2, with the timeouts a public server needs, and shuts down
//! gracefully. Written out (rather than `axum::serve`) for the header-read timeout:
//! a client that opens a connection and never sends, or never finishes, its first
//! request's headers would otherwise hold it, and a task, forever.

use std::net::{IpAddr, Ipv6Addr};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::places::{Place, Places};

/// Longest a client may take to send a request's headers (on a new connection, or
/// between requests on a kept-alive one).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle HTTP/2 connection is pinged, and how long a ping may go unanswered.
const HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Most connections one client may hold open at once: a browser opens six to
/// a server, a busy office behind one address a few dozen. One client opening
/// thousands (an outside test held 28 000) would otherwise take the server's
/// file descriptors from everyone.
pub const CONNECTIONS_PER_CLIENT: u32 = 256;

/// The open connections of each client; the reverse proxies the server
/// trusts (every client's connections come from them) are not counted.
#[derive(Clone, Default)]
pub struct Connections {
    open: Places<IpAddr>,
    proxies: Arc<Vec<IpAddr>>,
}

/// Who a peer address is, for counting: an IPv4 address as itself (also as
/// a dual-stack listener sees it, `::ffff:a.b.c.d`), an IPv6 address by its
/// /64, which one client (one home, one host) holds whole.
fn client_of(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

impl Connections {
    pub fn trusting(proxies: Vec<IpAddr>) -> Connections {
        Connections {
            proxies: Arc::new(proxies.into_iter().map(|p| p.to_canonical()).collect()),
            ..Connections::default()
        }
    }

    /// A place for a new connection from `peer` (none needed for a trusted
    /// proxy), or `Err` when its client holds its most.
    fn admit(&self, peer: IpAddr) -> Result<Option<Place<IpAddr>>, ()> {
        if self.proxies.contains(&peer.to_canonical()) {
            return Ok(None);
        }
        self.open
            .take(&client_of(peer), CONNECTIONS_PER_CLIENT)
            .map(Some)
            .ok_or(())
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the requests in
/// flight finish (the caller bounds how long it waits for that).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    connections: Connections,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Closed at once: the client holds its most already.
        let Ok(admitted) = connections.admit(remote.ip()) else {
            tracing::debug!(%remote, "refused: {CONNECTIONS_PER_CLIENT} connections open");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _admitted = admitted;
            // The first request must arrive within the header timeout. hyper's
            // own timeout guards HTTP/1 headers once it reads them, but not the
            // step before, where the connection's first bytes are read to tell
            // HTTP/1 from HTTP/2: a client that sends nothing, or one byte of
            // HTTP/2's preface, would hold its socket and this task for ever
            // (enough of them exhaust the server's file descriptors).
            let first_request = Arc::new(Notify::new());
            let arrived = first_request.clone();
            let service = app.map_request(move |mut req: axum::http::Request<Incoming>| {
                arrived.notify_one();
                req.extensions_mut().insert(ConnectInfo(remote));
                req.map(axum::body::Body::new)
            });
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(HTTP2_KEEP_ALIVE)
                .keep_alive_timeout(HTTP2_KEEP_ALIVE);
            let conn =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let mut conn = pin!(conn);
            let mut too_late = pin!(tokio::time::sleep(header_read_timeout));
            let mut started = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%remote, "connection ended: {e}");
                        }
                        break;
                    }
                    () = first_request.notified(), if !started => started = true,
                    () = &mut too_late, if !started => break,
                    _ = stop.changed() => conn.as_mut().graceful_shutdown(),
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection task holds a receiver: wait until they have all ended.
    // This loop's own, which they were cloned from, goes first, or the wait
    // would last until the caller's grace ran out even with no connection.
    drop(stop_rx);
    stop_tx.closed().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Stopped, the loop ends as soon as its connections have: at once when
    /// none is open, and an idle kept-alive one is closed, not waited for.
    /// (Bounded only so that a regression fails rather than hangs.)
    #[tokio::test]
    async fn it_ends_once_its_connections_have_not_when_the_grace_runs_out() {
        for idle_connection in [false, true] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let served = tokio::spawn(serve(
                listener,
                app,
                HEADER_READ_TIMEOUT,
                Connections::default(),
                async {
                    let _ = stopped.await;
                },
            ));
            let mut kept_alive = None;
            if idle_connection {
                let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
                c.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut answer = [0u8; 12];
                c.read_exact(&mut answer).await.unwrap();
                assert_eq!(&answer, b"HTTP/1.1 200");
                kept_alive = Some(c);
            }
            stop.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(60), served)
                .await
                .expect("the loop ended")
                .unwrap();
            drop(kept_alive);
        }
    }

    /// One client holds at most its share of connections: the next one is
    /// closed at once, and a place comes back as one of its connections ends;
    /// a trusted proxy (everyone's connections) is not counted.
    #[tokio::test]
    async fn one_client_holds_at_most_its_share_of_connections() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let connections = Connections::default();
        let served = tokio::spawn(serve(
            listener,
            app,
            HEADER_READ_TIMEOUT,
            connections.clone(),
            async {
                let _ = stopped.await;
            },
        ));
        let ask = async |c: &mut tokio::net::TcpStream| -> bool {
            if c.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .is_err()
            {
                return false;
            }
            let mut answer = [0u8; 12];
            c.read_exact(&mut answer).await.is_ok() && &answer == b"HTTP/1.1 200"
        };
        let mut held = Vec::new();
        for _ in 0..CONNECTIONS_PER_CLIENT {
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            assert!(ask(&mut c).await);
            held.push(c);
        }
        let mut one_more = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(
            !ask(&mut one_more).await,
            "a connection past the share was served"
        );
        // One ends: its place is free again (once the server has seen it end).
        drop(held.pop());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            if ask(&mut c).await {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the place never came back"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // A proxy the server trusts is not counted.
        // As a dual-stack listener sees it too.
        let proxy = Connections::trusting(vec!["10.0.0.1".parse().unwrap()]);
        for peer in ["10.0.0.1", "::ffff:10.0.0.1"] {
            let places: Vec<_> = (0..CONNECTIONS_PER_CLIENT + 1)
                .map(|_| proxy.admit(peer.parse().unwrap()))
                .collect();
            assert!(places.iter().all(Result::is_ok), "{peer}");
        }
        // An IPv6 client is its /64: another address of it is no new client.
        let v6 = Connections::default();
        let places: Vec<_> = (0..CONNECTIONS_PER_CLIENT)
            .map(|i| v6.admit(format!("2001:db8:1:2::{i:x}").parse().unwrap()))
            .collect();
        assert!(places.iter().all(Result::is_ok));
        assert!(v6.admit("2001:db8:1:2:ffff::1".parse().unwrap()).is_err());
        assert!(v6.admit("2001:db8:1:3::1".parse().unwrap()).is_ok());
        // An IPv4 client counted alike however the listener writes it.
        let v4 = Connections::default();
        let places: Vec<_> = (0..CONNECTIONS_PER_CLIENT)
            .map(|_| v4.admit("192.0.2.7".parse().unwrap()))
            .collect();
        assert!(places.iter().all(Result::is_ok));
        assert!(v4.admit("::ffff:192.0.2.7".parse().unwrap()).is_err());
        stop.send(()).unwrap();
        drop(held);
        drop(one_more);
        tokio::time::timeout(Duration::from_secs(60), served)
            .await
            .expect("the loop ended")
            .unwrap();
    }
}
