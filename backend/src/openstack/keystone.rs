//! Keystone v3: password and application-credential sign-in, rescoping, the user's projects,
//! the service catalog and token revocation.

use std::collections::BTreeMap;

use json::NamedRef;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::{
    OpenStackError, Service, Token, endpoint_url, read_json, send, send_any, with_segments,
};

#[derive(Clone, Debug)]
pub struct Keystone {
    http: reqwest::Client,
    /// The v3 root, ending in `/v3`.
    base: Url,
    /// `…/v3/auth/tokens` and `…/v3/auth/projects`, made once from the configured URL.
    tokens: Url,
    projects: Url,
}

/// A Keystone domain, by name or by id (clouds.yaml's `*_domain_name` or `*_domain_id`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Domain {
    Name(String),
    Id(String),
}

impl Domain {
    fn json(&self) -> serde_json::Value {
        match self {
            Domain::Name(name) => json!({ "name": name }),
            Domain::Id(id) => json!({ "id": id }),
        }
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Domain::Name(name) => f.write_str(name),
            Domain::Id(id) => write!(f, "id:{id}"),
        }
    }
}

/// What a person signs in with.
pub enum Credentials {
    Password {
        username: String,
        password: String,
        user_domain: Domain,
    },
    ApplicationCredential {
        id: String,
        secret: String,
    },
    /// A TOTP passcode, the factor a [`Receipt`] asked for after a password.
    Totp {
        receipt: Receipt,
        passcode: String,
    },
}

/// What Keystone answers a password whose owner's multi-factor rules want more (401 with an
/// `Openstack-Auth-Receipt` header): sent back with the next factor, until it expires.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The `Openstack-Auth-Receipt` value. It vouches for the factors given: never shown.
    id: String,
    pub user_id: String,
    /// RFC 3339, as Keystone gives it.
    pub expires_at: String,
    /// The methods that would complete one of the user's rules, e.g. `["totp"]`.
    pub missing: Vec<String>,
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipt")
            .field("id", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .field("missing", &self.missing)
            .finish()
    }
}

/// The 401 body that comes with a receipt.
#[derive(Deserialize)]
struct ReceiptBody {
    receipt: ReceiptInfo,
    #[serde(default)]
    required_auth_methods: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct ReceiptInfo {
    #[serde(default)]
    methods: Vec<String>,
    user: IdOnly,
    expires_at: String,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl ReceiptBody {
    fn into_receipt(self, id: String) -> Receipt {
        let given = &self.receipt.methods;
        let mut missing: Vec<String> = self
            .required_auth_methods
            .iter()
            .flatten()
            .filter(|m| !given.contains(m))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        Receipt {
            id,
            user_id: self.receipt.user.id,
            expires_at: self.receipt.expires_at,
            missing,
        }
    }
}

/// An application credential that the operator gives Glimpse itself (never a user's), e.g.
/// to reconcile changes a crash left unfinished. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplicationCredential {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for ApplicationCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationCredential")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What a new token is scoped to.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// A project by name, in the given domain.
    ProjectName {
        name: String,
        domain: Domain,
    },
    ProjectId(String),
    /// No scope: only good to list the user's projects and rescope.
    Unscoped,
}

/// An issued token and what Keystone said about it.
#[derive(Clone, Debug)]
pub struct Auth {
    pub token: Token,
    /// RFC 3339, as Keystone gives it.
    pub expires_at: String,
    pub user: NamedRef,
    pub project: Option<NamedRef>,
    pub roles: Vec<String>,
    /// Image service endpoints by region, for the requested interface.
    catalog: Vec<CatalogEntry>,
    /// True when issued for an application credential, which is bound to one project.
    pub application_credential: bool,
}

impl Auth {
    /// Image (Glance) endpoints by region for `interface` (public, internal, admin).
    pub fn image_endpoints(&self, interface: &str) -> BTreeMap<String, String> {
        self.catalog
            .iter()
            .filter(|s| s.kind == "image")
            .flat_map(|s| s.endpoints.iter())
            .filter(|e| e.interface == interface)
            .filter_map(|e| Some((e.region_id.clone()?, e.url.clone())))
            .collect()
    }
}

/// Why Keystone refused a sign-in, as far as its answer tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    WrongCredentials,
    AccountLocked,
    PasswordExpired,
    NoAccessToProject,
}

