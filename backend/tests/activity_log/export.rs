//! The CSV export.

use glimpse::activity::{ActivityLog, CSV_HEADER, EventFilter, to_csv};
use json::Action;

use super::{all, member, new_event};

/// The CSV export parses back (with the csv crate) into the same events.
pub async fn csv_export(url: String) {
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
