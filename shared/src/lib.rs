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

/// Reads a unit enum of the API from its name with the enum's own parser, for the wasm: serde's
/// derived reader also takes bytes, variant indices and `{"name": null}` maps, which the server
/// never sends, in code that weighs on the UI's download (`ErrorCode` and `Action`: about 1 KB
/// gzip). A name the parser does not know is an error, as with the derived reader.
#[cfg(target_arch = "wasm32")]
fn by_name<'de, D, T>(d: D, parse: fn(&str) -> Option<T>) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let name = <String as serde::Deserialize>::deserialize(d)?;
    parse(&name).ok_or_else(|| serde::de::Error::custom("an unknown name"))
}
