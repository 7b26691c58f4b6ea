//! Where sessions live: in memory (one replica, the default) or in Redis (several replicas
//! behind one address share them). Sessions hold Keystone tokens: Redis must be private to
//! Glimpse.

use async_trait::async_trait;
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

#[derive(Clone, Debug)]
pub enum Sessions {
    Memory(MemoryStore),
    Redis(RedisStore<Pool>),
}

impl Sessions {
    /// `None`: in memory. `redis://host:port/db`: Redis.
    pub async fn connect(url: Option<&str>) -> anyhow::Result<Self> {
        let Some(url) = url else {
            return Ok(Self::Memory(MemoryStore::default()));
        };
        let config =
            Config::from_url(url).map_err(|e| anyhow::anyhow!("session store URL {url:?}: {e}"))?;
        let pool = Pool::new(config, None, None, None, 4)?;
        pool.init()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the session store at {url}: {e}"))?;
        Ok(Self::Redis(RedisStore::new(pool)))
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.create(record).await,
            Self::Redis(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.save(record).await,
            Self::Redis(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Memory(s) => s.load(id).await,
            Self::Redis(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Memory(s) => s.delete(id).await,
            Self::Redis(s) => s.delete(id).await,
        }
    }
}
