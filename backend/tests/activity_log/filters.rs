//! Filters, alone and together, and who sees which events.

use std::time::Duration;

use glimpse::activity::{ActivityLog, Error, EventFilter, NewEvent};
use json::Action;
use time::format_description::well_known::Rfc3339;

use super::{all, by, ids, member, new_event, parse_time, projects};

/// Every filter, alone and together; invalid values are `FilterError`s.
pub async fn every_filter(url: String) {
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
        match err {
            Error::Filter(e) => assert_eq!(e.field, field),
            other => panic!("{filter:?}: not a filter error: {other}"),
        }
    }
    log.close().await;
}

/// A user sees the events of their projects, and those done to their projects' memberships.
pub async fn visibility(url: String) {
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
