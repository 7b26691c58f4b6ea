use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{Key, t, text, tf, tr};
use crate::state::use_state;

/// A small button that copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    value: Signal<String>,
    /// The button's accessible name, e.g. "Copy project ID".
    label: Key,
) -> impl IntoView {
    let state = use_state();
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        let value = value.get_untracked();
        spawn_local(async move {
            let ok = match web_sys::window() {
                Some(w) => JsFuture::from(w.navigator().clipboard().write_text(&value))
                    .await
                    .is_ok(),
                None => false,
            };
            if ok {
                copied.try_set(true);
                set_timeout(
                    move || {
                        copied.try_set(false);
                    },
                    std::time::Duration::from_secs(2),
                );
                state.success(tf(Key::CopyDone, &[("what", &value)]));
            } else {
                state.error(t(Key::CopyFailed));
            }
        });
    };
    view! {
        <button
            type="button"
            class="btn-icon"
            aria-label=tr(label)
            title=tr(label)
            on:click=on_click
        >
            {text(move || t(if copied.get() { Key::CopyDoneButton } else { Key::CopyButton }))}
        </button>
    }
}
