//! Every string the UI shows, in one place, so that a translation can come later: constants for
//! fixed text and small functions for text with values in it.
//!
//! The accessible names the browser tests rely on are marked "stable": change them only
//! together with `tests/tests/e2e/ui.rs` and `tests/tests/e2e/ui_audit.rs`.

use json::{Action, MemberStatus, Visibility};

pub const APP_NAME: &str = "Glimpse";

// ------------------------------------------------------------------- navigation and header

pub const NAV_MY_IMAGES: &str = "My images"; // stable
pub const NAV_SHARED_WITH_US: &str = "Shared with us"; // stable
pub const NAV_ACCESS_AUDIT: &str = "Access audit"; // stable
pub const NAV_ACTIVITY: &str = "Activity"; // stable
pub const MAIN_NAV: &str = "Main";
pub const SKIP_TO_CONTENT: &str = "Skip to content";
pub const SIGN_OUT: &str = "Sign out"; // stable
pub const SIGNED_IN_AS: &str = "Signed in as";
pub const FIELD_REGION: &str = "Region";
pub const NO_REGION: &str = "No region";
pub const PROJECT_ID_CAPTION: &str = "Project ID";
pub const COPY_PROJECT_ID: &str = "Copy project ID";
pub const COPY_IMAGE_ID: &str = "Copy image ID";
pub const COPY_MARK: &str = "Copy";
pub const COPIED_MARK: &str = "Copied";
pub const COPY_FAILED: &str =
    "Could not copy to the clipboard. Select the ID and copy it with Ctrl+C instead.";
pub const NOTIFICATIONS: &str = "Notifications";
pub const DISMISS: &str = "Dismiss";
pub const BREADCRUMB: &str = "Breadcrumb";

pub fn copied(what: &str) -> String {
    format!("Copied {what} to the clipboard.")
}

pub fn pending_offers(n: usize) -> String {
    match n {
        1 => "1 offer waiting for your decision".into(),
        n => format!("{n} offers waiting for your decision"),
    }
}

pub fn switched_project(name: &str) -> String {
    format!("You are now working in project {name}.")
}

pub fn switch_failed(why: &str) -> String {
    format!("Could not switch project: {why}")
}

// ----------------------------------------------------------------------------------- sign in

pub const SIGN_IN_TITLE: &str = "Sign in";
pub const SIGN_IN_LEDE: &str = "Share your cloud images with other projects, and take up the ones offered to you. \
     Sign in with your OpenStack account.";
pub const SIGN_IN_METHOD: &str = "How to sign in";
pub const TAB_PASSWORD: &str = "Password";
pub const TAB_APPLICATION_CREDENTIAL: &str = "Application credential";
pub const FIELD_USERNAME: &str = "Username"; // stable
pub const FIELD_PASSWORD: &str = "Password"; // stable
pub const FIELD_DOMAIN: &str = "Domain"; // stable
pub const FIELD_PROJECT: &str = "Project"; // stable
pub const DEFAULT_DOMAIN: &str = "Default";
pub const PROJECT_HINT: &str =
    "Optional: a project name or ID. Leave empty for your first project; you can switch later.";
pub const APPCRED_HINT: &str = "An application credential is tied to one project. Create one with \
     \"openstack application credential create\" or in the dashboard.";
pub const FIELD_APPCRED_ID: &str = "Application credential ID";
pub const FIELD_APPCRED_SECRET: &str = "Secret";
pub const SIGN_IN: &str = "Sign in"; // stable
pub const SIGNING_IN: &str = "Signing in…";
pub const SIGN_IN_MISSING_PASSWORD: &str = "Enter your username and password.";
pub const SIGN_IN_MISSING_CREDENTIAL: &str =
    "Enter the application credential's ID and its secret.";
pub const SESSION_ENDED: &str = "Your session has ended. Please sign in again.";
pub const SIGNED_OUT: &str = "You have signed out.";

// ---------------------------------------------------------------------------------- general

