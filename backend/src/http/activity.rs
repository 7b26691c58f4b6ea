//! The activity log over HTTP: `GET /audit/events`, and `logged`, which every handler that
//! changes something goes through so that the change is recorded before it is made.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use json::Action;
use serde::Deserialize;

use super::AppState;
use super::error::{Error, Result};
use super::extract::{Json, Query};
use super::session::CurrentUser;
use crate::activity::{EventFilter, FilterError, NewEvent, to_csv};
use crate::openstack::glance::Glance;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/events", get(events))
}

/// One change, as the log records it.
pub struct Change<'a> {
    pub action: Action,
    pub image_id: &'a str,
    pub image_name: Option<String>,
    pub member_id: Option<&'a str>,
}

/// Records the intent of `changes`, makes them (`run`), then records the outcome: `ok` or
/// the error code. No log, no change: if the intent cannot be written, nothing is done.
pub async fn logged<T>(
    app: &AppState,
    user: &CurrentUser,
    glance: &Glance,
    changes: &[Change<'_>],
    run: impl Future<Output = Result<T>>,
) -> Result<T> {
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let event = NewEvent {
            user_id: user.data.user.id.clone(),
            user_name: user.data.user.name.clone(),
            project_id: user.project().id.clone(),
            project_name: user.project().name.clone(),
            region: glance.region().to_owned(),
            action: change.action,
            image_id: change.image_id.to_owned(),
            image_name: change.image_name.clone(),
            member_id: change.member_id.map(str::to_owned),
            request_id: user.request_id.clone(),
        };
        entries.push(
            app.activity
                .begin(event)
                .await
                .map_err(Error::LogUnavailable)?,
        );
    }
    let result = run.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    };
    for id in entries {
        if let Err(e) = app.activity.finish(id, outcome).await {
            // The change is made; its entry stays "unfinished", which is what it is to us.
            tracing::error!(error = ?e, event = id, "could not record an outcome");
        }
    }
    result
}

/// The image's name for the log, if Glance tells it (the log entry is written anyway).
pub async fn image_name(glance: &Glance, user: &CurrentUser, image_id: &str) -> Option<String> {
    glance
        .image(user.token(), image_id)
        .await
        .ok()
        .and_then(|i| i.name)
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
    let list = app.activity.query(&filter, &visible).await.map_err(|e| {
        match e.downcast::<FilterError>() {
            Ok(e) => Error::invalid(e.field, format!("Bad filter {e}.")),
            Err(e) => Error::LogUnavailable(e),
        }
    })?;
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
