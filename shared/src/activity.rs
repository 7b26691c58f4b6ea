//! The activity log: every change made through Glimpse.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::MemberStatus;

/// A change made through Glimpse, as the activity log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
// The wasm reads it by its name instead (see `crate::by_name`).
#[cfg_attr(not(target_arch = "wasm32"), derive(Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    MakeShared,
    MakePrivate,
    Protect,
    Unprotect,
    AddMember,
    RemoveMember,
    Accept,
    Reject,
    SetPending,
    /// A copy of the image to another region (`target_region`, `target_image_id`).
    CopyImage,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Self::MakeShared,
        Self::MakePrivate,
        Self::Protect,
        Self::Unprotect,
        Self::AddMember,
        Self::RemoveMember,
        Self::Accept,
        Self::Reject,
        Self::SetPending,
        Self::CopyImage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MakeShared => "make_shared",
            Self::MakePrivate => "make_private",
            Self::Protect => "protect",
            Self::Unprotect => "unprotect",
            Self::AddMember => "add_member",
            Self::RemoveMember => "remove_member",
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::SetPending => "set_pending",
            Self::CopyImage => "copy_image",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The member decision this action stands for, if it is one.
    pub fn for_decision(status: MemberStatus) -> Self {
        match status {
            MemberStatus::Accepted => Self::Accept,
            MemberStatus::Rejected => Self::Reject,
            MemberStatus::Pending => Self::SetPending,
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::by_name(d, Action::parse)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the activity log. The intent is written before the OpenStack call and the
/// outcome after it: `outcome` is `None` for an entry whose call never finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    // The web UI's activity log does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub id: i64,
    /// When the change was asked for (RFC 3339, UTC).
    pub at: String,
    /// When its outcome was recorded.
    // The web UI's activity log does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub finished_at: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub project_id: String,
    pub project_name: String,
    pub region: String,
    pub action: Action,
    pub image_id: String,
    pub image_name: Option<String>,
    /// The member project, for member actions.
    pub member_id: Option<String>,
    /// `ok`, or the API error code of the failure; `None` while unfinished.
    pub outcome: Option<String>,
    pub request_id: Option<String>,
    /// For a copy: the region copied to, and the new image there.
    // The web UI's activity log does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_region: Option<String>,
    // The web UI's activity log does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_image_id: Option<String>,
}

/// `GET /api/v1/audit/events`: newest first; pass `next_before` as `before` for the next page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventList {
    pub events: Vec<ActivityEvent>,
    pub next_before: Option<i64>,
}

/// The outcomes of an event besides `ok` and the API's error codes.
pub mod outcome {
    /// The change was made.
    pub const OK: &str = "ok";
    /// Glimpse stopped (a crash, `kill -9`) between the intent and the outcome, and nobody
    /// could tell afterwards whether Glance made the change: no credential to look with, or a
    /// later change on the same thing hides it. Its `finished_at` is when this was decided.
    pub const INTERRUPTED: &str = "interrupted";
    /// Glimpse stopped between the intent and the outcome, and Glance's state, read
    /// afterwards, shows that the change was not made.
    pub const NOT_APPLIED: &str = "not_applied";
}
