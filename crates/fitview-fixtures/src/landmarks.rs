//! Ground-truth landmark types written beside each fixture as pretty JSON.

use serde::{Deserialize, Serialize};

/// Where the person renderer drew each body point, in image pixels (`[x, y]`, origin top-left).
///
/// `left`/`right` mean the image's left and right (smaller x is left), not the person's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BodyLandmarks {
    /// Top of the hair on the centre line.
    pub head_top: [f32; 2],
    /// Bottom of the chin on the face's centre line.
    pub chin: [f32; 2],
    /// Centre of the neck base, where the neck meets the shoulder line.
    pub neck: [f32; 2],
    /// Outer top corner of the shoulder joint, on the silhouette.
    pub left_shoulder: [f32; 2],
    /// Outer top corner of the shoulder joint, on the silhouette.
    pub right_shoulder: [f32; 2],
    /// Where the inside of the arm separates from the torso, on the torso's silhouette.
    pub left_armpit: [f32; 2],
    /// Where the inside of the arm separates from the torso, on the torso's silhouette.
    pub right_armpit: [f32; 2],
    /// Narrowest point of the torso, on the silhouette.
    pub waist_left: [f32; 2],
    /// Narrowest point of the torso, on the silhouette.
    pub waist_right: [f32; 2],
    /// Widest point of the hips, on the silhouette.
    pub hip_left: [f32; 2],
    /// Widest point of the hips, on the silhouette.
    pub hip_right: [f32; 2],
    /// Centre of the knee joint; `None` when the knees are out of frame (half body).
    pub left_knee: Option<[f32; 2]>,
    /// Centre of the knee joint; `None` when the knees are out of frame (half body).
    pub right_knee: Option<[f32; 2]>,
    /// Centre of the ankle joint; `None` when out of frame.
    pub left_ankle: Option<[f32; 2]>,
    /// Centre of the ankle joint; `None` when out of frame.
    pub right_ankle: Option<[f32; 2]>,
}

/// Where the garment renderer drew each garment point, in image pixels (`[x, y]`).
///
/// `left`/`right` are the image's left and right. Points that the garment does not have are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GarmentLandmarks {
    /// Where the neckline meets the shoulder seam.
    pub neckline_left: Option<[f32; 2]>,
    /// Where the neckline meets the shoulder seam.
    pub neckline_right: Option<[f32; 2]>,
    /// Outer end of the shoulder seam (where the sleeve or armhole starts).
    pub shoulder_left: Option<[f32; 2]>,
    /// Outer end of the shoulder seam (where the sleeve or armhole starts).
    pub shoulder_right: Option<[f32; 2]>,
    /// Middle of the sleeve opening.
    pub sleeve_end_left: Option<[f32; 2]>,
    /// Middle of the sleeve opening.
    pub sleeve_end_right: Option<[f32; 2]>,
    /// Outer corner of the hem (tops, dresses, skirts).
    pub hem_left: Option<[f32; 2]>,
    /// Outer corner of the hem (tops, dresses, skirts).
    pub hem_right: Option<[f32; 2]>,
    /// Outer top corner of the waistband (bottoms; the waist seam for dresses).
    pub waist_left: Option<[f32; 2]>,
    /// Outer top corner of the waistband (bottoms; the waist seam for dresses).
    pub waist_right: Option<[f32; 2]>,
    /// Middle of the leg opening (trousers).
    pub leg_end_left: Option<[f32; 2]>,
    /// Middle of the leg opening (trousers).
    pub leg_end_right: Option<[f32; 2]>,
    /// Bounding box of the garment's pixels (coverage at least one half): `[left, top, right, bottom]`,
    /// right and bottom exclusive.
    pub mask_bbox: [u32; 4],
}
