//! One event of the activity log as a table row.

use json::{ActivityEvent, outcome};
use leptos::prelude::*;

use crate::format;
use crate::i18n::{Key, tr};
use crate::msg;

pub(super) fn event_row(e: ActivityEvent, projects: &[json::NamedRef]) -> AnyView {
    let member =
        e.member_id.map(
            |id| match projects.iter().find(|p| p.id == id).map(|p| p.name.clone()) {
                Some(name) => view! { <span title=id>{name}</span> }.into_any(),
                None => view! { <code>{id}</code> }.into_any(),
            },
        );
    let outcome = match e.outcome.as_deref() {
        Some(outcome::OK) => view! { <span class="badge badge-ok">{tr(Key::ActivityOk)}</span> }.into_any(),
        // Settled after a crash: not a failure of the change itself.
        Some(outcome::INTERRUPTED) => view! {
            <span class="badge badge-unfinished" title=tr(Key::ActivityInterruptedExplained)>
                {tr(Key::ActivityInterrupted)}
            </span>
        }
        .into_any(),
        Some(outcome::NOT_APPLIED) => view! {
            <span class="badge badge-unfinished" title=tr(Key::ActivityNotAppliedExplained)>
                {tr(Key::ActivityNotApplied)}
            </span>
        }
        .into_any(),
        Some(code) => view! {
            <span class="badge badge-failed">{tr(Key::ActivityFailed)} " " <code>{code.to_owned()}</code></span>
        }
        .into_any(),
        None => view! {
            <span class="badge badge-unfinished" title=tr(Key::ActivityUnfinishedExplained)>
                {tr(Key::ActivityUnfinished)}
            </span>
        }
        .into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">
                <time datetime=e.at.clone() title=e.at.clone()>
                    {format::date_time_seconds(&e.at)}
                </time>
            </td>
            <td class="nowrap" title=e.user_id>{e.user_name}</td>
            <td class="nowrap" title=e.project_id>{e.project_name}</td>
            <td class="nowrap">{e.region}</td>
            <td class="nowrap">{msg::action(e.action)}</td>
            <td>
                <span class="strong">{msg::image_name(e.image_name.as_deref())}</span>
                <div class="sub mono">{e.image_id}</div>
            </td>
            <td>{member.unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
            <td>{outcome}</td>
            <td>{e.request_id.map(|id| view! { <code class="small">{id}</code> })}</td>
        </tr>
    }
    .into_any()
}
