//! The session: sign-in (`sign_in`, `second_factor`), the accounts it holds (`accounts`),
//! sign-out and project switching (here), what the server keeps for it (`user`), the
//! `CurrentUser` extractor that every authenticated handler takes (`current`), and tokens for
//! every project of every account (`access`).

mod access;
mod accounts;
mod cookie;
mod current;
mod second_factor;
mod sign_in;
mod user;

pub use cookie::{cookie_name, layer};
pub use current::{CurrentUser, end_session_on_401};

use axum::extract::State;
use axum::http::StatusCode;
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{Error, Result};
use super::extract::Json;
use user::{Account, end, revoke_quietly, store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, sign_in::sign_in, sign_out))
        .routes(routes!(second_factor::passcode))
        .routes(routes!(switch_project))
        .routes(routes!(accounts::add_account))
        .routes(routes!(accounts::remove_account))
}

/// `GET /session`: the session (its token re-checked with Keystone when due).
#[utoipa::path(
    get,
    path = "/session",
    tag = "session",
    responses(
        (status = 200, description = "The session.", body = json::Session),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [])),
)]
async fn show(session: Session, mut user: CurrentUser) -> Result<Json<json::Session>> {
    let answer = user.data.to_json();
    // The accounts that left on their own are told of once.
    if !user.data.ended.is_empty() {
        user.data.ended.clear();
        store(&session, &user.data).await?;
    }
    Ok(Json(answer))
}

#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    responses(
        (status = 204, description = "Signed out: every token the session held is revoked."),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn sign_out(
    State(app): State<AppState>,
    session: Session,
    user: CurrentUser,
) -> Result<StatusCode> {
    end(&app, &session).await?;
    tracing::info!(user = %user.account().user.name, accounts = user.data.accounts.len(), "signed out");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put,
    path = "/session/project",
    tag = "session",
    request_body = json::SwitchProject,
    responses(
        (status = 200, description = "The session, scoped to that project, its account the active one.", body = json::Session),
        (status = 400, description = "`invalid_input`: not a project id", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 404, description = "`not_found`: no account of the session has that `user_id`", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
async fn switch_project(
    State(app): State<AppState>,
    session: Session,
    mut user: CurrentUser,
    Json(body): Json<json::SwitchProject>,
) -> Result<Json<json::Session>> {
    let id = body.project_id.trim();
    if !json::is_project_id(id) {
        return Err(Error::invalid(
            "project_id",
            "A project ID is 32 hexadecimal characters (or a UUID).",
        ));
    }
    let index = match body.user_id.as_deref().map(str::trim) {
        None => user.data.active,
        Some(user_id) => user.data.position(user_id).ok_or_else(|| {
            Error::NotFound("No account of this session has that user ID.".into())
        })?,
    };
    let account = &user.data.accounts[index];
    if !account.projects.iter().any(|p| p.id == id) {
        return Err(Error::Forbidden(format!(
            "{} has no role in that project, so you cannot switch to it.",
            account.user.name
        )));
    }
    if account.project.id != id {
        if account.application_credential {
            return Err(Error::Forbidden(
                "An application credential is bound to its own project: sign in with a password to switch projects."
                    .into(),
            ));
        }
        rescope(&app, &mut user.data.accounts[index], id).await?;
    }
    user.data.active = index;
    store(&session, &user.data).await?;
    let active = user.account();
    tracing::info!(user = %active.user.name, project = %active.project.name, "switched project");
    Ok(Json(user.data.to_json()))
}

/// Scopes `account` to project `id`: a new token rescoped from the one it has, and the
/// project list asked again with it.
async fn rescope(app: &AppState, account: &mut Account, id: &str) -> Result<()> {
    let auth = app
        .keystone
        .rescope(&account.token, id)
        .await
        .map_err(|e| match e.status() {
            Some(401 | 403) => {
                Error::Forbidden("Keystone refused to scope your session to that project.".into())
            }
            // The token this switch started from was revoked meanwhile: by another switch of
            // the same session at the same time (two tabs), which replaced it. (Found by the
            // API fuzzer: a 502 before.)
            Some(404) => Error::Forbidden(
                "Another project switch of this session happened at the same time. Reload the page and try again."
                    .into(),
            ),
            _ => e.into(),
        })?;
    let projects = match app.keystone.projects(&auth.token).await {
        Ok(projects) => projects,
        Err(e) => {
            revoke_quietly(app, &auth.token).await;
            return Err(e.into());
        }
    };
    let mut next = user::account(app, auth, projects)?;
    // The audit's tokens for other projects stay valid and useful.
    next.project_tokens = std::mem::take(&mut account.project_tokens);
    // The replaced token: each rescoped token has an audit id of its own, so one replaced by
    // an earlier switch is revoked now, leaving the new one valid. The token signed in with
    // is kept instead: its audit id is the chain's, in every token rescoped since, and
    // revoking it would revoke the new token too. Leaving revokes it.
    let replaced = match account.root.take() {
        Some(root) => {
            next.root = Some(root);
            Some(account.token.clone())
        }
        None => {
            next.root = Some(account.token.clone());
            None
        }
    };
    *account = next;
    if let Some(token) = replaced {
        revoke_quietly(app, &token).await;
    }
    Ok(())
}
