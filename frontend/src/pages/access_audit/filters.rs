//! The audit's filters: what the page's address and the API's query carry, the projects seen
//! so far (their names and the filters' choices), and the bar of selects.

use json::{AccessRow, MemberStatus};
use leptos::prelude::*;

use super::matrix::sorted;
use crate::api;
use crate::components::{filter_field, options};
use crate::i18n::{Key, t, tr};
use crate::msg;
use crate::router::set_query;
use crate::state::use_state;

/// The choices of a filter select, from what was seen and the session's regions.
type Choices = fn(&Seen, &[String]) -> Vec<(String, String)>;

/// The audit's filters, as the page's query string and the API's carry them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Filter {
    pub region: String,
    pub owner: String,
    pub member: String,
    pub status: String,
}

impl Filter {
    pub fn query(&self, format: &str) -> String {
        api::query(&[
            ("region", &self.region),
            ("owner", &self.owner),
            ("member", &self.member),
            ("status", &self.status),
            ("format", format),
        ])
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Project names and the ids seen as owners and members, for labels and the filters' choices.
/// They outlive a filtered run, so that a filter can be set back.
#[derive(Clone, Debug, Default)]
pub(super) struct Seen {
    /// (id, name)
    pub names: Vec<(String, String)>,
    pub owners: Vec<String>,
    pub members: Vec<String>,
}

impl Seen {
    pub fn name(&self, id: &str) -> Option<String> {
        self.names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
    }

    fn learn(&mut self, id: &str, name: &Option<String>) -> bool {
        let new = name.is_some() && self.name(id).is_none();
        if let (true, Some(name)) = (new, name) {
            self.names.push((id.to_owned(), name.clone()));
        }
        new
    }

    /// Learns from `rows`; true when something was new.
    pub fn take(&mut self, rows: &[AccessRow]) -> bool {
        let mut new = false;
        for r in rows {
            new |= self.learn(&r.owner_id, &r.owner_name);
            new |= self.learn(&r.member_id, &r.member_name);
            for (list, id) in [
                (&mut self.owners, &r.owner_id),
                (&mut self.members, &r.member_id),
            ] {
                if !list.contains(id) {
                    list.push(id.clone());
                    new = true;
                }
            }
        }
        new
    }

    /// The choices of a project filter: everything, then the projects by name (ids after).
    pub fn choices(&self, ids: &[String], all: &str) -> Vec<(String, String)> {
        let labelled = ids
            .iter()
            .map(|id| (id.clone(), self.name(id).unwrap_or_else(|| id.clone())))
            .collect();
        let mut list = vec![(String::new(), all.to_owned())];
        list.extend(sorted(labelled, |(id, label)| {
            format!("{}{label}", u8::from(label == id))
        }));
        list
    }
}

/// The bar of filter selects; each choice goes to the page's address.
pub(super) fn filters(filter: Memo<Filter>, seen: RwSignal<Seen>) -> AnyView {
    let state = use_state();
    let select =
        move |id: &'static str, field: fn(&mut Filter) -> &mut String, choices: Choices| {
            view! {
                <select
                    id=id
                    on:change=move |ev| {
                        let mut f = filter.get_untracked();
                        *field(&mut f) = event_target_value(&ev);
                        set_query(&f.query(""));
                    }
                >
                    {move || {
                        let regions = state
                            .session
                            .with(|s| s.as_ref().map(|s| s.regions.clone()).unwrap_or_default());
                        let list = seen.with(|s| choices(s, &regions));
                        options(list, field(&mut filter.get()))
                    }}
                </select>
            }
            .into_any()
        };
    view! {
    <div class="filters" role="group" aria-label=tr(Key::CommonFilters)>
            {filter_field(
                "audit-region",
                Key::AuditRegion,
                select(
                    "audit-region",
                    |f| &mut f.region,
                    |_, regions| {
                        let mut list = vec![(String::new(), t(Key::AuditAllRegions))];
                        list.extend(regions.iter().map(|r| (r.clone(), r.clone())));
                        list
                    },
                ),
            )}
            {filter_field(
                "audit-owner",
                Key::AuditOwner,
                select(
                    "audit-owner",
                    |f| &mut f.owner,
                    |s, _| s.choices(&s.owners, &t(Key::AuditAllOwners)),
                ),
            )}
            {filter_field(
                "audit-member",
                Key::AuditMember,
                select(
                    "audit-member",
                    |f| &mut f.member,
                    |s, _| s.choices(&s.members, &t(Key::AuditAllMembers)),
                ),
            )}
            {filter_field(
                "audit-status",
                Key::AuditStatus,
                select(
                    "audit-status",
                    |f| &mut f.status,
                    |_, _| {
                        let mut list = vec![(String::new(), t(Key::AuditAnyStatus))];
                        list.extend(
                            MemberStatus::ALL
                                .iter()
                                .map(|s| (s.as_str().to_owned(), msg::member_status(*s))),
                        );
                        list
                    },
                ),
            )}
            <Show when=move || !filter.with(Filter::is_empty)>
                <button type="button" class="btn" on:click=move |_| set_query("")>
                    {tr(Key::CommonClearFilters)}
                </button>
            </Show>
        </div>
    }
    .into_any()
}
