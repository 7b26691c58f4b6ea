//! `/images`: the current project's view of images in one region.

use axum::extract::State;
use json::{MemberStatus, MemberStatusFilter, OwnerFilter, Visibility};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{Error, Result};
use super::extract::{Json, Path, Query};
use super::session::CurrentUser;
use super::{AppState, changes_by, inbox};
use crate::openstack::glance::{self, ImageChanges, ImageQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show, update))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// The region; the first one offered when absent.
    pub region: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// The region; the first one offered when absent.
    region: Option<String>,
    /// `me`: the project's own; `others`: shared with it; `all` (default).
    #[serde(default)]
    #[param(inline)]
    owner: OwnerFilter,
    /// With `others`: the project's member status (default `accepted`).
    #[serde(default)]
    #[param(inline)]
    member_status: MemberStatusFilter,
    /// With `others`: the offers to every project of every account of the session, each
    /// with `offered_to`, rather than to the current project only.
    #[serde(default)]
    all_projects: bool,
}

/// Checks an image id from the path before it goes anywhere near Glance.
pub fn image_id(id: &str) -> Result<&str> {
    if json::is_image_id(id) {
        Ok(id)
    } else {
        Err(Error::invalid(
            "image_id",
            format!(
                "{id:?} is not an image ID: image IDs are UUIDs like 0f8e2a4c-1b2d-4e5f-8a9b-0c1d2e3f4a5b."
            ),
        ))
    }
}

