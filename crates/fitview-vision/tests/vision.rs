//! The models on real photos (see `tests/photos/README.md`) and on images with nobody in them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fitview_vision::{Landmark, Vision, VisionError, models};
use image::RgbImage;

fn photo(name: &str) -> RgbImage {
    let path = format!("{}/tests/photos/{name}", env!("CARGO_MANIFEST_DIR"));
    image::open(path).unwrap().to_rgb8()
}

fn vision() -> &'static Vision {
    Vision::global().unwrap()
}

/// Distance between a point and an expected position, as a share of the image's larger side.
fn off(p: fitview_vision::Keypoint, want: [f32; 2], img: &RgbImage) -> f32 {
    let side = img.width().max(img.height()) as f32;
    ((p.x - want[0]).powi(2) + (p.y - want[1]).powi(2)).sqrt() / side
}

fn mask_at(mask: &image::GrayImage, x: u32, y: u32) -> u8 {
    mask.get_pixel(x, y)[0]
}

#[test]
fn the_astronaut_portrait_has_her_skeleton_and_mask() {
    let img = photo("astronaut.png");
    let person = vision().person(&img).unwrap();
    let p = &person.points;
    assert!(person.score > 0.5);
    assert_eq!(person.mask.dimensions(), img.dimensions());
    // Positions read off the photo by eye (512 × 512): her nose, her shoulders under the
    // suit's neck ring (her right one on the image's left).
    let checks = [
        (Landmark::Nose, [222.0, 125.0], 0.03),
        (Landmark::RightShoulder, [110.0, 240.0], 0.07),
        (Landmark::LeftShoulder, [320.0, 245.0], 0.07),
    ];
    for (which, want, tol) in checks {
        let got = p.get(which);
        assert!(off(got, want, &img) < tol, "{which:?}: {got:?} vs {want:?}");
    }
    for (sh, hip) in [
        (Landmark::LeftShoulder, Landmark::LeftHip),
        (Landmark::RightShoulder, Landmark::RightHip),
    ] {
        assert!(p.get(sh).y + 50.0 < p.get(hip).y, "{sh:?} above {hip:?}");
    }
    for which in [
        Landmark::Nose,
        Landmark::LeftShoulder,
        Landmark::RightShoulder,
    ] {
        assert!(p.get(which).visibility > 0.8, "{which:?} visible");
    }
    // The knees are below the frame.
    for which in [Landmark::LeftKnee, Landmark::RightKnee] {
        assert!(p.get(which).y > img.height() as f32, "{which:?}");
    }
    // The mask: her face, her suit's chest; not the flag, the shuttle or the top corners.
    for (x, y) in [(225, 130), (200, 380), (80, 420)] {
        assert!(mask_at(&person.mask, x, y) > 200, "person at ({x}, {y})");
    }
    for (x, y) in [(5, 5), (506, 5), (40, 60), (420, 150)] {
        assert!(mask_at(&person.mask, x, y) < 60, "background at ({x}, {y})");
    }
}

#[test]
fn the_face_mesh_outlines_her_face() {
    let img = photo("astronaut.png");
    let person = vision().person(&img).unwrap();
    let face = vision().face(&img, &person).unwrap().unwrap();
    assert_eq!(face.points.len(), 468);
    assert!(face.score > 0.5);
    let (x0, y0, x1, y1) = face.bbox();
    // Her face spans about x 175–275 and y 60–190 (hairline to chin).
    assert!(
        (160.0..195.0).contains(&x0) && (255.0..290.0).contains(&x1),
        "{x0} {x1}"
    );
    assert!(
        (40.0..110.0).contains(&y0) && (170.0..205.0).contains(&y1),
        "{y0} {y1}"
    );
    assert!(face.contains(225.0, 130.0), "the nose is in the face");
    assert!(!face.contains(225.0, 250.0), "the collar is not");
}

