use super::*;

#[test]
fn stamps_are_fixed_width_utc() {
    let t = OffsetDateTime::parse(
        "2025-01-31T23:30:00.1234567-01:00",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(stamp(t), "2025-02-01T00:30:00.123456Z");
}

#[tokio::test]
async fn in_memory_and_plain_path() {
    let log = ActivityLog::connect("sqlite::memory:").await.unwrap();
    let id = log.begin(event()).await.unwrap();
    log.finish(id, "ok").await.unwrap();
    assert!(log.finish(id, "ok").await.is_err(), "never overwritten");
    assert!(log.finish(id + 1, "ok").await.is_err(), "no such event");
    assert!(log.finish(id, "failed").await.is_err(), "reserved");
    assert!(log.finish(id, "Not Found").await.is_err());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/activity.db");
    let log = ActivityLog::connect(path.to_str().unwrap()).await.unwrap();
    assert_eq!(log.store(), "sqlite");
    log.begin(event()).await.unwrap();
    assert!(path.is_file());
    let Pool::Sqlite(pool) = &log.pool else {
        unreachable!()
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(synchronous, 2, "FULL");
    log.close().await;

    assert!(ActivityLog::connect("mysql://x/y").await.is_err());
}

#[tokio::test]
async fn bad_filter_is_a_filter_error() {
    let log = ActivityLog::connect("sqlite::memory:").await.unwrap();
    let err = log
        .query(
            &EventFilter {
                from: Some("nope".into()),
                ..Default::default()
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Filter(FilterError { field: "from", .. })),
        "{err}"
    );
}

fn event() -> NewEvent {
    NewEvent {
        user_id: "u".into(),
        user_name: "user".into(),
        project_id: "p".into(),
        project_name: "project".into(),
        region: "RegionOne".into(),
        action: json::Action::Protect,
        image_id: "i".into(),
        image_name: None,
        member_id: None,
        request_id: None,
    }
}
