//! The generator is deterministic, the committed fixtures are its output, and every file is what
//! its name and landmarks say.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Cursor;
use std::path::PathBuf;

use fitview_fixtures::{
    APNG_FRAMES, BodyLandmarks, CMYK_QUADRANTS, Framing, GarmentFile, GarmentLandmarks,
    garment_specs, person_specs, render_garment, render_person,
};
use image::{ImageDecoder, ImageReader, RgbImage};

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(committed().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn rendering_is_deterministic() {
    let spec = &person_specs()[0];
    assert_eq!(render_person(spec), render_person(spec));
    let g = &garment_specs()[0];
    assert_eq!(render_garment(g), render_garment(g));
}

#[test]
fn write_all_twice_writes_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pa = fitview_fixtures::write_all(a.path()).unwrap();
    let pb = fitview_fixtures::write_all(b.path()).unwrap();
    assert_eq!(pa.len(), pb.len());
    for (x, y) in pa.iter().zip(&pb) {
        assert_eq!(
            x.strip_prefix(a.path()).unwrap(),
            y.strip_prefix(b.path()).unwrap()
        );
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
}

#[test]
fn committed_fixtures_match_the_generator() {
    let files = fitview_fixtures::generate().unwrap();
    let mut total = 0;
    for (rel, bytes) in &files {
        let on_disk = std::fs::read(committed().join(rel)).unwrap_or_else(|e| {
            panic!("fixtures/{rel}: {e}; run `cargo run -p fitview-fixtures -- fixtures`")
        });
        assert!(
            on_disk == *bytes,
            "fixtures/{rel} differs from the generator; regenerate, do not edit by hand"
        );
        assert!(
            bytes.len() < 150_000,
            "fixtures/{rel} is {} bytes",
            bytes.len()
        );
        total += bytes.len();
    }
    assert!(total < 3_000_000, "fixtures total {total} bytes");
}

fn is_background(img: &RgbImage, p: [f32; 2], bg: [u8; 3]) -> bool {
    let px = img.get_pixel(p[0] as u32, p[1] as u32).0;
    (0..3).all(|k| (px[k] as i32 - bg[k] as i32).abs() <= 25)
}

#[test]
fn body_landmarks_are_sane_and_match_the_picture() {
    for spec in person_specs() {
        let (img, m) = render_person(&spec);
        let json: BodyLandmarks =
            serde_json::from_slice(&read(&format!("persons/{}.landmarks.json", spec.id))).unwrap();
        assert_eq!(json, m, "{}", spec.id);
        let (w, h) = (spec.width as f32, spec.height as f32);
        let mut all = vec![
            m.head_top,
            m.chin,
            m.neck,
            m.left_shoulder,
            m.right_shoulder,
            m.left_armpit,
        ];
        all.extend([
            m.right_armpit,
            m.waist_left,
            m.waist_right,
            m.hip_left,
            m.hip_right,
        ]);
        all.extend(
            [m.left_knee, m.right_knee, m.left_ankle, m.right_ankle]
                .into_iter()
                .flatten(),
        );
        for p in &all {
            assert!(
                p[0] >= 0.0 && p[0] < w && p[1] >= 0.0 && p[1] < h,
                "{}: {p:?} outside",
                spec.id
            );
        }
        assert!(
            m.head_top[1] < m.chin[1] && m.chin[1] < m.neck[1] && m.neck[1] < m.left_shoulder[1]
        );
        for (l, r) in [
            (m.left_shoulder, m.right_shoulder),
            (m.left_armpit, m.right_armpit),
            (m.waist_left, m.waist_right),
            (m.hip_left, m.hip_right),
        ] {
            assert!(l[0] < r[0], "{}: left {l:?} right {r:?}", spec.id);
        }
        for side in [0, 1] {
            let pick = |a: [f32; 2], b: [f32; 2]| if side == 0 { a } else { b };
            let ys = [
                pick(m.left_shoulder, m.right_shoulder)[1],
                pick(m.left_armpit, m.right_armpit)[1],
                pick(m.waist_left, m.waist_right)[1],
                pick(m.hip_left, m.hip_right)[1],
            ];
            assert!(ys.windows(2).all(|w| w[0] < w[1]), "{}: {ys:?}", spec.id);
        }
        match spec.framing {
            Framing::FullBody => {
                let (lk, rk) = (m.left_knee.unwrap(), m.right_knee.unwrap());
                let (la, ra) = (m.left_ankle.unwrap(), m.right_ankle.unwrap());
                assert!(m.hip_left[1] < lk[1] && lk[1] < la[1] && lk[0] < rk[0] && la[0] < ra[0]);
            }
            Framing::HalfBody => assert!(m.left_knee.is_none() && m.right_ankle.is_none()),
        }
        // The body is there, and the waist and hips are visible against the backdrop.
        let bg = spec.background;
        let centre = [(m.waist_left[0] + m.waist_right[0]) / 2.0, m.waist_left[1]];
        assert!(
            !is_background(&img, centre, bg),
            "{}: waist centre looks like backdrop",
            spec.id
        );
        assert!(!is_background(
            &img,
            [m.waist_left[0] + 4.0, m.waist_left[1]],
            bg
        ));
        assert!(
            is_background(&img, [m.waist_left[0] - 6.0, m.waist_left[1]], bg),
            "{}",
            spec.id
        );
        assert!(
            is_background(&img, [m.waist_right[0] + 6.0, m.waist_right[1]], bg),
            "{}",
            spec.id
        );
        assert!(
            is_background(&img, [m.hip_left[0] - 6.0, m.hip_left[1]], bg),
            "{}",
            spec.id
        );
        assert!(
            is_background(&img, [m.hip_right[0] + 6.0, m.hip_right[1]], bg),
            "{}",
            spec.id
        );
        assert!(
            is_background(
                &img,
                [m.left_shoulder[0] - 6.0, m.left_shoulder[1] - 6.0],
                bg
            ),
            "{}",
            spec.id
        );
        assert!(
            is_background(&img, [m.head_top[0], m.head_top[1] - 6.0], bg),
            "{}",
            spec.id
        );
        assert!(
            !is_background(&img, [m.head_top[0], m.head_top[1] + 6.0], bg),
            "{}",
            spec.id
        );
        for p in [
            [8.0, 8.0],
            [w - 8.0, 8.0],
            [w * 0.08, h * 0.5],
            [w * 0.92, h * 0.5],
        ] {
            assert!(is_background(&img, p, bg), "{}: {p:?}", spec.id);
        }
    }
}

#[test]
fn garment_landmarks_are_sane() {
    for spec in garment_specs() {
        let (img, m) = render_garment(&spec);
        let ext = if spec.file == GarmentFile::Jpeg {
            "jpg"
        } else {
            "png"
        };
        let json: GarmentLandmarks =
            serde_json::from_slice(&read(&format!("garments/{}.landmarks.json", spec.id))).unwrap();
        assert_eq!(json, m);
        let decoded =
            image::load_from_memory(&read(&format!("garments/{}.{ext}", spec.id))).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (spec.width, spec.height)
        );
        let [x0, y0, x1, y1] = m.mask_bbox;
        assert!(x0 < x1 && y0 < y1 && x1 <= spec.width && y1 <= spec.height);
        // About 80% of the frame on the long side.
        let long = (x1 - x0).max(y1 - y0) as f32 / spec.width.max(spec.height) as f32;
        assert!((0.65..0.95).contains(&long), "{}: {long}", spec.id);
        let pairs = [
            (m.neckline_left, m.neckline_right),
            (m.shoulder_left, m.shoulder_right),
            (m.sleeve_end_left, m.sleeve_end_right),
            (m.hem_left, m.hem_right),
            (m.waist_left, m.waist_right),
            (m.leg_end_left, m.leg_end_right),
        ];
        for (l, r) in pairs {
            assert_eq!(l.is_some(), r.is_some());
            if let (Some(l), Some(r)) = (l, r) {
                assert!(l[0] < r[0], "{}", spec.id);
                for p in [l, r] {
                    assert!(
                        p[0] >= x0 as f32 - 1.0
                            && p[0] <= x1 as f32 + 1.0
                            && p[1] >= y0 as f32 - 1.0
                            && p[1] <= y1 as f32 + 1.0
                    );
                }
            }
        }
        // Centre line a fifth of the way down: below any neckline, above any crotch.
        let centre = img.get_pixel((x0 + x1) / 2, y0 + (y1 - y0) / 5).0;
        assert!(
            (0..3).any(|k| (centre[k] as i32 - spec.background[k] as i32).abs() > 25),
            "{}",
            spec.id
        );
        let corner = img.get_pixel(2, 2).0;
        assert!(
            (0..3).all(|k| (corner[k] as i32 - spec.background[k] as i32).abs() <= 6),
            "{}: corner {corner:?}",
            spec.id
        );
    }
}

