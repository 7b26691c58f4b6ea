//! What changed between two snapshots, row by row, and which parts cannot be compared.
//!
//! A row is identified by (region, image, member). It is *known* in a snapshot when the audit
//! read the side it is seen from: its region was covered, and the project it is read from (the
//! owner when the owner is one of the user's projects, the audit reads from that side only;
//! otherwise the member) was covered and did not fail there. A row absent from one snapshot
//! is added or removed only when both snapshots know it; otherwise it is unknown, never a
//! change: a region that was down is not "every share removed".

use std::collections::{BTreeSet, HashMap};

use json::{AccessRow, ChangedField, FieldChange, NamedRef, UnknownPart};

/// What one snapshot covered.
pub struct Coverage {
    pub regions: BTreeSet<String>,
    pub projects: BTreeSet<String>,
    pub gaps: Vec<UnknownPart>,
}

impl Coverage {
    pub fn new(regions: &[String], projects: &[NamedRef], gaps: &[UnknownPart]) -> Self {
        Self {
            regions: regions.iter().cloned().collect(),
            projects: projects.iter().map(|p| p.id.clone()).collect(),
            gaps: gaps.to_vec(),
        }
    }

    /// Whether this snapshot read the part of the cloud `row` lives in.
    pub fn knows(&self, row: &AccessRow) -> bool {
        if !self.regions.contains(&row.region) {
            return false;
        }
        let side = if self.projects.contains(&row.owner_id) {
            &row.owner_id
        } else if self.projects.contains(&row.member_id) {
            &row.member_id
        } else {
            return false;
        };
        !self.gaps.iter().any(|gap| {
            gap.region.as_ref().is_none_or(|r| *r == row.region)
                && gap.project_id.as_ref().is_none_or(|p| p == side)
        })
    }
}

/// The rows that differ, before explaining.
#[derive(Debug, Default)]
pub struct Diff {
    pub added: Vec<AccessRow>,
    pub removed: Vec<AccessRow>,
    /// The newer row, and what changed.
    pub changed: Vec<(AccessRow, Vec<FieldChange>)>,
    /// Rows in one snapshot only, that the other could not see.
    pub unknown_rows: usize,
}

type Key<'a> = (&'a str, &'a str, &'a str);

fn key(row: &AccessRow) -> Key<'_> {
    (&row.region, &row.image_id, &row.member_id)
}

/// The rows of `to` not in `from` (added), of `from` not in `to` (removed), and in both with
/// another status, visibility or protection (changed).
pub fn diff(
    from: Vec<AccessRow>,
    from_covers: &Coverage,
    to: Vec<AccessRow>,
    to_covers: &Coverage,
) -> Diff {
    let mut out = Diff::default();
    let before: HashMap<Key<'_>, &AccessRow> = from.iter().map(|r| (key(r), r)).collect();
    let after: HashMap<Key<'_>, &AccessRow> = to.iter().map(|r| (key(r), r)).collect();
    for row in &to {
        match before.get(&key(row)) {
            Some(old) => {
                let fields = changed_fields(old, row);
                if !fields.is_empty() {
                    out.changed.push((row.clone(), fields));
                }
            }
            None if from_covers.knows(row) && to_covers.knows(row) => out.added.push(row.clone()),
            None => out.unknown_rows += 1,
        }
    }
    for row in &from {
        if after.contains_key(&key(row)) {
            continue;
        }
        if from_covers.knows(row) && to_covers.knows(row) {
            out.removed.push(row.clone());
        } else {
            out.unknown_rows += 1;
        }
    }
    out
}

fn changed_fields(old: &AccessRow, new: &AccessRow) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    let mut field = |field, before: &str, after: &str| {
        if before != after {
            fields.push(FieldChange {
                field,
                before: before.to_owned(),
                after: after.to_owned(),
            });
        }
    };
    field(
        ChangedField::Status,
        old.status.as_str(),
        new.status.as_str(),
    );
    field(
        ChangedField::Visibility,
        old.visibility.as_str(),
        new.visibility.as_str(),
    );
    field(
        ChangedField::Protected,
        &old.protected.to_string(),
        &new.protected.to_string(),
    );
    fields
}

/// The parts either snapshot could not read, and the regions only one of them covered.
pub fn unknown_parts(from: &Coverage, to: &Coverage) -> Vec<UnknownPart> {
    let mut parts: BTreeSet<UnknownPart> = from.gaps.iter().chain(&to.gaps).cloned().collect();
    for region in from.regions.symmetric_difference(&to.regions) {
        parts.insert(UnknownPart {
            region: Some(region.clone()),
            project_id: None,
            project_name: None,
        });
    }
    parts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::pack::tests::row;
    use json::MemberStatus::{Accepted, Pending, Rejected};

    fn covers(regions: &[&str], gaps: &[(Option<&str>, Option<&str>)]) -> Coverage {
        Coverage {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            projects: ["owner".to_string()].into(),
            gaps: gaps
                .iter()
                .map(|(r, p)| UnknownPart {
                    region: r.map(Into::into),
                    project_id: p.map(Into::into),
                    project_name: None,
                })
                .collect(),
        }
    }

    #[test]
    fn added_removed_changed_and_nothing_else() {
        let all = covers(&["R1"], &[]);
        let from = vec![
            row("R1", "i1", "m1", Pending),
            row("R1", "i1", "m2", Pending),
            row("R1", "i2", "m1", Accepted),
        ];
        let mut to = vec![
            row("R1", "i1", "m1", Pending),
            row("R1", "i1", "m2", Rejected),
            row("R1", "i1", "m3", Pending),
        ];
        to[0].updated_at = "later".into(); // not a field that counts
        let d = diff(from, &all, to, &all);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].member_id, "m3");
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.removed[0].image_id, "i2");
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            d.changed[0].1,
            vec![FieldChange {
                field: ChangedField::Status,
                before: "pending".into(),
                after: "rejected".into()
            }]
        );
        assert_eq!(d.unknown_rows, 0);
    }

    #[test]
    fn a_failed_or_uncovered_region_is_unknown_not_removed() {
        let full = covers(&["R1", "R2"], &[]);
        let r2_down = covers(&["R1", "R2"], &[(Some("R2"), None)]);
        let from = vec![
            row("R1", "i1", "m1", Pending),
            row("R2", "i2", "m1", Pending),
        ];
        let to = vec![row("R1", "i1", "m1", Pending)];
        let d = diff(from.clone(), &full, to.clone(), &r2_down);
        assert!(d.removed.is_empty() && d.added.is_empty(), "{d:?}");
        assert_eq!(d.unknown_rows, 1);
        // Back the other way: not "added" either.
        let d = diff(to.clone(), &r2_down, from.clone(), &full);
        assert!(d.added.is_empty(), "{d:?}");
        // A region filtered out is no removal either.
        let d = diff(from.clone(), &full, to.clone(), &covers(&["R1"], &[]));
        assert!(d.removed.is_empty());
        // A project that failed everywhere hides its rows too.
        let owner_down = covers(&["R1", "R2"], &[(None, Some("owner"))]);
        let d = diff(from, &full, to, &owner_down);
        assert!(d.removed.is_empty());
        let parts = unknown_parts(&full, &covers(&["R1"], &[(None, Some("owner"))]));
        assert_eq!(parts.len(), 2, "{parts:?}");
    }
}
