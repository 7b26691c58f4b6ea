//! What the audit could not read, each where it happened and why, in the user's words.

use json::AuditFailure;
use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Key, t, tf, tr};
use crate::msg::{self, Doing};

/// The list of failures; hidden while there is none.
pub(super) fn failures(failures: RwSignal<Vec<AuditFailure>>) -> AnyView {
    view! {
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
    }
    .into_any()
}

/// Where an audit failure happened.
pub(super) fn failure_place(region: Option<&str>, project: Option<&str>) -> String {
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
