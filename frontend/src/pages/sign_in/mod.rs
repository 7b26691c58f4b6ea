//! The sign-in page: a Keystone password or an application credential, then, when the
//! account's rules want one, a TOTP passcode (`passcode.rs`). Signed in already, with `?add`,
//! it adds another account to the session instead (same form, same steps).

mod passcode;

use json::{ApplicationCredentialSignIn, ErrorCode, Passcode, PasswordSignIn, SignIn};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, SignInStep};
use crate::change::{Run, change};
use crate::components::LanguagePicker;
use crate::i18n::{Key, t, text, tf, tr};
use crate::msg::{self, Doing};
use crate::router::{Link, Route, navigate, page_title, use_location};
use crate::state::use_state;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Password,
    ApplicationCredential,
}

/// Why the form is not sent, or what the server said.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    Missing(Key),
    Refused(ApiError),
    /// The passcode step's refusal.
    Passcode(ApiError),
}

/// Sign in with a Keystone password, or with an application credential.
#[component]
pub fn SignInPage() -> impl IntoView {
    let state = use_state();
    let location = use_location();
    // Adding an account to the session, rather than starting one.
    let adding =
        Memo::new(move |_| location.param("add").is_some() && state.session.with(|s| s.is_some()));
    let title = move || {
        if adding.get() {
            Key::SignInAddTitle
        } else {
            Key::SignInTitle
        }
    };
    page_title(text(move || t(title())));

    let method = RwSignal::new(Method::Password);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // Empty until the server says its default domain (`GET /config`); empty means that one.
    let domain = RwSignal::new(String::new());
    let show_domain = RwSignal::new(true);
    // Set when the password was right and Keystone wants a TOTP passcode too.
    let passcode_step = RwSignal::new(false);
    let passcode = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let credential_id = RwSignal::new(String::new());
    let credential_secret = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);

    let sign_in = change();
    let busy = sign_in.pending();

    spawn_local(async move {
        if let Ok((default_domain, shown)) = api::sign_in_config().await {
            if domain.with_untracked(|d| d.is_empty()) {
                domain.set(default_domain);
            }
            show_domain.set(shown);
        }
    });

    // Already signed in (say, the back button): go on.
    Effect::new(move |_| {
        if state.session.with(|s| s.is_some()) && !busy.get_untracked() && !adding.get() {
            navigate(&next_path(untrack(|| location.param("next"))));
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let step = if passcode_step.get_untracked() {
            let code = passcode.get_untracked().trim().to_owned();
            if code.is_empty() {
                problem.set(Some(Problem::Missing(Key::SignInMissingPasscode)));
                return;
            }
            SignInStep::Passcode(Passcode { passcode: code })
        } else {
            SignInStep::Credentials(match method.get_untracked() {
                Method::Password => {
                    let user = username.get_untracked().trim().to_owned();
                    if user.is_empty() || password.with_untracked(|p| p.is_empty()) {
                        problem.set(Some(Problem::Missing(Key::SignInMissingPassword)));
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
                        problem.set(Some(Problem::Missing(Key::SignInMissingCredential)));
                        return;
                    }
                    SignIn::ApplicationCredential(ApplicationCredentialSignIn {
                        application_credential_id: id,
                        application_credential_secret: credential_secret.get_untracked(),
                    })
                }
            })
        };
        let second_step = matches!(step, SignInStep::Passcode(_));
        let adding = adding.get_untracked();
        problem.set(None);
        sign_in.run(async move {
            let result = api::sign_in(&step, adding).await;
            drop(step);
            // Secrets never stay in the page longer than needed.
            password.set(String::new());
            credential_secret.set(String::new());
            passcode.set(String::new());
            match result {
                Ok(session) => {
                    let added = session.accounts.last().map(|a| a.user.name.clone());
                    state.set_session(session);
                    if let Some(name) = added.filter(|_| adding) {
                        state.success(tf(Key::SignInAdded, &[("name", &name)]));
                    }
                    navigate(&next_path(untrack(|| location.param("next"))));
                }
                // The password was right; the account wants a passcode too.
                Err(e) if e.is(ErrorCode::MfaRequired) && e.methods.iter().any(|m| m == "totp") => {
                    passcode_step.set(true);
                }
                Err(e) if second_step => problem.set(Some(Problem::Passcode(e))),
                Err(e) => problem.set(Some(Problem::Refused(e))),
            }
            Ok(())
        });
    };
    let start_over = move || {
        passcode_step.set(false);
        passcode.set(String::new());
        problem.set(None);
    };
    let error = problem;

    let tab = move |m: Method, id: &'static str, panel: &'static str, label: Key| {
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
                {tr(label)}
            </button>
        }
    };

    view! {
        <section class="signin">
            <div class="signin-card">
                <div class="signin-brand">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span>{msg::APP_NAME}</span>
                    <LanguagePicker id="signin-language" />
                </div>
                <h1>{move || t(title())}</h1>
                <p class="muted">
                    {move || t(if adding.get() { Key::SignInAddLede } else { Key::SignInLede })}
                </p>
                {move || state.notice.get().map(|n| view! { <p class="notice">{t(n)}</p> })}
                <div
                    class="tabs"
                    role="tablist"
                    aria-label=tr(Key::SignInMethod)
                    hidden=move || passcode_step.get()
                >
                    {tab(Method::Password, "tab-password", "panel-password", Key::SignInTabPassword)}
                    {tab(
                        Method::ApplicationCredential,
                        "tab-appcred",
                        "panel-appcred",
                        Key::SignInTabCredential,
                    )}
                </div>
                <form on:submit=on_submit novalidate=true>
                    <Show when=move || passcode_step.get()>
                        {passcode::step(passcode, start_over)}
                    </Show>
                    <Show when=move || !passcode_step.get() && method.get() == Method::Password>
                        <div role="tabpanel" id="panel-password" aria-labelledby="tab-password">
                            <div class="field">
                                <label for="username">{tr(Key::SignInUsername)}</label>
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
                                <label for="password">{tr(Key::SignInPassword)}</label>
                                <input
                                    id="password"
                                    type="password"
                                    autocomplete="current-password"
                                    required=true
                                    bind:value=password
                                />
                            </div>
                            <div class="field-row">
                                <div class="field" hidden=move || !show_domain.get()>
                                    <label for="domain">{tr(Key::SignInDomain)}</label>
                                    <input id="domain" type="text" bind:value=domain />
                                </div>
                                <div class="field">
                                    <label for="project">{tr(Key::SignInProject)}</label>
                                    <input
                                        id="project"
                                        type="text"
                                        aria-describedby="project-hint"
                                        bind:value=project
                                    />
                                    <p id="project-hint" class="hint">
                                        {tr(Key::SignInProjectHint)}
                                    </p>
                                </div>
                            </div>
                        </div>
                    </Show>
                    <Show when=move || {
                        !passcode_step.get() && method.get() == Method::ApplicationCredential
                    }>
                        <div role="tabpanel" id="panel-appcred" aria-labelledby="tab-appcred">
                            <p class="hint">{tr(Key::SignInCredentialHint)}</p>
                            <div class="field">
                                <label for="appcred-id">{tr(Key::SignInCredentialId)}</label>
                                <input
                                    id="appcred-id"
                                    type="text"
                                    autocomplete="username"
                                    spellcheck="false"
                                    bind:value=credential_id
                                />
                            </div>
                            <div class="field">
                                <label for="appcred-secret">{tr(Key::SignInCredentialSecret)}</label>
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
                            .map(|p| {
                                let text = match p {
                                    Problem::Missing(key) => t(key),
                                    Problem::Refused(e) => msg::error(Doing::SignIn, &e),
                                    Problem::Passcode(e) => msg::error(Doing::Passcode, &e),
                                };
                                view! {
                                    <p class="form-error" role="alert">
                                        {text}
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
                        {tr(Key::SignInSubmit)}
                    </button>
                    <Show when=move || adding.get()>
                        <Link href=Route::MyImages.href() class="btn btn-block">
                            {tr(Key::CommonCancel)}
                        </Link>
                    </Show>
                    <Show when=move || busy.get()>
                        <p class="loading" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            {tr(Key::SignInBusy)}
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
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with(&Route::SignIn.href()) =>
        {
            n
        }
        _ => Route::MyImages.href(),
    }
}
