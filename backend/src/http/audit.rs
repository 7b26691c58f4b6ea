//! `/audit/access`: the access audit ([`crate::audit`]) as NDJSON (streamed), JSON or CSV.
//! This file only adapts the audit's messages to those formats, and hands an unfiltered
//! audit's messages to access history ([`crate::history`]) to be kept as a snapshot.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use json::{AuditFailure, AuditMessage, MemberStatus};
use serde::Deserialize;
use tokio::time::Instant;
use tower_sessions::Session;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{Error, Result};
use super::extract::Query;
use super::session::CurrentUser;
use crate::audit::{self, Audit, Messages, RowFilter};
use crate::history::{History, Recorder};

/// While the audit has nothing new to say, the stream repeats its progress this often, so
/// that a client that went away is noticed (by the failed write) and the audit stopped.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// How long a new audit waits for the session's running one to end (its client just left,
/// as when the UI restarts an audit for a new filter) before it is refused.
const CLAIM_PATIENCE: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(access))
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// One `AuditMessage` per line, as results arrive.
    #[default]
    Ndjson,
    Json,
    Csv,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Params {
    /// One region; every region offered when absent.
    region: Option<String>,
    /// Owner project id.
    owner: Option<String>,
    /// Member project id.
    member: Option<String>,
    status: Option<MemberStatus>,
    /// `ndjson` (default, streamed), `json` or `csv`.
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

#[utoipa::path(
    get,
    path = "/audit/access",
    tag = "audit",
    params(Params),
    responses(
        (status = 200, description = "The access audit: NDJSON (`format=ndjson`, streamed `AuditMessage`s), JSON or CSV.", content((json::AuditMessage = "application/x-ndjson"), (json::AccessAudit = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 409, description = "`audit_running`: this session already runs an audit", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn access(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Query(params): Query<Params>,
) -> Result<Response> {
    // The streamed audit has a bound of its own (`audit_timeout_secs`); a JSON or CSV one
    // answers at once, within `request_timeout_secs` as every request.
    let deadline = Instant::now() + app.config.audit_timeout;
    let regions: Vec<(String, String)> = match &params.region {
        None => user.regions().to_vec(),
        Some(wanted) => {
            user.glance(&app, Some(wanted))?; // unknown_region when it is not offered
            user.regions()
                .iter()
                .filter(|(r, _)| r == wanted)
                .cloned()
                .collect()
        }
    };
    let key = session
        .id()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a signed-in session without an id")))?;
    let claim = app
        .running_audits
        .claim(key.to_string(), CLAIM_PATIENCE)
        .await
        .ok_or(Error::AuditRunning)?;
    let projects: Vec<_> = user
        .project_tokens(&app, &session)
        .await?
        .into_iter()
        .map(|(project, token)| (project, token.map_err(|e| e.body())))
        .collect();
    // Only a whole audit (every row of its regions) is a snapshot: a filtered one compared
    // with it would show every row it left out as removed.
    let whole = params.owner.is_none() && params.member.is_none() && params.status.is_none();
    let recording = whole.then(|| Recording {
        history: app.history.clone(),
        recorder: Recorder::new(
            user.data.user.id.clone(),
            regions.iter().map(|(r, _)| r.clone()).collect(),
            projects.iter().map(|(p, _)| p.clone()).collect(),
        ),
    });
    let messages = Audit {
        http: app.http.clone(),
        page_size: app.config.glance_page_size,
        concurrency: app.config.concurrency,
        glance_calls: app.audit_glance_calls.clone(),
        regions,
        projects,
        filter: RowFilter {
            owner: params.owner,
            member: params.member,
            status: params.status,
        },
        directory: app.directory.clone(),
    }
    .start(claim, |failure| Error::from(failure).body());

    match params.format {
        Format::Ndjson => Ok((
            [
                (header::CONTENT_TYPE, "application/x-ndjson"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Body::from_stream(ndjson(
                messages,
                recording,
                deadline,
                app.config.audit_timeout,
            )),
        )
            .into_response()),
        Format::Json | Format::Csv => {
            let mut result = json::AccessAudit::default();
            let mut messages = messages;
            let mut recording = recording;
            while let Some(msg) = messages.next().await {
                if let Some(r) = &mut recording {
                    r.see(&msg).await;
                }
                match msg {
                    AuditMessage::Rows { rows } => result.rows.extend(rows),
                    AuditMessage::Failure { failure } => result.failures.push(failure),
                    AuditMessage::Progress { .. } | AuditMessage::Done { .. } => {}
                }
            }
            audit::sort_rows(&mut result.rows);
            if params.format == Format::Json {
                Ok((
                    [(header::CONTENT_TYPE, "application/json")],
                    json_body(result),
                )
                    .into_response())
            } else {
                Ok((
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"glimpse-access-audit.csv\"",
                        ),
                    ],
                    crate::export::to_csv(&result.rows)?,
                )
                    .into_response())
            }
        }
    }
}

/// The JSON answer (`json::AccessAudit`), written a few hundred rows at a time as the client
/// reads it: the rows of a 10,000-image audit are not held a second time as one 16 MB string.
fn json_body(audit: json::AccessAudit) -> Body {
    const ROWS_PER_CHUNK: usize = 500;
    let json::AccessAudit { rows, failures } = audit;
    let mut rows = rows.into_iter().peekable();
    let mut chunk = b"{\"rows\":[".to_vec();
    let mut failures = Some(failures);
    let chunks = std::iter::from_fn(move || {
        let failures_left = failures.take()?;
        for _ in 0..ROWS_PER_CHUNK {
            let Some(row) = rows.next() else { break };
            // Our own types: serializing them to memory cannot fail.
            serde_json::to_writer(&mut chunk, &row).ok()?;
            if rows.peek().is_some() {
                chunk.push(b',');
            }
        }
        if rows.peek().is_none() {
            chunk.extend_from_slice(b"],\"failures\":");
            serde_json::to_writer(&mut chunk, &failures_left).ok()?;
            chunk.push(b'}');
        } else {
            failures = Some(failures_left);
        }
        Some(Ok::<_, Infallible>(std::mem::take(&mut chunk)))
    });
    Body::from_stream(futures::stream::iter(chunks))
}

/// An audit being kept as a snapshot.
struct Recording {
    history: History,
    recorder: Recorder,
}

impl Recording {
    /// Takes in a message; once the audit is done, stores the snapshot (before `done` goes
    /// out, so that a client that read `done` finds it). A snapshot that cannot be stored
    /// costs the audit nothing: it is logged.
    async fn see(&mut self, message: &AuditMessage) {
        if let Some(snapshot) = self.recorder.see(message)
            && let Err(e) = self.history.save(snapshot).await
        {
            tracing::warn!(error = %e, "the audit's snapshot could not be stored");
        }
    }
}

/// The messages as NDJSON lines, with the heartbeat; at `deadline` the audit is stopped with
/// a failure saying so, then `done` (and, stopped, it is no snapshot).
fn ndjson(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl futures::Stream<Item = Result<Vec<u8>, Infallible>> {
    struct State {
        messages: Option<Messages>,
        recording: Option<Recording>,
        progress: AuditMessage,
        rows: usize,
        failures: usize,
    }
    let state = State {
        messages: Some(messages),
        recording,
        progress: AuditMessage::Progress { done: 0, total: 0 },
        rows: 0,
        failures: 0,
    };
    futures::stream::unfold(state, move |mut st| async move {
        enum Next {
            Message(Option<AuditMessage>),
            Heartbeat,
            Deadline,
        }
        let messages = st.messages.as_mut()?;
        let next = tokio::select! {
            message = messages.next() => Next::Message(message),
            () = tokio::time::sleep(HEARTBEAT) => Next::Heartbeat,
            () = tokio::time::sleep_until(deadline) => Next::Deadline,
        };
        let out = match next {
            Next::Message(message) => {
                let message = message?;
                if let Some(r) = &mut st.recording {
                    r.see(&message).await;
                }
                match &message {
                    AuditMessage::Progress { .. } => st.progress = message.clone(),
                    AuditMessage::Rows { rows } => st.rows += rows.len(),
                    AuditMessage::Failure { .. } => st.failures += 1,
                    AuditMessage::Done { .. } => {}
                }
                vec![message]
            }
            Next::Heartbeat => vec![st.progress.clone()],
            Next::Deadline => {
                st.messages = None; // stops the audit
                st.recording = None;
                let error = Error::UpstreamTimeout(format!(
                    "The audit took longer than {} seconds and was stopped: what is above is only part of it.",
                    timeout.as_secs()
                ));
                vec![
                    AuditMessage::Failure {
                        failure: AuditFailure {
                            region: None,
                            project_id: None,
                            project_name: None,
                            error: error.body(),
                        },
                    },
                    AuditMessage::Done {
                        rows: st.rows,
                        failures: st.failures + 1,
                    },
                ]
            }
        };
        let mut lines = Vec::new();
        for m in out {
            if let Ok(line) = serde_json::to_vec(&m) {
                lines.extend(line);
                lines.push(b'\n');
            }
        }
        Some((Ok(lines), st))
    })
}

#[cfg(test)]
mod tests {
    use json::{AccessAudit, AccessRow, MemberStatus, Visibility};

    use super::*;

    fn row(i: usize) -> AccessRow {
        AccessRow {
            region: "RegionOne".into(),
            image_id: format!("image-{i}"),
            image_name: i.is_multiple_of(2).then(|| format!("=name \"{i}\"")),
            owner_id: "owner".into(),
            owner_name: Some("project-a".into()),
            owner_name_seen: None,
            member_id: "member".into(),
            member_name: None,
            member_name_seen: Some("2026-12-01T00:00:00Z".into()),
            status: MemberStatus::Pending,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            visibility: Visibility::Shared,
            protected: i.is_multiple_of(3),
            member_known: true,
        }
    }

    #[tokio::test]
    async fn the_json_answer_written_in_chunks_is_the_audit() {
        for n in [0, 1, 499, 500, 501, 1234] {
            let audit = AccessAudit {
                rows: (0..n).map(row).collect(),
                failures: Vec::new(),
            };
            let bytes = axum::body::to_bytes(json_body(audit.clone()), usize::MAX)
                .await
                .unwrap();
            let read: AccessAudit = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{n} rows: {e}: {}", String::from_utf8_lossy(&bytes)));
            assert_eq!(read, audit, "{n} rows");
        }
    }
}
