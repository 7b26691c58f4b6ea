//! Access history: every completed access audit is kept as a snapshot of its user's, and two
//! snapshots compared show who gained or lost access, each change explained by the activity
//! log's events between them or marked as made outside Glimpse (the `openstack` CLI,
//! Terraform, another dashboard).
//!
//! - [`record`]: an audit's messages become a snapshot as they stream by;
//! - [`pack`]: a snapshot's rows stored compactly;
//! - [`diff`]: added, removed and changed rows, and what cannot be compared (a region or
//!   project that failed is unknown, never "removed");
//! - [`explain`]: the events that explain a change.
//!
//! Stored in the activity database ([`ActivityLog`]); knows neither HTTP nor OpenStack.

mod diff;
mod explain;
mod export;
mod pack;
mod record;

use std::collections::HashMap;

use json::{AccessChange, AccessChanges, AccessRow, ActivityEvent, SnapshotSummary};

use crate::activity::{self, ActivityLog, EventFilter, MAX_LIMIT, NewSnapshot, StoredSnapshot};
use crate::directory::Directory;
use diff::{Coverage, diff, unknown_parts};
use explain::{Kind, explain};
pub use export::changes_csv;
pub use pack::{Packer, Unreadable, unpack};
pub use record::Recorder;

/// At most this many pages of [`MAX_LIMIT`] events explain one comparison.
const EVENT_PAGES: usize = 20;
/// The snapshot list shows at most this many.
const LIST_LIMIT: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such snapshot of this user's (never existed, forgotten, or someone else's); `None`:
    /// the user has none at all.
    #[error("no audit snapshot {}", .0.map_or("at all".into(), |id| id.to_string()))]
    NotFound(Option<i64>),
    #[error("snapshot {from} was taken after snapshot {to}")]
    FromNewerThanTo { from: i64, to: i64 },
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    #[error(transparent)]
    Log(#[from] activity::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Access history over the activity database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct History {
    log: ActivityLog,
    /// Snapshots kept per user (`audit_snapshots_keep`).
    keep: u32,
    /// Names the projects the user shares with.
    directory: Directory,
}

impl History {
    pub fn new(log: ActivityLog, keep: u32, directory: Directory) -> Self {
        Self {
            log,
            keep,
            directory,
        }
    }

    /// Stores a recorded audit; returns its id.
    pub async fn save(&self, snapshot: NewSnapshot) -> Result<i64> {
        Ok(self.log.save_snapshot(snapshot, self.keep).await?)
    }

    /// The user's snapshots, newest first.
    pub async fn snapshots(&self, user_id: &str) -> Result<Vec<SnapshotSummary>> {
        Ok(self.log.snapshots(user_id, LIST_LIMIT).await?)
    }

