//! Tests of decoding and of the three orchestration functions, on images made in code.

use std::io::Cursor;

use image::{ImageFormat, Rgba, RgbaImage};

use super::*;
use crate::request::OutputFormat;

fn halves(w: u32, h: u32, left: [u8; 3], right: [u8; 3]) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, _| {
        let c = if x < w / 2 { left } else { right };
        Rgba([c[0], c[1], c[2], 255])
    })
}

fn encoded(img: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(img.clone())
            .to_rgb8()
            .write_to(&mut out, format)
            .unwrap(),
        _ => img.write_to(&mut out, format).unwrap(),
    }
    out.into_inner()
}

/// A JPEG with an EXIF APP1 segment carrying `orientation`.
fn jpeg_with_orientation(img: &RgbaImage, orientation: u16) -> Vec<u8> {
    let jpeg = encoded(img, ImageFormat::Jpeg);
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn near(a: [u8; 4], b: [u8; 3], tolerance: i32) -> bool {
    (0..3).all(|i| (i32::from(a[i]) - i32::from(b[i])).abs() <= tolerance)
}

const RED: [u8; 3] = [220, 30, 30];
const BLUE: [u8; 3] = [30, 40, 210];

#[test]
fn each_accepted_format_decodes_to_upright_rgba() {
    let img = halves(64, 32, RED, BLUE);
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
        let bytes = encoded(&img, format);
        let info = probe(&bytes, &Limits::default()).unwrap();
        assert_eq!((info.width, info.height), (64, 32), "{format:?}");
        let out = decode(&bytes, &Limits::default()).unwrap();
        assert_eq!(out.dimensions(), (64, 32));
        assert!(
            near(out.get_pixel(8, 16).0, RED, 12),
            "{format:?}: {:?}",
            out.get_pixel(8, 16)
        );
        assert!(near(out.get_pixel(56, 16).0, BLUE, 12), "{format:?}");
        assert_eq!(out.get_pixel(56, 16).0[3], 255);
    }
}

#[test]
fn grey_and_sixteen_bit_pngs_become_rgba8() {
    let grey =
        image::GrayImage::from_fn(10, 10, |x, _| image::Luma([if x < 5 { 10 } else { 240 }]));
    let mut bytes = Cursor::new(Vec::new());
    grey.write_to(&mut bytes, ImageFormat::Png).unwrap();
    let out = decode(bytes.get_ref(), &Limits::default()).unwrap();
    assert_eq!(out.get_pixel(1, 1).0, [10, 10, 10, 255]);
    assert_eq!(out.get_pixel(8, 1).0, [240, 240, 240, 255]);

    let deep =
        image::ImageBuffer::<Rgba<u16>, Vec<u16>>::from_pixel(4, 4, Rgba([65535, 0, 32896, 0]));
    let mut bytes = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba16(deep)
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    assert_eq!(
        decode(bytes.get_ref(), &Limits::default())
            .unwrap()
            .get_pixel(0, 0)
            .0,
        [255, 0, 128, 0]
    );

    let la =
        image::ImageBuffer::<image::LumaA<u8>, Vec<u8>>::from_pixel(3, 3, image::LumaA([77, 128]));
    let mut bytes = Cursor::new(Vec::new());
    image::DynamicImage::ImageLumaA8(la)
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    assert_eq!(
        decode(bytes.get_ref(), &Limits::default())
            .unwrap()
            .get_pixel(1, 1)
            .0,
        [77, 77, 77, 128]
    );
}

#[test]
fn exif_orientation_is_applied() {
    // Orientation 6: the camera was turned; display rotates 90° clockwise, so the left column
    // (red) becomes the top row.
    let bytes = jpeg_with_orientation(&halves(40, 20, RED, BLUE), 6);
    let info = probe(&bytes, &Limits::default()).unwrap();
    assert_eq!((info.width, info.height), (20, 40));
    let out = decode(&bytes, &Limits::default()).unwrap();
    assert_eq!(out.dimensions(), (20, 40));
    assert!(
        near(out.get_pixel(10, 4).0, RED, 16),
        "{:?}",
        out.get_pixel(10, 4)
    );
    assert!(near(out.get_pixel(10, 35).0, BLUE, 16));
    // Orientation 3: upside down; red ends on the right.
    let out = decode(
        &jpeg_with_orientation(&halves(40, 20, RED, BLUE), 3),
        &Limits::default(),
    )
    .unwrap();
    assert!(near(out.get_pixel(35, 10).0, RED, 16));
}

