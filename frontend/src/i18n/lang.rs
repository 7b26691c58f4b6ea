//! The seven languages and their CLDR plural rules.

/// A language of the UI, each with its file in `frontend/locales/`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Fr,
    It,
    Pt,
    Pl,
    Es,
    De,
}

impl Lang {
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Fr,
        Lang::It,
        Lang::Pt,
        Lang::Pl,
        Lang::Es,
        Lang::De,
    ];

    /// The BCP 47 tag: `<html lang>`, `Intl`, the locale file's name.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Pl => "pl",
            Lang::Es => "es",
            Lang::De => "de",
        }
    }

    /// The language's name in itself, as language pickers show it (so never translated).
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::It => "Italiano",
            Lang::Pt => "Português",
            Lang::Pl => "Polski",
            Lang::Es => "Español",
            Lang::De => "Deutsch",
        }
    }

    pub fn of(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The first of the browser's preferred languages (`navigator.languages`, which is the
    /// Accept-Language list) that the UI speaks, by its primary subtag: "de-AT" is German.
    pub fn preferred<'a>(preferences: impl IntoIterator<Item = &'a str>) -> Lang {
        preferences
            .into_iter()
            .find_map(|tag| {
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                Lang::of(&primary)
            })
            .unwrap_or_default()
    }
}

/// The CLDR plural category ("one", "few", "many", "other"…) of `n` in `lang`: the browser's
/// `Intl.PluralRules`, one per language, kept.
#[cfg(target_arch = "wasm32")]
pub fn plural_category(lang: Lang, n: f64) -> &'static str {
    use std::cell::RefCell;
    thread_local! {
        static RULES: RefCell<Vec<(Lang, js_sys::Intl::PluralRules)>> = const { RefCell::new(Vec::new()) };
    }
    let category = RULES.with(|rules| {
        let mut rules = rules.borrow_mut();
        if !rules.iter().any(|(l, _)| *l == lang) {
            let locales = js_sys::Array::of1(&lang.code().into());
            rules.push((
                lang,
                js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new()),
            ));
        }
        let (_, r) = rules.iter().find(|(l, _)| *l == lang).expect("just added");
        String::from(r.select(n))
    });
    category_name(&category)
}

/// Natively (the unit tests) the same CLDR rules come from `intl_pluralrules`.
#[cfg(not(target_arch = "wasm32"))]
pub fn plural_category(lang: Lang, n: f64) -> &'static str {
    use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
    let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("a language tag");
    let rules = PluralRules::create(id, PluralRuleType::CARDINAL).expect("CLDR has the language");
    match rules.select(n).unwrap_or(PluralCategory::OTHER) {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    }
}

#[cfg(target_arch = "wasm32")]
fn category_name(c: &str) -> &'static str {
    match c {
        "zero" => "zero",
        "one" => "one",
        "two" => "two",
        "few" => "few",
        "many" => "many",
        _ => "other",
    }
}
