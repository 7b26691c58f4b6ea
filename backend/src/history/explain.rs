//! Which activity-log events explain a change between two snapshots; a change no event
//! explains was made outside Glimpse.

use json::{AccessChange, AccessRow, Action, ActivityEvent, ChangedField, FieldChange, outcome};

/// How a row differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

/// The change, with the events (among `events`, all taken between the two snapshots) that
/// explain it.
pub fn explain(
    kind: Kind,
    row: AccessRow,
    fields: Vec<FieldChange>,
    events: &[ActivityEvent],
) -> AccessChange {
    let events: Vec<ActivityEvent> = events
        .iter()
        .filter(|e| explains(e, kind, &row, &fields))
        .cloned()
        .collect();
    AccessChange {
        outside_glimpse: events.is_empty(),
        events,
        region: row.region,
        image_id: row.image_id,
        image_name: row.image_name,
        owner_id: row.owner_id,
        owner_name: row.owner_name,
        owner_name_seen: row.owner_name_seen,
        member_id: row.member_id,
        member_name: row.member_name,
        member_name_seen: row.member_name_seen,
        status: row.status,
        fields,
    }
}

/// Whether `event` can have made this change: the same region and image, the right action
/// (on this member, for member actions), and not known to have failed.
fn explains(event: &ActivityEvent, kind: Kind, row: &AccessRow, fields: &[FieldChange]) -> bool {
    if event.region != row.region || event.image_id != row.image_id || !may_have_happened(event) {
        return false;
    }
    let on_member = event.member_id.as_deref() == Some(row.member_id.as_str());
    let changed = |f: ChangedField| fields.iter().any(|c| c.field == f);
    match (kind, event.action) {
        (Kind::Added, Action::AddMember) | (Kind::Removed, Action::RemoveMember) => on_member,
        // Only shared images are audited: a visibility change brings every member in or out.
        (Kind::Added, Action::MakeShared) | (Kind::Removed, Action::MakePrivate) => true,
        (Kind::Changed, Action::Accept | Action::Reject | Action::SetPending) => {
            on_member && changed(ChangedField::Status)
        }
        (Kind::Changed, Action::MakeShared | Action::MakePrivate) => {
            changed(ChangedField::Visibility)
        }
        (Kind::Changed, Action::Protect | Action::Unprotect) => changed(ChangedField::Protected),
        _ => false,
    }
}

/// Made, or maybe made (a crash left it unfinished or undecided); not a refusal nor a change
/// known not to have been applied.
fn may_have_happened(event: &ActivityEvent) -> bool {
    match event.outcome.as_deref() {
        None => true,
        Some(o) => o == outcome::OK || o == outcome::INTERRUPTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::pack::tests::row;
    use json::MemberStatus::{Pending, Rejected};

    fn event(action: Action, member: Option<&str>, outcome: Option<&str>) -> ActivityEvent {
        ActivityEvent {
            id: 7,
            at: "2025-01-01T00:00:00.000000Z".into(),
            finished_at: None,
            user_id: "u".into(),
            user_name: "user".into(),
            project_id: "owner".into(),
            project_name: "owner".into(),
            region: "R1".into(),
            action,
            image_id: "i1".into(),
            image_name: None,
            member_id: member.map(Into::into),
            outcome: outcome.map(Into::into),
            request_id: None,
            target_region: None,
            target_image_id: None,
        }
    }

    #[test]
    fn removal_by_its_event_and_rejection_outside_glimpse() {
        let removed = row("R1", "i1", "m1", Pending);
        let events = [
            event(Action::RemoveMember, Some("m1"), Some("ok")),
            event(Action::RemoveMember, Some("m2"), Some("ok")),
            event(Action::RemoveMember, Some("m1"), Some("forbidden")),
        ];
        let c = explain(Kind::Removed, removed.clone(), vec![], &events);
        assert!(!c.outside_glimpse);
        assert_eq!(c.events.len(), 1, "only the one on this member that worked");

        let status = vec![FieldChange {
            field: ChangedField::Status,
            before: "pending".into(),
            after: "rejected".into(),
        }];
        let rejected = row("R1", "i1", "m1", Rejected);
        let c = explain(Kind::Changed, rejected.clone(), status.clone(), &events);
        assert!(c.outside_glimpse && c.events.is_empty());
        let c = explain(
            Kind::Changed,
            rejected,
            status,
            &[event(Action::Reject, Some("m1"), None)],
        );
        assert!(
            !c.outside_glimpse,
            "an unfinished rejection may have been made"
        );
        let c = explain(Kind::Added, removed, vec![], &events);
        assert!(c.outside_glimpse, "a removal does not explain an addition");
    }
}
