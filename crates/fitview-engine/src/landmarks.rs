//! Body landmarks a retailer may supply with a model photo, overriding a provider's estimates.

use serde::{Deserialize, Serialize};

use crate::pipeline::Placement;

/// Body points in pixels (`[x, y]`, origin top-left). Any may be absent.
///
/// `left`/`right` are the image's left and right (smaller x is left), not the person's. The same
/// schema is written beside every person fixture (`fixtures/persons/*.landmarks.json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BodyLandmarks {
    /// Top of the hair on the centre line.
    pub head_top: Option<[f32; 2]>,
    /// Bottom of the chin.
    pub chin: Option<[f32; 2]>,
    /// Centre of the neck base.
    pub neck: Option<[f32; 2]>,
    /// Outer top corner of the shoulder, on the silhouette.
    pub left_shoulder: Option<[f32; 2]>,
    /// Outer top corner of the shoulder, on the silhouette.
    pub right_shoulder: Option<[f32; 2]>,
    /// Where the arm separates from the torso.
    pub left_armpit: Option<[f32; 2]>,
    /// Where the arm separates from the torso.
    pub right_armpit: Option<[f32; 2]>,
    /// Narrowest point of the torso, on the silhouette.
    pub waist_left: Option<[f32; 2]>,
    /// Narrowest point of the torso, on the silhouette.
    pub waist_right: Option<[f32; 2]>,
    /// Widest point of the hips, on the silhouette.
    pub hip_left: Option<[f32; 2]>,
    /// Widest point of the hips, on the silhouette.
    pub hip_right: Option<[f32; 2]>,
    /// Centre of the knee.
    pub left_knee: Option<[f32; 2]>,
    /// Centre of the knee.
    pub right_knee: Option<[f32; 2]>,
    /// Centre of the ankle.
    pub left_ankle: Option<[f32; 2]>,
    /// Centre of the ankle.
    pub right_ankle: Option<[f32; 2]>,
}

impl BodyLandmarks {
    /// Every point with its name, in a fixed order.
    pub fn points_mut(&mut self) -> [(&'static str, &mut Option<[f32; 2]>); 15] {
        [
            ("head_top", &mut self.head_top),
            ("chin", &mut self.chin),
            ("neck", &mut self.neck),
            ("left_shoulder", &mut self.left_shoulder),
            ("right_shoulder", &mut self.right_shoulder),
            ("left_armpit", &mut self.left_armpit),
            ("right_armpit", &mut self.right_armpit),
            ("waist_left", &mut self.waist_left),
            ("waist_right", &mut self.waist_right),
            ("hip_left", &mut self.hip_left),
            ("hip_right", &mut self.hip_right),
            ("left_knee", &mut self.left_knee),
            ("right_knee", &mut self.right_knee),
            ("left_ankle", &mut self.left_ankle),
            ("right_ankle", &mut self.right_ankle),
        ]
    }

    /// Maps points given in the original photo's pixels into the provider canvas, where the photo
    /// of size `original` was placed at `placement`.
    pub fn to_canvas(mut self, original: (u32, u32), placement: &Placement) -> Self {
        let sx = placement.width as f32 / original.0.max(1) as f32;
        let sy = placement.height as f32 / original.1.max(1) as f32;
        for (_, point) in self.points_mut() {
            if let Some([x, y]) = point {
                *point = Some([placement.x as f32 + *x * sx, placement.y as f32 + *y * sy]);
            }
        }
        self
    }

    /// Checks every point lies inside an image of `size`; lists every point that does not.
    pub fn validate(&mut self, size: (u32, u32)) -> crate::Result<()> {
        let outside: Vec<&str> = self
            .points_mut()
            .into_iter()
            .filter_map(|(name, p)| {
                let [x, y] = (*p)?;
                let inside = x.is_finite()
                    && y.is_finite()
                    && (0.0..=size.0 as f32).contains(&x)
                    && (0.0..=size.1 as f32).contains(&y);
                (!inside).then_some(name)
            })
            .collect();
        if outside.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::invalid_input(format!(
                "landmarks outside the {}x{} person photo: {}",
                size.0,
                size.1,
                outside.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_landmark_files_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/persons");
        let mut parsed = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".landmarks.json") {
                let lm: BodyLandmarks =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                assert!(
                    lm.left_shoulder.is_some() && lm.hip_right.is_some(),
                    "{}",
                    path.display()
                );
                parsed += 1;
            }
        }
        assert!(parsed >= 4, "only {parsed} landmark files");
    }

    #[test]
    fn canvas_mapping_scales_and_offsets() {
        let lm = BodyLandmarks {
            neck: Some([300.0, 100.0]),
            ..Default::default()
        };
        let placement = Placement {
            x: 128,
            y: 0,
            width: 768,
            height: 1024,
        };
        let mapped = lm.to_canvas((600, 800), &placement);
        assert_eq!(mapped.neck, Some([128.0 + 384.0, 128.0]));
    }

    #[test]
    fn points_outside_the_photo_are_named() {
        let mut lm = BodyLandmarks {
            chin: Some([10.0, 2000.0]),
            ..Default::default()
        };
        let err = lm.validate((600, 800)).unwrap_err();
        assert!(err.to_string().contains("chin"), "{err}");
    }
}
