//! `POST /session/totp`: the second step of a multi-factor sign-in. When Keystone takes a
//! password but the account's rules want a TOTP passcode too, it answers with a receipt;
//! the receipt waits here, in the server-side session (never in the browser), and the
//! passcode sent next completes the sign-in with it. A wrong passcode leaves the receipt
//! usable until Keystone's expiry; every attempt counts against the sign-in throttle.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_sessions::{Expiry, Session};

use super::sign_in::{Failure, Joining, complete, counted, sign_in_error};
use super::user::{KEY, UserSession};
use crate::http::AppState;
use crate::http::client_addr::ClientAddr;
use crate::http::error::{Error, Result};
use crate::http::extract::Json;
use crate::openstack::OpenStackError;
use crate::openstack::keystone::{Credentials, Receipt, Scope};

const PENDING: &str = "glimpse.pending_sign_in";

/// The method of the one second factor Glimpse asks for.
const TOTP: &str = "totp";

/// A sign-in waiting for its passcode.
#[derive(Serialize, Deserialize)]
struct Pending {
    receipt: Receipt,
    scope: Scope,
    /// Whom the attempts count against: the username and domain of the password step.
    throttle_key: String,
    /// Whether the sign-in starts a session or adds an account to this one.
    #[serde(default)]
    joining: Joining,
}

/// Keeps the receipt of a password that needs a second factor, and words the answer
/// (`mfa_required` with the methods wanted).
pub(super) async fn wait_for(
    session: &Session,
    receipt: Receipt,
    scope: Scope,
    throttle_key: String,
    joining: Joining,
) -> Error {
    let methods = receipt.missing.clone();
    if !methods.iter().any(|m| m == TOTP) {
        return Error::MfaRequired {
            message: format!(
                "This account also needs {} to sign in, which Glimpse cannot ask for.",
                methods.join(" or ")
            ),
            methods,
        };
    }
    let signed_in = matches!(session.get::<UserSession>(KEY).await, Ok(Some(_)));
    let expires = OffsetDateTime::parse(&receipt.expires_at, &Rfc3339).ok();
    let pending = Pending {
        receipt,
        scope,
        throttle_key,
        joining,
    };
    if let Err(e) = session.insert(PENDING, &pending).await {
        return e.into();
    }
    // Someone not signed in yet: the session lasts as long as the receipt.
    if !signed_in && let Some(at) = expires {
        session.set_expiry(Some(Expiry::AtDateTime(at)));
    }
    Error::MfaRequired {
        message: "The password is right; this account also needs a passcode from its authenticator app: send it to POST /api/v1/session/totp.".into(),
        methods,
    }
}

/// Forgets a sign-in waiting for its passcode (at sign-in).
pub(super) async fn forget(session: &Session) -> Result<()> {
    session.remove_value(PENDING).await?;
    Ok(())
}

#[utoipa::path(
    post,
    path = "/session/totp",
    tag = "session",
    request_body = json::Passcode,
    responses(
        (status = 200, description = "Signed in: the session (its cookie set).", body = json::Session),
        (status = 400, description = "`invalid_input`: not a passcode", body = json::ErrorResponse),
        (status = 401, description = "`unauthenticated`: a wrong passcode (try again while the receipt lasts), or no sign-in waits for one", body = json::ErrorResponse),
        (status = 403, description = "`forbidden`: no role in any project, or in the one named", body = json::ErrorResponse),
        (status = 422, description = "`invalid_input`: the body is not the JSON this endpoint takes", body = json::ErrorResponse),
        (status = 429, description = "`rate_limited`: too many attempts", body = json::ErrorResponse),
        (status = 502, description = "`upstream_unavailable`: OpenStack cannot be reached, or answered in a way Glimpse cannot use", body = json::ErrorResponse),
        (status = 504, description = "`upstream_timeout`: OpenStack, or the request as a whole, took too long", body = json::ErrorResponse),
    ),
    security(()),
)]
pub(super) async fn passcode(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    Json(body): Json<json::Passcode>,
) -> Result<Json<json::Session>> {
    counted(complete_with_passcode(&app, client, &session, body).await)
}

async fn complete_with_passcode(
    app: &AppState,
    client: std::net::IpAddr,
    session: &Session,
    body: json::Passcode,
) -> Result<Json<json::Session>> {
    let passcode = body.passcode.trim().to_owned();
    if !(6..=10).contains(&passcode.len()) || !passcode.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "passcode",
            "Enter the passcode your authenticator app shows: 6 to 10 digits.",
        ));
    }
    let pending: Pending = session.get(PENDING).await?.ok_or_else(|| {
        Error::Unauthenticated(
            "No sign-in is waiting for a passcode: sign in with your password first.".into(),
        )
    })?;
    app.sign_in_throttle
        .attempt(client, &pending.throttle_key)?;
    let expired = OffsetDateTime::parse(&pending.receipt.expires_at, &Rfc3339)
        .map_or(true, |at| at <= OffsetDateTime::now_utc());
    if expired {
        forget(session).await?;
        return Err(Error::Unauthenticated(
            "This sign-in waited too long for its passcode: sign in with your password again."
                .into(),
        ));
    }
    let credentials = Credentials::Totp {
        receipt: pending.receipt,
        passcode,
    };
    match complete(app, session, &credentials, &pending.scope, pending.joining).await {
        Ok(data) => Ok(Json(data)),
        Err(Failure::Keystone(e))
            if e.status() == Some(401) || matches!(e, OpenStackError::MoreFactors(_)) =>
        {
            Err(Error::WrongPasscode(
                "The passcode is wrong or out of date: enter the one your authenticator app shows now."
                    .into(),
            ))
        }
        Err(Failure::Keystone(e)) => Err(sign_in_error(e, &pending.scope)),
        Err(Failure::Other(e)) => Err(e),
    }
}
