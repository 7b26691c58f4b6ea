//! Reusable parts of the pages.

mod badge;
mod confirm;
mod copy;
mod feedback;
mod filters;
mod header;
mod language;
mod toasts;
mod visibility;

pub use badge::{MemberCounts, StatusBadge, VisibilityBadge};
pub use confirm::ConfirmDialog;
pub use copy::CopyButton;
pub use feedback::{EmptyState, ErrorNote, FailureLine, Loading};
pub use filters::{filter_field, options};
pub use header::Header;
pub use language::LanguagePicker;
pub use toasts::Toasts;
pub use visibility::VisibilityControl;
