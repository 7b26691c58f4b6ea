//! One file per page.

mod access_audit;
mod activity;
mod image_detail;
mod my_images;
mod not_found;
mod shared_with_us;
mod sign_in;

pub use access_audit::AccessAuditPage;
pub use activity::ActivityPage;
pub use image_detail::ImageDetailPage;
pub use my_images::MyImagesPage;
pub use not_found::NotFoundPage;
pub use shared_with_us::SharedWithUsPage;
pub use sign_in::SignInPage;
