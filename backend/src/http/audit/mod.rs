//! `/audit/access`: the access audit ([`crate::audit`]) as NDJSON, JSON or CSV ([`answer`]).
//! The HTTP side only: it starts the audit for the session's projects, writes its messages
//! in the format asked for, and hands an unfiltered audit's messages to access history
//! ([`crate::history`]) to be kept as a snapshot.

mod answer;

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use json::{AuditMessage, MemberStatus};
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
use crate::audit::{Audit, Order, RowFilter, Viewpoint};
use crate::history::{History, Recorder};

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
    // Every format is written as the audit runs, within the audit's own bound (`answer`).
    let timeout = app.config.audit_timeout;
    let deadline = Instant::now() + timeout;
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
    // Every project of every account of the session.
    let projects: Vec<Viewpoint> = user
        .project_tokens(&app, &session)
        .await?
        .into_iter()
        .map(|access| Viewpoint {
            account: access.account,
            project: access.project,
            token: access.token.map_err(|e| e.body()),
        })
        .collect();
    // Only a whole audit (every row of its regions) is a snapshot: a filtered one compared
    // with it would show every row it left out as removed.
    let whole = params.owner.is_none() && params.member.is_none() && params.status.is_none();
    let recording = whole.then(|| Recording {
        history: app.history.clone(),
        recorder: Recorder::new(
            user.account().user.id.clone(),
            regions.iter().map(|(r, _)| r.clone()).collect(),
            projects.iter().map(|v| v.project.clone()).collect(),
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
        // The web UI sorts the rows itself; an export is written as they come.
        order: match params.format {
            Format::Ndjson => Order::AsRead,
            Format::Json | Format::Csv => Order::Sorted,
        },
    }
    .start(claim, |failure| Error::from(failure).body());

    let (content_type, body) = match params.format {
        Format::Ndjson => (
            "application/x-ndjson",
            Body::from_stream(answer::ndjson(messages, recording, deadline, timeout)),
        ),
        Format::Json => (
            "application/json",
            Body::from_stream(answer::json(messages, recording, deadline, timeout)),
        ),
        Format::Csv => (
            "text/csv; charset=utf-8",
            Body::from_stream(answer::csv(messages, recording, deadline, timeout)),
        ),
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if params.format == Format::Csv {
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"glimpse-access-audit.csv\""),
        );
    }
    Ok(response)
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
        let started = std::time::Instant::now();
        let Some(snapshot) = self.recorder.see(message) else {
            return;
        };
        match self.history.save(snapshot).await {
            Ok(_) => crate::metrics::snapshot_saved(started.elapsed()),
            Err(e) => tracing::warn!(error = %e, "the audit's snapshot could not be stored"),
        }
    }
}
