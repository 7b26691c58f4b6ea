use leptos::prelude::*;

use crate::msg;
use crate::router::Link;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section class="page narrow">
            <h1>{msg::NOT_FOUND_TITLE}</h1>
            <p>{msg::NOT_FOUND_TEXT}</p>
            <p>
                <Link href="/images".into()>{msg::BACK_TO_MY_IMAGES}</Link>
            </p>
        </section>
    }
}
