//! `POST /session`: sign-in with a password or an application credential (and, when the
//! account's rules want a second factor, the start of a multi-factor sign-in that
//! `second_factor` completes).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::second_factor;
use super::user::{
    Account, KEY, UserSession, account, revoke_account, revoke_all, revoke_quietly, store,
};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::error::{Error, Result};
use crate::http::extract::Json;
use crate::openstack::OpenStackError;
use crate::openstack::keystone::{Credentials, Domain, Scope, SignInRefusal};

#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    request_body = json::SignIn,
    responses(
        (status = 200, description = "Signed in: the session (its cookie set).", body = json::Session),
        (status = 400, description = "`invalid_input`: a field is empty", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: wrong credentials; `mfa_required` (with `methods`): the password is right and the account also wants a passcode (`POST /session/totp`)", body = json::ErrorResponse),
        (status = 403, description = "`forbidden`: no role in any project, or in the one named", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 429, description = "`rate_limited`: too many attempts (`retry_after`, and the `Retry-After` header)", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(()),
)]
pub(super) async fn sign_in(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    Json(body): Json<json::SignIn>,
) -> Result<Json<json::Session>> {
    attempt(&app, client, &session, body, Joining::NewSession).await
}

/// A sign-in attempt, throttled and counted, for a new session or an account joining one.
pub(super) async fn attempt(
    app: &AppState,
    client: std::net::IpAddr,
    session: &Session,
    body: json::SignIn,
    joining: Joining,
) -> Result<Json<json::Session>> {
    let (credentials, scope) = credentials(app, body)?;
    let throttle_key = throttle_key(&credentials);
    let result = match app.sign_in_throttle.attempt(client, &throttle_key) {
        Err(e) => Err(e),
        Ok(()) => match complete(app, session, &credentials, &scope, joining).await {
            Ok(data) => Ok(Json(data)),
            Err(Failure::Keystone(OpenStackError::MoreFactors(receipt))) => {
                Err(second_factor::wait_for(session, *receipt, scope, throttle_key, joining).await)
            }
            Err(Failure::Keystone(e)) => Err(sign_in_error(e, &scope)),
            Err(Failure::Other(e)) => Err(e),
        },
    };
    counted(result)
}

/// What a completed sign-in does with its account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Joining {
    /// Starts a new session with it, ending the one this browser had.
    #[default]
    NewSession,
    /// Adds it to the session this browser has.
    AddAccount,
}

/// Counts a refused sign-in (by its error code) for the metrics; a password that wants a
/// second factor is no refusal.
pub(super) fn counted<T>(result: Result<T>) -> Result<T> {
    if let Err(e) = &result
        && !matches!(e, Error::MfaRequired { .. })
    {
        crate::metrics::sign_in_refused(e.code().as_str());
    }
    result
}

/// Why a sign-in did not complete.
pub(super) enum Failure {
    /// Keystone refused to issue a token: the caller words why.
    Keystone(OpenStackError),
    /// Anything else, already worded.
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Other(e)
    }
}

/// Signs in with `credentials` (a password, an application credential, or a passcode with
/// its receipt), then starts a session with the account or adds it to this one.
pub(super) async fn complete(
    app: &AppState,
    session: &Session,
    credentials: &Credentials,
    scope: &Scope,
    joining: Joining,
) -> Result<json::Session, Failure> {
    let account = authenticate(app, credentials, scope).await?;
    let data = match joining {
        Joining::NewSession => {
            // Signing in again in the same browser: the session signed in before ends here.
            if let Ok(Some(previous)) = session.get::<UserSession>(KEY).await {
                revoke_all(app, &previous).await;
            }
            tracing::info!(user = %account.user.name, project = %account.project.name, "signed in");
            UserSession::new(app, account)
        }
        Joining::AddAccount => join(app, session, account).await?,
    };
    // A new session id at sign-in: an id planted before sign-in is worth nothing after it.
    session.cycle_id().await.map_err(Error::from)?;
    second_factor::forget(session).await?;
    store(session, &data).await?;
    Ok(data.to_json())
}

/// The session with `account` added, the active account staying the active one. An account
/// already there, or one too many, is refused and its new token revoked.
async fn join(app: &AppState, session: &Session, account: Account) -> Result<UserSession> {
    let refuse = async |e: Error| {
        revoke_account(app, &account).await;
        Err(e)
    };
    let Ok(Some(mut data)) = session.get::<UserSession>(KEY).await else {
        return refuse(Error::session_expired()).await;
    };
    if data.position(&account.user.id).is_some() {
        return refuse(Error::AccountInSession(format!(
            "{} is already signed in to this session.",
            account.user.name
        )))
        .await;
    }
    let limit = app.config.accounts_per_session;
    if data.accounts.len() >= limit {
        return refuse(Error::TooManyAccounts { limit }).await;
    }
    tracing::info!(user = %account.user.name, project = %account.project.name, "account added to a session");
    data.accounts.push(account);
    Ok(data)
}

