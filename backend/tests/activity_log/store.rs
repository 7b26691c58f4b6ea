//! Writing events: intent, outcome, replicas, concurrent writers, and what reconciliation
//! reads.

use std::collections::HashSet;
use std::time::Duration;

use glimpse::activity::{ActivityLog, EventFilter, NewEvent};
use json::Action;
use time::OffsetDateTime;

use super::{all, ids, new_event, parse_time};

/// An intent recorded before the image's name was known is named with its outcome; a name
/// the intent had is kept.
pub async fn named_at_the_outcome(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let nameless = NewEvent {
        image_name: None,
        ..new_event("p-a", Action::AddMember, "img-1")
    };
    let late = log.begin(nameless.clone()).await.unwrap();
    log.finish_named(late, "ok", Some("debian-13"))
        .await
        .unwrap();
    let unknown = log.begin(nameless).await.unwrap();
    log.finish_named(unknown, "not_found", None).await.unwrap();
    let named = log
        .begin(new_event("p-a", Action::Protect, "img-2"))
        .await
        .unwrap();
    log.finish_named(named, "ok", Some("renamed since"))
        .await
        .unwrap();
    assert!(
        log.finish_named(late, "ok", Some("again")).await.is_err(),
        "an outcome is recorded once"
    );

    let events = all(&log, EventFilter::default(), &["p-a"]).await;
    let names: Vec<(i64, Option<&str>, Option<&str>)> = events
        .iter()
        .map(|e| (e.id, e.image_name.as_deref(), e.outcome.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            (named, Some("img-2-name"), Some("ok")),
            (unknown, None, Some("not_found")),
            (late, Some("debian-13"), Some("ok")),
        ]
    );
    log.close().await;
}

/// begin → finish ok; begin alone stays unfinished; a failure keeps its code.
pub async fn lifecycle(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let started = OffsetDateTime::now_utc() - Duration::from_millis(1);

    let full = NewEvent {
        user_id: "u-ann".into(),
        user_name: "Ann Admin".into(),
        project_id: "p-a".into(),
        project_name: "alpha".into(),
        region: "RegionTwo".into(),
        action: Action::AddMember,
        image_id: "9a3f1c2e-0000-4000-8000-000000000001".into(),
        image_name: Some("ubuntu-24.04, \"noble\"".into()),
        member_id: Some("p-b".into()),
        request_id: Some("req-123".into()),
    };
    let ok = log.begin(full.clone()).await.expect("begin");
    log.finish(ok, "ok").await.expect("finish");
    let unfinished = log
        .begin(new_event("p-a", Action::Protect, "img-2"))
        .await
        .unwrap();
    let failed = log
        .begin(new_event("p-a", Action::MakeShared, "img-3"))
        .await
        .unwrap();
    log.finish(failed, "member_quota_exceeded").await.unwrap();
    let ended = OffsetDateTime::now_utc() + Duration::from_millis(1);
    assert!(ok < unfinished && unfinished < failed, "ids grow");

    let events = all(&log, EventFilter::default(), &["p-a"]).await;
    assert_eq!(ids(&events), [failed, unfinished, ok], "newest first");

    let e = &events[2];
    assert_eq!(
        (
            &e.user_id,
            &e.user_name,
            &e.project_id,
            &e.project_name,
            &e.region
        ),
        (
            &full.user_id,
            &full.user_name,
            &full.project_id,
            &full.project_name,
            &full.region
        )
    );
    assert_eq!(e.action, Action::AddMember);
    assert_eq!(e.image_id, full.image_id);
    assert_eq!(e.image_name, full.image_name);
    assert_eq!(e.member_id, full.member_id);
    assert_eq!(e.request_id, full.request_id);
    assert_eq!(e.outcome.as_deref(), Some("ok"));
    let at = parse_time(&e.at);
    let finished_at = parse_time(e.finished_at.as_deref().expect("finished_at"));
    assert!(started <= at && at <= finished_at && finished_at <= ended);
    assert!(e.at.ends_with('Z'), "UTC: {}", e.at);

    let e = &events[1];
    assert_eq!(
        (e.outcome.as_deref(), e.finished_at.as_deref()),
        (None, None)
    );
    assert_eq!(
        (e.image_name.as_deref(), e.member_id.as_deref()),
        (Some("img-2-name"), None)
    );
    assert_eq!(e.request_id, None);

    let e = &events[0];
    assert_eq!(e.outcome.as_deref(), Some("member_quota_exceeded"));
    assert!(e.finished_at.is_some());

    // An outcome is recorded once, for an event that exists, and is a code.
    assert!(log.finish(ok, "forbidden").await.is_err());
    assert!(log.finish(failed + 1000, "ok").await.is_err());
    assert!(log.finish(unfinished, "").await.is_err());
    assert!(log.finish(unfinished, "not a code").await.is_err());
    let events = all(&log, EventFilter::default(), &["p-a"]).await;
    assert_eq!(events[2].outcome.as_deref(), Some("ok"));
    assert_eq!(events[1].outcome, None);
    log.close().await;
}

