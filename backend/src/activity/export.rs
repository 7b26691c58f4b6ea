//! CSV export of the activity log.

/// The CSV columns, in order: the fields of [`json::ActivityEvent`].
pub const CSV_HEADER: [&str; 14] = [
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
    "request_id",
];

/// The events as CSV (RFC 4180: comma-separated, quoted where needed, CRLF line ends): the
/// [`CSV_HEADER`] line, then one row per event in the order given; absent values are empty.
///
/// A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) is prefixed with `'`: image names are chosen by other
/// projects, and this file is meant to be opened in a spreadsheet.
pub fn to_csv(events: &[json::ActivityEvent]) -> anyhow::Result<String> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(CSV_HEADER)?;
    for e in events {
        let id = e.id.to_string();
        let opt = |v: &Option<String>| v.as_deref().map(defuse).unwrap_or_default();
        out.write_record([
            id.as_str(),
            &defuse(&e.at),
            &opt(&e.finished_at),
            &defuse(&e.user_id),
            &defuse(&e.user_name),
            &defuse(&e.project_id),
            &defuse(&e.project_name),
            &defuse(&e.region),
            e.action.as_str(),
            &defuse(&e.image_id),
            &opt(&e.image_name),
            &opt(&e.member_id),
            &opt(&e.outcome),
            &opt(&e.request_id),
        ])?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

/// Neutralises spreadsheet formulas ("CSV injection").
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(image_name: Option<&str>) -> json::ActivityEvent {
        json::ActivityEvent {
            id: 7,
            at: "2025-01-31T12:00:00.000000Z".into(),
            finished_at: None,
            user_id: "u1".into(),
            user_name: "Ann \"the admin\", ops".into(),
            project_id: "p1".into(),
            project_name: "demo".into(),
            region: "RegionOne".into(),
            action: json::Action::AddMember,
            image_id: "i1".into(),
            image_name: image_name.map(Into::into),
            member_id: Some("p2".into()),
            outcome: None,
            request_id: Some("req-1".into()),
        }
    }

    #[test]
    fn header_quoting_and_empty_values() {
        let csv = to_csv(&[event(Some("line1\nline2"))]).unwrap();
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next().unwrap(), CSV_HEADER.join(","));
        assert_eq!(
            csv.split_once("\r\n").unwrap().1,
            "7,2025-01-31T12:00:00.000000Z,,u1,\"Ann \"\"the admin\"\", ops\",p1,demo,RegionOne,\
             add_member,i1,\"line1\nline2\",p2,,req-1\r\n"
        );
        assert_eq!(
            to_csv(&[]).unwrap(),
            format!("{}\r\n", CSV_HEADER.join(","))
        );
    }

    #[test]
    fn formulas_are_defused() {
        let csv = to_csv(&[event(Some("=HYPERLINK(\"http://x\")"))]).unwrap();
        assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{csv}");
        let csv = to_csv(&[event(Some("-rf"))]).unwrap();
        assert!(csv.contains(",'-rf,"), "{csv}");
        assert_eq!(defuse("ubuntu-24.04"), "ubuntu-24.04");
    }
}
