//! The MediaPipe face mesh: 468 face points from a region around the BlazePose face points.
//!
//! Input: 192 × 192 (NHWC, RGB in [0, 1]) over a square 1.9 times the extent of BlazePose points
//! 0–10 (nose, eyes, ears, mouth), a little below their centre, turned so the eyes are level.
//! Outputs: 1404 = 468 × (x, y, z) in input pixels, and a face-flag logit.

use image::RgbImage;

use crate::detect::sigmoid;
use crate::error::Result;
use crate::models::{self, FACE_LANDMARK, Plan};
use crate::pose::{BodyPoints, Landmark};
use crate::roi::{Range, Roi, crop_nhwc};

const INPUT: usize = 192;
const POINTS: usize = 468;
/// Region side over the face points' extent.
const SIDE: f32 = 1.9;
/// Region centre below the face points' centre, as a share of the side.
const DROP: f32 = 0.08;
/// Face flag (after the sigmoid) below which the mesh is not a face.
const MIN_FLAG: f32 = 0.5;

/// Mesh indices of the face's outline (forehead, temples, jaw, chin), in order around it.
pub const FACE_OVAL: [usize; 36] = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];

/// A face mesh in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMesh {
    /// The 468 mesh points `[x, y]`.
    pub points: Vec<[f32; 2]>,
    /// Probability that the region holds a face, 0–1.
    pub score: f32,
}

impl FaceMesh {
    /// The face's outline as a closed polygon ([`FACE_OVAL`]).
    pub fn oval(&self) -> Vec<[f32; 2]> {
        FACE_OVAL.iter().map(|&i| self.points[i]).collect()
    }

    /// Bounding box `(x0, y0, x1, y1)` of the outline.
    pub fn bbox(&self) -> (f32, f32, f32, f32) {
        self.oval().iter().fold(
            (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
            |(a, b, c, d), p| (a.min(p[0]), b.min(p[1]), c.max(p[0]), d.max(p[1])),
        )
    }

    /// Whether `(x, y)` lies inside the outline (even-odd rule).
    pub fn contains(&self, x: f32, y: f32) -> bool {
        point_in_polygon(&self.oval(), x, y)
    }
}

/// Even-odd point-in-polygon test.
pub fn point_in_polygon(poly: &[[f32; 2]], x: f32, y: f32) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + n - 1) % n]);
        if (a[1] > y) != (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
    }
    inside
}

/// The region the face mesh reads, from the body's face points.
pub(crate) fn face_roi(body: &BodyPoints) -> Roi {
    let face = &body.points[..=Landmark::MouthRight as usize];
    let (x0, y0, x1, y1) = face.iter().fold(
        (f32::MAX, f32::MAX, f32::MIN, f32::MIN),
        |(a, b, c, d), p| (a.min(p.x), b.min(p.y), c.max(p.x), d.max(p.y)),
    );
    let side = (x1 - x0).max(y1 - y0) * SIDE;
    let (l, r) = (body.get(Landmark::LeftEye), body.get(Landmark::RightEye));
    // The person's right eye is on the image's left: level eyes give rotation 0.
    let rotation = (l.y - r.y).atan2(l.x - r.x);
    Roi {
        cx: (x0 + x1) * 0.5,
        cy: (y0 + y1) * 0.5 + DROP * side,
        side,
        rotation,
    }
}

pub(crate) fn mesh(plan: &Plan, img: &RgbImage, roi: &Roi) -> Result<Option<FaceMesh>> {
    let input = crop_nhwc(img, roi, INPUT, Range::Unit);
    let outputs = models::run(&FACE_LANDMARK, plan, input)?;
    let raw = models::output(&FACE_LANDMARK, &outputs, 0, POINTS * 3)?;
    let flag = models::output(&FACE_LANDMARK, &outputs, 1, 1)?;
    let score = sigmoid(flag[0]);
    if score < MIN_FLAG {
        return Ok(None);
    }
    let size = INPUT as f32;
    let points = (0..POINTS)
        .map(|i| roi.to_image(raw[i * 3], raw[i * 3 + 1], size))
        .collect();
    Ok(Some(FaceMesh { points, score }))
}
