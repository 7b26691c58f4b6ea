//! Where the services keep their data: SQLite files (the default), or databases of their
//! own on this machine's PostgreSQL (127.0.0.1:5432, trust) or MariaDB (127.0.0.1:3306,
//! root without password), created at start and dropped with the dev cloud.
//!
//! A server database lets Glance and Keystone run several requests at once (SQLite
//! refuses concurrent writers), which the load benchmark needs; tests keep SQLite, whose
//! copied templates make a start fast.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use anyhow::{Context, Result, bail};

use crate::options::Service;
use crate::process::run_logged;

/// Every database this harness creates starts with this, then the owner's PID.
const PREFIX: &str = "glimpse_devcloud_";

/// Where the services keep their data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Database {
    /// A file per service in the state dir, copied from a per-venv template.
    #[default]
    Sqlite,
    /// PostgreSQL on 127.0.0.1:5432 (trust, user `postgres`).
    Postgres,
    /// MariaDB (or MySQL) on 127.0.0.1:3306 (user `root`, no password).
    MariaDb,
}

impl Database {
    /// The Python driver, installed into the venv on first use: (pip pin, module).
    pub(crate) fn driver(self) -> Option<(&'static str, &'static str)> {
        match self {
            Database::Sqlite => None,
            // Binary wheels: nothing to compile.
            Database::Postgres => Some(("psycopg2-binary==2.9.13", "psycopg2")),
            Database::MariaDb => Some(("PyMySQL==1.2.4", "pymysql")),
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
            Database::MariaDb => "mariadb",
        })
    }
}

impl FromStr for Database {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Database::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Database::Postgres),
            "mariadb" | "mysql" => Ok(Database::MariaDb),
            other => bail!("unknown database {other:?}: sqlite, postgres or mariadb"),
        }
    }
}

/// The SQLAlchemy URL a service's configuration names.
pub(crate) fn url(db: Database, sqlite_file: &Path, server_name: &str) -> String {
    match db {
        Database::Sqlite => format!("sqlite:///{}", sqlite_file.display()),
        Database::Postgres => {
            format!("postgresql+psycopg2://postgres@127.0.0.1:5432/{server_name}")
        }
        Database::MariaDb => {
            format!("mysql+pymysql://root@127.0.0.1:3306/{server_name}?charset=utf8mb4")
        }
    }
}

/// Databases of one dev cloud on a server; dropped on drop (after the services stopped:
/// the dev cloud drops this last).
pub(crate) struct ServerDatabases {
    db: Database,
    python: PathBuf,
    log: PathBuf,
    /// Service -> database name.
    names: Vec<(Service, String)>,
}

/// Creates, drops and lists databases with the venv's own driver, so that no client
/// program (psql, mariadb) needs to be installed.
const ADMIN_SCRIPT: &str = r#"
import sys
kind, action, names = sys.argv[1], sys.argv[2], sys.argv[3:]
if kind == "postgres":
    import psycopg2
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    create, drop = 'CREATE DATABASE "%s"', 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
    listing = "SELECT datname FROM pg_database"
else:
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
    create, drop = "CREATE DATABASE `%s` CHARACTER SET utf8mb4", "DROP DATABASE IF EXISTS `%s`"
    listing = "SHOW DATABASES"
cur = conn.cursor()
if action == "list":
    cur.execute(listing)
    for (name,) in cur.fetchall():
        print(name)
for name in names:
    cur.execute((create if action == "create" else drop) % name)
"#;

impl ServerDatabases {
    /// Fresh, empty databases for `services` (after dropping those of dev clouds whose
    /// owner process is gone).
    pub(crate) fn create(
        db: Database,
        venv: &Path,
        log: &Path,
        services: &[Service],
    ) -> Result<ServerDatabases> {
        let python = venv.join("bin").join("python");
        let stale: Vec<String> = admin_output(db, &python, "list")?
            .lines()
            .filter(|name| owner_gone(name))
            .map(str::to_owned)
            .collect();
        if !stale.is_empty() {
            tracing::info!("dropping databases of dev clouds gone: {stale:?}");
            admin(db, &python, log, "drop", &stale)?;
        }
        let tag = format!(
            "{PREFIX}{}_{:08x}_",
            std::process::id(),
            rand::random::<u32>()
        );
        let names: Vec<(Service, String)> = services
            .iter()
            .map(|s| (s.clone(), format!("{tag}{}", s.name().replace('-', "_"))))
            .collect();
        let list: Vec<String> = names.iter().map(|(_, n)| n.clone()).collect();
        admin(db, &python, log, "create", &list)
            .with_context(|| format!("creating databases on the {db} server"))?;
        Ok(ServerDatabases {
            db,
            python,
            log: log.to_path_buf(),
            names,
        })
    }

    pub(crate) fn name(&self, service: &Service) -> &str {
        self.names
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, n)| n.as_str())
            .unwrap_or_default()
    }
}

impl Drop for ServerDatabases {
    fn drop(&mut self) {
        let list: Vec<String> = self.names.iter().map(|(_, n)| n.clone()).collect();
        if let Err(e) = admin(self.db, &self.python, &self.log, "drop", &list) {
            tracing::warn!("dropping the dev cloud's databases {list:?}: {e:#}");
        }
    }
}

fn admin_command(db: Database, python: &Path, action: &str, names: &[String]) -> Command {
    let mut cmd = Command::new(python);
    cmd.arg("-c")
        .arg(ADMIN_SCRIPT)
        .arg(if db == Database::Postgres {
            "postgres"
        } else {
            "mariadb"
        })
        .arg(action)
        .args(names);
    cmd
}

fn admin(db: Database, python: &Path, log: &Path, action: &str, names: &[String]) -> Result<()> {
    run_logged(admin_command(db, python, action, names), log)
}

fn admin_output(db: Database, python: &Path, action: &str) -> Result<String> {
    let out = admin_command(db, python, action, &[])
        .output()
        .with_context(|| format!("listing the databases of the {db} server"))?;
    if !out.status.success() {
        bail!(
            "listing the databases of the {db} server (is it running on 127.0.0.1?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `name` is a database of this harness whose owner process no longer runs.
fn owner_gone(name: &str) -> bool {
    let Some(pid) = name
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok())
    else {
        return false;
    };
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(
            "postgresql".parse::<Database>().unwrap(),
            Database::Postgres
        );
        assert_eq!("MariaDB".parse::<Database>().unwrap(), Database::MariaDb);
        assert_eq!("sqlite".parse::<Database>().unwrap(), Database::Sqlite);
        assert!("oracle".parse::<Database>().is_err());
        assert_eq!(Database::MariaDb.to_string(), "mariadb");
    }

    #[test]
    fn urls_name_the_right_server() {
        let file = Path::new("/s/keystone/keystone.db");
        assert_eq!(
            url(Database::Sqlite, file, "x"),
            "sqlite:////s/keystone/keystone.db"
        );
        assert!(url(Database::Postgres, file, "db1").ends_with("@127.0.0.1:5432/db1"));
        assert!(url(Database::MariaDb, file, "db1").contains("@127.0.0.1:3306/db1?"));
    }

    #[test]
    fn only_our_databases_of_dead_owners_are_stale() {
        assert!(!owner_gone("test"));
        assert!(!owner_gone(&format!(
            "{PREFIX}{}_0000abcd_keystone",
            std::process::id()
        )));
        assert!(owner_gone(&format!(
            "{PREFIX}{}_0000abcd_keystone",
            u32::MAX
        )));
        assert!(!owner_gone(&format!("{PREFIX}notapid_keystone")));
    }
}
