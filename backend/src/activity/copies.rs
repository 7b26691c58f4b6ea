//! Copies of images to other regions: their activity events (which name both regions) and
//! their state (`image_copies`), in the same store as the log so that every replica and a
//! restarted Glimpse see them.

use time::OffsetDateTime;

use super::sql::{Sql, bind};
use super::{ActivityLog, NewEvent, Pool, Result, stamp};

/// A copy as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CopyRecord {
    pub id: String,
    pub event_id: i64,
    pub user_id: String,
    pub project_id: String,
    pub source_region: String,
    pub source_image_id: String,
    pub image_name: Option<String>,
    pub target_region: String,
    pub target_image_id: Option<String>,
    pub method: String,
    pub with_members: i64,
    pub state: String,
    pub bytes_done: i64,
    pub bytes_total: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub cancel_requested: i64,
    pub leftover: i64,
    pub started_at: String,
    pub heartbeat_at: String,
    pub finished_at: Option<String>,
}

/// A copy about to start.
#[derive(Clone, Debug)]
pub struct NewCopy {
    pub id: String,
    pub event_id: i64,
    pub user_id: String,
    pub project_id: String,
    pub source_region: String,
    pub source_image_id: String,
    pub image_name: Option<String>,
    pub target_region: String,
    pub target_image_id: String,
    pub method: String,
    pub with_members: bool,
    pub bytes_total: Option<u64>,
}

const COLUMNS: &str = "id, event_id, user_id, project_id, source_region, source_image_id, \
    image_name, target_region, target_image_id, method, with_members, state, bytes_done, \
    bytes_total, error_code, error_message, cancel_requested, leftover, started_at, \
    heartbeat_at, finished_at";

