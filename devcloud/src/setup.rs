//! Configuration files of the services: keystone.conf, glance-api.conf, the Glance paste
//! pipeline, and Keystone's fernet / credential key repositories.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rand::RngCore;

pub(crate) const ADMIN_PASSWORD: &str = "adminpw";
pub(crate) const GLANCE_PASSWORD: &str = "glancepw";

/// Keystone 30's default `[auth] methods`, plus `totp`.
const AUTH_METHODS: &str =
    "external,password,token,oauth1,mapped,application_credential,ec2credential,totp";

pub(crate) struct KeystoneConf<'a> {
    /// Holds keystone.conf, keystone.db, fernet-keys/, credential-keys/.
    pub dir: &'a Path,
    pub log_file: &'a Path,
    /// SQLAlchemy URL of its database.
    pub database: &'a str,
    pub fast_hash: bool,
    /// Token lifetime in seconds.
    pub token_expiration: u64,
    pub debug: bool,
}

/// Writes `dir/keystone.conf` (the file uWSGI's Keystone finds through
/// `OS_KEYSTONE_CONFIG_DIR=dir`) and returns its path.
pub(crate) fn write_keystone_conf(c: &KeystoneConf<'_>) -> Result<PathBuf> {
    let d = c.dir;
    fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    let mut conf = format!(
        "[DEFAULT]\n\
         debug = {debug}\n\
         log_file = {log}\n\
         [database]\n\
         connection = {db}\n\
         [token]\n\
         provider = fernet\n\
         expiration = {exp}\n\
         [fernet_tokens]\n\
         key_repository = {fernet}\n\
         [fernet_receipts]\n\
         key_repository = {fernet}\n\
         [credential]\n\
         key_repository = {cred}\n\
         [auth]\n\
         # Keystone's defaults, and TOTP for the users whose MFA rules ask for it.\n\
         methods = {methods}\n\
         [cache]\n\
         # In-process cache (one Keystone process, so it stays coherent): an\n\
         # authenticated request takes ~20 ms instead of ~150 ms.\n\
         enabled = true\n\
         backend = oslo_cache.dict\n\
         [identity]\n",
        debug = c.debug,
        log = c.log_file.display(),
        db = c.database,
        methods = AUTH_METHODS,
        exp = c.token_expiration,
        fernet = d.join("fernet-keys").display(),
        cred = d.join("credential-keys").display(),
    );
    if c.fast_hash {
        // bcrypt cost 4 instead of 12: a login takes ~1 ms instead of ~250 ms.
        conf.push_str("password_hash_rounds = 4\n");
    }
    let path = d.join("keystone.conf");
    fs::write(&path, conf).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `keystone-manage bootstrap` arguments: admin/adminpw, admin on project admin, the
/// identity service in RegionOne at `url`.
pub(crate) fn bootstrap_args(url: &str) -> Vec<String> {
    [
        "--bootstrap-username",
        "admin",
        "--bootstrap-password",
        ADMIN_PASSWORD,
        "--bootstrap-project-name",
        "admin",
        "--bootstrap-role-name",
        "admin",
        "--bootstrap-service-name",
        "keystone",
        "--bootstrap-region-id",
        "RegionOne",
        "--bootstrap-admin-url",
        url,
        "--bootstrap-internal-url",
        url,
        "--bootstrap-public-url",
        url,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What `keystone-manage fernet_setup` / `credential_setup` make: a 0700 directory with
/// a staged key `0` and a primary key `1`, each a url-safe base64 of 32 random bytes.
/// Leaves an existing repository alone.
pub(crate) fn write_key_repository(dir: &Path) -> Result<()> {
    if dir.join("0").is_file() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    for name in ["0", "1"] {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let path = dir.join(name);
        let mut f = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        std::io::Write::write_all(&mut f, base64_url(&key).as_bytes())?;
    }
    Ok(())
}

/// Url-safe base64 with padding (Python's `base64.urlsafe_b64encode`).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) struct GlanceConf<'a> {
    /// Holds glance-api.conf, glance-api-paste.ini, glance.db, images/, staging/, tasks/.
    pub dir: &'a Path,
    pub log_file: &'a Path,
    /// SQLAlchemy URL of its database.
    pub database: &'a str,
    /// Identity base URL, e.g. `http://127.0.0.1:5000`.
    pub keystone: &'a str,
    pub member_quota: u32,
    pub debug: bool,
    /// The paste ini shipped in the glance wheel (`VENV/etc/glance/glance-api-paste.ini`).
    pub upstream_paste: &'a Path,
    /// A file whose existence makes /healthcheck answer 503.
    pub healthcheck_disable: &'a Path,
    /// The port of another Glance on 127.0.0.1 to offer `glance-download` from; `None`:
    /// Glance's default import methods, without `glance-download`.
    pub glance_download_from: Option<u16>,
}

/// `[DEFAULT] enabled_import_methods` and, for `glance-download`, the import filter
/// that lets the task fetch from the source Glance: Glance refuses loopback hosts unless
/// listed in `allowed_hosts`, and ports other than 80 and 443 unless in `allowed_ports`.
/// (oslo.config wants these lists in brackets.)
fn import_conf(glance_download_from: Option<u16>) -> (String, String) {
    match glance_download_from {
        None => (
            "enabled_import_methods = [glance-direct,web-download,copy-image]\n".into(),
            String::new(),
        ),
        Some(port) => (
            "enabled_import_methods = [glance-direct,web-download,copy-image,glance-download]\n"
                .into(),
            format!(
                "[import_filtering_opts]\n\
                 allowed_schemes = [http]\n\
                 allowed_hosts = [127.0.0.1]\n\
                 allowed_ports = [{port}]\n"
            ),
        ),
    }
}

/// Writes `dir/glance-api.conf` (found by uWSGI's Glance through
/// `OS_GLANCE_CONFIG_DIR=dir`) and its paste pipeline.
pub(crate) fn write_glance_conf(c: &GlanceConf<'_>) -> Result<()> {
    let d = c.dir;
    for sub in ["images", "staging", "tasks"] {
        fs::create_dir_all(d.join(sub))
            .with_context(|| format!("creating {}", d.join(sub).display()))?;
    }
    let paste = fs::read_to_string(c.upstream_paste)
        .with_context(|| format!("reading {}", c.upstream_paste.display()))?;
    let paste = paste.replace(
        "/etc/glance/healthcheck_disable",
        &c.healthcheck_disable.display().to_string(),
    );
    let paste_path = d.join("glance-api-paste.ini");
    fs::write(&paste_path, paste).with_context(|| format!("writing {}", paste_path.display()))?;
    let (import_methods, import_filter) = import_conf(c.glance_download_from);
    let conf = format!(
        "[DEFAULT]\n\
         debug = {debug}\n\
         log_file = {log}\n\
         enabled_backends = fs:file\n\
         image_member_quota = {quota}\n\
         {import_methods}\
         [database]\n\
         connection = {db}\n\
         [glance_store]\n\
         default_backend = fs\n\
         [fs]\n\
         filesystem_store_datadir = {images}\n\
         [os_glance_staging_store]\n\
         filesystem_store_datadir = {staging}\n\
         [os_glance_tasks_store]\n\
         filesystem_store_datadir = {tasks}\n\
         [paste_deploy]\n\
         flavor = keystone\n\
         config_file = {paste}\n\
         [keystone_authtoken]\n\
         www_authenticate_uri = {ks}\n\
         auth_url = {ks}\n\
         auth_type = password\n\
         username = glance\n\
         password = {pw}\n\
         project_name = service\n\
         user_domain_name = Default\n\
         project_domain_name = Default\n\
         # The identity service is in RegionOne only, also for a RegionTwo Glance: with\n\
         # region_name = RegionTwo keystonemiddleware fails with EndpointNotFound and\n\
         # uWSGI sends an empty reply.\n\
         region_name = RegionOne\n\
         {import_filter}",
        debug = c.debug,
        log = c.log_file.display(),
        quota = c.member_quota,
        db = c.database,
        images = d.join("images").display(),
        staging = d.join("staging").display(),
        tasks = d.join("tasks").display(),
        paste = paste_path.display(),
        ks = c.keystone,
        pw = GLANCE_PASSWORD,
    );
    let path = d.join("glance-api.conf");
    fs::write(&path, conf).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_python() {
        // python3 -c 'import base64; print(base64.urlsafe_b64encode(b"..."))'
        assert_eq!(base64_url(b""), "");
        assert_eq!(base64_url(b"f"), "Zg==");
        assert_eq!(base64_url(b"fo"), "Zm8=");
        assert_eq!(base64_url(b"foo"), "Zm9v");
        assert_eq!(base64_url(&[0xfb, 0xff, 0xfe]), "-__-");
        assert_eq!(base64_url(&[0u8; 32]).len(), 44);
    }

    #[test]
    fn only_a_glance_with_a_source_offers_glance_download() {
        let tmp = tempfile::tempdir().unwrap();
        let paste = tmp.path().join("paste.ini");
        fs::write(&paste, "[pipeline]\n/etc/glance/healthcheck_disable\n").unwrap();
        let conf = |source: Option<u16>| {
            let dir = tmp.path().join(format!("g{source:?}"));
            write_glance_conf(&GlanceConf {
                dir: &dir,
                log_file: &dir.join("log"),
                database: "sqlite:////x/glance.db",
                keystone: "http://127.0.0.1:5000",
                member_quota: 10,
                debug: false,
                upstream_paste: &paste,
                healthcheck_disable: &dir.join("off"),
                glance_download_from: source,
            })
            .unwrap();
            fs::read_to_string(dir.join("glance-api.conf")).unwrap()
        };
        let one = conf(None);
        assert!(one.contains("enabled_import_methods = [glance-direct,web-download,copy-image]\n"));
        assert!(!one.contains("glance-download") && !one.contains("import_filtering_opts"));
        assert!(one.contains("connection = sqlite:////x/glance.db\n"));
        let two = conf(Some(9292));
        assert!(two.contains("copy-image,glance-download]\n"));
        assert!(two.contains("[import_filtering_opts]\nallowed_schemes = [http]\n"));
        assert!(two.contains("allowed_hosts = [127.0.0.1]\nallowed_ports = [9292]\n"));
    }

    #[test]
    fn keystone_accepts_totp() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write_keystone_conf(&KeystoneConf {
            dir: tmp.path(),
            log_file: &tmp.path().join("log"),
            database: "postgresql+psycopg2://postgres@127.0.0.1:5432/k",
            fast_hash: true,
            token_expiration: 60,
            debug: false,
        })
        .unwrap();
        let conf = fs::read_to_string(path).unwrap();
        assert!(conf.contains("[auth]\n"));
        assert!(conf.contains("methods = external,password,token,") && conf.contains(",totp\n"));
        assert!(conf.contains("connection = postgresql+psycopg2://postgres@127.0.0.1:5432/k\n"));
    }

    #[test]
    fn key_repository_has_two_private_keys() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("keys");
        write_key_repository(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let k0 = fs::read_to_string(dir.join("0")).unwrap();
        let k1 = fs::read_to_string(dir.join("1")).unwrap();
        assert_eq!(k0.len(), 44);
        assert_ne!(k0, k1);
        // Idempotent: an existing repository is kept.
        write_key_repository(&dir).unwrap();
        assert_eq!(fs::read_to_string(dir.join("0")).unwrap(), k0);
    }
}
