//! Every error answer of the API: `{"error": {"code", "message", …}}`.
//!
//! The UI words an error by its [`ErrorCode`] (in the user's language) and the parameters
//! beside it; `message` is the server's English sentence, for API clients and for the codes a
//! UI does not know yet.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable and machine-readable.
    pub code: ErrorCode,
    /// A sentence for a person, in English.
    pub message: String,
    /// The offending field, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The limit that was exceeded (`member_quota_exceeded`, `invalid_input` on a list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Seconds until trying again makes sense (`rate_limited`); also the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The authentication methods still wanted (`mfa_required`), as Keystone names them:
    /// `["totp"]` is completed with `POST /api/v1/session/totp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            limit: None,
            retry_after: None,
            methods: None,
        }
    }
}

/// The error codes of the API. A code this build does not know (a newer server) reads as
/// `Unknown`, and a UI then shows the server's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
// The wasm reads it by its name instead (see `crate::by_name`).
#[cfg_attr(not(target_arch = "wasm32"), derive(Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400 (a malformed field, named by `field`), or 422 for an unreadable body.
    InvalidInput,
    /// 401: not signed in, or the session ended.
    Unauthenticated,
    /// 401: the password was right, and the account also needs another factor (`methods`).
    MfaRequired,
    /// 403: the `X-CSRF-Token` header is missing or wrong.
    Csrf,
    /// 403: OpenStack's policy, or Glimpse's, does not allow it.
    Forbidden,
    /// 404.
    NotFound,
    /// 409: only `shared` images have members.
    ImageNotShared,
    /// 409.
    AlreadyMember,
    /// 413: the image has the most members the cloud allows (`limit` when known).
    MemberQuotaExceeded,
    /// 400: the region has no image service for this user.
    UnknownRegion,
    /// 409: this session already runs an access audit; one at a time.
    AuditRunning,
    /// 429: too many attempts (`retry_after`).
    RateLimited,
    /// 502.
    UpstreamUnavailable,
    /// 504.
    UpstreamTimeout,
    /// 503: the activity log cannot be written, so nothing was changed.
    LogUnavailable,
    /// 500.
    Internal,
    /// 409: only an `active` image can be copied.
    ImageNotActive,
    /// 400: a copy goes to another region than its source's.
    SameRegion,
    /// 413: the target region's storage quota has no room for the copy.
    StorageQuotaExceeded,
    /// 413: the image is larger than the target region accepts.
    ImageTooLarge,
    /// 403: only the project that owns an image copies it.
    NotOwner,
    /// 502: the copy failed on the way (the partial copy is deleted).
    CopyFailed,
    /// 409: the target region does not offer the import method asked for.
    ImportMethodUnavailable,
    /// 429: too many copies running (for this user, or in all).
    TooManyCopies,
    /// The copy was cancelled (its partial image deleted).
    CopyCancelled,
    /// 401: the active account's sign-in ended (its token expired or was revoked); the
    /// session goes on with its other accounts (`GET /session` says which is active now).
    AccountEnded,
    /// 409: that account is already in the session.
    AccountInSession,
    /// 409: the session holds as many accounts as it may (`limit`).
    TooManyAccounts,
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code a server can send (not `Unknown`): a UI has words for each.
    pub const ALL: [ErrorCode; 28] = [
        Self::InvalidInput,
        Self::Unauthenticated,
        Self::MfaRequired,
        Self::Csrf,
        Self::Forbidden,
        Self::NotFound,
        Self::ImageNotShared,
        Self::AlreadyMember,
        Self::MemberQuotaExceeded,
        Self::UnknownRegion,
        Self::AuditRunning,
        Self::RateLimited,
        Self::UpstreamUnavailable,
        Self::UpstreamTimeout,
        Self::LogUnavailable,
        Self::Internal,
        Self::ImageNotActive,
        Self::SameRegion,
        Self::StorageQuotaExceeded,
        Self::ImageTooLarge,
        Self::NotOwner,
        Self::CopyFailed,
        Self::ImportMethodUnavailable,
        Self::TooManyCopies,
        Self::CopyCancelled,
        Self::AccountEnded,
        Self::AccountInSession,
        Self::TooManyAccounts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::Unauthenticated => "unauthenticated",
            Self::MfaRequired => "mfa_required",
            Self::Csrf => "csrf",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::ImageNotShared => "image_not_shared",
            Self::AlreadyMember => "already_member",
            Self::MemberQuotaExceeded => "member_quota_exceeded",
            Self::UnknownRegion => "unknown_region",
            Self::AuditRunning => "audit_running",
            Self::RateLimited => "rate_limited",
            Self::UpstreamUnavailable => "upstream_unavailable",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::LogUnavailable => "log_unavailable",
            Self::Internal => "internal",
            Self::ImageNotActive => "image_not_active",
            Self::SameRegion => "same_region",
            Self::StorageQuotaExceeded => "storage_quota_exceeded",
            Self::ImageTooLarge => "image_too_large",
            Self::NotOwner => "not_owner",
            Self::CopyFailed => "copy_failed",
            Self::ImportMethodUnavailable => "import_method_unavailable",
            Self::TooManyCopies => "too_many_copies",
            Self::CopyCancelled => "copy_cancelled",
            Self::AccountEnded => "account_ended",
            Self::AccountInSession => "account_in_session",
            Self::TooManyAccounts => "too_many_accounts",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::by_name(d, |name| {
            let known = ErrorCode::ALL.into_iter().find(|c| c.as_str() == name);
            Some(known.unwrap_or(ErrorCode::Unknown))
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_and_unknown_ones_fall_back() {
        for code in ErrorCode::ALL {
            let text = serde_json::to_string(&code).unwrap();
            assert_eq!(text, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&text).unwrap(), code);
        }
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"from_the_future","message":"m"}"#).unwrap();
        assert_eq!(body.code, ErrorCode::Unknown);
    }
}
