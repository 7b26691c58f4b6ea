//! Before launch: each service's configuration, keys and database (SQLite copied from
//! the venv's templates, or migrated into a fresh server database).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::database::{self, Database, ServerDatabases};
use crate::options::{Options, REGIONS, Service};
use crate::process::run_logged;
use crate::{setup, venv};

/// What [`configure`] works from.
pub(crate) struct Plan<'a> {
    pub opts: &'a Options,
    pub state_dir: &'a Path,
    pub venv: &'a Path,
    pub keystone_port: u16,
    /// Region -> port, of the regions that run.
    pub glance_ports: &'a BTreeMap<String, u16>,
    /// `Some` with a server [`Database`].
    pub databases: Option<&'a ServerDatabases>,
}

impl Plan<'_> {
    fn log(&self, name: &str) -> PathBuf {
        self.state_dir.join("logs").join(name)
    }

    fn database_url(&self, service: &Service, sqlite_file: &Path) -> String {
        let name = self.databases.map(|d| d.name(service)).unwrap_or_default();
        database::url(self.opts.database, sqlite_file, name)
    }

    /// `keystone-manage` / `glance-manage --config-file CONF db_sync`.
    fn db_sync(&self, manage: &str, conf: PathBuf) -> Command {
        let mut cmd = Command::new(self.venv.join("bin").join(manage));
        cmd.arg("--config-file").arg(conf).arg("db_sync");
        cmd
    }
}

/// Writes every configuration file and readies every database; after it, the services
/// can launch.
pub(crate) fn configure(p: &Plan<'_>) -> Result<()> {
    let opts = p.opts;
    let sqlite = opts.database == Database::Sqlite;
    let templates = if sqlite {
        Some(venv::ensure_templates(p.venv, opts.fast_hash)?)
    } else {
        None
    };
    let auth_url = format!("http://127.0.0.1:{}", p.keystone_port);
    // SQLite databases kept from an earlier start may predate the venv's pins.
    let pins_path = p.state_dir.join("glimpse-pins.txt");
    let migrate_kept = fs::read_to_string(&pins_path).ok() != Some(venv::stamp());
    let mut db_syncs: Vec<Command> = Vec::new();

    // Keystone: database, keys, configuration.
    let ks_dir = p.state_dir.join("keystone");
    fs::create_dir_all(&ks_dir)?;
    let ks_db = ks_dir.join("keystone.db");
    let ks_conf = ks_dir.join("keystone.conf");
    if let Some(t) = &templates
        && !venv::copy_new(&t.keystone_db, &ks_db)?
        && migrate_kept
    {
        db_syncs.push(p.db_sync("keystone-manage", ks_conf.clone()));
    }
    setup::write_key_repository(&ks_dir.join("fernet-keys"))?;
    setup::write_key_repository(&ks_dir.join("credential-keys"))?;
    setup::write_keystone_conf(&setup::KeystoneConf {
        dir: &ks_dir,
        log_file: &p.log("keystone.log"),
        database: &p.database_url(&Service::Keystone, &ks_db),
        fast_hash: opts.fast_hash,
        token_expiration: opts.token_expiration.as_secs().max(1),
        debug: opts.debug,
    })?;

    // Glances: one directory and database each. RegionTwo offers `glance-download`
    // from RegionOne, RegionOne does not: both copy paths run for real.
    let region_one_port = p.glance_ports.get(REGIONS[0]).copied();
    let mut glance_confs = Vec::new();
    for region in p.glance_ports.keys() {
        let service = Service::glance(region);
        let name = service.name();
        let dir = p.state_dir.join(&name);
        fs::create_dir_all(&dir)?;
        let db = dir.join("glance.db");
        let conf = dir.join("glance-api.conf");
        if let Some(t) = &templates {
            if !venv::copy_new(&t.glance_db, &db)? && migrate_kept {
                db_syncs.push(p.db_sync("glance-manage", conf.clone()));
            }
        } else {
            // A fresh server database: the image files of an earlier run mean nothing.
            let images = dir.join("images");
            if images.is_dir() {
                fs::remove_dir_all(&images)?;
            }
        }
        setup::write_glance_conf(&setup::GlanceConf {
            dir: &dir,
            log_file: &p.log(&format!("{name}.log")),
            database: &p.database_url(&service, &db),
            keystone: &auth_url,
            member_quota: opts.member_quota,
            debug: opts.debug,
            upstream_paste: &p.venv.join("etc/glance/glance-api-paste.ini"),
            healthcheck_disable: &p
                .state_dir
                .join("run")
                .join(format!("{name}-healthcheck-disable")),
            glance_download_from: region_one_port.filter(|_| region != REGIONS[0]),
        })?;
        glance_confs.push(conf);
    }

    let setup_log = p.log("setup.log");
    if sqlite {
        // Also the databases of regions not running now, so that the stamp below holds.
        for region in &REGIONS[opts.regions..] {
            let dir = p.state_dir.join(Service::glance(region).name());
            let conf = dir.join("glance-api.conf");
            if migrate_kept && dir.join("glance.db").is_file() && conf.is_file() {
                db_syncs.push(p.db_sync("glance-manage", conf));
            }
        }
        for cmd in db_syncs {
            tracing::info!("migrating a kept database: {cmd:?}");
            run_logged(cmd, &setup_log)?;
        }
        venv::write_atomic(&pins_path, venv::stamp().as_bytes())?;
        set_wal(p, &ks_db)?;
    } else {
        migrate_server_databases(p, &ks_conf, &glance_confs, &setup_log)?;
    }
    Ok(())
}

