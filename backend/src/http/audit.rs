//! `/audit/access`: who has access to which image, across every project the user has a role
//! in and every region, fetched concurrently (bounded per region) and streamed as it arrives.
//!
//! Every member of a shared image can boot it by id whatever its status, so every member is
//! counted; the status is shown for what it is, the member project's listing preference.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use json::{
    AccessRow, AuditFailure, AuditMessage, MemberStatus, MemberStatusFilter, NamedRef, Visibility,
};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tower_sessions::Session;

use super::AppState;
use super::error::{Error, Result};
use super::extract::Query;
use super::session::CurrentUser;
use crate::openstack::Token;
use crate::openstack::glance::{self, Glance, ImageQuery};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/access", get(access))
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// One `AuditMessage` per line, as results arrive.
    #[default]
    Ndjson,
    Json,
    Csv,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct Filter {
    region: Option<String>,
    /// Owner project id.
    owner: Option<String>,
    /// Member project id.
    member: Option<String>,
    status: Option<MemberStatus>,
    #[serde(default)]
    format: Format,
}

impl Filter {
    fn keeps(&self, row: &AccessRow) -> bool {
        self.owner.as_ref().is_none_or(|o| *o == row.owner_id)
            && self.member.as_ref().is_none_or(|m| *m == row.member_id)
            && self.status.is_none_or(|s| s == row.status)
    }
}

async fn access(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Query(filter): Query<Filter>,
) -> Result<Response> {
    let regions: Vec<(String, String)> = match &filter.region {
        None => user.regions().to_vec(),
        Some(wanted) => {
            user.glance(&app, Some(wanted))?; // unknown_region when it is not offered
            user.regions()
                .iter()
                .filter(|(r, _)| r == wanted)
                .cloned()
                .collect()
        }
    };
    let projects = user.project_tokens(&app, &session).await?;
    let audit = Audit {
        app: app.clone(),
        regions,
        projects,
        filter: filter.clone(),
    };
    let (tx, mut rx) = mpsc::channel::<AuditMessage>(64);
    tokio::spawn(audit.run(tx));

    match filter.format {
        Format::Ndjson => {
            let lines = futures::stream::unfold(rx, |mut rx| async move {
                let msg = rx.recv().await?;
                let mut line = serde_json::to_vec(&msg).unwrap_or_default();
                line.push(b'\n');
                Some((Ok::<_, Infallible>(line), rx))
            });
            Ok((
                [
                    (header::CONTENT_TYPE, "application/x-ndjson"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                Body::from_stream(lines),
            )
                .into_response())
        }
        Format::Json | Format::Csv => {
            let mut result = json::AccessAudit::default();
            while let Some(msg) = rx.recv().await {
                match msg {
                    AuditMessage::Rows { rows } => result.rows.extend(rows),
                    AuditMessage::Failure { failure } => result.failures.push(failure),
                    AuditMessage::Progress { .. } | AuditMessage::Done { .. } => {}
                }
            }
            sort_rows(&mut result.rows);
            if filter.format == Format::Json {
                Ok(axum::Json(result).into_response())
            } else {
                Ok((
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"glimpse-access-audit.csv\"",
                        ),
                    ],
                    to_csv(&result.rows)?,
                )
                    .into_response())
            }
        }
    }
}

fn sort_rows(rows: &mut [AccessRow]) {
    rows.sort_by(|a, b| {
        (&a.region, &a.image_name, &a.image_id, &a.member_id).cmp(&(
            &b.region,
            &b.image_name,
            &b.image_id,
            &b.member_id,
        ))
    });
}

/// One row per image–member pair, the columns the issue names.
pub fn to_csv(rows: &[AccessRow]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "region",
        "image_id",
        "image_name",
        "owner_id",
        "owner_name",
        "member_id",
        "member_name",
        "status",
        "created_at",
        "updated_at",
    ];
    let fail = |e: csv::Error| Error::Internal(e.into());
    w.write_record(header).map_err(fail)?;
    for r in rows {
        w.write_record([
            r.region.as_str(),
            &r.image_id,
            r.image_name.as_deref().unwrap_or_default(),
            &r.owner_id,
            r.owner_name.as_deref().unwrap_or_default(),
            &r.member_id,
            r.member_name.as_deref().unwrap_or_default(),
            r.status.as_str(),
            &r.created_at,
            &r.updated_at,
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.into()))
}