pub const LOADING: &str = "Loading…";
pub const LOADING_IMAGES: &str = "Loading images…";
pub const LOADING_IMAGE: &str = "Loading the image…";
pub const LOADING_MEMBERS: &str = "Loading members…";
pub const TRY_AGAIN: &str = "Try again";
pub const REFRESH: &str = "Refresh";
pub const CANCEL: &str = "Cancel";
pub const YES: &str = "Yes";
pub const NO: &str = "No";
pub const NETWORK_ERROR: &str =
    "Could not reach the Glimpse server. Check your connection and try again.";
pub const NOT_FOUND_TITLE: &str = "Page not found";
pub const NOT_FOUND_TEXT: &str = "There is no page at this address.";
pub const BACK_TO_MY_IMAGES: &str = "Back to My images";

pub fn unreadable_answer(status: u16) -> String {
    match status {
        502..=504 => "The cloud did not answer in time. Try again in a moment.".into(),
        s if s >= 500 => format!("The Glimpse server failed (HTTP {s}). Try again in a moment."),
        s => format!("The Glimpse server gave an unexpected answer (HTTP {s})."),
    }
}

pub fn ago(seconds: u64) -> Option<String> {
    let plural = |n: u64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    Some(match seconds {
        0..=59 => "just now".into(),
        60..=3599 => plural(seconds / 60, "minute"),
        3600..=86_399 => plural(seconds / 3600, "hour"),
        86_400..=2_591_999 => plural(seconds / 86_400, "day"),
        _ => return None,
    })
}

pub fn bytes(n: u64) -> String {
    // Thousands separated, as people read long numbers.
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} bytes")
}

// ------------------------------------------------------------------------------ image words

pub fn image_name(name: Option<&str>) -> String {
    match name {
        Some(n) if !n.trim().is_empty() => n.to_owned(),
        _ => "(no name)".into(),
    }
}

pub fn image_status(status: &str) -> String {
    match status {
        "active" => "Active".into(),
        "queued" => "Queued (no data yet)".into(),
        "saving" => "Saving".into(),
        "uploading" => "Uploading".into(),
        "importing" => "Importing".into(),
        "killed" => "Failed upload".into(),
        "deleted" | "pending_delete" => "Deleted".into(),
        "deactivated" => "Deactivated".into(),
        other => other.to_owned(),
    }
}

pub fn visibility(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "Public",
        Visibility::Community => "Community",
        Visibility::Shared => "Shared",
        Visibility::Private => "Private",
    }
}

pub fn visibility_explained(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => {
            "Private: only this project can use the image. Make it shared to offer it to other projects."
        }
        Visibility::Shared => {
            "Shared: the member projects listed below can use the image. Nobody else can."
        }
        Visibility::Public => {
            "Public: every project in the cloud can use this image. It has no members."
        }
        Visibility::Community => {
            "Community: any project can use this image by its ID. It has no members."
        }
    }
}

pub fn visibility_not_shareable(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "Visible to all",
        Visibility::Community => "Usable by all",
        _ => "",
    }
}

pub fn visibility_has_no_members(v: Visibility) -> String {
    format!(
        "This image is {}: every project can already use it, so it cannot have members.",
        visibility(v).to_lowercase()
    )
}

pub fn member_status(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Pending => "Pending",
        MemberStatus::Accepted => "Accepted",
        MemberStatus::Rejected => "Rejected",
    }
}

pub fn count_with_status(n: usize, s: MemberStatus) -> String {
    format!("{n} {}", member_status(s).to_lowercase())
}

// ---------------------------------------------------------------------------------- tables

pub const COL_NAME: &str = "Name";
pub const COL_IMAGE: &str = "Image";
pub const COL_STATUS: &str = "Status";
pub const COL_VISIBILITY: &str = "Visibility";
pub const COL_SIZE: &str = "Size";
pub const COL_CREATED: &str = "Created";
pub const COL_MEMBERS: &str = "Members";
pub const COL_ACTIONS: &str = "Actions";
pub const COL_OWNER: &str = "Owner project";
pub const COL_PROJECT: &str = "Project";
pub const COL_PROJECT_ID: &str = "Project ID";
pub const COL_SINCE: &str = "Since";
pub const COL_LAST_CHANGE: &str = "Last change";

