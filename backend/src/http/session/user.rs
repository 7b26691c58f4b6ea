//! What the server keeps for a browser's session, and how it is written to the session store:
//! one or more accounts (OpenStack users of the same Keystone, each with its own tokens), one
//! of them active.

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

/// Named after what it holds since sessions hold several accounts: a session stored by an
/// earlier Glimpse, in the one-account shape, reads as no session (sign in again) rather than
/// as an unreadable one.
pub(super) const KEY: &str = "glimpse.accounts";

/// What the server keeps for a session. Lives only in the session store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserSession {
    /// In the order added; never empty once stored.
    pub(super) accounts: Vec<Account>,
    /// The active account, by its place in `accounts`.
    pub(super) active: usize,
    pub(super) csrf_token: String,
    /// The session ends when unused until then (Unix seconds); each request moves it on.
    pub(super) idle_until: i64,
    /// Accounts that left the session on their own since it was last shown, to tell the user.
    #[serde(default)]
    pub(super) ended: Vec<NamedRef>,
}

/// One OpenStack user signed in to the session, with every Keystone token it holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub(super) token: Token,
    pub(super) expires_at: String,
    pub user: NamedRef,
    /// The project `token` is scoped to: the account acts in it.
    pub project: NamedRef,
    pub projects: Vec<NamedRef>,
    /// Glance endpoint by region, in the order regions are offered.
    pub(super) regions: Vec<(String, String)>,
    pub(super) application_credential: bool,
    /// When Keystone last confirmed the token (Unix seconds).
    pub(super) checked_at: i64,
    /// Tokens scoped to the account's other projects (the audit's, the inbox's); kept while
    /// valid, revoked with the account.
    pub(super) project_tokens: Vec<ProjectToken>,
    /// The token signed in with, once a project switch has replaced it: every later token was
    /// rescoped from it and carries its audit id as their chain's, so revoking it would revoke
    /// them all. Kept, unused, until the account leaves and it is revoked with the rest.
    pub(super) root: Option<Token>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct ProjectToken {
    pub(super) project_id: String,
    pub(super) token: Token,
    pub(super) expires_at: String,
}

impl UserSession {
    pub(super) fn new(app: &AppState, account: Account) -> Self {
        Self {
            accounts: vec![account],
            active: 0,
            csrf_token: new_csrf_token(),
            idle_until: OffsetDateTime::now_utc().unix_timestamp()
                + app.config.session_idle.as_secs() as i64,
            ended: Vec::new(),
        }
    }

    /// The active account.
    pub fn account(&self) -> &Account {
        &self.accounts[self.active]
    }

