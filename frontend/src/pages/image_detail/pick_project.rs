//! The session's other projects, every account's, picked by name: the project's ID goes into
//! the add-member field, so that nobody copies an ID between their own accounts.

use leptos::prelude::*;

use crate::i18n::{Key, tr};
use crate::state::use_state;

/// Shown when the session has another project than the current one.
#[component]
pub fn PickProject(
    /// The add-member field: a picked project's ID is added to it, on a line of its own.
    input: RwSignal<String>,
) -> impl IntoView {
    let state = use_state();
    // (id, name) of each project of the session but the current one, each once.
    let others = move || {
        state.session.with(|s| {
            let Some(s) = s else { return Vec::new() };
            let mut projects: Vec<(String, String)> = Vec::new();
            for a in &s.accounts {
                for p in &a.projects {
                    if p.id != s.project.id && !projects.iter().any(|(id, _)| *id == p.id) {
                        projects.push((p.id.clone(), p.name.clone()));
                    }
                }
            }
            projects
        })
    };
    let pick = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        if !id.is_empty() {
            input.update(|text| {
                if !text.trim().is_empty() {
                    text.push('\n');
                }
                text.push_str(&id);
            });
        }
        // Back to the placeholder, for the next pick.
        if let Some(select) = ev.target() {
            let select: web_sys::HtmlInputElement = wasm_bindgen::JsCast::unchecked_into(select);
            select.set_value("");
        }
    };
    view! {
        <Show when=move || !others().is_empty()>
            <div class="field">
                <label for="member-pick">{tr(Key::MembersPick)}</label>
                <select id="member-pick" on:change=pick>
                    <option value="">{tr(Key::MembersPickNone)}</option>
                    {move || {
                        others()
                            .into_iter()
                            .map(|(id, name)| view! { <option value=id>{name}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
        </Show>
    }
}
