//! Every locale says everything English says: the same keys, the same placeholders, and the
//! plural forms its language needs (by CLDR); every error code the server sends has words.

use std::collections::BTreeSet;

use json::ErrorCode;

use super::*;

fn read(lang: Lang) -> String {
    let path = format!(
        "{}/locales/{}.json",
        env!("CARGO_MANIFEST_DIR"),
        lang.code()
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn catalog(lang: Lang) -> Catalog {
    Catalog::parse(lang, &read(lang)).unwrap_or_else(|e| panic!("{}.json: {e}", lang.code()))
}

/// The `{placeholders}` of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

fn all_placeholders(text: &Text) -> BTreeSet<String> {
    match text {
        Text::Plain(s) => placeholders(s),
        Text::Plural(forms) => forms.iter().flat_map(|(_, s)| placeholders(s)).collect(),
    }
}

/// The plural categories a language uses for whole numbers (the UI counts nothing else),
/// by its CLDR rules.
fn categories(lang: Lang) -> BTreeSet<&'static str> {
    (0..2000)
        .chain([1_000_000, 2_000_000])
        .map(|n| lang::plural_category(lang, n as f64))
        .collect()
}

#[test]
fn every_locale_has_every_key_and_no_other() {
    let names: BTreeSet<&str> = NAMES.iter().copied().collect();
    for lang in Lang::ALL {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&read(lang)).expect("a JSON object");
        let theirs: BTreeSet<&str> = map.keys().map(String::as_str).collect();
        let missing: Vec<_> = names.difference(&theirs).collect();
        let extra: Vec<_> = theirs.difference(&names).collect();
        assert!(missing.is_empty(), "{}.json lacks {missing:?}", lang.code());
        assert!(
            extra.is_empty(),
            "{}.json has keys en.json lacks: {extra:?}",
            lang.code()
        );
        for (name, value) in &map {
            assert!(
                value.is_string()
                    || value
                        .as_object()
                        .is_some_and(|o| o.values().all(|v| v.is_string())),
                "{}.json: {name} is neither a text nor plural texts",
                lang.code()
            );
        }
    }
}

#[test]
fn every_locale_keeps_the_placeholders_and_plural_forms() {
    let en = catalog(Lang::En);
    for lang in Lang::ALL {
        let c = catalog(lang);
        let needed = categories(lang);
        for key in ALL {
            let (ours, theirs) = (en.text(key).unwrap(), c.text(key).unwrap());
            assert_eq!(
                all_placeholders(theirs),
                all_placeholders(ours),
                "{}.json: {} has other placeholders than en.json",
                lang.code(),
                key.name()
            );
            match (ours, theirs) {
                (Text::Plural(_), Text::Plural(forms)) => {
                    let have: BTreeSet<&str> = forms.iter().map(|(c, _)| c.as_str()).collect();
                    let lacking: Vec<_> = needed.iter().filter(|c| !have.contains(*c)).collect();
                    assert!(
                        lacking.is_empty(),
                        "{}.json: {} lacks the plural forms {lacking:?}",
                        lang.code(),
                        key.name()
                    );
                    for form in &have {
                        // "other" is always allowed: the fallback (and Polish's fractions).
                        assert!(
                            needed.contains(form) || *form == "other",
                            "{}.json: {} has a form {form} its language never uses",
                            lang.code(),
                            key.name()
                        );
                    }
                }
                (Text::Plain(_), Text::Plain(s)) => {
                    assert!(
                        !s.trim().is_empty(),
                        "{}.json: {} is empty",
                        lang.code(),
                        key.name()
                    )
                }
                _ => panic!(
                    "{}.json: {} is plural in one file and not in the other",
                    lang.code(),
                    key.name()
                ),
            }
        }
    }
}

#[test]
fn every_error_code_has_words() {
    for code in ErrorCode::ALL {
        let name = format!("error.{}", code.as_str());
        assert!(
            Key::named(&name).is_some(),
            "no {name} in en.json (and so in no locale): every code the server sends needs words"
        );
    }
}

#[test]
fn polish_counts_with_its_three_forms() {
    let pl = catalog(Lang::Pl);
    let say = |n: usize| pl.format(Key::SharedSelected, Some(n as f64), &[]);
    let (one, few, many) = (say(1), say(2), say(5));
    assert!(one.starts_with("1 "), "{one}");
    assert_ne!(
        one.replace('1', ""),
        few.replace('2', ""),
        "1 and 2 differ: {one} / {few}"
    );
    assert_ne!(
        few.replace('2', ""),
        many.replace('5', ""),
        "2 and 5 differ: {few} / {many}"
    );
    assert_eq!(
        say(22).replace("22", ""),
        few.replace('2', ""),
        "22 is like 2"
    );
    assert_eq!(
        say(12).replace("12", ""),
        many.replace('5', ""),
        "12 is like 5"
    );
}

#[test]
fn placeholders_are_filled_and_unknown_ones_stay() {
    assert_eq!(fill("a {x} b {n} c", Some("3"), &[("x", "X")]), "a X b 3 c");
    assert_eq!(fill("{y}", None, &[]), "{y}");
    assert_eq!(fill("no brace", None, &[]), "no brace");
}

#[test]
fn the_browsers_preference_picks_the_language() {
    assert_eq!(Lang::preferred(["de-AT", "en"]), Lang::De);
    assert_eq!(Lang::preferred(["nl", "pt-BR"]), Lang::Pt);
    assert_eq!(Lang::preferred(["nl"]), Lang::En);
    assert_eq!(Lang::preferred(["PL"]), Lang::Pl);
}
