use leptos::html;
use leptos::prelude::*;

use crate::i18n::{Key, tr};
use crate::state::use_state;

/// The one in-page confirmation dialog (a modal `<dialog>`), driven by `AppState::ask`.
/// Cancel has the focus, so Enter never destroys anything by accident; Escape cancels.
#[component]
pub fn ConfirmDialog() -> impl IntoView {
    let state = use_state();
    let dialog = NodeRef::<html::Dialog>::new();
    let cancel_button = NodeRef::<html::Button>::new();

    Effect::new(move |_| {
        let open = state.confirm.with(|c| c.is_some());
        if let Some(d) = dialog.get() {
            if open && !d.open() {
                let _ = d.show_modal();
                if let Some(b) = cancel_button.get() {
                    let _ = b.focus();
                }
            } else if !open && d.open() {
                d.close();
            }
        }
    });

    let confirm = move |_| {
        if let Some(c) = state.confirm.get_untracked() {
            state.confirm.set(None);
            (c.on_confirm)();
        }
    };
    let cancel = move |_| state.confirm.set(None);

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby="confirm-title"
            aria-describedby="confirm-body"
            on:close=move |_| state.confirm.set(None)
        >
            {move || {
                state
                    .confirm
                    .get()
                    .map(|c| {
                        let class = if c.danger { "btn btn-danger" } else { "btn btn-primary" };
                        view! {
                            <h2 id="confirm-title">{c.title}</h2>
                            <div id="confirm-body">
                                <p>{c.body}</p>
                                {c.risk.map(|r| view! { <p class="risk">{r}</p> })}
                            </div>
                            <div class="dialog-actions">
                                <button
                                    type="button"
                                    class="btn"
                                    node_ref=cancel_button
                                    on:click=cancel
                                >
                                    {tr(Key::CommonCancel)}
                                </button>
                                <button type="button" class=class on:click=confirm>
                                    {c.confirm_label}
                                </button>
                            </div>
                        }
                    })
            }}
        </dialog>
    }
}
