//! One set of SQL for both stores: statements with `$1, $2…` placeholders (SQLite and
//! PostgreSQL both take them) and the values bound to them; values never go into the text.

use super::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The columns of [`EventRow`]: timestamps as the same text from both stores.
    pub(super) fn columns(self) -> String {
        let ts = |column: &str| self.timestamp(column);
        format!(
            "id, {}, {}, user_id, user_name, project_id, project_name, region, action, \
             image_id, image_name, member_id, outcome, request_id, target_region, target_image_id",
            ts("at"),
            ts("finished_at"),
        )
    }
}

impl Dialect {
    /// A timestamp column read as its stored text form, from either store.
    pub(super) fn timestamp(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Postgres => format!(
                "to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
                 AS {column}"
            ),
        }
    }
}

/// A value bound to a placeholder.
pub(super) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Bytes(Vec<u8>),
    OptInt(Option<i64>),
}

/// SQL text and the values to bind to its placeholders.
pub(super) struct Sql {
    dialect: Dialect,
    pub(super) text: String,
    pub(super) args: Vec<Arg>,
}

impl Sql {
    pub(super) fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            text: String::new(),
            args: Vec::new(),
        }
    }

    /// Binds `arg`; returns its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn text(&mut self, value: impl Into<String>) -> String {
        self.arg(Arg::Text(value.into()))
    }

    pub(super) fn opt_text(&mut self, value: Option<String>) -> String {
        self.arg(Arg::OptText(value))
    }

    pub(super) fn int(&mut self, value: i64) -> String {
        self.arg(Arg::Int(value))
    }

    pub(super) fn bytes(&mut self, value: Vec<u8>) -> String {
        self.arg(Arg::Bytes(value))
    }

    pub(super) fn opt_int(&mut self, value: Option<i64>) -> String {
        self.arg(Arg::OptInt(value))
    }

    /// An instant in its stored text form: a timestamptz for PostgreSQL.
    pub(super) fn time(&mut self, stamp: String) -> String {
        let placeholder = self.text(stamp);
        match self.dialect {
            Dialect::Sqlite => placeholder,
            Dialect::Postgres => format!("{placeholder}::timestamptz"),
        }
    }
}

/// Binds every argument, in order, to a sqlx query of either store.
macro_rules! bind {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::activity::sql::Arg::Text(v) => query.bind(v),
                $crate::activity::sql::Arg::OptText(v) => query.bind(v),
                $crate::activity::sql::Arg::Int(v) => query.bind(v),
                $crate::activity::sql::Arg::Bytes(v) => query.bind(v),
                $crate::activity::sql::Arg::OptInt(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(super) use bind;

/// One row as both stores return it.
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    at: String,
    finished_at: Option<String>,
    user_id: String,
    user_name: String,
    project_id: String,
    project_name: String,
    region: String,
    action: String,
    image_id: String,
    image_name: Option<String>,
    member_id: Option<String>,
    outcome: Option<String>,
    request_id: Option<String>,
    target_region: Option<String>,
    target_image_id: Option<String>,
}

impl EventRow {
    pub(super) fn into_event(self) -> Result<json::ActivityEvent> {
        let Some(action) = json::Action::parse(&self.action) else {
            return Err(Error::UnknownAction {
                id: self.id,
                action: self.action,
            });
        };
        Ok(json::ActivityEvent {
            id: self.id,
            at: self.at,
            finished_at: self.finished_at,
            user_id: self.user_id,
            user_name: self.user_name,
            project_id: self.project_id,
            project_name: self.project_name,
            region: self.region,
            action,
            image_id: self.image_id,
            image_name: self.image_name,
            member_id: self.member_id,
            outcome: self.outcome,
            request_id: self.request_id,
            target_region: self.target_region,
            target_image_id: self.target_image_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        let mut sql = Sql::new(Dialect::Postgres);
        assert_eq!(sql.text("a"), "$1");
        assert_eq!(
            sql.time("2025-01-01T00:00:00.000000Z".into()),
            "$2::timestamptz"
        );
        assert_eq!(sql.int(3), "$3");
        assert_eq!(Sql::new(Dialect::Sqlite).time(String::new()), "$1");
    }
}
