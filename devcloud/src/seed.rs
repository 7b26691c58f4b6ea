//! Keystone content (projects, roles, users, regions, the image service catalog) created
//! through Keystone's REST API, and the clouds.yaml that points at it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::SeededImage;
use crate::http::{Http, Reply};
use crate::setup::{ADMIN_PASSWORD, GLANCE_PASSWORD};

/// What seeding created, also written to `STATE/ids.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    /// Identity v3 endpoint, e.g. `http://127.0.0.1:5000/v3`.
    pub keystone_url: String,
    /// Id of the `Default` domain (`default`).
    pub domain_id: String,
    /// Project name -> id: admin, service, project-a, project-b, project-c.
    pub projects: BTreeMap<String, String>,
    /// User name -> id and password: admin, alice, bob, carol, dave, glance.
    pub users: BTreeMap<String, UserSeed>,
    /// Role name -> id: admin, member, reader, service.
    pub roles: BTreeMap<String, String>,
    /// Region -> Glance URL, e.g. `RegionOne` -> `http://127.0.0.1:9292`.
    pub regions: BTreeMap<String, String>,
    /// Region -> the [`crate::SEEDED_IMAGE`] there (real qcow2 data).
    #[serde(default)]
    pub images: BTreeMap<String, SeededImage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSeed {
    pub id: String,
    pub password: String,
    /// Base32 secret of the user's TOTP credential (erin's), whose passcodes Keystone
    /// wants after the password: RFC 6238, HMAC-SHA1, 30 s steps, 6 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
}

impl UserSeed {
    /// The TOTP passcode valid now, for a user with a TOTP credential.
    pub fn passcode(&self) -> anyhow::Result<String> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
        self.passcode_at(now.as_secs())
    }

    /// The TOTP passcode of the 30 s step holding `unix_time`.
    pub fn passcode_at(&self, unix_time: u64) -> anyhow::Result<String> {
        let secret = self
            .totp_secret
            .as_deref()
            .context("this user has no TOTP credential")?;
        let secret = totp_rs::Secret::try_from_base32(secret)
            .map_err(|e| anyhow::anyhow!("the TOTP secret is not base32: {e}"))?;
        let totp = totp_rs::Builder::new()
            .with_secret(secret)
            .build()
            .map_err(|e| anyhow::anyhow!("TOTP: {e}"))?;
        Ok(totp.generate(unix_time).to_string())
    }
}

impl Seed {
    /// Id of a seeded project; panics on an unknown name (a test bug).
    pub fn project(&self, name: &str) -> &str {
        self.projects
            .get(name)
            .unwrap_or_else(|| panic!("no seeded project {name}"))
    }

    /// Id of a seeded user; panics on an unknown name (a test bug).
    pub fn user(&self, name: &str) -> &UserSeed {
        self.users
            .get(name)
            .unwrap_or_else(|| panic!("no seeded user {name}"))
    }
}

/// (project, role) grants of a user.
type Grants = &'static [(&'static str, &'static str)];

/// The demo users: name, password, grants.
pub(crate) const USERS: &[(&str, &str, Grants)] = &[
    ("admin", ADMIN_PASSWORD, &[("admin", "admin")]),
    ("alice", "alicepw", &[("project-a", "member")]),
    ("bob", "bobpw", &[("project-b", "member")]),
    (
        "carol",
        "carolpw",
        &[("project-a", "member"), ("project-c", "member")],
    ),
    ("dave", "davepw", &[("project-b", "reader")]),
    (
        "glance",
        GLANCE_PASSWORD,
        &[("service", "service"), ("service", "admin")],
    ),
];

/// The user whose multi-factor rules ask for a password and a TOTP passcode: name,
/// password, project (member).
pub(crate) const MFA_USER: (&str, &str, &str) = ("erin", "erinpw", "project-a");

const PROJECTS: &[&str] = &["admin", "service", "project-a", "project-b", "project-c"];
const ROLES: &[&str] = &["admin", "member", "reader", "service"];

/// An admin session on Keystone's v3 API.
struct Admin<'a> {
    http: &'a Http,
    v3: &'a str,
    token: String,
}

