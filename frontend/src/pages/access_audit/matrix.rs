//! The access matrix: the audit's rows as images × member projects, the summary above it;
//! only the lines near the scroll position are in the page.

use std::ops::Range;

use json::{AccessRow, MemberStatus};
use leptos::html::td;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::CustomAttribute;

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

/// Body rows are this tall (style.css, `.matrix tbody tr`): the lines out of view are one
/// spacer row each side of the ones near the scroll position, so that an audit of 30,000
/// rows scrolls like one of 30. Written by hand: the virtual-list crates for Leptos weigh more
/// than the first visit's budget has left, and a table of fixed-height rows needs little.
const LINE_PX: usize = 60;
/// The window moves by this many lines; it holds the chunk before the visible one and three
/// after it, more than the tallest scroll area (75vh) shows.
const CHUNK: usize = 25;
const WINDOW: usize = 4 * CHUNK;

/// The first line to render when the scroll area is `scroll_top` pixels down.
pub(super) fn window_at(scroll_top: i32) -> usize {
    let line = usize::try_from(scroll_top).unwrap_or(0) / LINE_PX;
    (line / CHUNK).saturating_sub(1) * CHUNK
}

struct Column {
    id: String,
    label: String,
    named: bool,
    known: bool,
}

/// One image: its rows, next to each other once [`order`]ed.
struct Line {
    rows: Range<usize>,
    at_risk: bool,
}

/// Orders rows by image (name, region, id): each image's rows become one range.
pub(super) fn order(rows: &mut Vec<AccessRow>) {
    *rows = sorted(std::mem::take(rows), |r| {
        format!(
            "{}\0{}\0{}",
            msg::image_name(r.image_name.as_deref()),
            r.region,
            r.image_id
        )
    });
}

/// The rows of the audit as images × member projects: computed once per batch of rows, drawn
/// a window at a time.
pub(super) struct Matrix {
    columns: Vec<Column>,
    lines: Vec<Line>,
    /// Member × status counts, in [`MemberStatus`] order.
    counts: [usize; 3],
}

impl Matrix {
    /// `rows` must be [`order`]ed.
    pub(super) fn of(rows: &[AccessRow], seen: &Seen) -> Self {
        // Members: named ones first, by name; unnamed ones by id.
        let mut columns: Vec<Column> = Vec::new();
        let mut counts = [0usize; 3];
        for r in rows {
            counts[r.status as usize] += 1;
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
        let mut lines: Vec<Line> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            match lines.last_mut() {
                Some(l)
                    if rows[l.rows.start].image_id == r.image_id
                        && rows[l.rows.start].region == r.region =>
                {
                    l.rows.end = i + 1
                }
                _ => lines.push(Line {
                    rows: i..i + 1,
                    at_risk: false,
                }),
            }
        }
        for l in &mut lines {
            let members = &rows[l.rows.clone()];
            l.at_risk =
                !members[0].protected && members.iter().any(|m| m.status == MemberStatus::Accepted);
        }
        Self {
            columns,
            lines,
            counts,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The summary above the table, and the members nobody can verify.
    pub(super) fn summary(&self) -> AnyView {
        let at_risk = self.lines.iter().filter(|l| l.at_risk).count();
        let pairs: usize = self.counts.iter().sum();
        let unverified: Vec<AnyView> = self
            .columns
            .iter()
            .filter(|c| !c.known)
            .map(|c| view! { <code>{c.id.clone()}</code> " " }.into_any())
            .collect();
        let counts = MemberStatus::ALL
            .into_iter()
            .filter(|s| self.counts[*s as usize] > 0)
            .map(|s| {
                let class = format!("count count-{}", s.as_str());
                view! { <span class=class>{msg::count_with_status(self.counts[s as usize], s)}</span> }
                    .into_any()
            })
            .collect_view();
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
        }
        .into_any()
    }

    /// The member columns' headers.
    pub(super) fn header(&self) -> AnyView {
        self.columns
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
            .collect_view()
            .into_any()
    }

    /// The lines from `first` on, a window of them, between spacers as tall as the lines
    /// left out. The top spacer is always there, so that the zebra stripes keep their place.
    pub(super) fn body(&self, rows: &[AccessRow], seen: &Seen, first: usize) -> AnyView {
        let end = (first + WINDOW).min(self.lines.len());
        let start = first.min(end);
        let colspan = (self.columns.len() + 3).to_string();
        let spacer = move |lines: usize| {
            view! {
                <tr class="spacer" aria-hidden="true">
                    // The cell's own height attribute: a style would bring Leptos' style code
                    // into the wasm for this one use.
                    {td().colspan(colspan.clone()).attr("height", (lines * LINE_PX).to_string())}
                </tr>
            }
        };
        let shown = (start..end)
            .map(|i| self.line(rows, seen, i))
            .collect_view();
        view! { {spacer(start)} {shown} {spacer(self.lines.len() - end)} }.into_any()
    }

    /// The lines and the header row, for assistive technologies that see only the window.
    pub(super) fn row_count(&self) -> usize {
        self.lines.len() + 1
    }

    fn line(&self, rows: &[AccessRow], seen: &Seen, index: usize) -> AnyView {
        let l = &self.lines[index];
        let members = &rows[l.rows.clone()];
        let r = &members[0];
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
            .or_else(|| seen.name(&r.owner_id))
            .unwrap_or_else(|| short_id(&r.owner_id));
        let cells = self
            .columns
            .iter()
            .map(|c| match members.iter().find(|m| m.member_id == c.id) {
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
            <tr class:row-risk=l.at_risk aria-rowindex=(index + 2).to_string()>
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
            seen_by: None,
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
        let mut rows = rows;
        order(&mut rows);
        let seen = Seen::default();
        let m = Matrix::of(&rows, &seen);
        let lines: Vec<(&str, usize)> = m
            .lines
            .iter()
            .map(|l| {
                (
                    rows[l.rows.start].image_name.as_deref().unwrap(),
                    l.rows.len(),
                )
            })
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
        assert_eq!(m.counts, [2, 1, 1], "pending, accepted, rejected");
    }

    #[test]
    fn the_window_moves_by_chunks_and_keeps_one_before() {
        assert_eq!(window_at(0), 0);
        assert_eq!(window_at(-5), 0, "a rubber-band scroll above the top");
        assert_eq!(window_at((2 * CHUNK * LINE_PX - 1) as i32), 0);
        assert_eq!(window_at((2 * CHUNK * LINE_PX) as i32), CHUNK);
        // Whatever the position, the visible lines (a chunk's worth) are inside the window.
        for top in (0..200_000).step_by(97) {
            let first = window_at(top);
            let visible = top as usize / LINE_PX;
            assert!(
                first <= visible && visible + CHUNK < first + WINDOW,
                "{top}"
            );
        }
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
