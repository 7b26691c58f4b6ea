//! `base_path`: the path prefix Glimpse is served under behind a reverse proxy (`/glimpse`).
//!
//! Checked once at start, so that everything that puts it into an answer (the cookie's
//! `Path`, `index.html`, the OpenAPI document, a redirect) can write it as it is: it is empty
//! or a `/` followed by segments of unreserved URL characters, without a trailing slash.

use anyhow::{bail, ensure};
use url::Url;

/// The prefix as Glimpse uses it: `""` (served at the root) or `/a/b`.
pub fn parse(text: &str) -> anyhow::Result<String> {
    let text = text.trim();
    // The root, however it is written.
    if text.is_empty() || text == "/" {
        return Ok(String::new());
    }
    ensure!(
        text.starts_with('/'),
        "base_path {text:?} must start with a slash, e.g. \"/glimpse\""
    );
    ensure!(
        !text.ends_with('/'),
        "base_path {text:?} must not end with a slash: write {:?}",
        text.trim_end_matches('/')
    );
    for segment in text[1..].split('/') {
        match segment {
            "" => bail!("base_path {text:?} has an empty segment (\"//\")"),
            "." | ".." => bail!("base_path {text:?} has a {segment:?} segment"),
            _ => {}
        }
        // Unreserved characters only (RFC 3986): nothing to encode or escape in a URL, a
        // cookie or HTML, and nothing a proxy would rewrite.
        if let Some(c) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
        {
            bail!(
                "base_path {text:?} has the character {c:?}: use letters, digits, '-', '_', '.' and '~' between slashes"
            );
        }
    }
    Ok(text.to_owned())
}

/// A `public_url` with a path must say the same as `base_path`: users reach Glimpse there,
/// so the pages' links must lead there too.
pub fn check_public_url(public_url: &Url, base_path: &str) -> anyhow::Result<()> {
    let path = public_url.path().trim_end_matches('/');
    ensure!(
        path.is_empty() || path == base_path,
        "public_url {:?} has the path {path:?} but base_path is {base_path:?}: set base_path = {path:?} (Glimpse serves everything under base_path, and the proxy passes the path on unchanged)",
        public_url.as_str()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_empty() {
        assert_eq!(parse("").unwrap(), "");
        assert_eq!(parse("/").unwrap(), "");
        assert_eq!(parse("  ").unwrap(), "");
    }

    #[test]
    fn a_prefix_is_kept_as_written() {
        assert_eq!(parse("/glimpse").unwrap(), "/glimpse");
        assert_eq!(
            parse(" /tools/glimpse-2.0~x_y ").unwrap(),
            "/tools/glimpse-2.0~x_y"
        );
    }

    #[test]
    fn bad_prefixes_are_refused_saying_why() {
        let refused = |text: &str, says: &str| {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains("base_path"), "{text}: {err}");
            assert!(err.contains(says), "{text}: {err}");
        };
        refused("glimpse", "must start with a slash");
        refused("/glimpse/", "must not end with a slash: write \"/glimpse\"");
        refused("/a//b", "empty segment");
        refused("/a/../b", "\"..\" segment");
        refused("/..", "\"..\" segment");
        refused("/./a", "\".\" segment");
        refused("/a b", "' '");
        refused("/a%2fb", "'%'");
        refused("/a\"><script>", "'\"'");
        refused("/a?b", "'?'");
        refused("/a#b", "'#'");
        refused("/a;b", "';'");
        refused("/é", "'é'");
        refused("https://example.org/glimpse", "must start with a slash");
    }

    #[test]
    fn public_url_and_base_path_agree() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(check_public_url(&url("https://h.example"), "").is_ok());
        assert!(check_public_url(&url("https://h.example/"), "/glimpse").is_ok());
        assert!(check_public_url(&url("https://h.example/glimpse"), "/glimpse").is_ok());
        assert!(check_public_url(&url("https://h.example/glimpse/"), "/glimpse").is_ok());
        let err = check_public_url(&url("https://h.example/glimpse"), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("set base_path = \"/glimpse\""), "{err}");
        assert!(check_public_url(&url("https://h.example/other"), "/glimpse").is_err());
    }
}
