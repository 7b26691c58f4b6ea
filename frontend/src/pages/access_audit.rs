//! The access audit: who can use which image, across every project the user has a role in and
//! every region, as a matrix of images × member projects. The server streams the audit as
//! NDJSON; the matrix fills in and the progress bar advances as it arrives.
//!
//! Written for a small wasm: vectors rather than maps, one sort, views erased to `AnyView`.

use json::{AccessRow, AuditFailure, AuditMessage, MemberStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{EmptyState, ErrorNote, filter_field, options};
use crate::format;
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::router::{page_title, set_query, use_location};
use crate::state::use_state;

/// The choices of a filter select, from what was seen and the session's regions.
type Choices = fn(&Seen, &[String]) -> Vec<(String, String)>;

/// Redraw the matrix at most this often while rows stream in (milliseconds), plus half a
/// millisecond per row already shown.
const FLUSH_MS: f64 = 300.0;

/// The audit's filters, as the page's query string and the API's carry them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filter {
    region: String,
    owner: String,
    member: String,
    status: String,
}

impl Filter {
    fn query(&self, format: &str) -> String {
        api::query(&[
            ("region", &self.region),
            ("owner", &self.owner),
            ("member", &self.member),
            ("status", &self.status),
            ("format", format),
        ])
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
enum Phase {
    #[default]
    Running,
    Done,
    EndedEarly,
    Failed(ApiError),
}

/// Where the current run is: lookups done of those known, and its phase.
#[derive(Clone, Debug, Default, PartialEq)]
struct Status {
    done: usize,
    total: usize,
    phase: Phase,
}

/// Project names and the ids seen as owners and members, for labels and the filters' choices.
/// They outlive a filtered run, so that a filter can be set back.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// (id, name)
    names: Vec<(String, String)>,
    owners: Vec<String>,
    members: Vec<String>,
}

impl Seen {
    fn name(&self, id: &str) -> Option<String> {
        self.names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
    }

    fn learn(&mut self, id: &str, name: &Option<String>) -> bool {
        let new = name.is_some() && self.name(id).is_none();
        if let (true, Some(name)) = (new, name) {
            self.names.push((id.to_owned(), name.clone()));
        }
        new
    }

    /// Learns from `rows`; true when something was new.
    fn take(&mut self, rows: &[AccessRow]) -> bool {
        let mut new = false;
        for r in rows {
            new |= self.learn(&r.owner_id, &r.owner_name);
            new |= self.learn(&r.member_id, &r.member_name);
            for (list, id) in [
                (&mut self.owners, &r.owner_id),
                (&mut self.members, &r.member_id),
            ] {
                if !list.contains(id) {
                    list.push(id.clone());
                    new = true;
                }
            }
        }
        new
    }

    /// The choices of a project filter: everything, then the projects by name (ids after).
    fn choices(&self, ids: &[String], all: &str) -> Vec<(String, String)> {
        let labelled = ids
            .iter()
            .map(|id| (id.clone(), self.name(id).unwrap_or_else(|| id.clone())))
            .collect();
        let mut list = vec![(String::new(), all.to_owned())];
        list.extend(sorted(labelled, |(id, label)| {
            format!("{}{label}", u8::from(label == id))
        }));
        list
    }
}

#[component]
pub fn AccessAuditPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();
    page_title(tr(Key::NavAccessAudit));
    let filter = Memo::new(move |_| Filter {
        region: location.param("region").unwrap_or_default(),
        owner: location.param("owner").unwrap_or_default(),
        member: location.param("member").unwrap_or_default(),
        status: location.param("status").unwrap_or_default(),
    });

    let rows = RwSignal::new(Vec::<AccessRow>::new());
    let failures = RwSignal::new(Vec::<AuditFailure>::new());
    let status = RwSignal::new(Status::default());
    let seen = RwSignal::new(Seen {
        names: state.session.with_untracked(|s| {
            s.iter()
                .flat_map(|s| &s.projects)
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect()
        }),
        ..Seen::default()
    });
    let reload = RwSignal::new(0u32);
    // Bumped by each run: an older run's stream stops at its next message.
    let generation = StoredValue::new(0u64);
    let again = move || reload.update(|n| *n += 1);

    // Takes in streamed rows.
    let absorb = move |buffer: &mut Vec<AccessRow>| {
        if !buffer.is_empty() {
            // The filters' choices redraw only when there is something new to choose.
            if seen.try_update_untracked(|s| s.take(buffer)) == Some(true) {
                seen.notify();
            }
            rows.update(|r| r.append(buffer));
        }
    };

