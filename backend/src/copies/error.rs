//! Why a copy was refused, or why it failed.

use json::ErrorCode;

use crate::activity;
use crate::changes::glance_code;
use crate::openstack::glance;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The intent could not be recorded, so nothing was asked of Glance.
    #[error("the activity log cannot be written")]
    LogUnavailable(#[from] activity::Error),
    /// No such copy for this project.
    #[error("no such copy")]
    NotFound,
    #[error("the target region is the image's own region")]
    SameRegion,
    /// Only the owner copies an image (the copy is the owner's to share).
    #[error("only the project that owns the image can copy it")]
    NotOwner,
    /// Glance has no data to copy until the image is `active`.
    #[error("the image is {status}, not active")]
    NotActive { status: String },
    /// `glance-download` asked for, and the target region does not offer it.
    #[error("{region} does not offer the glance-download import")]
    MethodUnavailable { region: String },
    /// Too many copies running: `per_user` for this user, else in all.
    #[error("too many copies running")]
    TooMany { limit: usize, per_user: bool },
    /// Glance refused or failed a call (the target's quota, the source gone…).
    #[error(transparent)]
    Glance(#[from] glance::Error),
    /// The source's data stopped coming mid-way.
    #[error("the data stopped coming from {region}'s image service")]
    SourceFailed {
        region: String,
        #[source]
        source: glance::Error,
    },
    /// The copy's data differs from the source's (by Glance's own hashes).
    #[error("the copy's checksum differs from the source's")]
    Mismatch,
    /// The target's import ended in failure.
    #[error("{region}'s image service could not import the image")]
    ImportFailed { region: String },
    /// Nothing came for longer than the time allowed.
    #[error("no data came for {0} seconds")]
    Stalled(u64),
    /// Glimpse stopped (a restart) while the copy ran.
    #[error("Glimpse stopped while the copy ran")]
    Interrupted,
    #[error("the copy was cancelled")]
    Cancelled,
}

impl Error {
    /// The API's code for this error, also the copy's recorded outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::LogUnavailable(_) => ErrorCode::LogUnavailable,
            Self::NotFound => ErrorCode::NotFound,
            Self::SameRegion => ErrorCode::SameRegion,
            Self::NotOwner => ErrorCode::NotOwner,
            Self::NotActive { .. } => ErrorCode::ImageNotActive,
            Self::MethodUnavailable { .. } => ErrorCode::ImportMethodUnavailable,
            Self::TooMany { .. } => ErrorCode::TooManyCopies,
            Self::Glance(e) => glance_code(e),
            Self::SourceFailed { .. }
            | Self::Mismatch
            | Self::ImportFailed { .. }
            | Self::Stalled(_)
            | Self::Interrupted => ErrorCode::CopyFailed,
            Self::Cancelled => ErrorCode::CopyCancelled,
        }
    }

    /// A sentence for the copy's record (Glance's own words stay in the log).
    pub fn sentence(&self) -> String {
        match self {
            Self::Glance(glance::Error::StorageQuotaExceeded) => {
                "The target region's storage quota has no room for this image.".into()
            }
            Self::Glance(glance::Error::ImageTooLarge) => {
                "The image is larger than the target region accepts.".into()
            }
            Self::Glance(e) => format!(
                "The image service refused or failed a step of the copy ({}).",
                glance_code(e)
            ),
            Self::SourceFailed { region, .. } => format!(
                "The data stopped coming from {region}'s image service mid-way; the partial copy was deleted."
            ),
            Self::Mismatch => {
                "The copy's data differs from the source's; the copy was deleted.".into()
            }
            Self::ImportFailed { region } => format!(
                "{region}'s image service could not import the image; the partial copy was deleted."
            ),
            Self::Stalled(secs) => format!(
                "No data came for {secs} seconds, so the copy stopped; the partial copy was deleted."
            ),
            Self::Interrupted => {
                "Glimpse stopped while the copy ran; the partial copy is deleted.".into()
            }
            Self::Cancelled => "The copy was cancelled; the partial copy was deleted.".into(),
            other => capitalized(&other.to_string()),
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>() + ".")
        .unwrap_or_default()
}
