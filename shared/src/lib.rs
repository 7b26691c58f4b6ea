//! The wire types of Glimpse's REST API (`/api/v1`), used by the axum server and the Leptos
//! client alike so that both sides always agree. Both import this crate as `json`.
//!
//! Timestamps are RFC 3339 strings exactly as OpenStack returns them; the API passes them on
//! unchanged instead of re-formatting them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

// ------------------------------------------------------------------------------------ session

/// `POST /api/v1/session`: a Keystone v3 password or an application credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignIn {
    Password(PasswordSignIn),
    ApplicationCredential(ApplicationCredentialSignIn),
}

#[derive(Clone, Serialize, Deserialize)]
pub struct PasswordSignIn {
    pub username: String,
    pub password: String,
    /// Domain name of the user; the server's configured default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_domain: Option<String>,
    /// Project name or id to scope to; the user's first project when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct ApplicationCredentialSignIn {
    pub application_credential_id: String,
    pub application_credential_secret: String,
}

// Secrets never reach a log line, not even through `{:?}`.
impl fmt::Debug for PasswordSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordSignIn")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("user_domain", &self.user_domain)
            .field("project", &self.project)
            .finish()
    }
}

impl fmt::Debug for ApplicationCredentialSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationCredentialSignIn")
            .field("application_credential_id", &self.application_credential_id)
            .field("application_credential_secret", &"<redacted>")
            .finish()
    }
}

/// The signed-in session, as `GET/POST /api/v1/session` and `PUT /api/v1/session/project`
/// return it. The Keystone token itself stays on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user: NamedRef,
    /// The project the session is scoped to: every image call acts as this project.
    pub project: NamedRef,
    /// Every project the user has a role in, to switch between.
    pub projects: Vec<NamedRef>,
    /// Regions with an image service in the catalog.
    pub regions: Vec<String>,
    /// When the Keystone token, and so this session, expires (RFC 3339).
    pub expires_at: String,
    /// Send back as the `X-CSRF-Token` header on every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
}

/// An id with its human name (users, projects).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

/// `PUT /api/v1/session/project`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwitchProject {
    pub project_id: String,
}

/// The header that must carry `Session::csrf_token` on unsafe methods.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

// ------------------------------------------------------------------------------------- images

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}

/// One image with everything `openstack image show` shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct ImageList {
    pub images: Vec<Image>,
}

/// `PATCH /api/v1/images/{id}`: only what sharing needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
}

// ------------------------------------------------------------------------------------ members

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The member project's id.
    pub member_id: String,
    /// The member project's name, where the user can know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name: Option<String>,
    pub status: MemberStatus,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// `POST /api/v1/images/{id}/members`: one project, or many at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AddMembers {
    One { member_id: String },
    Many { member_ids: Vec<String> },
}

/// The answer to `AddMembers::Many`: one outcome per requested id, in request order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AddMembersResult {
    pub results: Vec<AddMemberOutcome>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddMemberOutcome {
    pub member_id: String,
    /// The HTTP status this member alone would have got (201 when added).
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `PUT /api/v1/images/{id}/members/{member_id}`: the member project's decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberDecision {
    pub status: MemberStatus,
}

// ------------------------------------------------------------------------------- activity log

/// A change made through Glimpse, as the activity log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}

impl Action {
    pub const ALL: [Action; 9] = [
        Self::MakeShared,
        Self::MakePrivate,
        Self::Protect,
        Self::Unprotect,
        Self::AddMember,
        Self::RemoveMember,
        Self::Accept,
        Self::Reject,
        Self::SetPending,
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

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the activity log. The intent is written before the OpenStack call and the
/// outcome after it: `outcome` is `None` for an entry whose call never finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    pub id: i64,
    /// When the change was asked for (RFC 3339, UTC).
    pub at: String,
    /// When its outcome was recorded.
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
}

/// `GET /api/v1/audit/events`: newest first; pass `next_before` as `before` for the next page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventList {
    pub events: Vec<ActivityEvent>,
    pub next_before: Option<i64>,
}

// ------------------------------------------------------------------------------- access audit

