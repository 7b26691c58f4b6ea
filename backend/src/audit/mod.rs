//! The access audit: who has access to which image, across every project the user has a role
//! in and every region, read from Glance concurrently and yielded as it arrives.
//!
//! Every member of a shared image can boot it by id whatever its status, so every member is
//! counted; the status is shown for what it is, the member project's listing preference.
//!
//! [`Audit::start`] gives a stream of [`json::AuditMessage`]s (`progress`, `rows`, `failure`,
//! then `done`). The audit runs as its own task, and dropping the stream stops it at once: a
//! client that went away (or whose request timed out) costs Glance nothing more. Glance calls
//! are bounded per region within an audit (`concurrency`) and across all audits at once (one
//! shared semaphore), and a session runs one audit at a time ([`Running`]).
//!
//! 1. per region and project, ONE paginated list: with `visibility=shared` and
//!    `member_status=all`, Glance answers the project's own shared images and every image
//!    shared with it;
//! 2. then the member list of each owned shared image, and the project's own membership of
//!    each image shared with it (for its status and dates). An image whose owner is one of the
//!    user's projects is read from the owner's side only.

mod rows;
mod running;
mod sender;

use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::{self, FuturesUnordered};
use json::{AccessRow, AuditMessage, MemberStatusFilter, NamedRef, Visibility};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

pub use rows::RowFilter;
pub use running::{Claim, Running};

use crate::directory::Directory;
use crate::openstack::glance::{self, Glance, ImageQuery};
use crate::openstack::{OpenStackError, Token};
use rows::{LearnedCache, RowContext, name_learned};
use sender::{Progress, Sender};

/// What could not be audited, typed; the caller words it ([`Describe`]).
#[derive(Debug)]
pub enum Failure {
    /// Keystone would not give a token for the project; already worded by the caller.
    Unscoped(json::ErrorBody),
    /// The region's catalog entry cannot be used.
    Endpoint(OpenStackError),
    /// Glance refused or failed.
    Glance(glance::Error),
    /// The image disappeared between the list and the read of its members.
    Vanished { image_id: String },
}

/// Words a failure for the person who asked for the audit (the HTTP layer's error table).
pub type Describe = fn(Failure) -> json::ErrorBody;

/// One audit, ready to start.
pub struct Audit {
    /// The pooled OpenStack client.
    pub http: reqwest::Client,
    pub page_size: u32,
    /// Glance calls in flight at once per region, within this audit.
    pub concurrency: usize,
    /// Glance calls in flight at once across every running audit.
    pub glance_calls: Arc<Semaphore>,
    /// Glance endpoint by region.
    pub regions: Vec<(String, String)>,
    /// Every project of every account of the session, each with its token or why there is
    /// none.
    pub projects: Vec<Viewpoint>,
    pub filter: RowFilter,
    /// Names the projects shared with, where it can.
    pub directory: Directory,
    pub order: Order,
}

/// One project to audit, as the account of the session that has it sees it.
pub struct Viewpoint {
    pub account: NamedRef,
    pub project: NamedRef,
    pub token: Result<Token, json::ErrorBody>,
}

/// The order rows come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// As Glance answers: the fastest, for a client that sorts them itself (the web UI).
    AsRead,
    /// By region, image name, image id and member (the exports' order), so that an export
    /// can be written as it comes, holding no rows: each region's reads are answered in order (still `concurrency` at a time), and
    /// the regions one after another.
    Sorted,
}

/// The audit's messages as they come; dropping this stops the audit (and frees its claim).
pub struct Messages {
    rx: mpsc::Receiver<AuditMessage>,
    task: JoinHandle<()>,
    _claim: Claim,
}

impl futures::Stream for Messages {
    type Item = AuditMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<AuditMessage>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        // Its in-flight Glance calls are dropped with it: their connections close.
        self.task.abort();
    }
}

impl Audit {
    /// Starts the audit as its own task, held by `claim` (one audit per session).
    pub fn start(self, claim: Claim, describe: Describe) -> Messages {
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(crate::openstack::carrying_request_id(
            self.run(Sender::new(tx, describe)),
        ));
        Messages {
            rx,
            task,
            _claim: claim,
        }
    }

