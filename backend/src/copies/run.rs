//! One copy, running: the data (by either method), then the check of Glance's hashes, then
//! the members; on any failure or a cancel, the partial target image is deleted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use json::{CopyMethod, CopyState, Visibility, outcome};
use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::{Copies, Error, HEARTBEAT, Request, finish_event};
use crate::changes::Changes;
use crate::openstack::glance::{self, Glance};

/// How often a `glance-download` import is looked at.
const IMPORT_POLL: Duration = Duration::from_millis(500);

pub(super) struct Job {
    pub(super) copies: Copies,
    pub(super) id: String,
    pub(super) event_id: i64,
    pub(super) method: CopyMethod,
    pub(super) source_image: glance::Image,
    pub(super) target_id: String,
    pub(super) bytes_done: Arc<AtomicU64>,
    pub(super) cancel: Arc<Notify>,
    pub(super) req: Request,
}

impl Job {
    /// Runs the copy to its end and records it; `_permit` holds its slot until then.
    pub(super) async fn run(self, _permit: OwnedSemaphorePermit) {
        let result = tokio::select! {
            result = self.transfer() => result,
            stop = self.watch() => Err(stop),
        };
        let result = match result {
            Ok(()) => self.invite_members().await,
            Err(e) => Err(e),
        };
        let log = &self.copies.0.log;
        let done = self.bytes_done.load(Ordering::Relaxed);
        let (state, error, outcome) = match &result {
            Ok(()) => (CopyState::Done, None, outcome::OK.to_owned()),
            Err(e) => {
                tracing::warn!(copy = %self.id, error = %e, source = ?std::error::Error::source(e), "copy failed");
                let state = if matches!(e, Error::Cancelled) {
                    CopyState::Cancelled
                } else {
                    CopyState::Failed
                };
                (
                    state,
                    Some((e.code(), e.sentence())),
                    e.code().as_str().to_owned(),
                )
            }
        };
        // A copy that did not end well leaves no image behind.
        let leftover = error.is_some() && !self.delete_target().await;
        let error = error.as_ref().map(|(code, s)| (code.as_str(), s.as_str()));
        if let Err(e) = log
            .finish_copy(&self.id, state.as_str(), done, error, leftover)
            .await
        {
            tracing::error!(copy = %self.id, error = %e, "could not record a copy's end");
        }
        finish_event(log, self.event_id, &outcome).await;
        self.copies.running().remove(&self.id);
        tracing::info!(copy = %self.id, state = state.as_str(), bytes = done, "copy ended");
    }