pub fn showing(shown: usize, total: usize) -> String {
    if shown == total {
        match total {
            1 => "1 image".into(),
            n => format!("{n} images"),
        }
    } else {
        format!("Showing {shown} of {total} images")
    }
}

// -------------------------------------------------------------------------------- my images

pub const FIELD_FILTER: &str = "Filter";
pub const FILTER_PLACEHOLDER: &str = "Name or ID";
pub const NO_IMAGES_HINT: &str = "Upload an image with \"openstack image create\" or the dashboard; \
     it shows here and you can share it.";
pub const NO_MATCH_HINT: &str = "Clear the filter to see every image.";
pub const NO_MEMBERS_YET: &str = "No members yet";
pub const COUNTS_FAILED: &str = "Unknown";
pub const MAKE_SHARED: &str = "Make shared"; // stable
pub const MAKE_PRIVATE: &str = "Make private"; // stable
pub const MAKE_PRIVATE_RISK: &str = "Instances in those projects that were built from this image \
     may fail to rebuild or migrate. You can make it shared again later; the members are kept.";

pub fn my_images_lede(project: &str, region: &str) -> String {
    format!(
        "Images owned by project {project} in region {region}. Share one to let other projects use it."
    )
}

pub fn no_images(project: &str, region: &str) -> String {
    format!("Project {project} owns no images in region {region}.")
}

pub fn no_match(filter: &str) -> String {
    format!("No image matches \u{201c}{filter}\u{201d}.")
}

pub fn made_shared(name: &str) -> String {
    format!("\u{201c}{name}\u{201d} is now shared. Open it to add the projects that may use it.")
}

pub fn made_private(name: &str) -> String {
    format!("\u{201c}{name}\u{201d} is now private: only this project can use it.")
}

pub fn make_private_title(name: &str) -> String {
    format!("Make \u{201c}{name}\u{201d} private?")
}

pub fn make_private_body(members: Option<usize>) -> String {
    match members {
        Some(0) => "No other project uses it yet.".into(),
        Some(1) => "The 1 project it is shared with will lose access to it.".into(),
        Some(n) => format!("The {n} projects it is shared with will lose access to it."),
        None => "Every project it is shared with will lose access to it.".into(),
    }
}

// ----------------------------------------------------------------------------- image detail

pub const IMAGE_DETAILS: &str = "Image";
pub const IMAGE_ID_CAPTION: &str = "ID";
pub const IMAGE_NOT_FOUND: &str = "Image not found";
pub const SHARING: &str = "Sharing";
pub const PROTECTED: &str = "Protected";
pub const PROTECTED_EXPLAINED: &str = "A protected image cannot be deleted, by anyone, until \
     protection is turned off. It does not change who can use the image.";
pub const DETAILS: &str = "Details";
pub const PROP_ID: &str = "ID";
pub const PROP_OWNER: &str = "Owner";
pub const PROP_VIRTUAL_SIZE: &str = "Virtual size";
pub const PROP_DISK_FORMAT: &str = "Disk format";
pub const PROP_CONTAINER_FORMAT: &str = "Container format";
pub const PROP_MIN_DISK: &str = "Minimum disk";
pub const PROP_MIN_RAM: &str = "Minimum RAM";
pub const PROP_CHECKSUM: &str = "Checksum (MD5)";
pub const PROP_HASH_ALGO: &str = "Hash algorithm";
pub const PROP_HASH_VALUE: &str = "Hash";
pub const PROP_HIDDEN: &str = "Hidden from lists";
pub const PROP_TAGS: &str = "Tags";
pub const PROP_UPDATED: &str = "Updated";

pub fn image_not_found_hint(region: &str) -> String {
    format!(
        "There is no image with this ID in region {region}, or your project cannot see it. \
         It may be in another region or project."
    )
}

