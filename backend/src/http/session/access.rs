//! Acting in any project of any account of the session, not only the active one's: a token
//! scoped to each project (the account's own for its current project, others rescoped once
//! and kept while valid), for the access audit, the inbox across every project, and a
//! decision on an offer made to another account's project.

use json::NamedRef;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_sessions::Session;

use super::current::{CurrentUser, glance_of};
use super::user::{Account, ProjectToken, store};
use crate::changes::Actor;
use crate::http::AppState;
use crate::http::error::{Error, Result};
use crate::openstack::Token;
use crate::openstack::glance::Glance;
use crate::openstack::keystone::Auth;

/// One project of the session, as the account that has it acts in it.
pub struct ProjectAccess {
    pub account: NamedRef,
    pub project: NamedRef,
    /// A token scoped to the project, or why Keystone gave none.
    pub token: Result<Token>,
    /// The account's place in the session (for its catalog).
    index: usize,
}

impl CurrentUser {
    /// A token for each project of each account (a project two accounts share, once, through
    /// the first). A project Keystone refuses comes back with the reason instead.
    pub async fn project_tokens(
        &mut self,
        app: &AppState,
        session: &Session,
    ) -> Result<Vec<ProjectAccess>> {
        let mut out = Vec::new();
        let mut fresh = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (index, account) in self.data.accounts.iter_mut().enumerate() {
            account.project_tokens.retain(|t| valid(&t.expires_at));
            for project in &account.projects {
                if !seen.insert(project.id.clone()) {
                    continue;
                }
                match token_in(account, &project.id) {
                    Some(token) => out.push(ProjectAccess {
                        account: account.user.clone(),
                        project: project.clone(),
                        token,
                        index,
                    }),
                    None => fresh.push((index, project.clone())),
                }
            }
        }
        let accounts = &self.data.accounts;
        let rescoped = futures::future::join_all(
            fresh
                .iter()
                .map(|(i, p)| app.keystone.rescope(&accounts[*i].token, &p.id)),
        )
        .await;
        for ((index, project), result) in fresh.into_iter().zip(rescoped) {
            let account = &mut self.data.accounts[index];
            let token = result
                .map_err(Error::from)
                .map(|auth| keep(account, &project.id, auth));
            out.push(ProjectAccess {
                account: account.user.clone(),
                project,
                token,
                index,
            });
        }
        store(session, &self.data).await?;
        Ok(out)
    }

    /// Glance of `region` as the account of `access` reaches it.
    pub fn glance_for(
        &self,
        access: &ProjectAccess,
        app: &AppState,
        region: Option<&str>,
    ) -> Result<Glance> {
        glance_of(&self.data.accounts[access.index], app, region)
    }

    /// Who a change is made as: the active account, in its project.
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.account().user.clone(),
            project: self.project().clone(),
            token: self.token().clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// Who acts in `project_id`: the active account when it is its project; otherwise the
    /// session's first account that has the project, with a token scoped to it (kept, or
    /// rescoped now), and that account's Glance of `region`. `None` when no account of the
    /// session has the project.
    pub async fn acting_in(
        &mut self,
        app: &AppState,
        session: &Session,
        project_id: &str,
        region: Option<&str>,
    ) -> Result<Option<(Actor, Glance)>> {
        if project_id == self.project().id {
            return Ok(Some((self.actor(), self.glance(app, region)?)));
        }
        let Some((index, project)) = self.data.accounts.iter().enumerate().find_map(|(i, a)| {
            a.projects
                .iter()
                .find(|p| p.id == project_id)
                .map(|p| (i, p.clone()))
        }) else {
            return Ok(None);
        };
        let account = &mut self.data.accounts[index];
        let token = match token_in(account, project_id) {
            Some(token) => token?,
            None => {
                let auth = app.keystone.rescope(&account.token, project_id).await?;
                let token = keep(account, project_id, auth);
                store(session, &self.data).await?;
                token
            }
        };
        let account = &self.data.accounts[index];
        let actor = Actor {
            user: account.user.clone(),
            project,
            token,
            request_id: self.request_id.clone(),
        };
        Ok(Some((actor, glance_of(account, app, region)?)))
    }
}

/// The token `account` already has for `project_id`: its own for its current project, or one
/// kept from an earlier rescope; a refusal for an application credential, bound to one project;
/// None when a rescope is needed.
fn token_in(account: &Account, project_id: &str) -> Option<Result<Token>> {
    if project_id == account.project.id {
        return Some(Ok(account.token.clone()));
    }
    if let Some(kept) = account
        .project_tokens
        .iter()
        .find(|t| t.project_id == project_id && valid(&t.expires_at))
    {
        return Some(Ok(kept.token.clone()));
    }
    account.application_credential.then(|| {
        Err(Error::Forbidden(
            "An application credential is bound to one project.".into(),
        ))
    })
}

/// Keeps a token rescoped to `project_id` with the account (revoked when it leaves).
fn keep(account: &mut Account, project_id: &str, auth: Auth) -> Token {
    account.project_tokens.push(ProjectToken {
        project_id: project_id.to_owned(),
        token: auth.token.clone(),
        expires_at: auth.expires_at,
    });
    auth.token
}

/// A kept token is used while it has 5 minutes left, so that it does not expire on the way.
fn valid(expires_at: &str) -> bool {
    OffsetDateTime::parse(expires_at, &Rfc3339)
        .is_ok_and(|at| at > OffsetDateTime::now_utc() + time::Duration::minutes(5))
}
