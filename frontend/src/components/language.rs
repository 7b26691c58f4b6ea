use leptos::prelude::*;

use crate::change::{Run, change};
use crate::i18n::{self, Key, Lang, tr};

/// The language picker: each language by its own name. Switching keeps the page as it is
/// (only the words change) and is remembered in this browser.
#[component]
pub fn LanguagePicker(
    /// The select's id (the header's and the sign-in page's differ).
    id: &'static str,
) -> impl IntoView {
    let choose = change();
    let on_change = move |ev: leptos::ev::Event| {
        if let Some(lang) = Lang::of(&event_target_value(&ev)) {
            choose.run(async move {
                i18n::choose(lang).await;
                Ok(())
            });
        }
    };
    view! {
        <div class="field-inline language">
            <label for=id>{tr(Key::AppLanguage)}</label>
            <select id=id on:change=on_change prop:disabled=move || choose.pending().get()>
                {Lang::ALL
                    .into_iter()
                    .map(|lang| {
                        view! {
                            <option
                                value=lang.code()
                                lang=lang.code()
                                selected=move || i18n::lang() == lang
                            >
                                {lang.endonym()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
