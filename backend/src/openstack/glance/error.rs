//! Glance's refusals, classified from its answers so that no caller reads Glance's wording.

use crate::openstack::OpenStackError;

/// A Glance refusal, classified so that callers need not read Glance's wording.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image does not exist or is not visible to the token's project.
    #[error("not found: {0}")]
    NotFound(String),
    /// The image exists, but the project is not in its member list.
    #[error("not a member")]
    MemberNotFound,
    #[error("already a member")]
    AlreadyMember,
    #[error("member quota exceeded")]
    MemberQuotaExceeded { limit: Option<u32> },
    /// The project's image storage quota (or the store) has no room for the data.
    #[error("storage quota exceeded")]
    StorageQuotaExceeded,
    /// The image is larger than this Glance takes (`image_size_cap`).
    #[error("image too large")]
    ImageTooLarge,
    /// Only images with visibility `shared` have members.
    #[error("only shared images have members")]
    NotShared,
    /// The policy refused the action (e.g. `add_member`, `modify_member`).
    #[error("not authorized to {action}")]
    PolicyRefused { action: String },
    /// Glance did not accept the token (expired or revoked).
    #[error("token rejected")]
    TokenRejected,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Upstream(OpenStackError),
}

impl From<OpenStackError> for Error {
    fn from(err: OpenStackError) -> Self {
        let message = err.message().to_owned();
        match err.status() {
            Some(401) => Error::TokenRejected,
            Some(404) if message.contains("not found in the member list") => Error::MemberNotFound,
            Some(404) => Error::NotFound(message),
            Some(409) if message.contains("duplicated") => Error::AlreadyMember,
            Some(413) => classify_413(&message),
            Some(403)
                if message.contains("Only shared images have members")
                    || message.starts_with("Not allowed to create members") =>
            {
                Error::NotShared
            }
            Some(403) => Error::PolicyRefused {
                action: between(&message, "complete ", " action")
                    .unwrap_or("do this")
                    .to_owned(),
            },
            Some(400) => Error::Invalid(message),
            _ => Error::Upstream(err),
        }
    }
}

/// Glance answers 413 for three limits; its words say which.
fn classify_413(message: &str) -> Error {
    if message.contains("too large") {
        Error::ImageTooLarge
    } else if message.contains("member") {
        Error::MemberQuotaExceeded {
            limit: number_after(message, "Maximum:"),
        }
    } else {
        Error::StorageQuotaExceeded
    }
}

fn number_after(text: &str, marker: &str) -> Option<u32> {
    let rest = &text[text.find(marker)? + marker.len()..];
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openstack::Service;

    fn status(status: u16, message: &str) -> Error {
        OpenStackError::Status {
            service: Service::Glance { region: "R".into() },
            status,
            message: message.into(),
        }
        .into()
    }

    #[test]
    fn a_413_says_which_limit() {
        assert!(matches!(
            classify_413("The incoming image is too large: 42"),
            Error::ImageTooLarge
        ));
        assert!(matches!(
            classify_413("Image exceeds the storage quota: 42"),
            Error::StorageQuotaExceeded
        ));
        assert!(matches!(
            classify_413("Image member limit exceeded for image y: Attempted: 129, Maximum: 128"),
            Error::MemberQuotaExceeded { limit: Some(128) }
        ));
    }

    #[test]
    fn classifies_glance_answers() {
        assert!(matches!(
            status(409, "Member x is duplicated for image y"),
            Error::AlreadyMember
        ));
        assert!(matches!(
            status(
                413,
                "Image member limit exceeded for image y: The limit has been exceeded on the number of allowed image members for this image. Attempted: 129, Maximum: 128"
            ),
            Error::MemberQuotaExceeded { limit: Some(128) }
        ));
        assert!(matches!(
            status(403, "Not allowed to create members for image y."),
            Error::NotShared
        ));
        assert!(matches!(
            status(
                403,
                "Not allowed to list members for image y: Only shared images have members."
            ),
            Error::NotShared
        ));
        match status(403, "You are not authorized to complete add_member action.") {
            Error::PolicyRefused { action } => assert_eq!(action, "add_member"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(status(401, "x"), Error::TokenRejected));
        assert!(matches!(
            status(404, "Image y not found."),
            Error::NotFound(_)
        ));
        assert!(matches!(
            status(404, "x not found in the member list of the image y."),
            Error::MemberNotFound
        ));
    }
}