pub fn now_protected(name: &str) -> String {
    format!("\u{201c}{name}\u{201d} is now protected: nobody can delete it.")
}

pub fn now_unprotected(name: &str) -> String {
    format!("\u{201c}{name}\u{201d} is no longer protected: it can be deleted.")
}

pub fn min_disk(gb: u64) -> String {
    if gb == 0 {
        "No minimum".into()
    } else {
        format!("{gb} GB")
    }
}

pub fn min_ram(mb: u64) -> String {
    if mb == 0 {
        "No minimum".into()
    } else {
        format!("{mb} MB")
    }
}

// ---------------------------------------------------------------------------------- members

pub const MEMBERS: &str = "Members";
pub const MEMBER_STATUS_EXPLAINED: &str = "A member's status (pending, accepted, rejected) is \
     that project's own choice of whether the image shows in its image list. It is not a \
     permission: a member project can use the image whatever its status. Only removing the \
     member ends its access.";
pub const FIELD_PROJECT_ID: &str = "Project ID"; // stable
pub const PROJECT_ID_PLACEHOLDER: &str = "e.g. 7b5d1afe94c1481a98f4c1dad97b6b07";
pub const PROJECT_ID_HINT: &str = "One project ID, or several separated by commas or new lines. \
     People find their project's ID at the top of Glimpse, with a copy button.";
pub const ADD_MEMBER: &str = "Add member"; // stable
pub const ADDING: &str = "Adding…";
pub const ADDED: &str = "added";
pub const MEMBER_AGAIN: &str = "was a member before: it can use the image again";
pub const ADD_RESULTS: &str = "Results";
pub const ENTER_PROJECT_ID: &str = "Enter the ID of the project to share the image with.";
pub const OWN_PROJECT_ID: &str =
    "That is this project's own ID: it owns the image already. Enter the other project's ID.";
pub const NO_MEMBERS: &str = "Not shared with any project yet";
pub const PRIVATE_NO_MEMBERS: &str = "This image is private, so it has no members";
pub const NO_MEMBERS_HINT: &str = "Ask the other project for its project ID and add it above.";
pub const UNKNOWN_PROJECT: &str = "Unknown project";
pub const REMOVE: &str = "Remove"; // stable
pub const REMOVE_MEMBER: &str = "Remove member";
pub const REMOVE_RISK: &str = "Instances in that project built from this image may fail to \
     rebuild or migrate.";
pub const SHARE_FIRST_BODY: &str = "Only a shared image can have members. Making it shared \
     gives access to the projects you add, and to nobody else.";
pub const MAKE_SHARED_AND_ADD: &str = "Make shared and add";

