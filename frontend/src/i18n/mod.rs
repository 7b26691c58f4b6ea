//! The UI's words in seven languages: the messages of `frontend/locales/<lang>.json` (one file
//! per language, which a translator edits without reading Rust), the language in use, and
//! plural forms by the CLDR rules of that language.
//!
//! Written by hand rather than with `leptos_i18n` or Fluent because the size budget forbids
//! them (350 KB gzip for wasm + js + css + one locale; the figures are in README.md): the
//! locale files are plain JSON that the wasm's serde_json already reads, only the language in
//! use is downloaded, and the CLDR plural rules come from the browser (`Intl.PluralRules`,
//! which costs nothing in the wasm) — natively, for the unit tests, from `intl_pluralrules`.
//!
//! Keys are checked at compile time: `Key` is generated from `en.json` (see `build.rs`), and the
//! unit tests fail on a key, placeholder or plural form missing from any other locale.

mod intl;
mod lang;
mod load;

use std::cell::RefCell;
use std::sync::Arc;

use leptos::prelude::*;

pub use intl::{date_time, date_time_seconds, number, relative, unit_number};
pub use lang::Lang;
pub(crate) use load::boot_field;
pub use load::{choose, start};

include!(concat!(env!("OUT_DIR"), "/keys.rs"));

impl Key {
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// The key called `name`, for the messages chosen by a code (errors).
    pub fn named(name: &str) -> Option<Key> {
        BY_NAME
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| BY_NAME[i].1)
    }
}

/// One message: a text with `{placeholders}`, or one text per CLDR plural category.
#[derive(Clone, Debug, PartialEq)]
pub enum Text {
    Plain(String),
    Plural(Vec<(String, String)>),
}

impl Text {
    fn of(value: serde_json::Value) -> Option<Text> {
        match value {
            serde_json::Value::String(s) => Some(Text::Plain(s)),
            serde_json::Value::Object(forms) => Some(Text::Plural(
                forms
                    .into_iter()
                    .filter_map(|(c, v)| Some((c, v.as_str()?.to_owned())))
                    .collect(),
            )),
            _ => None,
        }
    }
}

/// The messages of one language, indexed by `Key`.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    pub lang: Lang,
    texts: Vec<Option<Text>>,
}

impl Catalog {
    /// Reads a locale file as shipped: a list of the messages in key order (see `Key`); or,
    /// natively (the unit tests), as written: an object by key name.
    pub fn parse(lang: Lang, json: &str) -> Result<Catalog, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(unreadable)?;
        let texts = match value {
            serde_json::Value::Array(list) => list.into_iter().map(Text::of).collect(),
            #[cfg(not(target_arch = "wasm32"))]
            serde_json::Value::Object(map) => {
                let mut texts = vec![None; NAMES.len()];
                for (name, value) in map {
                    if let Ok(i) = NAMES.binary_search(&name.as_str()) {
                        texts[i] = Text::of(value);
                    }
                }
                texts
            }
            _ => return Err("a locale file is a list of messages".into()),
        };
        Ok(Catalog { lang, texts })
    }

    pub fn text(&self, key: Key) -> Option<&Text> {
        self.texts.get(key as usize)?.as_ref()
    }

    /// The text of `key` for the count `n`, placeholders filled (`{n}` with `n` itself).
    pub fn format(&self, key: Key, n: Option<f64>, args: &[(&str, &str)]) -> String {
        let template = match (self.text(key), n) {
            (None, _) => return missing(key),
            (Some(Text::Plain(s)), _) => s.as_str(),
            (Some(Text::Plural(forms)), n) => {
                let category = lang::plural_category(self.lang, n.unwrap_or(0.0));
                let pick = |c: &str| forms.iter().find(|(k, _)| k == c).map(|(_, v)| v);
                match pick(category).or_else(|| pick("other")) {
                    Some(v) => v.as_str(),
                    None => return missing(key),
                }
            }
        };
        let count = n.map(|n| number(self.lang, n));
        fill(template, count.as_deref(), args)
    }
}

/// Why a locale file could not be read: serde_json's message natively (the unit tests show
/// it), none in the wasm, whose callers only fall back to another file: formatting it would
/// bring in serde_json's and `std::io`'s error messages (0.7 KB gzip).
fn unreadable(e: serde_json::Error) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = e;
        String::new()
    }
    #[cfg(not(target_arch = "wasm32"))]
    e.to_string()
}

/// What a message missing from its locale shows (the build and the unit tests see that none
/// is): its key natively, nothing in the wasm, which carries no key names.
fn missing(key: Key) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = key;
        String::new()
    }
    #[cfg(not(target_arch = "wasm32"))]
    key.name().to_owned()
}

/// `template` with each `{name}` replaced by its value (`{n}` by `count`); an unknown
/// placeholder stays as it is, for the unit tests to find.
fn fill(template: &str, count: Option<&str>, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        let value = args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .or(if name == "n" { count } else { None });
        match value {
            Some(v) => out.push_str(v),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

thread_local! {
    static CATALOG: RefCell<Option<Catalog>> = const { RefCell::new(None) };
    // Not a context: words are needed by async tasks and the API client, outside any owner.
    static LANG: RwSignal<Lang> = RwSignal::new(Lang::En);
}

/// The language in use (reactive: a closure that reads it re-runs when it changes).
pub fn lang() -> Lang {
    LANG.with(|l| l.get())
}

/// Puts a catalog in use; every text on screen follows.
pub fn install(catalog: Catalog) {
    let lang = catalog.lang;
    CATALOG.with(|c| *c.borrow_mut() = Some(catalog));
    LANG.with(|l| l.set(lang));
}

fn with_catalog(key: Key, n: Option<f64>, args: &[(&str, &str)]) -> String {
    LANG.with(|l| l.track());
    CATALOG.with(|c| match c.borrow().as_ref() {
        Some(catalog) => catalog.format(key, n, args),
        None => missing(key),
    })
}

/// The text of `key` in the language in use (reactive).
pub fn t(key: Key) -> String {
    with_catalog(key, None, &[])
}

/// The text of `key` with its placeholders filled.
pub fn tf(key: Key, args: &[(&str, &str)]) -> String {
    with_catalog(key, None, args)
}

/// The plural form of `key` for `n`, `{n}` and the other placeholders filled.
pub fn tn(key: Key, n: usize, args: &[(&str, &str)]) -> String {
    with_catalog(key, Some(n as f64), args)
}

/// The text of `key` as a view or attribute value that follows the language. A `Signal`
/// rather than a closure: one type for every text, so one instantiation of Leptos's
/// rendering code instead of one per place (the wasm stays small).
pub fn tr(key: Key) -> Signal<String> {
    text(move || t(key))
}

/// A text made by `f` (reactive: it follows the language and whatever `f` reads). `f` is
/// boxed at once, so that only this line is generic.
pub fn text(f: impl Fn() -> String + Send + Sync + 'static) -> Signal<String> {
    derived(Arc::new(f))
}

/// A value made by `f`, as a `Signal` (one instantiation per value type).
pub fn derived<T: Send + Sync + 'static>(f: Arc<dyn Fn() -> T + Send + Sync>) -> Signal<T> {
    Signal::derive(move || f())
}

#[cfg(test)]
mod tests;
