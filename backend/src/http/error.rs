//! The one error type of the HTTP API and its one status table. Every failure leaves as
//! `{"error": {"code", "message"}}` with a status that fits; nothing else reaches a client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use json::ErrorCode;

use crate::openstack::{OpenStackError, Service, glance};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is malformed; `field` names it.
    #[error("{message}")]
    InvalidInput { field: String, message: String },
    /// The body is not the JSON the endpoint takes.
    #[error("{0}")]
    UnreadableBody(String),
    #[error("{0}")]
    Unauthenticated(String),
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
    LogUnavailable(#[source] anyhow::Error),
    /// A bug or an unreadable upstream answer: logged in full, shown as a generic sentence.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The status table.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            Self::UnreadableBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::ImageNotShared(_) | Self::AlreadyMember(_) => StatusCode::CONFLICT,
            Self::MemberQuotaExceeded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnknownRegion(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UpstreamUnavailable(_) => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::LogUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } | Self::UnreadableBody(_) => ErrorCode::InvalidInput,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Csrf => ErrorCode::Csrf,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::ImageNotShared(_) => ErrorCode::ImageNotShared,
            Self::AlreadyMember(_) => ErrorCode::AlreadyMember,
            Self::MemberQuotaExceeded { .. } => ErrorCode::MemberQuotaExceeded,
            Self::UnknownRegion(_) => ErrorCode::UnknownRegion,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::UpstreamUnavailable(_) => ErrorCode::UpstreamUnavailable,
            Self::UpstreamTimeout(_) => ErrorCode::UpstreamTimeout,
            Self::LogUnavailable(_) => ErrorCode::LogUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
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
            Self::InvalidInput { field, .. } => body.field = Some(field.clone()),
            Self::MemberQuotaExceeded { limit, .. } => body.limit = *limit,
            Self::RateLimited { retry_after, .. } => body.retry_after = Some(*retry_after),
            _ => {}
        }
        body
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
        if let Self::RateLimited { retry_after, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

/// Transport failures and answers no handler has a better word for.
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
                ..
            } if status >= 500 => Self::UpstreamUnavailable(format!(
                "{} failed (HTTP {status}), so {}. Try again in a moment.",
                capitalize(&service.to_string()),
                what(service)
            )),
            other => Self::Internal(other.into()),
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
            glance::Error::NotShared => Self::ImageNotShared(
                "Only images with visibility \"shared\" have members: make the image shared first."
                    .into(),
            ),
            glance::Error::PolicyRefused { action } => Self::Forbidden(format!(
                "Your role in this project does not allow this ({})",
                action.replace('_', " ")
            )),
            glance::Error::TokenRejected => Self::session_expired(),
            glance::Error::Invalid(message) => Self::invalid("body", message),
            glance::Error::Upstream(e) => e.into(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