    Effect::new(move |_| {
        reload.track();
        let f = filter.get();
        generation.update_value(|g| *g += 1);
        let me = generation.get_value();
        rows.set(Vec::new());
        failures.set(Vec::new());
        status.set(Status::default());
        spawn_local(async move {
            let current = move || generation.try_get_value() == Some(me);
            let mut buffer = Vec::new();
            let mut flushed = js_sys::Date::now();
            let mut finished = false;
            let result = api::audit_stream(&f.query(""), |message| {
                if !current() {
                    return false;
                }
                match message {
                    AuditMessage::Progress { done, total } => status.update(|s| {
                        s.done = done;
                        s.total = total;
                    }),
                    AuditMessage::Rows { rows } => buffer.extend(rows),
                    AuditMessage::Failure { failure } => failures.update(|f| f.push(failure)),
                    AuditMessage::Done { .. } => finished = true,
                }
                let now = js_sys::Date::now();
                // Big audits redraw less often: each redraw takes longer.
                let every = FLUSH_MS + rows.with_untracked(Vec::len) as f64 / 2.0;
                if finished || now - flushed > every {
                    absorb(&mut buffer);
                    flushed = now;
                }
                true
            })
            .await;
            if !current() {
                return;
            }
            absorb(&mut buffer);
            status.update(|s| {
                s.phase = match result {
                    Ok(()) if finished => {
                        // The bar ends full, even when there was nothing to look up.
                        s.total = s.total.max(s.done).max(1);
                        s.done = s.total;
                        Phase::Done
                    }
                    Ok(()) => Phase::EndedEarly,
                    Err(e) => Phase::Failed(e),
                }
            });
        });
    });

