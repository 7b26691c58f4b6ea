//! The access matrix: the audit's rows as images × member projects, the summary above it.

use json::{AccessRow, MemberStatus};
use leptos::prelude::*;

use super::Seen;
use crate::format;
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg;

/// `items` ordered by `key` (one sort instantiation for the whole page).
pub(super) fn sorted<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut keys: Vec<(String, usize)> = items.iter().map(key).zip(0..).collect();
    keys.sort_unstable();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    keys.into_iter()
        .filter_map(|(_, i)| slots[i].take())
        .collect()
}

/// The first 8 characters of an id, for a narrow column (the full id goes in the tooltip).
fn short_id(id: &str) -> String {
    match id.char_indices().nth(8) {
        Some((i, _)) => format!("{}\u{2026}", &id[..i]),
        None => id.to_owned(),
    }
}

struct Column {
    id: String,
    label: String,
    named: bool,
    known: bool,
}

struct Line<'a> {
    row: &'a AccessRow,
    members: Vec<&'a AccessRow>,
    at_risk: bool,
}

/// The rows of the audit as images × member projects.
pub(super) struct Matrix<'a> {
    columns: Vec<Column>,
    lines: Vec<Line<'a>>,
    seen: &'a Seen,
}

impl<'a> Matrix<'a> {
    pub(super) fn of(rows: &'a [AccessRow], seen: &'a Seen) -> Self {
        // Members: named ones first, by name; unnamed ones by id.
        let mut columns: Vec<Column> = Vec::new();
        for r in rows {
            match columns.iter_mut().find(|c| c.id == r.member_id) {
                Some(c) => c.known |= r.member_known,
                None => {
                    let name = r.member_name.clone().or_else(|| seen.name(&r.member_id));
                    columns.push(Column {
                        id: r.member_id.clone(),
                        named: name.is_some(),
                        label: name.unwrap_or_else(|| short_id(&r.member_id)),
                        known: r.member_known,
                    });
                }
            }
        }
        let columns = sorted(columns, |c| {
            format!("{}{}\0{}", u8::from(!c.named), c.label, c.id)
        });
        // Images by name: the rows of one image are next to each other once sorted.
        let ordered = sorted(rows.iter().collect(), |r| {
            format!(
                "{}\0{}\0{}",
                msg::image_name(r.image_name.as_deref()),
                r.region,
                r.image_id
            )
        });
        let mut lines: Vec<Line> = Vec::new();
        for r in ordered {
            match lines.last_mut() {
                Some(l) if l.row.image_id == r.image_id && l.row.region == r.region => {
                    l.members.push(r)
                }
                _ => lines.push(Line {
                    row: r,
                    members: vec![r],
                    at_risk: false,
                }),
            }
        }
        for l in &mut lines {
            l.at_risk =
                !l.row.protected && l.members.iter().any(|m| m.status == MemberStatus::Accepted);
        }
        Self {
            columns,
            lines,
            seen,
        }
    }

