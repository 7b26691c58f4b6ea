//! Keyset paging.

use std::collections::HashSet;

use glimpse::activity::{ActivityLog, EventFilter};
use json::Action;

use super::{ids, new_event, projects};

/// Keyset paging, newest first: no duplicates, no gaps, `next_before` only while more exist.
pub async fn keyset_paging(url: String) {
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
