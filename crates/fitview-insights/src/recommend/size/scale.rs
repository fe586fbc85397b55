//! The shop's ordered size labels (`XS`, `S`, `M`, ...), so sizes of different products compare.

use crate::recommend::shop::Size;

/// The shop's size labels, smallest first; a [`Size`] is a position on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeScale {
    labels: Vec<String>,
}

/// Why a size scale was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScaleError {
    /// No labels.
    #[error("a size scale needs at least one label")]
    Empty,
    /// More labels than a [`Size`] can number.
    #[error("a size scale has at most 256 labels, not {0}")]
    TooLong(usize),
    /// A label listed twice.
    #[error("size {0:?} is listed twice")]
    Duplicate(String),
}

impl SizeScale {
    /// A scale of `labels`, smallest first.
    ///
    /// # Errors
    /// [`ScaleError`] when empty, longer than 256 labels, or with a label twice.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Result<Self, ScaleError> {
        let labels: Vec<String> = labels.into_iter().map(Into::into).collect();
        if labels.is_empty() {
            return Err(ScaleError::Empty);
        }
        if labels.len() > 256 {
            return Err(ScaleError::TooLong(labels.len()));
        }
        for (i, label) in labels.iter().enumerate() {
            if labels[..i].contains(label) {
                return Err(ScaleError::Duplicate(label.clone()));
            }
        }
        Ok(Self { labels })
    }

    /// The size labelled `label`.
    pub fn size_of(&self, label: &str) -> Option<Size> {
        let index = self.labels.iter().position(|l| l == label)?;
        u8::try_from(index).ok().map(Size)
    }

    /// The size nearest to `position` on the scale (a latent size such as 2.3 is the third
    /// label), clamped to its ends; `None` for a position that is not a number.
    pub fn nearest(&self, position: f64) -> Option<Size> {
        if !position.is_finite() {
            return None;
        }
        let last = self
            .labels
            .len()
            .saturating_sub(1)
            .min(usize::from(u8::MAX));
        let index = position.round().clamp(0.0, last as f64) as u8;
        Some(Size(index))
    }

    /// The label of `size` (empty for a size past the end of the scale).
    pub fn label(&self, size: Size) -> &str {
        self.labels
            .get(usize::from(size.0))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_labels_in_order() {
        let scale = SizeScale::new(["S", "M", "L"]).unwrap();
        assert_eq!(scale.size_of("L"), Some(Size(2)));
        assert_eq!(scale.label(Size(1)), "M");
        assert_eq!(scale.size_of("XL"), None);
        assert_eq!(
            SizeScale::new(["S", "S"]),
            Err(ScaleError::Duplicate("S".into()))
        );
        assert_eq!(SizeScale::new(Vec::<String>::new()), Err(ScaleError::Empty));
    }

    #[test]
    fn nearest_size_rounds_and_stays_on_the_scale() {
        let scale = SizeScale::new(["S", "M", "L"]).unwrap();
        assert_eq!(scale.nearest(1.2), Some(Size(1)));
        assert_eq!(scale.nearest(1.6), Some(Size(2)));
        assert_eq!(scale.nearest(-0.8), Some(Size(0)));
        assert_eq!(scale.nearest(7.0), Some(Size(2)));
        assert_eq!(scale.nearest(f64::NAN), None);
    }
}