    async fn run(mut self, mut out: Sender) {
        let started = Instant::now();
        let progress = Arc::new(Progress::default());
        let mut failures = 0usize;
        let mut rows_sent = 0usize;
        let mut learned = LearnedCache::new();
        let names: BTreeMap<String, String> = self
            .projects
            .iter()
            .map(|v| (v.project.id.clone(), v.project.name.clone()))
            .collect();

        // Projects Keystone would not scope fail everywhere at once.
        let mut scoped = Vec::new();
        for Viewpoint {
            account,
            project,
            token,
        } in std::mem::take(&mut self.projects)
        {
            match token {
                Ok(t) => scoped.push((account, project, t)),
                Err(body) => {
                    failures += 1;
                    out.failure(
                        None,
                        Some(&project),
                        Some(&account),
                        Failure::Unscoped(body),
                    )
                    .await;
                }
            }
        }

        // Phase 1: every project's own images and the images shared with it, per region.
        let mut glances = Vec::new();
        for (region, endpoint) in &self.regions {
            match Glance::new(self.http.clone(), endpoint, region, self.page_size) {
                Ok(glance) => glances.push((glance, self.bound())),
                Err(e) => {
                    failures += 1;
                    out.failure(Some(region), None, None, Failure::Endpoint(e))
                        .await;
                }
            }
        }
        let mut phase1 = FuturesUnordered::new();
        for (glance, region_bound) in &glances {
            for (account, project, token) in &scoped {
                progress.total.fetch_add(1, Ordering::Relaxed);
                phase1.push(self.list_project(
                    glance,
                    account,
                    project,
                    token,
                    region_bound,
                    &progress,
                ));
            }
        }
        let mut listings = Vec::new();
        while let Some((region, account, project, result)) = phase1.next().await {
            if !out.progress(&progress).await {
                return;
            }
            match result {
                Ok(listing) => listings.push(listing),
                Err(e) => {
                    failures += 1;
                    out.failure(
                        Some(&region),
                        Some(&project),
                        Some(&account),
                        Failure::Glance(e),
                    )
                    .await;
                }
            }
        }
        drop(phase1);

        // Every owner seen is a real project: with the user's own, the ids a member may
        // rightly have. Anything else nobody here can resolve.
        let mut known: BTreeSet<String> = names.keys().cloned().collect();
        for l in &listings {
            known.extend(l.owned_shared.iter().filter_map(|i| i.owner.clone()));
            known.extend(l.shared_with.iter().filter_map(|i| i.owner.clone()));
        }
        let context = RowContext { names, known };

        // Phase 2: member lists (owner side) and memberships (member side), per region.
        let mut jobs: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        for l in listings {
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
            let region = jobs.entry(l.from.glance.region().to_owned()).or_default();
            for (image, side) in owned.chain(offered) {
                progress.total.fetch_add(1, Ordering::Relaxed);
                region.push(Job {
                    from: l.from.clone(),
                    image,
                    side,
                });
            }
        }
        // Each region's reads start as earlier ones end, `concurrency` at a time: an audit of
        // 10,000 images holds a few requests per region, not 10,000 futures waiting their turn.
        let (audit, context) = (&self, &context);
        let concurrency = self.concurrency.max(1);
        let regions = jobs.into_values().map(|mut region_jobs| {
            let reads = move |jobs: Vec<Job>| {
                stream::iter(jobs).map(move |job| audit.read_access(job, context))
            };
            match self.order {
                Order::AsRead => reads(region_jobs).buffer_unordered(concurrency).boxed(),
                Order::Sorted => {
                    region_jobs.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                    reads(region_jobs).buffered(concurrency).boxed()
                }
            }
        });
        // Regions come in name order from the map.
        let mut phase2 = match self.order {
            Order::AsRead => stream::select_all(regions).boxed(),
            Order::Sorted => stream::iter(regions).flatten().boxed(),
        };
        while let Some((job, result)) = phase2.next().await {
            progress.done.fetch_add(1, Ordering::Relaxed);
            if !out.progress(&progress).await {
                return;
            }
            match result {
                Ok(rows) => {
                    let mut rows: Vec<AccessRow> =
                        rows.into_iter().filter(|r| self.filter.keeps(r)).collect();
                    if !rows.is_empty() {
                        name_learned(&self.directory, &mut rows, &mut learned).await;
                        rows_sent += rows.len();
                        if !out.send(AuditMessage::Rows { rows }).await {
                            return;
                        }
                    }
                }
                Err(e) => {
                    failures += 1;
                    let failure = match e {
                        glance::Error::NotFound(_) => Failure::Vanished {
                            image_id: job.image.id.clone(),
                        },
                        other => Failure::Glance(other),
                    };
                    out.failure(
                        Some(job.from.glance.region()),
                        Some(&job.from.project),
                        Some(&job.from.account),
                        failure,
                    )
                    .await;
                }
            }
        }
        // Counted when it ran to the end; an audit whose client went away is not.
        crate::metrics::audit_ran(failures == 0, started.elapsed());
        out.send(progress.message()).await;
        out.send(AuditMessage::Done {
            rows: rows_sent,
            failures,
        })
        .await;
    }