/// One image–member pair of the access audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessRow {
    pub region: String,
    pub image_id: String,
    pub image_name: Option<String>,
    pub owner_id: String,
    pub owner_name: Option<String>,
    pub member_id: String,
    pub member_name: Option<String>,
    /// The member's listing preference; every member has access whatever its status.
    pub status: MemberStatus,
    pub created_at: String,
    pub updated_at: String,
    pub visibility: Visibility,
    pub protected: bool,
    /// False when nobody in the audit can resolve the member id to a project: a likely typo.
    pub member_known: bool,
}

/// A project or region that could not be audited, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditFailure {
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub project_name: Option<String>,
    pub error: ErrorBody,
}

/// The audit's streamed answer (`format=ndjson`, the default): one message per line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct AccessAudit {
    pub rows: Vec<AccessRow>,
    pub failures: Vec<AuditFailure>,
}

// ------------------------------------------------------------------------------------- errors

/// Every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable: see [`codes`].
    pub code: String,
    /// A sentence for a person; the UI shows it as it is.
    pub message: String,
    /// The offending field, for `invalid_input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The error codes of the API.
pub mod codes {
    pub const INVALID_INPUT: &str = "invalid_input";
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    pub const CSRF: &str = "csrf";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const IMAGE_NOT_SHARED: &str = "image_not_shared";
    pub const ALREADY_MEMBER: &str = "already_member";
    pub const MEMBER_QUOTA_EXCEEDED: &str = "member_quota_exceeded";
    pub const UNKNOWN_REGION: &str = "unknown_region";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const UPSTREAM_UNAVAILABLE: &str = "upstream_unavailable";
    pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
    pub const LOG_UNAVAILABLE: &str = "log_unavailable";
    pub const INTERNAL: &str = "internal";
}

// ------------------------------------------------------------------------------ id validation

/// Glance image ids are UUIDs (dashed, any case).
pub fn is_image_id(s: &str) -> bool {
    is_dashed_uuid(s)
}

/// Keystone project ids are 32 lowercase-or-uppercase hex digits, or a dashed UUID (as some
/// identity backends make them).
pub fn is_project_id(s: &str) -> bool {
    (s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())) || is_dashed_uuid(s)
}

fn is_dashed_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Splits what a person pasted into project ids: one per line, or separated by commas,
/// semicolons or blanks; empty pieces and repeats are dropped, order is kept.
pub fn split_project_ids(pasted: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for piece in pasted.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let piece = piece.trim();
        if !piece.is_empty() && !ids.iter().any(|id| id == piece) {
            ids.push(piece.to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids() {
        assert!(is_project_id("7b5d1afe94c1481a98f4c1dad97b6b07"));
        assert!(is_project_id("a144aa56-84c3-4ddf-9bc1-566fd5566a67"));
        assert!(!is_project_id("no-such-project"));
        assert!(!is_project_id("7b5d1afe94c1481a98f4c1dad97b6b0"));
        assert!(!is_project_id("7b5d1afe94c1481a98f4c1dad97b6b0g"));
    }

    #[test]
    fn image_ids() {
        assert!(is_image_id("a144aa56-84c3-4ddf-9bc1-566fd5566a67"));
        assert!(!is_image_id("not-a-uuid"));
        assert!(!is_image_id("a144aa5684c34ddf9bc1566fd5566a67"));
    }

    #[test]
    fn pasted_ids() {
        assert_eq!(
            split_project_ids(" a, b\nc;;a \n\n d"),
            vec!["a", "b", "c", "d"]
        );
        assert!(split_project_ids(" \n, ").is_empty());
    }

    #[test]
    fn add_members_is_one_or_many() {
        let one: AddMembers = serde_json::from_str(r#"{"member_id":"x"}"#).unwrap();
        assert_eq!(
            one,
            AddMembers::One {
                member_id: "x".into()
            }
        );
        let many: AddMembers = serde_json::from_str(r#"{"member_ids":["x","y"]}"#).unwrap();
        assert_eq!(
            many,
            AddMembers::Many {
                member_ids: vec!["x".into(), "y".into()]
            }
        );
    }

    #[test]
    fn sign_in_debug_hides_secrets() {
        let s: SignIn = serde_json::from_str(r#"{"username":"u","password":"hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let s: SignIn = serde_json::from_str(
            r#"{"application_credential_id":"i","application_credential_secret":"s3cr3t"}"#,
        )
        .unwrap();
        assert!(matches!(s, SignIn::ApplicationCredential(_)));
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }
}
