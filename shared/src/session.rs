//! Signing in and the session.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `POST /api/v1/session`: a Keystone v3 password or an application credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SignIn {
    Password(PasswordSignIn),
    ApplicationCredential(ApplicationCredentialSignIn),
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordSignIn {
    pub username: String,
    pub password: String,
    /// Domain name of the user; the server's configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_domain: Option<String>,
    /// Project name or id to scope to; the user's first project when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationCredentialSignIn {
    pub application_credential_id: String,
    pub application_credential_secret: String,
}

// Secrets never reach a log line, not even through `{:?}`.
impl fmt::Debug for PasswordSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordSignIn")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("user_domain", &self.user_domain)
            .field("project", &self.project)
            .finish()
    }
}

impl fmt::Debug for ApplicationCredentialSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationCredentialSignIn")
            .field("application_credential_id", &self.application_credential_id)
            .field("application_credential_secret", &"<redacted>")
            .finish()
    }
}

/// `POST /api/v1/session/totp`: the passcode that completes a sign-in answered with
/// `mfa_required`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Passcode {
    pub passcode: String,
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(<redacted>)")
    }
}

/// `GET /api/v1/config`: what the sign-in page needs before anyone signs in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicConfig {
    /// The domain users sign in to unless they name another (the operator's
    /// `user_domain_name`).
    pub default_domain: String,
    /// Whether the sign-in page offers a domain field (clouds with one domain need none).
    pub show_domain: bool,
    /// The regions offered, when the operator restricts them (empty: every region of the
    /// catalog), and the one shown first.
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// The languages of the web UI (BCP 47 codes).
    pub languages: Vec<String>,
}

/// The web UI's languages, as `PublicConfig::languages` lists them.
pub const LANGUAGES: [&str; 7] = ["en", "fr", "it", "pt", "pl", "es", "de"];

/// The signed-in session, as `GET/POST /api/v1/session`, `PUT /api/v1/session/project` and
/// `POST/DELETE /api/v1/session/accounts` return it. The Keystone tokens stay on the server.
///
/// A session holds one or more accounts (OpenStack users of the same Keystone), one of them
/// active: `user`, `project`, `projects`, `regions` and `expires_at` are the active account's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// The active account's user.
    pub user: NamedRef,
    /// The project the session is scoped to: every image call acts as this project.
    pub project: NamedRef,
    /// Every project the user has a role in, to switch between.
    pub projects: Vec<NamedRef>,
    /// Regions with an image service in the catalog.
    pub regions: Vec<String>,
    /// When the Keystone token, and so this session, expires (RFC 3339).
    pub expires_at: String,
    /// Send back as the `X-CSRF-Token` header on every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// Every account of the session, in the order added, the active one among them.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Accounts that left the session on their own (their token expired or was revoked)
    /// since the session was last answered: said once, for the user to be told.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ended_accounts: Vec<NamedRef>,
}

/// One account of a session: an OpenStack user, its projects, and the project it acts in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub user: NamedRef,
    pub projects: Vec<NamedRef>,
    pub active_project: NamedRef,
}

/// An id with its human name (users, projects).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

/// `PUT /api/v1/session/project`: the project to act in, and the account to act as (the
/// active one when absent). Switching to another account's project makes it the active one.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SwitchProject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub project_id: String,
}

/// The header that must carry `Session::csrf_token` on unsafe methods.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_debug_hides_secrets() {
        let s: SignIn = serde_json::from_str(r#"{"username":"u","password":"hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let s: SignIn = serde_json::from_str(
            r#"{"application_credential_id":"i","application_credential_secret":"s3cr3t"}"#,
        )
        .unwrap();
        assert!(matches!(s, SignIn::ApplicationCredential(_)));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}
