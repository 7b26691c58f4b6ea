//! Layered configuration: built-in defaults, then an optional TOML file, then `GLIMPSE_*`
//! environment variables, then command-line flags; the cloud's own facts come from
//! clouds.yaml (`cloud = "name"`) or from `auth_url` alone.

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

use crate::clouds::{self, CloudEntry};
use crate::openstack::keystone::ApplicationCredential;
use crate::session_store::SessionKey;

/// Everything that can be set, as the layers see it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Settings {
    /// Address to serve on.
    pub listen: SocketAddr,
    /// Name of the cloud in clouds.yaml.
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
    /// The activity log: a SQLite file (`sqlite://path`, or a plain path) or `postgres://…`
    /// (shared by several replicas).
    pub database: String,
    /// Sessions: in memory when unset; `redis://…` to share them between replicas.
    pub session_store: Option<String>,
    /// Glance calls in flight at once across every running access audit.
    pub audit_glance_calls: usize,
    /// Seconds a request may take; a streamed audit stops then too.
    pub request_timeout_secs: u64,
    /// An application credential of Glimpse's own, to read Glance's state when reconciling
    /// changes a crash left unfinished (both or neither).
    pub reconcile_credential_id: Option<String>,
    pub reconcile_credential_secret: Option<Secret>,
    /// The key that seals sessions in Redis: 32 random bytes, base64 (`openssl rand -base64 32`).
    /// Required with a Redis `session_store`; every replica needs the same one.
    pub session_key: Option<Secret>,
    /// A session unused this long (seconds) ends; it also ends with its Keystone token.
    pub session_idle_secs: u64,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. A
    /// request from anywhere else is taken to come from its peer address, whatever it says.
    pub trusted_proxies: Vec<String>,
    /// Sign-in attempts allowed per minute from one client address (IPv6: per /64).
    pub sign_in_per_address: u32,
    /// Sign-in attempts allowed per minute for one username (or application credential).
    pub sign_in_per_user: u32,
    /// Copies to another region one user may run at once, and all users together (per
    /// replica).
    pub copies_per_user: usize,
    pub copies_total: usize,
    /// Seconds a copy's data transfer may take at most.
    pub copy_limit_secs: u64,
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
            cloud: None,
            auth_url: None,
            region_name: None,
            interface: None,
            user_domain_name: None,
            project_domain_name: None,
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
            database: "sqlite://glimpse-activity.db".into(),
            session_store: None,
            session_key: None,
            session_idle_secs: 30 * 60,
            trusted_proxies: Vec::new(),
            sign_in_per_address: 30,
            sign_in_per_user: 5,
            audit_glance_calls: 32,
            request_timeout_secs: 120,
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
    pub auth_url: String,
    pub default_region: Option<String>,
    /// Regions to offer; empty means every region of the catalog.
    pub regions: Vec<String>,
    pub interface: String,
    pub user_domain_name: String,
    pub project_domain_name: String,
    pub ca_pem: Option<Vec<u8>>,
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
    pub database: String,
    pub session_store: Option<String>,
    pub audit_glance_calls: usize,
    pub request_timeout: Duration,
    pub reconcile_credential: Option<ApplicationCredential>,
    pub session_key: Option<SessionKey>,
    pub session_idle: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub sign_in_limits: SignInLimits,
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
        let cloud = match &settings.cloud {
            Some(name) => clouds::load(name)?,
            None => CloudEntry::default(),
        };
        let Some(auth_url) = settings.auth_url.or(cloud.auth_url) else {
            bail!("no Keystone URL: pass --cloud NAME (from clouds.yaml) or --auth-url URL")
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
        let public_url = settings
            .public_url
            .map(|u| Url::parse(&u).with_context(|| format!("public_url {u:?} is not a URL")))
            .transpose()?;
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
            auth_url,
            default_region: settings.region_name.or(cloud.region_name),
            regions: cloud.regions,
            interface: settings
                .interface
                .or(cloud.interface)
                .unwrap_or_else(|| "public".into()),
            user_domain_name: settings
                .user_domain_name
                .or(cloud.user_domain_name)
                .unwrap_or_else(|| "Default".into()),
            project_domain_name: settings
                .project_domain_name
                .or(cloud.project_domain_name)
                .unwrap_or_else(|| "Default".into()),
            ca_pem,
            insecure: !settings.verify.or(cloud.verify).unwrap_or(true),
            timeout: Duration::from_secs(settings.timeout_secs.max(1)),
            connect_timeout: Duration::from_secs(settings.connect_timeout_secs.max(1)),
            glance_page_size: settings.glance_page_size.clamp(1, 1000),
            token_check_interval: Duration::from_secs(settings.token_check_secs),
            concurrency: settings.concurrency.max(1),
            assets_dir: settings.assets_dir,
            public_url,
            secure_cookies,
            database: settings.database,
            session_store: settings.session_store,
            session_key,
            session_idle: Duration::from_secs(settings.session_idle_secs.max(1)),
            trusted_proxies,
            sign_in_limits: SignInLimits {
                per_address: at_least_one(settings.sign_in_per_address),
                per_user: at_least_one(settings.sign_in_per_user),
            },
            audit_glance_calls: settings.audit_glance_calls.max(1),
            request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
            reconcile_credential,
            copies_per_user: settings.copies_per_user.max(1),
            copies_total: settings.copies_total.max(1),
            copy_limit: Duration::from_secs(settings.copy_limit_secs.max(1)),
        })
    }

    /// A config for tests and embedding: defaults around a Keystone URL.
    pub fn for_auth_url(auth_url: &str) -> Self {
        Self::resolve(Settings {
            auth_url: Some(auth_url.to_owned()),
            ..Settings::default()
        })
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
#[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "glimpse.toml",
                "auth_url = \"http://file:5000\"\nconcurrency = 3\n",
            )?;
            jail.set_env("GLIMPSE_CONCURRENCY", "5");
            let flags = serde_json::json!({"listen": "127.0.0.1:9999"});
            let s = Settings::load(None, &flags).map_err(|e| e.to_string())?;
            assert_eq!(s.auth_url.as_deref(), Some("http://file:5000"));
            assert_eq!(s.concurrency, 5);
            assert_eq!(s.listen.port(), 9999);
            assert_eq!(s.timeout_secs, 30);
            Ok(())
        });
    }

    #[test]
    fn cloud_from_clouds_yaml() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "my-clouds.yaml",
                "clouds:\n  lab:\n    auth:\n      auth_url: http://k:5000/v3\n      user_domain_name: Lab\n    region_name: RegionTwo\n    regions: [RegionOne, RegionTwo]\n",
            )?;
            jail.set_env("OS_CLIENT_CONFIG_FILE", "my-clouds.yaml");
            let config = Config::resolve(Settings {
                cloud: Some("lab".into()),
                ..Settings::default()
            })
            .map_err(|e| e.to_string())?;
            assert_eq!(config.auth_url, "http://k:5000/v3");
            assert_eq!(config.user_domain_name, "Lab");
            assert_eq!(config.project_domain_name, "Default");
            assert_eq!(config.default_region.as_deref(), Some("RegionTwo"));
            assert_eq!(config.regions, vec!["RegionOne", "RegionTwo"]);
            assert!(
                Config::resolve(Settings {
                    cloud: Some("nope".into()),
                    ..Settings::default()
                })
                .is_err()
            );
            Ok(())
        });
    }

    #[test]
    fn https_public_url_means_secure_cookies_unless_forced() {
        let resolve = |public_url: Option<&str>, secure_cookies| {
            Config::resolve(Settings {
                auth_url: Some("http://k:5000".into()),
                public_url: public_url.map(Into::into),
                secure_cookies,
                ..Settings::default()
            })
            .map(|c| c.secure_cookies)
        };
        assert!(!resolve(None, None).unwrap());
        assert!(resolve(Some("https://images.example.org"), None).unwrap());
        assert!(!resolve(Some("http://127.0.0.1:8080"), None).unwrap());
        assert!(!resolve(Some("https://images.example.org"), Some(false)).unwrap());
        assert!(resolve(None, Some(true)).unwrap());
        assert!(resolve(Some("not a url"), None).is_err());
    }

    #[test]
    fn trusted_proxies_and_session_key_are_checked() {
        let resolve = |proxies: &[&str], key: Option<&str>| {
            Config::resolve(Settings {
                auth_url: Some("http://k:5000".into()),
                trusted_proxies: proxies.iter().map(|p| p.to_string()).collect(),
                session_key: key.map(|k| Secret(k.into())),
                ..Settings::default()
            })
        };
        let c = resolve(&["127.0.0.1", "10.0.0.0/8", "::1"], None).unwrap();
        assert_eq!(c.trusted_proxies.len(), 3);
        assert!(c.trusted_proxies[0].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        let err = resolve(&["10.0.0.0/33"], None).unwrap_err().to_string();
        assert!(err.contains("trusted_proxies"), "{err}");
        let err = format!("{:#}", resolve(&[], Some("too short")).unwrap_err());
        assert!(err.contains("openssl rand -base64 32"), "{err}");
        assert!(!err.contains("too short"), "the key is never echoed: {err}");
        let (_, key) = crate::session_store::SessionKey::generate();
        assert!(resolve(&[], Some(&key)).unwrap().session_key.is_some());
    }

    #[test]
    fn needs_an_auth_url() {
        assert!(Config::resolve(Settings::default()).is_err());
    }

    #[test]
    fn the_reconcile_credential_is_both_or_neither() {
        let with = |id: Option<&str>, secret: Option<&str>| {
            Config::resolve(Settings {
                auth_url: Some("http://k:5000".into()),
                reconcile_credential_id: id.map(Into::into),
                reconcile_credential_secret: secret.map(|s| Secret(s.into())),
                ..Settings::default()
            })
        };
        assert_eq!(with(None, None).unwrap().reconcile_credential, None);
        let config = with(Some("abc"), Some("s3cret")).unwrap();
        assert_eq!(config.reconcile_credential.as_ref().unwrap().id, "abc");
        assert!(
            !format!("{config:?}").contains("s3cret"),
            "never in a log line"
        );
        assert!(with(Some("abc"), None).is_err());
        assert!(with(None, Some("s3cret")).is_err());
    }
}