    /// Records progress every [`HEARTBEAT`] until a cancel is asked for, here or on another
    /// replica; never ends otherwise.
    async fn watch(&self) -> Error {
        let log = &self.copies.0.log;
        loop {
            tokio::select! {
                () = self.cancel.notified() => return Error::Cancelled,
                () = tokio::time::sleep(HEARTBEAT) => {}
            }
            match log
                .copy_progress(&self.id, self.bytes_done.load(Ordering::Relaxed))
                .await
            {
                Ok(true) => return Error::Cancelled,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(copy = %self.id, error = %e, "cannot record a copy's progress")
                }
            }
        }
    }

    async fn transfer(&self) -> Result<(), Error> {
        match self.method {
            CopyMethod::GlanceDownload => self.glance_download().await?,
            CopyMethod::Stream | CopyMethod::Auto => self.stream().await?,
        }
        self.check_hash().await
    }

    /// Pipes the source's data into the target, a chunk at a time: the upload asks for the
    /// next chunk only once it has sent the last (back-pressure), so memory stays flat.
    async fn stream(&self) -> Result<(), Error> {
        let settings = &self.copies.0.settings;
        let (req, token) = (&self.req, &self.req.actor.token);
        let source_region = req.source.region().to_owned();
        let download = req
            .source
            .download(token, &self.source_image.id, settings.transfer_limit)
            .await?;
        let Some(size) = self.source_image.size.or(download.size) else {
            return Err(Error::ImportFailed {
                region: source_region,
            });
        };
        // Why the data stopped, if it stopped on the source's side.
        let failed: Arc<Mutex<Option<Error>>> = Arc::default();
        let stall = settings.stall_limit;
        let state = (download.body, self.bytes_done.clone(), failed.clone());
        let data = futures::stream::unfold(Some(state), move |state| {
            let region = source_region.clone();
            async move {
                let (mut body, counted, failed) = state?;
                let fail = |e: Error| {
                    *failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                    Some((Err(std::io::Error::other("the source stopped")), None))
                };
                match tokio::time::timeout(stall, body.next()).await {
                    Err(_) => fail(Error::Stalled(stall.as_secs())),
                    Ok(Some(Err(source))) => fail(Error::SourceFailed { region, source }),
                    Ok(Some(Ok(chunk))) => {
                        counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                        Some((
                            Ok::<Bytes, std::io::Error>(chunk),
                            Some((body, counted, failed)),
                        ))
                    }
                    Ok(None) => None,
                }
            }
        });
        let uploaded = req
            .target
            .upload(token, &self.target_id, size, data, settings.transfer_limit)
            .await;
        if let Some(e) = failed.lock().unwrap_or_else(PoisonError::into_inner).take() {
            return Err(e);
        }
        Ok(uploaded?)
    }

    /// Asks the target's Glance to pull the data itself, then follows its import.
    async fn glance_download(&self) -> Result<(), Error> {
        let (req, token) = (&self.req, &self.req.actor.token);
        req.target
            .import_glance_download(
                token,
                &self.target_id,
                req.source.region(),
                &self.source_image.id,
                &self.copies.0.settings.interface,
            )
            .await?;
        let deadline = tokio::time::Instant::now() + self.copies.0.settings.transfer_limit;
        let failed = || Error::ImportFailed {
            region: req.target.region().to_owned(),
        };
        loop {
            tokio::time::sleep(IMPORT_POLL).await;
            let image = req.target.image(token, &self.target_id).await?;
            match image.status.as_str() {
                "active" => {
                    self.bytes_done
                        .store(image.size.unwrap_or(0), Ordering::Relaxed);
                    return Ok(());
                }
                "killed" | "deleted" | "pending_delete" => return Err(failed()),
                _ => {}
            }
            let tasks = req.target.image_tasks(token, &self.target_id).await?;
            if let Some(task) = tasks.iter().find(|t| t.status == "failure") {
                tracing::warn!(copy = %self.id, upstream = ?task.message, "glance-download import failed");
                return Err(failed());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::Stalled(
                    self.copies.0.settings.transfer_limit.as_secs(),
                ));
            }
        }
    }

    /// The target holds the same data as the source, by Glance's own hashes.
    async fn check_hash(&self) -> Result<(), Error> {
        let (req, token) = (&self.req, &self.req.actor.token);
        let target = req.target.image(token, &self.target_id).await?;
        let source = &self.source_image;
        let same = if target.os_hash_algo.is_some() && target.os_hash_algo == source.os_hash_algo {
            target.os_hash_value.is_some() && target.os_hash_value == source.os_hash_value
        } else {
            target.checksum.is_some() && target.checksum == source.checksum
        };
        if !same || target.size != source.size || target.status != "active" {
            return Err(Error::Mismatch);
        }
        Ok(())
    }

    /// With `with_members`, invites the source's member projects to the copy (each change
    /// recorded as any other): each must accept again.
    async fn invite_members(&self) -> Result<(), Error> {
        let req = &self.req;
        if !req.with_members || self.source_image.visibility != Visibility::Shared {
            return Ok(());
        }
        let token = &req.actor.token;
        let members: Vec<String> = req
            .source
            .members(token, &self.source_image.id)
            .await?
            .into_iter()
            .map(|m| m.member_id)
            .collect();
        let changes = Changes::new(
            self.copies.0.log.clone(),
            req.target.clone(),
            req.actor.clone(),
        );
        let concurrency = self.copies.0.settings.concurrency;
        for result in changes
            .add_members(&self.target_id, members, concurrency)
            .await
        {
            match result {
                Ok(_) | Err(crate::changes::Error::Glance(glance::Error::AlreadyMember)) => {}
                Err(crate::changes::Error::Glance(e)) => return Err(e.into()),
                Err(crate::changes::Error::LogUnavailable(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::error!(error = %e, "inviting a member to a copy");
                    return Err(Error::Interrupted);
                }
            }
        }
        Ok(())
    }

    /// Deletes the target image; false when it could not be.
    async fn delete_target(&self) -> bool {
        let target: &Glance = &self.req.target;
        match target
            .delete_image(&self.req.actor.token, &self.target_id)
            .await
        {
            Ok(()) | Err(glance::Error::NotFound(_)) => true,
            Err(e) => {
                tracing::warn!(copy = %self.id, error = %e, "cannot delete a copy's partial image");
                false
            }
        }
    }
}
