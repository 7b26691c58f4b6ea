//! `/images/{id}/members`: sharing an image with other projects, and a member project's
//! decision on an image shared with it.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{Error, Result};
use super::extract::{Json, Path, Query};
use super::images::{RegionQuery, image_id};
use super::session::CurrentUser;
use super::{AppState, changes_by};
use crate::changes::{self, Actor, Changes};
use crate::openstack::glance::{self, Glance};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(decide, remove))
}

fn project_id<'a>(field: &str, id: &'a str) -> Result<&'a str> {
    if json::is_project_id(id) {
        Ok(id)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "{id:?} is not a project ID: project IDs are 32 hexadecimal characters (or a UUID)."
            ),
        ))
    }
}

fn member(user: &CurrentUser, m: glance::Member) -> json::Member {
    json::Member {
        member_name: user.project_name(&m.member_id),
        member_name_seen: None,
        member_id: m.member_id,
        status: m.status,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// `GET /images/{id}/members`: every member for the owner; its own membership for a member.
#[utoipa::path(
    get,
    path = "/images/{image_id}/members",
    tag = "members",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), RegionQuery),
    responses(
        (status = 200, description = "Every member for the owner; its own membership for a member.", body = json::MemberList),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 409, description = "`image_not_shared`: only a shared image has members", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
) -> Result<Json<json::MemberList>> {
    let id = image_id(&id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    let members = glance.members(user.token(), id).await.map_err(|e| {
        match e {
        glance::Error::NotShared => Error::ImageNotShared(
            "This image is not shared, so it has no members to list: make it shared to add members."
                .into(),
        ),
        other => other.into(),
    }
    })?;
    let mut members: Vec<json::Member> = members.into_iter().map(|m| member(&user, m)).collect();
    // The members of an image the user can see are related to it: named where the
    // directory can.
    let learned = app
        .directory
        .names(
            members
                .iter()
                .filter(|m| m.member_name.is_none())
                .map(|m| m.member_id.clone())
                .collect(),
        )
        .await;
    for m in &mut members {
        if m.member_name.is_none()
            && let Some(l) = learned.get(&m.member_id)
        {
            m.member_name = Some(l.name.clone());
            m.member_name_seen = Some(l.last_seen.clone());
        }
    }
    Ok(Json(json::MemberList { members }))
}

/// The most member ids one `POST` takes: Glance's default member quota per image.
pub const MAX_MEMBER_IDS: usize = 128;

/// `POST /images/{id}/members`: `{member_id}` answers 201 with the member; `{member_ids}`
/// (distinct ids, at most [`MAX_MEMBER_IDS`]) answers 200 with one outcome per distinct id,
/// a failure not stopping the rest.
#[utoipa::path(
    post,
    path = "/images/{image_id}/members",
    tag = "members",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), RegionQuery),
    request_body = json::AddMembers,
    responses(
        (status = 201, description = "`{member_id}`: the member added.", body = json::Member),
        (status = 200, description = "`{member_ids}`: one result per distinct id.", body = json::AddMembersResult),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 409, description = "`already_member`, `image_not_shared`", body = json::ErrorResponse),
        (status = 413, description = "`member_quota_exceeded` (with `limit` when known)", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity log cannot be written, so nothing was changed", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn add(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::AddMembers>,
) -> Result<Response> {
    let id = image_id(&id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    let changes = changes_by(&app, &user, glance);
    match body {
        json::AddMembers::One { member_id } => {
            let member_id = project_id("member_id", member_id.trim())?;
            let added = changes
                .add_member(id, member_id)
                .await
                .map_err(|e| add_error(&user, member_id, e))?;
            tracing::info!(image = id, member = member_id, "member added");
            Ok((StatusCode::CREATED, Json(member(&user, added))).into_response())
        }
        json::AddMembers::Many { member_ids } => {
            let ids = distinct(member_ids);
            if ids.is_empty() {
                return Err(Error::invalid(
                    "member_ids",
                    "Give at least one project ID.",
                ));
            }
            if ids.len() > MAX_MEMBER_IDS {
                return Err(Error::too_many(
                    "member_ids",
                    MAX_MEMBER_IDS,
                    format!(
                        "At most {MAX_MEMBER_IDS} project IDs at once (you gave {}): send the rest in another request.",
                        ids.len()
                    ),
                ));
            }
            let valid: Vec<String> = ids
                .iter()
                .filter(|m| json::is_project_id(m))
                .cloned()
                .collect();
            let mut added = changes
                .add_members(id, valid, app.config.concurrency)
                .await
                .into_iter();
            let results = ids
                .into_iter()
                .map(|member_id| {
                    let result = match project_id("member_ids", &member_id) {
                        Ok(_) => added
                            .next()
                            .unwrap_or(Err(changes::Error::Interrupted))
                            .map_err(|e| add_error(&user, &member_id, e)),
                        Err(e) => Err(e),
                    };
                    match result {
                        Ok(m) => json::AddMemberOutcome {
                            member_id,
                            status: StatusCode::CREATED.as_u16(),
                            member: Some(member(&user, m)),
                            error: None,
                        },
                        Err(e) => json::AddMemberOutcome {
                            member_id,
                            status: e.status().as_u16(),
                            member: None,
                            error: Some(e.body()),
                        },
                    }
                })
                .collect();
            Ok(Json(json::AddMembersResult { results }).into_response())
        }
    }
}

/// The ids trimmed, each once, in the order first given.
fn distinct(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .map(|id| id.trim().to_owned())
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

fn add_error(user: &CurrentUser, member_id: &str, e: changes::Error) -> Error {
    match e {
        changes::Error::Glance(glance::Error::PolicyRefused { .. }) => Error::Forbidden(format!(
            "Only the project that owns this image can add members; {} does not own it.",
            user.project().name
        )),
        changes::Error::Glance(glance::Error::NotShared) => Error::ImageNotShared(
            "This image is not shared: make it shared first, then add members.".into(),
        ),
        changes::Error::Glance(glance::Error::AlreadyMember) => Error::AlreadyMember(format!(
            "Project {} is already a member of this image.",
            user.project_name(member_id)
                .unwrap_or_else(|| member_id.to_owned())
        )),
        other => other.into(),
    }
}

/// `DELETE /images/{id}/members/{member_id}`: the owner ends a project's access.
#[utoipa::path(
    delete,
    path = "/images/{image_id}/members/{member_id}",
    tag = "members",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), ("member_id" = String, Path, description = "The member project's id."), RegionQuery),
    responses(
        (status = 204, description = "The project is no longer a member."),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity log cannot be written, so nothing was changed", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn remove(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((id, member_id)): Path<(String, String)>,
    Query(q): Query<RegionQuery>,
) -> Result<StatusCode> {
    let id = image_id(&id)?;
    let member_id = project_id("member_id", &member_id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    changes_by(&app, &user, glance)
        .remove_member(id, member_id)
        .await
        .map_err(|e| match e {
            changes::Error::Glance(glance::Error::PolicyRefused { .. }) => Error::Forbidden(
                "Only the project that owns this image can remove members. A member project that no longer wants it can reject it instead."
                    .into(),
            ),
            other => other.into(),
        })?;
    tracing::info!(image = id, member = member_id, "member removed");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /images/{id}/members/{member_id}`: the current project accepts, rejects, or sets back
/// to pending an image shared with it.
#[utoipa::path(
    put,
    path = "/images/{image_id}/members/{member_id}",
    tag = "members",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), ("member_id" = String, Path, description = "The member project's id."), RegionQuery),
    request_body = json::MemberDecision,
    responses(
        (status = 200, description = "The member: the current project's decision.", body = json::Member),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 409, description = "`image_not_shared`", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity log cannot be written, so nothing was changed", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn decide(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Path((id, member_id)): Path<(String, String)>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::MemberDecision>,
) -> Result<Json<json::Member>> {
    let id = image_id(&id)?;
    let member_id = project_id("member_id", &member_id)?;
    // The member project decides, as whichever account of the session has it.
    let Some((actor, glance)) = user
        .acting_in(&app, &session, member_id, q.region.as_deref())
        .await?
    else {
        return Err(Error::Forbidden(format!(
            "You can only decide for your own projects; no account of this session is in project {}.",
            user.project_name(member_id)
                .unwrap_or_else(|| member_id.to_owned())
        )));
    };
    let project = actor.project.clone();
    let decided = Changes::new(app.activity.clone(), glance.clone(), actor.clone())
        .decide(id, member_id, body.status)
        .await;
    let m = match decided {
        Ok(m) => m,
        Err(changes::Error::Glance(glance::Error::PolicyRefused { .. })) => {
            return Err(refusal_to_decide(&glance, &actor, id).await);
        }
        Err(changes::Error::Glance(glance::Error::MemberNotFound)) => {
            return Err(Error::NotFound(format!(
                "This image is not shared with project {}.",
                project.name
            )));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(image = id, status = %body.status, user = %actor.user.name, "member status set");
    Ok(Json(member(&user, m)))
}

/// Glance refuses both the owner and a read-only member with the same words; tell them apart.
async fn refusal_to_decide(glance: &Glance, actor: &Actor, image_id: &str) -> Error {
    let owner = glance
        .image(&actor.token, image_id)
        .await
        .ok()
        .and_then(|i| i.owner);
    if owner.as_deref() == Some(actor.project.id.as_str()) {
        Error::Forbidden(
            "The owner cannot accept or reject its own image: only the member project decides."
                .into(),
        )
    } else {
        Error::Forbidden(format!(
            "Your role in project {} does not allow accepting or rejecting shared images (a reader role is read-only).",
            actor.project.name
        ))
    }
}
