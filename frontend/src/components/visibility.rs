use std::sync::Arc;

use json::{ImageDetail, ImageUpdate, Visibility};
use leptos::prelude::*;

use crate::api;
use crate::change::{Run, change};
use crate::components::FailureLine;
use crate::i18n::{Key, t, text, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::state::{Confirm, use_state};

/// Makes an image shared, or private (after saying who loses access): the one control that
/// My images (in each row) and Image detail both use.
#[component]
pub fn VisibilityControl(
    region: String,
    image_id: String,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] visibility: Signal<Visibility>,
    /// How many projects would lose access; None when not known.
    #[prop(into)]
    members: Signal<Option<usize>>,
    /// The small buttons of a table row, not the page's.
    #[prop(optional)]
    in_row: bool,
    /// Gets the image as it is after the change.
    on_changed: Callback<ImageDetail>,
) -> impl IntoView {
    let state = use_state();
    let target = StoredValue::new((region, image_id));
    let change = change();
    let set = move |to: Visibility| {
        let (region, id) = target.get_value();
        change.run(async move {
            let update = ImageUpdate {
                visibility: Some(to),
                protected: None,
            };
            let detail = api::update_image(&region, &id, &update).await?;
            let name = msg::image_name(detail.image.name.as_deref());
            state.success(match to {
                Visibility::Shared => tf(Key::ImagesMadeShared, &[("name", &name)]),
                _ => tf(Key::ImagesMadePrivate, &[("name", &name)]),
            });
            on_changed.run(detail);
            Ok(())
        })
    };

    let make_private = move || {
        let name = name.get_untracked();
        let body = match members.get_untracked() {
            Some(0) => t(Key::ImagesMakePrivateBodyNone),
            Some(n) => tn(Key::ImagesMakePrivateBody, n, &[]),
            None => t(Key::ImagesMakePrivateBodyUnknown),
        };
        state.ask(Confirm {
            title: tf(Key::ImagesMakePrivateTitle, &[("name", &name)]),
            body,
            risk: Some(t(Key::ImagesMakePrivateRisk)),
            confirm_label: t(Key::ImagesMakePrivate),
            danger: true,
            on_confirm: Arc::new(move || set(Visibility::Private)),
        });
    };
    let class = move |primary: bool| match (in_row, primary) {
        (true, _) => "btn btn-small",
        (false, true) => "btn btn-primary",
        (false, false) => "btn",
    };

    view! {
        {move || match visibility.get() {
            Visibility::Private => {
                view! {
                    <button
                        type="button"
                        class=class(true)
                        prop:disabled=move || change.pending().get()
                        on:click=move |_| set(Visibility::Shared)
                    >
                        {tr(Key::ImagesMakeShared)}
                    </button>
                }
                    .into_any()
            }
            Visibility::Shared => {
                view! {
                    <button
                        type="button"
                        class=class(false)
                        prop:disabled=move || change.pending().get()
                        on:click=move |_| make_private()
                    >
                        {tr(Key::ImagesMakePrivate)}
                    </button>
                }
                    .into_any()
            }
            v if in_row => {
                view! { <span class="muted">{text(move || msg::visibility_for_all(v).unwrap_or_default())}</span> }.into_any()
            }
            _ => ().into_any(),
        }}
        <FailureLine
            error=change.failure()
            doing=Doing::Visibility
            class=if in_row { "cell-error" } else { "form-error" }
        />
    }
}
