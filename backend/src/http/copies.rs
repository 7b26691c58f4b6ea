//! `/images/{id}/copies` and `/copies`: an image copied to another region
//! ([`crate::copies`]), its state, its progress as NDJSON, and its cancellation.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{Error, Result};
use super::extract::{Json, Path, Query};
use super::images::{RegionQuery, image_id};
use super::session::CurrentUser;
use crate::changes::Actor;
use crate::copies::{Copies, Request};

/// How often the progress stream says where a copy is.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(list))
        .routes(routes!(show, cancel))
        .routes(routes!(progress))
}

fn copy_id(id: &str) -> Result<&str> {
    if json::is_image_id(id) {
        Ok(id)
    } else {
        Err(Error::invalid(
            "copy_id",
            format!("{id:?} is not a copy ID."),
        ))
    }
}

/// `POST /images/{id}/copies?region=SOURCE`: checks, makes the target image, starts the copy
/// and answers `202` with it, `running`.
#[utoipa::path(
    post,
    path = "/images/{image_id}/copies",
    tag = "copies",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), RegionQuery),
    request_body = json::CopyRequest,
    responses(
        (status = 202, description = "The copy, `running`: follow it at `/copies/{copy_id}` or its `/progress`.", body = json::Copy),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`, `same_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `not_owner`: only the owning project copies an image; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 409, description = "`image_not_active`, `import_method_unavailable`", body = json::ErrorResponse),
        (status = 413, description = "`storage_quota_exceeded`, `image_too_large`: the target region refuses the data", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 429, description = "`too_many_copies` (with `limit`)", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read or written", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn start(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::CopyRequest>,
) -> Result<Response> {
    let id = image_id(&id)?;
    let source = user.glance(&app, q.region.as_deref())?;
    let target = user.glance(&app, Some(&body.target_region))?;
    let actor = Actor {
        user: user.account().user.clone(),
        project: user.project().clone(),
        token: user.token().clone(),
        request_id: user.request_id.clone(),
    };
    let copy = app
        .copies
        .start(Request {
            actor,
            source,
            target,
            image_id: id.to_owned(),
            with_members: body.with_members,
            method: body.method,
        })
        .await?;
    tracing::info!(copy = %copy.id, method = %copy.method, from = %copy.source_region, to = %copy.target_region, "copy started");
    Ok((StatusCode::ACCEPTED, Json(copy)).into_response())
}

/// `GET /copies`: the current project's copies, newest first. The partial images that
/// interrupted copies left are deleted on the way, with the project's own token.
#[utoipa::path(
    get,
    path = "/copies",
    tag = "copies",
    responses(
        (status = 200, description = "The current project's copies, newest first.", body = json::CopyList),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read or written", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn list(State(app): State<AppState>, user: CurrentUser) -> Result<Json<json::CopyList>> {
    let project = &user.project().id;
    app.copies
        .remove_leftovers(project, user.token(), |region| {
            user.glance(&app, Some(region)).ok()
        })
        .await?;
    let copies = app.copies.list(project).await?;
    Ok(Json(json::CopyList { copies }))
}

/// `GET /copies/{id}`.
#[utoipa::path(
    get,
    path = "/copies/{copy_id}",
    tag = "copies",
    params(("copy_id" = String, Path, description = "The copy's id (a UUID).")),
    responses(
        (status = 200, description = "The copy: its state, bytes done and rate, and why it failed.", body = json::Copy),
        (status = 400, description = "`invalid_input`: a malformed id (named by `field`)", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such copy in this project", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read or written", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<json::Copy>> {
    let id = copy_id(&id)?;
    Ok(Json(app.copies.get(&user.project().id, id).await?))
}

/// `DELETE /copies/{id}`: stops a running copy and deletes its partial image; answers the
/// copy as it then is (an ended copy as it is).
#[utoipa::path(
    delete,
    path = "/copies/{copy_id}",
    tag = "copies",
    params(("copy_id" = String, Path, description = "The copy's id (a UUID).")),
    responses(
        (status = 200, description = "The copy as it then is: `cancelled` (its partial image deleted), or as it had ended.", body = json::Copy),
        (status = 400, description = "`invalid_input`: a malformed id (named by `field`)", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such copy in this project", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read or written", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn cancel(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<json::Copy>> {
    let id = copy_id(&id)?;
    let copy = app.copies.cancel(&user.project().id, id).await?;
    tracing::info!(copy = %copy.id, state = copy.state.as_str(), "copy cancel asked");
    Ok(Json(copy))
}

/// `GET /copies/{id}/progress`: the copy as NDJSON, one line every half second until it
/// ends (the last line says how); a stream cut short by the request time limit is taken up
/// again by asking again. A client going away ends the stream, never the copy.
#[utoipa::path(
    get,
    path = "/copies/{copy_id}/progress",
    tag = "copies",
    params(("copy_id" = String, Path, description = "The copy's id (a UUID).")),
    responses(
        (status = 200, description = "The copy as NDJSON, one `Copy` every half second until it ends.", content((json::Copy = "application/x-ndjson"))),
        (status = 400, description = "`invalid_input`: a malformed id (named by `field`)", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such copy in this project", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity database cannot be read or written", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn progress(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = copy_id(&id)?.to_owned();
    let project = user.project().id.clone();
    let first = app.copies.get(&project, &id).await?;
    let deadline = tokio::time::Instant::now() + app.config.request_timeout;
    let lines = lines(app.copies.clone(), project, first, deadline);
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(lines),
    )
        .into_response())
}

fn lines(
    copies: Copies,
    project: String,
    first: json::Copy,
    deadline: tokio::time::Instant,
) -> impl futures::Stream<Item = Result<Vec<u8>, Infallible>> {
    futures::stream::unfold(Some(first), move |next| {
        let (copies, project) = (copies.clone(), project.clone());
        async move {
            let copy = next?;
            let mut line = serde_json::to_vec(&copy).unwrap_or_default();
            line.push(b'\n');
            let more = if copy.state.is_over() || tokio::time::Instant::now() >= deadline {
                None
            } else {
                tokio::time::sleep(PROGRESS_EVERY).await;
                copies.get(&project, &copy.id).await.ok()
            };
            Some((Ok(line), more))
        }
    })
}
