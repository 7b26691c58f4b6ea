//! `/images/{id}/members`: sharing an image with other projects, and a member project's
//! decision on an image shared with it.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use futures::{StreamExt, stream};
use json::Action;

use super::AppState;
use super::activity::{Change, image_name, logged};
use super::error::{Error, Result};
use super::extract::{Json, Path, Query};
use super::images::{RegionQuery, image_id};
use super::session::CurrentUser;
use crate::openstack::glance::{self, Glance};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/images/{image_id}/members", get(list).post(add))
        .route(
            "/images/{image_id}/members/{member_id}",
            put(decide).delete(remove),
        )
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
        member_id: m.member_id,
        status: m.status,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// `GET /images/{id}/members`: every member for the owner; its own membership for a member.
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
    Ok(Json(json::MemberList {
        members: members.into_iter().map(|m| member(&user, m)).collect(),
    }))
}

/// `POST /images/{id}/members`: `{member_id}` answers 201 with the member; `{member_ids}`
/// answers 200 with one outcome per id, a failure not stopping the rest.
async fn add(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::AddMembers>,
) -> Result<Response> {
    let id = image_id(&id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    match body {
        json::AddMembers::One { member_id } => {
            let member_id = project_id("member_id", member_id.trim())?;
            let name = image_name(&glance, &user, id).await;
            let added = add_one(&app, &glance, &user, id, &name, member_id).await?;
            Ok((StatusCode::CREATED, Json(added)).into_response())
        }
        json::AddMembers::Many { member_ids } => {
            if member_ids.is_empty() {
                return Err(Error::invalid(
                    "member_ids",
                    "Give at least one project ID.",
                ));
            }
            let name = image_name(&glance, &user, id).await;
            let results: Vec<json::AddMemberOutcome> = stream::iter(member_ids)
                .map(|member_id| {
                    let (app, glance, user, name) = (&app, &glance, &user, &name);
                    async move {
                        let member_id = member_id.trim().to_owned();
                        let result = match project_id("member_ids", &member_id) {
                            Ok(valid) => add_one(app, glance, user, id, name, valid).await,
                            Err(e) => Err(e),
                        };
                        match result {
                            Ok(member) => json::AddMemberOutcome {
                                member_id,
                                status: StatusCode::CREATED.as_u16(),
                                member: Some(member),
                                error: None,
                            },
                            Err(e) => json::AddMemberOutcome {
                                member_id,
                                status: e.status().as_u16(),
                                member: None,
                                error: Some(e.body()),
                            },
                        }
                    }
                })
                .buffered(app.config.concurrency)
                .collect()
                .await;
            Ok(Json(json::AddMembersResult { results }).into_response())
        }
    }
}

async fn add_one(
    app: &AppState,
    glance: &Glance,
    user: &CurrentUser,
    image_id: &str,
    image_name: &Option<String>,
    member_id: &str,
) -> Result<json::Member> {
    let change = Change {
        action: Action::AddMember,
        image_id,
        image_name: image_name.clone(),
        member_id: Some(member_id),
    };
    let add = async {
        glance
            .add_member(user.token(), image_id, member_id)
            .await
            .map_err(|e| match e {
                glance::Error::PolicyRefused { .. } => Error::Forbidden(format!(
                    "Only the project that owns this image can add members; {} does not own it.",
                    user.project().name
                )),
                glance::Error::NotShared => Error::ImageNotShared(
                    "This image is not shared: make it shared first, then add members.".into(),
                ),
                glance::Error::AlreadyMember => Error::AlreadyMember(format!(
                    "Project {} is already a member of this image.",
                    user.project_name(member_id)
                        .unwrap_or_else(|| member_id.to_owned())
                )),
                other => other.into(),
            })
    };
    let added = logged(app, user, glance, &[change], add).await?;
    tracing::info!(image = image_id, member = member_id, "member added");
    Ok(member(user, added))
}

/// `DELETE /images/{id}/members/{member_id}`: the owner ends a project's access.
async fn remove(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((id, member_id)): Path<(String, String)>,
    Query(q): Query<RegionQuery>,
) -> Result<StatusCode> {
    let id = image_id(&id)?;
    let member_id = project_id("member_id", &member_id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    let change = Change {
        action: Action::RemoveMember,
        image_id: id,
        image_name: image_name(&glance, &user, id).await,
        member_id: Some(member_id),
    };
    let remove = async {
        glance
            .remove_member(user.token(), id, member_id)
            .await
            .map_err(|e| match e {
                glance::Error::PolicyRefused { .. } => Error::Forbidden(
                    "Only the project that owns this image can remove members. A member project that no longer wants it can reject it instead."
                        .into(),
                ),
                other => other.into(),
            })
    };
    logged(&app, &user, &glance, &[change], remove).await?;
    tracing::info!(image = id, member = member_id, "member removed");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /images/{id}/members/{member_id}`: the current project accepts, rejects, or sets back
/// to pending an image shared with it.
async fn decide(
    State(app): State<AppState>,
    user: CurrentUser,
    Path((id, member_id)): Path<(String, String)>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::MemberDecision>,
) -> Result<Json<json::Member>> {
    let id = image_id(&id)?;
    let member_id = project_id("member_id", &member_id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    let change = Change {
        action: Action::for_decision(body.status),
        image_id: id,
        image_name: image_name(&glance, &user, id).await,
        member_id: Some(member_id),
    };
    let decide = async {
        if member_id != user.project().id {
            return Err(Error::Forbidden(format!(
                "You can only decide for the current project ({}); switch to project {} to decide for it.",
                user.project().name,
                user.project_name(member_id)
                    .unwrap_or_else(|| member_id.to_owned())
            )));
        }
        match glance
            .set_member_status(user.token(), id, member_id, body.status)
            .await
        {
            Ok(m) => Ok(m),
            Err(glance::Error::PolicyRefused { .. }) => {
                Err(refusal_to_decide(&glance, &user, id).await)
            }
            Err(glance::Error::MemberNotFound) => Err(Error::NotFound(format!(
                "This image is not shared with project {}.",
                user.project().name
            ))),
            Err(e) => Err(e.into()),
        }
    };
    let m = logged(&app, &user, &glance, &[change], decide).await?;
    tracing::info!(image = id, status = %body.status, "member status set");
    Ok(Json(member(&user, m)))
}

/// Glance refuses both the owner and a read-only member with the same words; tell them apart.
async fn refusal_to_decide(glance: &Glance, user: &CurrentUser, image_id: &str) -> Error {
    let owner = glance
        .image(user.token(), image_id)
        .await
        .ok()
        .and_then(|i| i.owner);
    if owner.as_deref() == Some(user.project().id.as_str()) {
        Error::Forbidden(
            "The owner cannot accept or reject its own image: only the member project decides."
                .into(),
        )
    } else {
        Error::Forbidden(format!(
            "Your role in project {} does not allow accepting or rejecting shared images (a reader role is read-only).",
            user.project().name
        ))
    }
}
