//! Sessions in this process's memory, swept of expired ones.
//!
//! Written here rather than taken from `tower-sessions-memory-store`: that store never deletes
//! an expired session (it only stops returning it), so abandoned sessions — and the tokens they
//! hold — would pile up for the life of the process. This is the same map with a sweep
//! (`ExpiredDeletion`, the trait tower-sessions' database stores implement).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone, Debug, Default)]
pub struct MemoryStore(Arc<Mutex<HashMap<Id, Record>>>);

impl MemoryStore {
    /// Sessions held, expired or not (until the next sweep).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn map(&self) -> MutexGuard<'_, HashMap<Id, Record>> {
        // The map is never left half-updated: a panic elsewhere does not spoil it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn active(record: &Record) -> bool {
    record.expiry_date > OffsetDateTime::now_utc()
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut map = self.map();
        while map.contains_key(&record.id) {
            record.id = Id::default();
        }
        map.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.map().insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.map().get(id).filter(|r| active(r)).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.map().remove(id);
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for MemoryStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.map().retain(|_, r| active(r));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn the_sweep_deletes_expired_sessions_only() {
        let store = MemoryStore::default();
        let mut live = record(time::Duration::minutes(5));
        let mut dead = record(time::Duration::seconds(-1));
        store.create(&mut live).await.unwrap();
        store.create(&mut dead).await.unwrap();
        assert_eq!(store.len(), 2);
        assert!(
            store.load(&dead.id).await.unwrap().is_none(),
            "expired: not served"
        );
        store.delete_expired().await.unwrap();
        assert_eq!(store.len(), 1);
        assert!(store.load(&live.id).await.unwrap().is_some());
    }
}
