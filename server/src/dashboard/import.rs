//! Importing an existing customer base from a CSV file: a plain upload form whose
//! answer is the outcome (every bad row named, or what was imported); with the
//! page's script, the file goes up as a stream and a progress bar follows it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kept_shared::{IgnoredField, ImportReport};
use maud::{Markup, html};
use serde_json::json;
use tokio::sync::mpsc;

use super::form_allowed;
use super::format;
use super::i18n::fill;
use super::import_problems;
use super::layout::{Section, shell};
use super::session::Session;
use crate::db::{Db, DbError, Progress};
use crate::http::{Failure, streaming};
use crate::owner::import::{Format, ImportFailure, check_and_import};

/// The file's columns the import did not read, each with the field it is
/// near, if any: a misspelt column's values are otherwise lost unnoticed.
fn not_read(session: &Session, ignored: &[IgnoredField]) -> Markup {
    let t = session.lang.texts();
    html! {
        @if !ignored.is_empty() {
            div class="notice" data-testid="import-ignored" {
                p { (t.import_ignored) }
                ul { @for f in ignored { li {
                    code { (f.name) }
                    @if let Some(like) = &f.like {
                        " — " (fill(t.import_ignored_like, &[("name", like)]))
                    }
                } } }
            }
        }
    }
}

/// The stores the file names that are not set up: their purchases are kept
/// under their ids, and the owner can give them names.
fn not_set_up(session: &Session, stores: &[String]) -> Markup {
    let t = session.lang.texts();
    html! {
        @if !stores.is_empty() {
            div class="notice" data-testid="import-unknown-stores" {
                p { (t.import_unknown_stores) }
                ul { @for s in stores { li { code { (s) } } } }
                p { a href="/dashboard/kiosks" { (t.kiosks) } }
            }
        }
    }
}

/// The outcome of an import, as the page shows it (also sent, rendered, to the script).
fn outcome(session: &Session, result: &Result<ImportReport, Failed>) -> Markup {
    let t = session.lang.texts();
    html! {
        @match result {
            Ok(r) => {
                div role="status" {
                    p class="status-message" {
                        @if r.imported == 0 && r.erased > 0 { (t.import_nothing_new_erased) }
                        @else if r.imported == 0 && r.duplicates > 0 { (t.import_nothing_new) }
                        @else { (t.import_done) }
                    }
                    dl class="facts" {
                        dt { (t.imported) } dd data-testid="imported" { (format::whole(r.imported)) }
                        dt { (t.duplicates) } dd data-testid="import-duplicates" { (format::whole(r.duplicates)) }
                        @if r.erased > 0 {
                            dt { (t.import_erased) } dd data-testid="import-erased" { (format::whole(r.erased)) }
                        }
                        dt { (t.customers) } dd { (format::whole(r.customers)) }
                    }
                    @if r.erased > 0 { p { (t.import_erased_why) } }
                    (not_read(session, &r.ignored))
                    (not_set_up(session, &r.unknown_stores))
                }
            }
            Err(failed) => {
                div class="errors" role="alert" {
                    @if failed.interrupted {
                        h2 { (t.import_interrupted) }
                        dl class="facts" {
                            dt { (t.imported) } dd data-testid="imported" { (format::whole(failed.report.imported)) }
                            dt { (t.duplicates) } dd data-testid="import-duplicates" { (format::whole(failed.report.duplicates)) }
                            @if failed.report.erased > 0 {
                                dt { (t.import_erased) } dd data-testid="import-erased" { (format::whole(failed.report.erased)) }
                            }
                        }
                    } @else {
                        h2 { (t.import_failed) }
                    }
                    @if !failed.message.is_empty() { p { (failed.message) } }
                    @if !failed.report.errors.is_empty() {
                        @if failed.report.error_count > failed.report.errors.len() as u64 {
                            p data-testid="import-errors-listed" {
                                (fill(t.import_problems_listed, &[
                                    ("count", &format::whole(failed.report.error_count)),
                                    ("listed", &format::whole(failed.report.errors.len() as u64)),
                                ]))
                            }
                        }
                        // Two columns, the field named in its problem: a phone's
                        // width left a third column too narrow for its words
                        // (Ukrainian "роздільником" had broken after its tenth letter).
                        div class="table-wrap" { table class="problems" {
                            thead { tr { th scope="col" { (t.row) } th scope="col" { (t.problem) } } }
                            tbody { @for e in &failed.report.errors { tr data-testid="import-error" {
                                td { (e.row) }
                                td {
                                    @if let Some(field) = &e.field { span class="field" { (field) } ": " }
                                    (import_problems::describe(session.lang, &e.problem))
                                }
                            } } }
                        } }
                    }
                    (not_read(session, &failed.report.ignored))
                    (not_set_up(session, &failed.report.unknown_stores))
                }
            }
        }
    }
}

