//! Importing a customer base (CSV or JSON), with progress.
//!
//! `Content-Type: text/csv` or `application/json`. The answer is the import's
//! report: 200 when stored, 422 listing the bad rows when nothing was. With
//! `Accept: application/x-ndjson` the answer streams instead, one JSON object a
//! line: `{"stage":"checked","rows":N}`, then `{"stage":"writing","written":k,"rows":N}`
//! as purchases are written, and last `{"stage":"done","report":…}` or
//! `{"stage":"failed","status":422|409|…,"report"|"error":…}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use kept_shared::{ApiError, ErrorCode, ImportReport, ImportRowError};
use serde_json::json;
use tokio::sync::mpsc;

use crate::db::{Db, Shop};
use crate::http::error::Failure;
use crate::http::request_limits::import_body_refused;
use crate::http::streaming;
use crate::owner::import::{Format, ImportFailure, check_and_import};

fn format_of(headers: &HeaderMap) -> Result<Format, Failure> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("text/csv") {
        Ok(Format::Csv)
    } else if ct.starts_with("application/json") {
        Ok(Format::Json)
    } else {
        Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send the import as text/csv or application/json",
        ))
    }
}

pub async fn import(
    State(db): State<Db>,
    Extension(shop): Extension<Shop>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let format = format_of(&headers)?;
    let body = body.map_err(import_body_refused)?;
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    if !streaming {
        return Ok(
            match check_and_import(db, shop, body, format, |_| Arc::new(|_| {})).await {
                Ok(report) => Json(report).into_response(),
                Err(failure) => match failed(failure) {
                    (status, FailedBody::Report(report)) => (status, Json(report)).into_response(),
                    (status, FailedBody::Error(error)) => (status, Json(error)).into_response(),
                },
            },
        );
    }
    // The answer starts at once; the file is checked, then written, as it goes.
    let (lines, received) = mpsc::unbounded_channel::<serde_json::Value>();
    let progress_of = streaming::import_progress(lines.clone());
    tokio::spawn(async move {
        let last = match check_and_import(db, shop, body, format, progress_of).await {
            Ok(report) => json!({"stage": "done", "report": report}),
            Err(failure) => match failed(failure) {
                (status, FailedBody::Report(report)) => {
                    json!({"stage": "failed", "status": status.as_u16(), "report": report})
                }
                (status, FailedBody::Error(error)) => {
                    json!({"stage": "failed", "status": status.as_u16(), "error": error})
                }
            },
        };
        let _ = lines.send(last);
    });
    Ok(streaming::json_lines(received))
}

/// What a failed import answers.
enum FailedBody {
    /// The rows refused, or what an interrupted import stored (its row-0 error
    /// says why it stopped and how to finish).
    Report(ImportReport),
    /// The API's error: nothing was stored.
    Error(ApiError),
}

/// A failed import's status and answer.
fn failed(failure: ImportFailure) -> (StatusCode, FailedBody) {
    match failure {
        ImportFailure::Rows(report) => {
            (StatusCode::UNPROCESSABLE_ENTITY, FailedBody::Report(report))
        }
        ImportFailure::Conflicts(report) => (StatusCode::CONFLICT, FailedBody::Report(report)),
        ImportFailure::Store(e) => {
            let Failure(status, error) = Failure::from(e);
            (status, FailedBody::Error(error))
        }
        ImportFailure::Interrupted(mut report, e) => {
            let problem = ImportFailure::interrupted(&report, &e);
            let Failure(status, _) = Failure::from(e);
            report.errors.push(ImportRowError::new(0, None, problem));
            report.error_count += 1;
            (status, FailedBody::Report(report))
        }
    }
}
