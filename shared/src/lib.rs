//! The wire types of Glimpse's REST API (`/api/v1`), used by the axum server and the Leptos
//! client alike so that both sides always agree. Both import this crate as `json`; every type
//! is re-exported at the root (`json::Session`, `json::ErrorCode`…), one file per resource.
//!
//! Timestamps are RFC 3339 strings exactly as OpenStack returns them; the API passes them on
//! unchanged instead of re-formatting them.

mod activity;
mod audit;
mod copies;
mod error;
mod history;
mod ids;
mod images;
mod members;
mod session;

pub use activity::*;
pub use audit::*;
pub use copies::*;
pub use error::*;
pub use history::*;
pub use ids::*;
pub use images::*;
pub use members::*;
pub use session::*;
