//! The activity log's CSV columns (written by the one CSV writer, [`crate::export`]).

use std::borrow::Cow;

use crate::export::{CsvRow, optional};

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

impl CsvRow for json::ActivityEvent {
    const HEADER: &'static [&'static str] = &CSV_HEADER;

    fn cells(&self) -> Vec<Cow<'_, str>> {
        vec![
            self.id.to_string().into(),
            self.at.as_str().into(),
            optional(&self.finished_at),
            self.user_id.as_str().into(),
            self.user_name.as_str().into(),
            self.project_id.as_str().into(),
            self.project_name.as_str().into(),
            self.region.as_str().into(),
            self.action.as_str().into(),
            self.image_id.as_str().into(),
            optional(&self.image_name),
            optional(&self.member_id),
            optional(&self.outcome),
            optional(&self.request_id),
        ]
    }
}

/// The events as CSV: the [`CSV_HEADER`] line, then one row per event in the order given.
pub fn to_csv(events: &[json::ActivityEvent]) -> Result<String, csv::Error> {
    crate::export::to_csv(events)
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
            target_region: None,
            target_image_id: None,
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
    }
}
