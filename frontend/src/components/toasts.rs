use leptos::prelude::*;

use crate::i18n::{Key, tr};
use crate::state::{ToastKind, use_state};

/// The toast area: success notices (polite) and failures that have no better place.
#[component]
pub fn Toasts() -> impl IntoView {
    let state = use_state();
    view! {
        <div class="toasts" role="status" aria-live="polite" aria-label=tr(Key::ToastRegion)>
            {move || state.toasts.get().into_iter().map(|toast| view! {
                <div class=match toast.kind {
                    ToastKind::Success => "toast toast-success",
                    ToastKind::Error => "toast toast-error",
                }>
                    <span class="toast-text">{toast.text.clone()}</span>
                    <button
                        type="button"
                        class="btn-icon"
                        aria-label=tr(Key::ToastDismiss)
                        on:click=move |_| state.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            }).collect_view()}
        </div>
    }
}