#[test]
fn jpeg_decodes_at_a_dct_scale_that_covers_the_request() {
    let bytes = encoded(&halves(800, 600, RED, BLUE), ImageFormat::Jpeg);
    let limits = Limits::default();
    assert_eq!(
        decode_at_least(&bytes, &limits, 100, 75)
            .unwrap()
            .dimensions(),
        (100, 75)
    );
    assert_eq!(
        decode_at_least(&bytes, &limits, 101, 10)
            .unwrap()
            .dimensions(),
        (200, 150)
    );
    assert_eq!(
        decode_at_least(&bytes, &limits, 10, 151)
            .unwrap()
            .dimensions(),
        (400, 300)
    );
    assert_eq!(
        decode_at_least(&bytes, &limits, 500, 10)
            .unwrap()
            .dimensions(),
        (800, 600)
    );
    let small = decode_at_least(&bytes, &limits, 100, 75).unwrap();
    assert!(near(small.get_pixel(10, 40).0, RED, 16) && near(small.get_pixel(90, 40).0, BLUE, 16));

    // The request is in displayed pixels: a rotated photo swaps the axes.
    let rotated = jpeg_with_orientation(&halves(800, 600, RED, BLUE), 6);
    let out = decode_at_least(&rotated, &limits, 75, 100).unwrap();
    assert_eq!(out.dimensions(), (75, 100));
    assert!(
        near(out.get_pixel(37, 10).0, RED, 20),
        "{:?}",
        out.get_pixel(37, 10)
    );
}

#[test]
fn png_and_webp_are_scaled_down_like_jpeg_right_after_decoding() {
    let limits = Limits::default();
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let bytes = encoded(&halves(800, 600, RED, BLUE), format);
        // Matting and fitting then work at the size the canvas needs, not the photo's.
        for (min, expected) in [
            ((100, 75), (100, 75)),
            ((101, 10), (200, 150)),
            ((10, 151), (400, 300)),
            ((500, 10), (800, 600)),
        ] {
            let out = decode_at_least(&bytes, &limits, min.0, min.1).unwrap();
            assert_eq!(out.dimensions(), expected, "{format:?} at least {min:?}");
        }
        let small = decode_at_least(&bytes, &limits, 100, 75).unwrap();
        assert!(near(small.get_pixel(10, 40).0, RED, 4), "{format:?}");
        assert!(near(small.get_pixel(90, 40).0, BLUE, 4), "{format:?}");
    }
}

