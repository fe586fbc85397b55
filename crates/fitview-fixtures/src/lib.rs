//! Deterministic generator of FitView's test images.
//!
//! Person photos and garment product shots that look like studio photography (soft light, shading,
//! anti-aliased edges, sensor noise) with exact ground-truth landmarks, plus malformed and unusual
//! files (`bad/`) for the decoder's tests. Everything derives from fixed seeds: the same code writes
//! the same bytes, and a test checks the committed `fixtures/` against it.
//!
//! ```
//! let spec = &fitview_fixtures::person_specs()[0];
//! let (img, marks) = fitview_fixtures::render_person(spec);
//! assert_eq!(img.dimensions(), (spec.width, spec.height));
//! assert!(marks.waist_left[0] < marks.waist_right[0]);
//! ```

mod bad;
mod encode;
mod garment;
mod landmarks;
mod logo;
mod mutate;
mod person;
mod photo;
mod raster;
mod rng;
mod write;

pub use bad::{APNG_FRAMES, CMYK_QUADRANTS, exif_test_card};
pub use garment::{
    Cut, GarmentFile, GarmentKind, GarmentSpec, Pattern, garment_specs, render_garment,
    render_garment_cutout,
};
pub use landmarks::{BodyLandmarks, GarmentLandmarks};
pub use mutate::Mutator;
pub use person::{Build, Framing, HairStyle, Legwear, PersonSpec, person_specs, render_person};
pub use photo::large_photo;
pub use write::{generate, write_all};