impl Admin<'_> {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply> {
        let what = format!("{method} {path}");
        self.http
            .json(
                method,
                &format!("{}{path}", self.v3),
                Some(&self.token),
                body,
            )?
            .ok(&what)
    }

    /// `GET /<coll>?query` -> the `coll` array.
    fn list(&self, coll: &str, query: &[(&str, &str)]) -> Result<Vec<Value>> {
        let url = url::Url::parse_with_params(&format!("{}/{coll}", self.v3), query)?;
        let what = format!("GET {url}");
        let reply = self
            .http
            .json("GET", url.as_str(), Some(&self.token), None)?
            .ok(&what)?;
        match reply.json().get(coll) {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => anyhow::bail!("{what}: no '{coll}' list in {}", reply.excerpt()),
        }
    }

    /// The first `coll` item matching `query`, created from `body` if there is none.
    fn ensure(&self, coll: &str, key: &str, body: Value, query: &[(&str, &str)]) -> Result<Value> {
        if let Some(item) = self.list(coll, query)?.into_iter().next() {
            return Ok(item);
        }
        let reply = self.call("POST", &format!("/{coll}"), Some(&json!({ key: body })))?;
        reply
            .json()
            .get(key)
            .cloned()
            .with_context(|| format!("POST /{coll}: no '{key}' in the answer"))
    }

    /// Public, internal and admin endpoints of `service_id` in `region` at `url`,
    /// correcting the URL of existing ones (ports change from run to run).
    fn ensure_endpoints(&self, service_id: &str, region: &str, url: &str) -> Result<()> {
        for iface in ["public", "internal", "admin"] {
            let eps = self.list(
                "endpoints",
                &[("service_id", service_id), ("interface", iface)],
            )?;
            let ep = eps.iter().find(|e| e["region_id"].as_str() == Some(region));
            match ep {
                Some(ep) if ep["url"].as_str() == Some(url) => {}
                Some(ep) => {
                    let id = str_field(ep, "id")?;
                    self.call(
                        "PATCH",
                        &format!("/endpoints/{id}"),
                        Some(&json!({"endpoint": {"url": url}})),
                    )?;
                }
                None => {
                    self.call(
                        "POST",
                        "/endpoints",
                        Some(
                            &json!({"endpoint": {"service_id": service_id, "interface": iface,
                        "region_id": region, "url": url, "enabled": true}}),
                        ),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Erin: a member of project-a whose rules want a password *and* a TOTP passcode
/// (Keystone answers a password alone with 401 and an `Openstack-Auth-Receipt`). A
/// reused state dir keeps her credential, whose secret Keystone gives back to the admin.
fn mfa_user(ks: &Admin<'_>, out: &Seed) -> Result<(&'static str, UserSeed)> {
    let (name, password, project) = MFA_USER;
    let options = json!({
        "multi_factor_auth_enabled": true,
        "multi_factor_auth_rules": [["password", "totp"]],
    });
    let user = ks.ensure(
        "users",
        "user",
        json!({"name": name, "password": password, "domain_id": out.domain_id,
               "options": options}),
        &[("name", name), ("domain_id", &out.domain_id)],
    )?;
    let uid = str_field(&user, "id")?.to_string();
    ks.call(
        "PUT",
        &format!(
            "/projects/{}/users/{uid}/roles/{}",
            out.projects[project], out.roles["member"]
        ),
        None,
    )?;
    let existing = ks.list("credentials", &[("user_id", &uid), ("type", "totp")])?;
    let secret = match existing.first() {
        Some(credential) => str_field(credential, "blob")?.to_string(),
        None => {
            let mut bytes = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            let secret = totp_rs::Secret::from(bytes.to_vec()).to_base32();
            ks.call(
                "POST",
                "/credentials",
                Some(&json!({"credential": {"type": "totp", "user_id": uid, "blob": secret}})),
            )?;
            secret
        }
    };
    Ok((
        name,
        UserSeed {
            id: uid,
            password: password.into(),
            totp_secret: Some(secret),
        },
    ))
}

fn str_field<'v>(v: &'v Value, key: &str) -> Result<&'v str> {
    v.get(key)
        .and_then(Value::as_str)
        .with_context(|| format!("no string '{key}' in {v}"))
}

/// Creates (or finds, on a reused state dir) everything the tests and the demo rely on.
/// `regions` are (region, Glance URL) pairs, RegionOne first.
pub(crate) fn seed(http: &Http, keystone_v3: &str, regions: &[(String, String)]) -> Result<Seed> {
    let token = http.token(keystone_v3, "admin", ADMIN_PASSWORD, "admin")?;
    let ks = Admin {
        http,
        v3: keystone_v3,
        token,
    };
    // Bootstrap registered the identity endpoints in a template, with another port.
    let identity = ks.ensure(
        "services",
        "service",
        json!({"type": "identity", "name": "keystone", "enabled": true}),
        &[("type", "identity")],
    )?;
    ks.ensure_endpoints(str_field(&identity, "id")?, "RegionOne", keystone_v3)?;

    let domains = ks.list("domains", &[("name", "Default")])?;
    let domain_id = str_field(domains.first().context("no Default domain")?, "id")?.to_string();
    let mut out = Seed {
        keystone_url: keystone_v3.to_string(),
        domain_id: domain_id.clone(),
        ..Seed::default()
    };
    for &p in PROJECTS {
        let project = ks.ensure(
            "projects",
            "project",
            json!({"name": p, "domain_id": domain_id}),
            &[("name", p), ("domain_id", &domain_id)],
        )?;
        out.projects
            .insert(p.into(), str_field(&project, "id")?.into());
    }
    for &r in ROLES {
        let role = ks.ensure("roles", "role", json!({"name": r}), &[("name", r)])?;
        out.roles.insert(r.into(), str_field(&role, "id")?.into());
    }
    for &(name, password, grants) in USERS {
        let user = ks.ensure(
            "users",
            "user",
            json!({"name": name, "password": password, "domain_id": domain_id}),
            &[("name", name), ("domain_id", &domain_id)],
        )?;
        let uid = str_field(&user, "id")?.to_string();
        for (project, role) in grants {
            ks.call(
                "PUT",
                &format!(
                    "/projects/{}/users/{uid}/roles/{}",
                    out.projects[*project], out.roles[*role]
                ),
                None,
            )?;
        }
        out.users.insert(
            name.into(),
            UserSeed {
                id: uid,
                password: password.into(),
                totp_secret: None,
            },
        );
    }
    let (name, user) = mfa_user(&ks, &out)?;
    out.users.insert(name.into(), user);

    let image = ks.ensure(
        "services",
        "service",
        json!({"type": "image", "name": "glance", "enabled": true}),
        &[("type", "image")],
    )?;
    let image_id = str_field(&image, "id")?.to_string();
    let have: Vec<String> = ks
        .list("regions", &[])?
        .iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect();
    for (region, url) in regions {
        if !have.contains(region) {
            ks.call("POST", "/regions", Some(&json!({"region": {"id": region}})))?;
        }
        ks.ensure_endpoints(&image_id, region, url)?;
        out.regions.insert(region.clone(), url.clone());
    }
    // A reused state dir may have run with more regions: drop their image endpoints, so
    // that clients do not try a Glance that is not running.
    for ep in ks.list("endpoints", &[("service_id", &image_id)])? {
        let region = ep["region_id"].as_str().unwrap_or_default();
        if !out.regions.contains_key(region) {
            ks.call(
                "DELETE",
                &format!("/endpoints/{}", str_field(&ep, "id")?),
                None,
            )?;
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct CloudsFile {
    clouds: BTreeMap<String, Cloud>,
}

#[derive(Serialize)]
struct Cloud {
    auth: CloudAuth,
    region_name: String,
    regions: Vec<String>,
    identity_api_version: u8,
    image_api_version: u8,
    interface: &'static str,
}

#[derive(Serialize)]
struct CloudAuth {
    auth_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_name: Option<String>,
    user_domain_name: &'static str,
    project_domain_name: &'static str,
}

/// The clouds of clouds.yaml: name -> (user, project). `glimpse` has neither: the
/// portal gets them from the person who logs in.
pub(crate) const CLOUDS: &[(&str, &str, &str)] = &[
    ("admin", "admin", "admin"),
    ("alice-a", "alice", "project-a"),
    ("bob-b", "bob", "project-b"),
    ("carol-a", "carol", "project-a"),
    ("carol-c", "carol", "project-c"),
    ("dave-b", "dave", "project-b"),
];

/// clouds.yaml text for `seed`; `auth_url` is Keystone's base URL (no `/v3`).
pub(crate) fn clouds_yaml(seed: &Seed, auth_url: &str) -> Result<String> {
    let regions: Vec<String> = seed.regions.keys().cloned().collect();
    let cloud = |user: Option<&str>, project: Option<&str>| Cloud {
        auth: CloudAuth {
            auth_url: auth_url.to_string(),
            username: user.map(String::from),
            password: user.map(|u| {
                USERS
                    .iter()
                    .find(|(n, _, _)| *n == u)
                    .map(|(_, pw, _)| pw.to_string())
                    .unwrap_or_default()
            }),
            project_name: project.map(String::from),
            user_domain_name: "Default",
            project_domain_name: "Default",
        },
        region_name: "RegionOne".into(),
        regions: regions.clone(),
        identity_api_version: 3,
        image_api_version: 2,
        interface: "public",
    };
    let mut clouds: BTreeMap<String, Cloud> = CLOUDS
        .iter()
        .map(|&(name, user, project)| (name.to_string(), cloud(Some(user), Some(project))))
        .collect();
    clouds.insert("glimpse".into(), cloud(None, None));
    let body = serde_yaml_ng::to_string(&CloudsFile { clouds })?;
    Ok(format!(
        "# Written by Glimpse's devcloud. Use: OS_CLIENT_CONFIG_FILE=<this file> \
         openstack --os-cloud alice-a image list [--os-region-name RegionTwo]\n\
         # The 'glimpse' cloud has no credentials: the portal asks the person.\n{body}"
    ))
}

/// Writes the seed as pretty JSON.
pub(crate) fn write_ids(seed: &Seed, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(seed)? + "\n";
    crate::venv::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Seed {
        Seed {
            keystone_url: "http://127.0.0.1:5000/v3".into(),
            domain_id: "default".into(),
            regions: [
                ("RegionOne".to_string(), "http://127.0.0.1:9292".to_string()),
                ("RegionTwo".to_string(), "http://127.0.0.1:9293".to_string()),
            ]
            .into(),
            ..Seed::default()
        }
    }

    #[test]
    fn clouds_yaml_has_user_clouds_and_a_credential_less_glimpse_cloud() {
        let text = clouds_yaml(&sample(), "http://127.0.0.1:5000").unwrap();
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        let clouds = &doc["clouds"];
        for name in [
            "admin", "alice-a", "bob-b", "carol-a", "carol-c", "dave-b", "glimpse",
        ] {
            assert!(clouds.get(name).is_some(), "missing cloud {name}");
        }
        let alice = &clouds["alice-a"];
        assert_eq!(alice["auth"]["username"].as_str(), Some("alice"));
        assert_eq!(alice["auth"]["password"].as_str(), Some("alicepw"));
        assert_eq!(alice["auth"]["project_name"].as_str(), Some("project-a"));
        assert_eq!(alice["region_name"].as_str(), Some("RegionOne"));
        assert_eq!(alice["identity_api_version"].as_u64(), Some(3));
        assert_eq!(alice["regions"][1].as_str(), Some("RegionTwo"));
        let glimpse = &clouds["glimpse"];
        assert!(glimpse["auth"].get("username").is_none());
        assert!(glimpse["auth"].get("password").is_none());
        assert_eq!(
            glimpse["auth"]["auth_url"].as_str(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            glimpse["auth"]["user_domain_name"].as_str(),
            Some("Default")
        );
        assert_eq!(glimpse["interface"].as_str(), Some("public"));
    }

    #[test]
    fn passcodes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890": 94287082 at T=59,
        // of which Keystone's 6 digits are the last six.
        let user = UserSeed {
            id: "x".into(),
            password: "y".into(),
            totp_secret: Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        };
        assert_eq!(user.passcode_at(59).unwrap(), "287082");
        assert_eq!(user.passcode_at(1111111109).unwrap(), "081804");
        assert!(user.passcode().unwrap().len() == 6);
        let none = UserSeed {
            totp_secret: None,
            ..user
        };
        assert!(none.passcode().is_err());
    }

    #[test]
    fn ids_json_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("ids.json");
        let seed = sample();
        write_ids(&seed, &p).unwrap();
        let back: Seed = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(back, seed);
    }
}
