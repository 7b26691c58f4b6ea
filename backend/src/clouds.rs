//! Reads one cloud the way the OpenStack clients (openstacksdk's config loader) do: from
//! `clouds.yaml` merged with `secure.yaml`, or, when no cloud is named, from the `OS_*`
//! environment. Only what a multi-user portal needs is taken: the cloud's endpoints and TLS
//! settings, never a user's credentials (each person signs in with their own).
//!
//! Where the files are: `$OS_CLIENT_CONFIG_FILE` (`$OS_CLIENT_SECURE_FILE`), else the first of
//! `clouds.yaml`, `clouds.yml`, `clouds.json` (`secure.*`) in the current directory, then
//! `~/.config/openstack`, then `/etc/openstack`. The first file found is the one read, as the
//! clients do; a cloud missing from it is not looked for in the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_yaml_ng::Value;

/// The facts about a cloud that Glimpse uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloudEntry {
    pub auth_url: Option<String>,
    pub user_domain_name: Option<String>,
    pub user_domain_id: Option<String>,
    pub project_domain_name: Option<String>,
    pub project_domain_id: Option<String>,
    pub region_name: Option<String>,
    pub regions: Vec<String>,
    pub interface: Option<String>,
    /// The interface for the image service alone (wins over `interface`).
    pub image_interface: Option<String>,
    pub cacert: Option<PathBuf>,
    /// `verify: false` or `insecure: true`: TLS certificates are not checked.
    pub verify: Option<bool>,
    /// A client certificate and its key (PEM files), for clouds that ask for one.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Deserialize)]
struct RawCloud {
    #[serde(default)]
    auth: RawAuth,
    region_name: Option<String>,
    #[serde(default)]
    regions: Vec<RawRegion>,
    interface: Option<String>,
    image_interface: Option<String>,
    cacert: Option<PathBuf>,
    verify: Option<bool>,
    insecure: Option<bool>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

#[derive(Default, Deserialize)]
struct RawAuth {
    auth_url: Option<String>,
    user_domain_name: Option<String>,
    user_domain_id: Option<String>,
    project_domain_name: Option<String>,
    project_domain_id: Option<String>,
    /// Set both user and project domain when those are not given.
    domain_name: Option<String>,
    domain_id: Option<String>,
}

/// `regions:` holds names or `{name: …, values: {…}}` maps.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRegion {
    Name(String),
    Full { name: String },
}

impl From<RawCloud> for CloudEntry {
    fn from(raw: RawCloud) -> Self {
        let auth = raw.auth;
        CloudEntry {
            auth_url: auth.auth_url,
            user_domain_name: auth.user_domain_name.or(auth.domain_name.clone()),
            user_domain_id: auth.user_domain_id.or(auth.domain_id.clone()),
            project_domain_name: auth.project_domain_name.or(auth.domain_name),
            project_domain_id: auth.project_domain_id.or(auth.domain_id),
            region_name: raw.region_name,
            regions: raw
                .regions
                .into_iter()
                .map(|r| match r {
                    RawRegion::Name(name) | RawRegion::Full { name } => name,
                })
                .collect(),
            interface: raw.interface,
            image_interface: raw.image_interface,
            cacert: raw.cacert,
            verify: match (raw.verify, raw.insecure) {
                (Some(verify), _) => Some(verify),
                (None, Some(insecure)) => Some(!insecure),
                (None, None) => None,
            },
            cert: raw.cert,
            key: raw.key,
        }
    }
}

