//! Access history: every completed access audit kept as a snapshot, and what changed between
//! two of them.

use serde::{Deserialize, Serialize};

use crate::{ActivityEvent, MemberStatus, NamedRef};

/// One stored audit, without its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotSummary {
    pub id: i64,
    /// When the audit completed (RFC 3339, UTC).
    pub taken_at: String,
    /// How many image–member rows it found.
    pub rows: usize,
    /// The regions it covered.
    pub regions: Vec<String>,
    /// The projects it covered: the user's, at the time.
    pub projects: Vec<NamedRef>,
    /// Some region or project could not be read: that part is unknown, not empty.
    pub partial: bool,
}

/// `GET /api/v1/audit/snapshots`: the user's own, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotList {
    pub snapshots: Vec<SnapshotSummary>,
}

/// A field of an access row that can change while the row stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangedField {
    /// The member's decision.
    Status,
    /// The image's visibility.
    Visibility,
    /// The image's protection against deletion.
    Protected,
}

impl ChangedField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Visibility => "visibility",
            Self::Protected => "protected",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: ChangedField,
    pub before: String,
    pub after: String,
}

/// One image–member row that appeared, disappeared or changed between two snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessChange {
    pub region: String,
    pub image_id: String,
    pub image_name: Option<String>,
    pub owner_id: String,
    pub owner_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name_seen: Option<String>,
    pub member_id: String,
    pub member_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name_seen: Option<String>,
    /// The member's status in the newer snapshot (in the older one for a removed row).
    pub status: MemberStatus,
    /// For a changed row: each field that changed, before and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The activity-log events between the two snapshots that explain the change.
    pub events: Vec<ActivityEvent>,
    /// No event explains it: made with another tool (the `openstack` CLI, Terraform, …).
    pub outside_glimpse: bool,
}

/// A region, or a project in a region (or everywhere), that one of the two snapshots could not
/// read: its rows are neither added nor removed, but unknown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnknownPart {
    /// `None`: every region.
    pub region: Option<String>,
    /// `None`: every project of the region.
    pub project_id: Option<String>,
    pub project_name: Option<String>,
}

/// `GET /api/v1/audit/changes?from=&to=`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessChanges {
    pub from: SnapshotSummary,
    pub to: SnapshotSummary,
    pub added: Vec<AccessChange>,
    pub removed: Vec<AccessChange>,
    pub changed: Vec<AccessChange>,
    /// What could not be compared.
    pub unknown: Vec<UnknownPart>,
}