    let select =
        move |id: &'static str, field: fn(&mut Filter) -> &mut String, choices: Choices| {
            view! {
                <select
                    id=id
                    on:change=move |ev| {
                        let mut f = filter.get_untracked();
                        *field(&mut f) = event_target_value(&ev);
                        set_query(&f.query(""));
                    }
                >
                    {move || {
                        let regions = state
                            .session
                            .with(|s| s.as_ref().map(|s| s.regions.clone()).unwrap_or_default());
                        let list = seen.with(|s| choices(s, &regions));
                        options(list, field(&mut filter.get()))
                    }}
                </select>
            }
            .into_any()
        };
    let export = move |format: &'static str| {
        move || api::url(&format!("/audit/access?{}", filter.get().query(format)))
    };

    view! {
        <section class="page">
            <div class="page-head">
                <div>
                    <h1>{tr(Key::NavAccessAudit)}</h1>
                    <p class="lede">{tr(Key::AuditLede)}</p>
                </div>
                <div class="toolbar">
                    <a class="btn" href=export("csv") download="">
                        {tr(Key::CommonExportCsv)}
                    </a>
                    <a class="btn" href=export("json") download="">
                        {tr(Key::CommonExportJson)}
                    </a>
                    <button
                        type="button"
                        class="btn"
                        prop:disabled=move || status.with(|s| s.phase == Phase::Running)
                        on:click=move |_| again()
                    >
                        {tr(Key::AuditAgain)}
                    </button>
                </div>
            </div>
            <p class="explain">{tr(Key::AuditExplained)}</p>
            <div class="filters" role="group" aria-label=tr(Key::CommonFilters)>
                {filter_field(
                    "audit-region",
                    Key::AuditRegion,
                    select(
                        "audit-region",
                        |f| &mut f.region,
                        |_, regions| {
                            let mut list = vec![(String::new(), t(Key::AuditAllRegions))];
                            list.extend(regions.iter().map(|r| (r.clone(), r.clone())));
                            list
                        },
                    ),
                )}
                {filter_field(
                    "audit-owner",
                    Key::AuditOwner,
                    select(
                        "audit-owner",
                        |f| &mut f.owner,
                        |s, _| s.choices(&s.owners, &t(Key::AuditAllOwners)),
                    ),
                )}
                {filter_field(
                    "audit-member",
                    Key::AuditMember,
                    select(
                        "audit-member",
                        |f| &mut f.member,
                        |s, _| s.choices(&s.members, &t(Key::AuditAllMembers)),
                    ),
                )}
                {filter_field(
                    "audit-status",
                    Key::AuditStatus,
                    select(
                        "audit-status",
                        |f| &mut f.status,
                        |_, _| {
                            let mut list = vec![(String::new(), t(Key::AuditAnyStatus))];
                            list.extend(
                                MemberStatus::ALL
                                    .iter()
                                    .map(|s| (s.as_str().to_owned(), msg::member_status(*s))),
                            );
                            list
                        },
                    ),
                )}
                <Show when=move || !filter.with(Filter::is_empty)>
                    <button type="button" class="btn" on:click=move |_| set_query("")>
                        {tr(Key::CommonClearFilters)}
                    </button>
                </Show>
            </div>
            // Only the values change: the live region stays, so "Audit complete." is heard.
            <div class="progress audit-progress">
                <progress
                    aria-label=tr(Key::AuditProgress)
                    max=move || status.with(|s| s.total.max(s.done).max(1).to_string())
                    value=move || status.with(|s| s.done.to_string())
                ></progress>
                <span class="muted">
                    {move || status.with(|s| tn(Key::AuditChecked, s.total, &[("done", &msg::number(s.done))]))}
                </span>
                <span role="status">
                    {move || match status.with(|s| s.phase.clone()) {
                        Phase::Running => t(Key::AuditRunning),
                        Phase::Done => t(Key::AuditDone),
                        _ => String::new(),
                    }}
                </span>
            </div>
            {move || {
                match status.with(|s| s.phase.clone()) {
                    Phase::Failed(e) => {
                        view! { <ErrorNote error=e retry=Callback::new(move |_| again()) /> }.into_any()
                    }
                    Phase::EndedEarly => view! {
                        <div class="error-note" role="alert">
                            <p>{tr(Key::AuditEndedEarly)}</p>
                            <button type="button" class="btn" on:click=move |_| again()>
                                {tr(Key::CommonTryAgain)}
                            </button>
                        </div>
                    }
                    .into_any(),
                    _ => ().into_any(),
                }
            }}
            <div class="warnings" role="alert" class:hidden=move || failures.with(Vec::is_empty)>
                <p class="strong">{tr(Key::AuditFailures)}</p>
                <ul>
                    {move || {
                        failures
                            .get()
                            .into_iter()
                            .map(|f| {
                                let project = f.project_name.or(f.project_id);
                                let place = failure_place(f.region.as_deref(), project.as_deref());
                                let error = ApiError::new(500, Some(f.error));
                                view! {
                                    <li>
                                        <span class="strong">{place}</span>
                                        ": "
                                        {msg::error(Doing::Load, &error)}
                                    </li>
                                }
                                    .into_any()
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
            {move || {
                // The status is read only for an empty matrix: progress does not redraw it.
                let matrix = rows.with(|r| seen.with(|s| Matrix::of(r, s).view()));
                if let Some(matrix) = matrix {
                    matrix
                } else if status.with(|s| s.phase != Phase::Done) {
                    ().into_any()
                } else if filter.with(Filter::is_empty) {
                    view! { <EmptyState title=tr(Key::AuditNone) hint=tr(Key::AuditNoneHint) /> }
                        .into_any()
                } else {
                    view! { <EmptyState title=tr(Key::AuditNoMatch) hint=tr(Key::CommonNoMatchFiltersHint) /> }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Where an audit failure happened.
fn failure_place(region: Option<&str>, project: Option<&str>) -> String {
    match (region, project) {
        (Some(r), Some(p)) => tf(Key::AuditPlaceRegionProject, &[("region", r), ("project", p)]),
        (Some(r), None) => tf(Key::AuditPlaceRegion, &[("region", r)]),
        (None, Some(p)) => tf(Key::AuditPlaceProject, &[("project", p)]),
        (None, None) => t(Key::AuditPlaceEverywhere),
    }
}

/// `items` ordered by `key` (one sort instantiation for the whole page).
fn sorted<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
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
struct Matrix<'a> {
    columns: Vec<Column>,
    lines: Vec<Line<'a>>,
    seen: &'a Seen,
}

impl<'a> Matrix<'a> {
    fn of(rows: &'a [AccessRow], seen: &'a Seen) -> Self {
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
    fn view(&self) -> Option<AnyView> {
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
            <div class="table-wrap">
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

    fn row(image: &str, member: &str, status: MemberStatus, protected: bool) -> AccessRow {
        AccessRow {
            region: "RegionOne".into(),
            image_id: format!("id-{image}"),
            image_name: Some(image.into()),
            owner_id: "owner".into(),
            owner_name: Some("project-a".into()),
            member_id: member.into(),
            member_name: (member != "junk").then(|| format!("name-{member}")),
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
        assert_eq!(lines, [("alpha", 2), ("zeta", 2)], "images by name, members grouped");
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
        assert!(!seen.take(&[row("x", "b", MemberStatus::Accepted, false)]), "nothing new");
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
        assert_eq!(f.query("csv"), "region=RegionOne&status=accepted&format=csv");
        assert!(!f.is_empty());
        assert!(Filter::default().is_empty());
        assert_eq!(short_id("0123456789abcdef"), "01234567\u{2026}");
    }
}
