//! One running audit per session: a second one asked for while the first still runs is
//! refused (the API's `audit_running`), rather than joined. Joining would mean replaying the
//! first audit's messages to a late listener and keeping them all in memory (and the second
//! may ask for other filters); refusing costs one clear error.
//!
//! The web UI starts a new audit when a filter changes, dropping the stream of the one
//! running: that audit stops as soon as the server notices its client left (within half a
//! second, see `http/audit.rs`), so a claim waits that long for the session to be free before
//! it is refused.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

/// The sessions that have an audit running (in this process). The keys are session ids, which
/// are secrets: neither type is `Debug`, so that none reaches a log line.
#[derive(Clone, Default)]
pub struct Running(Arc<Inner>);

#[derive(Default)]
struct Inner {
    sessions: Mutex<HashSet<String>>,
    /// Told whenever a claim ends.
    freed: Notify,
}

/// A session's right to run its one audit; dropping it frees the session.
pub struct Claim {
    running: Running,
    key: String,
}

impl Running {
    /// Claims `key` (the session), waiting up to `patience` for an audit that holds it to
    /// end; `None` if it still runs then.
    pub async fn claim(&self, key: String, patience: Duration) -> Option<Claim> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            // Listen before trying, so that a claim ending in between is not missed.
            let freed = self.0.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if let Some(claim) = self.try_claim(&key) {
                return Some(claim);
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return None;
            }
        }
    }

    fn try_claim(&self, key: &str) -> Option<Claim> {
        let mut sessions = self
            .0
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions.insert(key.to_owned()).then(|| Claim {
            running: self.clone(),
            key: key.to_owned(),
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let inner = &self.running.0;
        inner
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
        inner.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::ZERO;

    #[tokio::test]
    async fn one_claim_per_key_until_dropped() {
        let running = Running::default();
        let first = running.claim("s1".into(), NO_WAIT).await.expect("free");
        assert!(running.claim("s1".into(), NO_WAIT).await.is_none(), "held");
        let other = running
            .claim("s2".into(), NO_WAIT)
            .await
            .expect("another session");
        drop(first);
        assert!(running.claim("s1".into(), NO_WAIT).await.is_some(), "freed");
        drop(other);
    }

    #[tokio::test]
    async fn a_claim_waits_for_one_that_ends_soon() {
        let running = Running::default();
        let first = running.claim("s".into(), NO_WAIT).await.expect("free");
        let ends_soon = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(first);
        });
        let second = running.claim("s".into(), Duration::from_secs(5)).await;
        assert!(second.is_some(), "got it once the first ended");
        ends_soon.await.unwrap();
        let held = second;
        assert!(
            running
                .claim("s".into(), Duration::from_millis(50))
                .await
                .is_none(),
            "refused when the holder goes on"
        );
        drop(held);
    }
}
