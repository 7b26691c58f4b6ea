//! The `CurrentUser` extractor that every authenticated handler takes: it loads the
//! server-side session, refuses it when its token has expired (or Keystone no longer accepts
//! it) or it sat idle too long, moves its idle deadline on, and checks the CSRF header on
//! unsafe methods.

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use json::NamedRef;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_sessions::Session;

use super::user::{KEY, ProjectToken, UserSession, end, store};
use crate::http::AppState;
use crate::http::error::{Error, KeepSession, Result};
use crate::openstack::Token;
use crate::openstack::glance::Glance;

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
        // A 401 ends the session (`end_session_on_401`), revoking what it holds.
        if data.expired() {
            return Err(Error::session_expired());
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut changed = data.touch(app.config.session_idle);
        if now - data.checked_at >= app.config.token_check_interval.as_secs() as i64 {
            if !app.keystone.validate(&data.token).await? {
                return Err(Error::session_expired());
            }
            data.checked_at = now;
            changed = true;
        }
        if changed {
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
        )?
        .remembering(app.memberships.clone()))
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
    /// others rescoped once and kept in the session while valid (sign-out revokes them). A
    /// project Keystone refuses comes back with the reason instead.
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

/// Ends the server-side session whenever a request ends in 401 (token expired or refused,
/// session idle too long), revoking every token it still holds, so that none lingers in the
/// store or in Keystone.
pub async fn end_session_on_401(
    State(app): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    // A session nobody signed in to yet is left alone: it may hold a sign-in waiting for
    // its passcode, which a 401 elsewhere (say, the UI asking whether it is signed in)
    // must not lose.
    if response.status() == StatusCode::UNAUTHORIZED
        && response.extensions().get::<KeepSession>().is_none()
        && matches!(session.get::<UserSession>(KEY).await, Ok(Some(_)) | Err(_))
        && let Err(e) = end(&app, &session).await
    {
        tracing::warn!(error = %e, "could not end a session");
    }
    response
}
