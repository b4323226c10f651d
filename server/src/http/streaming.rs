//! Answers sent as they are made: CSV exports a page at a time, an import's
//! progress as JSON lines.

use std::convert::Infallible;

use axum::BoxError;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// A body of what `stream` yields. Fused: the compression layer polls a body once
/// more after its end, which a stream need not survive (an `unfold` panics, and
/// the compressed answer is cut short); fused, it says "ended" again.
pub fn body<S, E>(stream: S) -> Body
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Into<BoxError>,
{
    Body::from_stream(stream.fuse())
}

/// `application/x-ndjson`: the objects `received` gives, one a line, each sent as
/// it comes, ending when the work drops its sender.
pub fn json_lines(received: UnboundedReceiver<serde_json::Value>) -> Response {
    let stream = futures_util::stream::unfold(received, |mut received| async move {
        let line = received.recv().await?;
        Some((
            Ok::<_, Infallible>(Bytes::from(format!("{line}\n"))),
            received,
        ))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        body(stream),
    )
        .into_response()
}

/// An import's progress as lines: `{"stage":"checked","rows":N}` once the file
/// is checked, then `{"stage":"writing","written":k,"rows":N}` as it is written
/// (the owner API's and the dashboard's alike). Given to
/// [`crate::owner::import::check_and_import`].
pub fn import_progress(
    lines: UnboundedSender<serde_json::Value>,
) -> impl FnOnce(u64) -> crate::db::Progress + Send + 'static {
    move |rows| {
        let _ = lines.send(serde_json::json!({"stage": "checked", "rows": rows}));
        std::sync::Arc::new(move |written| {
            let _ = lines
                .send(serde_json::json!({"stage": "writing", "written": written, "rows": rows}));
        })
    }
}
