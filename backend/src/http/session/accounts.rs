//! `/session/accounts`: more than one OpenStack account in one session, as the CLI's users
//! keep several `clouds.yaml` entries. On clouds that give each user a role in one project
//! only, sharing from project A and accepting in project B takes two accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::CurrentUser;
use super::sign_in::{Joining, attempt};
use super::user::{end, revoke_account, store};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::error::{Error, KeepSession, Result};
use crate::http::extract::{Json, Path};

/// `POST /session/accounts`: signs in another account (a fresh Keystone authentication, with
/// the sign-in's body) and adds it to the session; the active account stays the active one.
#[utoipa::path(
    post,
    path = "/session/accounts",
    tag = "session",
    request_body = json::SignIn,
    responses(
        (status = 200, description = "The session, with the account added.", body = json::Session),
        (status = 400, description = "`invalid_input`: a field is empty", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or wrong credentials; `mfa_required` (with `methods`): the account also wants a passcode (`POST /session/totp` completes the adding)", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: no role in any project, or in the one named", body = json::ErrorResponse),
        (status = 409, description = "`account_in_session`: that account is already in the session; `too_many_accounts` (with `limit`)", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 429, description = "`rate_limited`: too many attempts (`retry_after`, and the `Retry-After` header)", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
pub(super) async fn add_account(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    user: CurrentUser,
    Json(body): Json<json::SignIn>,
) -> Result<Response> {
    // Refused before asking Keystone anything; checked again once the account is known.
    let limit = app.config.accounts_per_session;
    if user.data.accounts.len() >= limit {
        return Err(Error::TooManyAccounts { limit });
    }
    match attempt(&app, client, &session, body, Joining::AddAccount).await {
        Ok(answer) => Ok(answer.into_response()),
        // A wrong password for the account being added says nothing of the accounts the
        // session has: they stay signed in.
        Err(e) => {
            let mut response = e.into_response();
            response.extensions_mut().insert(KeepSession);
            Ok(response)
        }
    }
}

/// `DELETE /session/accounts/{user_id}`: one account leaves the session, every token it held
/// revoked. The last one leaving is a sign-out.
#[utoipa::path(
    delete,
    path = "/session/accounts/{user_id}",
    tag = "session",
    params(("user_id" = String, Path, description = "The account's Keystone user id.")),
    responses(
        (status = 200, description = "The session without that account (the first remaining one active when it was the active one).", body = json::Session),
        (status = 204, description = "It was the session's last account: signed out."),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no account of the session has that user id", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
pub(super) async fn remove_account(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Path(user_id): Path<String>,
) -> Result<Response> {
    let index = user
        .data
        .position(&user_id)
        .ok_or_else(|| Error::NotFound("No account of this session has that user ID.".into()))?;
    if user.data.accounts.len() == 1 {
        end(&app, &session).await?;
        tracing::info!(user = %user.account().user.name, "signed out");
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let gone = user.data.remove(index);
    store(&session, &user.data).await?;
    revoke_account(&app, &gone).await;
    tracing::info!(user = %gone.user.name, "account signed out of a session");
    Ok(Json(user.data.to_json()).into_response())
}
