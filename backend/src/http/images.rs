//! `/images`: the current project's view of images in one region.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use futures::future::try_join_all;
use futures::{StreamExt, stream};
use json::{MemberStatus, MemberStatusFilter, OwnerFilter, Visibility};
use serde::Deserialize;

use super::error::{Error, Result};
use super::extract::{Json, Path, Query};
use super::session::CurrentUser;
use super::{AppState, changes_by};
use crate::openstack::glance::{self, ImageChanges, ImageQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/images", get(list))
        .route("/images/{image_id}", get(show).patch(update))
}

#[derive(Deserialize)]
pub struct RegionQuery {
    pub region: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    region: Option<String>,
    #[serde(default)]
    owner: OwnerFilter,
    #[serde(default)]
    member_status: MemberStatusFilter,
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
async fn list(
    State(app): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<json::ImageList>> {
    let glance = user.glance(&app, q.region.as_deref())?;
    let project = user.project().id.clone();
    let mut images = Vec::new();

    if matches!(q.owner, OwnerFilter::Me | OwnerFilter::All) {
        let query = ImageQuery {
            owner: Some(project.clone()),
            ..ImageQuery::default()
        };
        for image in glance.list_images(user.token(), &query).await? {
            images.push(summary(&user, image, None));
        }
    }

    if matches!(q.owner, OwnerFilter::Others | OwnerFilter::All) {
        // Glance does not say which status a listed shared image has for us, so ask once per
        // status (concurrently) and tag what comes back.
        let statuses: Vec<MemberStatus> = match q.member_status {
            MemberStatusFilter::Pending => vec![MemberStatus::Pending],
            MemberStatusFilter::Accepted => vec![MemberStatus::Accepted],
            MemberStatusFilter::Rejected => vec![MemberStatus::Rejected],
            MemberStatusFilter::All => MemberStatus::ALL.to_vec(),
        };
        let lists = try_join_all(statuses.iter().map(|status| {
            let query = ImageQuery {
                visibility: Some(Visibility::Shared),
                member_status: Some((*status).into()),
                ..ImageQuery::default()
            };
            let glance = glance.clone();
            let token = user.token().clone();
            async move { glance.list_images(&token, &query).await }
        }))
        .await?;
        let offered: Vec<(glance::Image, MemberStatus)> = statuses
            .into_iter()
            .zip(lists)
            .flat_map(|(status, list)| list.into_iter().map(move |i| (i, status)))
            .filter(|(image, _)| image.owner.as_deref() != Some(project.as_str()))
            .collect();
        // The membership itself says since when (concurrently, bounded).
        let ids: Vec<String> = offered.iter().map(|(image, _)| image.id.clone()).collect();
        let memberships: Vec<Option<glance::Member>> = stream::iter(ids)
            .map(|id| {
                let (glance, token, project) =
                    (glance.clone(), user.token().clone(), project.clone());
                async move { glance.member(&token, &id, &project).await.ok() }
            })
            .buffered(app.config.concurrency)
            .collect()
            .await;
        for ((image, status), membership) in offered.into_iter().zip(memberships) {
            let mut summary = summary(&user, image, Some(status));
            if let Some(m) = membership {
                summary.member_status = Some(m.status);
                summary.member_created_at = Some(m.created_at);
                summary.member_updated_at = Some(m.updated_at);
            }
            images.push(summary);
        }
    }
    Ok(Json(json::ImageList { images }))
}

/// `GET /images/{id}`: everything `openstack image show` shows.
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

fn summary(
    user: &CurrentUser,
    image: glance::Image,
    member_status: Option<MemberStatus>,
) -> json::Image {
    json::Image {
        owner_name: image.owner.as_deref().and_then(|o| user.project_name(o)),
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
