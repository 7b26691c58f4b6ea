//! Sign-in, sign-out and project switching, and the `CurrentUser` extractor that every
//! authenticated handler takes: it loads the server-side session, ends it when the token has
//! expired, and checks the CSRF header on unsafe methods.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, put};
use json::NamedRef;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_sessions::{Expiry, Session};

use super::AppState;
use super::error::{Error, Result};
use super::extract::Json;
use crate::openstack::glance::Glance;
use crate::openstack::keystone::{Auth, Credentials, Scope, SignInRefusal};
use crate::openstack::{OpenStackError, Token};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", get(show).post(sign_in).delete(sign_out))
        .route("/session/project", put(switch_project))
}

const KEY: &str = "glimpse.user";

/// What the server keeps for a signed-in user. Lives only in the session store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserSession {
    token: Token,
    expires_at: String,
    pub user: NamedRef,
    pub project: NamedRef,
    pub projects: Vec<NamedRef>,
    /// Glance endpoint by region, in the order regions are offered.
    regions: Vec<(String, String)>,
    csrf_token: String,
    application_credential: bool,
    /// When Keystone last confirmed the token (Unix seconds).
    #[serde(default)]
    checked_at: i64,
    /// Tokens scoped to the user's other projects, for the audit; kept while valid.
    #[serde(default)]
    project_tokens: Vec<ProjectToken>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProjectToken {
    project_id: String,
    token: Token,
    expires_at: String,
}

impl UserSession {
    fn to_json(&self) -> json::Session {
        json::Session {
            user: self.user.clone(),
            project: self.project.clone(),
            projects: self.projects.clone(),
            regions: self.regions.iter().map(|(r, _)| r.clone()).collect(),
            expires_at: self.expires_at.clone(),
            csrf_token: self.csrf_token.clone(),
        }
    }

    fn expires_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.expires_at, &Rfc3339).ok()
    }

    fn expired(&self) -> bool {
        self.expires_at()
            .is_none_or(|at| at <= OffsetDateTime::now_utc())
    }
}

/// The signed-in user of a request. Taking it in a handler makes the route authenticated and,
/// for POST/PUT/PATCH/DELETE, CSRF-checked.
pub struct CurrentUser {
    pub data: UserSession,
    /// The request's id (`X-Request-Id`), for the activity log.
    pub request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let app = AppState::from_ref(state);
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| Error::Internal(anyhow::anyhow!("session layer missing: {msg}")))?;
        let mut data: UserSession = session
            .get(KEY)
            .await?
            .ok_or_else(|| Error::Unauthenticated("You are not signed in.".into()))?;
        if data.expired() {
            session.flush().await?;
            return Err(Error::session_expired());
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if now - data.checked_at >= app.config.token_check_interval.as_secs() as i64 {
            if !app.keystone.validate(&data.token).await? {
                session.flush().await?;
                return Err(Error::session_expired());
            }
            data.checked_at = now;
            store(&session, &data).await?;
        }
        if !matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        ) {
            let sent = parts
                .headers
                .get(json::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), data.csrf_token.as_bytes()) {
                return Err(Error::Csrf);
            }
        }
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Self { data, request_id })
    }
}

impl CurrentUser {
    pub fn token(&self) -> &Token {
        &self.data.token
    }

    pub fn project(&self) -> &NamedRef {
        &self.data.project
    }

    /// A project's name, when the user is in it (the only projects a user may look up).
    pub fn project_name(&self, id: &str) -> Option<String> {
        self.data
            .projects
            .iter()
            .chain(std::iter::once(&self.data.project))
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
    }

    /// Glance of `region` (the first offered region when `None`), for this user.
    pub fn glance(&self, app: &AppState, region: Option<&str>) -> Result<Glance> {
        let (name, endpoint) = match region {
            Some(wanted) => self
                .data
                .regions
                .iter()
                .find(|(r, _)| r == wanted)
                .ok_or_else(|| {
                    Error::UnknownRegion(format!(
                        "Unknown region {wanted:?}: this cloud offers images in {}.",
                        self.region_list()
                    ))
                })?,
            None => self.data.regions.first().ok_or_else(|| {
                Error::UnknownRegion("This cloud has no image service in any region.".into())
            })?,
        };
        Ok(Glance::new(
            app.http.clone(),
            endpoint,
            name,
            app.config.glance_page_size,
        )?)
    }

    fn region_list(&self) -> String {
        let names: Vec<&str> = self.data.regions.iter().map(|(r, _)| r.as_str()).collect();
        if names.is_empty() {
            "no region".into()
        } else {
            names.join(", ")
        }
    }
}

