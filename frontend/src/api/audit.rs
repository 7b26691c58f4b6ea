//! The access audit (streamed as NDJSON by one line reader, [`ndjson`], which the copies'
//! progress shares), the activity log and the access history.

use super::*;

/// `GET /api/v1/audit/access?{query}` as NDJSON: `each` gets every message as it arrives.
/// When `each` returns false the download is cancelled and this returns at once.
pub async fn audit_stream(
    query: &str,
    mut each: impl FnMut(AuditMessage) -> bool,
) -> ApiResult<()> {
    ndjson(&format!("/audit/access?{query}"), &mut |line| {
        let line = serde_json::from_str::<StreamLine>(line).ok()?;
        // A kind of message this UI does not know yet is left out.
        Some(line.message().is_none_or(&mut each))
    })
    .await
}

/// Reads an NDJSON answer line by line as it arrives. `each` gets every non-blank line:
/// `None` when it cannot read it (the stream is then unreadable), `Some(false)` to stop
/// reading (the download is cancelled). One reader for every stream, behind a `dyn`: a
/// generic one would be compiled again for each (the UI's size budget).
pub(super) async fn ndjson(
    path: &str,
    each: &mut dyn FnMut(&str) -> Option<bool>,
) -> ApiResult<()> {
    let response = fetch("GET", path, Body::None, "application/x-ndjson").await?;
    let status = response.status();
    if !(200..300).contains(&status) {
        let text = text_of(&response).await;
        return Err(error_of(status, &text, true));
    }
    let reader: ReadableStreamDefaultReader = response
        .body()
        .ok_or_else(|| ApiError::unreadable(status))?
        .get_reader()
        .unchecked_into();
    let mut buffer: Vec<u8> = Vec::new();
    // How much of `buffer` is known to hold no newline: a long line is not scanned again
    // for every chunk of it.
    let mut scanned = 0;
    loop {
        let chunk: ReadableStreamReadResult = JsFuture::from(reader.read())
            .await
            .map_err(|_| ApiError::network())?
            .unchecked_into();
        let last = chunk.get_done().unwrap_or(true);
        if !last {
            buffer.extend(js_sys::Uint8Array::new(&chunk.get_value()).to_vec());
        } else if !buffer.is_empty() {
            buffer.push(b'\n'); // a last line without its newline
        }
        while let Some(end) = buffer[scanned..].iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=scanned + end).collect();
            scanned = 0;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let go_on = std::str::from_utf8(&line)
                .ok()
                .and_then(&mut *each)
                .ok_or_else(|| ApiError::unreadable(status))?;
            if !go_on {
                let _ = reader.cancel();
                return Ok(());
            }
        }
        if last {
            return Ok(());
        }
        scanned = buffer.len();
    }
}

/// One line of the audit stream, read flat: serde's internally tagged enums buffer every
/// message in a generic form first, which weighs ~10 KB (gzip) of wasm for nothing here.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct StreamLine {
    #[serde(rename = "type")]
    kind: String,
    done: usize,
    total: usize,
    /// The rows of a `rows` message; the count of a `done` message.
    rows: RowsField,
    failure: Option<AuditFailure>,
    failures: usize,
}

#[derive(Default)]
enum RowsField {
    #[default]
    None,
    List(Vec<AccessRow>),
    Count(usize),
}

impl<'de> Deserialize<'de> for RowsField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RowsField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("rows or a count")
            }
            fn visit_u64<E>(self, n: u64) -> Result<RowsField, E> {
                Ok(RowsField::Count(n as usize))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RowsField, A::Error> {
                let mut rows = Vec::new();
                while let Some(row) = seq.next_element()? {
                    rows.push(row);
                }
                Ok(RowsField::List(rows))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl StreamLine {
    pub(super) fn message(self) -> Option<AuditMessage> {
        Some(match (self.kind.as_str(), self.rows) {
            ("progress", _) => AuditMessage::Progress {
                done: self.done,
                total: self.total,
            },
            ("rows", RowsField::List(rows)) => AuditMessage::Rows { rows },
            ("failure", _) => AuditMessage::Failure {
                failure: self.failure?,
            },
            ("done", RowsField::Count(rows)) => AuditMessage::Done {
                rows,
                failures: self.failures,
            },
            _ => return None,
        })
    }
}

/// `GET /api/v1/audit/events?{query}`: one page of the activity log.
pub async fn list_events(query: &str) -> ApiResult<EventList> {
    call("GET", &format!("/audit/events?{query}"), Body::None).await
}

/// `GET /api/v1{path}`, read as plain JSON (see `pages/access_audit/changes.rs` for why).
pub async fn get_value(path: &str) -> ApiResult<serde_json::Value> {
    call("GET", path, Body::None).await
}

/// The query of `/audit/changes` from snapshot `from` to `to`.
pub fn changes_query(from: i64, to: i64, format: &str) -> String {
    format!("from={from}&to={to}&format={format}")
}
