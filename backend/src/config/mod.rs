//! Layered configuration: built-in defaults, then an optional TOML file, then `GLIMPSE_*`
//! environment variables, then command-line flags; the cloud's own facts come from
//! clouds.yaml (`cloud = "name"`) or from `auth_url` alone.

mod base_path;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::clouds;
use crate::openstack::keystone::{ApplicationCredential, Domain};
use crate::session_store::SessionKey;

/// Everything that can be set, as the layers see it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Settings {
    /// Address to serve on.
    pub listen: SocketAddr,
    /// Serve `GET /metrics` on this address only (e.g. `127.0.0.1:9090`) rather than beside
    /// the UI and API.
    pub metrics_listen: Option<SocketAddr>,
    /// Name of the cloud in clouds.yaml; `OS_CLOUD` when unset. With neither, the cloud is
    /// what the `OS_*` variables say (`OS_AUTH_URL`, `OS_REGION_NAME`, …).
    pub cloud: Option<String>,
    /// Keystone URL; overrides the cloud's.
    pub auth_url: Option<String>,
    /// Region shown first; the cloud's `region_name` otherwise.
    pub region_name: Option<String>,
    /// Endpoint interface to use from the catalog.
    pub interface: Option<String>,
    /// Default domain of users and projects at sign-in.
    pub user_domain_name: Option<String>,
    pub project_domain_name: Option<String>,
    /// Whether the sign-in page offers a domain field; without it everyone signs in to
    /// `user_domain_name`.
    pub show_domain_field: bool,
    /// Extra CA bundle (PEM) for OpenStack's TLS endpoints.
    pub cacert: Option<PathBuf>,
    /// Verify OpenStack's TLS certificates.
    pub verify: Option<bool>,
    /// Seconds for one OpenStack call, and for connecting.
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Images per Glance list page.
    pub glance_page_size: u32,
    /// How often (seconds) a session's token is re-checked with Keystone, so that a token
    /// revoked elsewhere ends the session even while Glance still caches it.
    pub token_check_secs: u64,
    /// Glance requests in flight at once for one operation over many items, per region.
    pub concurrency: usize,
    /// The built web UI (index.html and assets/); the UI is not served when absent.
    pub assets_dir: Option<PathBuf>,
    /// The address users reach Glimpse at (`https://images.example.org`). When it is https,
    /// the session cookie is `Secure` and answers carry `Strict-Transport-Security`.
    pub public_url: Option<String>,
    /// Force the session cookie's `Secure` flag on or off; by default it follows `public_url`.
    pub secure_cookies: Option<bool>,
    /// The path prefix Glimpse is served under behind a reverse proxy (`/glimpse`); empty:
    /// the root. The UI, its assets, the API and the cookie all live under it.
    pub base_path: String,
    /// The activity log: a SQLite file (`sqlite://path`, or a plain path) or `postgres://…`
    /// (shared by several replicas).
    pub database: String,
    /// Sessions: in memory when unset; `redis://…` to share them between replicas.
    pub session_store: Option<String>,
    /// Glance calls in flight at once across every running access audit.
    pub audit_glance_calls: usize,
    /// Glance calls in flight at once, across every request, for the per-image lookups of an
    /// ordinary request (the inbox's memberships).
    pub fan_out_glance_calls: usize,
    /// Seconds a request may take (not an access audit: it has `audit_timeout_secs`).
    pub request_timeout_secs: u64,
    /// Seconds a streamed audit may take: it says how far it is as it goes and stops when its
    /// client goes away, so it may outlast an ordinary request (10,000 images take minutes).
    pub audit_timeout_secs: u64,
    /// An application credential of Glimpse's own, to read Glance's state when reconciling
    /// changes a crash left unfinished (both or neither).
    pub reconcile_credential_id: Option<String>,
    pub reconcile_credential_secret: Option<Secret>,
    /// The key that seals sessions in Redis: 32 random bytes, base64 (`openssl rand -base64 32`).
    /// Required with a Redis `session_store`; every replica needs the same one.
    pub session_key: Option<Secret>,
    /// A session unused this long (seconds) ends; it also ends with its Keystone token.
    pub session_idle_secs: u64,
    /// OpenStack accounts one browser session may hold at once (at least 1).
    pub accounts_per_session: usize,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. A
    /// request from anywhere else is taken to come from its peer address, whatever it says.
    pub trusted_proxies: Vec<String>,
    /// Sign-in attempts allowed per minute from one client address (IPv6: per /64).
    pub sign_in_per_address: u32,
    /// Sign-in attempts allowed per minute for one username (or application credential).
    pub sign_in_per_user: u32,
    /// Access audits kept per user as snapshots, to compare (at least 1).
    pub audit_snapshots_keep: u32,
    /// `related`: name a project a user shares with by what its own members' sign-ins told
    /// Glimpse; `off`: never.
    pub project_directory: ProjectDirectory,
    /// Copies to another region one user may run at once, and all users together (per
    /// replica).
    pub copies_per_user: usize,
    pub copies_total: usize,
    /// Seconds a copy's data transfer may take at most.
    pub copy_limit_secs: u64,
}

