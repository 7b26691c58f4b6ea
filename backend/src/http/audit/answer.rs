//! The audit's answer in each format, written as the audit runs and bounded by its deadline
//! (`audit_timeout_secs`), never by `request_timeout_secs`: the headers go out at once, so a
//! 10,000-image audit that takes minutes is an answer in progress, not a request that hangs.
//!
//! - NDJSON: every message as it comes.
//! - JSON and CSV: the rows as they come too, as the audit gives them sorted for exports
//!   ([`crate::audit::Order::Sorted`]), so that no answer holds its rows. While the audit is
//!   quiet JSON writes a space now and then (whitespace between JSON tokens is still JSON), so
//!   that a proxy sees the answer alive and a client that went away is noticed by the failed
//!   write. Cut at its deadline, a JSON answer is what was found with a failure saying so; a
//!   CSV has no place to say it, so its body is broken off and the download fails rather than
//!   pass for whole.

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt, stream};
use json::{AccessRow, AuditFailure, AuditMessage};
use tokio::time::Instant;

use super::Recording;
use crate::audit::Messages;
use crate::http::error::Error;

/// While the audit has nothing new to say, the answer says something this often (NDJSON its
/// progress again, JSON a space).
const HEARTBEAT: Duration = Duration::from_millis(500);
/// JSON and CSV go out in chunks of about this many bytes (or with the audit's progress).
const CHUNK_BYTES: usize = 64 * 1024;

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
                    seen_by: None,
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

/// `json::AccessAudit`: `{"rows":[` at once, then the rows as they come, then the failures.
pub(super) fn json(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Chunk> {
    written(
        Json::default(),
        paced(messages, recording, deadline, timeout),
    )
}

/// The rows as CSV: the header line at once, then the rows as they come.
pub(super) fn csv(
    messages: Messages,
    recording: Option<Recording>,
    deadline: Instant,
    timeout: Duration,
) -> impl Stream<Item = Chunk> {
    written(Csv, paced(messages, recording, deadline, timeout))
}

/// A format an export is written in as the rows come (the audit gives them sorted).
trait Export: Send + 'static {
    /// What keeps a quiet answer alive, if the format has anything that means nothing.
    const FILLER: &'static [u8];
    /// What goes out at once.
    fn opening(&self) -> Result<Vec<u8>, std::io::Error>;
    fn rows(&mut self, rows: &[AccessRow], out: &mut Vec<u8>) -> Result<(), std::io::Error>;
    fn failure(&mut self, failure: AuditFailure);
    /// The end; an error breaks the answer off.
    fn closing(self, stopped: bool) -> Result<Vec<u8>, std::io::Error>;
}

#[derive(Default)]
struct Json {
    rows: usize,
    failures: Vec<AuditFailure>,
}

impl Export for Json {
    // Whitespace between JSON tokens is still JSON.
    const FILLER: &'static [u8] = b" ";

    fn opening(&self) -> Result<Vec<u8>, std::io::Error> {
        Ok(b"{\"rows\":[".to_vec())
    }

    fn rows(&mut self, rows: &[AccessRow], out: &mut Vec<u8>) -> Result<(), std::io::Error> {
        for row in rows {
            if self.rows > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut *out, row)?;
            self.rows += 1;
        }
        Ok(())
    }

    fn failure(&mut self, failure: AuditFailure) {
        self.failures.push(failure);
    }

    /// Stopped, the failures say so.
    fn closing(self, _stopped: bool) -> Result<Vec<u8>, std::io::Error> {
        let mut out = b"],\"failures\":".to_vec();
        serde_json::to_writer(&mut out, &self.failures)?;
        out.push(b'}');
        Ok(out)
    }
}

struct Csv;

impl Export for Csv {
    // A CSV has no text that means nothing.
    const FILLER: &'static [u8] = b"";

    fn opening(&self) -> Result<Vec<u8>, std::io::Error> {
        crate::export::header::<AccessRow>().map_err(std::io::Error::other)
    }

    fn rows(&mut self, rows: &[AccessRow], out: &mut Vec<u8>) -> Result<(), std::io::Error> {
        out.extend(crate::export::lines(rows).map_err(std::io::Error::other)?);
        Ok(())
    }

    /// A CSV has no place for failures (the page, NDJSON and JSON show them).
    fn failure(&mut self, _failure: AuditFailure) {}

    /// Stopped, broken off: the download fails rather than pass for whole.
    fn closing(self, stopped: bool) -> Result<Vec<u8>, std::io::Error> {
        if stopped {
            return Err(std::io::Error::other(
                "the audit was stopped at its deadline",
            ));
        }
        Ok(Vec::new())
    }
}