/// The folders the clients search, in their order.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(".")];
    if let Some(config) = dirs::config_dir() {
        dirs.push(config.join("openstack"));
    }
    if let Some(home) = dirs::home_dir() {
        dirs.push(home.join(".config/openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs.dedup();
    dirs
}

/// The files that may hold `stem` (`clouds` or `secure`), in the order they are looked for.
pub fn candidates(explicit: Option<PathBuf>, dirs: &[PathBuf], stem: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = explicit.into_iter().collect();
    for dir in dirs {
        for ext in ["yaml", "yml", "json"] {
            files.push(dir.join(format!("{stem}.{ext}")));
        }
    }
    files
}

fn first_file(files: &[PathBuf]) -> Option<&PathBuf> {
    files.iter().find(|f| f.is_file())
}

/// Finds cloud `name` as the OpenStack clients do.
pub fn load(name: &str) -> anyhow::Result<CloudEntry> {
    let dirs = search_dirs();
    let env = |var| std::env::var_os(var).map(PathBuf::from);
    let clouds = candidates(env("OS_CLIENT_CONFIG_FILE"), &dirs, "clouds");
    let secure = candidates(env("OS_CLIENT_SECURE_FILE"), &dirs, "secure");
    let Some(file) = first_file(&clouds) else {
        bail!(
            "no clouds.yaml found (looked for {}); pass --auth-url instead",
            clouds
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    load_from(name, file, first_file(&secure).map(PathBuf::as_path))
}

/// Cloud `name` of `file`, with `secure` (its secrets, say) merged over it.
pub fn load_from(name: &str, file: &Path, secure: Option<&Path>) -> anyhow::Result<CloudEntry> {
    let mut clouds = read_value(file)?;
    if let Some(secure) = secure {
        merge(&mut clouds, read_value(secure)?);
    }
    let mut all =
        parse_value(clouds).with_context(|| format!("cannot parse {}", file.display()))?;
    all.remove(name)
        .with_context(|| format!("cloud {name:?} is not defined in {}", file.display()))
}

fn read_value(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // JSON is YAML too: one reader for the three file names.
    serde_yaml_ng::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

/// Merges `over` into `base`, maps key by key (as openstacksdk merges secure.yaml).
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            for (k, v) in over {
                match base.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (slot, over) => *slot = over,
    }
}

/// Every cloud of a clouds.yaml text.
pub fn parse(text: &str) -> anyhow::Result<BTreeMap<String, CloudEntry>> {
    parse_value(serde_yaml_ng::from_str(text)?)
}

fn parse_value(value: Value) -> anyhow::Result<BTreeMap<String, CloudEntry>> {
    #[derive(Deserialize)]
    struct CloudsFile {
        #[serde(default)]
        clouds: BTreeMap<String, RawCloud>,
    }
    let file: CloudsFile = serde_yaml_ng::from_value(value)?;
    Ok(file
        .clouds
        .into_iter()
        .map(|(name, raw)| (name, raw.into()))
        .collect())
}

/// The cloud the `OS_*` variables describe, as the clients read them when no cloud is named.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> CloudEntry {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let path = |name: &str| var(name).map(PathBuf::from);
    let flag = |name: &str| {
        var(name).map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
    };
    CloudEntry {
        auth_url: var("OS_AUTH_URL"),
        user_domain_name: var("OS_USER_DOMAIN_NAME").or_else(|| var("OS_DEFAULT_DOMAIN_NAME")),
        user_domain_id: var("OS_USER_DOMAIN_ID").or_else(|| var("OS_DEFAULT_DOMAIN_ID")),
        project_domain_name: var("OS_PROJECT_DOMAIN_NAME")
            .or_else(|| var("OS_DEFAULT_DOMAIN_NAME")),
        project_domain_id: var("OS_PROJECT_DOMAIN_ID").or_else(|| var("OS_DEFAULT_DOMAIN_ID")),
        region_name: var("OS_REGION_NAME"),
        regions: Vec::new(),
        interface: var("OS_INTERFACE").or_else(|| var("OS_ENDPOINT_TYPE")),
        image_interface: var("OS_IMAGE_INTERFACE"),
        cacert: path("OS_CACERT"),
        verify: flag("OS_INSECURE").map(|insecure| !insecure),
        cert: path("OS_CERT"),
        key: path("OS_KEY"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_cloud() {
        let clouds = parse(
            r#"
clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000/v3
      username: ignored
      password: ignored
      domain_name: Corp
    region_name: RegionOne
    regions:
      - RegionOne
      - name: RegionTwo
        values: {interface: internal}
    interface: internal
    image_interface: admin
    cacert: /etc/ssl/corp.pem
    cert: /etc/ssl/me.pem
    key: /etc/ssl/me.key
    verify: true
  bare:
    auth:
      auth_url: http://k:5000
      user_domain_id: d0d0
      project_domain_id: p0p0
    insecure: true
"#,
        )
        .unwrap();
        let prod = &clouds["prod"];
        assert_eq!(
            prod.auth_url.as_deref(),
            Some("https://keystone.example:5000/v3")
        );
        assert_eq!(prod.user_domain_name.as_deref(), Some("Corp"));
        assert_eq!(prod.project_domain_name.as_deref(), Some("Corp"));
        assert_eq!(prod.regions, vec!["RegionOne", "RegionTwo"]);
        assert_eq!(prod.interface.as_deref(), Some("internal"));
        assert_eq!(prod.image_interface.as_deref(), Some("admin"));
        assert_eq!(prod.cacert.as_deref(), Some(Path::new("/etc/ssl/corp.pem")));
        assert_eq!(prod.cert.as_deref(), Some(Path::new("/etc/ssl/me.pem")));
        assert_eq!(prod.key.as_deref(), Some(Path::new("/etc/ssl/me.key")));
        assert_eq!(prod.verify, Some(true));
        let bare = &clouds["bare"];
        assert_eq!(bare.regions, Vec::<String>::new());
        assert_eq!(bare.user_domain_id.as_deref(), Some("d0d0"));
        assert_eq!(bare.project_domain_id.as_deref(), Some("p0p0"));
        assert_eq!(bare.user_domain_name, None);
        assert_eq!(bare.verify, Some(false), "insecure: true");
    }

    #[test]
    fn reports_bad_yaml() {
        assert!(parse("clouds: [").is_err());
    }

    #[test]
    fn the_first_file_found_wins_in_the_clients_order() {
        let cwd = tempfile::tempdir().unwrap();
        let user = tempfile::tempdir().unwrap();
        let site = tempfile::tempdir().unwrap();
        let dirs = [cwd.path(), user.path(), site.path()].map(Path::to_path_buf);
        let files = candidates(None, &dirs, "clouds");
        let names: Vec<String> = files[..3]
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["clouds.yaml", "clouds.yml", "clouds.json"]);
        assert_eq!(first_file(&files), None);

        std::fs::write(site.path().join("clouds.yaml"), "clouds: {}").unwrap();
        std::fs::write(user.path().join("clouds.json"), r#"{"clouds": {}}"#).unwrap();
        assert_eq!(first_file(&files), Some(&user.path().join("clouds.json")));
        std::fs::write(user.path().join("clouds.yml"), "clouds: {}").unwrap();
        assert_eq!(first_file(&files), Some(&user.path().join("clouds.yml")));
        std::fs::write(cwd.path().join("clouds.json"), "{}").unwrap();
        assert_eq!(first_file(&files), Some(&cwd.path().join("clouds.json")));
        // An explicit file (OS_CLIENT_CONFIG_FILE) comes first of all.
        let explicit = site.path().join("clouds.yaml");
        let files = candidates(Some(explicit.clone()), &dirs, "clouds");
        assert_eq!(first_file(&files), Some(&explicit));
    }

    #[test]
    fn secure_yaml_is_merged_and_json_read() {
        let dir = tempfile::tempdir().unwrap();
        let clouds = dir.path().join("clouds.json");
        std::fs::write(
            &clouds,
            r#"{"clouds": {"lab": {"auth": {"auth_url": "http://k:5000", "user_domain_name": "Lab"}, "region_name": "R1"}}}"#,
        )
        .unwrap();
        let secure = dir.path().join("secure.yaml");
        std::fs::write(
            &secure,
            "clouds:\n  lab:\n    auth:\n      password: s3cret\n      project_domain_id: abc\n    verify: false\n",
        )
        .unwrap();
        let lab = load_from("lab", &clouds, Some(&secure)).unwrap();
        assert_eq!(lab.auth_url.as_deref(), Some("http://k:5000"));
        assert_eq!(lab.user_domain_name.as_deref(), Some("Lab"));
        assert_eq!(lab.project_domain_id.as_deref(), Some("abc"));
        assert_eq!(lab.region_name.as_deref(), Some("R1"));
        assert_eq!(lab.verify, Some(false));
        let err = load_from("nope", &clouds, None).unwrap_err().to_string();
        assert!(err.contains("\"nope\" is not defined"), "{err}");
    }

    #[test]
    fn os_variables_describe_a_cloud() {
        let vars: BTreeMap<&str, &str> = [
            ("OS_AUTH_URL", "https://k.example/v3"),
            ("OS_REGION_NAME", "RegionTwo"),
            ("OS_INTERFACE", "internal"),
            ("OS_CACERT", "/etc/ssl/ca.pem"),
            ("OS_USER_DOMAIN_ID", "u-dom"),
            ("OS_PROJECT_DOMAIN_NAME", "Projects"),
            ("OS_INSECURE", "true"),
            ("OS_PASSWORD", "never read"),
        ]
        .into();
        let cloud = from_env(|k| vars.get(k).map(|v| v.to_string()));
        assert_eq!(cloud.auth_url.as_deref(), Some("https://k.example/v3"));
        assert_eq!(cloud.region_name.as_deref(), Some("RegionTwo"));
        assert_eq!(cloud.interface.as_deref(), Some("internal"));
        assert_eq!(cloud.cacert.as_deref(), Some(Path::new("/etc/ssl/ca.pem")));
        assert_eq!(cloud.user_domain_id.as_deref(), Some("u-dom"));
        assert_eq!(cloud.user_domain_name, None);
        assert_eq!(cloud.project_domain_name.as_deref(), Some("Projects"));
        assert_eq!(cloud.verify, Some(false));
        assert_eq!(from_env(|_| None), CloudEntry::default());
    }
}
