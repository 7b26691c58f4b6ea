//! Copies of an image to another region, each run as a task of its own.
//!
//! A copy is checked (the source is the project's own, `active`, the target another region
//! that offers the method asked for), its intent recorded in the activity log, its target
//! image made (`queued`, with the source's name, formats, `min_*`, tags and properties and
//! `glimpse_copied_from`), and then it runs on its own ([`run`]): a client going away never
//! stops it, a `DELETE` does. Its state is in the activity database, so every replica and a
//! restarted Glimpse see it; a copy whose process died (its heartbeat stopped) is marked
//! failed by [`Copies::recover`] and its partial image deleted at the owner's next look.
//!
//! Two methods: `glance-download`, where the target's Glance pulls the data from the source's
//! itself (Glance's interoperable import), and `stream`, where Glimpse pipes the source's
//! `GET …/file` into the target's `PUT …/file`, one chunk at a time.

mod error;
mod run;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use json::{Action, CopyMethod, CopyState};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

pub use error::Error;

use crate::activity::{ActivityLog, CopyRecord, NewCopy, NewEvent};
use crate::changes::Actor;
use crate::openstack::glance::{self, Glance, NewImage};

/// How often a running copy records its progress (its heartbeat).
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A running copy silent this long was left by a process that died.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(15);
/// Copies a project's list shows.
const LIST_LIMIT: u32 = 100;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Copies one user may run at once (on this process).
    pub per_user: usize,
    /// Copies running at once on this process.
    pub total: usize,
    /// The longest a copy's data transfer may take.
    pub transfer_limit: Duration,
    /// The longest a copy waits for the next chunk of data.
    pub stall_limit: Duration,
    /// The catalog interface Glance uses to reach the source (`glance-download`).
    pub interface: String,
    /// Member invitations in flight at once.
    pub concurrency: usize,
}

/// The copies this process runs, and the way to start more. Cheap to clone.
#[derive(Clone)]
pub struct Copies(Arc<Inner>);

struct Inner {
    log: ActivityLog,
    settings: Settings,
    slots: Arc<Semaphore>,
    running: Mutex<HashMap<String, Live>>,
}

/// What the process knows of a copy it runs.
struct Live {
    user_id: String,
    bytes_done: Arc<AtomicU64>,
    cancel: Arc<Notify>,
}

/// A copy to start.
pub struct Request {
    pub actor: Actor,
    pub source: Glance,
    pub target: Glance,
    pub image_id: String,
    pub with_members: bool,
    pub method: CopyMethod,
}

/// Properties Glance keeps for itself, or that point into the source's stores.
fn is_reserved(key: &str) -> bool {
    key.starts_with("os_glance")
        || matches!(
            key,
            "self" | "file" | "schema" | "locations" | "direct_url" | "stores" | "os_hash_algo"
        )
}