#[test]
fn a_jpeg_too_short_for_its_declared_size_is_refused() {
    let jpeg = encoded(&halves(64, 40, RED, BLUE), ImageFormat::Jpeg);
    // Rewrite the frame header (SOF0: FF C0, length, precision, height, width) to 8000×5000.
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let mut forged = jpeg.clone();
    forged[sof + 5..sof + 7].copy_from_slice(&5000u16.to_be_bytes());
    forged[sof + 7..sof + 9].copy_from_slice(&8000u16.to_be_bytes());
    assert!(forged.len() < 4096);
    let limits = Limits::default();
    for result in [
        probe(&forged, &limits).map(|_| ()),
        decode(&forged, &limits).map(|_| ()),
    ] {
        match result {
            Err(Error::UnsupportedFormat { detail }) => {
                assert!(detail.contains("8000×5000"), "{detail}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert!(decode(&jpeg, &limits).is_ok(), "the real one is fine");
}

#[test]
fn limits_are_checked_before_decoding() {
    let bytes = encoded(&halves(200, 50, RED, BLUE), ImageFormat::Png);
    let tight = |f: &dyn Fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        l
    };
    let err = decode(&bytes, &tight(&|l| l.max_input_bytes = 10)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "bytes",
                limit: 10,
                ..
            }
        ),
        "{err}"
    );
    let err = decode(&bytes, &tight(&|l| l.max_width = 199)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "width",
                actual: 200,
                limit: 199
            }
        ),
        "{err}"
    );
    let err = probe(&bytes, &tight(&|l| l.max_height = 49)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "height",
                actual: 50,
                ..
            }
        ),
        "{err}"
    );
    let err = decode_at_least(&bytes, &tight(&|l| l.max_pixels = 9_999), 1, 1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "pixels",
                actual: 10_000,
                ..
            }
        ),
        "{err}"
    );
    let err = decode(&bytes, &tight(&|l| l.max_decode_alloc = 1_000)).unwrap_err();
    assert!(matches!(err, Error::ImageTooLarge { .. }), "{err}");
    let jpeg = encoded(&halves(800, 600, RED, BLUE), ImageFormat::Jpeg);
    let err = decode_at_least(&jpeg, &tight(&|l| l.max_width = 799), 10, 10).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "width",
                actual: 800,
                ..
            }
        ),
        "{err}"
    );
}

/// A PNG that declares 60000×60000 pixels in a few hundred bytes.
fn png_bomb() -> Vec<u8> {
    let mut bytes = encoded(&RgbaImage::new(1, 1), ImageFormat::Png);
    // IHDR data starts at byte 16: width, height (big endian), then the chunk CRC at 29..33.
    bytes[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let bomb = png_bomb();
    assert!(bomb.len() < 200);
    let err = decode(&bomb, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ImageTooLarge {
                what: "width",
                actual: 60_000,
                ..
            }
        ),
        "{err}"
    );
    let generous = Limits {
        max_width: 100_000,
        max_height: 100_000,
        ..Limits::default()
    };
    let err = decode(&bomb, &generous).unwrap_err();
    assert!(
        matches!(err, Error::ImageTooLarge { what: "pixels", .. }),
        "{err}"
    );
}

