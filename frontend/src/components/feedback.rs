use leptos::prelude::*;

use crate::api::ApiError;
use crate::msg;

/// A loading line with a spinner; `role=status` so screen readers hear it.
#[component]
pub fn Loading(#[prop(optional)] text: Option<&'static str>) -> impl IntoView {
    view! {
        <p class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            {text.unwrap_or(msg::LOADING)}
        </p>
    }
}

/// An error in plain words next to what failed, with a retry button when one is given.
#[component]
pub fn ErrorNote(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <div class="error-note" role="alert">
            <p>{error.message}</p>
            {retry.map(|retry| {
                view! {
                    <button type="button" class="btn" on:click=move |_| retry.run(())>
                        {msg::TRY_AGAIN}
                    </button>
                }
            })}
        </div>
    }
}

/// Nothing to show, said kindly.
#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint}</p>
        </div>
    }
}