impl Copies {
    pub fn new(log: ActivityLog, settings: Settings) -> Self {
        Self(Arc::new(Inner {
            log,
            slots: Arc::new(Semaphore::new(settings.total.max(1))),
            settings,
            running: Mutex::default(),
        }))
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks and starts a copy; answers it `running`, its target image made.
    pub async fn start(&self, req: Request) -> Result<json::Copy, Error> {
        let (source_region, target_region) = (req.source.region(), req.target.region());
        if source_region == target_region {
            return Err(Error::SameRegion);
        }
        let token = &req.actor.token;
        let image = req.source.image(token, &req.image_id).await?;
        if image.owner.as_deref() != Some(req.actor.project.id.as_str()) {
            return Err(Error::NotOwner);
        }
        if image.status != "active" {
            return Err(Error::NotActive {
                status: image.status,
            });
        }
        let offers_download = || async {
            let methods = req.target.import_methods(token).await?;
            Ok::<_, Error>(methods.iter().any(|m| m == "glance-download"))
        };
        let method = match req.method {
            CopyMethod::Stream => CopyMethod::Stream,
            CopyMethod::GlanceDownload if offers_download().await? => CopyMethod::GlanceDownload,
            CopyMethod::GlanceDownload => {
                return Err(Error::MethodUnavailable {
                    region: target_region.to_owned(),
                });
            }
            CopyMethod::Auto if offers_download().await? => CopyMethod::GlanceDownload,
            CopyMethod::Auto => CopyMethod::Stream,
        };
        let permit = self.claim(&req.actor.user.id)?;
        let project_id = req.actor.project.id.clone();

        // No log, no change: the intent first, then the target image.
        let event = NewEvent {
            user_id: req.actor.user.id.clone(),
            user_name: req.actor.user.name.clone(),
            project_id: req.actor.project.id.clone(),
            project_name: req.actor.project.name.clone(),
            region: source_region.to_owned(),
            action: Action::CopyImage,
            image_id: image.id.clone(),
            image_name: image.name.clone(),
            member_id: None,
            request_id: req.actor.request_id.clone(),
        };
        let log = &self.0.log;
        let event_id = log.begin_copy(event, target_region).await?;
        let target = match req
            .target
            .create_image(token, &new_image(&image, source_region, req.with_members))
            .await
        {
            Ok(target) => target,
            Err(e) => {
                let error = Error::from(e);
                finish_event(log, event_id, error.code().as_str()).await;
                return Err(error);
            }
        };
        let id = uuid::Uuid::new_v4().to_string();
        let recorded = async {
            log.set_copy_target(event_id, &target.id).await?;
            log.insert_copy(NewCopy {
                id: id.clone(),
                event_id,
                user_id: req.actor.user.id.clone(),
                project_id: req.actor.project.id.clone(),
                source_region: source_region.to_owned(),
                source_image_id: image.id.clone(),
                image_name: image.name.clone(),
                target_region: target_region.to_owned(),
                target_image_id: target.id.clone(),
                method: method.as_str().to_owned(),
                with_members: req.with_members,
                bytes_total: image.size,
            })
            .await
        };
        if let Err(e) = recorded.await {
            // Not recorded, so not started: the new image goes too.
            let _ = req.target.delete_image(token, &target.id).await;
            finish_event(log, event_id, json::ErrorCode::LogUnavailable.as_str()).await;
            return Err(e.into());
        }

        let live = Live {
            user_id: req.actor.user.id.clone(),
            bytes_done: Arc::default(),
            cancel: Arc::default(),
        };
        let job = run::Job {
            copies: self.clone(),
            id: id.clone(),
            event_id,
            method,
            source_image: image,
            target_id: target.id,
            bytes_done: live.bytes_done.clone(),
            cancel: live.cancel.clone(),
            req,
        };
        self.running().insert(id.clone(), live);
        tokio::spawn(job.run(permit));
        self.get(&project_id, &id).await
    }

    /// One slot of the process's copies, and one of the user's.
    fn claim(&self, user_id: &str) -> Result<OwnedSemaphorePermit, Error> {
        let per_user = self.0.settings.per_user.max(1);
        let mine = self
            .running()
            .values()
            .filter(|l| l.user_id == user_id)
            .count();
        if mine >= per_user {
            return Err(Error::TooMany {
                limit: per_user,
                per_user: true,
            });
        }
        self.0
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::TooMany {
                limit: self.0.settings.total.max(1),
                per_user: false,
            })
    }

    /// A copy of `project_id`'s, with its live progress when this process runs it.
    pub async fn get(&self, project_id: &str, id: &str) -> Result<json::Copy, Error> {
        match self.0.log.copy(id).await? {
            Some(record) if record.project_id == project_id => Ok(self.shown(record)),
            _ => Err(Error::NotFound),
        }
    }

    /// The project's copies, newest first.
    pub async fn list(&self, project_id: &str) -> Result<Vec<json::Copy>, Error> {
        let records = self.0.log.copies_of(project_id, LIST_LIMIT).await?;
        Ok(records.into_iter().map(|r| self.shown(r)).collect())
    }