impl SignInRefusal {
    /// Classifies a Keystone error answer to a token request.
    pub fn of(err: &OpenStackError) -> Option<Self> {
        match err.status() {
            Some(401) | Some(403) | Some(404) => {}
            _ => return None,
        }
        let msg = err.message().to_ascii_lowercase();
        Some(if msg.contains("locked") {
            Self::AccountLocked
        } else if msg.contains("password is expired") || msg.contains("password has expired") {
            Self::PasswordExpired
        } else if msg.contains("has no access to project") || msg.contains("could not find project")
        {
            Self::NoAccessToProject
        } else {
            Self::WrongCredentials
        })
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(Deserialize)]
struct TokenInfo {
    expires_at: String,
    user: IdName,
    project: Option<IdName>,
    #[serde(default)]
    roles: Vec<IdName>,
    #[serde(default)]
    catalog: Vec<CatalogEntry>,
    #[serde(default)]
    methods: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct IdName {
    id: String,
    name: String,
}

impl From<IdName> for NamedRef {
    fn from(v: IdName) -> Self {
        NamedRef {
            id: v.id,
            name: v.name,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct CatalogEntry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Clone, Debug, Deserialize)]
struct Endpoint {
    interface: String,
    region_id: Option<String>,
    url: String,
}

#[derive(Deserialize)]
struct ProjectsBody {
    projects: Vec<ProjectInfo>,
}

#[derive(Deserialize)]
struct ProjectInfo {
    id: String,
    name: String,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

const SERVICE: Service = Service::Keystone;

/// The header that carries a multi-factor receipt, both ways.
const RECEIPT_HEADER: &str = "openstack-auth-receipt";

impl Keystone {
    /// `auth_url` as clouds.yaml writes it, with or without the trailing `/v3`.
    pub fn new(http: reqwest::Client, auth_url: &str) -> Result<Self, OpenStackError> {
        let mut base = endpoint_url(&SERVICE, auth_url)?;
        let path = base.path().trim_end_matches('/').to_owned();
        if path.ends_with("/v3") {
            base.set_path(&path);
        } else {
            base.set_path(&format!("{path}/v3"));
        }
        Ok(Self {
            tokens: with_segments(&SERVICE, &base, ["auth", "tokens"])?,
            projects: with_segments(&SERVICE, &base, ["auth", "projects"])?,
            http,
            base,
        })
    }

    pub fn auth_url(&self) -> &Url {
        &self.base
    }

    /// Issues a token for `credentials`. Application credentials carry their own scope, so
    /// `scope` is ignored for them.
    pub async fn authenticate(
        &self,
        credentials: &Credentials,
        scope: &Scope,
    ) -> Result<Auth, OpenStackError> {
        let identity = match credentials {
            Credentials::Password {
                username,
                password,
                user_domain,
            } => json!({
                "methods": ["password"],
                "password": {"user": {
                    "name": username, "password": password, "domain": user_domain.json()
                }}
            }),
            Credentials::ApplicationCredential { id, secret } => json!({
                "methods": ["application_credential"],
                "application_credential": {"id": id, "secret": secret}
            }),
            Credentials::Totp { receipt, passcode } => json!({
                "methods": ["totp"],
                "totp": {"user": {"id": receipt.user_id, "passcode": passcode}}
            }),
        };
        let mut auth = json!({ "identity": identity });
        if !matches!(credentials, Credentials::ApplicationCredential { .. })
            && let Some(scope) = scope_json(scope)
        {
            auth["scope"] = scope;
        }
        let receipt = match credentials {
            Credentials::Totp { receipt, .. } => Some(receipt.id.as_str()),
            _ => None,
        };
        self.issue(json!({ "auth": auth }), receipt).await
    }

    /// A new token for `project_id` from a valid token of the same user.
    pub async fn rescope(&self, token: &Token, project_id: &str) -> Result<Auth, OpenStackError> {
        self.issue(
            json!({"auth": {
                "identity": {"methods": ["token"], "token": {"id": token.expose()}},
                "scope": {"project": {"id": project_id}}
            }}),
            None,
        )
        .await
    }

