//! The BlazePose detector: is there a person, and the region the landmark model should look at.
//!
//! Input: the photo letterboxed into 224 × 224 (NHWC, RGB in [-1, 1]). Outputs: 2254 × 12
//! regressions (box centre, size, then 4 keypoints, in input pixels from the anchor's centre)
//! and 2254 score logits, one per SSD anchor (strides 8, 16, 32, 32, 32; two anchors per cell;
//! layers of one stride share a grid). Keypoint 0 is the mid-hip, keypoint 1 a point whose
//! distance from it is the radius of a circle around the whole body; MediaPipe's region is a
//! square centred on the hip of side 2 × 1.25 × that radius, turned so that hip → point is up.

use image::RgbImage;

use crate::error::{Result, VisionError};
use crate::models::{self, POSE_DETECTION, Plan};
use crate::roi::{Range, Roi, crop_nhwc};

/// Detector input side in pixels.
pub(crate) const INPUT: usize = 224;
const ANCHORS: usize = 2254;
const STRIDES: [usize; 5] = [8, 16, 32, 32, 32];
/// Score (after the sigmoid) below which the detection is not a person. MediaPipe uses 0.5; a
/// person seen from the side, bent over a camera, scores 0.44 on the test photo, so a lower
/// score is taken when the landmark model confirms a pose ([`crate::pose`]'s presence).
pub(crate) const MIN_SCORE: f32 = 0.25;
/// The region is the body's circle enlarged by this much (MediaPipe's `scale_x`/`scale_y`).
const ROI_SCALE: f32 = 1.25;

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-80.0, 80.0)).exp())
}

/// Anchor centres in [0, 1] of the input, in the model's output order.
fn anchors() -> Vec<[f32; 2]> {
    let mut out = Vec::with_capacity(ANCHORS);
    let mut layer = 0;
    while layer < STRIDES.len() {
        let stride = STRIDES[layer];
        let same = STRIDES[layer..]
            .iter()
            .take_while(|&&s| s == stride)
            .count();
        let cells = INPUT.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                for _ in 0..2 * same {
                    out.push([
                        (x as f32 + 0.5) / cells as f32,
                        (y as f32 + 0.5) / cells as f32,
                    ]);
                }
            }
        }
        layer += same;
    }
    out
}

/// The best detection: its score and the landmark model's region.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detection {
    pub score: f32,
    pub roi: Roi,
}

pub(crate) fn detect(plan: &Plan, img: &RgbImage) -> Result<Detection> {
    let frame = Roi::whole(img.width(), img.height());
    let input = crop_nhwc(img, &frame, INPUT, Range::Signed);
    let outputs = models::run(&POSE_DETECTION, plan, input)?;
    let boxes = models::output(&POSE_DETECTION, &outputs, 0, ANCHORS * 12)?;
    let scores = models::output(&POSE_DETECTION, &outputs, 1, ANCHORS)?;
    let anchors = anchors();
    let (best, logit) = scores
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or(VisionError::NoPerson { score: 0.0 })?;
    let score = sigmoid(logit);
    if score < MIN_SCORE {
        return Err(VisionError::NoPerson { score });
    }
    let b = &boxes[best * 12..best * 12 + 12];
    let a = anchors[best];
    let size = INPUT as f32;
    let kp = |k: usize| {
        frame.to_image(
            (b[4 + 2 * k] / size + a[0]) * size,
            (b[5 + 2 * k] / size + a[1]) * size,
            size,
        )
    };
    let (hip, top) = (kp(0), kp(1));
    let radius = ((top[0] - hip[0]).powi(2) + (top[1] - hip[1]).powi(2)).sqrt();
    Ok(Detection {
        score,
        roi: Roi {
            cx: hip[0],
            cy: hip[1],
            side: 2.0 * radius * ROI_SCALE,
            rotation: upright_rotation(hip, top),
        },
    })
}

/// The rotation that turns the direction `from → to` straight up, in (-π, π].
pub(crate) fn upright_rotation(from: [f32; 2], to: [f32; 2]) -> f32 {
    let angle = std::f32::consts::FRAC_PI_2 - (-(to[1] - from[1])).atan2(to[0] - from[0]);
    let tau = std::f32::consts::TAU;
    angle - tau * ((angle + std::f32::consts::PI) / tau).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_as_many_anchors_as_scores() {
        let a = anchors();
        assert_eq!(a.len(), ANCHORS);
        assert!((a[0][0] - 0.5 / 28.0).abs() < 1e-6);
        assert!((a[ANCHORS - 1][0] - 6.5 / 7.0).abs() < 1e-6);
    }

    #[test]
    fn an_upright_body_needs_no_rotation_and_a_leaning_one_does() {
        assert!(upright_rotation([0.0, 10.0], [0.0, 0.0]).abs() < 1e-6);
        let r = upright_rotation([0.0, 10.0], [3.0, 0.0]);
        assert!(r > 0.2 && r < 0.4, "{r}");
        let roi = Roi {
            cx: 0.0,
            cy: 10.0,
            side: 20.0,
            rotation: r,
        };
        // The input's "up" maps onto the body's direction.
        let up = roi.to_image(128.0, 0.0, 256.0);
        assert!(up[0] > 0.0 && up[1] < 10.0, "{up:?}");
    }
}
