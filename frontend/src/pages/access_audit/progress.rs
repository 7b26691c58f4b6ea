//! Where the audit is: its progress bar, read out when it completes, and what to do when it
//! ended before its end.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::ErrorNote;
use crate::i18n::{Key, t, tn, tr};
use crate::msg;

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) enum Phase {
    #[default]
    Running,
    Done,
    EndedEarly,
    Failed(ApiError),
}

/// Where the current run is: lookups done of those known, and its phase.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Status {
    pub done: usize,
    pub total: usize,
    pub phase: Phase,
}

/// The progress bar, and a note with a way to run the audit again when it did not end well.
pub(super) fn progress(
    status: RwSignal<Status>,
    again: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    view! {
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
    }
    .into_any()
}