    pub(super) fn position(&self, user_id: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.user.id == user_id)
    }

    /// Takes the account at `index` out of the session, the active one moving to the first
    /// remaining when it was that one. The caller revokes its tokens.
    pub(super) fn remove(&mut self, index: usize) -> Account {
        let gone = self.accounts.remove(index);
        if self.active == index {
            self.active = 0;
        } else if self.active > index {
            self.active -= 1;
        }
        gone
    }

    pub(super) fn to_json(&self) -> json::Session {
        let active = self.account();
        json::Session {
            user: active.user.clone(),
            project: active.project.clone(),
            projects: active.projects.clone(),
            regions: active.regions.iter().map(|(r, _)| r.clone()).collect(),
            expires_at: active.expires_at.clone(),
            csrf_token: self.csrf_token.clone(),
            accounts: self
                .accounts
                .iter()
                .map(|a| json::Account {
                    user: a.user.clone(),
                    projects: a.projects.clone(),
                    active_project: a.project.clone(),
                })
                .collect(),
            ended_accounts: self.ended.clone(),
        }
    }

    /// Sat idle too long: the whole session ends, whatever its tokens.
    pub(super) fn idle(&self) -> bool {
        OffsetDateTime::from_unix_timestamp(self.idle_until)
            .map_or(true, |at| at <= OffsetDateTime::now_utc())
    }

    /// When the session ends unless used again: when idle too long, and no later than the
    /// last of its accounts' tokens.
    fn ends_at(&self) -> OffsetDateTime {
        let idle_until = OffsetDateTime::from_unix_timestamp(self.idle_until)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        self.accounts
            .iter()
            .filter_map(Account::expires_at)
            .max()
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

    /// Every project of every account (a project two accounts share, once), for what the
    /// session may see.
    pub fn project_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .accounts
            .iter()
            .flat_map(|a| a.projects.iter().map(|p| p.id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl Account {
    pub(super) fn expires_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.expires_at, &Rfc3339).ok()
    }

    /// Its token has expired.
    pub(super) fn expired(&self) -> bool {
        self.expires_at()
            .is_none_or(|at| at <= OffsetDateTime::now_utc())
    }

    /// Every Keystone token the account holds.
    pub(super) fn tokens(&self) -> impl Iterator<Item = &Token> {
        std::iter::once(&self.token)
            .chain(self.project_tokens.iter().map(|t| &t.token))
            .chain(&self.root)
    }
}

fn new_csrf_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The account a fresh Keystone authentication gives, scoped to its project.
pub(super) fn account(app: &AppState, auth: Auth, projects: Vec<NamedRef>) -> Result<Account> {
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
    Ok(Account {
        token: auth.token,
        expires_at: auth.expires_at,
        user: auth.user,
        project,
        projects,
        regions,
        application_credential: auth.application_credential,
        checked_at: OffsetDateTime::now_utc().unix_timestamp(),
        project_tokens: Vec::new(),
        root: None,
    })
}

pub(super) async fn store(session: &Session, data: &UserSession) -> Result<()> {
    session.insert(KEY, data).await?;
    // The store forgets the session when it ends: idle too long, or its last token expired.
    session.set_expiry(Some(Expiry::AtDateTime(data.ends_at())));
    Ok(())
}

pub(super) async fn revoke_quietly(app: &AppState, token: &Token) {
    if let Err(e) = app.keystone.revoke(token).await {
        tracing::warn!(error = %e, "could not revoke a token; it will expire on its own");
    }
}

/// Revokes every token an account holds: its own, those cached for other projects, and the
/// one signed in with. Revoking that one would do for all the tokens rescoped from it, but
/// each is revoked by itself all the same, so that none is left to depend on Keystone's chains.
pub(super) async fn revoke_account(app: &AppState, account: &Account) {
    futures::future::join_all(account.tokens().map(|t| revoke_quietly(app, t))).await;
}

/// Revokes every token of every account of a session.
pub(super) async fn revoke_all(app: &AppState, data: &UserSession) {
    futures::future::join_all(data.accounts.iter().map(|a| revoke_account(app, a))).await;
}

/// Ends a session: revokes every token it holds, then deletes it from the store.
pub(super) async fn end(app: &AppState, session: &Session) -> Result<()> {
    // A session that does not read back is deleted all the same.
    if let Ok(Some(data)) = session.get::<UserSession>(KEY).await {
        revoke_all(app, &data).await;
    }
    Ok(session.flush().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(id: &str) -> NamedRef {
        NamedRef {
            id: id.into(),
            name: id.into(),
        }
    }

    fn account(user: &str, expires_at: &str) -> Account {
        Account {
            token: Token::new(format!("{user}-token")),
            expires_at: expires_at.into(),
            user: named(user),
            project: named(&format!("{user}-project")),
            projects: vec![named(&format!("{user}-project")), named("shared")],
            regions: Vec::new(),
            application_credential: false,
            checked_at: 0,
            project_tokens: Vec::new(),
            root: None,
        }
    }

    fn session(users: &[&str], active: usize) -> UserSession {
        UserSession {
            accounts: users
                .iter()
                .map(|u| account(u, "2999-01-01T00:00:00Z"))
                .collect(),
            active,
            csrf_token: String::new(),
            idle_until: OffsetDateTime::now_utc().unix_timestamp() + 3600,
            ended: Vec::new(),
        }
    }

    #[test]
    fn the_active_account_stays_itself_when_another_leaves() {
        let mut s = session(&["alice", "bob", "carol"], 2);
        s.remove(0);
        assert_eq!(s.account().user.id, "carol");
        s.remove(0);
        assert_eq!(s.account().user.id, "carol");
    }

    #[test]
    fn the_first_remaining_account_is_active_when_the_active_one_leaves() {
        let mut s = session(&["alice", "bob", "carol"], 1);
        assert_eq!(s.remove(1).user.id, "bob");
        assert_eq!(s.account().user.id, "alice");
        assert_eq!(s.position("carol"), Some(1));
    }

    #[test]
    fn the_answer_lists_every_account_and_the_active_ones_project() {
        let mut s = session(&["alice", "bob"], 1);
        s.ended.push(named("dave"));
        let answer = s.to_json();
        assert_eq!(answer.user.id, "bob");
        assert_eq!(answer.project.id, "bob-project");
        let users: Vec<&str> = answer.accounts.iter().map(|a| a.user.id.as_str()).collect();
        assert_eq!(users, ["alice", "bob"]);
        assert_eq!(answer.accounts[0].active_project.id, "alice-project");
        assert_eq!(answer.ended_accounts, [named("dave")]);
        // A project two accounts share is seen once.
        assert_eq!(s.project_ids(), ["alice-project", "bob-project", "shared"]);
    }

    #[test]
    fn the_session_lasts_as_long_as_its_last_token() {
        let mut s = session(&["alice", "bob"], 0);
        s.accounts[0].expires_at = "2001-01-01T00:00:00Z".into();
        assert!(s.accounts[0].expired());
        assert!(!s.accounts[1].expired());
        // The idle deadline comes first here.
        assert_eq!(s.ends_at().unix_timestamp(), s.idle_until);
        s.accounts[1].expires_at = "2001-02-01T00:00:00Z".into();
        assert_eq!(s.ends_at().month(), time::Month::February);
        // Never later than idle.
        s.idle_until = 0;
        assert!(s.idle());
        assert_eq!(s.ends_at(), OffsetDateTime::UNIX_EPOCH);
    }
}
