use json::{ApplicationCredentialSignIn, PasswordSignIn, SignIn};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::router::{navigate, use_location};
use crate::state::use_state;
use crate::{api, msg};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Password,
    ApplicationCredential,
}

/// Sign in with a Keystone password, or with an application credential.
#[component]
pub fn SignInPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();

    let method = RwSignal::new(Method::Password);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let domain = RwSignal::new(msg::DEFAULT_DOMAIN.to_owned());
    let project = RwSignal::new(String::new());
    let credential_id = RwSignal::new(String::new());
    let credential_secret = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    // Already signed in (say, the back button): go on.
    Effect::new(move |_| {
        if state.session.with(|s| s.is_some()) && !busy.get_untracked() {
            navigate(&next_path(untrack(|| location.param("next"))));
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let request = match method.get_untracked() {
            Method::Password => {
                let user = username.get_untracked().trim().to_owned();
                if user.is_empty() || password.with_untracked(|p| p.is_empty()) {
                    error.set(Some(msg::SIGN_IN_MISSING_PASSWORD.into()));
                    return;
                }
                let opt = |s: String| {
                    let s = s.trim().to_owned();
                    (!s.is_empty()).then_some(s)
                };
                SignIn::Password(PasswordSignIn {
                    username: user,
                    password: password.get_untracked(),
                    user_domain: opt(domain.get_untracked()),
                    project: opt(project.get_untracked()),
                })
            }
            Method::ApplicationCredential => {
                let id = credential_id.get_untracked().trim().to_owned();
                if id.is_empty() || credential_secret.with_untracked(|s| s.is_empty()) {
                    error.set(Some(msg::SIGN_IN_MISSING_CREDENTIAL.into()));
                    return;
                }
                SignIn::ApplicationCredential(ApplicationCredentialSignIn {
                    application_credential_id: id,
                    application_credential_secret: credential_secret.get_untracked(),
                })
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = api::sign_in(&request).await;
            drop(request);
            match result {
                Ok(session) => {
                    // Secrets never stay in the page longer than needed.
                    password.set(String::new());
                    credential_secret.set(String::new());
                    state.set_session(session);
                    navigate(&next_path(untrack(|| location.param("next"))));
                }
                Err(e) => {
                    password.set(String::new());
                    credential_secret.set(String::new());
                    error.set(Some(e.message));
                }
            }
            busy.set(false);
        });
    };

    let tab = move |m: Method, id: &'static str, panel: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                id=id
                aria-controls=panel
                aria-selected=move || if method.get() == m { "true" } else { "false" }
                tabindex=move || if method.get() == m { "0" } else { "-1" }
                class="tab"
                on:click=move |_| {
                    method.set(m);
                    error.set(None);
                }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight") {
                        let other = if m == Method::Password {
                            Method::ApplicationCredential
                        } else {
                            Method::Password
                        };
                        method.set(other);
                        let other_id = if other == Method::Password { "tab-password" } else { "tab-appcred" };
                        if let Some(el) = document().get_element_by_id(other_id) {
                            let el: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(el);
                            let _ = el.focus();
                        }
                    }
                }
            >
                {label}
            </button>
        }
    };

    view! {
        <section class="signin">
            <div class="signin-card">
                <div class="signin-brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span>{msg::APP_NAME}</span>
                </div>
                <h1>{msg::SIGN_IN_TITLE}</h1>
                <p class="muted">{msg::SIGN_IN_LEDE}</p>
                {move || state.notice.get().map(|n| view! { <p class="notice">{n}</p> })}
                <div class="tabs" role="tablist" aria-label=msg::SIGN_IN_METHOD>
                    {tab(Method::Password, "tab-password", "panel-password", msg::TAB_PASSWORD)}
                    {tab(
                        Method::ApplicationCredential,
                        "tab-appcred",
                        "panel-appcred",
                        msg::TAB_APPLICATION_CREDENTIAL,
                    )}
                </div>
                <form on:submit=on_submit novalidate=true>
                    <Show when=move || method.get() == Method::Password>
                        <div role="tabpanel" id="panel-password" aria-labelledby="tab-password">
                            <div class="field">
                                <label for="username">{msg::FIELD_USERNAME}</label>
                                <input
                                    id="username"
                                    type="text"
                                    autocomplete="username"
                                    autofocus=true
                                    required=true
                                    bind:value=username
                                />
                            </div>
                            <div class="field">
                                <label for="password">{msg::FIELD_PASSWORD}</label>
                                <input
                                    id="password"
                                    type="password"
                                    autocomplete="current-password"
                                    required=true
                                    bind:value=password
                                />
                            </div>
                            <div class="field-row">
                                <div class="field">
                                    <label for="domain">{msg::FIELD_DOMAIN}</label>
                                    <input id="domain" type="text" bind:value=domain />
                                </div>
                                <div class="field">
                                    <label for="project">{msg::FIELD_PROJECT}</label>
                                    <input
                                        id="project"
                                        type="text"
                                        aria-describedby="project-hint"
                                        bind:value=project
                                    />
                                    <p id="project-hint" class="hint">
                                        {msg::PROJECT_HINT}
                                    </p>
                                </div>
                            </div>
                        </div>
                    </Show>
                    <Show when=move || method.get() == Method::ApplicationCredential>
                        <div role="tabpanel" id="panel-appcred" aria-labelledby="tab-appcred">
                            <p class="hint">{msg::APPCRED_HINT}</p>
                            <div class="field">
                                <label for="appcred-id">{msg::FIELD_APPCRED_ID}</label>
                                <input
                                    id="appcred-id"
                                    type="text"
                                    autocomplete="username"
                                    spellcheck="false"
                                    bind:value=credential_id
                                />
                            </div>
                            <div class="field">
                                <label for="appcred-secret">{msg::FIELD_APPCRED_SECRET}</label>
                                <input
                                    id="appcred-secret"
                                    type="password"
                                    autocomplete="current-password"
                                    bind:value=credential_secret
                                />
                            </div>
                        </div>
                    </Show>
                    {move || {
                        error
                            .get()
                            .map(|e| {
                                view! {
                                    <p class="form-error" role="alert">
                                        {e}
                                    </p>
                                }
                            })
                    }}
                    <button
                        type="submit"
                        class="btn btn-primary btn-block"
                        prop:disabled=move || busy.get()
                        aria-busy=move || if busy.get() { "true" } else { "false" }
                    >
                        {msg::SIGN_IN}
                    </button>
                    <Show when=move || busy.get()>
                        <p class="loading" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            {msg::SIGNING_IN}
                        </p>
                    </Show>
                </form>
            </div>
        </section>
    }
}

/// Where to go after signing in: the `next` path when it is one of ours.
fn next_path(next: Option<String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/sign-in") => n,
        _ => "/images".into(),
    }
}
