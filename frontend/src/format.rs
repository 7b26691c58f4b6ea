//! Formatting of sizes and timestamps for people, in the language in use.

use wasm_bindgen::JsValue;

use crate::i18n::{self, Key, tf, tn};

/// Bytes in binary units, as `openstack` users think of image sizes: "512 B", "1.5 GiB", with
/// the language's decimal sign and unit names ("1,5 Gio" in French).
pub fn size(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return "—".into();
    };
    const UNITS: [Key; 6] = [
        Key::SizeB,
        Key::SizeKib,
        Key::SizeMib,
        Key::SizeGib,
        Key::SizeTib,
        Key::SizePib,
    ];
    let mut unit = 0;
    while unit < UNITS.len() - 1 && bytes >= 1u64 << (10 * (unit + 1)) {
        unit += 1;
    }
    let value = bytes as f64 / (1u64 << (10 * unit)) as f64;
    let decimals = if unit > 0 && value < 10.0 { 1 } else { 0 };
    let n = i18n::unit_number(i18n::lang(), value, decimals);
    tf(UNITS[unit], &[("n", &n)])
}

/// "1,234,567 bytes", grouped as the language groups digits.
pub fn bytes(n: u64) -> String {
    tn(Key::SizeBytes, n as usize, &[])
}

/// Milliseconds since the epoch of an RFC 3339 timestamp; None when unparsable.
fn millis(rfc3339: &str) -> Option<f64> {
    let t = js_sys::Date::new(&JsValue::from_str(rfc3339)).get_time();
    (!t.is_nan()).then_some(t)
}

/// An RFC 3339 timestamp as a local date and time in the language in use ("12 Mar 2025,
/// 14:05"); the input as it is when unparsable.
pub fn date_time(rfc3339: &str) -> String {
    match millis(rfc3339) {
        Some(t) => i18n::date_time(i18n::lang(), t),
        None => rfc3339.to_owned(),
    }
}

/// Like [`date_time`], with seconds, for logs.
pub fn date_time_seconds(rfc3339: &str) -> String {
    match millis(rfc3339) {
        Some(t) => i18n::date_time_seconds(i18n::lang(), t),
        None => rfc3339.to_owned(),
    }
}

/// The value of an `<input type="datetime-local">` (local time) as RFC 3339 UTC, `minutes`
/// later; empty stays empty, and what the browser cannot read goes as it is (the server says
/// what is wrong with it).
pub fn local_input_to_utc(value: &str, minutes: i32) -> String {
    let value = value.trim();
    if value.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&JsValue::from_str(value));
    let t = date.get_time();
    if t.is_nan() {
        return value.to_owned();
    }
    let date = js_sys::Date::new(&JsValue::from_f64(t + f64::from(minutes) * 60_000.0));
    date.to_iso_string().into()
}

/// The reverse of [`local_input_to_utc`]: an RFC 3339 instant, `minutes` earlier, as a
/// `datetime-local` value ("YYYY-MM-DDTHH:MM").
pub fn utc_to_local_input(rfc3339: &str, minutes: i32) -> String {
    if rfc3339.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    let t = date.get_time();
    if t.is_nan() {
        return String::new();
    }
    let d = js_sys::Date::new(&JsValue::from_f64(t - f64::from(minutes) * 60_000.0));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// "3 minutes ago", "yesterday"… for the last month; the date further back.
pub fn ago(rfc3339: &str) -> String {
    let Some(t) = millis(rfc3339) else {
        return rfc3339.to_owned();
    };
    let seconds = ((js_sys::Date::now() - t) / 1000.0).max(0.0);
    i18n::relative(i18n::lang(), seconds).unwrap_or_else(|| date_time(rfc3339))
}

/// An optional string, or a dash.
pub fn or_dash(value: &Option<String>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.clone(),
        _ => "—".into(),
    }
}

/// A JSON property value as text: strings without their quotes.
pub fn json_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Lang, install};

    #[test]
    fn sizes_in_binary_units_with_the_languages_unit_names() {
        let en = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en.json"));
        install(Catalog::parse(Lang::En, &en.unwrap()).unwrap());
        assert_eq!(size(None), "—");
        assert_eq!(size(Some(512)), "512 B");
        assert_eq!(size(Some(1536)), "1.5 KiB");
        assert_eq!(size(Some(20 * 1024 * 1024)), "20 MiB");
        assert_eq!(size(Some(3 * 1024 * 1024 * 1024)), "3 GiB");
        assert_eq!(size(Some(10 * 1024 * 1024 * 1024 - 1)), "10 GiB");
        assert_eq!(bytes(1), "1 byte");
        let fr = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/fr.json"));
        install(Catalog::parse(Lang::Fr, &fr.unwrap()).unwrap());
        assert_eq!(size(Some(1536)), "1.5 Kio", "natively numbers keep a point");
    }
}