pub fn malformed_ids(ids: &[String]) -> String {
    let list = ids
        .iter()
        .map(|s| format!("\u{201c}{s}\u{201d}"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() == 1 {
        format!(
            "{list} is not a project ID. A project ID is 32 hexadecimal characters (0-9, a-f), \
             like 7b5d1afe94c1481a98f4c1dad97b6b07. Nothing was added."
        )
    } else {
        format!(
            "These are not project IDs: {list}. A project ID is 32 hexadecimal characters \
             (0-9, a-f). Nothing was added."
        )
    }
}

pub fn members_added(added: usize, total: usize) -> String {
    match (added, total) {
        (1, 1) => "Added the project. It can use the image right away; it shows in its \
                   image list once it accepts."
            .into(),
        (a, t) if a == t => format!(
            "Added {a} projects. They can use the image right away; it shows in their image \
             lists once they accept."
        ),
        (a, t) => format!("Added {a} of {t} projects. See below why the others failed."),
    }
}

pub fn members_restored(n: usize) -> String {
    match n {
        1 => "That project was a member before the image was made private: it can use the \
              image again."
            .into(),
        n => format!(
            "{n} projects were members before the image was made private: they can use the \
             image again."
        ),
    }
}

pub fn project_by_id(id: &str) -> String {
    format!("project {id}")
}

pub fn share_first_title(name: &str) -> String {
    format!("Make \u{201c}{name}\u{201d} shared first?")
}

pub fn remove_title(who: &str, image: &str) -> String {
    format!("Remove {who} from \u{201c}{image}\u{201d}?")
}

pub fn remove_body(who: &str) -> String {
    format!(
        "{who} will lose access to this image straight away: it can no longer start instances \
         from it."
    )
}

pub fn member_removed(who: &str) -> String {
    format!("Removed {who}. It can no longer use this image.")
}

// --------------------------------------------------------------------------- shared with us

pub const SHARED_WITH_US_TITLE: &str = "Shared with this project";
pub const YOUR_DECISION: &str = "Your project's decision:";
pub const DECISION_EXPLAINED: &str = "Accepting lists the image with your images (for example \
     in \"openstack image list\"); rejecting hides it. You can change your mind at any time.";
pub const OFFERS_BY_STATUS: &str = "Offers by decision";
pub const BULK_ACTIONS: &str = "Actions on the selected images";
pub const SELECT_ALL: &str = "Select all";
pub const PROGRESS: &str = "Progress";

pub fn offered_by(owner: &str) -> String {
    format!("Project {owner} owns this image and shares it with your project.")
}

pub fn shared_lede(project: &str, region: &str) -> String {
    format!("Images other projects offer to project {project} in region {region}.")
}

pub fn member_status_tab(s: MemberStatus) -> &'static str {
    member_status(s)
}

pub fn tab_explained(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Pending => {
            "Waiting for your decision. Accept to list an image with your images; reject to \
             hide it. You can change your mind later."
        }
        MemberStatus::Accepted => {
            "Listed with your images (for example in \"openstack image list\")."
        }
        MemberStatus::Rejected => "Hidden from your image list. You can still accept them later.",
    }
}

/// The button that moves an offer to `s`. Accept and Reject are stable names.
pub fn decision_button(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Accepted => "Accept",
        MemberStatus::Rejected => "Reject",
        MemberStatus::Pending => "Back to pending",
    }
}

pub fn bulk_button(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Accepted => "Accept selected",
        MemberStatus::Rejected => "Reject selected",
        MemberStatus::Pending => "Move selected back to pending",
    }
}

pub fn select_image(name: &str) -> String {
    format!("Select {name}")
}

pub fn n_selected(n: usize) -> String {
    match n {
        0 => "Select images to act on several at once.".into(),
        1 => "1 selected".into(),
        n => format!("{n} selected"),
    }
}

fn verb_ing(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Accepted => "Accepting",
        MemberStatus::Rejected => "Rejecting",
        MemberStatus::Pending => "Moving back to pending",
    }
}

fn verb_ed(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Accepted => "Accepted",
        MemberStatus::Rejected => "Rejected",
        MemberStatus::Pending => "Moved back to pending",
    }
}

pub fn progress(s: MemberStatus, done: usize, total: usize) -> String {
    format!("{}: {done} of {total} done", verb_ing(s))
}

pub fn decided(s: MemberStatus, name: &str) -> String {
    let what = match s {
        MemberStatus::Accepted => "it now shows in your image list",
        MemberStatus::Rejected => "it is hidden from your image list",
        MemberStatus::Pending => "it waits for your decision again",
    };
    format!("{} \u{201c}{name}\u{201d}: {what}.", verb_ed(s))
}

pub fn decided_many(s: MemberStatus, n: usize) -> String {
    format!("{} {n} images.", verb_ed(s))
}

pub fn decided_some(s: MemberStatus, ok: usize, total: usize) -> String {
    format!(
        "{} {ok} of {total} images. The others failed: see the messages in the table.",
        verb_ed(s)
    )
}

pub fn no_offers(s: MemberStatus, project: &str) -> String {
    match s {
        MemberStatus::Pending => format!("Nothing waits for a decision of project {project}."),
        MemberStatus::Accepted => format!("Project {project} has accepted no shared image."),
        MemberStatus::Rejected => format!("Project {project} has rejected no shared image."),
    }
}