struct Audit {
    app: AppState,
    regions: Vec<(String, String)>,
    projects: Vec<(NamedRef, Result<Token>)>,
    filter: Filter,
}

/// Counts Glance calls for the progress messages.
#[derive(Default)]
struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
}

/// What phase 1 found for one project in one region.
struct Listing {
    region: String,
    glance: Glance,
    project: NamedRef,
    token: Token,
    /// Shared images the project owns: their member lists come next.
    owned_shared: Vec<glance::Image>,
    /// Images other projects share with this one.
    shared_with: Vec<glance::Image>,
}

impl Audit {
    async fn run(self, tx: mpsc::Sender<AuditMessage>) {
        let progress = Arc::new(Progress::default());
        let mut failures = 0usize;
        let mut rows_sent = 0usize;
        let names: BTreeMap<String, String> = self
            .projects
            .iter()
            .map(|(p, _)| (p.id.clone(), p.name.clone()))
            .collect();

        // Projects Keystone would not scope to fail everywhere at once.
        let mut scoped = Vec::new();
        for (project, token) in &self.projects {
            match token {
                Ok(t) => scoped.push((project.clone(), t.clone())),
                Err(e) => {
                    failures += 1;
                    let _ = tx.send(failure(None, Some(project), e)).await;
                }
            }
        }

        // Phase 1: every project's own images and the images shared with it, per region.
        let mut listings = Vec::new();
        let mut phase1 = FuturesUnordered::new();
        for (region, endpoint) in &self.regions {
            let limit = Arc::new(Semaphore::new(self.app.config.concurrency));
            let glance = match Glance::new(
                self.app.http.clone(),
                endpoint,
                region,
                self.app.config.glance_page_size,
            ) {
                Ok(g) => g,
                Err(e) => {
                    failures += 1;
                    let _ = tx
                        .send(failure(Some(region), None, &Error::Internal(e)))
                        .await;
                    continue;
                }
            };
            for (project, token) in &scoped {
                progress.total.fetch_add(1, Ordering::Relaxed);
                phase1.push(list_project(
                    region.clone(),
                    glance.clone(),
                    project.clone(),
                    token.clone(),
                    limit.clone(),
                    progress.clone(),
                ));
            }
        }
        while let Some((region, project, result)) = phase1.next().await {
            let _ = tx.send(progress.message()).await;
            match result {
                Ok(listing) => listings.push(listing),
                Err(e) => {
                    failures += 1;
                    let _ = tx.send(failure(Some(&region), Some(&project), &e)).await;
                }
            }
        }

        // Every owner seen is a real project: with the user's own, the ids a member may
        // rightly have. Anything else nobody here can resolve.
        let mut known: BTreeSet<String> = names.keys().cloned().collect();
        for l in &listings {
            known.extend(l.owned_shared.iter().filter_map(|i| i.owner.clone()));
            known.extend(l.shared_with.iter().filter_map(|i| i.owner.clone()));
        }
        let context = Arc::new(RowContext { names, known });

        // Phase 2: member lists (owner side) and memberships (member side), bounded per region.
        let mut phase2 = FuturesUnordered::new();
        let mut limits: BTreeMap<String, Arc<Semaphore>> = BTreeMap::new();
        for l in listings {
            let limit = limits
                .entry(l.region.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.app.config.concurrency)))
                .clone();
            let owned = l.owned_shared.into_iter().map(|image| (image, Side::Owner));
            // An image whose owner is one of ours is read from the owner's side only.
            let offered = l
                .shared_with
                .into_iter()
                .filter(|image| {
                    !image
                        .owner
                        .as_ref()
                        .is_some_and(|o| context.names.contains_key(o))
                })
                .map(|image| (image, Side::Member));
            for (image, side) in owned.chain(offered) {
                progress.total.fetch_add(1, Ordering::Relaxed);
                phase2.push(read_access(
                    Job {
                        region: l.region.clone(),
                        glance: l.glance.clone(),
                        token: l.token.clone(),
                        project: l.project.clone(),
                        image,
                        side,
                    },
                    limit.clone(),
                    context.clone(),
                ));
            }
        }
        while let Some((region, project, image_id, result)) = phase2.next().await {
            progress.done.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(progress.message()).await;
            match result {
                Ok(rows) => {
                    let rows: Vec<AccessRow> =
                        rows.into_iter().filter(|r| self.filter.keeps(r)).collect();
                    if !rows.is_empty() {
                        rows_sent += rows.len();
                        let _ = tx.send(AuditMessage::Rows { rows }).await;
                    }
                }
                Err(e) => {
                    failures += 1;
                    let mut err = Error::from(e);
                    if let Error::NotFound(_) = err {
                        err =
                            Error::NotFound(format!("Image {image_id} vanished during the audit."));
                    }
                    let _ = tx.send(failure(Some(&region), Some(&project), &err)).await;
                }
            }
        }
        let _ = tx
            .send(AuditMessage::Done {
                rows: rows_sent,
                failures,
            })
            .await;
    }
}

