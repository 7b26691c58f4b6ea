//! The activity log's store (`glimpse::activity`), with no dev cloud: every test body below runs
//! twice, against a fresh SQLite file and against a fresh schema of a real PostgreSQL
//! (`GLIMPSE_TEST_POSTGRES_URL`, by default `postgres://postgres@127.0.0.1:5432/test`). A
//! missing PostgreSQL fails these tests: support that is claimed is tested for real.

use std::collections::HashSet;
use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};
use std::time::Duration;

use futures::FutureExt;
use glimpse::activity::{
    ActivityLog, CSV_HEADER, EventFilter, FilterError, MAX_LIMIT, NewEvent, to_csv,
};
use json::{Action, ActivityEvent};
use sqlx::Connection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Runs each named `async fn(url: String)` once per store, as `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::on_sqlite(super::$name).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::on_postgres(super::$name).await
            }
        }
    )*};
}

on_both_stores!(
    lifecycle,
    filters,
    visibility,
    paging,
    csv_export,
    replicas,
    concurrent_writers,
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

/// A new schema `glimpse_test_<random>`, first on the search path of every connection made
/// with the URL the body gets, and dropped afterwards (also when the body panics).
async fn on_postgres<F, Fut>(body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let base =
        std::env::var("GLIMPSE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("no PostgreSQL at {base} (set GLIMPSE_TEST_POSTGRES_URL): {e}"));
    let schema = format!("glimpse_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create the test schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");

    let outcome = AssertUnwindSafe(body(url)).catch_unwind().await;

    let dropped = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
    if let Err(panic) = outcome {
        resume_unwind(panic);
    }
    dropped.expect("drop the test schema");
}

// ------------------------------------------------------------------------------------ helpers

fn new_event(project_id: &str, action: Action, image_id: &str) -> NewEvent {
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

fn member(mut event: NewEvent, member_id: &str) -> NewEvent {
    event.member_id = Some(member_id.into());
    event
}

fn by(mut event: NewEvent, user_id: &str, user_name: &str) -> NewEvent {
    event.user_id = user_id.into();
    event.user_name = user_name.into();
    event
}

fn projects(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn ids(events: &[ActivityEvent]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

/// Every visible event matching `filter` (one page of the maximum size).
async fn all(log: &ActivityLog, filter: EventFilter, visible: &[&str]) -> Vec<ActivityEvent> {
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

fn parse_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
}

// -------------------------------------------------------------------------------------- tests

/// begin → finish ok; begin alone stays unfinished; a failure keeps its code.
async fn lifecycle(url: String) {
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

/// Every filter, alone and together; invalid values are `FilterError`s.
async fn filters(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let add = |e: NewEvent, outcome: Option<&'static str>| {
        let log = log.clone();
        async move {
            let id = log.begin(e).await.unwrap();
            if let Some(outcome) = outcome {
                log.finish(id, outcome).await.unwrap();
            }
            id
        }
    };
    let e1 = add(new_event("p-a", Action::MakeShared, "img-1"), Some("ok")).await;
    let e2 = add(
        member(new_event("p-a", Action::AddMember, "img-1"), "p-b"),
        Some("ok"),
    )
    .await;
    let e3 = add(
        by(
            member(new_event("p-b", Action::Accept, "img-1"), "p-b"),
            "u-bob",
            "bob",
        ),
        Some("ok"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let e4 = add(
        by(new_event("p-b", Action::Protect, "img-2"), "u-bob", "bob"),
        Some("forbidden"),
    )
    .await;
    let e5 = add(
        member(new_event("p-a", Action::RemoveMember, "img-1"), "p-b"),
        None,
    )
    .await;
    let e6 = add(
        member(new_event("p-a", Action::AddMember, "img-1"), "p-c"),
        Some("already_member"),
    )
    .await;

    let visible = ["p-a", "p-b"];
    let check = |filter: EventFilter, expected: Vec<i64>| {
        let log = log.clone();
        async move {
            let got = ids(&all(&log, filter.clone(), &visible).await);
            assert_eq!(got, expected, "{filter:?}");
        }
    };
    let f = EventFilter::default;
    let s = |v: &str| Some(v.to_owned());

    check(f(), vec![e6, e5, e4, e3, e2, e1]).await;

    // Time range: `from` inclusive, `to` exclusive, any offset.
    let at4 = all(&log, f(), &visible).await[2].at.clone();
    let at4_in_paris = parse_time(&at4)
        .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap())
        .format(&Rfc3339)
        .unwrap();
    assert!(at4_in_paris.ends_with("+02:00"));
    check(
        EventFilter {
            from: s(&at4),
            ..f()
        },
        vec![e6, e5, e4],
    )
    .await;
    check(
        EventFilter {
            to: s(&at4_in_paris),
            ..f()
        },
        vec![e3, e2, e1],
    )
    .await;
    check(
        EventFilter {
            from: s(&at4_in_paris),
            to: s(&at4),
            ..f()
        },
        vec![],
    )
    .await;
    check(
        EventFilter {
            from: s("2000-01-01T00:00:00Z"),
            to: s("2999-01-01T00:00:00Z"),
            ..f()
        },
        vec![e6, e5, e4, e3, e2, e1],
    )
    .await;

    // User by id or name.
    check(
        EventFilter {
            user: s("u-bob"),
            ..f()
        },
        vec![e4, e3],
    )
    .await;
    check(
        EventFilter {
            user: s("ann"),
            ..f()
        },
        vec![e6, e5, e2, e1],
    )
    .await;

    // Project by id or name: the acting project, or the member project.
    check(
        EventFilter {
            project: s("p-a-name"),
            ..f()
        },
        vec![e6, e5, e2, e1],
    )
    .await;
    check(
        EventFilter {
            project: s("p-b"),
            ..f()
        },
        vec![e5, e4, e3, e2],
    )
    .await;
    check(
        EventFilter {
            project: s("p-c"),
            ..f()
        },
        vec![e6],
    )
    .await;

    check(
        EventFilter {
            image: s("img-2"),
            ..f()
        },
        vec![e4],
    )
    .await;
    check(
        EventFilter {
            action: Some(Action::AddMember),
            ..f()
        },
        vec![e6, e2],
    )
    .await;
    check(
        EventFilter {
            action: Some(Action::SetPending),
            ..f()
        },
        vec![],
    )
    .await;

    // Outcomes.
    for (outcome, expected) in [
        ("ok", vec![e3, e2, e1]),
        ("unfinished", vec![e5]),
        ("failed", vec![e6, e4]),
        ("forbidden", vec![e4]),
        ("already_member", vec![e6]),
        ("not_found", vec![]),
    ] {
        check(
            EventFilter {
                outcome: s(outcome),
                ..f()
            },
            expected,
        )
        .await;
    }

    // Together, with `before`.
    check(
        EventFilter {
            user: s("u-ann"),
            project: s("p-a"),
            action: Some(Action::AddMember),
            outcome: s("failed"),
            image: s("img-1"),
            from: s(&at4),
            ..f()
        },
        vec![e6],
    )
    .await;
    check(
        EventFilter {
            user: s("ann"),
            before: Some(e5),
            ..f()
        },
        vec![e2, e1],
    )
    .await;

    // Blank values are absent; values are bound, never spliced into SQL.
    check(
        EventFilter {
            user: s("  "),
            from: s(""),
            ..f()
        },
        vec![e6, e5, e4, e3, e2, e1],
    )
    .await;
    check(
        EventFilter {
            user: s("x' OR '1'='1"),
            ..f()
        },
        vec![],
    )
    .await;
    check(
        EventFilter {
            project: s("p-a') OR 1=1 --"),
            ..f()
        },
        vec![],
    )
    .await;

    // Invalid filters.
    for (filter, field) in [
        (
            EventFilter {
                from: s("yesterday"),
                ..f()
            },
            "from",
        ),
        (
            EventFilter {
                to: s("2025-13-01T00:00:00Z"),
                ..f()
            },
            "to",
        ),
        (
            EventFilter {
                from: s("2025-02-01T00:00:00Z"),
                to: s("2025-01-01T00:00:00Z"),
                ..f()
            },
            "to",
        ),
        (
            EventFilter {
                outcome: s("DROP TABLE"),
                ..f()
            },
            "outcome",
        ),
        (
            EventFilter {
                limit: Some(0),
                ..f()
            },
            "limit",
        ),
        (
            EventFilter {
                before: Some(-1),
                ..f()
            },
            "before",
        ),
    ] {
        assert_eq!(
            filter.validate().map_err(|e| e.field),
            Err(field),
            "{filter:?}"
        );
        let err = log
            .query(&filter, &projects(&visible))
            .await
            .expect_err("invalid filter");
        assert_eq!(
            err.downcast_ref::<FilterError>().map(|e| e.field),
            Some(field),
            "{err:#}"
        );
    }
    log.close().await;
}

/// A user sees the events of their projects, and those done to their projects' memberships.
async fn visibility(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let a_shares_with_b = log
        .begin(member(new_event("p-a", Action::AddMember, "img-a"), "p-b"))
        .await
        .unwrap();
    let c_alone = log
        .begin(new_event("p-c", Action::MakeShared, "img-c"))
        .await
        .unwrap();
    let c_shares_with_b = log
        .begin(member(new_event("p-c", Action::AddMember, "img-c"), "p-b"))
        .await
        .unwrap();
    let c_shares_with_d = log
        .begin(member(new_event("p-c", Action::AddMember, "img-c"), "p-d"))
        .await
        .unwrap();
    let b_accepts = log
        .begin(member(new_event("p-b", Action::Accept, "img-c"), "p-b"))
        .await
        .unwrap();
    let c_protects = log
        .begin(new_event("p-c", Action::Protect, "img-c"))
        .await
        .unwrap();

    let seen = |visible: &'static [&'static str], filter: EventFilter| {
        let log = log.clone();
        async move { ids(&all(&log, filter, visible).await) }
    };
    let f = EventFilter::default;
    assert_eq!(
        seen(&["p-b"], f()).await,
        [b_accepts, c_shares_with_b, a_shares_with_b]
    );
    assert_eq!(
        seen(&["p-c"], f()).await,
        [c_protects, c_shares_with_d, c_shares_with_b, c_alone]
    );
    assert_eq!(seen(&["p-d"], f()).await, [c_shares_with_d]);
    assert_eq!(seen(&["p-a"], f()).await, [a_shares_with_b]);
    assert_eq!(seen(&["p-z"], f()).await, Vec::<i64>::new());
    assert_eq!(seen(&[], f()).await, Vec::<i64>::new());
    assert_eq!(
        seen(&["p-b", "p-b", "p-d"], f()).await,
        [b_accepts, c_shares_with_d, c_shares_with_b, a_shares_with_b]
    );
    // Filters never widen what is visible.
    let only_c = || EventFilter {
        project: Some("p-c".into()),
        ..f()
    };
    assert_eq!(seen(&["p-b"], only_c()).await, [c_shares_with_b]);
    assert_eq!(
        seen(
            &["p-b"],
            EventFilter {
                image: Some("img-c".into()),
                ..f()
            }
        )
        .await,
        [b_accepts, c_shares_with_b]
    );
    assert_eq!(seen(&["p-a"], only_c()).await, Vec::<i64>::new());
    log.close().await;
}

/// Keyset paging, newest first: no duplicates, no gaps, `next_before` only while more exist.
async fn paging(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let mut visible_ids = Vec::new();
    let mut accepts = Vec::new();
    for i in 0..30 {
        let (project, action) = match i % 6 {
            0 => ("p-c", Action::Protect), // invisible
            1 | 4 => ("p-a", Action::Accept),
            _ => ("p-b", Action::MakePrivate),
        };
        let id = log.begin(new_event(project, action, "img")).await.unwrap();
        if project != "p-c" {
            visible_ids.push(id);
            if action == Action::Accept {
                accepts.push(id);
            }
        }
    }
    visible_ids.reverse();
    accepts.reverse();
    assert_eq!(visible_ids.len(), 25);
    let visible = projects(&["p-a", "p-b"]);

    let pages = |filter: EventFilter, limit: u32| {
        let (log, visible) = (log.clone(), visible.clone());
        async move {
            let mut got = Vec::new();
            let mut before = None;
            let mut pages = 0;
            loop {
                let page = log
                    .query(
                        &EventFilter {
                            before,
                            limit: Some(limit),
                            ..filter.clone()
                        },
                        &visible,
                    )
                    .await
                    .unwrap();
                pages += 1;
                assert!(page.events.len() <= limit as usize);
                got.extend(ids(&page.events));
                match page.next_before {
                    Some(next) => {
                        assert_eq!(page.events.len(), limit as usize, "only full pages go on");
                        assert_eq!(Some(next), page.events.last().map(|e| e.id));
                        before = Some(next);
                    }
                    None => break,
                }
                assert!(pages < 100, "paging must end");
            }
            (got, pages)
        }
    };

    for (limit, expected_pages) in [(7, 4), (5, 5), (1, 25), (24, 2), (25, 1), (26, 1)] {
        let (got, pages) = pages(EventFilter::default(), limit).await;
        assert_eq!(got, visible_ids, "limit {limit}");
        assert_eq!(pages, expected_pages, "limit {limit}");
    }
    // Ids strictly decrease: newest first, no duplicates.
    assert!(visible_ids.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(
        visible_ids.iter().collect::<HashSet<_>>().len(),
        visible_ids.len()
    );

    // Paging a filtered list.
    let (got, _) = pages(
        EventFilter {
            action: Some(Action::Accept),
            ..Default::default()
        },
        3,
    )
    .await;
    assert_eq!(got, accepts);

    // The default limit, and a limit above the maximum, are not errors.
    let page = log.query(&EventFilter::default(), &visible).await.unwrap();
    assert_eq!(
        (ids(&page.events), page.next_before),
        (visible_ids.clone(), None)
    );
    let page = log
        .query(
            &EventFilter {
                limit: Some(1_000_000),
                ..Default::default()
            },
            &visible,
        )
        .await
        .unwrap();
    assert_eq!(page.events.len(), 25);

    // A page before the oldest event is empty.
    let page = log
        .query(
            &EventFilter {
                before: visible_ids.last().copied(),
                ..Default::default()
            },
            &visible,
        )
        .await
        .unwrap();
    assert_eq!(page, json::EventList::default());
    log.close().await;
}

/// The CSV export parses back (with the csv crate) into the same events.
async fn csv_export(url: String) {
    let log = ActivityLog::connect(&url).await.expect("connect");
    let names = [
        "plain",
        "comma, \"quotes\" and\nnewline",
        "ünïcødé 🚀",
        "=HYPERLINK(\"http://evil\")",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut event = member(new_event("p-a", Action::AddMember, "img"), "p-b");
        event.image_name = Some(name.to_string());
        event.request_id = (i % 2 == 0).then(|| format!("req-{i}"));
        let id = log.begin(event).await.unwrap();
        if i != 1 {
            log.finish(id, if i == 2 { "forbidden" } else { "ok" })
                .await
                .unwrap();
        }
    }
    let mut nameless = new_event("p-a", Action::Protect, "img-2"); // no image name, no member
    nameless.image_name = None;
    log.begin(nameless).await.unwrap();
    let events = all(&log, EventFilter::default(), &["p-a"]).await;
    assert_eq!(events.len(), 5);

    let text = to_csv(&events).expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "at",
            "finished_at",
            "user_id",
            "user_name",
            "project_id",
            "project_name",
            "region",
            "action",
            "image_id",
            "image_name",
            "member_id",
            "outcome",
            "request_id"
        ]
    );
    assert_eq!(header, CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), events.len());
    for (row, e) in rows.iter().zip(&events) {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let image_name = match e.image_name.as_deref() {
            Some(n) if n.starts_with('=') => format!("'{n}"), // defused formula
            other => other.unwrap_or_default().to_owned(),
        };
        let expected = [
            e.id.to_string(),
            e.at.clone(),
            opt(&e.finished_at),
            e.user_id.clone(),
            e.user_name.clone(),
            e.project_id.clone(),
            e.project_name.clone(),
            e.region.clone(),
            e.action.as_str().to_owned(),
            e.image_id.clone(),
            image_name,
            opt(&e.member_id),
            opt(&e.outcome),
            opt(&e.request_id),
        ];
        assert_eq!(row.iter().collect::<Vec<_>>(), expected, "event {}", e.id);
    }
    assert_eq!(&rows[0][10], "", "no image name");
    assert_eq!(&rows[1][10], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[3][10], "comma, \"quotes\" and\nnewline");
    assert_eq!(&rows[3][12], "", "unfinished");
    assert_eq!(&rows[2][12], "forbidden");
    log.close().await;
}

/// Replicas starting at once on one new database, and again later: migrations run once.
async fn replicas(url: String) {
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
async fn concurrent_writers(url: String) {
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
