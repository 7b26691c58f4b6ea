use leptos::prelude::*;

use crate::i18n::{Key, tr};

/// A labelled filter control, as the audit pages line them up.
pub fn filter_field(id: &'static str, label: Key, control: AnyView) -> AnyView {
    view! {
        <div class="field">
            <label for=id>{tr(label)}</label>
            {control}
        </div>
    }
    .into_any()
}

/// The `<option>`s of a filter select: `(value, label)` pairs, `chosen` selected; a chosen
/// value missing from the list (from a bookmarked address) is added, as it is.
pub fn options(mut list: Vec<(String, String)>, chosen: &str) -> AnyView {
    if !list.iter().any(|(v, _)| v == chosen) {
        list.push((chosen.to_owned(), chosen.to_owned()));
    }
    list.into_iter()
        .map(|(value, label)| {
            let selected = value == chosen;
            view! { <option value=value selected=selected>{label}</option> }.into_any()
        })
        .collect_view()
        .into_any()
}
