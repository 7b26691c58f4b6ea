//! Images, as the current project sees them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Community,
    Shared,
    Private,
}

/// The member project's own decision. It only decides whether the image shows in the
/// member's default image list: every member can boot the image by id whatever its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [Self::Pending, Self::Accepted, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

impl fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Community => "community",
            Self::Shared => "shared",
            Self::Private => "private",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which images `GET /api/v1/images` lists, relative to the current project.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OwnerFilter {
    /// Owned by the current project.
    Me,
    /// Shared with the current project by others.
    Others,
    /// Everything the current project can see.
    #[default]
    All,
}

/// `member_status` filter of `GET /api/v1/images` (for images shared with the project).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MemberStatusFilter {
    Pending,
    #[default]
    Accepted,
    Rejected,
    All,
}

impl MemberStatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::All => "all",
        }
    }
}

impl From<MemberStatus> for MemberStatusFilter {
    fn from(s: MemberStatus) -> Self {
        match s {
            MemberStatus::Pending => Self::Pending,
            MemberStatus::Accepted => Self::Accepted,
            MemberStatus::Rejected => Self::Rejected,
        }
    }
}

/// One image, as image lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    /// Glance's upload status: queued, active, …
    pub status: String,
    pub visibility: Visibility,
    /// The owning project's id.
    pub owner: Option<String>,
    /// The owning project's name, where the user can know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name_seen: Option<String>,
    pub protected: bool,
    pub size: Option<u64>,
    pub disk_format: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The current project's membership status, for images shared with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_status: Option<MemberStatus>,
    /// When the image was offered to the current project (images shared with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_created_at: Option<String>,
    /// When the current project last decided on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_updated_at: Option<String>,
    /// For a copy made by Glimpse: its source, `REGION/IMAGE_ID` ([`crate::COPIED_FROM`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from: Option<String>,
    /// With `all_projects`: the session's project the image is offered to, and the account
    /// that has it (accepting or rejecting it acts as that account, in that project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_to: Option<OfferedTo>,
}

/// Which of the session's projects an offer is for, and through which account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferedTo {
    pub project: crate::NamedRef,
    pub account: crate::NamedRef,
}

/// One image with everything `openstack image show` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageDetail {
    #[serde(flatten)]
    pub image: Image,
    pub container_format: Option<String>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub virtual_size: Option<u64>,
    pub min_disk: u64,
    pub min_ram: u64,
    pub os_hidden: bool,
    pub tags: Vec<String>,
    /// Every other image property (architecture, os_distro, custom keys…).
    pub properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageList {
    pub images: Vec<Image>,
}

/// `PATCH /api/v1/images/{id}`: only what sharing needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
}
