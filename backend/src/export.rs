//! The one CSV writer of every export (the activity log, the access audit).
//!
//! Exports are meant to be opened in a spreadsheet, and their cells hold names chosen by other
//! projects (anyone can share an image with you and name it `=HYPERLINK(…)`). A spreadsheet
//! runs a cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return before
//! one) as a formula, so every text cell that begins with one of them is written with a
//! leading `'`, which spreadsheets show as text ("CSV injection", OWASP). The writer does it
//! for every cell of every row, so that no export, and no new column, can forget it.

use std::borrow::Cow;

/// A type that is exported as one CSV row.
pub trait CsvRow {
    /// The column names, in order.
    const HEADER: &'static [&'static str];

    /// The row's cells, in the order of [`HEADER`](Self::HEADER); an absent value is empty.
    fn cells(&self) -> Vec<Cow<'_, str>>;
}

/// `rows` as CSV (RFC 4180: comma-separated, quoted where needed, CRLF line ends): the header
/// line, then one line per row, every cell neutralised (see the module documentation).
pub fn to_csv<'a, R: CsvRow + 'a>(
    rows: impl IntoIterator<Item = &'a R>,
) -> Result<String, csv::Error> {
    let mut bytes = header::<R>()?;
    bytes.extend(lines(rows)?);
    // Every cell was a `str`: the bytes are UTF-8, taken as they are (no second copy).
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The header line alone, for an export written a part at a time.
pub fn header<R: CsvRow>() -> Result<Vec<u8>, csv::Error> {
    let mut out = writer();
    out.write_record(R::HEADER)?;
    into_bytes(out)
}

/// `rows` as CSV lines, without the header: a part of an export written a part at a time.
pub fn lines<'a, R: CsvRow + 'a>(
    rows: impl IntoIterator<Item = &'a R>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = writer();
    for row in rows {
        let cells: Vec<Cow<'_, str>> = row.cells().into_iter().map(defuse).collect();
        out.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    into_bytes(out)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn into_bytes(out: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Characters that make a spreadsheet read a cell as a formula when it begins with one; the
/// full-width forms too, which some spreadsheets (in East Asian locales) treat alike.
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// The cell as a spreadsheet shows it but never runs it.
fn defuse(cell: Cow<'_, str>) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        cell
    }
}

/// An optional value as a cell: empty when absent.
pub fn optional(value: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(value.as_deref().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, Option<&'static str>);

    impl CsvRow for Row {
        const HEADER: &'static [&'static str] = &["name", "note"];
        fn cells(&self) -> Vec<Cow<'_, str>> {
            vec![self.0.into(), self.1.unwrap_or_default().into()]
        }
    }

    #[test]
    fn header_quoting_and_line_ends() {
        let csv = to_csv(&[Row("a, \"b\"", None), Row("line1\nline2", Some("x"))]).unwrap();
        assert_eq!(
            csv,
            "name,note\r\n\"a, \"\"b\"\"\",\r\n\"line1\nline2\",x\r\n"
        );
        assert_eq!(to_csv::<Row>(&[]).unwrap(), "name,note\r\n");
        // Written a part at a time, it is the same text.
        let rows = [Row("a, \"b\"", None), Row("line1\nline2", Some("x"))];
        let mut parts = header::<Row>().unwrap();
        parts.extend(lines(&rows[..1]).unwrap());
        parts.extend(lines(&rows[1..]).unwrap());
        assert_eq!(parts, csv.as_bytes());
    }

    #[test]
    fn every_formula_start_is_defused_in_every_column() {
        for start in FORMULA_STARTS {
            let cell: &'static str = Box::leak(format!("{start}HYPERLINK(\"http://x/\")").into());
            let csv = to_csv(&[Row("plain", Some(cell)), Row(cell, None)]).unwrap();
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            for record in reader.records() {
                for value in record.unwrap().iter() {
                    assert!(!value.starts_with(FORMULA_STARTS), "{value:?} in {csv:?}");
                }
            }
        }
        assert_eq!(defuse("ubuntu-24.04".into()), "ubuntu-24.04");
        assert_eq!(defuse("-rf".into()), "'-rf");
        assert_eq!(defuse("".into()), "");
    }
}