    /// `POST /auth/tokens`, with the receipt of the factors given before when there is one.
    async fn issue(
        &self,
        body: serde_json::Value,
        receipt: Option<&str>,
    ) -> Result<Auth, OpenStackError> {
        let mut request = self.http.post(self.tokens.clone()).json(&body);
        if let Some(receipt) = receipt {
            request = request.header(RECEIPT_HEADER, receipt);
        }
        let request = request.header(reqwest::header::ACCEPT, "application/json");
        let resp = send_any(&SERVICE, request).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(id) = resp
                .headers()
                .get(RECEIPT_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        {
            let body: ReceiptBody = read_json(&SERVICE, resp).await?;
            return Err(OpenStackError::MoreFactors(Box::new(body.into_receipt(id))));
        }
        if !resp.status().is_success() {
            return Err(OpenStackError::from_response(SERVICE, resp).await);
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(|v| Token::new(v.to_owned()))
            .ok_or_else(|| OpenStackError::Protocol {
                service: SERVICE,
                detail: "no X-Subject-Token header".into(),
            })?;
        let body: TokenBody = read_json(&SERVICE, resp).await?;
        let info = body.token;
        Ok(Auth {
            token,
            expires_at: info.expires_at,
            user: info.user.into(),
            project: info.project.map(Into::into),
            roles: info.roles.into_iter().map(|r| r.name).collect(),
            catalog: info.catalog,
            application_credential: info.methods.iter().any(|m| m == "application_credential"),
        })
    }

    /// Every enabled project the token's user has a role in, sorted by name.
    pub async fn projects(&self, token: &Token) -> Result<Vec<NamedRef>, OpenStackError> {
        Ok(self
            .projects_with_domains(token)
            .await?
            .into_iter()
            .map(|(project, _)| project)
            .collect())
    }

    /// [`projects`](Self::projects), each with its domain id.
    pub async fn projects_with_domains(
        &self,
        token: &Token,
    ) -> Result<Vec<(NamedRef, Option<String>)>, OpenStackError> {
        let resp = send(
            &SERVICE,
            self.http
                .get(self.projects.clone())
                .header("X-Auth-Token", token.expose()),
        )
        .await?;
        let body: ProjectsBody = read_json(&SERVICE, resp).await?;
        let mut projects: Vec<(NamedRef, Option<String>)> = body
            .projects
            .into_iter()
            .filter(|p| p.enabled)
            .map(|p| {
                (
                    NamedRef {
                        id: p.id,
                        name: p.name,
                    },
                    p.domain_id,
                )
            })
            .collect();
        projects.sort_by(|(a, _), (b, _)| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(projects)
    }

    /// Revokes a token (sign-out). A token that is already invalid counts as revoked.
    pub async fn revoke(&self, token: &Token) -> Result<(), OpenStackError> {
        let result = send(
            &SERVICE,
            self.http
                .delete(self.tokens.clone())
                .header("X-Auth-Token", token.expose())
                .header("X-Subject-Token", token.expose()),
        )
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.status(), Some(401 | 404)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether a token is still valid (not expired, not revoked).
    pub async fn validate(&self, token: &Token) -> Result<bool, OpenStackError> {
        let result = send(
            &SERVICE,
            self.http
                .get(self.tokens.clone())
                .header("X-Auth-Token", token.expose())
                .header("X-Subject-Token", token.expose()),
        )
        .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.status(), Some(401 | 404)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether Keystone answers at all (readiness).
    pub async fn ping(&self) -> Result<(), OpenStackError> {
        send(&SERVICE, self.http.get(self.base.clone()))
            .await
            .map(drop)
    }
}

fn scope_json(scope: &Scope) -> Option<serde_json::Value> {
    match scope {
        Scope::ProjectName { name, domain } => {
            Some(json!({"project": {"name": name, "domain": domain.json()}}))
        }
        Scope::ProjectId(id) => Some(json!({"project": {"id": id}})),
        Scope::Unscoped => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_url_gets_v3() {
        let http = reqwest::Client::new();
        for url in [
            "http://k:5000",
            "http://k:5000/",
            "http://k:5000/v3",
            "http://k:5000/v3/",
        ] {
            let k = Keystone::new(http.clone(), url).unwrap();
            assert_eq!(k.tokens.as_str(), "http://k:5000/v3/auth/tokens");
        }
        let k = Keystone::new(http.clone(), "https://cloud/identity").unwrap();
        assert_eq!(k.tokens.as_str(), "https://cloud/identity/v3/auth/tokens");
        assert_eq!(
            k.projects.as_str(),
            "https://cloud/identity/v3/auth/projects"
        );
        assert!(Keystone::new(http, "keystone:5000").is_err());
    }

    #[test]
    fn classifies_refusals() {
        let err = |status, message: &str| OpenStackError::Status {
            service: Service::Keystone,
            status,
            message: message.into(),
        };
        assert_eq!(
            SignInRefusal::of(&err(
                401,
                "The request you have made requires authentication."
            )),
            Some(SignInRefusal::WrongCredentials)
        );
        assert_eq!(
            SignInRefusal::of(&err(401, "The account is locked for user: 123.")),
            Some(SignInRefusal::AccountLocked)
        );
        assert_eq!(SignInRefusal::of(&err(500, "boom")), None);
    }
}
