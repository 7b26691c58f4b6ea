use json::{MemberStatus, Visibility};
use leptos::prelude::*;

use crate::i18n::{Key, text, tr};
use crate::msg;

/// A member's status: pending amber, accepted green, rejected grey.
#[component]
pub fn StatusBadge(status: MemberStatus) -> impl IntoView {
    let class = format!("badge badge-{}", status.as_str());
    view! { <span class=class>{text(move || msg::member_status(status))}</span> }
}

#[component]
pub fn VisibilityBadge(visibility: Visibility) -> impl IntoView {
    let class = format!("badge badge-vis-{}", visibility.as_str());
    view! { <span class=class>{text(move || msg::visibility(visibility))}</span> }
}

/// Member counts of a shared image, one badge per status present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemberCounts {
    pub pending: usize,
    pub accepted: usize,
    pub rejected: usize,
}

impl MemberCounts {
    pub fn of(members: &[json::Member]) -> Self {
        let mut c = Self::default();
        for m in members {
            match m.status {
                MemberStatus::Pending => c.pending += 1,
                MemberStatus::Accepted => c.accepted += 1,
                MemberStatus::Rejected => c.rejected += 1,
            }
        }
        c
    }

    pub fn total(&self) -> usize {
        self.pending + self.accepted + self.rejected
    }

    pub fn view(self) -> impl IntoView {
        if self.total() == 0 {
            return view! { <span class="muted">{tr(Key::ImagesNoMembersYet)}</span> }.into_any();
        }
        let part = |n: usize, status: MemberStatus| {
            (n > 0).then(|| {
                let class = format!("count count-{}", status.as_str());
                view! { <span class=class>{text(move || msg::count_with_status(n, status))}</span> }
            })
        };
        view! {
            <span class="counts">
                {part(self.accepted, MemberStatus::Accepted)}
                {part(self.pending, MemberStatus::Pending)}
                {part(self.rejected, MemberStatus::Rejected)}
            </span>
        }
        .into_any()
    }
}
