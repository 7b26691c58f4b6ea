//! `/audit/snapshots` and `/audit/changes`: access history ([`crate::history`]) over HTTP.
//! Snapshots are recorded by `/audit/access` (see `audit.rs`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{Error, Result};
use super::extract::{Json, Query};
use super::session::CurrentUser;
use crate::history;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(snapshots))
        .routes(routes!(changes))
}

/// `GET /audit/snapshots`: the user's own, newest first.
#[utoipa::path(
    get,
    path = "/audit/snapshots",
    tag = "audit",
    responses(
        (status = 200, description = "The user's stored audits, newest first.", body = json::SnapshotList),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn snapshots(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<json::SnapshotList>> {
    let snapshots = app.history.snapshots(&user.account().user.id).await?;
    Ok(Json(json::SnapshotList { snapshots }))
}

#[derive(Deserialize, Default, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ChangesQuery {
    /// The earlier snapshot's id.
    from: i64,
    /// The later snapshot's id; the newest snapshot when absent.
    to: Option<i64>,
    /// `json` (default) or `csv`.
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// `GET /audit/changes?from=&to=&format=`.
#[utoipa::path(
    get,
    path = "/audit/changes",
    tag = "audit",
    params(ChangesQuery),
    responses(
        (status = 200, description = "What changed from `from` to `to`, each change explained by activity events or made outside Glimpse: JSON or CSV (`format`).", content((json::AccessChanges = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`invalid_input`: a malformed parameter, or `from` newer than `to` (named by `field`)", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such snapshot of this user's", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn changes(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ChangesQuery>,
) -> Result<Response> {
    let visible = user.visible_projects();
    let changes = app
        .history
        .changes(&user.account().user.id, q.from, q.to, &visible)
        .await?;
    match q.format {
        Format::Json => Ok(Json(changes).into_response()),
        Format::Csv => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"glimpse-access-changes.csv\"",
                ),
            ],
            history::changes_csv(&changes)?,
        )
            .into_response()),
    }
}

impl From<history::Error> for Error {
    fn from(e: history::Error) -> Self {
        match e {
            history::Error::NotFound(Some(id)) => {
                Self::NotFound(format!("You have no audit snapshot {id}."))
            }
            history::Error::NotFound(None) => {
                Self::NotFound("You have no audit snapshot yet: run an access audit first.".into())
            }
            history::Error::FromNewerThanTo { from, to } => Self::invalid(
                "from",
                format!("Snapshot {from} was taken after snapshot {to}: swap them."),
            ),
            history::Error::Log(e) => e.into(),
            e @ history::Error::Unreadable(_) => Self::Internal(e.into()),
        }
    }
}