    /// Asks a running copy to stop (on whichever replica runs it) and waits a little for it
    /// to end, its partial image deleted; answers the copy as it then is.
    pub async fn cancel(&self, project_id: &str, id: &str) -> Result<json::Copy, Error> {
        let copy = self.get(project_id, id).await?;
        if copy.state.is_over() {
            return Ok(copy);
        }
        self.0.log.request_copy_cancel(id).await?;
        if let Some(live) = self.running().get(id) {
            live.cancel.notify_one();
        }
        let deadline = tokio::time::Instant::now() + ABANDONED_AFTER;
        loop {
            let copy = self.get(project_id, id).await?;
            if copy.state.is_over() || tokio::time::Instant::now() >= deadline {
                return Ok(copy);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Marks failed the copies whose process died; answers how many.
    pub async fn recover(&self) -> Result<usize, Error> {
        let cutoff = OffsetDateTime::now_utc() - ABANDONED_AFTER;
        let mut settled = 0;
        for record in self.0.log.abandoned_copies(cutoff).await? {
            if self.running().contains_key(&record.id) {
                continue; // ours, and only slow to write
            }
            let error = Error::Interrupted;
            let ended = self
                .0
                .log
                .finish_copy(
                    &record.id,
                    CopyState::Failed.as_str(),
                    u64::try_from(record.bytes_done).unwrap_or(0),
                    Some((error.code().as_str(), &error.sentence())),
                    true,
                )
                .await?;
            if ended {
                finish_event(&self.0.log, record.event_id, error.code().as_str()).await;
                tracing::warn!(copy = %record.id, "a copy was interrupted: marked failed");
                settled += 1;
            }
        }
        Ok(settled)
    }

    /// Deletes the partial images that interrupted copies of the project left, with the
    /// project's own token; `glance` gives the Glance of a region.
    pub async fn remove_leftovers(
        &self,
        project_id: &str,
        token: &crate::openstack::Token,
        glance: impl Fn(&str) -> Option<Glance>,
    ) -> Result<(), Error> {
        for record in self.0.log.leftovers_of(project_id).await? {
            let Some(target_id) = &record.target_image_id else {
                continue;
            };
            let Some(target) = glance(&record.target_region) else {
                continue;
            };
            match target.delete_image(token, target_id).await {
                Ok(()) | Err(glance::Error::NotFound(_)) => {
                    self.0.log.clear_leftover(&record.id).await?;
                    tracing::info!(copy = %record.id, "partial image of an interrupted copy deleted");
                }
                Err(e) => {
                    tracing::warn!(copy = %record.id, error = %e, "cannot delete a partial image yet")
                }
            }
        }
        Ok(())
    }

    /// Runs [`recover`](Self::recover) now and then, for as long as the process runs.
    pub async fn keep_recovering(self) {
        loop {
            match self.recover().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(copies = n, "interrupted copies marked failed"),
                Err(e) => tracing::warn!(error = %e, "cannot look for interrupted copies now"),
            }
            tokio::time::sleep(ABANDONED_AFTER / 3).await;
        }
    }

    fn shown(&self, r: CopyRecord) -> json::Copy {
        let live = self
            .running()
            .get(&r.id)
            .map(|l| l.bytes_done.load(Ordering::Relaxed));
        let bytes_done = match (live, r.state.as_str()) {
            (Some(n), "running") => n,
            _ => u64::try_from(r.bytes_done).unwrap_or(0),
        };
        let bytes_per_second = rate(bytes_done, &r.started_at, r.finished_at.as_deref());
        json::Copy {
            bytes_per_second,
            error: r.error_code.as_deref().map(|code| {
                let code: json::ErrorCode = serde_json::from_value(Value::String(code.to_owned()))
                    .unwrap_or(json::ErrorCode::Unknown);
                json::ErrorBody::new(code, r.error_message.clone().unwrap_or_default())
            }),
            id: r.id,
            source_region: r.source_region,
            source_image_id: r.source_image_id,
            image_name: r.image_name,
            target_region: r.target_region,
            target_image_id: r.target_image_id,
            method: CopyMethod::parse(&r.method).unwrap_or(CopyMethod::Stream),
            with_members: r.with_members != 0,
            state: CopyState::parse(&r.state).unwrap_or(CopyState::Failed),
            bytes_done,
            bytes_total: r.bytes_total.and_then(|n| u64::try_from(n).ok()),
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// Bytes a second on average from `started` to `finished` (or now).
fn rate(bytes: u64, started: &str, finished: Option<&str>) -> u64 {
    use time::format_description::well_known::Rfc3339;
    let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).ok();
    let end = finished
        .and_then(parse)
        .unwrap_or_else(OffsetDateTime::now_utc);
    match parse(started) {
        Some(start) if end > start => (bytes as f64 / (end - start).as_seconds_f64()) as u64,
        _ => 0,
    }
}

/// The target image: the source's name, formats, `min_*`, tags and properties, its source
/// recorded; with `with_members`, the source's visibility (else private).
fn new_image(source: &glance::Image, region: &str, with_members: bool) -> NewImage {
    let mut properties: std::collections::BTreeMap<String, Value> = source
        .properties
        .iter()
        .filter(|(key, _)| !is_reserved(key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    properties.insert(
        json::COPIED_FROM.to_owned(),
        Value::String(format!("{region}/{}", source.id)),
    );
    NewImage {
        name: source.name.clone(),
        disk_format: source.disk_format.clone(),
        container_format: source.container_format.clone(),
        visibility: Some(if with_members {
            source.visibility
        } else {
            json::Visibility::Private
        }),
        min_disk: source.min_disk,
        min_ram: source.min_ram,
        os_hidden: source.os_hidden,
        tags: source.tags.clone(),
        properties,
    }
}

async fn finish_event(log: &ActivityLog, event_id: i64, outcome: &str) {
    if let Err(e) = log.finish(event_id, outcome).await {
        tracing::error!(error = %e, event = event_id, "could not record a copy's outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_properties_stay_behind() {
        for key in [
            "os_glance_import_task",
            "os_glance_failed_import",
            "locations",
            "direct_url",
            "stores",
            "self",
        ] {
            assert!(is_reserved(key), "{key}");
        }
        for key in [
            "os_distro",
            "hw_disk_bus",
            "architecture",
            "glimpse_copied_from",
        ] {
            assert!(!is_reserved(key), "{key}");
        }
    }
}
