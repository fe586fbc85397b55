//! The crate's one error type.

/// What can go wrong loading or running a vision model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VisionError {
    /// A model's bytes are not the ones this crate was built and tested with.
    #[error("model {model}: SHA-256 {found} is not the expected {expected}")]
    ModelHash {
        /// The model's file name.
        model: &'static str,
        /// The digest this crate expects.
        expected: &'static str,
        /// The digest of the bytes given.
        found: String,
    },
    /// A model file could not be read, parsed or optimised.
    #[error("model {model}: {reason}")]
    ModelLoad {
        /// The model's file name.
        model: &'static str,
        /// What failed.
        reason: String,
    },
    /// Inference failed or returned tensors of an unexpected shape.
    #[error("model {model}: inference failed: {reason}")]
    Inference {
        /// The model's file name.
        model: &'static str,
        /// What failed.
        reason: String,
    },
    /// The image is smaller than the models can read.
    #[error("image {width}×{height} is too small: each side must be at least {min} pixels")]
    ImageTooSmall {
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
        /// The smallest side accepted.
        min: u32,
    },
    /// The pose detector found nobody in the image.
    #[error("no person found in the photo (best detection score {score:.2})")]
    NoPerson {
        /// The best person score the detector gave, 0–1.
        score: f32,
    },
}

/// Results of this crate.
pub type Result<T, E = VisionError> = std::result::Result<T, E>;
