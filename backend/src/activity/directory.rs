//! The stored side of the project directory ([`crate::directory`]): every project a sign-in
//! told Glimpse about, first and last seen.

use std::collections::BTreeMap;

use json::NamedRef;
use time::OffsetDateTime;

use super::sql::Sql;
use super::{ActivityLog, Result, stamp};

/// Ids looked up in one statement at most.
const CHUNK: usize = 500;

/// A project's name as a sign-in last told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learned {
    pub name: String,
    /// When (stored text form).
    pub last_seen: String,
}

#[derive(sqlx::FromRow)]
struct LearnedRow {
    id: String,
    name: String,
    last_seen: String,
}

impl ActivityLog {
    /// Records that a sign-in, at `at`, showed these projects (id, name, domain id).
    pub async fn remember_projects(
        &self,
        projects: &[(NamedRef, Option<String>)],
        at: OffsetDateTime,
    ) -> Result<()> {
        for (project, domain) in projects {
            let mut sql = Sql::new(self.dialect());
            let values = [
                sql.text(project.id.clone()),
                sql.text(project.name.clone()),
                sql.opt_text(domain.clone()),
                sql.time(stamp(at)),
                sql.time(stamp(at)),
            ];
            sql.text = format!(
                "INSERT INTO project_directory (id, name, domain_id, first_seen, last_seen) \
                 VALUES ({}) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                 domain_id = excluded.domain_id, last_seen = excluded.last_seen",
                values.join(", ")
            );
            self.execute(sql).await?;
        }
        Ok(())
    }

    /// The names the directory knows among `ids`.
    pub async fn learned_names(&self, ids: &[&str]) -> Result<BTreeMap<String, Learned>> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            let mut sql = Sql::new(self.dialect());
            let list = chunk
                .iter()
                .map(|id| sql.text(*id))
                .collect::<Vec<_>>()
                .join(", ");
            sql.text = format!(
                "SELECT id, name, {} FROM project_directory WHERE id IN ({list})",
                self.dialect().timestamp("last_seen")
            );
            let rows: Vec<LearnedRow> = self.fetch_all(sql).await?;
            out.extend(rows.into_iter().map(|r| {
                (
                    r.id,
                    Learned {
                        name: r.name,
                        last_seen: r.last_seen,
                    },
                )
            }));
        }
        Ok(out)
    }
}