#[test]
fn cutout_png_has_real_alpha() {
    let spec = garment_specs()
        .into_iter()
        .find(|s| s.file == GarmentFile::PngCutout)
        .unwrap();
    let img = image::load_from_memory(&read(&format!("garments/{}.png", spec.id))).unwrap();
    assert!(img.color().has_alpha());
    let rgba = img.to_rgba8();
    assert_eq!(rgba.get_pixel(0, 0).0[3], 0);
    let [x0, y0, x1, y1] = fitview_fixtures::render_garment_cutout(&spec).1.mask_bbox;
    assert_eq!(rgba.get_pixel((x0 + x1) / 2, (y0 + y1) / 2).0[3], 255);
    assert!(
        rgba.pixels().any(|p| p.0[3] > 0 && p.0[3] < 255),
        "anti-aliased edge"
    );
}

fn dims(rel: &str) -> image::ImageResult<(u32, u32)> {
    ImageReader::new(Cursor::new(read(rel)))
        .with_guessed_format()?
        .into_dimensions()
}

fn decode(rel: &str) -> image::ImageResult<image::DynamicImage> {
    ImageReader::new(Cursor::new(read(rel)))
        .with_guessed_format()?
        .decode()
}

#[test]
fn broken_files_are_broken_the_way_their_names_say() {
    assert!(read("bad/empty.jpg").is_empty());
    assert!(decode("bad/empty.jpg").is_err());
    assert!(decode("bad/text.jpg").is_err());
    assert!(read("bad/html.png").starts_with(b"<!DOCTYPE html>"));
    assert!(decode("bad/html.png").is_err());
    assert!(
        decode("bad/truncated.jpg").is_err()
            || decode("bad/truncated.jpg").is_ok_and(|i| i.width() == 320)
    );
    assert_eq!(read("bad/truncated.jpg")[..2], [0xFF, 0xD8]);
    assert!(decode("bad/truncated.png").is_err());
    assert_eq!(dims("bad/lying-header.png").unwrap(), (4000, 3000));
    assert!(decode("bad/lying-header.png").is_err());
    assert_eq!(dims("bad/bomb.png").unwrap(), (100_000, 100_000));
    assert_eq!(dims("bad/bomb.jpg").unwrap(), (65000, 65000));
    assert!(read("bad/bomb.png").len() < 1024);
}

