//! The session: sign-in (`sign_in`), sign-out and project switching (here), what the server
//! keeps for a signed-in user (`user`), and the `CurrentUser` extractor that every
//! authenticated handler takes (`current`).

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
use user::{end, revoke_quietly, store, user_session};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, sign_in::sign_in, sign_out))
        .routes(routes!(second_factor::passcode))
        .routes(routes!(switch_project))
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
async fn show(user: CurrentUser) -> Json<json::Session> {
    Json(user.data.to_json())
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
    tracing::info!(user = %user.data.user.name, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put,
    path = "/session/project",
    tag = "session",
    request_body = json::SwitchProject,
    responses(
        (status = 200, description = "The session, scoped to that project.", body = json::Session),
        (status = 400, description = "`invalid_input`: not a project id", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: not signed in, or the session ended", body = json::ErrorResponse),
        (status = 403, description = "`csrf`: the `X-CSRF-Token` header is missing or wrong; `forbidden`: OpenStack's policy refuses", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(("session" = [], "csrf" = [])),
)]
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
            revoke_quietly(&app, &auth.token).await;
            return Err(e.into());
        }
    };
    let mut data = user_session(&app, auth, projects, user.data.csrf_token.clone())?;
    // The audit's tokens for other projects stay valid and useful.
    data.project_tokens = user.data.project_tokens.clone();
    // The replaced token: each rescoped token has an audit id of its own, so one replaced by
    // an earlier switch is revoked now, leaving the new one valid. The token signed in with
    // is kept instead: its audit id is the chain's, in every token rescoped since, and
    // revoking it would revoke the new token too. Sign-out revokes it.
    let replaced = match &user.data.root {
        Some(root) => {
            data.root = Some(root.clone());
            Some(user.token())
        }
        None => {
            data.root = Some(user.token().clone());
            None
        }
    };
    store(&session, &data).await?;
    if let Some(token) = replaced {
        revoke_quietly(&app, token).await;
    }
    tracing::info!(user = %data.user.name, project = %data.project.name, "switched project");
    Ok(Json(data.to_json()))
}
