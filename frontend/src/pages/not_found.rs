use leptos::prelude::*;
use leptos_router::components::A;

use crate::msg;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="page narrow">
            <h1>{msg::NOT_FOUND_TITLE}</h1>
            <p>{msg::NOT_FOUND_TEXT}</p>
            <p>
                <A href="/images">{msg::BACK_TO_MY_IMAGES}</A>
            </p>
        </section>
    }
}
