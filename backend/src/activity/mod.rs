//! The activity log: every change made through Glimpse, recorded durably.
//!
//! The intent is written before the Glance call ([`ActivityLog::begin`]) and the outcome after
//! it ([`ActivityLog::finish`]), so a crash in between leaves an entry marked unfinished
//! (`outcome` NULL), never a missing one; [`crate::changes::reconcile`] settles those later.
//!
//! The log lives in SQLite (one file, WAL mode: the embedded default) or in PostgreSQL (so that
//! several replicas share one log). Each has its own migrations (`backend/migrations/sqlite`,
//! `backend/migrations/postgres`), embedded in the binary and run by [`ActivityLog::connect`].
//! A released migration must never be edited (sqlx checks their checksums): add a new one.
//!
//! Timestamps are stored in UTC and returned as RFC 3339 with six fraction digits and a `Z`
//! (`2025-01-31T12:34:56.123456Z`), from either store alike.

mod copies;
mod directory;
mod error;
mod export;
mod filter;
mod open;
mod snapshots;
mod sql;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;
use time::OffsetDateTime;

pub use copies::{CopyRecord, NewCopy};
pub use directory::Learned;
pub use error::{Error, Result};
pub use export::{CSV_HEADER, to_csv};
pub use filter::{DEFAULT_LIMIT, EventFilter, FilterError, MAX_LIMIT};
pub use snapshots::{NewSnapshot, StoredSnapshot};

use filter::{OutcomeFilter, is_outcome_code};
use open::{ACQUIRE_TIMEOUT, connect_sqlite, redact};
use sql::{Dialect, EventRow, Sql, bind};

/// The activity log, in SQLite or PostgreSQL. Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct ActivityLog {
    pool: Pool,
}

/// The two stores, each with its own native pool and options (see [`ActivityLog::connect`]).
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A change about to be asked of Glance, as [`ActivityLog::begin`] records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub user_id: String,
    pub user_name: String,
    /// The acting project: the session's.
    pub project_id: String,
    pub project_name: String,
    pub region: String,
    pub action: json::Action,
    pub image_id: String,
    pub image_name: Option<String>,
    /// The member project, for member actions.
    pub member_id: Option<String>,
    pub request_id: Option<String>,
}

impl std::fmt::Debug for ActivityLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityLog")
            .field("store", &self.store())
            .finish()
    }
}

