//! Test images made in code.
#![allow(dead_code)]

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A studio-like person photo: light grey backdrop, a figure in the middle.
pub fn person(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let head = (fx - 0.5).powi(2) + (fy - 0.12).powi(2) * 0.6 < 0.006;
        let body = (0.35..0.65).contains(&fx) && (0.2..0.95).contains(&fy);
        if head {
            Rgb([200, 160, 130])
        } else if body {
            Rgb([60, 70, 90])
        } else {
            Rgb([228, 228, 226])
        }
    })
}

/// A garment product shot: white backdrop, a red shirt shape.
pub fn garment(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let body = (0.3..0.7).contains(&fx) && (0.15..0.9).contains(&fy);
        let sleeves = (0.12..0.88).contains(&fx) && (0.15..0.35).contains(&fy);
        if body || sleeves {
            Rgb([190, 30, 40])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

pub fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn person_png(width: u32, height: u32) -> Vec<u8> {
    encode(&person(width, height), ImageFormat::Png)
}

pub fn garment_png(width: u32, height: u32) -> Vec<u8> {
    encode(&garment(width, height), ImageFormat::Png)
}

pub fn decode(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes).unwrap().to_rgba8()
}

pub fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[allow(unused)]
pub fn solid(width: u32, height: u32, px: [u8; 4]) -> RgbaImage {
    RgbaImage::from_pixel(width, height, Rgba(px))
}
