//! Getting a language's messages: the first from the boot script (which picks the language
//! and starts its download beside the wasm's), the others when chosen, from the hashed files
//! the build lists in `window.glimpseLocales`.

use std::cell::RefCell;

use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{Catalog, Lang, install};

const STORAGE_KEY: &str = "glimpse.lang";

thread_local! {
    /// Catalogs fetched so far: switching back costs no download.
    static FETCHED: RefCell<Vec<Catalog>> = const { RefCell::new(Vec::new()) };
}

/// A field of what the boot script left in `window.glimpseLocales` (also `base`: see
/// `router::url`).
pub(crate) fn boot_field(name: &str) -> Option<JsValue> {
    let window = web_sys::window()?;
    let boot = Reflect::get(&window, &"glimpseLocales".into()).ok()?;
    Reflect::get(&boot, &name.into())
        .ok()
        .filter(|v| !v.is_undefined())
}

/// The language the boot script chose (the stored choice, else the browser's preference), its
/// messages in use. Falls back to English if they cannot be had.
pub async fn start() {
    let lang = boot_field("lang")
        .and_then(|v| v.as_string())
        .and_then(|c| Lang::of(&c))
        .unwrap_or_default();
    let first = match boot_field("first").and_then(|p| p.dyn_into::<Promise>().ok()) {
        Some(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()),
        None => None,
    };
    let catalog = first.and_then(|text| Catalog::parse(lang, &text).ok());
    match catalog {
        Some(c) => use_catalog(c),
        None => {
            let _ = choose(lang).await || choose(Lang::En).await;
        }
    }
}

/// Switches to `lang` (downloading its messages the first time) and remembers the choice.
/// False when its file could not be had: the language in use stays.
pub async fn choose(lang: Lang) -> bool {
    let known = FETCHED.with(|f| f.borrow().iter().find(|c| c.lang == lang).cloned());
    let catalog = match known {
        Some(c) => c,
        None => match fetch(lang).await {
            Some(c) => c,
            None => return false,
        },
    };
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(STORAGE_KEY, lang.code());
    }
    use_catalog(catalog);
    true
}

fn use_catalog(catalog: Catalog) {
    FETCHED.with(|f| {
        let mut f = f.borrow_mut();
        if !f.iter().any(|c| c.lang == catalog.lang) {
            f.push(catalog.clone());
        }
    });
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("lang", catalog.lang.code());
    }
    install(catalog);
}

async fn fetch(lang: Lang) -> Option<Catalog> {
    let files = boot_field("files")?;
    let url = Reflect::get(&files, &lang.code().into())
        .ok()?
        .as_string()?;
    let window = web_sys::window()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    Catalog::parse(lang, &text).ok()
}
