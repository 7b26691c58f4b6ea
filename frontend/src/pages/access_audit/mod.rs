//! The access audit: who can use which image, across every project the user has a role in and
//! every region, as a matrix of images × member projects. The server streams the audit as
//! NDJSON; the matrix fills in and the progress bar advances as it arrives.
//!
//! Written for a small wasm: vectors rather than maps, one sort, views erased to `AnyView`.

use json::{AccessRow, AuditFailure, AuditMessage, MemberStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

mod changes;
mod matrix;

use matrix::{Matrix, sorted};
use web_sys::Element;

use crate::api::{self, ApiError};
use crate::components::{EmptyState, ErrorNote, filter_field, options};
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
    // Each completed audit may have been kept as a snapshot.
    let history = changes::History::new();
    // Bumped by each run: an older run's stream stops at its next message.
    let generation = StoredValue::new(0u64);
    let again = move || reload.update(|n| *n += 1);
    // The matrix is computed once per batch of rows; the scroll position picks the lines drawn.
    // Each batch changes it: no comparing a new matrix with the old one.
    let matrix = Memo::new_with_compare(
        move |_| rows.with(|r| seen.with(|s| Matrix::of(r, s))),
        |_, _| true,
    );
    let first_line = RwSignal::new(0usize);

    // Takes in streamed rows.
    let absorb = move |buffer: &mut Vec<AccessRow>| {
        if !buffer.is_empty() {
            // The filters' choices redraw only when there is something new to choose.
            if seen.try_update_untracked(|s| s.take(buffer)) == Some(true) {
                seen.notify();
            }
            rows.update(|r| {
                r.append(buffer);
                matrix::order(r);
            });
        }
    };

    Effect::new(move |_| {
        reload.track();
        let f = filter.get();
        generation.update_value(|g| *g += 1);
        let me = generation.get_value();
        rows.set(Vec::new());
        first_line.set(0);
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
            if finished {
                history.refresh();
            }
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
                    <p class="muted" id="last-snapshot">{history.last_taken()}</p>
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
            {history.view()}
            {move || matrix.with(|m| (!m.is_empty()).then(|| m.summary()))}
            // One scroll area, kept across redraws so that rows streaming in do not move it;
            // its header row stays in view, and it scrolls from the keyboard too. Hidden while
            // a new run has no rows yet, it comes back scrolled to the top.
            <div
                class="table-wrap matrix-scroll"
                class:hidden=move || matrix.with(Matrix::is_empty)
                tabindex="0"
                role="region"
                aria-label=tr(Key::AuditCaption)
                on:scroll=move |ev| {
                    let first = matrix::window_at(event_target::<Element>(&ev).scroll_top());
                    if first != first_line.get_untracked() {
                        first_line.set(first);
                    }
                }
            >
                <table
                    class="table matrix"
                    id="access-matrix"
                    aria-rowcount=move || matrix.with(Matrix::row_count).to_string()
                >
                    <caption class="sr-only">{tr(Key::AuditCaption)}</caption>
                    <thead>
                        <tr aria-rowindex="1">
                            <th scope="col">{tr(Key::ColImage)}</th>
                            <th scope="col">{tr(Key::ColRegion)}</th>
                            <th scope="col">{tr(Key::ColOwner)}</th>
                            {move || matrix.with(Matrix::header)}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let first = first_line.get();
                            matrix.with(|m| rows.with(|r| seen.with(|s| m.body(r, s, first))))
                        }}
                    </tbody>
                </table>
            </div>
            {move || {
                // The status is read only for an empty matrix: progress does not redraw it.
                if !matrix.with(Matrix::is_empty) || status.with(|s| s.phase != Phase::Done) {
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
        (Some(r), Some(p)) => tf(
            Key::AuditPlaceRegionProject,
            &[("region", r), ("project", p)],
        ),
        (Some(r), None) => tf(Key::AuditPlaceRegion, &[("region", r)]),
        (None, Some(p)) => tf(Key::AuditPlaceProject, &[("project", p)]),
        (None, None) => t(Key::AuditPlaceEverywhere),
    }
}