pub fn no_offers_hint(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Pending => {
            "When another project shares an image with yours, it shows here. Give them your \
             project ID (at the top of the page)."
        }
        _ => "Offers you decide on show here.",
    }
}

pub fn all_decided(s: MemberStatus) -> &'static str {
    match s {
        MemberStatus::Pending => "All done: nothing left to decide.",
        _ => "Nothing left in this list.",
    }
}

// ----------------------------------------------------------------------------- both audits

pub const FILTERS: &str = "Filters";
pub const EXPORT_CSV: &str = "Export CSV"; // stable
pub const EXPORT_JSON: &str = "Export JSON"; // stable
pub const CLEAR_FILTERS: &str = "Clear filters";
pub const NO_MATCH_FILTERS_HINT: &str = "Clear the filters to see everything.";

// ----------------------------------------------------------------------------- access audit

pub const AUDIT_LEDE: &str = "Who can use which image: every image shared by or with the \
     projects you have a role in, in every region.";
pub const AUDIT_EXPLAINED: &str = "Every member project can boot a shared image by its ID, \
     whatever its status. Pending and rejected only hide the image from that project's image \
     list: rejecting is not revoking. Only the owner removing the member ends its access.";
pub const FIELD_OWNER_PROJECT: &str = "Owner project"; // stable
pub const FIELD_MEMBER_PROJECT: &str = "Member project"; // stable
pub const FIELD_STATUS: &str = "Status"; // stable
pub const ALL_REGIONS: &str = "All regions";
pub const ALL_OWNERS: &str = "All owner projects";
pub const ALL_MEMBERS: &str = "All member projects";
pub const ANY_STATUS: &str = "Any status";
pub const AUDIT_PROGRESS: &str = "Audit progress";
pub const AUDIT_RUNNING: &str = "Auditing…";
pub const AUDIT_DONE: &str = "Audit complete.";
pub const AUDIT_AGAIN: &str = "Run again";
pub const AUDIT_ENDED_EARLY: &str = "The audit stopped before it finished, so this list may be \
     incomplete. Run it again.";
pub const MATRIX_CAPTION: &str = "Access by image and member project";
pub const COL_REGION: &str = "Region";
pub const NOT_A_MEMBER: &str = "Not a member";
pub const NOT_PROTECTED: &str = "Not protected"; // stable
pub const NOT_PROTECTED_EXPLAINED: &str = "A member project uses this image (accepted), but it \
     is not protected: its owner can delete it, and that project's instances would then fail \
     to rebuild or migrate.";
pub const UNVERIFIED: &str = "Unverified project";
pub const UNVERIFIED_EXPLAINED: &str = "Unverified project: none of your projects owns an \
     image or holds a role that vouches for this ID. OpenStack never checks member IDs, so a \
     typo gives a junk member \u{2014} check any ID you do not recognise.";
pub const AUDIT_FAILURES: &str = "Some parts could not be audited; the rest is shown.";
pub const NO_SHARED_IMAGES: &str = "No shared images";
pub const NO_SHARED_IMAGES_HINT: &str = "No image is shared by or with your projects: only \
     their owners can use them.";
pub const NO_AUDIT_MATCH: &str = "No access matches these filters.";

pub fn audit_checked(done: usize, total: usize) -> String {
    format!("{done} of {total} lookups done")
}

pub fn audit_summary(images: usize, members: usize, pairs: usize) -> String {
    let images = match images {
        1 => "1 shared image".to_owned(),
        n => format!("{n} shared images"),
    };
    let members = match members {
        1 => "1 member project".to_owned(),
        n => format!("{n} member projects"),
    };
    let pairs = match pairs {
        1 => "1 membership".to_owned(),
        n => format!("{n} memberships"),
    };
    format!("{images}, {members}, {pairs}:")
}

