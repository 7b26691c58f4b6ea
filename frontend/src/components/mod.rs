//! Reusable parts of the pages.

mod badge;
mod confirm;
mod copy;
mod feedback;
mod filters;
mod header;
mod toasts;

pub use badge::{MemberCounts, StatusBadge, VisibilityBadge};
pub use confirm::ConfirmDialog;
pub use copy::CopyButton;
pub use feedback::{EmptyState, ErrorNote, Loading};
pub use filters::{filter_field, options};
pub use header::Header;
pub use toasts::Toasts;