#[test]
fn unusual_but_valid_files_decode_as_described() {
    let g16 = decode("bad/gray16.png").unwrap();
    assert_eq!(g16.color(), image::ColorType::L16);
    assert_eq!(
        decode("bad/rgba16.png").unwrap().color(),
        image::ColorType::Rgba16
    );
    assert_eq!(
        decode("bad/gray.jpg").unwrap().color(),
        image::ColorType::L8
    );

    let pal = decode("bad/palette.png").unwrap().to_rgba8();
    assert_eq!(pal.get_pixel(0, 0).0, [200, 30, 30, 255]);
    assert_eq!(pal.get_pixel(20, 0).0, [30, 160, 60, 128]);
    assert_eq!(pal.get_pixel(40, 0).0[3], 0);
    assert!(read("bad/palette.png").windows(4).any(|w| w == b"tRNS"));

    let apng = read("bad/animated.png");
    assert!(apng.windows(4).any(|w| w == b"acTL"));
    assert_eq!(apng.windows(4).filter(|w| *w == b"fcTL").count(), 3);
    let first = decode("bad/animated.png").unwrap().to_rgb8();
    assert_eq!(first.get_pixel(10, 10).0, APNG_FRAMES[0]);
    assert!(APNG_FRAMES[1..].iter().all(|c| *c != APNG_FRAMES[0]));

    let cmyk = read("bad/cmyk.jpg");
    let sof = cmyk.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    assert_eq!(cmyk[sof + 9], 4, "four components");
    assert!(cmyk.windows(5).any(|w| w == b"Adobe"));
    let rgb = decode("bad/cmyk.jpg").unwrap().to_rgb8();
    let expect = [[255u8, 0, 0], [0, 255, 0], [0, 0, 255], [127, 127, 127]];
    for (i, e) in expect.iter().enumerate() {
        let p = rgb
            .get_pixel(16 + 32 * (i as u32 % 2), 16 + 32 * (i as u32 / 2))
            .0;
        assert!(
            (0..3).all(|k| (p[k] as i32 - e[k] as i32).abs() < 24),
            "quadrant {i} ({:?}): {p:?}",
            CMYK_QUADRANTS[i]
        );
    }

    let fake = read("bad/not-really.webp");
    assert!(fake.starts_with(b"\x89PNG"));
    assert_eq!(image::guess_format(&fake).unwrap(), image::ImageFormat::Png);
    assert_eq!(decode("bad/not-really.webp").unwrap().width(), 320);
    let webp = read("bad/tiny.webp");
    assert_eq!(
        image::guess_format(&webp).unwrap(),
        image::ImageFormat::WebP
    );
    assert_eq!(
        decode("bad/tiny.webp").unwrap().to_rgb8().get_pixel(1, 1).0,
        [220, 30, 30]
    );
}