    /// What changed from the user's snapshot `from` to `to` (their newest when `None`), each
    /// change explained by the events among `visible_projects` (as the activity log shows
    /// them to this user).
    pub async fn changes(
        &self,
        user_id: &str,
        from: i64,
        to: Option<i64>,
        visible_projects: &[String],
    ) -> Result<AccessChanges> {
        let older = self.load(user_id, Some(from)).await?;
        let newer = self.load(user_id, to).await?;
        if older.summary.id > newer.summary.id {
            return Err(Error::FromNewerThanTo {
                from: older.summary.id,
                to: newer.summary.id,
            });
        }
        let names: HashMap<&str, &str> = older
            .summary
            .projects
            .iter()
            .chain(&newer.summary.projects)
            .map(|p| (p.id.as_str(), p.name.as_str()))
            .collect();
        let coverage =
            |s: &StoredSnapshot| Coverage::new(&s.summary.regions, &s.summary.projects, &s.gaps);
        let (from_covers, to_covers) = (coverage(&older), coverage(&newer));
        let named = |s: &StoredSnapshot| -> Result<Vec<AccessRow>> {
            let mut rows = unpack(&s.packed)?;
            for row in &mut rows {
                row.owner_name = names.get(row.owner_id.as_str()).map(|n| n.to_string());
                row.member_name = names.get(row.member_id.as_str()).map(|n| n.to_string());
            }
            Ok(rows)
        };
        let mut d = diff(named(&older)?, &from_covers, named(&newer)?, &to_covers);
        self.name_from_directory(&mut d).await;

        let events = if d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty() {
            Vec::new()
        } else {
            self.events_between(&older.started_at, &newer.summary.taken_at, visible_projects)
                .await?
        };
        let mut added: Vec<AccessChange> = d
            .added
            .into_iter()
            .map(|r| explain(Kind::Added, r, Vec::new(), &events))
            .collect();
        let mut removed: Vec<AccessChange> = d
            .removed
            .into_iter()
            .map(|r| explain(Kind::Removed, r, Vec::new(), &events))
            .collect();
        let mut changed: Vec<AccessChange> = d
            .changed
            .into_iter()
            .map(|(r, fields)| explain(Kind::Changed, r, fields, &events))
            .collect();
        for list in [&mut added, &mut removed, &mut changed] {
            sort_changes(list);
        }
        Ok(AccessChanges {
            unknown: unknown_parts(&from_covers, &to_covers),
            from: older.summary,
            to: newer.summary,
            added,
            removed,
            changed,
        })
    }

    /// Names the other side of each differing row (every row is a share the user saw) where
    /// the project directory can.
    async fn name_from_directory(&self, d: &mut diff::Diff) {
        let rows = || {
            d.added
                .iter()
                .chain(&d.removed)
                .chain(d.changed.iter().map(|(r, _)| r))
        };
        let unnamed: Vec<String> = rows()
            .flat_map(|r| {
                let owner = r.owner_name.is_none().then(|| r.owner_id.clone());
                let member = r.member_name.is_none().then(|| r.member_id.clone());
                owner.into_iter().chain(member)
            })
            .collect();
        let learned = self.directory.names(unnamed).await;
        if learned.is_empty() {
            return;
        }
        let rows = d
            .added
            .iter_mut()
            .chain(&mut d.removed)
            .chain(d.changed.iter_mut().map(|(r, _)| r));
        for row in rows {
            if row.owner_name.is_none()
                && let Some(l) = learned.get(&row.owner_id)
            {
                row.owner_name = Some(l.name.clone());
                row.owner_name_seen = Some(l.last_seen.clone());
            }
            if row.member_name.is_none()
                && let Some(l) = learned.get(&row.member_id)
            {
                row.member_name = Some(l.name.clone());
                row.member_name_seen = Some(l.last_seen.clone());
            }
        }
    }

    async fn load(&self, user_id: &str, id: Option<i64>) -> Result<StoredSnapshot> {
        self.log
            .snapshot(user_id, id)
            .await?
            .ok_or(Error::NotFound(id))
    }

    /// The events asked for from `from` to `to` (stored text instants), oldest first.
    async fn events_between(
        &self,
        from: &str,
        to: &str,
        visible_projects: &[String],
    ) -> Result<Vec<ActivityEvent>> {
        let mut events = Vec::new();
        let mut before = None;
        for _ in 0..EVENT_PAGES {
            let page = self
                .log
                .query(
                    &EventFilter {
                        from: Some(from.to_owned()),
                        to: Some(to.to_owned()),
                        before,
                        limit: Some(MAX_LIMIT),
                        ..EventFilter::default()
                    },
                    visible_projects,
                )
                .await?;
            events.extend(page.events);
            match page.next_before {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        events.reverse();
        Ok(events)
    }
}

/// By region, image name, image, member: the order of the audit's exports.
fn sort_changes(changes: &mut [AccessChange]) {
    changes.sort_by(|a, b| {
        (&a.region, &a.image_name, &a.image_id, &a.member_id).cmp(&(
            &b.region,
            &b.image_name,
            &b.image_id,
            &b.member_id,
        ))
    });
}