/// Whether Glimpse names projects a user has no role in, learned from other users' sign-ins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectDirectory {
    /// Only where the two are related by a share the user can see.
    #[default]
    Related,
    Off,
}

/// A secret setting: never printed, not even by `Debug`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: None,
            cloud: None,
            auth_url: None,
            region_name: None,
            interface: None,
            user_domain_name: None,
            project_domain_name: None,
            show_domain_field: true,
            cacert: None,
            verify: None,
            timeout_secs: 30,
            connect_timeout_secs: 5,
            glance_page_size: 500,
            token_check_secs: 60,
            concurrency: 8,
            assets_dir: None,
            public_url: None,
            secure_cookies: None,
            base_path: String::new(),
            database: "sqlite://glimpse-activity.db".into(),
            session_store: None,
            session_key: None,
            session_idle_secs: 30 * 60,
            accounts_per_session: 10,
            trusted_proxies: Vec::new(),
            sign_in_per_address: 30,
            sign_in_per_user: 5,
            audit_snapshots_keep: 50,
            project_directory: ProjectDirectory::Related,
            audit_glance_calls: 192,
            fan_out_glance_calls: 128,
            request_timeout_secs: 120,
            audit_timeout_secs: 600,
            reconcile_credential_id: None,
            reconcile_credential_secret: None,
            copies_per_user: 2,
            copies_total: 8,
            copy_limit_secs: 24 * 3600,
        }
    }
}

impl Settings {
    /// Merges the layers: defaults < `config_file` (or `glimpse.toml` if present) <
    /// `GLIMPSE_*` environment < `overrides` (command-line flags).
    pub fn load(config_file: Option<&Path>, overrides: &impl Serialize) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) if !path.is_file() => bail!("config file {} not found", path.display()),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("glimpse.toml")),
        }
        figment
            .merge(Env::prefixed("GLIMPSE_"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .context("invalid configuration")
    }
}

/// The settings with the cloud resolved: what the application runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub auth_url: String,
    pub default_region: Option<String>,
    /// Regions to offer; empty means every region of the catalog.
    pub regions: Vec<String>,
    pub interface: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    /// From clouds.yaml's `user_domain_id` / `project_domain_id`: win over the names.
    pub user_domain_id: Option<String>,
    pub project_domain_id: Option<String>,
    pub show_domain_field: bool,
    pub ca_pem: Option<Vec<u8>>,
    /// A client certificate and its key (PEM), for clouds that ask for one.
    pub client_identity_pem: Option<Vec<u8>>,
    pub insecure: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub glance_page_size: u32,
    pub token_check_interval: Duration,
    pub concurrency: usize,
    pub assets_dir: Option<PathBuf>,
    pub public_url: Option<Url>,
    /// The session cookie is `Secure` (and named `__Host-…`), answers carry HSTS.
    pub secure_cookies: bool,
    /// `""` or `/a/b` (checked: see `base_path`).
    pub base_path: String,
    pub database: String,
    pub session_store: Option<String>,
    pub audit_glance_calls: usize,
    pub fan_out_glance_calls: usize,
    pub request_timeout: Duration,
    pub audit_timeout: Duration,
    pub reconcile_credential: Option<ApplicationCredential>,
    pub session_key: Option<SessionKey>,
    pub session_idle: Duration,
    pub accounts_per_session: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub sign_in_limits: SignInLimits,
    pub audit_snapshots_keep: u32,
    pub project_directory: ProjectDirectory,
    pub copies_per_user: usize,
    pub copies_total: usize,
    pub copy_limit: Duration,
}

