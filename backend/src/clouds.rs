//! Reads one cloud from `clouds.yaml`, the way the OpenStack clients find and read it.
//! Only what a multi-user portal needs is taken: the cloud's endpoints and TLS settings, never
//! its credentials (each person signs in with their own).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The facts about a cloud that Glimpse uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloudEntry {
    pub auth_url: Option<String>,
    pub user_domain_name: Option<String>,
    pub project_domain_name: Option<String>,
    pub region_name: Option<String>,
    pub regions: Vec<String>,
    pub interface: Option<String>,
    pub cacert: Option<PathBuf>,
    pub verify: Option<bool>,
}

#[derive(Deserialize)]
struct CloudsFile {
    #[serde(default)]
    clouds: BTreeMap<String, RawCloud>,
}

#[derive(Deserialize)]
struct RawCloud {
    #[serde(default)]
    auth: RawAuth,
    region_name: Option<String>,
    #[serde(default)]
    regions: Vec<RawRegion>,
    interface: Option<String>,
    cacert: Option<PathBuf>,
    verify: Option<bool>,
}

#[derive(Default, Deserialize)]
struct RawAuth {
    auth_url: Option<String>,
    user_domain_name: Option<String>,
    project_domain_name: Option<String>,
    /// Sets both user and project domain when those are not given.
    domain_name: Option<String>,
}

/// `regions:` holds names or `{name: …, values: {…}}` maps.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRegion {
    Name(String),
    Full { name: String },
}

/// Where the OpenStack clients look for clouds.yaml, in their order.
pub fn search_path() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(file) = std::env::var_os("OS_CLIENT_CONFIG_FILE") {
        paths.push(PathBuf::from(file));
    }
    paths.push(PathBuf::from("clouds.yaml"));
    if let Some(config) = dirs::config_dir() {
        paths.push(config.join("openstack/clouds.yaml"));
    }
    if let Some(home) = dirs::home_dir() {
        paths.push(home.join(".config/openstack/clouds.yaml"));
    }
    paths.push(PathBuf::from("/etc/openstack/clouds.yaml"));
    paths.dedup();
    paths
}

/// Finds cloud `name` in the first clouds.yaml of the search path that defines it.
pub fn load(name: &str) -> anyhow::Result<CloudEntry> {
    let mut looked = Vec::new();
    for path in search_path() {
        if !path.is_file() {
            continue;
        }
        let clouds = read_file(&path)?;
        if let Some(entry) = clouds.get(name) {
            return Ok(entry.clone());
        }
        looked.push(path.display().to_string());
    }
    if looked.is_empty() {
        bail!(
            "no clouds.yaml found (looked in {}); pass --auth-url instead",
            search_path()
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
    bail!("cloud {name:?} is not defined in {}", looked.join(", "))
}

/// All clouds of one file.
pub fn read_file(path: &Path) -> anyhow::Result<BTreeMap<String, CloudEntry>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("cannot parse {}", path.display()))
}

pub fn parse(text: &str) -> anyhow::Result<BTreeMap<String, CloudEntry>> {
    let file: CloudsFile = serde_yaml_ng::from_str(text)?;
    Ok(file
        .clouds
        .into_iter()
        .map(|(name, raw)| {
            let entry = CloudEntry {
                auth_url: raw.auth.auth_url,
                user_domain_name: raw.auth.user_domain_name.or(raw.auth.domain_name.clone()),
                project_domain_name: raw.auth.project_domain_name.or(raw.auth.domain_name),
                region_name: raw.region_name,
                regions: raw
                    .regions
                    .into_iter()
                    .map(|r| match r {
                        RawRegion::Name(name) | RawRegion::Full { name } => name,
                    })
                    .collect(),
                interface: raw.interface,
                cacert: raw.cacert,
                verify: raw.verify,
            };
            (name, entry)
        })
        .collect())
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
    cacert: /etc/ssl/corp.pem
    verify: true
  bare:
    auth:
      auth_url: http://k:5000
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
        assert_eq!(prod.cacert.as_deref(), Some(Path::new("/etc/ssl/corp.pem")));
        assert_eq!(clouds["bare"].regions, Vec::<String>::new());
    }

    #[test]
    fn reports_bad_yaml() {
        assert!(parse("clouds: [").is_err());
    }
}
