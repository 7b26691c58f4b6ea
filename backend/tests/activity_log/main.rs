//! The activity log's store (`glimpse::activity`) and the reconciliation of unfinished
//! changes without a credential, with no dev cloud: every test body runs twice, against a
//! fresh SQLite file and against a fresh schema of the machine's real PostgreSQL
//! (`glimpse_tests::postgres`). A missing PostgreSQL fails these tests: support that is
//! claimed is tested for real.

mod copies;
mod export;
mod filters;
mod paging;
mod reconcile;
mod snapshots;
mod store;

use std::future::Future;

use glimpse::activity::{ActivityLog, EventFilter, MAX_LIMIT, NewEvent};
use json::{Action, ActivityEvent};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Runs each named `async fn(url: String)` once per store, as `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! on_both_stores {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::on_sqlite(super::$module::$name).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                glimpse_tests::postgres::with_schema(super::$module::$name).await
            }
        }
    )*};
}

on_both_stores!(
    copies::copy_records,
    store::lifecycle,
    store::named_at_the_outcome,
    store::replicas,
    store::concurrent_writers,
    store::unfinished_and_later,
    filters::every_filter,
    filters::visibility,
    paging::keyset_paging,
    export::csv_export,
    reconcile::without_a_credential_unfinished_changes_are_interrupted,
    snapshots::snapshots_and_retention,
    snapshots::changes_explained,
    snapshots::ten_thousand_rows,
);

/// A new SQLite file in a temporary folder, removed afterwards.
async fn on_sqlite<F, Fut>(body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("activity.db").display());
    body(url).await;
}

// ------------------------------------------------------------------------------------ helpers

pub fn new_event(project_id: &str, action: Action, image_id: &str) -> NewEvent {
    NewEvent {
        user_id: "u-ann".into(),
        user_name: "ann".into(),
        project_id: project_id.into(),
        project_name: format!("{project_id}-name"),
        region: "RegionOne".into(),
        action,
        image_id: image_id.into(),
        image_name: Some(format!("{image_id}-name")),
        member_id: None,
        request_id: None,
    }
}

pub fn member(mut event: NewEvent, member_id: &str) -> NewEvent {
    event.member_id = Some(member_id.into());
    event
}

pub fn by(mut event: NewEvent, user_id: &str, user_name: &str) -> NewEvent {
    event.user_id = user_id.into();
    event.user_name = user_name.into();
    event
}

pub fn projects(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

pub fn ids(events: &[ActivityEvent]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

/// Every visible event matching `filter` (one page of the maximum size).
pub async fn all(log: &ActivityLog, filter: EventFilter, visible: &[&str]) -> Vec<ActivityEvent> {
    let list = log
        .query(
            &EventFilter {
                limit: Some(MAX_LIMIT),
                ..filter
            },
            &projects(visible),
        )
        .await
        .expect("query");
    assert_eq!(list.next_before, None);
    list.events
}

pub fn parse_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
}