impl ActivityLog {
    /// Opens the log and brings its schema up to date.
    ///
    /// - `postgres://…` or `postgresql://…`: PostgreSQL. The table goes to the first schema of
    ///   the search path (`?options=-c%20search_path%3Dglimpse` for a schema of its own).
    ///   Replicas starting at once are safe: sqlx serialises migrations with an advisory lock.
    /// - `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite:relative.db`, or a plain file
    ///   path: SQLite, the file (and its folder) created if missing, in WAL mode with
    ///   `synchronous=FULL` (a recorded event survives a power cut). `sqlite::memory:` gives
    ///   a log that lasts as long as this value (for tests).
    ///
    /// Migrations already applied by a newer Glimpse are tolerated, so that an older replica
    /// can still start during a rolling upgrade.
    pub async fn connect(url: &str) -> Result<Self> {
        let shown = redact(url);
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| Error::Url {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|source| Error::Open {
                    url: shown.clone(),
                    source,
                })?;
            let mut migrator = sqlx::migrate!("./migrations/postgres");
            migrator.set_ignore_missing(true);
            migrator
                .run(&pool)
                .await
                .map_err(|source| Error::Migrate { url: shown, source })?;
            Pool::Postgres(pool)
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Pool::Sqlite(connect_sqlite(url, &shown).await?)
        } else {
            return Err(Error::Url {
                url: shown,
                reason: "use a sqlite: or postgres:// URL".into(),
            });
        };
        Ok(Self { pool })
    }

    /// `"sqlite"` or `"postgres"`, for logs and health checks.
    pub fn store(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Whether the store answers a query (readiness).
    pub async fn ping(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    /// Closes every connection; calls after this fail.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// Records the intent, timed now; returns the event id for [`finish`](Self::finish).
    /// Until then the event shows as unfinished (`outcome` None).
    pub async fn begin(&self, event: NewEvent) -> Result<i64> {
        let mut sql = Sql::new(self.dialect());
        let values = [
            sql.time(stamp(OffsetDateTime::now_utc())),
            sql.text(event.user_id),
            sql.text(event.user_name),
            sql.text(event.project_id),
            sql.text(event.project_name),
            sql.text(event.region),
            sql.text(event.action.as_str()),
            sql.text(event.image_id),
            sql.opt_text(event.image_name),
            sql.opt_text(event.member_id),
            sql.opt_text(event.request_id),
        ];
        sql.text = format!(
            "INSERT INTO activity_events (at, user_id, user_name, project_id, project_name, \
             region, action, image_id, image_name, member_id, request_id) \
             VALUES ({}) RETURNING id",
            values.join(", ")
        );
        self.fetch_id(sql).await
    }

    /// Records the outcome of event `id`, timed now: `"ok"`, an API error code, or one of the
    /// outcomes of reconciliation ([`json::outcome`]): lowercase letters, digits and `_`, not
    /// `unfinished` nor `failed`, which the filter reserves. Fails with
    /// [`Error::NotUnfinished`] if the event does not exist or already has an outcome: a
    /// recorded outcome is never overwritten.
    pub async fn finish(&self, id: i64, outcome: &str) -> Result<()> {
        self.finish_named(id, outcome, None).await
    }

    /// [`finish`](Self::finish), and names the image when the intent did not: the write path
    /// asks Glance for the name beside the change itself, not before it.
    pub async fn finish_named(
        &self,
        id: i64,
        outcome: &str,
        image_name: Option<&str>,
    ) -> Result<()> {
        if !is_outcome_code(outcome) || outcome == "unfinished" || outcome == "failed" {
            return Err(Error::InvalidOutcome(outcome.to_owned()));
        }
        let mut sql = Sql::new(self.dialect());
        let (outcome, finished_at, name, id_param) = (
            sql.text(outcome),
            sql.time(stamp(OffsetDateTime::now_utc())),
            sql.opt_text(image_name.map(str::to_owned)),
            sql.int(id),
        );
        sql.text = format!(
            "UPDATE activity_events SET outcome = {outcome}, finished_at = {finished_at}, \
             image_name = COALESCE(image_name, {name}) \
             WHERE id = {id_param} AND outcome IS NULL"
        );
        if self.execute(sql).await? == 0 {
            return Err(Error::NotUnfinished(id));
        }
        Ok(())
    }

    /// Events matching `filter`, newest (highest id) first, among those that involve one of
    /// `visible_projects` (project ids): the event's acting `project_id`, or its `member_id`,
    /// since a member project sees what was done to its membership. None when that list is
    /// empty.
    ///
    /// At most `filter.limit` events ([`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]); when more
    /// match, `next_before` is the last one's id: pass it as `before` for the next page.
    ///
    /// An invalid filter fails with [`Error::Filter`] (or call [`EventFilter::validate`]
    /// first).
    pub async fn query(
        &self,
        filter: &EventFilter,
        visible_projects: &[String],
    ) -> Result<json::EventList> {
        let f = filter.check()?;
        let mut projects: Vec<&str> = visible_projects.iter().map(String::as_str).collect();
        projects.sort_unstable();
        projects.dedup();
        if projects.is_empty() {
            return Ok(json::EventList::default());
        }

        let dialect = self.dialect();
        let mut sql = Sql::new(dialect);
        let mut conditions = Vec::new();
        let list = projects
            .into_iter()
            .map(|p| sql.text(p))
            .collect::<Vec<_>>()
            .join(", ");
        conditions.push(format!("(project_id IN ({list}) OR member_id IN ({list}))"));
        if let Some(from) = f.from {
            conditions.push(format!("at >= {}", sql.time(from)));
        }
        if let Some(to) = f.to {
            conditions.push(format!("at < {}", sql.time(to)));
        }
        if let Some(user) = f.user {
            let p = sql.text(user);
            conditions.push(format!("(user_id = {p} OR user_name = {p})"));
        }
        if let Some(project) = f.project {
            let p = sql.text(project);
            conditions.push(format!(
                "(project_id = {p} OR project_name = {p} OR member_id = {p})"
            ));
        }
        if let Some(image) = f.image {
            conditions.push(format!("image_id = {}", sql.text(image)));
        }
        if let Some(action) = f.action {
            conditions.push(format!("action = {}", sql.text(action.as_str())));
        }
        match f.outcome {
            None => {}
            Some(OutcomeFilter::Unfinished) => conditions.push("outcome IS NULL".into()),
            // NULL <> 'ok' is not true: unfinished events are not failures.
            Some(OutcomeFilter::Failed) => conditions.push("outcome <> 'ok'".into()),
            Some(OutcomeFilter::Is(code)) => {
                conditions.push(format!("outcome = {}", sql.text(code)));
            }
        }
        if let Some(before) = f.before {
            conditions.push(format!("id < {}", sql.int(before)));
        }
        // One more than asked, to know whether there is a next page.
        let limit = sql.int(i64::from(f.limit) + 1);
        sql.text = format!(
            "SELECT {} FROM activity_events WHERE {} ORDER BY id DESC LIMIT {limit}",
            dialect.columns(),
            conditions.join(" AND "),
        );

        let mut events = self.fetch_events(sql).await?;
        let next_before = if events.len() > f.limit as usize {
            events.truncate(f.limit as usize);
            events.last().map(|e| e.id)
        } else {
            None
        };
        Ok(json::EventList {
            events,
            next_before,
        })
    }

    /// Unfinished events whose intent was recorded before `begun_before`, oldest first, at
    /// most `limit` (for reconciliation: younger ones may still be in flight).
    pub async fn unfinished(
        &self,
        begun_before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<json::ActivityEvent>> {
        let dialect = self.dialect();
        let mut sql = Sql::new(dialect);
        let (before, limit) = (sql.time(stamp(begun_before)), sql.int(i64::from(limit)));
        sql.text = format!(
            // A copy settles its own event (`copies::recover`), however long it runs.
            "SELECT {} FROM activity_events WHERE outcome IS NULL AND at < {before} \
             AND action <> 'copy_image' ORDER BY id LIMIT {limit}",
            dialect.columns(),
        );
        self.fetch_events(sql).await
    }

    /// The events on `image_id` recorded after event `after` (a larger id), oldest first.
    pub async fn later_on_image(
        &self,
        image_id: &str,
        after: i64,
    ) -> Result<Vec<json::ActivityEvent>> {
        let dialect = self.dialect();
        let mut sql = Sql::new(dialect);
        let (image, after) = (sql.text(image_id), sql.int(after));
        sql.text = format!(
            "SELECT {} FROM activity_events WHERE image_id = {image} AND id > {after} \
             ORDER BY id",
            dialect.columns(),
        );
        self.fetch_events(sql).await
    }

    fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    async fn fetch_id(&self, sql: Sql) -> Result<i64> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => {
                bind!(sqlx::query_scalar(&sql.text), sql.args)
                    .fetch_one(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                bind!(sqlx::query_scalar(&sql.text), sql.args)
                    .fetch_one(pool)
                    .await?
            }
        })
    }

    async fn execute(&self, sql: Sql) -> Result<u64> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => bind!(sqlx::query(&sql.text), sql.args)
                .execute(pool)
                .await?
                .rows_affected(),
            Pool::Postgres(pool) => bind!(sqlx::query(&sql.text), sql.args)
                .execute(pool)
                .await?
                .rows_affected(),
        })
    }

    async fn fetch_events(&self, sql: Sql) -> Result<Vec<json::ActivityEvent>> {
        let rows: Vec<EventRow> = self.fetch_all(sql).await?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// Every row of a query, read as `R` from either store.
    async fn fetch_all<R>(&self, sql: Sql) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => {
                bind!(sqlx::query_as(&sql.text), sql.args)
                    .fetch_all(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                bind!(sqlx::query_as(&sql.text), sql.args)
                    .fetch_all(pool)
                    .await?
            }
        })
    }
}

/// The stored form of an instant: UTC, six fraction digits, `Z`; text order is time order
/// (for years 1 to 9999, which the filter enforces).
pub(crate) fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests;
