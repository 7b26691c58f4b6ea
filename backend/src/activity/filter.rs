//! What `GET /api/v1/audit/events` can ask for, and its validation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::stamp;

/// Events returned when the filter sets no `limit`.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most events one query returns; a larger `limit` is lowered to it.
pub const MAX_LIMIT: u32 = 1000;
/// Longest accepted text filter (user, project, image, outcome).
const MAX_TEXT: usize = 255;

/// The filters of the activity log, as the query string carries them. Empty values (`from=`)
/// count as absent, so that a plain HTML form can send every field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    /// Events asked for at or after this instant (RFC 3339, any offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Events asked for strictly before this instant (RFC 3339, any offset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The acting user, by id or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A project involved: the acting project (id or name) or the member project (id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The image id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(
        deserialize_with = "action_or_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub action: Option<json::Action>,
    /// `ok`, `unfinished` (no outcome recorded), `failed` (any error) or one error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Only events with a smaller id: the previous page's `next_before`.
    #[serde(
        deserialize_with = "number_or_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
    /// At most this many events: [`DEFAULT_LIMIT`] when absent, at most [`MAX_LIMIT`].
    #[serde(
        deserialize_with = "number_or_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u32>,
}

/// A filter value that cannot be used: the API's `invalid_input`, with `field` the offending
/// query parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

impl FilterError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// What the outcome filter selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OutcomeFilter {
    Unfinished,
    Failed,
    /// `ok` or one error code.
    Is(String),
}

/// A checked filter, ready for SQL: timestamps in the stored form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ValidFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub user: Option<String>,
    pub project: Option<String>,
    pub image: Option<String>,
    pub action: Option<json::Action>,
    pub outcome: Option<OutcomeFilter>,
    pub before: Option<i64>,
    pub limit: u32,
}

impl EventFilter {
    /// Checks every field; `ActivityLog::query` does the same and fails with this error
    /// (as `activity::Error::Filter`), so calling this first is only for a better answer.
    pub fn validate(&self) -> Result<(), FilterError> {
        self.check().map(|_| ())
    }

    pub(crate) fn check(&self) -> Result<ValidFilter, FilterError> {
        let from = instant("from", &self.from)?;
        let to = instant("to", &self.to)?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(FilterError::new("to", "must not be before `from`"));
        }
        let outcome = match text("outcome", &self.outcome)? {
            None => None,
            Some(o) if o == "unfinished" => Some(OutcomeFilter::Unfinished),
            Some(o) if o == "failed" => Some(OutcomeFilter::Failed),
            Some(o) if is_outcome_code(&o) => Some(OutcomeFilter::Is(o)),
            Some(_) => {
                return Err(FilterError::new(
                    "outcome",
                    "must be ok, unfinished, failed or an error code",
                ));
            }
        };
        if let Some(before) = self.before
            && before < 1
        {
            return Err(FilterError::new("before", "must be a positive event id"));
        }
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(0) => return Err(FilterError::new("limit", "must be at least 1")),
            Some(n) => n.min(MAX_LIMIT),
        };
        Ok(ValidFilter {
            from: from.map(stamp),
            to: to.map(stamp),
            user: text("user", &self.user)?,
            project: text("project", &self.project)?,
            image: text("image", &self.image)?,
            action: self.action,
            outcome,
            before: self.before,
            limit,
        })
    }
}

/// An outcome as stored: `ok` or an API error code (lowercase letters, digits, `_`).
pub(crate) fn is_outcome_code(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A trimmed, non-empty, not too long text filter; blank means absent.
fn text(field: &'static str, value: &Option<String>) -> Result<Option<String>, FilterError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() > MAX_TEXT => Err(FilterError::new(
            field,
            format!("must be at most {MAX_TEXT} characters"),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

fn instant(
    field: &'static str,
    value: &Option<String>,
) -> Result<Option<OffsetDateTime>, FilterError> {
    let Some(s) = text(field, value)? else {
        return Ok(None);
    };
    let t = OffsetDateTime::parse(&s, &Rfc3339).map_err(|_| {
        FilterError::new(
            field,
            "must be an RFC 3339 date and time, such as 2025-01-31T00:00:00Z",
        )
    })?;
    let t = t.to_offset(time::UtcOffset::UTC);
    if !(1..=9999).contains(&t.year()) {
        return Err(FilterError::new(field, "must be between years 1 and 9999"));
    }
    Ok(Some(t))
}

/// `action=` counts as absent.
fn action_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<json::Action>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => json::Action::parse(s.trim()).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "unknown action {s:?}, expected one of {}",
                ActionNames
            ))
        }),
    }
}

