//! Where sessions live: in memory (one replica, the default) or in Redis (several replicas
//! behind one address share them), sealed there under `session_key` (`sealed`) so that the
//! Keystone tokens they hold are never at rest in the clear.

mod memory;
mod sealed;

pub use memory::MemoryStore;
pub use sealed::{BadKey, Sealed, SessionKey};

use async_trait::async_trait;
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

#[derive(Clone, Debug)]
pub enum Sessions {
    Memory(MemoryStore),
    /// The store, and its pool for pinging.
    Redis(Sealed<RedisStore<Pool>>, Pool),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "session_store is Redis but no session_key is set: sessions hold Keystone tokens and are sealed with it. Generate one with `openssl rand -base64 32` and give every replica the same one (GLIMPSE_SESSION_KEY or session_key in the config file)"
    )]
    MissingKey,
    #[error("session store URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot reach the session store at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

impl Sessions {
    /// `None`: in memory. `redis://host:port/db`: Redis, sealed with `key` (required).
    pub async fn connect(url: Option<&str>, key: Option<&SessionKey>) -> Result<Self, Error> {
        let Some(url) = url else {
            return Ok(Self::Memory(MemoryStore::default()));
        };
        let key = key.ok_or(Error::MissingKey)?;
        let shown = without_password(url);
        let config = Config::from_url(url).map_err(|e| Error::BadUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let unreachable = |e: tower_sessions_redis_store::fred::error::Error| Error::Unreachable {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let pool = Pool::new(config, None, None, None, 4).map_err(unreachable)?;
        pool.init().await.map_err(unreachable)?;
        Ok(Self::Redis(
            Sealed::new(RedisStore::new(pool.clone()), key),
            pool,
        ))
    }

    /// Whether the store answers (readiness): Redis is pinged; memory always answers.
    pub async fn ping(&self) -> Result<(), String> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(_, pool) => pool
                .ping::<String>(None)
                .await
                .map(drop)
                .map_err(|e| format!("Redis does not answer: {e}")),
        }
    }

    /// Sessions held here, when this replica alone holds them (memory).
    pub fn count(&self) -> Option<usize> {
        match self {
            Self::Memory(s) => Some(s.len()),
            Self::Redis(..) => None,
        }
    }

    /// Deletes expired sessions. Redis expires its keys by itself; memory needs the sweep.
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.delete_expired().await,
            Self::Redis(..) => Ok(()),
        }
    }
}

/// A store URL fit for an error message: a password in it is masked.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.create(record).await,
            Self::Redis(s, _) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.save(record).await,
            Self::Redis(s, _) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(s) => s.load(id).await,
            Self::Redis(s, _) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.delete(id).await,
            Self::Redis(s, _) => s.delete(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn redis_needs_a_key() {
        let err = Sessions::connect(Some("redis://127.0.0.1:6379"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::MissingKey));
        assert!(err.to_string().contains("openssl rand -base64 32"));
    }

    #[test]
    fn passwords_are_masked_in_messages() {
        assert_eq!(
            without_password("redis://:hunter2@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
    }
}
