//! Where the head and the body are in the person photo, in canvas pixels.
//!
//! The figure is the photo's silhouette (`silhouette`); retailer landmarks, when given, place
//! the head and the body box directly. Otherwise the silhouette's rows are followed from the
//! top under the head's centre: the head widens, narrows into the neck, and ends where the
//! shoulders spread. A figure with no such outline (long hair down to the shoulders), or a photo
//! with no plain backdrop, has no head box, and the head check is skipped rather than guessed.

use image::RgbaImage;

use super::silhouette::Silhouette;
use crate::landmarks::BodyLandmarks;
use crate::pipeline::Placement;

/// The head is looked for in this top share of the figure.
const HEAD_SEARCH: f32 = 0.45;

/// The head box (if found), the body region below it, and the figure's silhouette.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub head: Option<Placement>,
    pub body: Placement,
    pub silhouette: Option<Silhouette>,
}

/// The layout of the person at `placement` in `person` (a provider canvas).
pub(super) fn locate(
    person: &RgbaImage,
    placement: &Placement,
    landmarks: Option<&BodyLandmarks>,
) -> Layout {
    let silhouette = Silhouette::of(person, placement);
    let (head, body) = landmarks
        .and_then(|l| from_landmarks(l, placement))
        .or_else(|| {
            silhouette
                .as_ref()
                .and_then(|s| from_silhouette(s, placement))
        })
        .unwrap_or((None, *placement));
    Layout {
        head,
        body,
        silhouette,
    }
}

/// Head from the top of the hair to the chin (or most of the way to the neck base), as wide as
/// it is tall; body from the chin to the lowest point, between the outermost points.
fn from_landmarks(
    l: &BodyLandmarks,
    placement: &Placement,
) -> Option<(Option<Placement>, Placement)> {
    let [cx, top] = l.head_top?;
    let chin = match (l.chin, l.neck) {
        (Some([_, y]), _) => y,
        (None, Some([_, y])) => top + 0.85 * (y - top),
        (None, None) => return None,
    };
    let height = chin - top;
    if height < 4.0 {
        return None;
    }
    let head = clamp(
        [cx - 0.5 * height, top - 0.05 * height],
        [cx + 0.5 * height, chin + 0.05 * height],
        placement,
    )?;
    let points = [
        l.left_shoulder,
        l.right_shoulder,
        l.left_armpit,
        l.right_armpit,
        l.waist_left,
        l.waist_right,
        l.hip_left,
        l.hip_right,
        l.left_knee,
        l.right_knee,
        l.left_ankle,
        l.right_ankle,
    ];
    let points: Vec<[f32; 2]> = points.into_iter().flatten().collect();
    let bottom = placement.y as f32 + placement.height as f32;
    let body = if points.is_empty() {
        clamp(
            [placement.x as f32, chin],
            [placement.x as f32 + placement.width as f32, bottom],
            placement,
        )
    } else {
        let x0 = points.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
        let x1 = points.iter().map(|p| p[0]).fold(f32::MIN, f32::max);
        let y1 = points.iter().map(|p| p[1]).fold(chin, f32::max);
        let margin = 0.25 * height;
        // Below the lowest landmark there is still a little body (the feet under the ankles).
        clamp(
            [x0 - margin, chin],
            [x1 + margin, (y1 + margin).min(bottom)],
            placement,
        )
    }?;
    Some((Some(head), body))
}

