//! Access history on the audit page: when the last snapshot was taken, and the Changes view —
//! what changed between two snapshots (by default the last two), grouped by image, each change
//! linked to the activity events that explain it or marked as made outside Glimpse.
//!
//! Written by hand for the size budget: the answers are read as `serde_json::Value` (already
//! in the wasm for the locale files) rather than into `json::AccessChanges`, and the table is
//! built as HTML text, every value escaped ([`esc`]), rather than with `view!`. Typed
//! deserialisers, resources and a view tree for it cost about 27 KB gzip of wasm, more than
//! the budget leaves; this costs a few. The shapes are those of `shared/src/history.rs`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api;
use crate::format;
use crate::i18n::{Key, t, tf, tn, tr};
use crate::msg::{self, Doing};
use crate::router::Route;

/// The history part of the audit page, as text and HTML: "Last snapshot taken …", the two
/// snapshot pickers (their choice lives in the DOM), and the comparison.
#[derive(Clone, Copy)]
pub struct History {
    /// The snapshots compared.
    from: RwSignal<Option<i64>>,
    to: RwSignal<Option<i64>>,
    last: RwSignal<String>,
    pickers: RwSignal<String>,
    table: RwSignal<String>,
}

fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_default()
}

/// The image a change is about, in the order of the lists: region, image name, image id.
fn image(x: &Value) -> (&str, &str, &str) {
    (
        text(x, "region"),
        text(x, "image_name"),
        text(x, "image_id"),
    )
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

impl History {
    pub fn new() -> Self {
        let history = Self {
            from: RwSignal::new(None),
            to: RwSignal::new(None),
            last: RwSignal::new(String::new()),
            pickers: RwSignal::new(String::new()),
            table: RwSignal::new(String::new()),
        };
        history.refresh();
        history
    }

    /// Reads the snapshots again (an audit completed, and may have been kept) and compares
    /// the last two.
    pub fn refresh(self) {
        spawn_local(async move {
            let Ok(v) = api::get_value("/audit/snapshots").await else {
                return;
            };
            let list = &v["snapshots"];
            if let Some(taken) = list[0]["taken_at"].as_str() {
                let date = format::date_time(taken);
                self.last.set(tf(Key::HistoryLast, &[("date", &date)]));
            }
            self.pickers.set(pickers_html(list));
            self.table.set(String::new());
            self.from.set(list[1]["id"].as_i64());
            self.to.set(list[0]["id"].as_i64());
            self.compare();
        });
    }

    /// "Last snapshot taken …", for the page's header.
    pub fn last_taken(self) -> RwSignal<String> {
        self.last
    }

    /// Shows the comparison of the two chosen once read (if they are still those chosen).
    fn compare(self) {
        let (Some(from), Some(to)) = (self.from.get_untracked(), self.to.get_untracked()) else {
            return;
        };
        spawn_local(async move {
            let query = api::changes_query(from, to, "json");
            let result = api::get_value(&(String::from("/audit/changes?") + &query)).await;
            if self.from.get_untracked() != Some(from) || self.to.get_untracked() != Some(to) {
                return;
            }
            let mut out = String::new();
            let csv = api::url(&format!(
                "/audit/changes?{}",
                api::changes_query(from, to, "csv")
            ));
            put(
                &mut out,
                "<p><a class=\"btn\" download=\"\" href=\"",
                &csv,
                "\">",
            );
            put(&mut out, "", &t(Key::CommonExportCsv), "</a></p>");
            match result {
                Ok(c) => out += &table_html(&c),
                Err(e) => put(
                    &mut out,
                    "<p class=\"form-error\" role=\"alert\">",
                    &msg::error(Doing::Load, &e),
                    "</p>",
                ),
            }
            self.table.set(out);
        });
    }

    /// The Changes view. The pickers' `change` events bubble up to it.
    pub fn view(self) -> impl IntoView {
        let on_change = move |ev| {
            let chosen = event_target_value(&ev).parse().ok();
            match event_target::<web_sys::Element>(&ev).id().as_str() {
                "changes-from" => self.from.set(chosen),
                _ => self.to.set(chosen),
            }
            self.compare();
        };
        view! {
            <details class="changes" id="changes" on:change=on_change>
                <summary class="strong">{tr(Key::HistoryChanges)}</summary>
                <div inner_html=move || self.pickers.get()></div>
                <div inner_html=move || self.table.get()></div>
            </details>
        }
    }
}

/// The two snapshot pickers (the last two chosen), or why there is nothing to compare.
fn pickers_html(list: &Value) -> String {
    let mut out = String::new();
    if items(list).len() < 2 {
        put(
            &mut out,
            "<p class=\"muted\">",
            &t(Key::HistoryNeedTwo),
            "</p>",
        );
        return out;
    }
    out += "<div class=\"filters\">";
    for (id, label, chosen) in [
        ("changes-from", Key::HistoryFrom, 1),
        ("changes-to", Key::HistoryTo, 0),
    ] {
        put(&mut out, "<div class=\"field\"><label for=\"", id, "\">");
        put(&mut out, "", &t(label), "</label><select id=\"");
        put(&mut out, "", id, "\">");
        for (i, s) in items(list).iter().enumerate() {
            let mut label = format::date_time_seconds(text(s, "taken_at"));
            if s["partial"].as_bool() == Some(true) {
                label = tf(Key::HistoryPartial, &[("date", &label)]);
            }
            let value = s["id"].as_i64().unwrap_or_default().to_string();
            put(&mut out, "<option value=\"", &value, "\"");
            out += if i == chosen { " selected>" } else { ">" };
            put(&mut out, "", &label, "</option>");
        }
        out += "</select></div>";
    }
    out + "</div>"
}

/// The three lists (`added`, `removed`, `changed`), kind by kind: their word and badge.
const KINDS: [(Key, &str); 3] = [
    (Key::HistoryAdded, "badge-ok"),
    (Key::HistoryRemoved, "badge-failed"),
    (Key::HistoryChanged, "badge-warn"),
];

/// The comparison as HTML: what could not be compared, then one row per change under a row
/// per image.
fn table_html(c: &Value) -> String {
    let mut out = String::new();
    for (i, u) in items(&c["unknown"]).iter().enumerate() {
        out += if i == 0 {
            "<p class=\"warnings\" role=\"note\">"
        } else {
            "; "
        };
        if i == 0 {
            out += &esc(&t(Key::HistoryUnknown));
            out += " ";
        }
        let project = u["project_name"].as_str().or(u["project_id"].as_str());
        out += &esc(&super::failures::failure_place(
            u["region"].as_str(),
            project,
        ));
    }
    if !out.is_empty() {
        out += "</p>";
    }
    let lists = [
        items(&c["added"]),
        items(&c["removed"]),
        items(&c["changed"]),
    ];
    if lists.iter().all(|l| l.is_empty()) {
        return out + "<p class=\"muted\">" + &esc(&t(Key::HistoryNone)) + "</p>";
    }
    out += "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"";
    out += &esc(&t(Key::HistoryChanges));
    out += "\"><table class=\"table\" id=\"changes-table\"><thead><tr>";
    for key in [
        Key::HistoryChange,
        Key::AuditMember,
        Key::AuditStatus,
        Key::HistoryWhy,
    ] {
        out += "<th scope=\"col\">";
        out += &esc(&t(key));
        out += "</th>";
    }
    out += "</tr></thead><tbody>";
    // Grouped by image. Each list comes sorted by region, image name, image and member: a
    // merge of the three, image by image, keeps that order.
    let mut at = [0usize; 3];
    while let Some(next) = (0..3).filter_map(|k| lists[k].get(at[k]).map(image)).min() {
        let name = msg::image_name((!next.1.is_empty()).then_some(next.1));
        put(
            &mut out,
            "<tr class=\"group\"><th colspan=\"4\" scope=\"colgroup\">",
            &name,
            " · ",
        );
        put(&mut out, "", next.0, "</th></tr>");
        for (k, list) in lists.iter().enumerate() {
            while let Some(x) = list.get(at[k]).filter(|x| image(x) == next) {
                out += &row_html(k, x);
                at[k] += 1;
            }
        }
    }
    out + "</tbody></table></div>"
}

/// `open`, `text` escaped, `close`.
fn put(out: &mut String, open: &str, text: &str, close: &str) {
    out.push_str(open);
    out.push_str(&esc(text));
    out.push_str(close);
}

fn row_html(kind: usize, c: &Value) -> String {
    let (word, badge) = KINDS[kind];
    let mut out = String::from("<tr><td><span class=\"badge ");
    put(&mut out, badge, "", "\">");
    put(&mut out, "", &t(word), "</span></td><td>");
    let id = text(c, "member_id");
    match c["member_name"].as_str() {
        Some(name) => {
            put(&mut out, "<span>", name, "</span>");
            put(&mut out, "<div class=\"sub mono\">", id, "</div>");
        }
        None => put(&mut out, "<code>", id, "</code>"),
    }
    out += "</td><td>";
    let fields = items(&c["fields"]);
    if fields.is_empty() {
        let status = text(c, "status");
        put(&mut out, "<span class=\"badge badge-", status, "\">");
        put(&mut out, "", &word_for(Some("status"), status), "</span>");
    }
    for f in fields {
        let field = f["field"].as_str();
        let name = t(match field {
            Some("status") => Key::AuditStatus,
            Some("protected") => Key::DetailProtected,
            _ => Key::ColVisibility,
        });
        let before = word_for(field, text(f, "before"));
        let after = word_for(field, text(f, "after"));
        put(
            &mut out,
            "<div>",
            &(name + ": " + &before + " → " + &after),
            "</div>",
        );
    }
    out += "</td><td>";
    if c["outside_glimpse"].as_bool() == Some(true) {
        put(
            &mut out,
            "<span class=\"badge badge-warn\">",
            &t(Key::HistoryOutside),
            "</span>",
        );
    } else {
        let href = Route::Activity.with_query(&(String::from("image=") + text(c, "image_id")));
        let href = crate::router::url(&href);
        put(&mut out, "<a class=\"events\" href=\"", &href, "\">");
        let n = items(&c["events"]).len();
        put(&mut out, "", &tn(Key::HistoryEvents, n, &[]), "</a>");
    }
    out + "</td></tr>"
}

/// A changed field's value in words: a status or yes/no as the UI says them; a visibility as
/// the API does.
fn word_for(field: Option<&str>, value: &str) -> String {
    match field {
        Some("status") => json::MemberStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .map_or_else(|| value.to_owned(), msg::member_status),
        Some("protected") => t(if value == "true" {
            Key::CommonYes
        } else {
            Key::CommonNo
        }),
        _ => value.to_owned(),
    }
}

/// Text made safe inside HTML, as element content or a quoted attribute: image and project
/// names are chosen by other projects.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn names_cannot_become_markup() {
        assert_eq!(
            esc("<img src=x onerror=\"alert('x')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
    }
}
