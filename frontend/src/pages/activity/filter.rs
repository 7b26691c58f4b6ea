//! The activity log's filters: the form's fields as the API's query parameters, and the
//! choices of its menus.

use json::{Action, outcome};

use crate::api;
use crate::i18n::{Key, t};
use crate::msg;

/// The log's filters, named as the API's query parameters. In the page's query string `from`
/// and `to` are RFC 3339 (UTC); in the form they are `datetime-local` values.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Filter {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) user: String,
    pub(super) project: String,
    pub(super) image: String,
    pub(super) action: String,
    pub(super) outcome: String,
    /// Events per page (the server's default when empty); not in the form, kept by it.
    pub(super) limit: String,
}

/// The filters of the form, in order: the query parameter, which is also the field's name.
pub(super) const FIELDS: [&str; 7] = [
    "from", "to", "user", "project", "image", "action", "outcome",
];

impl Filter {
    pub(super) fn get(&mut self, name: &str) -> &mut String {
        match name {
            "from" => &mut self.from,
            "to" => &mut self.to,
            "user" => &mut self.user,
            "project" => &mut self.project,
            "image" => &mut self.image,
            "action" => &mut self.action,
            "outcome" => &mut self.outcome,
            _ => &mut self.limit,
        }
    }

    pub(super) fn value(&self, name: &str) -> String {
        self.clone().get(name).clone()
    }

    pub(super) fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("from", self.from.as_str()),
            ("to", &self.to),
            ("user", &self.user),
            ("project", &self.project),
            ("image", &self.image),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("limit", &self.limit),
        ];
        pairs.extend_from_slice(extra);
        api::query(&pairs)
    }

    /// True when no filter narrows the log (the page size is no filter).
    pub(super) fn is_empty(&self) -> bool {
        *self
            == Self {
                limit: self.limit.clone(),
                ..Self::default()
            }
    }
}

/// The choices of the action filter.
pub(super) fn action_choices() -> Vec<(String, String)> {
    std::iter::once((String::new(), t(Key::ActivityAnyAction)))
        .chain(
            Action::ALL
                .into_iter()
                .map(|a| (a.as_str().into(), msg::action(a))),
        )
        .collect()
}

/// The choices of the outcome filter.
pub(super) fn outcome_choices() -> Vec<(String, String)> {
    [
        ("", Key::ActivityAnyOutcome),
        ("ok", Key::ActivityOk),
        ("failed", Key::ActivityAnyError),
        ("unfinished", Key::ActivityUnfinished),
        (outcome::INTERRUPTED, Key::ActivityInterrupted),
        (outcome::NOT_APPLIED, Key::ActivityNotApplied),
    ]
    .into_iter()
    .map(|(v, k)| (v.to_owned(), t(k)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_filter_field_is_its_query_parameter() {
        let mut f = Filter::default();
        for (i, name) in FIELDS.into_iter().enumerate() {
            *f.get(name) = format!("v{i}");
        }
        for (i, name) in FIELDS.into_iter().enumerate() {
            assert_eq!(f.value(name), format!("v{i}"), "{name}");
        }
        assert_eq!(
            f.query(&[("before", "42")]),
            "from=v0&to=v1&user=v2&project=v3&image=v4&action=v5&outcome=v6&before=42"
        );
    }

    #[test]
    fn the_page_size_is_no_filter() {
        let f = Filter {
            limit: "2".into(),
            ..Filter::default()
        };
        assert!(f.is_empty());
        assert_eq!(f.query(&[]), "limit=2");
        let f = Filter {
            outcome: "failed".into(),
            ..f
        };
        assert!(!f.is_empty());
    }

    #[test]
    fn the_filters_choices_cover_every_action_and_outcome() {
        assert_eq!(action_choices().len(), Action::ALL.len() + 1);
        let outcomes: Vec<String> = outcome_choices().into_iter().map(|(v, _)| v).collect();
        assert_eq!(
            outcomes,
            [
                "",
                "ok",
                "failed",
                "unfinished",
                "interrupted",
                "not_applied"
            ]
        );
    }
}
