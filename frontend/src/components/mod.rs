//! Reusable parts of the pages.

mod badge;
mod confirm;
mod copy;
mod feedback;
mod header;
mod toasts;

pub use badge::{MemberCounts, StatusBadge, VisibilityBadge};
pub use confirm::ConfirmDialog;
pub use copy::CopyButton;
pub use feedback::{EmptyState, ErrorNote, Loading};
pub use header::Header;
pub use toasts::Toasts;
