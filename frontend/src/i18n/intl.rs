//! Numbers, dates and relative times in the language in use, by the browser's `Intl`
//! (through `js_sys`: next to nothing in the wasm). Formatters are made once per language.
//! Natively (the unit tests) numbers are plain digits and dates stay as given.

use super::Lang;

/// `n` with the language's digit grouping and decimal sign ("1 234,5" in French).
pub fn number(lang: Lang, n: f64) -> String {
    imp::number(lang, n, 3)
}

/// `n` with at most `decimals` decimals, for sizes ("1,5").
pub fn unit_number(lang: Lang, n: f64, decimals: u8) -> String {
    imp::number(lang, n, decimals)
}

/// An instant (milliseconds since the epoch) as a medium date and short time, local.
pub fn date_time(lang: Lang, millis: f64) -> String {
    imp::date(lang, millis, false)
}

/// Like [`date_time`], with seconds (for logs).
pub fn date_time_seconds(lang: Lang, millis: f64) -> String {
    imp::date(lang, millis, true)
}

/// "3 days ago", "yesterday", "now"… for `seconds` ago; None beyond a month.
pub fn relative(lang: Lang, seconds: f64) -> Option<String> {
    let (value, unit) = match seconds {
        s if s < 60.0 => (0.0, "second"),
        s if s < 3600.0 => ((s / 60.0).floor(), "minute"),
        s if s < 86_400.0 => ((s / 3600.0).floor(), "hour"),
        s if s < 2_592_000.0 => ((s / 86_400.0).floor(), "day"),
        _ => return None,
    };
    Some(imp::relative(lang, -value, unit))
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::cell::RefCell;

    use js_sys::{Array, Function, Intl, Object, Reflect};
    use wasm_bindgen::JsValue;

    use super::Lang;

    /// What one formatter is for: numbers with so many decimals, dates, relative times.
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Number(u8),
        Date { seconds: bool },
        Relative,
    }

    thread_local! {
        static MADE: RefCell<Vec<(Lang, Kind, JsValue)>> = const { RefCell::new(Vec::new()) };
    }

    fn options(pairs: &[(&str, JsValue)]) -> Object {
        let o = Object::new();
        for (k, v) in pairs {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        }
        o
    }

    fn formatter(lang: Lang, kind: Kind) -> JsValue {
        MADE.with(|made| {
            if let Some((_, _, f)) = made
                .borrow()
                .iter()
                .find(|(l, k, _)| *l == lang && *k == kind)
            {
                return f.clone();
            }
            let locales = Array::of1(&lang.code().into());
            let f: JsValue = match kind {
                Kind::Number(decimals) => Intl::NumberFormat::new(
                    &locales,
                    &options(&[("maximumFractionDigits", f64::from(decimals).into())]),
                )
                .into(),
                Kind::Date { seconds } => Intl::DateTimeFormat::new(
                    &locales,
                    &options(&[
                        ("dateStyle", "medium".into()),
                        ("timeStyle", if seconds { "medium" } else { "short" }.into()),
                    ]),
                )
                .into(),
                Kind::Relative => {
                    Intl::RelativeTimeFormat::new(&locales, &options(&[("numeric", "auto".into())]))
                        .into()
                }
            };
            made.borrow_mut().push((lang, kind, f.clone()));
            f
        })
    }

    /// Calls the bound `format` function of a NumberFormat or DateTimeFormat.
    fn call_format(f: &JsValue, value: &JsValue) -> String {
        Reflect::get(f, &"format".into())
            .ok()
            .and_then(|g| g.dyn_into::<Function>().ok())
            .and_then(|g| g.call1(f, value).ok())
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }

    use wasm_bindgen::JsCast as _;

    pub fn number(lang: Lang, n: f64, decimals: u8) -> String {
        call_format(&formatter(lang, Kind::Number(decimals)), &n.into())
    }

    pub fn date(lang: Lang, millis: f64, seconds: bool) -> String {
        let date = js_sys::Date::new(&millis.into());
        call_format(&formatter(lang, Kind::Date { seconds }), &date.into())
    }

    pub fn relative(lang: Lang, value: f64, unit: &str) -> String {
        let f: Intl::RelativeTimeFormat = formatter(lang, Kind::Relative).unchecked_into();
        String::from(f.format(value, unit))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::Lang;

    pub fn number(_: Lang, n: f64, decimals: u8) -> String {
        let s = format!("{n:.*}", usize::from(decimals));
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    }

    pub fn date(_: Lang, millis: f64, _: bool) -> String {
        format!("@{millis}")
    }

    pub fn relative(_: Lang, value: f64, unit: &str) -> String {
        format!("{value} {unit}")
    }
}
