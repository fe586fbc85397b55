//! The thresholds of the quality checks, with defaults tuned on the committed fixtures and on the
//! output sizes of the real providers (see `docs/validation.md`).

use serde::{Deserialize, Serialize};

/// Thresholds of the checks every provider output passes before it is returned or cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    /// Runs the checks; `false` only decodes provider images (within the limits), as before the
    /// checks existed. Meant for diagnosing a provider, not for production.
    pub enabled: bool,
    /// `size`: the output's linear scale (√ of its pixel count over the asked size's) must be at
    /// least this. Providers may answer larger (a 2K request), never much smaller.
    pub min_size_ratio: f64,
    /// `aspect`: the largest relative difference between the output's and the asked aspect ratio.
    /// Gemini's 3:4 outputs differ by up to 2.3% between models (864×1184 vs 896×1200).
    pub aspect_tolerance: f64,
    /// `not_blank`: the least standard deviation of luminance (0–255) over the image.
    pub min_luma_std_dev: f64,
    /// `colour_variety`: the fewest distinct colours (4 bits a channel, each on at least 0.1% of
    /// the image) an output may have.
    pub min_distinct_colours: u32,
    /// `keeps_person`: the least structural similarity (SSIM, −1–1) between the grey head box of
    /// the person photo and the same box of the output.
    pub min_head_similarity: f64,
    /// `shows_garment`: the least share of the body region (below the head) whose colour matches
    /// one of the garment's dominant colours; for an outfit, the least-visible garment counts.
    pub min_garment_coverage: f64,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_size_ratio: 0.9,
            aspect_tolerance: 0.04,
            min_luma_std_dev: 5.0,
            min_distinct_colours: 3,
            min_head_similarity: 0.6,
            min_garment_coverage: 0.04,
        }
    }
}

impl ValidationConfig {
    /// Every problem with these thresholds, so a config error lists them all at once.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut within = |name: &str, value: f64, lo: f64, hi: f64| {
            if !(value.is_finite() && (lo..=hi).contains(&value)) {
                problems.push(format!(
                    "validation.{name} must be between {lo} and {hi} (is {value})"
                ));
            }
        };
        within("min_size_ratio", self.min_size_ratio, 0.0, 1.0);
        within("aspect_tolerance", self.aspect_tolerance, 0.0, 1.0);
        within("min_luma_std_dev", self.min_luma_std_dev, 0.0, 128.0);
        within("min_head_similarity", self.min_head_similarity, -1.0, 1.0);
        within("min_garment_coverage", self.min_garment_coverage, 0.0, 1.0);
        if self.min_distinct_colours > 4096 {
            problems.push(format!(
                "validation.min_distinct_colours must be at most 4096 (is {})",
                self.min_distinct_colours
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_every_bad_threshold_is_named() {
        assert!(ValidationConfig::default().problems().is_empty());
        let bad = ValidationConfig {
            min_size_ratio: f64::NAN,
            aspect_tolerance: -0.1,
            min_head_similarity: 1.5,
            min_distinct_colours: 5000,
            ..ValidationConfig::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().all(|p| p.starts_with("validation.")));
    }

    #[test]
    fn a_partial_config_keeps_the_other_defaults() {
        let config: ValidationConfig =
            serde_json::from_str(r#"{"min_head_similarity": 0.4}"#).unwrap();
        assert_eq!(config.min_head_similarity, 0.4);
        assert_eq!(config.min_size_ratio, 0.9);
        assert!(serde_json::from_str::<ValidationConfig>(r#"{"min_headsim": 1}"#).is_err());
    }
}
