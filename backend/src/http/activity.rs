//! `GET /audit/events`: the activity log, as JSON or CSV. (Changes are recorded by the
//! write path, [`crate::changes`].)

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
use crate::activity::{EventFilter, to_csv};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
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
struct FormatQuery {
    /// `json` (default) or `csv`.
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// The filter's parameters, as the API documents them (`EventFilter` reads them; the domain
/// knows nothing of OpenAPI). Empty values count as absent.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct EventParams {
    /// Events at or after this instant (RFC 3339).
    from: Option<String>,
    /// Events strictly before this instant (RFC 3339).
    to: Option<String>,
    /// The acting user, by id or name.
    user: Option<String>,
    /// A project involved: the acting project (id or name) or the member project (id).
    project: Option<String>,
    /// The image id.
    image: Option<String>,
    action: Option<json::Action>,
    /// `ok`, `unfinished`, `failed` or one error code.
    outcome: Option<String>,
    /// Only events with a smaller id: the previous page's `next_before`.
    before: Option<i64>,
    /// At most this many events (default 100, at most 1000).
    limit: Option<u32>,
}

/// `GET /audit/events`: newest first, filtered, paged; only events of the user's projects
/// (as the acting project or as the member).
#[utoipa::path(
    get,
    path = "/audit/events",
    tag = "audit",
    params(EventParams, FormatQuery),
    responses(
        (status = 200, description = "The activity log, newest first: JSON or CSV (`format`).", content((json::EventList = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity log cannot be read", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn events(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<EventFilter>,
    Query(format): Query<FormatQuery>,
) -> Result<Response> {
    filter
        .validate()
        .map_err(|e| Error::invalid(e.field, format!("Bad filter {e}.")))?;
    let visible = user.visible_projects();
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
