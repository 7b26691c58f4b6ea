//! The CSV export of a comparison: one line per changed row, through the one CSV writer.

use std::borrow::Cow;

use json::AccessChanges;

use crate::export::{CsvRow, optional, to_csv};

/// One line: what happened to the row, the row, and why.
struct Line<'a> {
    change: &'static str,
    row: &'a json::AccessChange,
}

impl CsvRow for Line<'_> {
    const HEADER: &'static [&'static str] = &[
        "change",
        "region",
        "image_id",
        "image_name",
        "owner_id",
        "owner_name",
        "member_id",
        "member_name",
        "status",
        "fields",
        "outside_glimpse",
        "event_ids",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        let r = self.row;
        let fields = r
            .fields
            .iter()
            .map(|f| format!("{}: {} -> {}", f.field.as_str(), f.before, f.after))
            .collect::<Vec<_>>()
            .join("; ");
        let events = r
            .events
            .iter()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            self.change.into(),
            r.region.as_str().into(),
            r.image_id.as_str().into(),
            optional(&r.image_name),
            r.owner_id.as_str().into(),
            optional(&r.owner_name),
            r.member_id.as_str().into(),
            optional(&r.member_name),
            r.status.as_str().into(),
            fields.into(),
            r.outside_glimpse.to_string().into(),
            events.into(),
        ]
    }
}

/// The added, removed and changed rows as CSV.
pub fn changes_csv(changes: &AccessChanges) -> Result<String, csv::Error> {
    let lines: Vec<Line<'_>> = [
        ("added", &changes.added),
        ("removed", &changes.removed),
        ("changed", &changes.changed),
    ]
    .into_iter()
    .flat_map(|(change, rows)| rows.iter().map(move |row| Line { change, row }))
    .collect();
    to_csv(&lines)
}
