//! Formatting of sizes and timestamps for people.

use wasm_bindgen::JsValue;

/// Bytes in binary units, as `openstack` users think of image sizes: "512 B", "1.5 GiB".
pub fn size(bytes: Option<u64>) -> String {
    let Some(bytes) = bytes else {
        return "—".into();
    };
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    // Integer arithmetic only: float formatting would weigh ~15 KB of wasm.
    let mut unit = 0;
    while unit < UNITS.len() - 1 && bytes >= 1u64 << (10 * (unit + 1)) {
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    let div = 1u128 << (10 * unit);
    let tenths = (bytes as u128 * 10 + div / 2) / div;
    if tenths < 100 {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{} {}", (bytes as u128 + div / 2) / div, UNITS[unit])
    }
}

/// An RFC 3339 timestamp as local "YYYY-MM-DD HH:MM"; the input as it is when unparsable.
pub fn date_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    let t = date.get_time();
    if t.is_nan() {
        return rfc3339.to_owned();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// An RFC 3339 timestamp as local "YYYY-MM-DD HH:MM:SS", for logs.
pub fn date_time_seconds(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    format!("{}:{:02}", date_time(rfc3339), date.get_seconds())
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

/// "3 minutes ago", "2 days ago"… for recent events; the date further back.
pub fn ago(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    let t = date.get_time();
    if t.is_nan() {
        return rfc3339.to_owned();
    }
    let seconds = ((js_sys::Date::now() - t) / 1000.0).max(0.0) as u64;
    crate::msg::ago(seconds).unwrap_or_else(|| date_time(rfc3339))
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

    #[test]
    fn sizes() {
        assert_eq!(size(None), "—");
        assert_eq!(size(Some(512)), "512 B");
        assert_eq!(size(Some(1536)), "1.5 KiB");
        assert_eq!(size(Some(20 * 1024 * 1024)), "20 MiB");
        assert_eq!(size(Some(3 * 1024 * 1024 * 1024)), "3.0 GiB");
    }
}
