//! What Glance last said of a project's membership in an image, remembered across requests
//! and sessions so that an inbox reopened asks Glance only for the memberships that changed,
//! and asked once when many inboxes of a project want it at the same moment.
//!
//! Glance's image list already tells a project which status each offer has for it; the
//! membership record adds only its dates. A remembered membership is therefore used only while
//! the list still gives it the same status, and only for a little while: long enough to spare
//! Glance a team lead's reloads, short enough that a membership removed and offered again
//! outside Glimpse (same status, new dates) is soon read afresh. Glimpse's own changes to a
//! membership update it at once.
//!
//! Nothing here widens what a token may read: a membership is keyed by Glance endpoint,
//! project and image, and served only for an image that the project's own token has just
//! listed; the project may read its own membership of it anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use quick_cache::sync::Cache;

use super::Member;
use crate::metrics;

/// How many memberships are remembered at most, a few hundred bytes each: enough for every
/// offer of some thousands of projects, and a bound on memory whatever comes.
const CAPACITY: usize = 20_000;

/// How long a remembered membership is trusted while its listed status stays the same.
const FRESH_FOR: Duration = Duration::from_secs(300);

/// Shared by every request of the process; cheap to clone.
///
/// `quick_cache` bounds the memory with a scan-resistant eviction, needs no background thread
/// and adds little to the build; it has no expiry of its own, so each entry carries its age.
/// Its own "one loader per key" guard is not used: a waiter there asks again after a loader
/// that failed, so a slow Glance would be asked in turn by every waiter; a shared future gives
/// the one answer, success or not, to all of them.
#[derive(Clone, Default)]
pub struct Memberships(Arc<Inner>);

struct Inner {
    remembered: Cache<Key, Seen>,
    /// Questions to Glance in flight, joined by whoever wants the same membership meanwhile.
    /// Weak: a question whose every asker went away is dropped, and asked anew next time.
    asking: Mutex<HashMap<Key, WeakShared<Question>>>,
}

type Question = BoxFuture<'static, Option<Member>>;

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

impl Seen {
    fn now(member: &Member) -> Self {
        Self {
            member: member.clone(),
            at: Instant::now(),
        }
    }

    fn serves(&self, listed: json::MemberStatus) -> bool {
        self.member.status == listed && self.at.elapsed() < FRESH_FOR
    }
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            remembered: Cache::new(CAPACITY),
            asking: Mutex::default(),
        }
    }
}

impl std::fmt::Debug for Memberships {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memberships")
            .field("remembered", &self.0.remembered.len())
            .finish()
    }
}

impl Memberships {
    /// `member`'s membership of `image`, for a project whose own list gives it `listed`: as
    /// remembered if it still serves, else the answer of a question to Glance already in
    /// flight, else the answer of the question `ask` makes (remembered for the next time).
    pub(super) async fn recall_or_ask<F>(
        &self,
        glance: &str,
        image: &str,
        member: &str,
        listed: json::MemberStatus,
        ask: impl FnOnce() -> F,
    ) -> Option<Member>
    where
        F: Future<Output = Option<Member>> + Send + 'static,
    {
        let key = key(glance, image, member);
        if let Some(seen) = self.0.remembered.get(&key)
            && seen.serves(listed)
        {
            metrics::inbox_membership("remembered");
            return Some(seen.member);
        }
        let question = {
            let mut asking = self.0.asking.lock().unwrap_or_else(|e| e.into_inner());
            match asking.get(&key).and_then(WeakShared::upgrade) {
                Some(question) => {
                    metrics::inbox_membership("shared");
                    question
                }
                None => {
                    metrics::inbox_membership("glance");
                    let question = self.question(key.clone(), ask());
                    asking.retain(|_, q| q.upgrade().is_some());
                    if let Some(weak) = question.downgrade() {
                        asking.insert(key, weak);
                    }
                    question
                }
            }
        };
        question.await
    }

    /// `ask`, remembering its answer and then leaving the questions in flight.
    fn question<F>(&self, key: Key, ask: F) -> Shared<Question>
    where
        F: Future<Output = Option<Member>> + Send + 'static,
    {
        let memory = self.clone();
        async move {
            let answer = ask.await;
            if let Some(member) = &answer {
                memory.0.remembered.insert(key.clone(), Seen::now(member));
            }
            let mut asking = memory.0.asking.lock().unwrap_or_else(|e| e.into_inner());
            asking.remove(&key);
            answer
        }
        .boxed()
        .shared()
    }

