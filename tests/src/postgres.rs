//! A fresh schema on this machine's real PostgreSQL per test: the one helper every test that
//! claims PostgreSQL support uses. The server is `GLIMPSE_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test`; a missing server fails the test (support that
//! is claimed is tested for real).

use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};

use futures::FutureExt;
use sqlx::Connection;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server's URL.
pub fn server_url() -> String {
    std::env::var("GLIMPSE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.into())
}

/// A new schema `glimpse_test_<random>`, first on the search path of every connection made
/// with [`url`](Self::url). The server is shared: only this schema is ever dropped.
pub struct Schema {
    /// The server's URL with `search_path` set to the schema.
    pub url: String,
    name: String,
}

impl Schema {
    pub async fn create() -> Schema {
        let base = server_url();
        let mut admin = connect(&base).await;
        let name = format!("glimpse_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test schema");
        let _ = admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        Schema {
            url: format!("{base}{separator}options=-c%20search_path%3D{name}"),
            name,
        }
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        let mut admin = connect(&server_url()).await;
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&mut admin)
            .await
            .expect("drop the test schema");
        let _ = admin.close().await;
    }
}

/// Runs `body` with a fresh schema's URL, and drops the schema afterwards, also when `body`
/// panics.
pub async fn with_schema<F, Fut>(body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let schema = Schema::create().await;
    let outcome = AssertUnwindSafe(body(schema.url.clone()))
        .catch_unwind()
        .await;
    schema.drop().await;
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("no PostgreSQL at {url} (set GLIMPSE_TEST_POSTGRES_URL): {e}"))
}