/// Sign-in attempts allowed per minute, each at least 1.
#[derive(Clone, Copy, Debug)]
pub struct SignInLimits {
    pub per_address: NonZeroU32,
    pub per_user: NonZeroU32,
}

impl Config {
    pub fn resolve(settings: Settings) -> anyhow::Result<Self> {
        Self::resolve_with(settings, |name| std::env::var(name).ok())
    }

    /// [`resolve`](Self::resolve), reading the `OS_*` variables with `var`.
    pub fn resolve_with(
        settings: Settings,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let cloud = match settings.cloud.clone().or_else(|| var("OS_CLOUD")) {
            Some(name) => clouds::load(&name)?,
            None => clouds::from_env(&var),
        };
        let Some(auth_url) = settings.auth_url.or(cloud.auth_url) else {
            bail!(
                "no Keystone URL: pass --cloud NAME (from clouds.yaml, or set OS_CLOUD), --auth-url URL, or set OS_AUTH_URL"
            )
        };
        Url::parse(&auth_url).with_context(|| format!("auth_url {auth_url:?} is not a URL"))?;
        let reconcile_credential = match (
            settings.reconcile_credential_id,
            settings.reconcile_credential_secret,
        ) {
            (None, None) => None,
            (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.expose().is_empty() => {
                Some(ApplicationCredential {
                    id: id.trim().to_owned(),
                    secret: secret.expose().to_owned(),
                })
            }
            _ => bail!(
                "reconcile_credential_id and reconcile_credential_secret go together: set both, or neither"
            ),
        };
        let cacert = settings.cacert.or(cloud.cacert);
        let ca_pem = cacert
            .map(|path| {
                std::fs::read(&path)
                    .with_context(|| format!("cannot read CA bundle {}", path.display()))
            })
            .transpose()?;
        let client_identity_pem = match (&cloud.cert, &cloud.key) {
            (Some(cert), key) => {
                let mut pem = std::fs::read(cert).with_context(|| {
                    format!("cannot read the client certificate {}", cert.display())
                })?;
                if let Some(key) = key {
                    pem.push(b'\n');
                    pem.extend(std::fs::read(key).with_context(|| {
                        format!("cannot read the client key {}", key.display())
                    })?);
                }
                Some(pem)
            }
            (None, Some(_)) => bail!("the cloud has a client key but no cert"),
            (None, None) => None,
        };
        // A domain named in Glimpse's own settings wins over the cloud's, by name or id.
        let (user_domain_name, user_domain_id) = match settings.user_domain_name {
            Some(name) => (name, None),
            None => (
                cloud.user_domain_name.unwrap_or_else(|| "Default".into()),
                cloud.user_domain_id,
            ),
        };
        let (project_domain_name, project_domain_id) = match settings.project_domain_name {
            Some(name) => (name, None),
            None => (
                cloud
                    .project_domain_name
                    .unwrap_or_else(|| "Default".into()),
                cloud.project_domain_id,
            ),
        };
        let public_url = settings
            .public_url
            .map(|u| Url::parse(&u).with_context(|| format!("public_url {u:?} is not a URL")))
            .transpose()?;
        let base_path = base_path::parse(&settings.base_path)?;
        if let Some(url) = &public_url {
            base_path::check_public_url(url, &base_path)?;
        }
        let secure_cookies = settings
            .secure_cookies
            .unwrap_or_else(|| public_url.as_ref().is_some_and(|u| u.scheme() == "https"));
        let session_key = settings
            .session_key
            .map(|k| SessionKey::parse(k.expose()))
            .transpose()?;
        let trusted_proxies = settings
            .trusted_proxies
            .iter()
            .map(|p| parse_proxy(p))
            .collect::<anyhow::Result<_>>()?;
        let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            listen: settings.listen,
            metrics_listen: settings.metrics_listen,
            auth_url,
            default_region: settings.region_name.or(cloud.region_name),
            regions: cloud.regions,
            // Glimpse only calls the image service from the catalog.
            interface: settings
                .interface
                .or(cloud.image_interface)
                .or(cloud.interface)
                .unwrap_or_else(|| "public".into()),
            user_domain_name,
            project_domain_name,
            user_domain_id,
            project_domain_id,
            show_domain_field: settings.show_domain_field,
            ca_pem,
            client_identity_pem,
            insecure: !settings.verify.or(cloud.verify).unwrap_or(true),
            timeout: Duration::from_secs(settings.timeout_secs.max(1)),
            connect_timeout: Duration::from_secs(settings.connect_timeout_secs.max(1)),
            glance_page_size: settings.glance_page_size.clamp(1, 1000),
            token_check_interval: Duration::from_secs(settings.token_check_secs),
            concurrency: settings.concurrency.max(1),
            assets_dir: settings.assets_dir,
            public_url,
            secure_cookies,
            base_path,
            database: settings.database,
            session_store: settings.session_store,
            session_key,
            session_idle: Duration::from_secs(settings.session_idle_secs.max(1)),
            accounts_per_session: settings.accounts_per_session.max(1),
            trusted_proxies,
            sign_in_limits: SignInLimits {
                per_address: at_least_one(settings.sign_in_per_address),
                per_user: at_least_one(settings.sign_in_per_user),
            },
            audit_snapshots_keep: settings.audit_snapshots_keep.max(1),
            project_directory: settings.project_directory,
            audit_glance_calls: settings.audit_glance_calls.max(1),
            fan_out_glance_calls: settings.fan_out_glance_calls.max(1),
            request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
            audit_timeout: Duration::from_secs(settings.audit_timeout_secs.max(1)),
            reconcile_credential,
            copies_per_user: settings.copies_per_user.max(1),
            copies_total: settings.copies_total.max(1),
            copy_limit: Duration::from_secs(settings.copy_limit_secs.max(1)),
        })
    }

    /// The domain users sign in to when they name none.
    pub fn user_domain(&self) -> Domain {
        match &self.user_domain_id {
            Some(id) => Domain::Id(id.clone()),
            None => Domain::Name(self.user_domain_name.clone()),
        }
    }

    /// The domain of a project named at sign-in.
    pub fn project_domain(&self) -> Domain {
        match &self.project_domain_id {
            Some(id) => Domain::Id(id.clone()),
            None => Domain::Name(self.project_domain_name.clone()),
        }
    }

    /// A config for tests and embedding: defaults around a Keystone URL.
    pub fn for_auth_url(auth_url: &str) -> Self {
        // Whatever OS_* variables the process has: they describe some other cloud.
        Self::resolve_with(
            Settings {
                auth_url: Some(auth_url.to_owned()),
                ..Settings::default()
            },
            |_| None,
        )
        .expect("valid defaults")
    }
}

/// `10.0.0.0/8`, or one address (`127.0.0.1`, `::1`).
fn parse_proxy(text: &str) -> anyhow::Result<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .with_context(|| {
            format!("trusted_proxies: {text:?} is neither an IP address nor a CIDR range")
        })
}

#[cfg(test)]
mod tests;