#[test]
fn other_formats_and_non_images_are_named() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "empty"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "GIF is not accepted"),
        (b"hello, this is a text file\n", "text, not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"BM\x00\x00\x00\x00\x00\x00", "BMP"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "AVIF"),
    ];
    for (bytes, expected) in cases {
        match decode(bytes, &Limits::default()) {
            Err(Error::UnsupportedFormat { detail }) => {
                assert!(detail.contains(expected), "{detail}")
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
}

#[test]
fn truncated_images_give_a_typed_error_at_every_length() {
    let img = RgbaImage::from_fn(96, 64, |x, y| {
        Rgba([(x * 2) as u8, (y * 3) as u8, ((x + y) % 256) as u8, 255])
    });
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
        let full = encoded(&img, format);
        let lengths = (0..full.len())
            .step_by(37)
            .chain(full.len().saturating_sub(16)..full.len());
        for len in lengths {
            let cut = &full[..len];
            // decode_at_least scales down by eighths right after decoding: 12×8 covers 12×8.
            for (result, size) in [
                (decode(cut, &Limits::default()), (96, 64)),
                (decode_at_least(cut, &Limits::default(), 12, 8), (12, 8)),
            ] {
                match result {
                    Err(Error::UnsupportedFormat { .. }) => {}
                    // PNG's last chunk (IEND, 12 bytes) and WebP's padding byte carry no pixels.
                    Ok(out)
                        if (format == ImageFormat::Png && len >= full.len() - 12)
                            || (format == ImageFormat::WebP && len == full.len() - 1) =>
                    {
                        assert_eq!(out.dimensions(), size);
                    }
                    other => panic!(
                        "{format:?} cut at {len} of {}: {:?}",
                        full.len(),
                        other.map(|img| img.dimensions())
                    ),
                }
            }
        }
    }
}

#[test]
fn person_is_letterboxed_on_its_own_backdrop() {
    let photo = RgbaImage::from_fn(300, 400, |x, y| {
        if (100..200).contains(&x) && (50..400).contains(&y) {
            Rgba([90, 60, 40, 255])
        } else {
            Rgba([200, 205, 210, 255])
        }
    });
    let bytes = encoded(&photo, ImageFormat::Png);
    let p = prepare_person(&bytes, &Limits::default(), (1024, 1024), None).unwrap();
    assert_eq!(p.canvas.dimensions(), (1024, 1024));
    assert_eq!(
        p.placement,
        Placement {
            x: 128,
            y: 0,
            width: 768,
            height: 1024
        }
    );
    assert_eq!(p.original_size, (300, 400));
    assert_eq!(p.canvas.get_pixel(10, 500).0, [200, 205, 210, 255]);
    assert_eq!(p.canvas.get_pixel(512, 600).0, [90, 60, 40, 255]);

    let p = prepare_person(&bytes, &Limits::default(), (1024, 1024), Some([1, 2, 3])).unwrap();
    assert_eq!(p.canvas.get_pixel(1020, 500).0, [1, 2, 3, 255]);
}

#[test]
fn a_large_person_jpeg_is_fitted_without_full_decode_artifacts() {
    let bytes = encoded(&halves(2400, 1600, RED, BLUE), ImageFormat::Jpeg);
    let p = prepare_person(&bytes, &Limits::default(), (1024, 1024), None).unwrap();
    assert_eq!(p.original_size, (2400, 1600));
    assert_eq!(
        p.placement,
        Placement {
            x: 0,
            y: 170,
            width: 1024,
            height: 683
        }
    );
    assert!(near(p.canvas.get_pixel(100, 500).0, RED, 16));
    assert!(near(p.canvas.get_pixel(900, 500).0, BLUE, 16));
    // Red/blue halves are no plain backdrop: mid grey padding.
    assert_eq!(p.canvas.get_pixel(500, 20).0, [128, 128, 128, 255]);
}

fn shirt_photo(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let (cx, cy) = (w / 2, h / 2);
        if x.abs_diff(cx) < w / 5 && y.abs_diff(cy) < h / 3 {
            Rgba([200, 30, 40, 255])
        } else {
            Rgba([247, 247, 247, 255])
        }
    })
}

#[test]
fn garment_is_cut_out_cropped_and_centred_on_transparent() {
    let bytes = encoded(&shirt_photo(600, 400), ImageFormat::Png);
    let g = prepare_garment(&bytes, &Limits::default(), (512, 512)).unwrap();
    assert_eq!(g.dimensions(), (512, 512));
    assert_eq!(g.get_pixel(2, 2).0[3], 0);
    assert_eq!(g.get_pixel(256, 256).0, [200, 30, 40, 255]);
    // Cropped to the garment: it is taller than wide and now spans nearly the full height.
    let rows: Vec<u32> = (0..512)
        .filter(|&y| g.get_pixel(256, y).0[3] == 255)
        .collect();
    assert!(rows.len() > 460, "garment spans {} rows", rows.len());

    let jpeg = encoded(&shirt_photo(1200, 900), ImageFormat::Jpeg);
    let g = prepare_garment(&jpeg, &Limits::default(), (256, 256)).unwrap();
    assert_eq!(g.get_pixel(0, 128).0[3], 0);
    assert!(near(g.get_pixel(128, 128).0, [200, 30, 40], 16));
}

#[test]
fn the_white_stripes_of_the_striped_shirt_fixture_stay_opaque() {
    // Its white stripes run out to the shoulders and the hem on a light grey backdrop.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/garments/shirt-striped.jpg"
    );
    let g = prepare_garment(
        &std::fs::read(path).unwrap(),
        &Limits::default(),
        (1024, 1024),
    )
    .unwrap();
    let rows: Vec<u32> = (0..1024)
        .filter(|&y| (0..1024).any(|x| g.get_pixel(x, y).0[3] >= 128))
        .collect();
    let (top, bottom) = (rows[0], rows[rows.len() - 1]);
    // The body's middle, between the sleeves and the hem, well inside its sides.
    let y_range = top + (bottom - top) * 4 / 10..top + (bottom - top) * 8 / 10;
    let y_mid = (y_range.start + y_range.end) / 2;
    let xs: Vec<u32> = (0..1024)
        .filter(|&x| g.get_pixel(x, y_mid).0[3] >= 128)
        .collect();
    let (left, right) = (xs[0] + 40, xs[xs.len() - 1] - 40);
    let mut opaque = 0;
    let mut all = 0;
    for y in y_range {
        for x in left..right {
            all += 1;
            opaque += usize::from(g.get_pixel(x, y).0[3] >= 250);
        }
    }
    assert!(
        opaque * 100 >= all * 99,
        "only {opaque} of {all} pixels of the shirt's body are opaque"
    );
}

