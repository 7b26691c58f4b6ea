use json::ImageDetail;
use leptos::prelude::*;

use crate::format;
use crate::i18n::{Key, t, tf, tr};
use crate::msg;

/// Everything `openstack image show` shows, and the image's own properties.
#[component]
pub fn PropertiesPanel(image: RwSignal<ImageDetail>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="props-title">
            <h2 id="props-title">{tr(Key::DetailProperties)}</h2>
            {move || {
                let rows = image.with(rows);
                view! {
                    <dl class="props">
                        {rows
                            .into_iter()
                            .map(|(k, v, mono)| {
                                view! {
                                    <div class="prop">
                                        <dt>{k}</dt>
                                        <dd class:mono=mono>{v}</dd>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </dl>
                }
            }}
        </section>
    }
}

/// (label, value, in a monospace font) for each property.
fn rows(d: &ImageDetail) -> Vec<(String, String, bool)> {
    let i = &d.image;
    let owner = match (&i.owner_name, &i.owner) {
        (Some(n), Some(id)) => format!("{n} ({id})"),
        (None, Some(id)) => id.clone(),
        _ => "—".into(),
    };
    let yes_no = |b: bool| t(if b { Key::CommonYes } else { Key::CommonNo });
    let min = |n: u64, key: Key| {
        if n == 0 {
            t(Key::SizeNoMinimum)
        } else {
            tf(key, &[("n", &msg::number(n as usize))])
        }
    };
    let tags = if d.tags.is_empty() {
        "—".into()
    } else {
        d.tags.join(", ")
    };
    let mut rows: Vec<(String, String, bool)> = vec![
        (t(Key::DetailId), i.id.clone(), true),
        (t(Key::ColName), format::or_dash(&i.name), false),
        (t(Key::ColStatus), msg::image_status(&i.status), false),
        (t(Key::ColVisibility), msg::visibility(i.visibility), false),
        (t(Key::DetailProtected), yes_no(i.protected), false),
        (t(Key::DetailOwner), owner, false),
        (t(Key::ColSize), size_with_bytes(i.size), false),
        (
            t(Key::DetailVirtualSize),
            size_with_bytes(d.virtual_size),
            false,
        ),
        (
            t(Key::DetailDiskFormat),
            format::or_dash(&i.disk_format),
            false,
        ),
        (
            t(Key::DetailContainerFormat),
            format::or_dash(&d.container_format),
            false,
        ),
        (
            t(Key::DetailMinDisk),
            min(d.min_disk, Key::SizeMinDisk),
            false,
        ),
        (t(Key::DetailMinRam), min(d.min_ram, Key::SizeMinRam), false),
        (t(Key::DetailChecksum), format::or_dash(&d.checksum), true),
        (
            t(Key::DetailHashAlgo),
            format::or_dash(&d.os_hash_algo),
            false,
        ),
        (t(Key::DetailHash), format::or_dash(&d.os_hash_value), true),
        (t(Key::DetailHidden), yes_no(d.os_hidden), false),
        (t(Key::DetailTags), tags, false),
        (t(Key::ColCreated), stamp(&i.created_at), false),
        (t(Key::DetailUpdated), stamp(&i.updated_at), false),
    ];
    for (k, v) in &d.properties {
        rows.push((k.clone(), format::json_value(v), true));
    }
    rows
}

fn size_with_bytes(bytes: Option<u64>) -> String {
    match bytes {
        Some(b) if b >= 1024 => format!("{} ({})", format::size(Some(b)), format::bytes(b)),
        other => format::size(other),
    }
}

fn stamp(rfc3339: &str) -> String {
    format!("{} ({})", format::date_time(rfc3339), rfc3339)
}
