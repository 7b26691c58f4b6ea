//! What Glance last said of a project's membership in an image, remembered across requests
//! and sessions so that an inbox reopened asks Glance only for the memberships that changed.
//!
//! Glance's image list already tells a project which status each offer has for it; the
//! membership record adds only its dates. A remembered membership is therefore used only while
//! the list still gives it the same status, and only for a little while: long enough to spare
//! Glance a team lead's reloads, short enough that a membership removed and offered again
//! outside Glimpse (same status, new dates) is soon read afresh. Glimpse's own changes to a
//! membership update it at once.
//!
//! Nothing here widens what a token may read: a remembered membership is keyed by Glance
//! endpoint, project and image, and served only for an image that the project's own token has
//! just listed; the project may read its own membership of it anyway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use super::Member;

/// How many memberships are remembered at most, a few hundred bytes each: enough for every
/// offer of some thousands of projects, and a bound on memory whatever comes.
const CAPACITY: usize = 20_000;

/// How long a remembered membership is trusted while its listed status stays the same.
const FRESH_FOR: Duration = Duration::from_secs(300);

/// Shared by every request of the process; cheap to clone.
///
/// `quick_cache` bounds the memory with a scan-resistant eviction, needs no background thread
/// and adds little to the build; it has no expiry of its own, so each entry carries its age.
#[derive(Clone)]
pub struct Memberships(Arc<Cache<Key, Seen>>);

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    /// Glance's v2 root: one cloud and region.
    glance: String,
    image: String,
    member: String,
}

#[derive(Clone)]
struct Seen {
    member: Member,
    at: Instant,
}

impl std::fmt::Debug for Memberships {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memberships")
            .field("remembered", &self.0.len())
            .finish()
    }
}

impl Default for Memberships {
    fn default() -> Self {
        Self(Arc::new(Cache::new(CAPACITY)))
    }
}

impl Memberships {
    /// `member`'s membership of `image`, if it was seen lately with the status the project's
    /// own list gives it now.
    pub(super) fn recall(
        &self,
        glance: &str,
        image: &str,
        member: &str,
        listed: json::MemberStatus,
    ) -> Option<Member> {
        let seen = self.0.get(&key(glance, image, member))?;
        (seen.member.status == listed && seen.at.elapsed() < FRESH_FOR).then_some(seen.member)
    }

    pub(super) fn remember(&self, glance: &str, member: &Member) {
        let seen = Seen {
            member: member.clone(),
            at: Instant::now(),
        };
        self.0
            .insert(key(glance, &member.image_id, &member.member_id), seen);
    }

    pub(super) fn forget(&self, glance: &str, image: &str, member: &str) {
        self.0.remove(&key(glance, image, member));
    }
}

fn key(glance: &str, image: &str, member: &str) -> Key {
    Key {
        glance: glance.to_owned(),
        image: image.to_owned(),
        member: member.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use json::MemberStatus;

    const GLANCE: &str = "http://glance/v2";

    fn member(image: &str, status: MemberStatus) -> Member {
        Member {
            member_id: "p".into(),
            image_id: image.into(),
            status,
            created_at: "2026-12-06T08:00:00Z".into(),
            updated_at: "2026-12-06T08:00:00Z".into(),
        }
    }

    #[test]
    fn recalled_only_while_the_listed_status_is_the_same() {
        let m = Memberships::default();
        m.remember(GLANCE, &member("i", MemberStatus::Pending));
        assert!(m.recall(GLANCE, "i", "p", MemberStatus::Pending).is_some());
        assert!(m.recall(GLANCE, "i", "p", MemberStatus::Accepted).is_none());
    }

    #[test]
    fn kept_apart_by_glance_image_and_member() {
        let m = Memberships::default();
        m.remember(GLANCE, &member("i", MemberStatus::Pending));
        assert!(
            m.recall("http://other/v2", "i", "p", MemberStatus::Pending)
                .is_none()
        );
        assert!(m.recall(GLANCE, "j", "p", MemberStatus::Pending).is_none());
        assert!(m.recall(GLANCE, "i", "q", MemberStatus::Pending).is_none());
    }

    #[test]
    fn forgotten_when_told() {
        let m = Memberships::default();
        m.remember(GLANCE, &member("i", MemberStatus::Pending));
        m.forget(GLANCE, "i", "p");
        assert!(m.recall(GLANCE, "i", "p", MemberStatus::Pending).is_none());
    }
}