/// Which side of a share a phase-2 read looks from.
enum Side {
    /// The owner reads the image's whole member list.
    Owner,
    /// A member reads its own membership (for its dates).
    Member,
}

struct Job {
    region: String,
    glance: Glance,
    token: Token,
    project: NamedRef,
    image: glance::Image,
    side: Side,
}

/// Phase 2 for one image, within the region's bound.
async fn read_access(
    job: Job,
    limit: Arc<Semaphore>,
    context: Arc<RowContext>,
) -> (
    String,
    NamedRef,
    String,
    Result<Vec<AccessRow>, glance::Error>,
) {
    let _permit = limit.acquire().await;
    let Job {
        region,
        glance,
        token,
        project,
        image,
        side,
    } = job;
    let result = match side {
        Side::Owner => glance.members(&token, &image.id).await.map(|members| {
            members
                .into_iter()
                .map(|m| context.row(&region, &image, m))
                .collect()
        }),
        Side::Member => match glance.member(&token, &image.id, &project.id).await {
            Ok(m) => Ok(vec![context.row(&region, &image, m)]),
            // Removed while we looked: no access any more, no row.
            Err(glance::Error::NotFound(_) | glance::Error::MemberNotFound) => Ok(Vec::new()),
            Err(e) => Err(e),
        },
    };
    (region, project, image.id, result)
}

impl Progress {
    fn message(&self) -> AuditMessage {
        AuditMessage::Progress {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

fn failure(region: Option<&String>, project: Option<&NamedRef>, e: &Error) -> AuditMessage {
    AuditMessage::Failure {
        failure: AuditFailure {
            region: region.cloned(),
            project_id: project.map(|p| p.id.clone()),
            project_name: project.map(|p| p.name.clone()),
            error: e.body(),
        },
    }
}

/// Phase 1 for one project in one region: ONE paginated list. With `visibility=shared` and
/// `member_status=all`, Glance answers the project's own shared images and every image shared
/// with it; the membership read of phase 2 gives the status of the latter.
async fn list_project(
    region: String,
    glance: Glance,
    project: NamedRef,
    token: Token,
    limit: Arc<Semaphore>,
    progress: Arc<Progress>,
) -> (String, NamedRef, Result<Listing>) {
    let listed = {
        let _permit = limit.acquire().await;
        let query = ImageQuery {
            visibility: Some(Visibility::Shared),
            member_status: Some(MemberStatusFilter::All),
            ..ImageQuery::default()
        };
        let r = glance.list_images(&token, &query).await;
        progress.done.fetch_add(1, Ordering::Relaxed);
        r
    };
    let result = listed.map(|images| {
        images
            .into_iter()
            .partition::<Vec<_>, _>(|i| i.owner.as_deref() == Some(project.id.as_str()))
    });
    let result = match result {
        Ok((owned_shared, shared_with)) => Ok(Listing {
            region: region.clone(),
            glance,
            project: project.clone(),
            token,
            owned_shared,
            shared_with,
        }),
        Err(e) => Err(Error::from(e)),
    };
    (region, project, result)
}

struct RowContext {
    /// Names of the user's projects.
    names: BTreeMap<String, String>,
    /// Project ids someone in the audit can vouch for.
    known: BTreeSet<String>,
}

impl RowContext {
    fn row(&self, region: &str, image: &glance::Image, m: glance::Member) -> AccessRow {
        let owner_id = image.owner.clone().unwrap_or_default();
        AccessRow {
            region: region.to_owned(),
            image_id: image.id.clone(),
            image_name: image.name.clone(),
            owner_name: self.names.get(&owner_id).cloned(),
            owner_id,
            member_name: self.names.get(&m.member_id).cloned(),
            member_known: self.known.contains(&m.member_id),
            member_id: m.member_id,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            visibility: image.visibility,
            protected: image.protected,
        }
    }
}