fn form(session: &Session, result: Option<Markup>) -> Markup {
    let t = session.lang.texts();
    html! {
        p class="intro" { (t.import_intro) }
        form method="post" action="/dashboard/import" enctype="multipart/form-data" data-import data-cut-off=(t.import_cut_off) {
            input type="hidden" name="csrf" value=(session.csrf);
            p { label { (t.file) input type="file" name="file" accept=".csv,text/csv" required; } }
            p { button type="submit" { (t.import_button) } }
        }
        div id="import-progress" hidden aria-live="polite" {
            progress max="1" value="0" {}
            span data-progress-text {}
        }
        div id="import-result" tabindex="-1" { @if let Some(r) = result { (r) } }
    }
}

pub async fn page(session: Session) -> Response {
    let t = session.lang.texts();
    shell(&session, Section::Import, t.import, form(&session, None))
}

/// An import that did not finish, as the page tells it.
struct Failed {
    status: StatusCode,
    /// The rows refused, or what an interrupted import stored.
    report: ImportReport,
    /// The store's error, if that was the cause.
    message: String,
    /// Whether some of the file was stored.
    interrupted: bool,
}

/// Checks and imports `body`; once checked, `progress_of(rows)` gives what hears
/// the purchases written.
async fn run(
    db: &Db,
    session: &Session,
    body: Bytes,
    progress_of: impl FnOnce(u64) -> Progress + Send + 'static,
) -> Result<ImportReport, Failed> {
    let lang = session.lang;
    let store_failed = |e: DbError| {
        let message = import_problems::why_stopped(lang, &e);
        let Failure(status, _) = Failure::from(e);
        Failed {
            status,
            report: ImportReport::default(),
            message,
            interrupted: false,
        }
    };
    check_and_import(
        db.clone(),
        session.shop.clone(),
        body,
        Format::Csv,
        progress_of,
    )
    .await
    .map_err(|failure| match failure {
        ImportFailure::Rows(report) => Failed {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            report,
            message: String::new(),
            interrupted: false,
        },
        ImportFailure::Conflicts(report) => Failed {
            status: StatusCode::CONFLICT,
            report,
            message: String::new(),
            interrupted: false,
        },
        ImportFailure::Store(e) => store_failed(e),
        ImportFailure::Interrupted(report, e) => Failed {
            report,
            interrupted: true,
            ..store_failed(e)
        },
    })
}

/// The form's upload (multipart), or the script's (the CSV itself, answered with
/// the progress as NDJSON and the outcome rendered in its last line).
pub async fn upload(
    State(db): State<Db>,
    session: Session,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Failure> {
    let t = session.lang.texts();
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/x-ndjson"));
    if streaming {
        let token = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !form_allowed(&session, &headers, token) {
            return Ok(StatusCode::FORBIDDEN.into_response());
        }
        let body = Bytes::from_request(request, &db)
            .await
            .map_err(crate::http::request_limits::import_body_refused)?;
        let (lines, received) = mpsc::unbounded_channel::<serde_json::Value>();
        let progress_of = streaming::import_progress(lines.clone());
        tokio::spawn(async move {
            let result = run(&db, &session, body, progress_of).await;
            let html = outcome(&session, &result).into_string();
            let _ = lines.send(
                json!({"stage": if result.is_ok() { "done" } else { "failed" }, "html": html}),
            );
        });
        return Ok(streaming::json_lines(received));
    }
    let mut multipart = Multipart::from_request(request, &db)
        .await
        .map_err(|e| Failure::bad_request(e.body_text()))?;
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| Failure::bad_request(e.body_text()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|e| Failure::bad_request(e.body_text()))?,
                )
            }
            _ => {}
        }
    }
    if !form_allowed(&session, &headers, &csrf) {
        return Ok(super::expired(&session));
    }
    let result = run(&db, &session, file.unwrap_or_default(), |_| {
        Arc::new(|_| {})
    })
    .await;
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(failed) => failed.status,
    };
    let mut resp = shell(
        &session,
        Section::Import,
        t.import,
        form(&session, Some(outcome(&session, &result))),
    );
    *resp.status_mut() = status;
    Ok(resp)
}