#[test]
fn garment_on_a_busy_background_is_refused() {
    let busy = RgbaImage::from_fn(200, 200, |x, y| {
        let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) as u8;
        Rgba([v, v.wrapping_mul(7), v.wrapping_add(100), 255])
    });
    let err = prepare_garment(
        &encoded(&busy, ImageFormat::Png),
        &Limits::default(),
        (256, 256),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
}

/// A provider output at twice the canvas resolution: magenta letterbox, green person, with a
/// red marker in the person's top-left corner.
fn generated(scale: u32, placement: Placement) -> RgbaImage {
    RgbaImage::from_fn(1024 * scale, 1024 * scale, |x, y| {
        let (x, y) = (x / scale, y / scale);
        let inside = x >= placement.x
            && x < placement.x + placement.width
            && y >= placement.y
            && y < placement.y + placement.height;
        if !inside {
            Rgba([255, 0, 255, 255])
        } else if x < placement.x + 40 && y < placement.y + 40 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 160, 0, 255])
        }
    })
}

#[test]
fn finish_crops_back_to_the_person_and_encodes() {
    let placement = Placement {
        x: 128,
        y: 0,
        width: 768,
        height: 1024,
    };
    let output = generated(2, placement);
    let options = OutputOptions {
        long_edge: 512,
        format: OutputFormat::Png,
        quality: 90,
        thumbnail_widths: vec![96, 1000],
        color_correct: true,
        sharpen: true,
    };
    let done = finish(
        &output,
        (1024, 1024),
        &placement,
        &options,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((done.image.width, done.image.height), (384, 512));
    let out = image::load_from_memory(&done.image.bytes)
        .unwrap()
        .to_rgba8();
    assert_eq!(out.dimensions(), (384, 512));
    for (x, y) in [(383, 256), (200, 511), (383, 0), (383, 511)] {
        let p = out.get_pixel(x, y).0;
        assert!(p[2] < 30, "no letterbox at ({x},{y}): {p:?}");
    }
    assert!(
        out.get_pixel(3, 3).0[0] > 200,
        "the marker stays in the corner"
    );
    let sizes: Vec<_> = done
        .thumbnails
        .iter()
        .map(|t| (t.width, t.height))
        .collect();
    assert_eq!(sizes, vec![(96, 128), (384, 512)]);
}

#[test]
fn finish_caps_the_output_at_the_limit_and_honours_the_format() {
    let placement = Placement {
        x: 0,
        y: 170,
        width: 1024,
        height: 683,
    };
    let output = generated(1, placement);
    let options = OutputOptions {
        long_edge: 2048,
        format: OutputFormat::Webp,
        ..OutputOptions::default()
    };
    let limits = Limits {
        max_output_dimension: 300,
        ..Limits::default()
    };
    let done = finish(&output, (1024, 1024), &placement, &options, &limits).unwrap();
    assert_eq!((done.image.width, done.image.height), (300, 200));
    assert_eq!(done.image.format, OutputFormat::Webp);
    assert_eq!(
        image::guess_format(&done.image.bytes).unwrap(),
        ImageFormat::WebP
    );
    let bad = Placement {
        x: 900,
        y: 0,
        width: 200,
        height: 10,
    };
    assert!(matches!(
        finish(&output, (1024, 1024), &bad, &options, &limits),
        Err(Error::Internal { .. })
    ));
}
