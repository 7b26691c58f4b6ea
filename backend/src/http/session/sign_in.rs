//! `POST /session`: sign-in with a password or an application credential.

use axum::extract::State;
use tower_sessions::Session;

use super::user::{
    KEY, UserSession, new_csrf_token, revoke_all, revoke_quietly, store, user_session,
};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::error::{Error, Result};
use crate::http::extract::Json;
use crate::openstack::OpenStackError;
use crate::openstack::keystone::{Credentials, Scope, SignInRefusal};

pub(super) async fn sign_in(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    Json(body): Json<json::SignIn>,
) -> Result<Json<json::Session>> {
    let (credentials, scope) = credentials(&app, body)?;
    app.sign_in_throttle
        .attempt(client, &throttle_key(&credentials))?;
    let first = app
        .keystone
        .authenticate(&credentials, &scope)
        .await
        .map_err(|e| sign_in_error(e, &scope))?;

    let (auth, projects) = if first.application_credential {
        let project = first.project.clone().ok_or_else(|| {
            Error::Forbidden("This application credential is not bound to a project.".into())
        })?;
        app.directory.learn(&[(project.clone(), None)]).await;
        (first, vec![project])
    } else {
        let projects = app.keystone.projects_with_domains(&first.token).await?;
        app.directory.learn(&projects).await;
        let projects: Vec<_> = projects.into_iter().map(|(p, _)| p).collect();
        if first.project.is_some() {
            (first, projects)
        } else {
            // No project asked for: scope to the user's first project.
            let Some(project) = projects.first() else {
                return Err(Error::Forbidden(
                    "You have no role in any project: ask an administrator to add you to one."
                        .into(),
                ));
            };
            // A fresh password sign-in rather than a rescope: a rescoped token carries the
            // audit id of the chain's first token, and revoking that first token revokes the
            // whole chain; the unscoped token should not outlive sign-in.
            let scope = Scope::ProjectId(project.id.clone());
            let scoped = app
                .keystone
                .authenticate(&credentials, &scope)
                .await
                .map_err(|e| sign_in_error(e, &scope))?;
            revoke_quietly(&app, &first.token).await;
            (scoped, projects)
        }
    };

    let data = user_session(&app, auth, projects, new_csrf_token())?;
    // Signing in again in the same browser: the session signed in before ends here.
    if let Ok(Some(previous)) = session.get::<UserSession>(KEY).await {
        revoke_all(&app, &previous).await;
    }
    // A new session id at sign-in: an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    store(&session, &data).await?;
    tracing::info!(user = %data.user.name, project = %data.project.name, "signed in");
    Ok(Json(data.to_json()))
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
            let domain = p
                .user_domain
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| app.config.user_domain_name.clone());
            let scope = match p
                .project
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
            {
                None => Scope::Unscoped,
                Some(id) if json::is_project_id(&id) => Scope::ProjectId(id),
                Some(name) => Scope::ProjectName {
                    name,
                    domain: app.config.project_domain_name.clone(),
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

fn sign_in_error(err: OpenStackError, scope: &Scope) -> Error {
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