fn now() -> String {
    stamp(OffsetDateTime::now_utc())
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ActivityLog {
    /// Records the intent of a copy: `event` in the source region, naming `target_region`.
    pub async fn begin_copy(&self, event: NewEvent, target_region: &str) -> Result<i64> {
        let id = self.begin(event).await?;
        let mut sql = Sql::new(self.dialect());
        let (region, id_param) = (sql.text(target_region), sql.int(id));
        sql.text =
            format!("UPDATE activity_events SET target_region = {region} WHERE id = {id_param}");
        self.execute(sql).await?;
        Ok(id)
    }

    /// Names the new image in the copy's event, once the target image exists.
    pub async fn set_copy_target(&self, event_id: i64, target_image_id: &str) -> Result<()> {
        let mut sql = Sql::new(self.dialect());
        let (image, id) = (sql.text(target_image_id), sql.int(event_id));
        sql.text = format!("UPDATE activity_events SET target_image_id = {image} WHERE id = {id}");
        self.execute(sql).await.map(drop)
    }

    /// Records a copy that starts now, `running`.
    pub async fn insert_copy(&self, copy: NewCopy) -> Result<()> {
        let mut sql = Sql::new(self.dialect());
        let started = now();
        let values = [
            sql.text(copy.id),
            sql.int(copy.event_id),
            sql.text(copy.user_id),
            sql.text(copy.project_id),
            sql.text(copy.source_region),
            sql.text(copy.source_image_id),
            sql.opt_text(copy.image_name),
            sql.text(copy.target_region),
            sql.text(copy.target_image_id),
            sql.text(copy.method),
            sql.int(i64::from(copy.with_members)),
            sql.text("running"),
            sql.int(0),
            sql.opt_int(copy.bytes_total.map(size)),
            sql.text(started.clone()),
            sql.text(started),
        ];
        sql.text = format!(
            "INSERT INTO image_copies (id, event_id, user_id, project_id, source_region, \
             source_image_id, image_name, target_region, target_image_id, method, with_members, \
             state, bytes_done, bytes_total, started_at, heartbeat_at) VALUES ({})",
            values.join(", ")
        );
        self.execute(sql).await.map(drop)
    }

    /// Records a running copy's progress and heartbeat; answers whether its cancellation was
    /// asked for (on any replica).
    pub async fn copy_progress(&self, id: &str, bytes_done: u64) -> Result<bool> {
        let mut sql = Sql::new(self.dialect());
        let (done, at, id) = (sql.int(size(bytes_done)), sql.text(now()), sql.text(id));
        sql.text = format!(
            "UPDATE image_copies SET bytes_done = {done}, heartbeat_at = {at} \
             WHERE id = {id} RETURNING cancel_requested"
        );
        let flag: Option<i64> = match &self.pool {
            Pool::Sqlite(pool) => {
                bind!(sqlx::query_scalar(&sql.text), sql.args)
                    .fetch_optional(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                bind!(sqlx::query_scalar(&sql.text), sql.args)
                    .fetch_optional(pool)
                    .await?
            }
        };
        Ok(flag.unwrap_or(0) != 0)
    }

    /// Asks for a running copy to stop (whichever replica runs it); false when it is not
    /// running.
    pub async fn request_copy_cancel(&self, id: &str) -> Result<bool> {
        let mut sql = Sql::new(self.dialect());
        let id = sql.text(id);
        sql.text = format!(
            "UPDATE image_copies SET cancel_requested = 1 WHERE id = {id} AND state = 'running'"
        );
        Ok(self.execute(sql).await? > 0)
    }

    /// Ends a running copy: `state`, and for a failure its error. `leftover`: its partial
    /// target image could not be deleted yet. False when it had already ended.
    pub async fn finish_copy(
        &self,
        id: &str,
        state: &str,
        bytes_done: u64,
        error: Option<(&str, &str)>,
        leftover: bool,
    ) -> Result<bool> {
        let mut sql = Sql::new(self.dialect());
        let values = [
            sql.text(state),
            sql.int(size(bytes_done)),
            sql.opt_text(error.map(|(code, _)| code.to_owned())),
            sql.opt_text(error.map(|(_, message)| message.to_owned())),
            sql.int(i64::from(leftover)),
            sql.text(now()),
        ];
        let id = sql.text(id);
        sql.text = format!(
            "UPDATE image_copies SET state = {}, bytes_done = {}, error_code = {}, \
             error_message = {}, leftover = {}, finished_at = {} \
             WHERE id = {id} AND state = 'running'",
            values[0], values[1], values[2], values[3], values[4], values[5]
        );
        Ok(self.execute(sql).await? > 0)
    }

    /// The partial target image of an ended copy is deleted at last.
    pub async fn clear_leftover(&self, id: &str) -> Result<()> {
        let mut sql = Sql::new(self.dialect());
        let id = sql.text(id);
        sql.text = format!("UPDATE image_copies SET leftover = 0 WHERE id = {id}");
        self.execute(sql).await.map(drop)
    }

    pub async fn copy(&self, id: &str) -> Result<Option<CopyRecord>> {
        let mut sql = Sql::new(self.dialect());
        let id = sql.text(id);
        sql.text = format!("SELECT {COLUMNS} FROM image_copies WHERE id = {id}");
        Ok(self.fetch_all(sql).await?.pop())
    }

    /// A project's copies, newest first, at most `limit`.
    pub async fn copies_of(&self, project_id: &str, limit: u32) -> Result<Vec<CopyRecord>> {
        let mut sql = Sql::new(self.dialect());
        let (project, limit) = (sql.text(project_id), sql.int(i64::from(limit)));
        sql.text = format!(
            "SELECT {COLUMNS} FROM image_copies WHERE project_id = {project} \
             ORDER BY started_at DESC, id LIMIT {limit}"
        );
        self.fetch_all(sql).await
    }

    /// The project's copies whose partial image is still to be deleted: usually none, read
    /// on every look at the project's images, so by an index of their own.
    pub async fn leftovers_of(&self, project_id: &str) -> Result<Vec<CopyRecord>> {
        let mut sql = Sql::new(self.dialect());
        let project = sql.text(project_id);
        sql.text = format!(
            "SELECT {COLUMNS} FROM image_copies WHERE project_id = {project} \
             AND leftover != 0 ORDER BY started_at LIMIT 100"
        );
        self.fetch_all(sql).await
    }

    /// Running copies whose heartbeat stopped before `cutoff`: their process died.
    pub async fn abandoned_copies(&self, cutoff: OffsetDateTime) -> Result<Vec<CopyRecord>> {
        let mut sql = Sql::new(self.dialect());
        let cutoff = sql.text(stamp(cutoff));
        sql.text = format!(
            "SELECT {COLUMNS} FROM image_copies WHERE state = 'running' \
             AND heartbeat_at < {cutoff} ORDER BY started_at LIMIT 100"
        );
        self.fetch_all(sql).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_copy(event_id: i64) -> NewCopy {
        NewCopy {
            id: "c1".into(),
            event_id,
            user_id: "u".into(),
            project_id: "p".into(),
            source_region: "RegionOne".into(),
            source_image_id: "i".into(),
            image_name: Some("disk".into()),
            target_region: "RegionTwo".into(),
            target_image_id: "t".into(),
            method: "stream".into(),
            with_members: true,
            bytes_total: Some(42),
        }
    }

    #[tokio::test]
    async fn a_copy_runs_is_cancelled_and_ends_once() {
        let log = ActivityLog::connect("sqlite::memory:").await.unwrap();
        log.insert_copy(new_copy(1)).await.unwrap();
        assert!(!log.copy_progress("c1", 10).await.unwrap());
        assert!(log.request_copy_cancel("c1").await.unwrap());
        assert!(log.copy_progress("c1", 20).await.unwrap(), "cancel seen");
        let ended = log
            .finish_copy("c1", "cancelled", 20, Some(("copy_cancelled", "m")), false)
            .await
            .unwrap();
        assert!(ended);
        assert!(
            !log.finish_copy("c1", "done", 42, None, false)
                .await
                .unwrap()
        );
        assert!(!log.request_copy_cancel("c1").await.unwrap());
        let copy = log.copy("c1").await.unwrap().unwrap();
        assert_eq!((copy.state.as_str(), copy.bytes_done), ("cancelled", 20));
        assert_eq!(log.copies_of("p", 10).await.unwrap().len(), 1);
        assert!(log.copies_of("q", 10).await.unwrap().is_empty());
        assert!(log.copy("nope").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_silent_running_copy_is_abandoned() {
        let log = ActivityLog::connect("sqlite::memory:").await.unwrap();
        log.insert_copy(new_copy(1)).await.unwrap();
        let past = OffsetDateTime::now_utc() - time::Duration::minutes(1);
        assert!(log.abandoned_copies(past).await.unwrap().is_empty());
        let future = OffsetDateTime::now_utc() + time::Duration::minutes(1);
        assert_eq!(log.abandoned_copies(future).await.unwrap().len(), 1);
    }
}
