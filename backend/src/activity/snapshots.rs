//! The stored side of access history ([`crate::history`]): audit snapshots per user, with
//! their rows as opaque bytes (the history module packs them), and the retention that keeps
//! the newest few.

use json::{NamedRef, SnapshotSummary, UnknownPart};
use time::OffsetDateTime;

use super::sql::{Dialect, Sql};
use super::{ActivityLog, Result, stamp};

/// A completed audit, as [`ActivityLog::save_snapshot`] stores it.
#[derive(Clone, Debug)]
pub struct NewSnapshot {
    pub user_id: String,
    pub started_at: OffsetDateTime,
    pub taken_at: OffsetDateTime,
    pub rows: usize,
    pub regions: Vec<String>,
    pub projects: Vec<NamedRef>,
    /// The parts that failed.
    pub gaps: Vec<UnknownPart>,
    /// The rows, packed.
    pub packed: Vec<u8>,
}

/// A stored snapshot, whole.
#[derive(Clone, Debug)]
pub struct StoredSnapshot {
    pub summary: SnapshotSummary,
    /// When its audit started (stored text form).
    pub started_at: String,
    pub gaps: Vec<UnknownPart>,
    pub packed: Vec<u8>,
}

/// One row as both stores return it.
#[derive(sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    started_at: String,
    taken_at: String,
    row_count: i64,
    regions: String,
    projects: String,
    gaps: String,
    rows: Option<Vec<u8>>,
}

impl SnapshotRow {
    fn into_stored(self) -> Result<StoredSnapshot> {
        let gaps: Vec<UnknownPart> = from_json(self.id, &self.gaps)?;
        Ok(StoredSnapshot {
            summary: SnapshotSummary {
                id: self.id,
                taken_at: self.taken_at,
                rows: usize::try_from(self.row_count).unwrap_or_default(),
                regions: from_json(self.id, &self.regions)?,
                projects: from_json(self.id, &self.projects)?,
                partial: !gaps.is_empty(),
            },
            started_at: self.started_at,
            gaps,
            packed: self.rows.unwrap_or_default(),
        })
    }
}

fn from_json<T: serde::de::DeserializeOwned>(id: i64, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| super::Error::Unreadable {
        what: format!("audit snapshot {id}"),
        reason: e.to_string(),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Plain strings and numbers: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

impl ActivityLog {
    /// Stores a snapshot for its user, then forgets that user's snapshots beyond the newest
    /// `keep` (at least one: the new one). Returns the new snapshot's id.
    pub async fn save_snapshot(&self, snapshot: NewSnapshot, keep: u32) -> Result<i64> {
        let mut sql = Sql::new(self.dialect());
        let values = [
            sql.text(snapshot.user_id.clone()),
            sql.time(stamp(snapshot.started_at)),
            sql.time(stamp(snapshot.taken_at)),
            sql.int(i64::try_from(snapshot.rows).unwrap_or(i64::MAX)),
            sql.text(to_json(&snapshot.regions)),
            sql.text(to_json(&snapshot.projects)),
            sql.text(to_json(&snapshot.gaps)),
            sql.bytes(snapshot.packed),
        ];
        sql.text = format!(
            "INSERT INTO audit_snapshots (user_id, started_at, taken_at, row_count, regions, \
             projects, gaps, rows) VALUES ({}) RETURNING id",
            values.join(", ")
        );
        let id = self.fetch_id(sql).await?;

        let mut sql = Sql::new(self.dialect());
        let (user, user_again, keep) = (
            sql.text(snapshot.user_id.clone()),
            sql.text(snapshot.user_id),
            sql.int(i64::from(keep.max(1))),
        );
        sql.text = format!(
            "DELETE FROM audit_snapshots WHERE user_id = {user} AND id NOT IN \
             (SELECT id FROM audit_snapshots WHERE user_id = {user_again} \
             ORDER BY id DESC LIMIT {keep})"
        );
        self.execute(sql).await?;
        Ok(id)
    }

    /// The user's snapshots, newest first, without their rows (at most `limit`).
    pub async fn snapshots(&self, user_id: &str, limit: u32) -> Result<Vec<SnapshotSummary>> {
        let mut sql = Sql::new(self.dialect());
        let (user, limit) = (sql.text(user_id), sql.int(i64::from(limit)));
        sql.text = format!(
            "SELECT {}, CAST(NULL AS BYTEA) AS rows FROM audit_snapshots WHERE user_id = {user} \
             ORDER BY id DESC LIMIT {limit}",
            self.snapshot_columns()
        );
        Ok(self
            .fetch_snapshots(sql)
            .await?
            .into_iter()
            .map(|s| s.summary)
            .collect())
    }

    /// The user's snapshot `id` with its rows (the newest when `None`); `None` when the user
    /// has no such snapshot (it never existed, was forgotten, or is another user's).
    pub async fn snapshot(&self, user_id: &str, id: Option<i64>) -> Result<Option<StoredSnapshot>> {
        let mut sql = Sql::new(self.dialect());
        let user = sql.text(user_id);
        let which = match id {
            Some(id) => format!("AND id = {}", sql.int(id)),
            None => String::new(),
        };
        sql.text = format!(
            "SELECT {}, rows FROM audit_snapshots WHERE user_id = {user} {which} \
             ORDER BY id DESC LIMIT 1",
            self.snapshot_columns()
        );
        Ok(self.fetch_snapshots(sql).await?.into_iter().next())
    }

    fn snapshot_columns(&self) -> String {
        let d: Dialect = self.dialect();
        format!(
            "id, {}, {}, row_count, regions, projects, gaps",
            d.timestamp("started_at"),
            d.timestamp("taken_at")
        )
    }

    async fn fetch_snapshots(&self, sql: Sql) -> Result<Vec<StoredSnapshot>> {
        let rows: Vec<SnapshotRow> = self.fetch_all(sql).await?;
        rows.into_iter().map(SnapshotRow::into_stored).collect()
    }
}