    /// The summary and the table; None when there is no row.
    pub(super) fn view(&self) -> Option<AnyView> {
        if self.lines.is_empty() {
            return None;
        }
        let at_risk = self.lines.iter().filter(|l| l.at_risk).count();
        let mut counts = [0usize; 3];
        for l in &self.lines {
            for m in &l.members {
                counts[m.status as usize] += 1;
            }
        }
        let pairs: usize = counts.iter().sum();
        let unverified: Vec<AnyView> = self
            .columns
            .iter()
            .filter(|c| !c.known)
            .map(|c| view! { <code>{c.id.clone()}</code> " " }.into_any())
            .collect();
        let counts = MemberStatus::ALL
            .into_iter()
            .filter(|s| counts[*s as usize] > 0)
            .map(|s| {
                let class = format!("count count-{}", s.as_str());
                view! { <span class=class>{msg::count_with_status(counts[s as usize], s)}</span> }
                    .into_any()
            })
            .collect_view();
        let header = self
            .columns
            .iter()
            .map(|c| {
                let mark = (!c.known).then(|| {
                    view! {
                        <span class="badge badge-warn" title=tr(Key::AuditUnverifiedExplained)>
                            {tr(Key::AuditUnverified)}
                        </span>
                    }
                });
                view! {
                    <th scope="col" class="member-col" title=c.id.clone()>
                        {c.label.clone()}
                        {mark}
                    </th>
                }
                .into_any()
            })
            .collect_view();
        let body = self.lines.iter().map(|l| self.line(l)).collect_view();
        view! {
            <p class="summary">
                {tf(
                    Key::AuditSummary,
                    &[
                        ("images", &tn(Key::AuditSummaryImages, self.lines.len(), &[])),
                        ("members", &tn(Key::AuditSummaryMembers, self.columns.len(), &[])),
                        ("pairs", &tn(Key::AuditSummaryPairs, pairs, &[])),
                    ],
                )}
                <span class="counts">{counts}</span>
                <span class:text-error={at_risk > 0}>{match at_risk {
                    0 => t(Key::AuditAtRiskNone),
                    n => tn(Key::AuditAtRisk, n, &[]),
                }}</span>
            </p>
            {(!unverified.is_empty())
                .then(|| {
                    view! {
                        <div class="notice unverified">
                            <p>
                                <span class="strong">{tn(Key::AuditUnverifiedCount, unverified.len(), &[])}</span>
                                " "
                                {unverified}
                            </p>
                            <p>{tr(Key::AuditUnverifiedExplained)}</p>
                        </div>
                    }
                })}
            // Many members make the matrix wider than the page: its scrolling area takes the
            // focus, so that it scrolls from the keyboard too.
            <div class="table-wrap" tabindex="0" role="region" aria-label=tr(Key::AuditCaption)>
                <table class="table matrix" id="access-matrix">
                    <caption class="sr-only">{tr(Key::AuditCaption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr(Key::ColImage)}</th>
                            <th scope="col">{tr(Key::ColRegion)}</th>
                            <th scope="col">{tr(Key::ColOwner)}</th>
                            {header}
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        }
        .into_any()
        .into()
    }

    fn line(&self, l: &Line) -> AnyView {
        let r = l.row;
        let risk = l.at_risk.then(|| {
            view! {
                <span class="badge badge-risk" title=tr(Key::AuditNotProtectedExplained)>
                    <span aria-hidden="true">"⚠ "</span>
                    {tr(Key::AuditNotProtected)}
                </span>
            }
        });
        let owner = r
            .owner_name
            .clone()
            .or_else(|| self.seen.name(&r.owner_id))
            .unwrap_or_else(|| short_id(&r.owner_id));
        let cells = self
            .columns
            .iter()
            .map(|c| match l.members.iter().find(|m| m.member_id == c.id) {
                Some(m) => {
                    let class = format!("cell cell-{}", m.status.as_str());
                    let title = tf(
                        Key::AuditCellTitle,
                        &[
                            ("member", &c.label),
                            ("status", &msg::member_status(m.status)),
                            ("created", &format::date_time(&m.created_at)),
                            ("updated", &format::date_time(&m.updated_at)),
                        ],
                    );
                    view! { <td class=class title=title>{msg::member_status(m.status)}</td> }
                        .into_any()
                }
                None => view! {
                    <td class="cell cell-none">
                        <span class="sr-only">{tr(Key::AuditNotAMember)}</span>
                    </td>
                }
                .into_any(),
            })
            .collect_view();
        view! {
            <tr class:row-risk=l.at_risk>
                <th scope="row" class="image-col">
                    <span class="strong">{msg::image_name(r.image_name.as_deref())}</span>
                    {risk}
                    <div class="sub mono">{r.image_id.clone()}</div>
                </th>
                <td>{r.region.clone()}</td>
                <td title=r.owner_id.clone()>{owner}</td>
                {cells}
            </tr>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use json::Visibility;

    use super::*;
    use crate::pages::access_audit::{Filter, Seen};

    fn row(image: &str, member: &str, status: MemberStatus, protected: bool) -> AccessRow {
        AccessRow {
            region: "RegionOne".into(),
            image_id: format!("id-{image}"),
            image_name: Some(image.into()),
            owner_id: "owner".into(),
            owner_name: Some("project-a".into()),
            owner_name_seen: None,
            member_id: member.into(),
            member_name: (member != "junk").then(|| format!("name-{member}")),
            member_name_seen: None,
            status,
            created_at: "2025-01-01T00:00:00Z".into(),
            updated_at: "2025-01-02T00:00:00Z".into(),
            visibility: Visibility::Shared,
            protected,
            member_known: member != "junk",
        }
    }

    #[test]
    fn the_matrix_has_a_line_per_image_and_a_column_per_member() {
        let rows = vec![
            row("zeta", "b", MemberStatus::Pending, true),
            row("alpha", "c", MemberStatus::Accepted, false),
            row("zeta", "c", MemberStatus::Rejected, true),
            row("alpha", "junk", MemberStatus::Pending, false),
        ];
        let seen = Seen::default();
        let m = Matrix::of(&rows, &seen);
        let lines: Vec<(&str, usize)> = m
            .lines
            .iter()
            .map(|l| (l.row.image_name.as_deref().unwrap(), l.members.len()))
            .collect();
        assert_eq!(
            lines,
            [("alpha", 2), ("zeta", 2)],
            "images by name, members grouped"
        );
        // Named members first, by name; the unnamed (unverified) one last, by its short id.
        let columns: Vec<&str> = m.columns.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(columns, ["b", "c", "junk"]);
        assert!(!m.columns[2].known && !m.columns[2].named);
        // At risk: accepted by a member and not protected.
        assert!(m.lines[0].at_risk, "alpha is accepted by c and unprotected");
        assert!(!m.lines[1].at_risk, "zeta is protected");
    }

    #[test]
    fn what_was_seen_feeds_the_filters_choices() {
        let mut seen = Seen::default();
        assert!(seen.take(&[row("x", "b", MemberStatus::Pending, false)]));
        assert!(
            !seen.take(&[row("x", "b", MemberStatus::Accepted, false)]),
            "nothing new"
        );
        assert!(seen.take(&[row("y", "junk", MemberStatus::Pending, false)]));
        let choices = seen.choices(&seen.members.clone(), "All");
        assert_eq!(choices[0], (String::new(), "All".to_owned()));
        // Projects by name first; an id without a name after them.
        assert_eq!(choices[1], ("b".to_owned(), "name-b".to_owned()));
        assert_eq!(choices[2], ("junk".to_owned(), "junk".to_owned()));
        assert_eq!(seen.owners, ["owner"]);
    }

    #[test]
    fn filters_go_in_the_query_string() {
        let f = Filter {
            region: "RegionOne".into(),
            status: "accepted".into(),
            ..Filter::default()
        };
        assert_eq!(
            f.query("csv"),
            "region=RegionOne&status=accepted&format=csv"
        );
        assert!(!f.is_empty());
        assert!(Filter::default().is_empty());
        assert_eq!(short_id("0123456789abcdef"), "01234567\u{2026}");
    }
}
