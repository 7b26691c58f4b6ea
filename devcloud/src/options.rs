//! What a dev cloud runs ([`Options`]), its services and what a new image gets.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::database::Database;

/// The regions, in order: `Options::regions` = 2 runs both.
pub const REGIONS: &[&str] = &["RegionOne", "RegionTwo"];

/// What [`crate::DevCloud::start`] runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where configuration, databases, images and logs go. `None`: a new temporary
    /// directory, removed on drop. A given directory is reused on the next start:
    /// SQLite databases are kept, configuration and catalog follow the new ports.
    pub state_dir: Option<PathBuf>,
    /// 1 (RegionOne) or 2 (RegionOne and RegionTwo), each with its own Glance and database.
    pub regions: usize,
    /// bcrypt cost 4 instead of Keystone's 12: logins take ~1 ms instead of ~250 ms.
    pub fast_hash: bool,
    /// Glance `image_member_quota`.
    pub member_quota: u32,
    pub ports: Ports,
    /// Keystone token lifetime (whole seconds).
    pub token_expiration: Duration,
    /// Where Keystone and the Glances keep their data: SQLite files in the state dir
    /// (the default), or fresh databases of their own on this machine's PostgreSQL or
    /// MariaDB server, created at start and dropped with the dev cloud.
    pub database: Database,
    /// uWSGI worker processes of each Glance.
    pub glance_processes: u32,
    /// Threads per Glance worker process. More than 1 needs a server [`Database`]:
    /// on SQLite concurrent writers fail with "database is locked".
    pub glance_threads: u32,
    /// Threads of the (single) Keystone process: one process keeps Keystone's
    /// in-process cache coherent. More than 1 needs a server [`Database`].
    pub keystone_threads: u32,
    /// `debug = true` in the services' logs.
    pub debug: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            state_dir: None,
            regions: 1,
            fast_hash: true,
            member_quota: 128,
            ports: Ports::Free,
            token_expiration: Duration::from_secs(86400),
            database: Database::Sqlite,
            glance_processes: 1,
            glance_threads: 1,
            keystone_threads: 1,
            debug: false,
        }
    }
}

/// Ports of the services on 127.0.0.1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ports {
    /// Ports the kernel reports free, so that dev clouds of a demo and of test runs
    /// never collide.
    #[default]
    Free,
    /// Fixed ports; `glance[1]` is used only with two regions.
    Fixed { keystone: u16, glance: [u16; 2] },
}

/// A service of the dev cloud, for the fault-injection methods.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Keystone,
    /// The Glance of a region, e.g. `Service::Glance("RegionOne".into())`.
    Glance(String),
}

impl Service {
    pub fn glance(region: &str) -> Service {
        Service::Glance(region.to_string())
    }

    /// File-name stem: `keystone`, `glance-regionone`, ...
    pub(crate) fn name(&self) -> String {
        match self {
            Service::Keystone => "keystone".into(),
            Service::Glance(region) => format!("glance-{}", region.to_lowercase()),
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Keystone => f.write_str("Keystone"),
            Service::Glance(region) => write!(f, "Glance {region}"),
        }
    }
}

/// What a new image gets, for [`crate::DevCloud::create_image`].
#[derive(Clone, Debug)]
pub struct ImageOptions<'a> {
    /// `private`, `shared`, `community` or `public` (admin only); `None`: Glance's
    /// default, `shared`.
    pub visibility: Option<&'a str>,
    /// Bytes to upload (`PUT .../file`) so that the image becomes `active`; `None`
    /// leaves it `queued` (unless `upload_file` is set).
    pub upload: Option<&'a [u8]>,
    /// A file to upload, streamed (for large images); e.g. a [`crate::DiskImage`]'s path.
    pub upload_file: Option<&'a std::path::Path>,
    /// Glance checks that uploaded data is of this format: real qcow2 data needs
    /// `qcow2`; `raw` takes anything.
    pub disk_format: &'a str,
    pub container_format: &'a str,
    pub protected: bool,
    pub min_disk: u32,
    pub min_ram: u32,
    /// Extra properties, e.g. `[("os_distro", "ubuntu")]`.
    pub properties: &'a [(&'a str, &'a str)],
}

impl Default for ImageOptions<'_> {
    fn default() -> Self {
        ImageOptions {
            visibility: None,
            upload: None,
            upload_file: None,
            disk_format: "raw",
            container_format: "bare",
            protected: false,
            min_disk: 0,
            min_ram: 0,
            properties: &[],
        }
    }
}

impl<'a> ImageOptions<'a> {
    /// An image whose data is `disk` (its format, streamed from its file).
    pub fn with_disk(disk: &'a crate::DiskImage) -> ImageOptions<'a> {
        ImageOptions {
            upload_file: Some(&disk.path),
            disk_format: &disk.disk_format,
            ..ImageOptions::default()
        }
    }
}
