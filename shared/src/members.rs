//! Image members: sharing, and a member project's decision.

use serde::{Deserialize, Serialize};

use crate::{ErrorBody, MemberStatus};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member project's id.
    pub member_id: String,
    /// The member project's name, where the user can know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name: Option<String>,
    /// Set when the name was learned from another user's sign-in (the project directory):
    /// when that sign-in last showed it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_name_seen: Option<String>,
    pub status: MemberStatus,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// `POST /api/v1/images/{id}/members`: one project, or many at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum AddMembers {
    One { member_id: String },
    Many { member_ids: Vec<String> },
}

/// The answer to `AddMembers::Many`: one outcome per requested id, in request order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddMembersResult {
    pub results: Vec<AddMemberOutcome>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberDecision {
    pub status: MemberStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