    /// A new bound for one region's calls within this audit.
    fn bound(&self) -> Arc<Semaphore> {
        Arc::new(Semaphore::new(self.concurrency.max(1)))
    }

    /// Phase 1 for one project in one region.
    async fn list_project(
        &self,
        glance: &Glance,
        account: &NamedRef,
        project: &NamedRef,
        token: &Token,
        region_bound: &Semaphore,
        progress: &Progress,
    ) -> (String, NamedRef, NamedRef, Result<Listing, glance::Error>) {
        let listed = {
            let _permits = (
                region_bound.acquire().await,
                self.glance_calls.acquire().await,
            );
            let query = ImageQuery {
                visibility: Some(Visibility::Shared),
                member_status: Some(MemberStatusFilter::All),
                ..ImageQuery::default()
            };
            glance.list_image_briefs(token, &query).await
        };
        progress.done.fetch_add(1, Ordering::Relaxed);
        let result = listed.map(|images| {
            let (owned_shared, shared_with) = images
                .into_iter()
                .partition(|i| i.owner.as_deref() == Some(project.id.as_str()));
            Listing {
                from: Arc::new(Lister {
                    glance: glance.clone(),
                    account: account.clone(),
                    project: project.clone(),
                    token: token.clone(),
                }),
                owned_shared,
                shared_with,
            }
        });
        (
            glance.region().to_owned(),
            account.clone(),
            project.clone(),
            result,
        )
    }

    /// Phase 2 for one image, within the bound across audits (its region's is the stream's).
    async fn read_access(
        &self,
        job: Job,
        context: &RowContext,
    ) -> (Job, Result<Vec<AccessRow>, glance::Error>) {
        let _global = self.glance_calls.acquire().await;
        let Lister {
            glance,
            account,
            project,
            token,
        } = &*job.from;
        let region = glance.region();
        let result = match job.side {
            Side::Owner => glance.members(token, &job.image.id).await.map(|members| {
                let mut rows: Vec<AccessRow> = members
                    .into_iter()
                    .map(|m| context.row(region, &job.image, m, account))
                    .collect();
                rows.sort_by(|a, b| a.member_id.cmp(&b.member_id));
                rows
            }),
            Side::Member => match glance.member(token, &job.image.id, &project.id).await {
                Ok(m) => Ok(vec![context.row(region, &job.image, m, account)]),
                // Removed while we looked: no access any more, no row.
                Err(glance::Error::NotFound(_) | glance::Error::MemberNotFound) => Ok(Vec::new()),
                Err(e) => Err(e),
            },
        };
        (job, result)
    }
}

/// What phase 1 found for one project in one region.
struct Listing {
    from: Arc<Lister>,
    /// Shared images the project owns: their member lists come next.
    owned_shared: Vec<glance::ImageBrief>,
    /// Images other projects share with this one.
    shared_with: Vec<glance::ImageBrief>,
}

/// Which side of a share a phase-2 read looks from.
enum Side {
    /// The owner reads the image's whole member list.
    Owner,
    /// A member reads its own membership (for its status and dates).
    Member,
}

/// Who lists, and reads next: one project in one region. Shared by the jobs of its listing,
/// so that 10,000 jobs do not each hold a copy of the token and the endpoint.
struct Lister {
    glance: Glance,
    /// The session's account that lists.
    account: NamedRef,
    project: NamedRef,
    token: Token,
}

struct Job {
    from: Arc<Lister>,
    image: glance::ImageBrief,
    side: Side,
}

impl Job {
    /// Within a region, [`Order::Sorted`]'s order of the rows it gives (an owner's rows are
    /// sorted by member, a member's one row is its own project's).
    fn sort_key(&self) -> (&Option<String>, &str, &str) {
        (&self.image.name, &self.image.id, &self.from.project.id)
    }
}
