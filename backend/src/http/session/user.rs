//! What the server keeps for a signed-in user, and how it is written to the session store.

use std::collections::BTreeMap;
use std::time::Duration;

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
    /// Tokens scoped to the user's other projects, for the audit; kept while valid, revoked
    /// at sign-out like the session's own.
    #[serde(default)]
    pub(super) project_tokens: Vec<ProjectToken>,
    /// The token signed in with, once a project switch has replaced it: every later token was
    /// rescoped from it and carries its audit id as their chain's, so revoking it would revoke
    /// them all. Kept, unused, until sign-out revokes it with the rest.
    #[serde(default)]
    pub(super) root: Option<Token>,
    /// The session ends when unused until then (Unix seconds); each request moves it on.
    #[serde(default)]
    pub(super) idle_until: i64,
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

    /// The token has expired, or the session has been idle too long.
    pub(super) fn expired(&self) -> bool {
        self.ends_at() <= OffsetDateTime::now_utc()
    }

    /// When the session ends unless used again: when idle too long, and no later than its token.
    fn ends_at(&self) -> OffsetDateTime {
        let idle_until = OffsetDateTime::from_unix_timestamp(self.idle_until)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        self.expires_at()
            .map_or(OffsetDateTime::UNIX_EPOCH, |at| at.min(idle_until))
    }

    /// Moves the idle deadline on after a use; true when the session needs writing. Only once
    /// it has moved by a thirtieth of the idle time (a minute at most), not at every request,
    /// so that a busy session is not rewritten to the store all the time.
    pub(super) fn touch(&mut self, idle: Duration) -> bool {
        let next = OffsetDateTime::now_utc().unix_timestamp() + idle.as_secs() as i64;
        let step = (idle.as_secs() / 30).clamp(1, 60) as i64;
        if next - self.idle_until < step {
            return false;
        }
        self.idle_until = next;
        true
    }

    /// Every Keystone token the session holds.
    pub(super) fn tokens(&self) -> impl Iterator<Item = &Token> {
        std::iter::once(&self.token)
            .chain(self.project_tokens.iter().map(|t| &t.token))
            .chain(&self.root)
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
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Ok(UserSession {
        token: auth.token,
        expires_at: auth.expires_at,
        user: auth.user,
        project,
        projects,
        regions,
        csrf_token,
        application_credential: auth.application_credential,
        checked_at: now,
        project_tokens: Vec::new(),
        root: None,
        idle_until: now + app.config.session_idle.as_secs() as i64,
    })
}

pub(super) async fn store(session: &Session, data: &UserSession) -> Result<()> {
    session
        .insert(KEY, data)
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    // The store forgets the session when it ends: idle too long, or its token expired.
    session.set_expiry(Some(Expiry::AtDateTime(data.ends_at())));
    Ok(())
}

pub(super) async fn revoke_quietly(app: &AppState, token: &Token) {
    if let Err(e) = app.keystone.revoke(token).await {
        tracing::warn!(error = %e, "could not revoke a token; it will expire on its own");
    }
}

/// Revokes every token a session holds: its own, those cached for other projects, and the one
/// signed in with. Revoking that one would do for all the tokens rescoped from it, but each is
/// revoked by itself all the same, so that none is left to depend on Keystone's chains.
pub(super) async fn revoke_all(app: &AppState, data: &UserSession) {
    futures::future::join_all(data.tokens().map(|t| revoke_quietly(app, t))).await;
}

/// Ends a session: revokes every token it holds, then deletes it from the store.
pub(super) async fn end(app: &AppState, session: &Session) -> Result<()> {
    // A session that does not read back is deleted all the same.
    if let Ok(Some(data)) = session.get::<UserSession>(KEY).await {
        revoke_all(app, &data).await;
    }
    session.flush().await.map_err(|e| Error::Internal(e.into()))
}
