//! BlazePose GHUM: 33 body points with visibility and a person mask, from the detector's region.
//!
//! Input: the region sampled into 256 × 256 (NHWC, RGB in [0, 1]). Outputs used: `Identity`
//! 1 × 195 = 39 × (x, y, z, visibility logit, presence logit) in input pixels (points 33 and 34
//! are the region's own centre and scale points), `Identity_1` the pose presence and `Identity_2`
//! 1 × 256 × 256 × 1 person-mask logits over the region.

use image::{GrayImage, Luma, RgbImage};

use crate::detect::sigmoid;
use crate::error::Result;
use crate::models::{self, POSE_LANDMARK, Plan};
use crate::roi::{Range, Roi, bilinear_map, crop_nhwc};

/// Landmark model input side in pixels.
pub(crate) const INPUT: usize = 256;
const POINTS: usize = 39;

/// The 33 BlazePose body points, by their index in [`BodyPoints::points`]. "Left" and "right" are
/// the person's own (the person's left shoulder is on the right of a frontal photo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
#[repr(usize)]
pub enum Landmark {
    Nose = 0,
    LeftEyeInner,
    LeftEye,
    LeftEyeOuter,
    RightEyeInner,
    RightEye,
    RightEyeOuter,
    LeftEar,
    RightEar,
    MouthLeft,
    MouthRight,
    LeftShoulder,
    RightShoulder,
    LeftElbow,
    RightElbow,
    LeftWrist,
    RightWrist,
    LeftPinky,
    RightPinky,
    LeftIndex,
    RightIndex,
    LeftThumb,
    RightThumb,
    LeftHip,
    RightHip,
    LeftKnee,
    RightKnee,
    LeftAnkle,
    RightAnkle,
    LeftHeel,
    RightHeel,
    LeftFootIndex,
    RightFootIndex,
}

/// One body point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Keypoint {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
    /// Depth relative to the hips, in the same (region-scaled) pixel units; smaller is nearer.
    pub z: f32,
    /// Probability that the point is visible (in frame and not hidden), 0–1.
    pub visibility: f32,
    /// Probability that the point is in the frame at all, 0–1.
    pub presence: f32,
}

impl Keypoint {
    /// `[x, y]`.
    pub fn xy(&self) -> [f32; 2] {
        [self.x, self.y]
    }
}

/// The 33 BlazePose body points of one person.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyPoints {
    /// Indexed by [`Landmark`].
    pub points: [Keypoint; 33],
}

impl BodyPoints {
    /// The point `which`.
    pub fn get(&self, which: Landmark) -> Keypoint {
        self.points[which as usize]
    }

    /// The point `which` when its visibility is at least `min`.
    pub fn visible(&self, which: Landmark, min: f32) -> Option<Keypoint> {
        Some(self.get(which)).filter(|p| p.visibility >= min)
    }
}

/// The landmark model's raw result on one region.
pub(crate) struct PoseOutput {
    pub points: BodyPoints,
    /// The region's own centre and scale points (33 and 34), in image pixels.
    pub roi_points: [[f32; 2]; 2],
    pub presence: f32,
    /// Mask probabilities over the region's input grid.
    pub mask: Vec<f32>,
}

pub(crate) fn landmarks(plan: &Plan, img: &RgbImage, roi: &Roi) -> Result<PoseOutput> {
    let input = crop_nhwc(img, roi, INPUT, Range::Unit);
    let outputs = models::run(&POSE_LANDMARK, plan, input)?;
    let raw = models::output(&POSE_LANDMARK, &outputs, 0, POINTS * 5)?;
    let flag = models::output(&POSE_LANDMARK, &outputs, 1, 1)?;
    let mask = models::output(&POSE_LANDMARK, &outputs, 2, INPUT * INPUT)?;
    let size = INPUT as f32;
    let at = |i: usize| roi.to_image(raw[i * 5], raw[i * 5 + 1], size);
    let mut points = [Keypoint::default(); 33];
    for (i, p) in points.iter_mut().enumerate() {
        let [x, y] = at(i);
        *p = Keypoint {
            x,
            y,
            z: raw[i * 5 + 2] * roi.side / size,
            visibility: sigmoid(raw[i * 5 + 3]),
            presence: sigmoid(raw[i * 5 + 4]),
        };
    }
    Ok(PoseOutput {
        points: BodyPoints { points },
        roi_points: [at(33), at(34)],
        presence: flag[0],
        mask: mask.iter().map(|&v| sigmoid(v)).collect(),
    })
}

impl PoseOutput {
    /// The region the model itself points to for its next look (MediaPipe's tracking region):
    /// centred on point 33, of side 2 × 1.25 × the distance to point 34, turned upright.
    pub fn next_roi(&self) -> Roi {
        let [c, e] = self.roi_points;
        let radius = ((e[0] - c[0]).powi(2) + (e[1] - c[1]).powi(2)).sqrt();
        Roi {
            cx: c[0],
            cy: c[1],
            side: 2.0 * radius * 1.25,
            rotation: crate::detect::upright_rotation(c, e),
        }
    }

    /// Shoulder and hip spans added: a skeleton that the model folded into a side view on a
    /// frontal photo is much narrower than the right one.
    pub fn breadth(&self) -> f32 {
        let p = &self.points;
        let span = |a: Landmark, b: Landmark| {
            let (a, b) = (p.get(a), p.get(b));
            ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
        };
        span(Landmark::LeftShoulder, Landmark::RightShoulder)
            + span(Landmark::LeftHip, Landmark::RightHip)
    }
}

/// The region's mask mapped onto a `width × height` image (0–255).
pub(crate) fn mask_to_image(mask: &[f32], roi: &Roi, width: u32, height: u32) -> GrayImage {
    let size = INPUT as f32;
    let mut out = GrayImage::new(width, height);
    // Only the region's bounding box can be non-zero.
    let half = roi.side * std::f32::consts::FRAC_1_SQRT_2 + 1.0;
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    let (x0, x1) = (
        clamp(roi.cx - half, width),
        clamp(roi.cx + half + 1.0, width),
    );
    let (y0, y1) = (
        clamp(roi.cy - half, height),
        clamp(roi.cy + half + 1.0, height),
    );
    for y in y0..y1 {
        for x in x0..x1 {
            let [u, v] = roi.to_input(x as f32 + 0.5, y as f32 + 0.5, size);
            let p = bilinear_map(mask, INPUT, INPUT, u - 0.5, v - 0.5);
            out.put_pixel(x, y, Luma([(p * 255.0).round().clamp(0.0, 255.0) as u8]));
        }
    }
    out
}
