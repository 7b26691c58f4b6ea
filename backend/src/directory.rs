//! The project directory: names for the projects a user shares with.
//!
//! Keystone does not let a user look up a project it has no role in, so an owner would see
//! its members, and a consumer the owners of what is offered to it, as bare ids. Every
//! sign-in tells Glimpse the signing-in user's projects; the directory keeps them (in the
//! activity database) and names a project to another user, but only where the caller has
//! checked that the two are related by a share that user can see: the caller asks only about
//! the owners of images offered to the user's projects and the members of its images. A name
//! learned this way says when it was last seen. `project_directory = "off"` turns it off.

use std::collections::BTreeMap;

use json::NamedRef;
use time::OffsetDateTime;

use crate::activity::{ActivityLog, Learned};
use crate::config::ProjectDirectory;

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Directory {
    log: ActivityLog,
    mode: ProjectDirectory,
}

impl Directory {
    pub fn new(log: ActivityLog, mode: ProjectDirectory) -> Self {
        Self { log, mode }
    }

    /// A sign-in showed these projects (with their domain ids). A directory that cannot be
    /// written costs the sign-in nothing: it is logged.
    pub async fn learn(&self, projects: &[(NamedRef, Option<String>)]) {
        if self.mode == ProjectDirectory::Off {
            return;
        }
        if let Err(e) = self
            .log
            .remember_projects(projects, OffsetDateTime::now_utc())
            .await
        {
            tracing::warn!(error = %e, "the project directory could not be updated");
        }
    }

    /// What the directory knows of `related` (ids related to the user by a share it can
    /// see: the caller's promise). Nothing when off or unreadable (then logged): a name is a
    /// courtesy, the id stays.
    pub async fn names(&self, mut related: Vec<String>) -> BTreeMap<String, Learned> {
        if self.mode == ProjectDirectory::Off {
            return BTreeMap::new();
        }
        related.sort_unstable();
        related.dedup();
        if related.is_empty() {
            return BTreeMap::new();
        }
        let ids: Vec<&str> = related.iter().map(String::as_str).collect();
        self.log.learned_names(&ids).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the project directory could not be read");
            BTreeMap::new()
        })
    }
}
