//! The access audit: who can use which image, across every project the user has a role in and
//! every region, as a matrix of images × member projects. The server streams the audit as
//! NDJSON; the matrix fills in and the progress bar advances as it arrives.
//!
//! Written for a small wasm: vectors rather than maps, one sort, views erased to `AnyView`.

use json::{AccessRow, AuditFailure, AuditMessage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Element;

mod changes;
mod failures;
mod filters;
mod matrix;
mod progress;

use failures::failures;
use filters::{Filter, Seen, filters};
use matrix::Matrix;
use progress::{Phase, Status, progress};

use crate::api;
use crate::components::EmptyState;
use crate::i18n::{Key, tr};
use crate::router::{page_title, use_location};
use crate::state::use_state;

/// Redraw the matrix at most this often while rows stream in (milliseconds), plus half a
/// millisecond per row already shown.
const FLUSH_MS: f64 = 300.0;

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
    let failure_list = RwSignal::new(Vec::<AuditFailure>::new());
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
        failure_list.set(Vec::new());
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
                    AuditMessage::Failure { failure } => failure_list.update(|f| f.push(failure)),
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
            {filters(filter, seen)}
            {progress(status, again)}
            {failures(failure_list)}
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
