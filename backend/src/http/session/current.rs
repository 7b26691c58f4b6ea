//! The `CurrentUser` extractor that every authenticated handler takes: it loads the
//! server-side session, refuses it when it sat idle too long, lets each account whose token
//! has expired (or that Keystone no longer accepts) leave it on its own, moves its idle
//! deadline on, and checks the CSRF header on unsafe methods.

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use json::NamedRef;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::user::{Account, KEY, UserSession, end, revoke_account, store};
use crate::http::AppState;
use crate::http::error::{Error, KeepSession, Result};
use crate::openstack::Token;
use crate::openstack::glance::Glance;

/// The signed-in user of a request. Taking it in a handler makes the route authenticated and,
/// for POST/PUT/PATCH/DELETE, CSRF-checked. It acts as the session's active account.
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
        if data.idle() {
            return Err(Error::session_expired());
        }
        let mut changed = data.touch(app.config.session_idle);
        let before = data.account().user.clone();
        let (checked, gone) = check_accounts(&app, &mut data).await?;
        if data.accounts.is_empty() {
            return Err(Error::session_expired());
        }
        if checked || gone {
            changed = true;
        }
        if changed {
            store(&session, &data).await?;
        }
        // Nothing is done as another account than the one the user chose.
        if data.account().user != before {
            return Err(Error::account_ended(&before.name));
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

/// Re-checks with Keystone each account whose check is due (every `token_check_interval`), and
/// takes out of the session, revoking what they hold, the accounts whose token has expired or
/// is refused. Returns (some account was checked, some account left). Keystone not answering
/// is an error: nobody is taken out for that.
async fn check_accounts(app: &AppState, data: &mut UserSession) -> Result<(bool, bool)> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let interval = app.config.token_check_interval.as_secs() as i64;
    let due: Vec<usize> = (0..data.accounts.len())
        .filter(|&i| {
            let a = &data.accounts[i];
            a.expired() || now - a.checked_at >= interval
        })
        .collect();
    if due.is_empty() {
        return Ok((false, false));
    }
    let answers = futures::future::join_all(due.iter().map(|&i| {
        let account = &data.accounts[i];
        async move {
            if account.expired() {
                Ok(false)
            } else {
                app.keystone.validate(&account.token).await
            }
        }
    }))
    .await;
    let mut leaving = Vec::new();
    for (&i, answer) in due.iter().zip(answers) {
        if answer? {
            data.accounts[i].checked_at = now;
        } else {
            leaving.push(i);
        }
    }
    Ok((true, leave(app, data, leaving).await))
}

/// Takes the accounts at `indices` out of the session, revokes what they held, and keeps their
/// names for the user to be told. True when any left.
async fn leave(app: &AppState, data: &mut UserSession, mut indices: Vec<usize>) -> bool {
    indices.sort_unstable();
    let gone: Vec<Account> = indices.iter().rev().map(|&i| data.remove(i)).collect();
    futures::future::join_all(gone.iter().map(|a| revoke_account(app, a))).await;
    for account in &gone {
        tracing::info!(user = %account.user.name, "an account's sign-in ended; it left the session");
        data.ended.push(account.user.clone());
    }
    !gone.is_empty()
}

impl CurrentUser {
    /// The active account.
    pub fn account(&self) -> &Account {
        self.data.account()
    }

    pub fn token(&self) -> &Token {
        &self.account().token
    }

    pub fn project(&self) -> &NamedRef {
        &self.account().project
    }

    /// A project's name, when an account of the session is in it (the only projects a user
    /// may look up).
    pub fn project_name(&self, id: &str) -> Option<String> {
        self.data
            .accounts
            .iter()
            .flat_map(|a| a.projects.iter().chain(std::iter::once(&a.project)))
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
    }

    /// Every project id of every account: what the session may see of the activity log.
    pub fn visible_projects(&self) -> Vec<String> {
        self.data.project_ids()
    }

    /// Glance of `region` (the first offered region when `None`), for the active account.
    pub fn glance(&self, app: &AppState, region: Option<&str>) -> Result<Glance> {
        glance_of(self.account(), app, region)
    }

    /// Glance endpoints by region, in the order offered (the active account's).
    pub fn regions(&self) -> &[(String, String)] {
        &self.account().regions
    }
}

/// Glance of `region` (the first offered when `None`) as `account`'s catalog gives it.
pub(super) fn glance_of(account: &Account, app: &AppState, region: Option<&str>) -> Result<Glance> {
    let (name, endpoint) = match region {
        Some(wanted) => account
            .regions
            .iter()
            .find(|(r, _)| r == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = account.regions.iter().map(|(r, _)| r.as_str()).collect();
                Error::UnknownRegion(format!(
                    "Unknown region {wanted:?}: this cloud offers images in {}.",
                    if names.is_empty() {
                        "no region".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None => account.regions.first().ok_or_else(|| {
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ends the server-side session whenever a request ends in 401 (token expired or refused,
/// session idle too long), revoking every token it still holds, so that none lingers in the
/// store or in Keystone. A session of several accounts that is not idle loses only the
/// accounts Keystone no longer accepts (OpenStack refused a token between two checks); when
/// the active one was among them, the answer says so (`account_ended`).
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
    if response.status() != StatusCode::UNAUTHORIZED
        || response.extensions().get::<KeepSession>().is_some()
    {
        return response;
    }
    let data = match session.get::<UserSession>(KEY).await {
        Ok(None) => return response,
        Ok(Some(data)) => Some(data),
        Err(_) => None,
    };
    if let Some(mut data) = data.filter(|d| d.accounts.len() > 1 && !d.idle()) {
        let before = data.account().user.clone();
        let refused = refused_accounts(&app, &data).await;
        if refused.len() < data.accounts.len() {
            leave(&app, &mut data, refused).await;
            let kept = if data.account().user != before {
                Error::account_ended(&before.name).into_response()
            } else {
                response
            };
            if let Err(e) = store(&session, &data).await {
                tracing::warn!(error = %e, "could not store a session");
            }
            return kept;
        }
    }
    if let Err(e) = end(&app, &session).await {
        tracing::warn!(error = %e, "could not end a session");
    }
    response
}

/// The accounts whose token Keystone no longer accepts (one that cannot be asked counts as
/// accepted: nobody is taken out for Keystone's trouble).
async fn refused_accounts(app: &AppState, data: &UserSession) -> Vec<usize> {
    let answers = futures::future::join_all(data.accounts.iter().map(|a| async {
        a.expired() || matches!(app.keystone.validate(&a.token).await, Ok(false))
    }))
    .await;
    answers
        .into_iter()
        .enumerate()
        .filter_map(|(i, refused)| refused.then_some(i))
        .collect()
}