#[test]
fn a_grey_scale_photo_outdoors_has_its_person() {
    let img = photo("camera.png");
    let person = vision().person(&img).unwrap();
    let p = &person.points;
    // Read off the photo by eye: the photographer's nose behind the camera, his gloved hands
    // on it (his right one under it, his left one at its far end); a wrist is a little behind
    // the hand, so the tolerance is a tenth of the image.
    let checks = [
        (Landmark::Nose, [242.0, 165.0], 0.04),
        (Landmark::RightWrist, [215.0, 225.0], 0.1),
        (Landmark::LeftWrist, [305.0, 200.0], 0.1),
    ];
    for (which, want, tol) in checks {
        let got = p.get(which);
        assert!(off(got, want, &img) < tol, "{which:?}: {got:?} vs {want:?}");
    }
    for which in [Landmark::LeftShoulder, Landmark::RightShoulder] {
        assert!(p.get(which).y + 100.0 < p.get(Landmark::LeftHip).y);
    }
    // His coat is the person; the sky and the grass at the right are not.
    assert!(mask_at(&person.mask, 60, 330) > 200);
    for (x, y) in [(500, 10), (450, 450), (20, 20)] {
        assert!(mask_at(&person.mask, x, y) < 60, "background at ({x}, {y})");
    }
}

#[test]
fn an_empty_backdrop_has_no_person() {
    let img = RgbImage::from_fn(384, 512, |x, y| {
        let v = 200 + ((x + y) / 40) as u8;
        image::Rgb([v, v, v - 4])
    });
    match vision().person(&img) {
        Err(VisionError::NoPerson { score }) => assert!(score < 0.5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tiny_image_is_refused_as_too_small() {
    let img = RgbImage::new(20, 400);
    assert!(matches!(
        vision().person(&img),
        Err(VisionError::ImageTooSmall { width: 20, .. })
    ));
    assert!(matches!(
        vision().garment_mask(&img),
        Err(VisionError::ImageTooSmall { .. })
    ));
}

#[test]
fn the_garment_mask_covers_a_product_photo_s_garment_and_not_its_backdrop() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/garments/tshirt-plain.jpg"
    );
    let img = image::open(path).unwrap().to_rgb8();
    let mask = vision().garment_mask(&img).unwrap();
    assert_eq!(mask.dimensions(), img.dimensions());
    let (w, h) = img.dimensions();
    assert!(mask_at(&mask, w / 2, h / 2) > 200, "the shirt's middle");
    for (x, y) in [(2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3)] {
        assert!(mask_at(&mask, x, y) < 30, "corner ({x}, {y})");
    }
}

#[test]
fn a_model_whose_bytes_changed_is_refused_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    for m in models::ALL {
        let mut bytes = m.embedded().to_vec();
        if m.name == models::FACE_LANDMARK.name {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        }
        std::fs::write(dir.path().join(m.name), bytes).unwrap();
    }
    match Vision::load_from_dir(dir.path()) {
        Err(VisionError::ModelHash {
            model,
            expected,
            found,
        }) => {
            assert_eq!(model, "face_landmark.onnx");
            assert_eq!(expected, models::FACE_LANDMARK.sha256);
            assert_ne!(found, expected);
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(dir.path().join(models::U2NETP.name)).unwrap();
    std::fs::write(
        dir.path().join(models::FACE_LANDMARK.name),
        models::FACE_LANDMARK.embedded(),
    )
    .unwrap();
    assert!(matches!(
        Vision::load_from_dir(dir.path()),
        Err(VisionError::ModelLoad {
            model: "u2netp.onnx",
            ..
        })
    ));
}

#[test]
fn the_same_photo_gives_the_same_answer() {
    let img = photo("camera.png");
    let a = vision().person(&img).unwrap();
    let b = vision().person(&img).unwrap();
    assert_eq!(a.points, b.points);
    assert_eq!(a.mask, b.mask);
}
