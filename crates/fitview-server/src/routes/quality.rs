//! The API view of a quality check a result image failed (the engine's [`Check`]): a flagged
//! result is shown to the user who asked, with what was measured, but never served to anyone
//! else from the cache.

use fitview_engine::Check;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// A quality check a result image failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FailedCheck {
    /// Which check: `decode`, `size`, `aspect`, `not_blank`, `colour_variety`, `keeps_person` or
    /// `shows_garment`.
    pub name: String,
    /// Index of the image among the result's images.
    pub image: usize,
    /// The measured value.
    pub value: f64,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// `at_least` or `at_most`: which side of the threshold passes.
    pub bound: String,
    /// What the value means, when a number alone does not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&Check> for FailedCheck {
    fn from(check: &Check) -> Self {
        FailedCheck {
            name: check.name.as_str().to_owned(),
            image: check.image,
            value: check.value,
            threshold: check.threshold,
            bound: match check.bound {
                fitview_engine::validate::Bound::AtLeast => "at_least",
                fitview_engine::validate::Bound::AtMost => "at_most",
            }
            .to_owned(),
            detail: check.detail.clone(),
        }
    }
}

/// The views of an engine result's failed checks.
pub fn views(checks: &[Check]) -> Vec<FailedCheck> {
    checks.iter().map(FailedCheck::from).collect()
}

/// The JSON stored with a job for `checks`; `None` for a result that passed.
pub fn to_column(checks: &[Check]) -> ApiResult<Option<String>> {
    if checks.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&views(checks))
        .map(Some)
        .map_err(ApiError::internal)
}

/// The checks stored with a job.
pub fn from_column(column: Option<&str>) -> ApiResult<Vec<FailedCheck>> {
    column.map_or(Ok(Vec::new()), |json| {
        serde_json::from_str(json).map_err(ApiError::internal)
    })
}
