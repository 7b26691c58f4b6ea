//! The inbox: images other projects offer to the session's projects (`GET /images` with
//! `owner=others`), for the current project, or with `all_projects` for every project of
//! every account of the session, each offer saying which project it is for.

use futures::future::try_join_all;
use futures::{StreamExt, TryStreamExt, stream};
use json::{MemberStatus, Visibility};
use tower_sessions::Session;

use super::AppState;
use super::error::{Error, Result};
use super::images::summary;
use super::session::CurrentUser;
use crate::openstack::Token;
use crate::openstack::glance::{self, Glance, ImageQuery};

/// The images offered to `project` with one of `statuses`, as `token` (scoped to it) sees
/// them, each tagged with the project's membership.
pub(super) async fn offers(
    app: &AppState,
    user: &CurrentUser,
    glance: &Glance,
    token: &Token,
    project: &str,
    statuses: &[MemberStatus],
) -> Result<Vec<json::Image>> {
    // Glance does not say which status a listed shared image has for us, so ask once per
    // status (concurrently) and tag what comes back.
    let lists = try_join_all(statuses.iter().map(|status| {
        let query = ImageQuery {
            visibility: Some(Visibility::Shared),
            member_status: Some((*status).into()),
            ..ImageQuery::default()
        };
        async move { glance.list_images(token, &query).await }
    }))
    .await?;
    let offered: Vec<(glance::Image, MemberStatus)> = statuses
        .iter()
        .zip(lists)
        .flat_map(|(status, list)| list.into_iter().map(move |i| (i, *status)))
        .filter(|(image, _)| image.owner.as_deref() != Some(project))
        .collect();
    // The membership itself says since when: remembered while the list gives it the same
    // status, otherwise asked of Glance (concurrently, bounded across requests).
    let wanted: Vec<(String, MemberStatus)> = offered
        .iter()
        .map(|(image, status)| (image.id.clone(), *status))
        .collect();
    let memberships: Vec<Option<glance::Member>> = stream::iter(wanted)
        .map(|(id, status)| {
            // Never closed, so a permit always comes.
            let turn = app.fan_out_glance_calls.clone().acquire_owned();
            async move {
                glance
                    .listed_member(token, &id, project, status, turn)
                    .await
            }
        })
        .buffered(app.config.concurrency)
        .collect()
        .await;
    // The owner of an image offered to the project is related to it: named where the
    // directory can.
    let learned = app
        .directory
        .names(
            offered
                .iter()
                .filter_map(|(image, _)| image.owner.clone())
                .filter(|owner| user.project_name(owner).is_none())
                .collect(),
        )
        .await;
    let mut images = Vec::with_capacity(offered.len());
    for ((image, status), membership) in offered.into_iter().zip(memberships) {
        let mut summary = summary(user, image, Some(status));
        if summary.owner_name.is_none()
            && let Some(l) = summary.owner.as_ref().and_then(|o| learned.get(o))
        {
            summary.owner_name = Some(l.name.clone());
            summary.owner_name_seen = Some(l.last_seen.clone());
        }
        if let Some(m) = membership {
            summary.member_status = Some(m.status);
            summary.member_created_at = Some(m.created_at);
            summary.member_updated_at = Some(m.updated_at);
        }
        images.push(summary);
    }
    Ok(images)
}

/// The offers to every project of every account of the session in `region`, each with the
/// project it is for and the account that has it; `concurrency` projects at a time. A
/// project Keystone gives no token for, or whose account's catalog lacks the region, is left
/// out (and logged): the others' offers still count.
pub(super) async fn offers_everywhere(
    app: &AppState,
    session: &Session,
    user: &mut CurrentUser,
    region: Option<&str>,
    statuses: &[MemberStatus],
) -> Result<Vec<json::Image>> {
    let accesses = user.project_tokens(app, session).await?;
    let user = &*user;
    let region = region.or_else(|| user.regions().first().map(|(r, _)| r.as_str()));
    let per_project: Vec<Vec<json::Image>> = stream::iter(accesses)
        .map(|access| async move {
            let glance = user.glance_for(&access, app, region);
            let (token, glance) = match (access.token, glance) {
                (Ok(token), Ok(glance)) => (token, glance),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(project = %access.project.name, error = %e, "inbox: project left out");
                    return Ok::<_, Error>(Vec::new());
                }
            };
            let mut offered =
                offers(app, user, &glance, &token, &access.project.id, statuses).await?;
            for image in &mut offered {
                image.offered_to = Some(json::OfferedTo {
                    project: access.project.clone(),
                    account: access.account.clone(),
                });
            }
            Ok(offered)
        })
        .buffered(app.config.concurrency)
        .try_collect()
        .await?;
    Ok(per_project.into_iter().flatten().collect())
}