    pub(super) fn remember(&self, glance: &str, member: &Member) {
        let key = key(glance, &member.image_id, &member.member_id);
        self.0.remembered.insert(key, Seen::now(member));
    }

    pub(super) fn forget(&self, glance: &str, image: &str, member: &str) {
        self.0.remembered.remove(&key(glance, image, member));
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use json::MemberStatus::{Accepted, Pending};

    const GLANCE: &str = "http://glance/v2";

    fn member(image: &str, status: json::MemberStatus) -> Member {
        Member {
            member_id: "p".into(),
            image_id: image.into(),
            status,
            created_at: "2026-12-06T08:00:00Z".into(),
            updated_at: "2026-12-06T08:00:00Z".into(),
        }
    }

    /// Counts the questions that reach "Glance", each answered after `delay` with `answer`.
    #[derive(Clone, Default)]
    struct Glance(Arc<AtomicUsize>);

    impl Glance {
        fn ask(
            &self,
            answer: Option<Member>,
            delay: Duration,
        ) -> impl Future<Output = Option<Member>> + Send + 'static {
            let asked = self.0.clone();
            async move {
                asked.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                answer
            }
        }

        fn asked(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    async fn recall(m: &Memberships, g: &Glance, image: &str, listed: json::MemberStatus) {
        let answer = g.ask(Some(member(image, listed)), Duration::ZERO);
        let got = m.recall_or_ask(GLANCE, image, "p", listed, || answer).await;
        assert_eq!(got.map(|m| m.status), Some(listed));
    }

    #[tokio::test]
    async fn asked_again_only_when_the_listed_status_changed() {
        let (m, g) = (Memberships::default(), Glance::default());
        recall(&m, &g, "i", Pending).await;
        recall(&m, &g, "i", Pending).await;
        assert_eq!(g.asked(), 1);
        recall(&m, &g, "i", Accepted).await;
        assert_eq!(g.asked(), 2);
    }

    #[tokio::test]
    async fn kept_apart_by_glance_image_and_member() {
        let (m, g) = (Memberships::default(), Glance::default());
        m.remember(GLANCE, &member("i", Pending));
        let other = g.ask(None, Duration::ZERO);
        assert!(
            m.recall_or_ask("http://other/v2", "i", "p", Pending, || other)
                .await
                .is_none()
        );
        recall(&m, &g, "j", Pending).await;
        let q = g.ask(None, Duration::ZERO);
        assert!(
            m.recall_or_ask(GLANCE, "i", "q", Pending, || q)
                .await
                .is_none()
        );
        assert_eq!(g.asked(), 3);
    }

    #[tokio::test]
    async fn forgotten_when_told() {
        let (m, g) = (Memberships::default(), Glance::default());
        m.remember(GLANCE, &member("i", Pending));
        recall(&m, &g, "i", Pending).await;
        assert_eq!(g.asked(), 0, "remembered from a change");
        m.forget(GLANCE, "i", "p");
        recall(&m, &g, "i", Pending).await;
        assert_eq!(g.asked(), 1);
    }

    #[tokio::test]
    async fn asked_once_for_all_who_want_it_at_once_even_when_it_fails() {
        let (m, g) = (Memberships::default(), Glance::default());
        let slow = Duration::from_millis(50);
        let answers = futures::future::join_all(
            (0..10).map(|_| m.recall_or_ask(GLANCE, "i", "p", Pending, || g.ask(None, slow))),
        )
        .await;
        assert!(answers.iter().all(Option::is_none));
        assert_eq!(g.asked(), 1, "one question, its failure shared");
        let answers = futures::future::join_all((0..10).map(|_| {
            let answer = g.ask(Some(member("i", Pending)), slow);
            m.recall_or_ask(GLANCE, "i", "p", Pending, || answer)
        }))
        .await;
        assert!(answers.iter().all(Option::is_some));
        assert_eq!(
            g.asked(),
            2,
            "a failure is not remembered; the next answer is shared"
        );
    }

    #[tokio::test]
    async fn a_question_whose_askers_all_went_away_is_asked_anew() {
        let (m, g) = (Memberships::default(), Glance::default());
        let slow = m.recall_or_ask(GLANCE, "i", "p", Pending, || {
            g.ask(None, Duration::from_secs(60))
        });
        assert!(futures::poll!(Box::pin(slow)).is_pending());
        recall(&m, &g, "i", Pending).await;
        assert_eq!(g.asked(), 2);
    }
}
