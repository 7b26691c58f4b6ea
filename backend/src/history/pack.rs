//! Snapshot rows, stored compactly: every text (region, ids, names, statuses, dates) once in a
//! string table, each row ten indexes into it, the whole deflated. Ten thousand rows of a few
//! hundred images take some tens of kilobytes instead of megabytes.

use std::io::Read;

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use indexmap::IndexSet;
use json::{AccessRow, MemberStatus, Visibility};
use serde::{Deserialize, Serialize};

/// The packed form's version: a newer one is refused, never misread.
const VERSION: u32 = 1;
/// An absent image name.
const NONE: u32 = u32::MAX;

#[derive(Serialize, Deserialize)]
struct Packed {
    v: u32,
    strings: Vec<String>,
    /// region, image id, image name, owner, member, status, visibility, protected (0 or 1),
    /// created at, updated at.
    rows: Vec<[u32; 10]>,
}

/// Rows packed as they come, so that an audit being recorded holds each text once (an
/// `IndexSet` is both the table and its index, with one copy of each text).
#[derive(Default)]
pub struct Packer {
    strings: IndexSet<String>,
    rows: Vec<[u32; 10]>,
}

#[derive(Debug, thiserror::Error)]
#[error("snapshot rows cannot be read: {0}")]
pub struct Unreadable(String);

impl Packer {
    fn intern(&mut self, text: &str) -> u32 {
        let i = match self.strings.get_index_of(text) {
            Some(i) => i,
            None => self.strings.insert_full(text.to_owned()).0,
        };
        u32::try_from(i).unwrap_or(NONE - 1)
    }

    pub fn push(&mut self, row: &AccessRow) {
        let packed = [
            self.intern(&row.region),
            self.intern(&row.image_id),
            row.image_name.as_deref().map_or(NONE, |n| self.intern(n)),
            self.intern(&row.owner_id),
            self.intern(&row.member_id),
            self.intern(row.status.as_str()),
            self.intern(row.visibility.as_str()),
            u32::from(row.protected),
            self.intern(&row.created_at),
            self.intern(&row.updated_at),
        ];
        self.rows.push(packed);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The packed bytes.
    pub fn finish(self) -> Vec<u8> {
        let packed = Packed {
            v: VERSION,
            strings: self.strings.into_iter().collect(),
            rows: self.rows,
        };
        let mut out = DeflateEncoder::new(Vec::new(), Compression::fast());
        // Writing to a Vec and serialising strings and numbers cannot fail.
        let _ = serde_json::to_writer(&mut out, &packed);
        out.finish().unwrap_or_default()
    }
}

/// The rows of `bytes`, without names (the snapshot's projects name them) and each member
/// taken as known.
pub fn unpack(bytes: &[u8]) -> Result<Vec<AccessRow>, Unreadable> {
    let mut text = Vec::new();
    DeflateDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|e| Unreadable(e.to_string()))?;
    let packed: Packed = serde_json::from_slice(&text).map_err(|e| Unreadable(e.to_string()))?;
    if packed.v != VERSION {
        return Err(Unreadable(format!(
            "version {} (this Glimpse reads {VERSION})",
            packed.v
        )));
    }
    let s = |i: u32| {
        packed
            .strings
            .get(i as usize)
            .cloned()
            .ok_or_else(|| Unreadable(format!("no string {i}")))
    };
    packed
        .rows
        .iter()
        .map(|r| {
            let status = s(r[5])?;
            let visibility = s(r[6])?;
            Ok(AccessRow {
                region: s(r[0])?,
                image_id: s(r[1])?,
                image_name: if r[2] == NONE { None } else { Some(s(r[2])?) },
                owner_id: s(r[3])?,
                owner_name: None,
                owner_name_seen: None,
                member_id: s(r[4])?,
                member_name: None,
                member_name_seen: None,
                status: MemberStatus::ALL
                    .into_iter()
                    .find(|m| m.as_str() == status)
                    .ok_or_else(|| Unreadable(format!("status {status:?}")))?,
                created_at: s(r[8])?,
                updated_at: s(r[9])?,
                visibility: parse_visibility(&visibility)?,
                protected: r[7] != 0,
                member_known: true,
                seen_by: None,
            })
        })
        .collect()
}

fn parse_visibility(text: &str) -> Result<Visibility, Unreadable> {
    [
        Visibility::Public,
        Visibility::Community,
        Visibility::Shared,
        Visibility::Private,
    ]
    .into_iter()
    .find(|v| v.as_str() == text)
    .ok_or_else(|| Unreadable(format!("visibility {text:?}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn row(region: &str, image: &str, member: &str, status: MemberStatus) -> AccessRow {
        AccessRow {
            region: region.into(),
            image_id: image.into(),
            image_name: Some(format!("{image}-name")),
            owner_id: "owner".into(),
            owner_name: None,
            owner_name_seen: None,
            member_id: member.into(),
            member_name: None,
            member_name_seen: None,
            status,
            created_at: "2025-01-01T00:00:00Z".into(),
            updated_at: "2025-01-02T00:00:00Z".into(),
            visibility: Visibility::Shared,
            protected: false,
            member_known: true,
            seen_by: None,
        }
    }

    #[test]
    fn rows_round_trip() {
        let mut rows = vec![
            row("RegionOne", "i1", "m1", MemberStatus::Pending),
            row("RegionTwo", "i1", "m2", MemberStatus::Rejected),
        ];
        rows[1].image_name = None;
        rows[1].protected = true;
        rows[1].visibility = Visibility::Community;
        let mut packer = Packer::default();
        rows.iter().for_each(|r| packer.push(r));
        assert_eq!(packer.len(), 2);
        assert_eq!(unpack(&packer.finish()).unwrap(), rows);
        assert!(unpack(b"not deflate").is_err());
        assert!(unpack(&Packer::default().finish()).unwrap().is_empty());
    }
}
