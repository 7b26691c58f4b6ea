//! `/audit/snapshots` and `/audit/changes`: access history ([`crate::history`]) over HTTP.
//! Snapshots are recorded by `/audit/access` (see `audit.rs`).

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::AppState;
use super::error::{Error, Result};
use super::extract::{Json, Query};
use super::session::CurrentUser;
use crate::history;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit/snapshots", get(snapshots))
        .route("/audit/changes", get(changes))
}

/// `GET /audit/snapshots`: the user's own, newest first.
async fn snapshots(
    State(app): State<AppState>,
    user: CurrentUser,
) -> Result<Json<json::SnapshotList>> {
    let snapshots = app.history.snapshots(&user.data.user.id).await?;
    Ok(Json(json::SnapshotList { snapshots }))
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Deserialize)]
struct ChangesQuery {
    from: i64,
    /// The newest snapshot when absent.
    to: Option<i64>,
    #[serde(default)]
    format: Format,
}

/// `GET /audit/changes?from=&to=&format=`.
async fn changes(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ChangesQuery>,
) -> Result<Response> {
    let visible: Vec<String> = user.data.projects.iter().map(|p| p.id.clone()).collect();
    let changes = app
        .history
        .changes(&user.data.user.id, q.from, q.to, &visible)
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
