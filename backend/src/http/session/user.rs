//! What the server keeps for a signed-in user, and how it is written to the session store.

use std::collections::BTreeMap;

use json::NamedRef;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_sessions::{Expiry, Session};

use crate::http::AppState;
use crate::http::error::{Error, Result};
use crate::openstack::Token;
use crate::openstack::keystone::Auth;

pub(super) const KEY: &str = "glimpse.user";

/// What the server keeps for a signed-in user. Lives only in the session store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserSession {
    pub(super) token: Token,
    pub(super) expires_at: String,
    pub user: NamedRef,
    pub project: NamedRef,
    pub projects: Vec<NamedRef>,
    /// Glance endpoint by region, in the order regions are offered.
    pub(super) regions: Vec<(String, String)>,
    pub(super) csrf_token: String,
    pub(super) application_credential: bool,
    /// When Keystone last confirmed the token (Unix seconds).
    #[serde(default)]
    pub(super) checked_at: i64,
    /// Tokens scoped to the user's other projects, for the audit; kept while valid.
    #[serde(default)]
    pub(super) project_tokens: Vec<ProjectToken>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct ProjectToken {
    pub(super) project_id: String,
    pub(super) token: Token,
    pub(super) expires_at: String,
}

impl UserSession {
    pub(super) fn to_json(&self) -> json::Session {
        json::Session {
            user: self.user.clone(),
            project: self.project.clone(),
            projects: self.projects.clone(),
            regions: self.regions.iter().map(|(r, _)| r.clone()).collect(),
            expires_at: self.expires_at.clone(),
            csrf_token: self.csrf_token.clone(),
        }
    }

    pub(super) fn expires_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.expires_at, &Rfc3339).ok()
    }

    pub(super) fn expired(&self) -> bool {
        self.expires_at()
            .is_none_or(|at| at <= OffsetDateTime::now_utc())
    }
}

pub(super) fn new_csrf_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn user_session(
    app: &AppState,
    auth: Auth,
    projects: Vec<NamedRef>,
    csrf_token: String,
) -> Result<UserSession> {
    let project = auth
        .project
        .clone()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("Keystone issued an unscoped token")))?;
    let endpoints: BTreeMap<String, String> = auth.image_endpoints(&app.config.interface);
    let mut regions: Vec<(String, String)> = endpoints
        .into_iter()
        .filter(|(r, _)| app.config.regions.is_empty() || app.config.regions.contains(r))
        .collect();
    if let Some(default) = &app.config.default_region {
        regions.sort_by_key(|(r, _)| r != default);
    }
    Ok(UserSession {
        token: auth.token,
        expires_at: auth.expires_at,
        user: auth.user,
        project,
        projects,
        regions,
        csrf_token,
        application_credential: auth.application_credential,
        checked_at: OffsetDateTime::now_utc().unix_timestamp(),
        project_tokens: Vec::new(),
    })
}

pub(super) async fn store(session: &Session, data: &UserSession) -> Result<()> {
    session
        .insert(KEY, data)
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    // The session ends no later than its token.
    if let Some(at) = data.expires_at() {
        session.set_expiry(Some(Expiry::AtDateTime(at)));
    }
    Ok(())
}

pub(super) async fn revoke_quietly(app: &AppState, token: &Token) {
    if let Err(e) = app.keystone.revoke(token).await {
        tracing::warn!(error = %e, "could not revoke a token; it will expire on its own");
    }
}
