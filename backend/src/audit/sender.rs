//! Where an audit's messages go: its failures worded, its progress sent at a pace a browser
//! can draw.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use json::{AuditFailure, AuditMessage, NamedRef};
use tokio::sync::mpsc;

use super::{Describe, Failure};

/// Progress goes out at most this often: a browser redraws its progress bar for each one it
/// reads, and one per Glance call (thousands a minute) is more than anyone can see.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Where the audit's messages go, and how its failures are worded.
pub(super) struct Sender {
    tx: mpsc::Sender<AuditMessage>,
    describe: Describe,
    progress_sent: Option<Instant>,
}

impl Sender {
    pub(super) fn new(tx: mpsc::Sender<AuditMessage>, describe: Describe) -> Self {
        Self {
            tx,
            describe,
            progress_sent: None,
        }
    }

    /// False once nobody listens any more: the audit then stops.
    pub(super) async fn send(&self, message: AuditMessage) -> bool {
        self.tx.send(message).await.is_ok()
    }

    /// Sends where the audit is, unless it did so less than [`PROGRESS_EVERY`] ago (the last
    /// word goes out before `done`); false once nobody listens any more.
    pub(super) async fn progress(&mut self, progress: &Progress) -> bool {
        if self
            .progress_sent
            .is_some_and(|sent| sent.elapsed() < PROGRESS_EVERY)
        {
            return !self.tx.is_closed();
        }
        self.progress_sent = Some(Instant::now());
        self.send(progress.message()).await
    }

    pub(super) async fn failure(
        &self,
        region: Option<&str>,
        project: Option<&NamedRef>,
        account: Option<&NamedRef>,
        f: Failure,
    ) {
        let message = AuditMessage::Failure {
            failure: AuditFailure {
                region: region.map(str::to_owned),
                project_id: project.map(|p| p.id.clone()),
                project_name: project.map(|p| p.name.clone()),
                seen_by: account.map(|a| a.name.clone()),
                error: (self.describe)(f),
            },
        };
        self.send(message).await;
    }
}

/// Counts Glance calls for the progress messages.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) done: AtomicUsize,
    pub(super) total: AtomicUsize,
}

impl Progress {
    pub(super) fn message(&self) -> AuditMessage {
        AuditMessage::Progress {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn progress_goes_out_at_most_every_100_ms() {
        let (tx, mut rx) = mpsc::channel(64);
        let mut out = Sender::new(tx, |_| {
            json::ErrorBody::new(json::ErrorCode::InvalidInput, "not called")
        });
        let progress = Progress::default();
        for _ in 0..50 {
            progress.done.fetch_add(1, Ordering::Relaxed);
            assert!(out.progress(&progress).await, "someone listens");
        }
        let mut sent = Vec::new();
        while let Ok(m) = rx.try_recv() {
            sent.push(m);
        }
        assert!(
            !sent.is_empty() && sent.len() < 50,
            "{} of 50 sent",
            sent.len()
        );
        tokio::time::sleep(PROGRESS_EVERY + Duration::from_millis(20)).await;
        assert!(out.progress(&progress).await);
        match rx.try_recv() {
            Ok(AuditMessage::Progress { done, .. }) => assert_eq!(done, 50),
            other => panic!("the next progress after a pause: {other:?}"),
        }
        drop(rx);
        assert!(
            !out.progress(&progress).await,
            "a listener gone is seen even when nothing is sent"
        );
    }
}
