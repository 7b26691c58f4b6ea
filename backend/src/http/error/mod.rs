//! The one error type of the HTTP API and its one status table. Every failure leaves as
//! `{"error": {"code", "message"}}` with a status that fits; nothing else reaches a client.
//! OpenStack's own words never do either: they are logged, and the client reads Glimpse's.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use json::ErrorCode;

use crate::openstack::{OpenStackError, Service, glance};
use crate::{activity, audit, changes, copies};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is malformed; `field` names it, `limit` the bound it exceeds.
    #[error("{message}")]
    InvalidInput {
        field: String,
        message: String,
        limit: Option<u64>,
    },
    /// The body is not the JSON the endpoint takes.
    #[error("{0}")]
    UnreadableBody(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// The password was right; the account's rules also want `methods` (e.g. `totp`). The
    /// receipt waits in the session for the next factor.
    #[error("{message}")]
    MfaRequired {
        message: String,
        methods: Vec<String>,
    },
    /// A wrong second factor: the receipt stays usable, so the session is kept.
    #[error("{0}")]
    WrongPasscode(String),
    /// The active account's sign-in ended; the session goes on with its other accounts.
    #[error("{0}")]
    AccountEnded(String),
    /// That account is already in the session.
    #[error("{0}")]
    AccountInSession(String),
    /// The session holds `limit` accounts, the most it may.
    #[error("This session already holds {limit} accounts, the most it may: remove one first.")]
    TooManyAccounts { limit: usize },
    #[error("missing or wrong X-CSRF-Token header: reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    ImageNotShared(String),
    #[error("{0}")]
    AlreadyMember(String),
    #[error("{message}")]
    MemberQuotaExceeded { message: String, limit: Option<u64> },
    #[error("{0}")]
    UnknownRegion(String),
    #[error(
        "An access audit is already running in this session. Wait for it to finish (or stop it), then start another."
    )]
    AuditRunning,
    /// Too many attempts; trying again after `retry_after` seconds makes sense.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("{0}")]
    UpstreamUnavailable(String),
    #[error("{0}")]
    UpstreamTimeout(String),
    /// The activity log cannot be written, so no change is made (every change is logged).
    #[error(
        "The activity log cannot be written right now, so no change was made. Try again in a moment."
    )]
    LogUnavailable(#[source] activity::Error),
    /// A copy refused (the image not active, the same region, the method not offered…).
    #[error("{message}")]
    Copy {
        code: ErrorCode,
        message: String,
        limit: Option<u64>,
    },
    /// A bug: logged in full, shown as a generic sentence.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
            limit: None,
        }
    }

    /// A list longer than `limit`.
    pub fn too_many(field: &str, limit: usize, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
            limit: Some(limit as u64),
        }
    }

    /// The status table.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            Self::UnreadableBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_)
            | Self::MfaRequired { .. }
            | Self::WrongPasscode(_)
            | Self::AccountEnded(_) => StatusCode::UNAUTHORIZED,
            Self::AccountInSession(_) | Self::TooManyAccounts { .. } => StatusCode::CONFLICT,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::ImageNotShared(_) | Self::AlreadyMember(_) | Self::AuditRunning => {
                StatusCode::CONFLICT
            }
            Self::MemberQuotaExceeded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnknownRegion(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UpstreamUnavailable(_) => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::LogUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Copy { code, .. } => match code {
                ErrorCode::SameRegion => StatusCode::BAD_REQUEST,
                ErrorCode::NotOwner => StatusCode::FORBIDDEN,
                ErrorCode::StorageQuotaExceeded | ErrorCode::ImageTooLarge => {
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                ErrorCode::TooManyCopies => StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::CopyFailed => StatusCode::BAD_GATEWAY,
                _ => StatusCode::CONFLICT,
            },
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } | Self::UnreadableBody(_) => ErrorCode::InvalidInput,
            Self::Unauthenticated(_) | Self::WrongPasscode(_) => ErrorCode::Unauthenticated,
            Self::MfaRequired { .. } => ErrorCode::MfaRequired,
            Self::AccountEnded(_) => ErrorCode::AccountEnded,
            Self::AccountInSession(_) => ErrorCode::AccountInSession,
            Self::TooManyAccounts { .. } => ErrorCode::TooManyAccounts,
            Self::Csrf => ErrorCode::Csrf,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::ImageNotShared(_) => ErrorCode::ImageNotShared,
            Self::AlreadyMember(_) => ErrorCode::AlreadyMember,
            Self::MemberQuotaExceeded { .. } => ErrorCode::MemberQuotaExceeded,
            Self::UnknownRegion(_) => ErrorCode::UnknownRegion,
            Self::AuditRunning => ErrorCode::AuditRunning,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::UpstreamUnavailable(_) => ErrorCode::UpstreamUnavailable,
            Self::UpstreamTimeout(_) => ErrorCode::UpstreamTimeout,
            Self::LogUnavailable(_) => ErrorCode::LogUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
            Self::Copy { code, .. } => *code,
        }
    }

    pub fn body(&self) -> json::ErrorBody {
        let message = match self {
            Self::Internal(_) => {
                "Something went wrong inside Glimpse; it has been logged. Try again.".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = json::ErrorBody::new(self.code(), message);
        match self {
            Self::InvalidInput { field, limit, .. } => {
                body.field = Some(field.clone());
                body.limit = *limit;
            }
            Self::MemberQuotaExceeded { limit, .. } | Self::Copy { limit, .. } => {
                body.limit = *limit
            }
            Self::RateLimited { retry_after, .. } => body.retry_after = Some(*retry_after),
            Self::MfaRequired { methods, .. } => body.methods = Some(methods.clone()),
            Self::TooManyAccounts { limit } => body.limit = Some(*limit as u64),
            _ => {}
        }
        body
    }

    /// A 401 that leaves the session as it is, since it holds a sign-in half done (a
    /// receipt waiting for its passcode) or other accounts that go on; every other 401 ends
    /// the session.
    pub fn keeps_session(&self) -> bool {
        matches!(
            self,
            Self::MfaRequired { .. } | Self::WrongPasscode(_) | Self::AccountEnded(_)
        )
    }

    /// The active account left the session (its token expired or was revoked), others stay.
    pub fn account_ended(user: &str) -> Self {
        Self::AccountEnded(format!(
            "The sign-in of {user} has ended, so nothing was done; this session goes on with its other accounts."
        ))
    }

    pub fn session_expired() -> Self {
        Self::Unauthenticated("Your session has ended: please sign in again.".into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            Self::LogUnavailable(e) => tracing::error!(error = ?e, "activity log unavailable"),
            Self::UpstreamUnavailable(m) | Self::UpstreamTimeout(m) => {
                tracing::warn!(code = %self.code(), "{m}")
            }
            _ => tracing::debug!(code = %self.code(), "{self}"),
        }
        let body = json::ErrorResponse { error: self.body() };
        let mut response = (self.status(), Json(body)).into_response();
        if self.keeps_session() {
            response.extensions_mut().insert(KeepSession);
        }
        if let Self::RateLimited { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// Marks a 401 answer that must not end the session (see [`Error::keeps_session`]).
#[derive(Clone, Copy, Debug)]
pub struct KeepSession;

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

/// The session store failed (the one `Internal` every session read and write can end in).
impl From<tower_sessions::session::Error> for Error {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// Writing an export failed (to memory: a bug).
impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// A bad filter is the user's to fix; anything else, the store's: no change can be made.
impl From<activity::Error> for Error {
    fn from(e: activity::Error) -> Self {
        match e {
            activity::Error::Filter(f) => Self::invalid(f.field, format!("Bad filter {f}.")),
            other => Self::LogUnavailable(other),
        }
    }
}

/// Transport failures and answers no handler has a better word for. The service's own text
/// goes to the log only.
impl From<OpenStackError> for Error {
    fn from(e: OpenStackError) -> Self {
        let what = |service: &Service| match service {
            Service::Keystone => "sign-in and project information are unavailable",
            Service::Glance { .. } => "images cannot be read or changed",
        };
        match e {
            OpenStackError::Unavailable { service } => Self::UpstreamUnavailable(format!(
                "Cannot reach {service}, so {}. Try again in a moment.",
                what(&service)
            )),
            OpenStackError::Timeout { service } => Self::UpstreamTimeout(format!(
                "{} did not answer in time, so {}. Try again in a moment.",
                capitalize(&service.to_string()),
                what(&service)
            )),
            OpenStackError::Status {
                status: 401,
                ref service,
                ..
            } if *service != Service::Keystone => Self::session_expired(),
            OpenStackError::Status {
                ref service,
                status,
                ref message,
            } => {
                tracing::warn!(%service, status, upstream = %message, "unexpected OpenStack answer");
                let why = if status >= 500 {
                    format!("failed (HTTP {status})")
                } else {
                    format!(
                        "refused the request (HTTP {status}) for a reason Glimpse does not know"
                    )
                };
                Self::UpstreamUnavailable(format!(
                    "{} {why}, so {}. It has been logged; try again in a moment.",
                    capitalize(&service.to_string()),
                    what(service)
                ))
            }
            OpenStackError::Redirected {
                ref service,
                status,
                ref location,
            } => {
                tracing::warn!(%service, status, ?location, "OpenStack answered with a redirect; not followed");
                Self::UpstreamUnavailable(format!(
                    "{} answered with a redirect (HTTP {status}), which Glimpse does not follow so that your token goes nowhere else; its address in the service catalog is probably out of date. Tell your cloud's administrators.",
                    capitalize(&service.to_string()),
                ))
            }
            OpenStackError::Protocol {
                ref service,
                ref detail,
            } => {
                tracing::warn!(%service, %detail, "unreadable OpenStack answer");
                Self::UpstreamUnavailable(format!(
                    "{} sent an answer Glimpse cannot read, so {}. It has been logged.",
                    capitalize(&service.to_string()),
                    what(service)
                ))
            }
            OpenStackError::MoreFactors(receipt) => Self::MfaRequired {
                message:
                    "The password is right; this account also needs another factor to sign in."
                        .into(),
                methods: receipt.missing.clone(),
            },
            OpenStackError::BadEndpoint {
                ref service,
                ref detail,
            } => {
                tracing::warn!(%service, %detail, "unusable endpoint URL");
                Self::UpstreamUnavailable(format!(
                    "The service catalog gives {service} an address Glimpse cannot use, so {}. Tell your cloud's administrators.",
                    what(service)
                ))
            }
        }
    }
}

/// The generic meaning of a Glance refusal; handlers that know more say more.
impl From<glance::Error> for Error {
    fn from(e: glance::Error) -> Self {
        match e {
            glance::Error::NotFound(_) => {
                Self::NotFound("No such image, or it is not visible to this project.".into())
            }
            glance::Error::MemberNotFound => {
                Self::NotFound("That project is not a member of this image.".into())
            }
            glance::Error::AlreadyMember => {
                Self::AlreadyMember("That project is already a member of this image.".into())
            }
            glance::Error::MemberQuotaExceeded { limit } => Self::MemberQuotaExceeded {
                limit: limit.map(u64::from),
                message: match limit {
                    Some(n) => format!(
                        "This image already has the most members the cloud allows ({n}); remove one first."
                    ),
                    None => "This image already has the most members the cloud allows; remove one first.".into(),
                },
            },
            glance::Error::StorageQuotaExceeded | glance::Error::ImageTooLarge => {
                let error = copies::Error::Glance(e);
                Self::Copy {
                    code: error.code(),
                    message: error.sentence(),
                    limit: None,
                }
            }
            glance::Error::NotShared => Self::ImageNotShared(
                "Only images with visibility \"shared\" have members: make the image shared first."
                    .into(),
            ),
            glance::Error::PolicyRefused { action } => Self::Forbidden(format!(
                "Your role in this project does not allow this ({})",
                action.replace('_', " ")
            )),
            glance::Error::TokenRejected => Self::session_expired(),
            glance::Error::Invalid(message) => {
                tracing::warn!(upstream = %message, "Glance refused a request as invalid");
                Self::invalid(
                    "body",
                    "The image service refused this request as invalid; it has been logged.",
                )
            }
            glance::Error::Upstream(e) => e.into(),
        }
    }
}

/// A change not made; handlers that know more (whose image, which project) say more.
impl From<changes::Error> for Error {
    fn from(e: changes::Error) -> Self {
        match e {
            changes::Error::LogUnavailable(e) => Self::LogUnavailable(e),
            changes::Error::NotOwnMembership => Self::Forbidden(
                "A project accepts or rejects only its own membership: switch to that project to decide for it."
                    .into(),
            ),
            changes::Error::Glance(e) => e.into(),
            changes::Error::Interrupted => {
                Self::Internal(anyhow::anyhow!("a change ended without an answer"))
            }
        }
    }
}

/// A copy refused before it started, or a copy not found.
impl From<copies::Error> for Error {
    fn from(e: copies::Error) -> Self {
        match e {
            copies::Error::LogUnavailable(e) => Self::LogUnavailable(e),
            copies::Error::NotFound => Self::NotFound("No such copy in this project.".into()),
            copies::Error::Glance(e) => e.into(),
            copies::Error::SameRegion => Self::Copy {
                code: ErrorCode::SameRegion,
                message: "The image is already in that region: pick another region to copy it to."
                    .into(),
                limit: None,
            },
            copies::Error::NotOwner => Self::Copy {
                code: ErrorCode::NotOwner,
                message: "Only the project that owns an image can copy it: switch to that project."
                    .into(),
                limit: None,
            },
            copies::Error::NotActive { status } => Self::Copy {
                code: ErrorCode::ImageNotActive,
                message: format!("Only an active image can be copied; this one is {status}."),
                limit: None,
            },
            copies::Error::MethodUnavailable { region } => Self::Copy {
                code: ErrorCode::ImportMethodUnavailable,
                message: format!(
                    "The image service of {region} does not offer the glance-download import: copy with method stream (or auto) instead."
                ),
                limit: None,
            },
            copies::Error::TooMany { limit, per_user } => Self::Copy {
                code: ErrorCode::TooManyCopies,
                message: if per_user {
                    format!(
                        "You already run {limit} copies, the most at once: wait for one to end."
                    )
                } else {
                    format!(
                        "Glimpse already runs {limit} copies, the most at once: try again later."
                    )
                },
                limit: Some(limit as u64),
            },
            other => Self::Copy {
                code: other.code(),
                message: other.sentence(),
                limit: None,
            },
        }
    }
}

/// Part of an access audit that could not be read.
impl From<audit::Failure> for Error {
    fn from(f: audit::Failure) -> Self {
        match f {
            audit::Failure::Unscoped(body) => Self::Forbidden(body.message),
            audit::Failure::Endpoint(e) => e.into(),
            audit::Failure::Glance(e) => e.into(),
            audit::Failure::Vanished { image_id } => {
                Self::NotFound(format!("Image {image_id} vanished during the audit."))
            }
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
