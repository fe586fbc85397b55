//! Resource limits applied to every image FitView decodes: uploads and provider outputs alike.
//!
//! The defaults are documented in `docs/security.md`; change both together.

use serde::{Deserialize, Serialize};

/// Limits checked before any large allocation: byte size first, then the dimensions read from
/// the image header, and only then the decode itself (with an allocation cap passed to the decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted encoded image, in bytes.
    pub max_input_bytes: u64,
    /// Largest accepted width, in pixels.
    pub max_width: u32,
    /// Largest accepted height, in pixels.
    pub max_height: u32,
    /// Largest accepted pixel count (width × height).
    pub max_pixels: u64,
    /// Upper bound on memory a decoder may allocate, in bytes.
    pub max_decode_alloc: u64,
    /// Largest dimension of an image FitView produces.
    pub max_output_dimension: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 25 * 1024 * 1024,
            max_width: 8192,
            max_height: 8192,
            max_pixels: 40_000_000,
            max_decode_alloc: 256 * 1024 * 1024,
            max_output_dimension: 4096,
        }
    }
}

impl Limits {
    /// Every problem with these limits (zero values), so a config error lists them all at once.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let named = [
            ("max_input_bytes", self.max_input_bytes),
            ("max_width", u64::from(self.max_width)),
            ("max_height", u64::from(self.max_height)),
            ("max_pixels", self.max_pixels),
            ("max_decode_alloc", self.max_decode_alloc),
            ("max_output_dimension", u64::from(self.max_output_dimension)),
        ];
        for (name, value) in named {
            if value == 0 {
                problems.push(format!("limits.{name} must be greater than zero"));
            }
        }
        problems
    }
}
