//! The second step of a multi-factor sign-in: the passcode of the user's authenticator app.
//! The receipt of the password step stays on the server; only the passcode is sent.

use leptos::prelude::*;

use crate::i18n::{Key, tr};

/// A plain function rather than a `#[component]`: no props builder, fewer bytes of wasm.
pub fn step(passcode: RwSignal<String>, start_over: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <p class="hint">{tr(Key::SignInPasscodeLede)}</p>
        <div class="field">
            <label for="passcode">{tr(Key::SignInPasscode)}</label>
            <input
                id="passcode"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                spellcheck="false"
                maxlength="10"
                autofocus=true
                required=true
                bind:value=passcode
            />
        </div>
        <button type="button" class="btn btn-small" on:click=move |_| start_over()>
            {tr(Key::SignInStartOver)}
        </button>
    }
}
