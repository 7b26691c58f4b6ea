//! The audit's rows: how one is made from Glance's answers, which ones a filter keeps, and
//! their CSV columns.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use json::{AccessRow, MemberStatus, NamedRef};

use crate::activity::Learned;
use crate::directory::Directory;
use crate::export::{CsvRow, optional};
use crate::openstack::glance;

/// Which rows the person asked for.
#[derive(Clone, Debug, Default)]
pub struct RowFilter {
    /// Owner project id.
    pub owner: Option<String>,
    /// Member project id.
    pub member: Option<String>,
    pub status: Option<MemberStatus>,
}

impl RowFilter {
    pub fn keeps(&self, row: &AccessRow) -> bool {
        self.owner.as_ref().is_none_or(|o| *o == row.owner_id)
            && self.member.as_ref().is_none_or(|m| *m == row.member_id)
            && self.status.is_none_or(|s| s == row.status)
    }
}

/// What rows are made with: names and the ids someone can vouch for.
pub(super) struct RowContext {
    /// Names of the user's projects.
    pub names: BTreeMap<String, String>,
    /// Project ids someone in the audit can vouch for.
    pub known: BTreeSet<String>,
}

impl RowContext {
    pub fn row(
        &self,
        region: &str,
        image: &glance::ImageBrief,
        m: glance::Member,
        seen_by: &NamedRef,
    ) -> AccessRow {
        let owner_id = image.owner.clone().unwrap_or_default();
        AccessRow {
            region: region.to_owned(),
            image_id: image.id.clone(),
            image_name: image.name.clone(),
            owner_name: self.names.get(&owner_id).cloned(),
            owner_name_seen: None,
            owner_id,
            member_name: self.names.get(&m.member_id).cloned(),
            member_name_seen: None,
            member_known: self.known.contains(&m.member_id),
            member_id: m.member_id,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            visibility: image.visibility,
            protected: image.protected,
            seen_by: Some(seen_by.name.clone()),
        }
    }
}

/// What the project directory said of each id asked so far in one audit (`None`: nothing).
pub(super) type LearnedCache = BTreeMap<String, Option<Learned>>;

/// Names the projects of `rows` nobody in the audit could name, where the project directory
/// can (every row is a share the user sees: both sides are related to the user); a member it
/// knows is a real project.
pub(super) async fn name_learned(
    directory: &Directory,
    rows: &mut [AccessRow],
    cache: &mut LearnedCache,
) {
    let unasked: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            let owner = r.owner_name.is_none().then(|| r.owner_id.clone());
            let member = r.member_name.is_none().then(|| r.member_id.clone());
            owner.into_iter().chain(member)
        })
        .filter(|id| !cache.contains_key(id))
        .collect();
    if !unasked.is_empty() {
        let mut learned = directory.names(unasked.clone()).await;
        for id in unasked {
            let found = learned.remove(&id);
            cache.insert(id, found);
        }
    }
    for row in rows {
        if row.owner_name.is_none()
            && let Some(Some(l)) = cache.get(&row.owner_id)
        {
            row.owner_name = Some(l.name.clone());
            row.owner_name_seen = Some(l.last_seen.clone());
        }
        if row.member_name.is_none()
            && let Some(Some(l)) = cache.get(&row.member_id)
        {
            row.member_name = Some(l.name.clone());
            row.member_name_seen = Some(l.last_seen.clone());
            row.member_known = true;
        }
    }
}

/// One row per image–member pair.
impl CsvRow for AccessRow {
    const HEADER: &'static [&'static str] = &[
        "region",
        "image_id",
        "image_name",
        "owner_id",
        "owner_name",
        "member_id",
        "member_name",
        "status",
        "created_at",
        "updated_at",
        "seen_by",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.region.as_str().into(),
            self.image_id.as_str().into(),
            optional(&self.image_name),
            self.owner_id.as_str().into(),
            optional(&self.owner_name),
            self.member_id.as_str().into(),
            optional(&self.member_name),
            self.status.as_str().into(),
            self.created_at.as_str().into(),
            self.updated_at.as_str().into(),
            optional(&self.seen_by),
        ]
    }
}
