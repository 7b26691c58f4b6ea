//! Opening a store: SQLite's file, mode and migrations (with the retries two processes opening
//! one new file at once need), and URLs shown without their password.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::error::{Error, Result};

/// How long a write waits for SQLite's lock held by another writer.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call waits for a free connection.
pub(super) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A SQLite pool in WAL mode with `synchronous=FULL`, migrated; `shown` is the URL for messages.
pub(super) async fn connect_sqlite(url: &str, shown: &str) -> Result<SqlitePool> {
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| Error::Url {
            url: shown.to_owned(),
            reason: e.to_string(),
        })?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if !in_memory
        && let Some(folder) = options.get_filename().parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(|source| Error::Folder {
            path: folder.display().to_string(),
            source,
        })?;
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let mut pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(ACQUIRE_TIMEOUT);
    if in_memory {
        // The database lives as long as one of its connections does.
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }

    // SQLite has no migration lock, and its busy timeout does not cover every lock: two
    // processes opening a new file at once can meet "database is locked" while switching it
    // to WAL, or both try the first migration, one failing (its transaction rolled back).
    // On a later try the file is in WAL mode and the migration applied.
    let mut attempt = 0;
    loop {
        match open_sqlite(pool.clone(), options.clone(), shown).await {
            Ok(pool) => return Ok(pool),
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::debug!(attempt, error = %e, "activity log: opening again");
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn open_sqlite(
    pool: SqlitePoolOptions,
    options: SqliteConnectOptions,
    shown: &str,
) -> Result<SqlitePool> {
    let pool = pool
        .connect_with(options)
        .await
        .map_err(|source| Error::Open {
            url: shown.to_owned(),
            source,
        })?;
    let mut migrator = sqlx::migrate!("./migrations/sqlite");
    migrator.set_ignore_missing(true);
    if let Err(source) = migrator.run(&pool).await {
        pool.close().await;
        return Err(Error::Migrate {
            url: shown.to_owned(),
            source,
        });
    }
    Ok(pool)
}

/// The URL without its password, for messages.
pub(super) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://glimpse:s3cret@db:5432/glimpse"),
            "postgres://glimpse:***@db:5432/glimpse"
        );
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
        assert_eq!(redact("/var/lib/glimpse/a.db"), "/var/lib/glimpse/a.db");
    }
}