/// The box between two corners, clipped to `placement`; `None` when nothing is left.
fn clamp(from: [f32; 2], to: [f32; 2], placement: &Placement) -> Option<Placement> {
    let (px0, py0) = (placement.x as f32, placement.y as f32);
    let (px1, py1) = (px0 + placement.width as f32, py0 + placement.height as f32);
    let x0 = from[0].clamp(px0, px1).floor() as u32;
    let y0 = from[1].clamp(py0, py1).floor() as u32;
    let x1 = to[0].clamp(px0, px1).ceil() as u32;
    let y1 = to[1].clamp(py0, py1).ceil() as u32;
    (x1 > x0 + 1 && y1 > y0 + 1).then_some(Placement {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

fn from_silhouette(
    silhouette: &Silhouette,
    placement: &Placement,
) -> Option<(Option<Placement>, Placement)> {
    let (x0, y0, x1, y1) = silhouette.mask.bbox()?;
    let figure_height = (y1 - y0 + 1) as f32;
    let head = head_rows(silhouette, x0, x1, y0, figure_height);
    let body_top = head.map_or(y0 as f32 + 0.15 * figure_height, |(_, bottom, _, _)| bottom);
    let head = head.and_then(|(top, bottom, left, right)| {
        clamp(
            silhouette.to_canvas(left, top),
            silhouette.to_canvas(right, bottom),
            placement,
        )
    });
    let body = clamp(
        silhouette.to_canvas(x0 as f32, body_top),
        silhouette.to_canvas(x1 as f32 + 1.0, y1 as f32 + 1.0),
        placement,
    )?;
    Some((head, body))
}

/// `(top, bottom, left, right)` of the head at analysis scale: from the figure's top down to the
/// neck, the narrowest rows before the shoulders spread.
fn head_rows(
    mask: &Silhouette,
    x0: usize,
    x1: usize,
    y0: usize,
    figure_height: f32,
) -> Option<(f32, f32, f32, f32)> {
    let limit = y0 + (HEAD_SEARCH * figure_height) as usize;
    let nearest = |y: usize, c: f32| {
        mask.runs(y).into_iter().min_by(|a, b| {
            let d = |r: &(usize, usize)| (((r.0 + r.1) as f32 * 0.5) - c).abs();
            d(a).total_cmp(&d(b))
        })
    };
    let mut c = (x0 + x1) as f32 * 0.5;
    let first = nearest(y0, c)?;
    c = (first.0 + first.1) as f32 * 0.5;
    let (mut wmax, mut left, mut right) = (0usize, usize::MAX, 0usize);
    let mut neck: Option<(usize, usize)> = None;
    for y in y0..=limit.min(mask.mask.height - 1) {
        let (a, b) = nearest(y, c)?;
        let w = b - a;
        match neck {
            None => {
                if w >= wmax {
                    wmax = w;
                } else if wmax >= 4 && (w as f32) < 0.85 * wmax as f32 {
                    neck = Some((y, w));
                }
                left = left.min(a);
                right = right.max(b);
                c = (a + b) as f32 * 0.5;
            }
            Some((ny, nw)) => {
                if w < nw {
                    neck = Some((y, w));
                } else if w as f32 > 1.3 * wmax as f32 || w as f32 > 1.8 * nw as f32 {
                    let top = y0 as f32;
                    // Stop a little above the narrowest row: collars reach up the neck.
                    let bottom = top + 0.9 * (ny - y0) as f32;
                    return (bottom - top >= 6.0).then_some((
                        top,
                        bottom,
                        left as f32,
                        right as f32,
                    ));
                } else if w <= wmax {
                    left = left.min(a);
                    right = right.max(b);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::conformance::sample_person;

    #[test]
    fn the_head_of_a_studio_figure_is_found() {
        let person = sample_person((1024, 1024));
        let layout = locate(&person, &Placement::full(1024, 1024), None);
        let head = layout.head.unwrap();
        // The sample head is a disc centred at (0.5, 0.12) of radius 0.063, on a neck.
        let centre = (head.x + head.width / 2) as f32 / 1024.0;
        assert!((centre - 0.5).abs() < 0.02, "{head:?}");
        assert!(head.y < 80 && head.y + head.height > 150, "{head:?}");
        assert!(head.y + head.height < 215, "{head:?}");
        assert!(layout.body.y >= head.y + head.height - 2, "{layout:?}");
        assert!(layout.body.y + layout.body.height > 900, "{layout:?}");
    }

    #[test]
    fn landmarks_take_precedence_and_stay_inside_the_photo() {
        let person = sample_person((1024, 1024));
        let placement = Placement {
            x: 128,
            y: 0,
            width: 768,
            height: 1024,
        };
        let landmarks = BodyLandmarks {
            head_top: Some([512.0, 40.0]),
            chin: Some([512.0, 200.0]),
            left_shoulder: Some([300.0, 240.0]),
            right_ankle: Some([700.0, 1000.0]),
            ..Default::default()
        };
        let layout = locate(&person, &placement, Some(&landmarks));
        let head = layout.head.unwrap();
        assert_eq!((head.x, head.y), (432, 32));
        assert!(layout.body.x >= 128 && layout.body.y + layout.body.height <= 1024);
    }

    #[test]
    fn a_busy_picture_has_no_head_and_the_whole_photo_as_body() {
        let noise = RgbaImage::from_fn(256, 256, |x, y| {
            let v =
                (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)).wrapping_mul(2246822519) >> 24;
            image::Rgba([v as u8, (v * 7) as u8, (v * 13) as u8, 255])
        });
        let layout = locate(&noise, &Placement::full(256, 256), None);
        assert_eq!(layout.head, None);
        assert_eq!(layout.body, Placement::full(256, 256));
    }
}
