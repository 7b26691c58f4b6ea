use leptos::prelude::*;

use crate::i18n::{Key, tr};
use crate::router::{Link, Route, page_title};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    page_title(tr(Key::NotFoundTitle));
    view! {
        <section class="page narrow">
            <h1>{tr(Key::NotFoundTitle)}</h1>
            <p>{tr(Key::NotFoundText)}</p>
            <p>
                <Link href=Route::MyImages.href()>{tr(Key::NotFoundBack)}</Link>
            </p>
        </section>
    }
}
