//! Id validation, the same on both sides.

/// Glance image ids are UUIDs (dashed, any case).
pub fn is_image_id(s: &str) -> bool {
    is_dashed_uuid(s)
}

/// Keystone project ids are 32 lowercase-or-uppercase hex digits, or a dashed UUID (as some
/// identity backends make them).
pub fn is_project_id(s: &str) -> bool {
    (s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())) || is_dashed_uuid(s)
}

fn is_dashed_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Splits what a person pasted into project ids: one per line, or separated by commas,
/// semicolons or blanks; empty pieces and repeats are dropped, order is kept.
pub fn split_project_ids(pasted: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for piece in pasted.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let piece = piece.trim();
        if !piece.is_empty() && !ids.iter().any(|id| id == piece) {
            ids.push(piece.to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids() {
        assert!(is_project_id("7b5d1afe94c1481a98f4c1dad97b6b07"));
        assert!(is_project_id("a144aa56-84c3-4ddf-9bc1-566fd5566a67"));
        assert!(!is_project_id("no-such-project"));
        assert!(!is_project_id("7b5d1afe94c1481a98f4c1dad97b6b0"));
        assert!(!is_project_id("7b5d1afe94c1481a98f4c1dad97b6b0g"));
    }

    #[test]
    fn image_ids() {
        assert!(is_image_id("a144aa56-84c3-4ddf-9bc1-566fd5566a67"));
        assert!(!is_image_id("not-a-uuid"));
        assert!(!is_image_id("a144aa5684c34ddf9bc1566fd5566a67"));
    }

    #[test]
    fn pasted_ids() {
        assert_eq!(
            split_project_ids(" a, b\nc;;a \n\n d"),
            vec!["a", "b", "c", "d"]
        );
        assert!(split_project_ids(" \n, ").is_empty());
    }
}