/// `before=` counts as absent (serde_urlencoded gives numbers as strings anyway).
fn number_or_empty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(i64),
        Text(String),
    }
    match Option::<NumOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrText::Num(n)) => n
            .to_string()
            .parse()
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(NumOrText::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(NumOrText::Text(s)) => s.trim().parse().map(Some).map_err(|e| {
            serde::de::Error::custom(format_args!("{s:?} is not a valid number: {e}"))
        }),
    }
}

struct ActionNames;

impl fmt::Display for ActionNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in json::Action::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(a.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: EventFilter) -> Result<ValidFilter, FilterError> {
        f.check()
    }

    #[test]
    fn defaults_and_limits() {
        let v = check(EventFilter::default()).unwrap();
        assert_eq!(
            v,
            ValidFilter {
                limit: DEFAULT_LIMIT,
                ..ValidFilter::default()
            }
        );
        let v = check(EventFilter {
            limit: Some(50_000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(v.limit, MAX_LIMIT);
        let e = check(EventFilter {
            limit: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "limit");
        let e = check(EventFilter {
            before: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "before");
    }

    #[test]
    fn times_are_normalised_to_utc() {
        let v = check(EventFilter {
            from: Some("2025-01-31T12:00:00+02:00".into()),
            to: Some(" 2025-01-31T11:00:00.5Z ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(v.from.as_deref(), Some("2025-01-31T10:00:00.000000Z"));
        assert_eq!(v.to.as_deref(), Some("2025-01-31T11:00:00.500000Z"));
        for bad in ["yesterday", "2025-01-31", "2025-01-31T12:00:00"] {
            let e = check(EventFilter {
                from: Some(bad.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(e.field, "from", "{bad}");
        }
        let e = check(EventFilter {
            from: Some("2025-02-01T00:00:00Z".into()),
            to: Some("2025-01-01T00:00:00Z".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "to");
    }

    #[test]
    fn outcomes() {
        let outcome = |s: &str| {
            check(EventFilter {
                outcome: Some(s.into()),
                ..Default::default()
            })
            .map(|v| v.outcome)
        };
        assert_eq!(outcome("ok"), Ok(Some(OutcomeFilter::Is("ok".into()))));
        assert_eq!(outcome("unfinished"), Ok(Some(OutcomeFilter::Unfinished)));
        assert_eq!(outcome("failed"), Ok(Some(OutcomeFilter::Failed)));
        assert_eq!(
            outcome("already_member"),
            Ok(Some(OutcomeFilter::Is("already_member".into())))
        );
        assert_eq!(outcome(""), Ok(None));
        assert_eq!(outcome("OK").unwrap_err().field, "outcome");
        assert_eq!(outcome("x'; drop").unwrap_err().field, "outcome");
    }

    #[test]
    fn blank_text_is_absent_and_long_text_is_refused() {
        let v = check(EventFilter {
            user: Some("  ".into()),
            project: Some(" demo ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(v.user, None);
        assert_eq!(v.project.as_deref(), Some("demo"));
        let e = check(EventFilter {
            image: Some("x".repeat(MAX_TEXT + 1)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field, "image");
    }

    #[test]
    fn deserialises_from_json_with_empty_values() {
        let f: EventFilter = serde_json::from_value(serde_json::json!({
            "action": "", "before": "", "limit": "20", "from": ""
        }))
        .unwrap();
        assert_eq!(f.action, None);
        assert_eq!(f.before, None);
        assert_eq!(f.limit, Some(20));
        let f: EventFilter = serde_json::from_value(serde_json::json!({
            "action": "add_member", "before": 42
        }))
        .unwrap();
        assert_eq!(f.action, Some(json::Action::AddMember));
        assert_eq!(f.before, Some(42));
        assert!(
            serde_json::from_value::<EventFilter>(serde_json::json!({"action": "nuke"})).is_err()
        );
        assert!(serde_json::from_value::<EventFilter>(serde_json::json!({"limit": "x"})).is_err());
    }

    #[test]
    fn deserialises_from_a_query_string() {
        use axum::extract::Query;
        let parse = |q: &str| {
            let uri: http::Uri = format!("/api/v1/audit/events?{q}").parse().unwrap();
            Query::<EventFilter>::try_from_uri(&uri).map(|Query(f)| f)
        };
        let f = parse("from=&to=&user=&project=&image=&action=&outcome=&before=&limit=").unwrap();
        assert_eq!(f.check().unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(f.action, None);
        let f =
            parse("from=2025-01-01T00%3A00%3A00%2B01%3A00&action=accept&before=9&limit=5").unwrap();
        assert_eq!(f.from.as_deref(), Some("2025-01-01T00:00:00+01:00"));
        assert_eq!(f.action, Some(json::Action::Accept));
        assert_eq!((f.before, f.limit), (Some(9), Some(5)));
        assert_eq!(parse("").unwrap(), EventFilter::default());
        assert!(parse("action=nuke").is_err());
        assert!(parse("before=abc").is_err());
        assert!(parse("limit=-1").is_err());
    }
}
