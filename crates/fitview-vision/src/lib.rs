//! Person and garment understanding on the CPU, with models that ship in this crate.
//!
//! [`Vision`] holds four ONNX models (MediaPipe's BlazePose detector, BlazePose GHUM full, the
//! face mesh, and U²-Net small; see `models/README.md` for their sources and licences), embedded
//! at build time, checked against their SHA-256 and optimised by tract once per process:
//!
//! - [`Vision::person`]: the 33 body points with visibility and the person mask at image size;
//! - [`Vision::face`]: the 468-point face mesh (outline, box) of that person;
//! - [`Vision::garment_mask`]: the salient object's mask, for garment product photos.
//!
//! Nothing here knows about try-on. Everything is deterministic (single-threaded tract). Images
//! are [`image::RgbImage`]; a grey-scale photo is given as RGB with equal channels.
//!
//! ```no_run
//! let vision = fitview_vision::Vision::global()?;
//! let photo = image::open("model.jpg").unwrap().to_rgb8();
//! let person = vision.person(&photo)?;
//! let shoulder = person.points.get(fitview_vision::Landmark::LeftShoulder);
//! println!("left shoulder at ({}, {})", shoulder.x, shoulder.y);
//! # Ok::<(), fitview_vision::VisionError>(())
//! ```

mod detect;
mod error;
mod face;
pub mod models;
mod pose;
mod roi;
mod saliency;

use std::sync::OnceLock;
use std::time::Instant;

use image::{GrayImage, RgbImage};

pub use error::{Result, VisionError};
pub use face::{FACE_OVAL, FaceMesh, point_in_polygon};
pub use pose::{BodyPoints, Keypoint, Landmark};
pub use roi::Roi;

use models::Plan;

/// Pose presence (the landmark model's own output) under which the detection is not a person.
const MIN_PRESENCE: f32 = 0.5;

/// The smallest image side the models accept.
pub const MIN_SIDE: u32 = 32;

/// One person found in a photo.
#[derive(Debug, Clone)]
pub struct Person {
    /// The 33 body points in image pixels.
    pub points: BodyPoints,
    /// Person-mask probability per image pixel, 0–255.
    pub mask: GrayImage,
    /// The detector's score, 0–1.
    pub score: f32,
    /// The landmark model's pose-presence output.
    pub presence: f32,
    /// The region the landmark model read.
    pub roi: Roi,
}

/// The loaded models. Load once per process ([`Vision::global`] or [`Vision::load`] kept
/// around); every method takes `&self` and may be called from several threads.
#[derive(Debug)]
pub struct Vision {
    detector: Plan,
    pose: Plan,
    face: Plan,
    saliency: Plan,
}

static GLOBAL: OnceLock<Result<Vision>> = OnceLock::new();

fn check_size(img: &RgbImage) -> Result<()> {
    let (width, height) = img.dimensions();
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(VisionError::ImageTooSmall {
            width,
            height,
            min: MIN_SIDE,
        });
    }
    Ok(())
}

