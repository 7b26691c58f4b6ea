//! Copies' state and their events, in either store.

use glimpse::activity::{ActivityLog, NewCopy};
use json::Action;
use time::OffsetDateTime;

use super::new_event;

/// A copy's event names both regions; its record runs, is asked to stop, ends once, and a
/// silent running copy shows as abandoned; copy events are not the reconciler's.
pub async fn copy_records(url: String) {
    let log = ActivityLog::connect(&url).await.expect("log");
    let event = log
        .begin_copy(new_event("p", Action::CopyImage, "src"), "RegionTwo")
        .await
        .expect("intent");
    log.set_copy_target(event, "dst").await.expect("target");
    let later = OffsetDateTime::now_utc() + time::Duration::minutes(1);
    assert!(
        log.unfinished(later, 10)
            .await
            .expect("unfinished")
            .is_empty(),
        "a copy settles its own event"
    );
    log.insert_copy(NewCopy {
        id: "c".into(),
        event_id: event,
        user_id: "u".into(),
        project_id: "p".into(),
        source_region: "RegionOne".into(),
        source_image_id: "src".into(),
        image_name: Some("disk".into()),
        target_region: "RegionTwo".into(),
        target_image_id: "dst".into(),
        method: "stream".into(),
        with_members: true,
        bytes_total: Some(5_000_000_000),
    })
    .await
    .expect("insert");
    assert!(
        !log.copy_progress("c", 4_000_000_000)
            .await
            .expect("progress")
    );
    assert_eq!(
        log.abandoned_copies(later).await.expect("abandoned").len(),
        1
    );
    assert!(log.request_copy_cancel("c").await.expect("cancel"));
    assert!(
        log.copy_progress("c", 4_100_000_000)
            .await
            .expect("progress")
    );
    assert!(
        log.finish_copy(
            "c",
            "cancelled",
            4_100_000_000,
            Some(("copy_cancelled", "m")),
            true
        )
        .await
        .expect("finish")
    );
    assert!(
        !log.finish_copy("c", "done", 1, None, false)
            .await
            .expect("once")
    );
    let leftovers = log.leftovers_of("p").await.expect("leftovers");
    assert_eq!(leftovers.len(), 1, "the partial image is still to delete");
    assert!(log.leftovers_of("q").await.expect("other").is_empty());
    log.clear_leftover("c").await.expect("cleared");
    assert!(log.leftovers_of("p").await.expect("none left").is_empty());
    let copy = log.copy("c").await.expect("read").expect("there");
    assert_eq!(copy.state, "cancelled");
    assert_eq!(copy.bytes_done, 4_100_000_000, "more than 32 bits");
    assert_eq!((copy.with_members, copy.leftover), (1, 0));
    assert!(copy.finished_at.is_some());
    assert!(
        log.abandoned_copies(later)
            .await
            .expect("abandoned")
            .is_empty()
    );
    assert_eq!(log.copies_of("p", 10).await.expect("list").len(), 1);

    log.finish(event, "copy_cancelled").await.expect("outcome");
    let events = log.later_on_image("src", 0).await.expect("events");
    assert_eq!(events[0].target_region.as_deref(), Some("RegionTwo"));
    assert_eq!(events[0].target_image_id.as_deref(), Some("dst"));
    log.close().await;
}
