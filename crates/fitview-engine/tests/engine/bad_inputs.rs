//! Every file of `fixtures/bad/` through the decoder: each gives exactly the expected error, or
//! decodes to the expected pixels. The files are written by `fitview-fixtures` (see its `bad.rs`
//! for how each is built).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fitview_engine::pipeline::{self, ImageInfo, SourceFormat};
use fitview_engine::{Error, Limits};
use image::RgbaImage;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../fixtures/bad/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode(name: &str) -> Result<RgbaImage, Error> {
    pipeline::decode(&fixture(name), &Limits::default())
}

fn unsupported(name: &str) -> String {
    match decode(name) {
        Err(Error::UnsupportedFormat { detail }) => detail,
        other => panic!(
            "{name}: expected UnsupportedFormat, got {:?}",
            other.map(|i| i.dimensions())
        ),
    }
}

fn close(actual: [u8; 4], expected: [u8; 4], tolerance: i32) -> bool {
    actual
        .iter()
        .zip(expected)
        .all(|(&a, e)| (i32::from(a) - i32::from(e)).abs() <= tolerance)
}

#[track_caller]
fn assert_pixel(img: &RgbaImage, (x, y): (u32, u32), expected: [u8; 4], tolerance: i32) {
    let p = img.get_pixel(x, y).0;
    assert!(
        close(p, expected, tolerance),
        "pixel ({x},{y}) is {p:?}, expected {expected:?} ±{tolerance}"
    );
}

