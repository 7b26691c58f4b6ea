//! Recording an audit as it streams by: its rows packed as they come, its failures kept, and
//! a snapshot once it completes.

use json::{AuditMessage, NamedRef, UnknownPart};
use time::OffsetDateTime;

use super::pack::Packer;
use crate::activity::NewSnapshot;

/// Watches one audit's messages (see [`Recorder::see`]).
pub struct Recorder {
    user_id: String,
    started_at: OffsetDateTime,
    regions: Vec<String>,
    projects: Vec<NamedRef>,
    rows: Packer,
    gaps: Vec<UnknownPart>,
}

impl Recorder {
    /// For an audit of `regions` and `projects` by `user_id`, starting now.
    pub fn new(user_id: String, regions: Vec<String>, projects: Vec<NamedRef>) -> Self {
        Self {
            user_id,
            started_at: OffsetDateTime::now_utc(),
            regions,
            projects,
            rows: Packer::default(),
            gaps: Vec::new(),
        }
    }

    /// Takes in one message; the snapshot when it is the audit's last (`done`). An audit that
    /// never says `done` (stopped, its client gone) is no snapshot.
    pub fn see(&mut self, message: &AuditMessage) -> Option<NewSnapshot> {
        match message {
            AuditMessage::Rows { rows } => rows.iter().for_each(|r| self.rows.push(r)),
            AuditMessage::Failure { failure } => self.gaps.push(UnknownPart {
                region: failure.region.clone(),
                project_id: failure.project_id.clone(),
                project_name: failure.project_name.clone(),
            }),
            AuditMessage::Progress { .. } => {}
            AuditMessage::Done { .. } => return Some(self.snapshot()),
        }
        None
    }

    fn snapshot(&mut self) -> NewSnapshot {
        self.gaps.sort();
        self.gaps.dedup();
        let rows = std::mem::take(&mut self.rows);
        NewSnapshot {
            user_id: self.user_id.clone(),
            started_at: self.started_at,
            taken_at: OffsetDateTime::now_utc(),
            rows: rows.len(),
            regions: self.regions.clone(),
            projects: self.projects.clone(),
            gaps: std::mem::take(&mut self.gaps),
            packed: rows.finish(),
        }
    }
}
