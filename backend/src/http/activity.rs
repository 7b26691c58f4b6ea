//! `GET /audit/events`: the activity log, as JSON or CSV. (Changes are recorded by the
//! write path, [`crate::changes`].)

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
use crate::activity::{EventFilter, to_csv};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/events", get(events))
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Deserialize)]
struct FormatQuery {
    #[serde(default)]
    format: Format,
}

/// `GET /audit/events`: newest first, filtered, paged; only events of the user's projects
/// (as the acting project or as the member).
async fn events(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<EventFilter>,
    Query(format): Query<FormatQuery>,
) -> Result<Response> {
    filter
        .validate()
        .map_err(|e| Error::invalid(e.field, format!("Bad filter {e}.")))?;
    let visible: Vec<String> = user.data.projects.iter().map(|p| p.id.clone()).collect();
    let list = app.activity.query(&filter, &visible).await?;
    match format.format {
        Format::Json => Ok(Json(list).into_response()),
        Format::Csv => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"glimpse-activity.csv\"",
                ),
            ],
            to_csv(&list.events)?,
        )
            .into_response()),
    }
}