/// `format`'s opening at once, then its rows, sent a chunk's worth at a time or with the
/// audit's progress (while it is quiet, its filler every `HEARTBEAT`), then its closing.
fn written<E: Export>(
    format: E,
    paced: impl Stream<Item = Paced> + Send + 'static,
) -> impl Stream<Item = Chunk> {
    let opening = format.opening().map(Bytes::from);
    struct State<E> {
        paced: futures::stream::BoxStream<'static, Paced>,
        format: E,
        pending: Vec<u8>,
        said: Instant,
        stopped: bool,
    }
    let state = State {
        paced: paced.boxed(),
        format,
        pending: Vec::new(),
        said: Instant::now(),
        stopped: false,
    };
    let rest = stream::unfold(Some(state), |state| async move {
        let mut st = state?;
        loop {
            match st.paced.next().await {
                Some(Paced::Message(AuditMessage::Rows { rows })) => {
                    if let Err(e) = st.format.rows(&rows, &mut st.pending) {
                        return Some((Err(e), None));
                    }
                    if st.pending.len() < CHUNK_BYTES {
                        continue;
                    }
                }
                Some(Paced::Message(AuditMessage::Failure { failure })) => {
                    st.format.failure(failure);
                    continue;
                }
                Some(Paced::Message(AuditMessage::Progress { .. })) => {
                    if st.pending.is_empty() {
                        if E::FILLER.is_empty() || st.said.elapsed() < HEARTBEAT {
                            continue;
                        }
                        st.pending.extend_from_slice(E::FILLER);
                    }
                }
                Some(Paced::Message(AuditMessage::Done { .. })) => continue,
                Some(Paced::Stopped { failure, .. }) => {
                    st.format.failure(failure);
                    st.stopped = true;
                    continue;
                }
                None => {
                    let mut last = std::mem::take(&mut st.pending);
                    let closing = st.format.closing(st.stopped).map(|end| {
                        last.extend(end);
                        Bytes::from(last)
                    });
                    return Some((closing, None));
                }
            }
            st.said = Instant::now();
            let chunk = Bytes::from(std::mem::take(&mut st.pending));
            return Some((Ok(chunk), Some(st)));
        }
    });
    stream::once(async move { opening }).chain(rest)
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
            seen_by: None,
        }
    }

    /// An audit of `n` rows, three a message, with progress between, a failure, maybe
    /// stopped at its deadline.
    fn audit(n: usize, stopped: bool) -> (Vec<Paced>, AccessAudit) {
        let rows: Vec<AccessRow> = (0..n).map(row).collect();
        let failure = |region: &str| AuditFailure {
            region: Some(region.into()),
            project_id: None,
            project_name: None,
            seen_by: None,
            error: Error::UpstreamUnavailable("down".into()).body(),
        };
        let mut paced = Vec::new();
        for part in rows.chunks(3) {
            paced.push(Paced::Message(AuditMessage::Rows {
                rows: part.to_vec(),
            }));
            paced.push(Paced::Message(AuditMessage::Progress { done: 1, total: 2 }));
        }
        paced.push(Paced::Message(AuditMessage::Failure {
            failure: failure("RegionTwo"),
        }));
        let mut failures = vec![failure("RegionTwo")];
        if stopped {
            paced.push(Paced::Stopped {
                failure: failure("everywhere"),
                rows: n,
                failures: 1,
            });
            failures.push(failure("everywhere"));
        } else {
            paced.push(Paced::Message(AuditMessage::Done {
                rows: n,
                failures: 1,
            }));
        }
        (paced, AccessAudit { rows, failures })
    }

    async fn write<E: Export>(format: E, paced: Vec<Paced>) -> Vec<Chunk> {
        written(format, stream::iter(paced)).collect().await
    }

    #[tokio::test]
    async fn json_and_csv_written_as_rows_come_are_the_audit() {
        for n in [0, 1, 499, 500, 1234, 3000] {
            for stopped in [false, true] {
                let (paced, expected) = audit(n, stopped);
                let chunks = write(Json::default(), paced).await;
                let bytes: Vec<u8> = chunks
                    .iter()
                    .flat_map(|c| c.as_ref().unwrap().to_vec())
                    .collect();
                let read: AccessAudit = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    panic!("{n} rows: {e}: {}", String::from_utf8_lossy(&bytes))
                });
                assert_eq!(read, expected, "{n} rows");

                let (paced, _) = audit(n, stopped);
                let chunks = write(Csv, paced).await;
                let (last, whole) = chunks.split_last().unwrap();
                let mut csv: Vec<u8> = whole
                    .iter()
                    .flat_map(|c| c.as_ref().unwrap().to_vec())
                    .collect();
                if stopped {
                    assert!(last.is_err(), "a CSV cut at its deadline is broken off");
                } else {
                    csv.extend(last.as_ref().unwrap().to_vec());
                    assert_eq!(
                        csv,
                        crate::export::to_csv(&expected.rows).unwrap().into_bytes(),
                        "{n} rows"
                    );
                }
                assert!(
                    whole
                        .iter()
                        .all(|c| c.as_ref().unwrap().len() < 2 * CHUNK_BYTES),
                    "no chunk holds the whole audit"
                );
            }
        }
    }
}
