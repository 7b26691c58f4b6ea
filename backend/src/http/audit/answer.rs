//! The audit's answer in each format, written as the audit runs and bounded by its deadline
//! (`audit_timeout_secs`), never by `request_timeout_secs`: the headers go out at once, so a
//! 10,000-image audit that takes minutes is an answer in progress, not a request that hangs.
//!
//! - NDJSON: every message as it comes.
//! - JSON and CSV: sorted, so written once the audit is done; until then JSON writes a space
//!   now and then (whitespace before a JSON value is still JSON), so that a proxy sees the
//!   answer alive and a client that went away is noticed by the failed write. An audit cut at
//!   its deadline is, in JSON, what it found with a failure saying so; a CSV has no place to
//!   say it, so its body is broken off and the download fails rather than pass for whole.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, stream};
use json::{AccessAudit, AuditFailure, AuditMessage};
use tokio::time::Instant;

use super::Recording;
use crate::audit::{self, Messages};
use crate::http::error::Error;

/// While the audit has nothing new to say, the answer says something this often (NDJSON its
/// progress again, JSON a space).
const HEARTBEAT: Duration = Duration::from_millis(500);
/// JSON and CSV rows written per chunk: a 30,000-row answer is never one 16 MB string.
const ROWS_PER_CHUNK: usize = 500;

type Chunk = Result<Bytes, std::io::Error>;

/// What the bodies are written from.
enum Paced {
    /// A message of the audit, or its last progress again after a quiet `HEARTBEAT`.
    Message(AuditMessage),
    /// The deadline came first: the audit was stopped (and, stopped, it is no snapshot).
    Stopped {
        failure: AuditFailure,
        rows: usize,
        failures: usize,
    },
}

