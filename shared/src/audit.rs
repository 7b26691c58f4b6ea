//! The access audit: who has access to which image.

use serde::{Deserialize, Serialize};

use crate::{ErrorBody, MemberStatus, Visibility};

/// One image–member pair of the access audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRow {
    pub region: String,
    pub image_id: String,
    pub image_name: Option<String>,
    pub owner_id: String,
    pub owner_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    // The web UI's matrix does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name_seen: Option<String>,
    pub member_id: String,
    pub member_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    // The web UI's matrix does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name_seen: Option<String>,
    /// The member's listing preference; every member has access whatever its status.
    pub status: MemberStatus,
    pub created_at: String,
    pub updated_at: String,
    pub visibility: Visibility,
    pub protected: bool,
    /// False when nobody in the audit can resolve the member id to a project: a likely typo.
    pub member_known: bool,
    /// The session's account (its user name) whose project read this row.
    // The web UI's matrix does not show it: not read there, for the wasm's size.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_by: Option<String>,
}

/// A project or region that could not be audited, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditFailure {
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    /// The session's account (its user name) that tried to read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_by: Option<String>,
    pub error: ErrorBody,
}

/// The audit's streamed answer (`format=ndjson`, the default): one message per line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuditMessage {
    /// How far the audit is: `done` of `total` Glance calls known so far.
    Progress {
        done: usize,
        total: usize,
    },
    Rows {
        rows: Vec<AccessRow>,
    },
    /// A part that could not be audited; the rest goes on.
    Failure {
        failure: AuditFailure,
    },
    Done {
        rows: usize,
        failures: usize,
    },
}

/// The whole audit at once (`format=json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessAudit {
    pub rows: Vec<AccessRow>,
    pub failures: Vec<AuditFailure>,
}