/// WAL journals: readers stop blocking writers, which otherwise fail at once with
/// "database is locked" (HTTP 500) when tests write concurrently. The mode is stored in
/// the database file, so setting it once per start is enough.
fn set_wal(p: &Plan<'_>, keystone_db: &Path) -> Result<()> {
    let mut wal = Command::new(p.venv.join("bin").join("python"));
    wal.arg("-c")
        .arg(
            "import sqlite3, sys\nfor p in sys.argv[1:]:\n    \
             sqlite3.connect(p).execute('PRAGMA journal_mode=WAL').fetchall()",
        )
        .arg(keystone_db);
    for region in p.glance_ports.keys() {
        wal.arg(
            p.state_dir
                .join(Service::glance(region).name())
                .join("glance.db"),
        );
    }
    run_logged(wal, &p.log("setup.log"))
}

/// Fresh server databases: Keystone's `db_sync` and `bootstrap`, each Glance's `db_sync`,
/// all at once (they take tens of seconds; only the benchmark runs this way).
fn migrate_server_databases(
    p: &Plan<'_>,
    keystone_conf: &Path,
    glance_confs: &[PathBuf],
    log: &Path,
) -> Result<()> {
    let keystone_url = format!("http://127.0.0.1:{}/v3", p.keystone_port);
    std::thread::scope(|s| {
        let keystone = s.spawn(|| -> Result<()> {
            run_logged(p.db_sync("keystone-manage", keystone_conf.into()), log)?;
            let mut bootstrap = Command::new(p.venv.join("bin").join("keystone-manage"));
            bootstrap
                .arg("--config-file")
                .arg(keystone_conf)
                .arg("bootstrap")
                .args(setup::bootstrap_args(&keystone_url));
            run_logged(bootstrap, log)
        });
        let glances: Vec<_> = glance_confs
            .iter()
            .map(|conf| s.spawn(|| run_logged(p.db_sync("glance-manage", conf.clone()), log)))
            .collect();
        let mut result = keystone.join().expect("keystone migration thread panicked");
        for g in glances {
            result = result.and(g.join().expect("glance migration thread panicked"));
        }
        result
    })
}