/// A fresh Keystone authentication, scoped to the project asked for or to the user's first.
async fn authenticate(
    app: &AppState,
    credentials: &Credentials,
    scope: &Scope,
) -> Result<Account, Failure> {
    let first = app
        .keystone
        .authenticate(credentials, scope)
        .await
        .map_err(Failure::Keystone)?;

    let (auth, projects) = if first.application_credential {
        let project = first.project.clone().ok_or_else(|| {
            Error::Forbidden("This application credential is not bound to a project.".into())
        })?;
        app.directory.learn(&[(project.clone(), None)]).await;
        (first, vec![project])
    } else {
        let projects = app
            .keystone
            .projects_with_domains(&first.token)
            .await
            .map_err(Error::from)?;
        app.directory.learn(&projects).await;
        let projects: Vec<_> = projects.into_iter().map(|(p, _)| p).collect();
        if first.project.is_some() {
            (first, projects)
        } else {
            // No project asked for: scope to the user's first project.
            let Some(project) = projects.first() else {
                revoke_quietly(app, &first.token).await;
                return Err(Error::Forbidden(
                    "You have no role in any project: ask an administrator to add you to one."
                        .into(),
                )
                .into());
            };
            // A fresh sign-in with the same credentials rather than a rescope: a rescoped
            // token carries the audit id of the chain's first token, and revoking that first
            // token revokes the whole chain; the unscoped token should not outlive sign-in.
            let scope = Scope::ProjectId(project.id.clone());
            let scoped = app.keystone.authenticate(credentials, &scope).await;
            revoke_quietly(app, &first.token).await;
            (scoped.map_err(Failure::Keystone)?, projects)
        }
    };
    Ok(account(app, auth, projects)?)
}

/// Who a sign-in attempt is for, as the throttle counts it.
fn throttle_key(credentials: &Credentials) -> String {
    match credentials {
        Credentials::Password {
            username,
            user_domain,
            ..
        } => format!("{user_domain}\n{username}"),
        Credentials::ApplicationCredential { id, .. } => format!("application credential\n{id}"),
        Credentials::Totp { receipt, .. } => format!("user id\n{}", receipt.user_id),
    }
}

fn credentials(app: &AppState, body: json::SignIn) -> Result<(Credentials, Scope)> {
    match body {
        json::SignIn::Password(p) => {
            if p.username.trim().is_empty() {
                return Err(Error::invalid("username", "Enter your username."));
            }
            if p.password.is_empty() {
                return Err(Error::invalid("password", "Enter your password."));
            }
            let config = &app.config;
            let domain = match p.user_domain.filter(|d| !d.trim().is_empty()) {
                Some(name) => Domain::Name(name.trim().to_owned()),
                None => config.user_domain(),
            };
            let scope = match p
                .project
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
            {
                None => Scope::Unscoped,
                Some(id) if json::is_project_id(&id) => Scope::ProjectId(id),
                Some(name) => Scope::ProjectName {
                    name,
                    domain: config.project_domain(),
                },
            };
            Ok((
                Credentials::Password {
                    username: p.username.trim().to_owned(),
                    password: p.password,
                    user_domain: domain,
                },
                scope,
            ))
        }
        json::SignIn::ApplicationCredential(a) => {
            if a.application_credential_id.trim().is_empty() {
                return Err(Error::invalid(
                    "application_credential_id",
                    "Enter the application credential ID.",
                ));
            }
            if a.application_credential_secret.is_empty() {
                return Err(Error::invalid(
                    "application_credential_secret",
                    "Enter the application credential secret.",
                ));
            }
            Ok((
                Credentials::ApplicationCredential {
                    id: a.application_credential_id.trim().to_owned(),
                    secret: a.application_credential_secret,
                },
                Scope::Unscoped,
            ))
        }
    }
}

pub(super) fn sign_in_error(err: OpenStackError, scope: &Scope) -> Error {
    let project = match scope {
        Scope::ProjectName { name, .. } => Some(name.as_str()),
        Scope::ProjectId(id) => Some(id.as_str()),
        Scope::Unscoped => None,
    };
    match SignInRefusal::of(&err) {
        Some(SignInRefusal::AccountLocked) => Error::Unauthenticated(
            "This account is locked after too many failed sign-ins. Wait, or ask an administrator to unlock it."
                .into(),
        ),
        Some(SignInRefusal::PasswordExpired) => Error::Unauthenticated(
            "Your password has expired: change it with your cloud's usual tools, then sign in again."
                .into(),
        ),
        Some(SignInRefusal::NoAccessToProject) | Some(SignInRefusal::WrongCredentials)
            if project.is_some() =>
        {
            Error::Unauthenticated(format!(
                "Wrong username, password or domain, or you have no role in project {:?}.",
                project.unwrap_or_default()
            ))
        }
        Some(_) => Error::Unauthenticated("Wrong username, password or domain.".into()),
        None => err.into(),
    }
}