/// `GET /images`: images owned by the project (`owner=me`), shared with it (`owner=others`,
/// tagged with the project's member status), or both; every page of Glance's list.
#[utoipa::path(
    get,
    path = "/images",
    tag = "images",
    params(ListQuery),
    responses(
        (status = 200, description = "Images of the project and shared with it, every page of Glance's list.", body = json::ImageList),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn list(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<json::ImageList>> {
    if q.all_projects && q.owner != OwnerFilter::Others {
        return Err(Error::invalid(
            "all_projects",
            "all_projects lists the images offered to the session's projects: it goes with owner=others.",
        ));
    }
    let glance = user.glance(&app, q.region.as_deref())?;
    let project = user.project().id.clone();
    let mut images = Vec::new();

    if matches!(q.owner, OwnerFilter::Me | OwnerFilter::All) {
        // A copy that a dying Glimpse left unfinished left its partial image behind; only
        // the owner's token may delete it, so the owner's next look at its images does,
        // before listing them.
        if let Err(e) = app
            .copies
            .remove_leftovers(&project, user.token(), |region| {
                user.glance(&app, Some(region)).ok()
            })
            .await
        {
            tracing::warn!(error = %e, "cannot look for the partial images of interrupted copies");
        }
        let query = ImageQuery {
            owner: Some(project.clone()),
            ..ImageQuery::default()
        };
        for image in glance.list_images(user.token(), &query).await? {
            images.push(summary(&user, image, None));
        }
    }

    if matches!(q.owner, OwnerFilter::Others | OwnerFilter::All) {
        let statuses: Vec<MemberStatus> = match q.member_status {
            MemberStatusFilter::Pending => vec![MemberStatus::Pending],
            MemberStatusFilter::Accepted => vec![MemberStatus::Accepted],
            MemberStatusFilter::Rejected => vec![MemberStatus::Rejected],
            MemberStatusFilter::All => MemberStatus::ALL.to_vec(),
        };
        if q.all_projects {
            let offered =
                inbox::offers_everywhere(&app, &session, &mut user, q.region.as_deref(), &statuses)
                    .await?;
            images.extend(offered);
        } else {
            let offered =
                inbox::offers(&app, &user, &glance, user.token(), &project, &statuses).await?;
            images.extend(offered);
        }
    }
    Ok(Json(json::ImageList { images }))
}

/// `GET /images/{id}`: everything `openstack image show` shows.
#[utoipa::path(
    get,
    path = "/images/{image_id}",
    tag = "images",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), RegionQuery),
    responses(
        (status = 200, description = "The image, with everything `openstack image show` shows.", body = json::ImageDetail),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn show(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
) -> Result<Json<json::ImageDetail>> {
    let id = image_id(&id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    let image = glance.image(user.token(), id).await?;
    // Shared with the current project: its decision, and since when.
    let membership = match (&image.owner, image.visibility) {
        (Some(owner), Visibility::Shared) if *owner != user.project().id => glance
            .member(user.token(), id, &user.project().id)
            .await
            .ok(),
        _ => None,
    };
    let mut detail = detail(&user, image);
    if let Some(m) = membership {
        detail.image.member_status = Some(m.status);
        detail.image.member_created_at = Some(m.created_at);
        detail.image.member_updated_at = Some(m.updated_at);
    }
    Ok(Json(detail))
}

/// `PATCH /images/{id}`: visibility (shared or private) and protection.
#[utoipa::path(
    patch,
    path = "/images/{image_id}",
    tag = "images",
    params(("image_id" = String, Path, description = "The image id (a UUID)."), RegionQuery),
    request_body = json::ImageUpdate,
    responses(
        (status = 200, description = "The image, changed.", body = json::ImageDetail),
        (status = 400, description = "`invalid_input` (a malformed id or parameter, named by `field`), `unknown_region`", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no such image, or this project cannot see it", body = json::ErrorResponse),
        (status = 409, description = "the image cannot change that way (e.g. `already_member`, `image_not_shared`)", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 503, description = "`log_unavailable`: the activity log cannot be written, so nothing was changed", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn update(
    State(app): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RegionQuery>,
    Json(body): Json<json::ImageUpdate>,
) -> Result<Json<json::ImageDetail>> {
    let id = image_id(&id)?;
    let glance = user.glance(&app, q.region.as_deref())?;
    if let Some(other @ (Visibility::Public | Visibility::Community)) = body.visibility {
        return Err(Error::invalid(
            "visibility",
            format!("Glimpse makes images shared or private, not {other}."),
        ));
    }
    let changes = ImageChanges {
        visibility: body.visibility,
        protected: body.protected,
    };
    if changes.is_empty() {
        return Err(Error::invalid(
            "body",
            "Nothing to change: send visibility and/or protected.",
        ));
    }
    let image = changes_by(&app, &user, glance)
        .update_image(id, changes)
        .await
        .map_err(|e| match e {
            crate::changes::Error::Glance(glance::Error::PolicyRefused { .. }) => {
                Error::Forbidden(format!(
                    "Only the project that owns this image can change it; {} does not own it.",
                    user.project().name
                ))
            }
            other => other.into(),
        })?;
    tracing::info!(image = id, ?body, "image updated");
    Ok(Json(detail(&user, image)))
}

pub(super) fn summary(
    user: &CurrentUser,
    image: glance::Image,
    member_status: Option<MemberStatus>,
) -> json::Image {
    json::Image {
        owner_name: image.owner.as_deref().and_then(|o| user.project_name(o)),
        owner_name_seen: None,
        copied_from: image
            .properties
            .get(json::COPIED_FROM)
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        id: image.id,
        name: image.name,
        status: image.status,
        visibility: image.visibility,
        owner: image.owner,
        protected: image.protected,
        size: image.size,
        disk_format: image.disk_format,
        created_at: image.created_at,
        updated_at: image.updated_at,
        member_status,
        member_created_at: None,
        member_updated_at: None,
        offered_to: None,
    }
}

fn detail(user: &CurrentUser, mut image: glance::Image) -> json::ImageDetail {
    // Links into Glance's own API mean nothing to a Glimpse user.
    for key in ["self", "file", "schema"] {
        image.properties.remove(key);
    }
    json::ImageDetail {
        container_format: image.container_format.take(),
        checksum: image.checksum.take(),
        os_hash_algo: image.os_hash_algo.take(),
        os_hash_value: image.os_hash_value.take(),
        virtual_size: image.virtual_size,
        min_disk: image.min_disk,
        min_ram: image.min_ram,
        os_hidden: image.os_hidden,
        tags: std::mem::take(&mut image.tags),
        properties: std::mem::take(&mut image.properties),
        image: summary(user, image, None),
    }
}