impl CurrentUser {
    /// A token for each of the user's projects: the session's own for the current project,
    /// others rescoped once and kept in the session while valid. A project Keystone refuses
    /// comes back with the reason instead.
    pub async fn project_tokens(
        &mut self,
        app: &AppState,
        session: &Session,
    ) -> Result<Vec<(NamedRef, Result<Token>)>> {
        let now = OffsetDateTime::now_utc();
        let valid = |expires_at: &str| {
            OffsetDateTime::parse(expires_at, &Rfc3339)
                .is_ok_and(|at| at > now + time::Duration::minutes(5))
        };
        self.data.project_tokens.retain(|t| valid(&t.expires_at));
        let mut out = Vec::new();
        let mut fresh = Vec::new();
        for project in &self.data.projects {
            if project.id == self.data.project.id {
                out.push((project.clone(), Ok(self.data.token.clone())));
            } else if let Some(cached) = self
                .data
                .project_tokens
                .iter()
                .find(|t| t.project_id == project.id)
            {
                out.push((project.clone(), Ok(cached.token.clone())));
            } else if self.data.application_credential {
                out.push((
                    project.clone(),
                    Err(Error::Forbidden(
                        "An application credential is bound to one project.".into(),
                    )),
                ));
            } else {
                fresh.push(project.clone());
            }
        }
        let rescoped = futures::future::join_all(
            fresh
                .iter()
                .map(|p| app.keystone.rescope(&self.data.token, &p.id)),
        )
        .await;
        for (project, result) in fresh.into_iter().zip(rescoped) {
            match result {
                Ok(auth) => {
                    self.data.project_tokens.push(ProjectToken {
                        project_id: project.id.clone(),
                        token: auth.token.clone(),
                        expires_at: auth.expires_at,
                    });
                    out.push((project, Ok(auth.token)));
                }
                Err(e) => out.push((project, Err(e.into()))),
            }
        }
        store(session, &self.data).await?;
        Ok(out)
    }

    /// Glance endpoints by region, in the order offered.
    pub fn regions(&self) -> &[(String, String)] {
        &self.data.regions
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn new_csrf_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /session`: the session (its token re-checked with Keystone when due).
async fn show(user: CurrentUser) -> Json<json::Session> {
    Json(user.data.to_json())
}

async fn sign_in(
    State(app): State<AppState>,
    session: Session,
    Json(body): Json<json::SignIn>,
) -> Result<Json<json::Session>> {
    let (credentials, scope) = credentials(&app, body)?;
    let first = app
        .keystone
        .authenticate(&credentials, &scope)
        .await
        .map_err(|e| sign_in_error(e, &scope))?;

    let (auth, projects) = if first.application_credential {
        let project = first.project.clone().ok_or_else(|| {
            Error::Forbidden("This application credential is not bound to a project.".into())
        })?;
        (first, vec![project])
    } else {
        let projects = app.keystone.projects(&first.token).await?;
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
            // A fresh password sign-in rather than a rescope: revoking a token also revokes
            // the tokens rescoped from it, and the unscoped one should not outlive sign-in.
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
    // A new session id at sign-in: an id planted before sign-in is worth nothing after it.
    session.cycle_id().await?;
    store(&session, &data).await?;
    tracing::info!(user = %data.user.name, project = %data.project.name, "signed in");
    Ok(Json(data.to_json()))
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

async fn sign_out(
    State(app): State<AppState>,
    session: Session,
    user: CurrentUser,
) -> Result<StatusCode> {
    revoke_quietly(&app, user.token()).await;
    session.flush().await?;
    tracing::info!(user = %user.data.user.name, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

async fn switch_project(
    State(app): State<AppState>,
    session: Session,
    user: CurrentUser,
    Json(body): Json<json::SwitchProject>,
) -> Result<Json<json::Session>> {
    let id = body.project_id.trim();
    if !json::is_project_id(id) {
        return Err(Error::invalid(
            "project_id",
            "A project ID is 32 hexadecimal characters (or a UUID).",
        ));
    }
    if user.data.application_credential {
        return Err(Error::Forbidden(
            "An application credential is bound to its own project: sign in with a password to switch projects."
                .into(),
        ));
    }
    if !user.data.projects.iter().any(|p| p.id == id) {
        return Err(Error::Forbidden(
            "You have no role in that project, so you cannot switch to it.".into(),
        ));
    }
    let auth = app
        .keystone
        .rescope(user.token(), id)
        .await
        .map_err(|e| match e.status() {
            Some(401 | 403) => {
                Error::Forbidden("Keystone refused to scope your session to that project.".into())
            }
            _ => e.into(),
        })?;
    // The previous token is not revoked: Keystone would revoke the new one with it (same
    // audit chain). It never left the server and expires on its own; sign-out revokes the chain.
    let projects = app.keystone.projects(&auth.token).await?;
    let data = user_session(&app, auth, projects, user.data.csrf_token.clone())?;
    store(&session, &data).await?;
    tracing::info!(user = %data.user.name, project = %data.project.name, "switched project");
    Ok(Json(data.to_json()))
}

fn user_session(
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

async fn store(session: &Session, data: &UserSession) -> Result<()> {
    session.insert(KEY, data).await?;
    // The session ends no later than its token.
    if let Some(at) = data.expires_at() {
        session.set_expiry(Some(Expiry::AtDateTime(at)));
    }
    Ok(())
}

async fn revoke_quietly(app: &AppState, token: &Token) {
    if let Err(e) = app.keystone.revoke(token).await {
        tracing::warn!(error = %e, "could not revoke a token; it will expire on its own");
    }
}

/// Ends the server-side session whenever a request ends in 401, so that a revoked or expired
/// token never lingers in the store.
pub async fn end_session_on_401(session: Session, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED
        && let Err(e) = session.flush().await
    {
        tracing::warn!(error = %e, "could not end a session");
    }
    response
}
