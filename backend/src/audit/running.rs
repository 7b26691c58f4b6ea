//! One running audit per session: a second one asked for while the first still runs is
//! refused (the API's `audit_running`), rather than joined. Joining would mean replaying
//! the first audit's messages to a late listener and keeping them all in memory; refusing
//! costs one clear error, and the first audit's end (or its client going away) frees the
//! session at once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The sessions that have an audit running (in this process). The keys are session ids, which
/// are secrets: neither type is `Debug`, so that none reaches a log line.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<HashSet<String>>>);

/// A session's right to run its one audit; dropping it frees the session.
pub struct Claim {
    running: Running,
    key: String,
}

impl Running {
    /// Claims `key` (the session), or `None` while another audit holds it.
    pub fn claim(&self, key: String) -> Option<Claim> {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        set.insert(key.clone()).then(|| Claim {
            running: self.clone(),
            key,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut set = self
            .running
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        set.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_key_until_dropped() {
        let running = Running::default();
        let first = running.claim("s1".into()).expect("free");
        assert!(running.claim("s1".into()).is_none(), "held");
        let other = running.claim("s2".into()).expect("another session");
        drop(first);
        assert!(running.claim("s1".into()).is_some(), "freed");
        drop(other);
    }
}