impl Vision {
    /// The process-wide models, loaded on first use (a few hundred milliseconds) and kept.
    pub fn global() -> Result<&'static Vision> {
        GLOBAL
            .get_or_init(Vision::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Checks and loads the embedded models.
    pub fn load() -> Result<Vision> {
        Vision::from_bytes(|m| Ok(m.embedded().to_vec()))
    }

    /// Checks and loads the models from files named as in [`models::ALL`] in `dir`.
    pub fn load_from_dir(dir: &std::path::Path) -> Result<Vision> {
        Vision::from_bytes(|m| {
            std::fs::read(dir.join(m.name)).map_err(|e| VisionError::ModelLoad {
                model: m.name,
                reason: e.to_string(),
            })
        })
    }

    fn from_bytes(read: impl Fn(&models::ModelFile) -> Result<Vec<u8>>) -> Result<Vision> {
        let start = Instant::now();
        let load = |m: &models::ModelFile, input: Option<&[usize]>| {
            let bytes = read(m)?;
            models::load(m, &bytes, input)
        };
        let vision = Vision {
            detector: load(&models::POSE_DETECTION, None)?,
            pose: load(&models::POSE_LANDMARK, None)?,
            face: load(&models::FACE_LANDMARK, None)?,
            saliency: load(
                &models::U2NETP,
                Some(&[1, 3, saliency::INPUT, saliency::INPUT]),
            )?,
        };
        tracing::debug!(
            elapsed_ms = start.elapsed().as_millis() as u64,
            "vision models loaded"
        );
        Ok(vision)
    }

    /// The most prominent person: body points and mask. [`VisionError::NoPerson`] when the
    /// detector finds nobody.
    pub fn person(&self, img: &RgbImage) -> Result<Person> {
        check_size(img)?;
        let _span =
            tracing::debug_span!("vision.person", width = img.width(), height = img.height())
                .entered();
        let found = detect::detect(&self.detector, img)?;
        let first = pose::landmarks(&self.pose, img, &found.roi)?;
        if first.presence < MIN_PRESENCE {
            return Err(VisionError::NoPerson {
                score: found.score.min(first.presence),
            });
        }
        // A second look through the region the model itself proposes (as MediaPipe does when
        // tracking): tighter on the body, and on a frontal photo it undoes a skeleton the first
        // look folded into a side view; the broader of the two is kept.
        let roi = first.next_roi();
        let second = (roi.side >= 8.0)
            .then(|| pose::landmarks(&self.pose, img, &roi))
            .transpose()?
            .filter(|s| s.presence >= MIN_PRESENCE);
        let (out, roi) = match second {
            Some(s) if s.breadth() >= first.breadth() => (s, roi),
            _ => (first, found.roi),
        };
        let mask = pose::mask_to_image(&out.mask, &roi, img.width(), img.height());
        Ok(Person {
            points: out.points,
            mask,
            score: found.score,
            presence: out.presence,
            roi,
        })
    }

    /// The face mesh of `person` in `img`, or `None` when the face is not in view (cut off by
    /// the frame, turned away).
    pub fn face(&self, img: &RgbImage, person: &Person) -> Result<Option<FaceMesh>> {
        check_size(img)?;
        let roi = face::face_roi(&person.points);
        if roi.side < 8.0 {
            return Ok(None);
        }
        face::mesh(&self.face, img, &roi)
    }

    /// The salient object's mask (0–255 per pixel): a garment on its product photo.
    pub fn garment_mask(&self, img: &RgbImage) -> Result<GrayImage> {
        check_size(img)?;
        let _span = tracing::debug_span!(
            "vision.garment_mask",
            width = img.width(),
            height = img.height()
        )
        .entered();
        saliency::mask(&self.saliency, img)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::prelude::{Tensor, tract_ndarray};

    fn zeros(shape: (usize, usize, usize, usize)) -> Tensor {
        tract_ndarray::Array4::<f32>::zeros(shape).into()
    }

    fn shapes(model: &models::ModelFile, plan: &Plan, input: Tensor) -> Vec<Vec<usize>> {
        models::run(model, plan, input)
            .unwrap()
            .into_iter()
            .map(|(shape, values)| {
                assert!(values.iter().all(|v| v.is_finite()), "{}", model.name);
                shape
            })
            .collect()
    }

    #[test]
    fn every_model_loads_and_has_its_documented_outputs() {
        let v = Vision::global().unwrap();
        let det = shapes(
            &models::POSE_DETECTION,
            &v.detector,
            zeros((1, 224, 224, 3)),
        );
        assert_eq!(det, [vec![1, 2254, 12], vec![1, 2254, 1]]);
        let pose = shapes(&models::POSE_LANDMARK, &v.pose, zeros((1, 256, 256, 3)));
        // Points, presence, mask logits, heatmap, world points.
        assert_eq!(
            pose,
            [
                vec![1, 195],
                vec![1, 1],
                vec![1, 256, 256, 1],
                vec![1, 64, 64, 39],
                vec![1, 117]
            ]
        );
        let face = shapes(&models::FACE_LANDMARK, &v.face, zeros((1, 192, 192, 3)));
        assert_eq!(face, [vec![1, 1, 1, 1404], vec![1, 1, 1, 1]]);
        let side = saliency::INPUT;
        let sal = shapes(&models::U2NETP, &v.saliency, zeros((1, 3, side, side)));
        // d0 (the one used) and the six side outputs, all after their sigmoid.
        assert_eq!(sal, vec![vec![1, 1, side, side]; 7]);
        let d0 = models::run(&models::U2NETP, &v.saliency, zeros((1, 3, side, side))).unwrap();
        assert!(d0[0].1.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
