//! What can go wrong with the activity log, typed: a caller tells a bad filter (its user's
//! mistake) from a store that cannot be used (an outage) without reading messages.

use super::FilterError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The filter of a query cannot be used: the API's `invalid_input`.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The URL names no store Glimpse supports, or cannot be read.
    #[error("unsupported activity log URL {url}: {reason}")]
    Url { url: String, reason: String },
    /// The store cannot be reached or opened.
    #[error("cannot open the activity log at {url}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the folder of the activity log {path}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot migrate the activity log at {url}")]
    Migrate {
        url: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// An outcome that is neither `ok` nor a code (or one the filter reserves).
    #[error("invalid activity outcome {0:?}: expected ok or an error code")]
    InvalidOutcome(String),
    /// The event does not exist, or its outcome is already recorded (never overwritten).
    #[error("activity event {0} does not exist or already has an outcome")]
    NotUnfinished(i64),
    /// A stored row this Glimpse cannot read (written by a newer one?).
    #[error("activity event {id} has an unknown action {action:?}")]
    UnknownAction { id: i64, action: String },
    /// A stored value this Glimpse cannot read (written by a newer one, or damaged).
    #[error("{what} cannot be read: {reason}")]
    Unreadable { what: String, reason: String },
    /// A statement failed: the store is down, full, locked for too long…
    #[error("the activity log failed: {0}")]
    Store(#[from] sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