/// Replicas starting at once on one new database, and again later: migrations run once.
pub async fn replicas(url: String) {
    let (a, b, c) = tokio::join!(
        ActivityLog::connect(&url),
        ActivityLog::connect(&url),
        ActivityLog::connect(&url)
    );
    let (a, b) = (a.expect("first replica"), b.expect("second replica"));
    c.expect("third replica").close().await;
    let id = a
        .begin(new_event("p-a", Action::Protect, "img"))
        .await
        .unwrap();
    b.finish(id, "ok").await.unwrap();
    a.close().await;

    let c = ActivityLog::connect(&url).await.expect("a later start");
    let events = all(&c, EventFilter::default(), &["p-a"]).await;
    assert_eq!(ids(&events), [id]);
    assert_eq!(events[0].outcome.as_deref(), Some("ok"));
    let next = c
        .begin(new_event("p-a", Action::Unprotect, "img"))
        .await
        .unwrap();
    assert!(next > id);
    assert_eq!(
        ids(&all(&b, EventFilter::default(), &["p-a"]).await),
        [next, id]
    );
    b.close().await;
    c.close().await;
}

/// Many tasks, through two pools (two replicas), writing at once.
pub async fn concurrent_writers(url: String) {
    const TASKS: usize = 64;
    let first = ActivityLog::connect(&url).await.expect("connect");
    let second = ActivityLog::connect(&url).await.expect("connect again");
    let tasks = (0..TASKS).map(|i| {
        let log = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            let mut event = new_event("p-a", Action::AddMember, &format!("img-{i}"));
            event.request_id = Some(format!("req-{i}"));
            let id = log.begin(event).await.expect("begin");
            let outcome = if i % 3 == 0 { "rate_limited" } else { "ok" };
            log.finish(id, outcome).await.expect("finish");
            (id, i)
        })
    });
    let written: Vec<(i64, usize)> = futures::future::try_join_all(tasks).await.unwrap();
    let unique: HashSet<i64> = written.iter().map(|(id, _)| *id).collect();
    assert_eq!(unique.len(), TASKS, "distinct ids");

    let events = all(&first, EventFilter::default(), &["p-a"]).await;
    assert_eq!(events.len(), TASKS);
    assert!(events.windows(2).all(|w| w[0].id > w[1].id));
    for (id, i) in written {
        let e = events.iter().find(|e| e.id == id).expect("written");
        assert_eq!(e.image_id, format!("img-{i}"));
        assert_eq!(e.request_id, Some(format!("req-{i}")));
        let expected = if i % 3 == 0 { "rate_limited" } else { "ok" };
        assert_eq!(e.outcome.as_deref(), Some(expected));
    }
    let failed = all(
        &second,
        EventFilter {
            outcome: Some("failed".into()),
            ..Default::default()
        },
        &["p-a"],
    )
    .await;
    assert_eq!(failed.len(), TASKS.div_ceil(3));
    first.close().await;
    second.close().await;
}

/// What reconciliation reads: unfinished intents older than a cutoff, oldest first, and the
/// later events on an image; its outcomes are recorded like any other, once.
pub async fn unfinished_and_later(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let before_all = OffsetDateTime::now_utc() - Duration::from_secs(1);
    let done = log
        .begin(new_event("p-a", Action::Protect, "img-1"))
        .await
        .unwrap();
    log.finish(done, "ok").await.unwrap();
    let first = log
        .begin(new_event("p-a", Action::AddMember, "img-1"))
        .await
        .unwrap();
    let second = log
        .begin(new_event("p-b", Action::MakeShared, "img-2"))
        .await
        .unwrap();
    let later = log
        .begin(new_event("p-a", Action::Unprotect, "img-1"))
        .await
        .unwrap();
    let after_all = OffsetDateTime::now_utc() + Duration::from_secs(1);

    let unfinished = log.unfinished(after_all, 100).await.unwrap();
    assert_eq!(ids(&unfinished), [first, second, later], "oldest first");
    assert!(unfinished.iter().all(|e| e.outcome.is_none()));
    assert_eq!(
        ids(&log.unfinished(after_all, 2).await.unwrap()),
        [first, second]
    );
    assert!(
        log.unfinished(before_all, 100).await.unwrap().is_empty(),
        "too young"
    );

    let on_image = log.later_on_image("img-1", first).await.unwrap();
    assert_eq!(ids(&on_image), [later]);
    assert_eq!(
        ids(&log.later_on_image("img-1", done).await.unwrap()),
        [first, later]
    );
    assert!(
        log.later_on_image("img-2", second)
            .await
            .unwrap()
            .is_empty()
    );

    for (id, outcome) in [
        (first, "not_applied"),
        (second, "interrupted"),
        (later, "ok"),
    ] {
        log.finish(id, outcome)
            .await
            .expect("a reconciliation outcome");
        assert!(log.finish(id, "ok").await.is_err(), "recorded once");
    }
    assert!(log.unfinished(after_all, 100).await.unwrap().is_empty());
    let failed = all(
        &log,
        EventFilter {
            outcome: Some("failed".into()),
            ..Default::default()
        },
        &["p-a", "p-b"],
    )
    .await;
    assert_eq!(
        ids(&failed),
        [second, first],
        "not applied or interrupted: not ok"
    );
    let at = parse_time(&failed[0].at);
    let finished = parse_time(failed[0].finished_at.as_deref().expect("finished"));
    assert!(at <= finished);
    log.close().await;
}
