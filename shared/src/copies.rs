//! Copies of an image to another region (`/api/v1/images/{id}/copies`, `/api/v1/copies`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ErrorBody;

/// How the data reaches the target region.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyMethod {
    /// `glance-download` where the target offers it, else `stream`.
    #[default]
    Auto,
    /// The target's Glance pulls the data from the source's (Glance's interoperable import).
    GlanceDownload,
    /// Glimpse pipes the source's data into the target, never holding more than a few
    /// buffers of it.
    Stream,
}

impl CopyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::GlanceDownload => "glance-download",
            Self::Stream => "stream",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Auto, Self::GlanceDownload, Self::Stream]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

impl fmt::Display for CopyMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyState {
    Running,
    Done,
    Failed,
    Cancelled,
}

impl CopyState {
    pub const ALL: [CopyState; 4] = [Self::Running, Self::Done, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn is_over(self) -> bool {
        self != Self::Running
    }
}

/// `POST /api/v1/images/{id}/copies?region=SOURCE`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CopyRequest {
    pub target_region: String,
    /// The copy gets the source's visibility and its member projects, each invited again
    /// (`pending`).
    #[serde(default)]
    pub with_members: bool,
    #[serde(default)]
    pub method: CopyMethod,
}

/// One copy, as `GET /api/v1/copies/{id}` and the progress stream show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Copy {
    pub id: String,
    pub source_region: String,
    pub source_image_id: String,
    pub image_name: Option<String>,
    pub target_region: String,
    /// The new image (made before the copy starts).
    pub target_image_id: Option<String>,
    /// The method used (never `auto`).
    pub method: CopyMethod,
    pub with_members: bool,
    pub state: CopyState,
    pub bytes_done: u64,
    pub bytes_total: Option<u64>,
    /// The average rate since the copy started.
    #[serde(default)]
    pub bytes_per_second: u64,
    /// Why the copy failed or stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    pub started_at: String,
    pub finished_at: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CopyList {
    pub copies: Vec<Copy>,
}

/// The image property a copy records its source in: `REGION/IMAGE_ID`.
pub const COPIED_FROM: &str = "glimpse_copied_from";
