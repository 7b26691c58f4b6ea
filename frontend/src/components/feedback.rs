use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Key, text, tr};
use crate::msg::{self, Doing};

/// A loading line with a spinner; `role=status` so screen readers hear it.
#[component]
pub fn Loading(#[prop(optional)] text: Option<Key>) -> impl IntoView {
    let text = text.unwrap_or(Key::AppLoading);
    view! {
        <p class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            {tr(text)}
        </p>
    }
}

/// An error in the user's words, next to what failed, with a retry button when one is given.
#[component]
pub fn ErrorNote(
    error: ApiError,
    /// What was being done, for the words.
    #[prop(optional)]
    doing: Option<Doing>,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    let doing = doing.unwrap_or(Doing::Load);
    view! {
        <div class="error-note" role="alert">
            <p>{text(move || msg::error(doing, &error))}</p>
            {retry.map(|retry| {
                view! {
                    <button type="button" class="btn" on:click=move |_| retry.run(())>
                        {tr(Key::CommonTryAgain)}
                    </button>
                }
            })}
        </div>
    }
}

/// The words of a failed change, in a form's or a row's alert line (nothing when it worked).
#[component]
pub fn FailureLine(
    /// The error, None when there is none to show.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
    doing: Doing,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    let class = class.unwrap_or("form-error");
    move || {
        error.get().map(|e| {
            view! {
                <p class=class role="alert">
                    {msg::error(doing, &e)}
                </p>
            }
        })
    }
}

/// Nothing to show, said kindly.
#[component]
pub fn EmptyState(title: Signal<String>, hint: Signal<String>) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint}</p>
        </div>
    }
}
