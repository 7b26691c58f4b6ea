//! "Copy to another region": a button per other region, the members option and its warning,
//! then the copy's progress (the server's NDJSON stream, read by the audit's reader), its
//! cancel, and a way to the new image. Kept lean for the UI's size budget: one view whose
//! words and one button follow the copy's state, one change that starts the copy and
//! follows it to its end.

use json::ImageDetail;
use leptos::prelude::*;

use crate::api::{self, ApiError, CopyView};
use crate::change::{Run, change};
use crate::components::FailureLine;
use crate::format::bytes;
use crate::i18n::{Key, t, tf, tr};
use crate::msg::{self, Doing};
use crate::router::{Route, navigate};
use crate::state::{Scope, use_state};

#[component]
pub fn CopyPanel(
    scope: Scope,
    image: RwSignal<ImageDetail>,
    targets: Vec<String>,
) -> impl IntoView {
    let state = use_state();
    let with_members = RwSignal::new(false);
    let copy: RwSignal<Option<CopyView>> = RwSignal::new(None);
    let act = change();

    let region = StoredValue::new(scope.region.clone());
    let start = move |to: String| {
        let (region, id) = (
            region.get_value(),
            image.with_untracked(|d| d.image.id.clone()),
        );
        let members = with_members.get_untracked();
        act.run(async move {
            let started = api::start_copy(&region, &id, &to, members).await?;
            let copy_id = started.id.clone();
            copy.try_set(Some(started));
            // Follows the copy while the panel is shown; a stream the server's time limit
            // cut short is asked for again.
            let running = move || {
                copy.try_with_untracked(|c| c.as_ref().is_some_and(|c| c.state == "running"))
                    == Some(true)
            };
            while running() {
                // The panel gone, the signal is disposed: stop following.
                api::copy_progress(&copy_id, |now| copy.try_set(Some(now)).is_none()).await?;
            }
            Ok::<(), ApiError>(())
        });
    };
    let words = move || {
        let Some(c) = copy.get() else {
            return String::new();
        };
        let region = c.target_region.as_str();
        match c.state.as_str() {
            "running" => {
                let progress = tf(
                    Key::RegionCopyProgress,
                    &[
                        ("done", &bytes(c.bytes_done)),
                        ("total", &bytes(c.bytes_total)),
                        ("rate", &bytes(c.bytes_per_second)),
                    ],
                );
                format!(
                    "{} {progress}",
                    tf(Key::RegionCopyRunning, &[("region", region)])
                )
            }
            "done" => tf(Key::RegionCopyDone, &[("region", region)]),
            _ => {
                let why = c.error.map(|e| msg::error(Doing::Load, &e));
                tf(
                    Key::RegionCopyFailed,
                    &[("region", region), ("why", &why.unwrap_or_default())],
                )
            }
        }
    };
    let state_is = move |s: &str| copy.with(|c| c.as_ref().is_some_and(|c| c.state == s));
    // Cancel while it runs, open the new image once done.
    let button = move || {
        if state_is("running") {
            t(Key::RegionCopyCancel)
        } else if state_is("done") {
            t(Key::RegionCopyOpen)
        } else {
            String::new()
        }
    };
    let on_button = move |_| {
        let Some(c) = copy.get_untracked() else {
            return;
        };
        if c.state == "done" {
            state.set_region(c.target_region);
            navigate(&Route::Image(c.target_image_id).href());
        } else {
            // The change following the copy sees it end.
            leptos::task::spawn_local(async move {
                let _ = api::cancel_copy(&c.id).await;
            });
        }
    };

    view! {
        <section class="card" aria-labelledby="copy-title">
            <h2 id="copy-title">{tr(Key::RegionCopyTitle)}</h2>
            <label class="check">
                <input
                    type="checkbox"
                    aria-describedby="copy-members-hint"
                    on:change=move |ev| with_members.set(event_target_checked(&ev))
                />
                {tr(Key::RegionCopyWithMembers)}
            </label>
            <p id="copy-members-hint" class="hint">{tr(Key::RegionCopyMembersWarning)}</p>
            {targets
                .into_iter()
                .map(|to| {
                    let label = to.clone();
                    view! {
                        <button
                            type="button"
                            class="btn btn-primary"
                            prop:disabled=move || act.pending().get()
                            on:click=move |_| start(to.clone())
                        >
                            {move || tf(Key::RegionCopyStart, &[("region", &label)])}
                        </button>
                    }
                })
                .collect_view()}
            <FailureLine error=act.failure() doing=Doing::Load />
            <p class="progress" role="status">
                {words}
                // Per thousand: one attribute that changes.
                <progress
                    max="1000"
                    value=move || copy.with(|c| c.as_ref().map_or(0, |c| c.bytes_done * 1000 / c.bytes_total.max(1)))
                ></progress>
                <button type="button" class="btn" class:hidden=move || button().is_empty() on:click=on_button>
                    {button}
                </button>
            </p>
        </section>
    }
}

/// The regions a copy may go to: the session's others.
pub fn targets(regions: &[String], here: &str) -> Vec<String> {
    regions.iter().filter(|r| *r != here).cloned().collect()
}