/// The audit's messages, each seen by the snapshot's recorder, paced by the heartbeat and
/// stopped at `deadline`.
fn paced(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Paced> {
    struct State {
        messages: Messages,
        recording: Option<Recording>,
        progress: AuditMessage,
        rows: usize,
        failures: usize,
    }
    let state = State {
        messages,
        recording,
        progress: AuditMessage::Progress { done: 0, total: 0 },
        rows: 0,
        failures: 0,
    };
    stream::unfold(Some(state), move |st| async move {
        let mut st = st?;
        tokio::select! {
            message = st.messages.next() => {
                let message = message?;
                if let Some(r) = &mut st.recording {
                    r.see(&message).await;
                }
                match &message {
                    AuditMessage::Progress { .. } => st.progress = message.clone(),
                    AuditMessage::Rows { rows } => st.rows += rows.len(),
                    AuditMessage::Failure { .. } => st.failures += 1,
                    AuditMessage::Done { .. } => {}
                }
                Some((Paced::Message(message), Some(st)))
            }
            () = tokio::time::sleep(HEARTBEAT) => {
                Some((Paced::Message(st.progress.clone()), Some(st)))
            }
            // Dropping the state drops the messages: the audit stops.
            () = tokio::time::sleep_until(deadline) => {
                let error = Error::UpstreamTimeout(format!(
                    "The audit took longer than {} seconds and was stopped: what is above is only part of it.",
                    timeout.as_secs()
                ));
                let failure = AuditFailure {
                    region: None,
                    project_id: None,
                    project_name: None,
                    error: error.body(),
                };
                Some((Paced::Stopped { failure, rows: st.rows, failures: st.failures }, None))
            }
        }
    })
}

/// One `AuditMessage` per line, as they come; stopped, the deadline's failure, then `done`.
pub(super) fn ndjson(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Chunk> {
    paced(messages, recording, deadline, timeout).map(|paced| {
        let lines = match paced {
            Paced::Message(message) => vec![message],
            Paced::Stopped {
                failure,
                rows,
                failures,
            } => vec![
                AuditMessage::Failure { failure },
                AuditMessage::Done {
                    rows,
                    failures: failures + 1,
                },
            ],
        };
        let mut bytes = Vec::new();
        for line in lines {
            // Our own types: serializing them to memory cannot fail.
            if serde_json::to_writer(&mut bytes, &line).is_ok() {
                bytes.push(b'\n');
            }
        }
        Ok(Bytes::from(bytes))
    })
}

/// `json::AccessAudit`, sorted; spaces while the audit runs.
pub(super) fn json(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Chunk> {
    gathered(paced(messages, recording, deadline, timeout)).flat_map(|gathered| match gathered {
        Gathered::Waiting => stream::iter(vec![Ok(Bytes::from_static(b" "))]).left_stream(),
        Gathered::Whole { audit, .. } => stream::iter(json_chunks(audit)).right_stream(),
    })
}

/// The rows as CSV, sorted: the header line at once, the rows once the audit is done.
pub(super) fn csv(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Chunk> {
    let header = crate::export::header::<json::AccessRow>().map(Bytes::from);
    let rows =
        gathered(paced(messages, recording, deadline, timeout)).flat_map(
            |gathered| match gathered {
                Gathered::Waiting => stream::iter(Vec::new()).left_stream(),
                Gathered::Whole { stopped: true, .. } => stream::iter(vec![Err(
                    std::io::Error::other("the audit was stopped at its deadline"),
                )])
                .left_stream(),
                Gathered::Whole { audit, .. } => {
                    stream::iter(csv_chunks(audit.rows)).right_stream()
                }
            },
        );
    stream::once(async move { header.map_err(std::io::Error::other) }).chain(rows)
}

/// The audit gathered for JSON and CSV.
enum Gathered {
    /// Still running; at most once per `HEARTBEAT`.
    Waiting,
    /// Done, or `stopped` at its deadline; the rows sorted.
    Whole { audit: AccessAudit, stopped: bool },
}

fn gathered(paced: impl Stream<Item = Paced> + Send + 'static) -> impl Stream<Item = Gathered> {
    let state = (paced.boxed(), AccessAudit::default(), Instant::now());
    stream::unfold(Some(state), |state| async move {
        let (mut paced, mut audit, mut said) = state?;
        let mut stopped = false;
        while let Some(p) = paced.next().await {
            match p {
                Paced::Message(AuditMessage::Rows { rows }) => audit.rows.extend(rows),
                Paced::Message(AuditMessage::Failure { failure }) => audit.failures.push(failure),
                Paced::Message(AuditMessage::Progress { .. }) if said.elapsed() >= HEARTBEAT => {
                    said = Instant::now();
                    return Some((Gathered::Waiting, Some((paced, audit, said))));
                }
                Paced::Message(_) => {}
                Paced::Stopped { failure, .. } => {
                    audit.failures.push(failure);
                    stopped = true;
                }
            }
        }
        audit::sort_rows(&mut audit.rows);
        Some((Gathered::Whole { audit, stopped }, None))
    })
}

/// The JSON answer, a few hundred rows per chunk: the rows are not held a second time as one
/// string.
fn json_chunks(audit: AccessAudit) -> impl Iterator<Item = Chunk> {
    let AccessAudit { rows, failures } = audit;
    let mut rows = rows.into_iter().peekable();
    let mut chunk = b"{\"rows\":[".to_vec();
    let mut failures = Some(failures);
    std::iter::from_fn(move || {
        let failures_left = failures.take()?;
        for _ in 0..ROWS_PER_CHUNK {
            let Some(row) = rows.next() else { break };
            // Our own types: serializing them to memory cannot fail.
            serde_json::to_writer(&mut chunk, &row).ok()?;
            if rows.peek().is_some() {
                chunk.push(b',');
            }
        }
        if rows.peek().is_none() {
            chunk.extend_from_slice(b"],\"failures\":");
            serde_json::to_writer(&mut chunk, &failures_left).ok()?;
            chunk.push(b'}');
        } else {
            failures = Some(failures_left);
        }
        Some(Ok(Bytes::from(std::mem::take(&mut chunk))))
    })
}

/// The CSV lines of `rows`, a few hundred per chunk.
fn csv_chunks(rows: Vec<json::AccessRow>) -> impl Iterator<Item = Chunk> {
    let mut rows = rows.into_iter();
    std::iter::from_fn(move || {
        let part: Vec<_> = rows.by_ref().take(ROWS_PER_CHUNK).collect();
        (!part.is_empty()).then(|| {
            crate::export::lines(&part)
                .map(Bytes::from)
                .map_err(std::io::Error::other)
        })
    })
}

#[cfg(test)]
mod tests {
    use json::{AccessAudit, AccessRow, MemberStatus, Visibility};

    use super::*;

    fn row(i: usize) -> AccessRow {
        AccessRow {
            region: "RegionOne".into(),
            image_id: format!("image-{i}"),
            image_name: i.is_multiple_of(2).then(|| format!("=name \"{i}\"")),
            owner_id: "owner".into(),
            owner_name: Some("project-a".into()),
            owner_name_seen: None,
            member_id: "member".into(),
            member_name: None,
            member_name_seen: Some("2026-12-01T00:00:00Z".into()),
            status: MemberStatus::Pending,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            visibility: Visibility::Shared,
            protected: i.is_multiple_of(3),
            member_known: true,
        }
    }

    #[test]
    fn json_and_csv_written_in_chunks_are_the_audit() {
        for n in [0, 1, 499, 500, 501, 1234] {
            let audit = AccessAudit {
                rows: (0..n).map(row).collect(),
                failures: Vec::new(),
            };
            let bytes: Vec<u8> = json_chunks(audit.clone())
                .flat_map(|chunk| chunk.unwrap().to_vec())
                .collect();
            let read: AccessAudit = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{n} rows: {e}: {}", String::from_utf8_lossy(&bytes)));
            assert_eq!(read, audit, "{n} rows");

            let mut csv = crate::export::header::<AccessRow>().unwrap();
            csv.extend(csv_chunks(audit.rows.clone()).flat_map(|chunk| chunk.unwrap().to_vec()));
            assert_eq!(
                csv,
                crate::export::to_csv(&audit.rows).unwrap().into_bytes(),
                "{n} rows"
            );
        }
    }
}
