//! One image: what `openstack image show` shows, its sharing settings and its members (for
//! its owner), or the current project's decision on it (for a project it is shared with).

mod add_members;
mod copy_region;
mod members;
mod offer;
mod pick_project;
mod properties;
mod sharing;

use json::{ErrorCode, ImageDetail};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::{CopyButton, ErrorNote, Loading, VisibilityBadge};
use crate::i18n::{Key, t, text, tf, tr};
use crate::msg;
use crate::pages::my_images::no_session;
use crate::router::{Link, Route, page_title};
use crate::state::{Scope, use_state};

use copy_region::CopyPanel;
use members::MembersPanel;
use offer::OfferPanel;
use properties::PropertiesPanel;
use sharing::SharingPanel;

#[component]
pub fn ImageDetailPage(id: String) -> impl IntoView {
    let state = use_state();
    let detail = LocalResource::new(move || {
        let scope = state.scope();
        let id = id.clone();
        async move {
            let scope = scope.ok_or_else(no_session)?;
            let detail = api::get_image(&scope.region, &id).await?;
            Ok::<_, ApiError>((scope, detail))
        }
    });
    // The page's title is the image's name once known.
    page_title(text(move || match detail.get() {
        Some(Ok((_, d))) => msg::image_name(d.image.name.as_deref()),
        _ => t(Key::DetailCrumb),
    }));

    view! {
        <section class="page">
            {move || match detail.get() {
                None => view! { <Crumbs owned=true /><Loading text=Key::CommonLoadingImage /> }.into_any(),
                Some(Err(e)) if e.is(ErrorCode::NotFound) => {
                    let region = state.region.get_untracked();
                    view! {
                        <Crumbs owned=true />
                        <h1>{tr(Key::DetailNotFound)}</h1>
                        <p class="muted">
                            {text(move || tf(Key::DetailNotFoundHint, &[("region", &region)]))}
                        </p>
                    }
                        .into_any()
                }
                Some(Err(e)) => {
                    view! {
                        <Crumbs owned=true />
                        <h1>{tr(Key::DetailCrumb)}</h1>
                        <ErrorNote error=e retry=Callback::new(move |_| detail.refetch()) />
                    }
                        .into_any()
                }
                Some(Ok((scope, d))) => view! { <DetailBody scope=scope detail=d /> }.into_any(),
            }}
        </section>
    }
}

/// Back to the list the image belongs in: "My images" or "Shared with us".
#[component]
fn Crumbs(owned: bool) -> impl IntoView {
    let (route, text) = if owned {
        (Route::MyImages, Key::NavMyImages)
    } else {
        (Route::SharedWithUs, Key::NavSharedWithUs)
    };
    view! {
        <nav class="crumbs" aria-label=tr(Key::NavBreadcrumb)>
            <Link href=route.href()>{tr(text)}</Link>
            <span aria-hidden="true">" / "</span>
            <span aria-current="page">{tr(Key::DetailCrumb)}</span>
        </nav>
    }
}

#[component]
fn DetailBody(scope: Scope, detail: ImageDetail) -> impl IntoView {
    let is_owner = detail.image.owner.as_deref() == Some(scope.project_id.as_str());
    // Another region to copy to, for an owner's active image.
    let regions = use_state()
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.regions.clone()));
    let targets = copy_region::targets(&regions.unwrap_or_default(), &scope.region);
    let copyable = is_owner && detail.image.status == "active" && !targets.is_empty();
    let image_id = detail.image.id.clone();
    let image = RwSignal::new(detail);
    let name = move || image.with(|d| msg::image_name(d.image.name.as_deref()));

    view! {
        <Crumbs owned=is_owner />
        <div class="detail-head">
            <div>
                <h1>{name}</h1>
                <div class="id-line">
                    <span class="muted">{tr(Key::DetailId)}</span>
                    <code>{image_id.clone()}</code>
                    <CopyButton value=image_id label=Key::CopyImageId />
                </div>
            </div>
            <div class="badges">
                <span class="badge badge-neutral">
                    {move || image.with(|d| msg::image_status(&d.image.status))}
                </span>
                {move || view! { <VisibilityBadge visibility=image.with(|d| d.image.visibility) /> }}
                {move || {
                    image
                        .with(|d| d.image.protected)
                        .then(|| view! { <span class="badge badge-protected">{tr(Key::DetailProtected)}</span> })
                }}
            </div>
        </div>
        {if is_owner {
            view! {
                <SharingPanel scope=scope.clone() image=image />
                <MembersPanel scope=scope.clone() image=image />
            }
                .into_any()
        } else {
            view! { <OfferPanel scope=scope.clone() image=image /> }.into_any()
        }}
        {copyable.then(|| view! { <CopyPanel scope=scope.clone() image=image targets=targets /> })}
        <PropertiesPanel image=image />
    }
}
