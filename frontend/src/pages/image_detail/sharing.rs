use std::sync::Arc;

use json::{ImageDetail, ImageUpdate};
use leptos::prelude::*;

use crate::api;
use crate::change::{Run, change};
use crate::components::{FailureLine, VisibilityControl};
use crate::i18n::{Key, derived, text, tf, tr};
use crate::msg::{self, Doing};
use crate::state::{Scope, use_state};

/// Who may use the image (shared or private) and whether it may be deleted (protected).
#[component]
pub fn SharingPanel(scope: Scope, image: RwSignal<ImageDetail>) -> impl IntoView {
    let state = use_state();
    let visibility = derived(Arc::new(move || image.with(|d| d.image.visibility)));
    let name = text(move || image.with(|d| msg::image_name(d.image.name.as_deref())));
    let image_id = image.with_untracked(|d| d.image.id.clone());

    let region = scope.region.clone();
    let id = image_id.clone();
    let protect = change();
    let target = StoredValue::new((region, id));
    let set_protected = move |on: bool| {
        let (region, id) = target.get_value();
        protect.run(async move {
            let update = ImageUpdate {
                visibility: None,
                protected: Some(on),
            };
            match api::update_image(&region, &id, &update).await {
                Ok(d) => {
                    let name = msg::image_name(d.image.name.as_deref());
                    let key = if d.image.protected {
                        Key::DetailNowProtected
                    } else {
                        Key::DetailNowUnprotected
                    };
                    state.success(tf(key, &[("name", &name)]));
                    image.set(d);
                    Ok(())
                }
                Err(e) => {
                    // The switch goes back to what the image really is.
                    image.update(|_| {});
                    Err(e)
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="sharing-title">
            <h2 id="sharing-title">{tr(Key::DetailSharing)}</h2>
            <div class="setting">
                <div class="setting-text">
                    <h3>{tr(Key::ColVisibility)}</h3>
                    <p>{text(move || msg::visibility_explained(visibility.get()))}</p>
                </div>
                <div class="setting-control">
                    <VisibilityControl
                        region=scope.region.clone()
                        image_id=image_id
                        name=name
                        visibility=visibility
                        members=derived(Arc::new(|| None))
                        on_changed=Callback::new(move |d| image.set(d))
                    />
                </div>
            </div>
            <div class="setting">
                <div class="setting-text">
                    <div class="check">
                        <input
                            id="protected"
                            type="checkbox"
                            role="switch"
                            aria-describedby="protected-hint"
                            prop:checked=move || image.with(|d| d.image.protected)
                            prop:disabled=move || protect.pending().get()
                            on:change=move |ev| set_protected(event_target_checked(&ev))
                        />
                        <label for="protected">{tr(Key::DetailProtected)}</label>
                    </div>
                    <p id="protected-hint" class="hint">{tr(Key::DetailProtectedExplained)}</p>
                </div>
            </div>
            <FailureLine error=protect.failure() doing=Doing::Protect />
        </section>
    }
}