/// Mean absolute difference per channel of two same-sized images.
fn mean_difference(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn truncated_files_are_corrupt_not_half_grey() {
    assert!(unsupported("truncated.jpg").contains("truncated JPEG"));
    assert!(unsupported("truncated.png").contains("PNG"));
}

#[test]
fn a_header_that_lies_about_its_size_is_corrupt() {
    assert!(unsupported("lying-header.png").contains("PNG"));
}

#[test]
fn bombs_are_refused_from_the_header() {
    for (name, declared) in [("bomb.png", 100_000), ("bomb.jpg", 65_000)] {
        let bytes = fixture(name);
        assert!(bytes.len() < 1024, "{name} is a tiny file");
        for result in [
            pipeline::probe(&bytes, &Limits::default()).map(|_| ()),
            pipeline::decode(&bytes, &Limits::default()).map(|_| ()),
            pipeline::decode_at_least(&bytes, &Limits::default(), 64, 64).map(|_| ()),
        ] {
            match result {
                Err(Error::ImageTooLarge {
                    what: "width",
                    actual,
                    limit: 8192,
                }) => assert_eq!(actual, declared),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}

#[test]
fn non_images_say_what_they_are() {
    assert!(unsupported("empty.jpg").contains("empty"));
    assert_eq!(unsupported("text.jpg"), "text, not an image");
    assert!(unsupported("html.png").starts_with("HTML"));
}

#[test]
fn sixteen_bit_pngs_are_scaled_to_eight_bits() {
    let grey = decode("gray16.png").unwrap();
    assert_eq!(grey.dimensions(), (64, 64));
    assert_pixel(&grey, (0, 0), [0, 0, 0, 255], 0);
    assert_pixel(&grey, (63, 0), [255, 255, 255, 255], 1);
    assert_pixel(&grey, (32, 32), [130, 130, 130, 255], 1);

    let rgba = decode("rgba16.png").unwrap();
    assert_pixel(&rgba, (0, 0), [0, 0, 156, 255], 1);
    assert_pixel(&rgba, (40, 10), [162, 40, 156, 128], 1);
}

#[test]
fn grey_jpeg_becomes_grey_rgba() {
    let img = decode("gray.jpg").unwrap();
    assert_eq!(img.dimensions(), (160, 120));
    for (x, y) in [(10, 10), (100, 50), (150, 110)] {
        let p = img.get_pixel(x, y).0;
        assert!(p[0] == p[1] && p[1] == p[2] && p[3] == 255, "{p:?}");
        assert!(
            (i32::from(p[0]) - ((x + y) % 256) as i32).abs() <= 6,
            "({x},{y}) {p:?}"
        );
    }
}

#[test]
fn palette_png_keeps_its_transparency() {
    let img = decode("palette.png").unwrap();
    assert_pixel(&img, (5, 5), [200, 30, 30, 255], 0);
    assert_pixel(&img, (20, 5), [30, 160, 60, 128], 0);
    assert_eq!(img.get_pixel(40, 5).0[3], 0);
    assert_pixel(&img, (60, 5), [250, 250, 250, 255], 0);
}

#[test]
fn animated_png_gives_its_first_frame() {
    let img = decode("animated.png").unwrap();
    assert_eq!(img.dimensions(), (48, 48));
    assert!(img.pixels().all(|p| p.0 == [220, 30, 30, 255]));
}

#[test]
fn cmyk_jpeg_has_the_right_colours() {
    let img = decode("cmyk.jpg").unwrap();
    assert_eq!(img.dimensions(), (64, 64));
    assert_pixel(&img, (16, 16), [255, 0, 0, 255], 40);
    assert_pixel(&img, (48, 16), [0, 255, 0, 255], 40);
    assert_pixel(&img, (16, 48), [0, 0, 255, 255], 40);
    assert_pixel(&img, (48, 48), [127, 127, 127, 255], 30);
    // decode_at_least cannot DCT-scale CMYK: it decodes in full and scales down at once, with
    // the same colours.
    let small = pipeline::decode_at_least(&fixture("cmyk.jpg"), &Limits::default(), 8, 8).unwrap();
    assert_eq!(small.dimensions(), (8, 8));
    assert_pixel(&small, (2, 2), [255, 0, 0, 255], 40);
    assert_pixel(&small, (6, 2), [0, 255, 0, 255], 40);
    assert_pixel(&small, (2, 6), [0, 0, 255, 255], 40);
    assert_pixel(&small, (6, 6), [127, 127, 127, 255], 30);
}

#[test]
fn exif_orientations_come_out_upright() {
    let upright = decode("exif-upright.jpg").unwrap();
    assert_eq!(upright.dimensions(), (320, 240));
    assert_pixel(&upright, (50, 40), [220, 30, 30, 255], 12);
    assert_pixel(&upright, (300, 20), [30, 180, 60, 255], 12);
    assert_pixel(&upright, (270, 200), [30, 50, 220, 255], 12);
    for name in [
        "exif-orientation-3.jpg",
        "exif-orientation-6.jpg",
        "exif-orientation-8.jpg",
    ] {
        let bytes = fixture(name);
        let info = pipeline::probe(&bytes, &Limits::default()).unwrap();
        assert_eq!(
            info,
            ImageInfo {
                format: SourceFormat::Jpeg,
                width: 320,
                height: 240
            },
            "{name}"
        );
        let img = pipeline::decode(&bytes, &Limits::default()).unwrap();
        let diff = mean_difference(&img, &upright);
        assert!(
            diff < 3.0,
            "{name}: mean difference {diff:.2} from the upright card"
        );
        // The DCT-scaled path orients too: a quarter-size decode has the red block top-left.
        let small = pipeline::decode_at_least(&bytes, &Limits::default(), 80, 60).unwrap();
        assert_eq!(small.dimensions(), (80, 60), "{name}");
        assert_pixel(&small, (12, 10), [220, 30, 30, 255], 20);
        assert_pixel(&small, (68, 50), [30, 50, 220, 255], 20);
    }
}

#[test]
fn formats_are_sniffed_not_taken_from_the_name() {
    let bytes = fixture("not-really.webp");
    assert_eq!(
        pipeline::probe(&bytes, &Limits::default()).unwrap().format,
        SourceFormat::Png
    );
    let img = decode("not-really.webp").unwrap();
    assert_eq!(img.dimensions(), (320, 240));
    assert_pixel(&img, (50, 40), [220, 30, 30, 255], 0);
}

#[test]
fn a_tiny_lossless_webp_decodes_exactly() {
    let img = decode("tiny.webp").unwrap();
    assert_eq!(img.dimensions(), (32, 32));
    assert_pixel(&img, (2, 2), [220, 30, 30, 255], 0);
    assert_pixel(&img, (10, 2), [240, 240, 240, 255], 0);
    assert_pixel(&img, (10, 10), [220, 30, 30, 255], 0);
}

#[test]
fn every_bad_file_is_refused_under_a_tiny_byte_limit() {
    let dir = format!("{}/../../fixtures/bad", env!("CARGO_MANIFEST_DIR"));
    let limits = Limits {
        max_input_bytes: 16,
        ..Limits::default()
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = pipeline::decode(&bytes, &limits);
        if bytes.len() > 16 {
            assert!(
                matches!(result, Err(Error::ImageTooLarge { what: "bytes", .. })),
                "{}: {:?}",
                path.display(),
                result.map(|i| i.dimensions())
            );
        }
    }
}

/// Mutated images through the decoder, a bounded fuzz run in CI: every case gives a picture
/// within the limits or a typed input error, never a panic and never another kind of error.
mod mutations {
    use super::*;

    /// Cases per seed input; about a second of decoding in a debug build.
    const CASES: u64 = 300;

    fn seeds() -> Vec<(String, Vec<u8>)> {
        let card = RgbaImage::from_fn(48, 32, |x, y| {
            image::Rgba([(x * 5) as u8, (y * 7) as u8, ((x + y) * 3) as u8, 255])
        });
        let mut seeds = Vec::new();
        for format in [
            image::ImageFormat::Jpeg,
            image::ImageFormat::Png,
            image::ImageFormat::WebP,
        ] {
            let mut bytes = std::io::Cursor::new(Vec::new());
            let img = image::DynamicImage::ImageRgba8(card.clone());
            let img = if format == image::ImageFormat::Jpeg {
                image::DynamicImage::ImageRgb8(img.to_rgb8())
            } else {
                img
            };
            img.write_to(&mut bytes, format).unwrap();
            seeds.push((format!("{format:?}"), bytes.into_inner()));
        }
        for name in [
            "animated.png",
            "cmyk.jpg",
            "exif-orientation-6.jpg",
            "gray16.png",
            "palette.png",
            "tiny.webp",
            "truncated.jpg",
        ] {
            seeds.push((name.to_owned(), fixture(name)));
        }
        seeds
    }

    #[test]
    fn mutated_images_decode_within_the_limits_or_give_a_typed_input_error() {
        let limits = Limits {
            max_pixels: 4_000_000,
            max_decode_alloc: 32 << 20,
            ..Limits::default()
        };
        let mut outcomes = [0usize; 3];
        for (i, (name, bytes)) in seeds().into_iter().enumerate() {
            let mut mutator = fitview_fixtures::Mutator::new(i as u64);
            for case in 0..CASES {
                let input = mutator.mutate(&bytes);
                let at_least = if case % 2 == 0 { (8, 8) } else { (4096, 4096) };
                let decoded = pipeline::decode_at_least(&input, &limits, at_least.0, at_least.1);
                let probed = pipeline::probe(&input, &limits);
                match decoded {
                    Ok(img) => {
                        outcomes[0] += 1;
                        let pixels = u64::from(img.width()) * u64::from(img.height());
                        assert!(pixels > 0 && pixels <= limits.max_pixels, "{name} #{case}");
                        assert!(probed.is_ok(), "{name} #{case}: decodes but does not probe");
                    }
                    Err(Error::UnsupportedFormat { .. }) => outcomes[1] += 1,
                    Err(Error::ImageTooLarge { .. }) => outcomes[2] += 1,
                    Err(other) => panic!("{name} #{case}: unexpected error {other:?}"),
                }
            }
        }
        // The mutations reach every outcome, so the run is not testing only the sniffer.
        assert!(outcomes.iter().all(|&n| n > 0), "{outcomes:?}");
    }
}