#[test]
fn exif_orientation_files_turn_upright() {
    for (name, orientation) in [
        ("exif-upright", 1u16),
        ("exif-orientation-3", 3),
        ("exif-orientation-6", 6),
        ("exif-orientation-8", 8),
    ] {
        let bytes = read(&format!("bad/{name}.jpg"));
        // The APP1 segment carries TIFF big-endian IFD0 with tag 0x0112.
        let tag = [0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1];
        let at = bytes
            .windows(8)
            .position(|w| w == tag)
            .unwrap_or_else(|| panic!("{name}: no orientation tag"));
        assert_eq!(
            u16::from_be_bytes([bytes[at + 8], bytes[at + 9]]),
            orientation
        );
        let mut decoder = ImageReader::new(Cursor::new(&bytes))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        let o = decoder.orientation().unwrap();
        let mut img = image::DynamicImage::from_decoder(decoder).unwrap();
        img.apply_orientation(o);
        let img = img.to_rgb8();
        assert_eq!(img.dimensions(), (320, 240), "{name}");
        let near = |p: [u8; 3], e: [u8; 3]| (0..3).all(|k| (p[k] as i32 - e[k] as i32).abs() < 30);
        assert!(
            near(img.get_pixel(20, 20).0, [220, 30, 30]),
            "{name}: top-left {:?}",
            img.get_pixel(20, 20)
        );
        assert!(
            near(img.get_pixel(300, 220).0, [30, 50, 220]),
            "{name}: bottom-right"
        );
        assert!(
            near(img.get_pixel(300, 15).0, [30, 180, 60]),
            "{name}: top-right"
        );
    }
}

#[test]
fn large_photo_has_the_asked_size_and_detail() {
    let img = fitview_fixtures::large_photo(600, 400, 1);
    assert_eq!(img.dimensions(), (600, 400));
    assert_eq!(img, fitview_fixtures::large_photo(600, 400, 1));
    let distinct: std::collections::BTreeSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 1000);
}