pub fn at_risk(n: usize) -> String {
    match n {
        0 => "No image accepted by a member is unprotected.".into(),
        1 => "1 image accepted by a member is not protected.".into(),
        n => format!("{n} images accepted by a member are not protected."),
    }
}

pub fn unverified_count(n: usize) -> String {
    match n {
        1 => "1 member cannot be verified:".into(),
        n => format!("{n} members cannot be verified:"),
    }
}

/// Where an audit failure happened.
pub fn audit_failure_place(region: Option<&str>, project: Option<&str>) -> String {
    match (region, project) {
        (Some(r), Some(p)) => format!("Region {r}, project {p}"),
        (Some(r), None) => format!("Region {r}"),
        (None, Some(p)) => format!("Project {p}"),
        (None, None) => "Everywhere".into(),
    }
}

/// The hover text of a matrix cell.
pub fn membership_title(member: &str, s: MemberStatus, created: &str, updated: &str) -> String {
    format!(
        "{member}: {}. Member since {created}; last change {updated}.",
        member_status(s)
    )
}

// ---------------------------------------------------------------------------------- activity

pub const ACTIVITY_LEDE: &str = "Every change made through Glimpse to the images of your \
     projects, newest first: who asked for it, and how it ended.";
pub const FIELD_FROM: &str = "From"; // stable
pub const FIELD_TO: &str = "To"; // stable
pub const FIELD_USER: &str = "User"; // stable
pub const FIELD_IMAGE: &str = "Image"; // stable
pub const FIELD_ACTION: &str = "Action"; // stable
pub const FIELD_OUTCOME: &str = "Outcome"; // stable
pub const NAME_OR_ID: &str = "Name or ID";
pub const IMAGE_ID_PLACEHOLDER: &str = "Image ID";
pub const APPLY_FILTERS: &str = "Apply filters";
pub const ANY_ACTION: &str = "Any action";
pub const ANY_OUTCOME: &str = "Any outcome";
pub const OUTCOME_OK: &str = "OK";
pub const OUTCOME_FAILED: &str = "Failed";
pub const OUTCOME_ANY_ERROR: &str = "Failed (any error)";
pub const OUTCOME_UNFINISHED: &str = "Unfinished";
pub const UNFINISHED_EXPLAINED: &str = "Unfinished: the change was asked of OpenStack but its \
     outcome was never recorded, for example because Glimpse stopped meanwhile. Check the \
     image to see whether the change was made.";
pub const LOAD_MORE: &str = "Load more"; // stable
pub const LOADING_EVENTS: &str = "Loading the activity…";
pub const COL_TIME: &str = "Time";
pub const COL_USER: &str = "User";
pub const COL_ACTION: &str = "Action";
pub const COL_MEMBER_PROJECT: &str = "Member project";
pub const COL_OUTCOME: &str = "Outcome";
pub const COL_REQUEST_ID: &str = "Request ID";
pub const NO_EVENTS: &str = "No activity recorded yet";
pub const NO_EVENTS_HINT: &str = "Changes made through Glimpse (sharing, members, decisions) \
     show here.";
pub const NO_EVENTS_MATCH: &str = "No activity matches these filters.";

pub fn action(a: Action) -> &'static str {
    match a {
        Action::MakeShared => "Made shared",
        Action::MakePrivate => "Made private",
        Action::Protect => "Protected",
        Action::Unprotect => "Unprotected",
        Action::AddMember => "Added member",
        Action::RemoveMember => "Removed member",
        Action::Accept => "Accepted",
        Action::Reject => "Rejected",
        Action::SetPending => "Moved back to pending",
    }
}

pub fn failed_with(code: &str) -> String {
    format!("Failed: {code}")
}

pub fn events_shown(n: usize, more: bool) -> String {
    let n = match n {
        1 => "1 change".to_owned(),
        n => format!("{n} changes"),
    };
    if more {
        format!("{n}, newest first. Older ones follow with \u{201c}{LOAD_MORE}\u{201d}.")
    } else {
        format!("{n}, newest first.")
    }
}
