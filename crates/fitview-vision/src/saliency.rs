//! U²-Net small: the salient object's mask (a garment on its product photo).
//!
//! Input: the photo resized to [`INPUT`] × [`INPUT`] (NCHW, RGB divided by the image's brightest
//! channel value, then normalised with the ImageNet mean and standard deviation, as rembg does).
//! Output 0 (`d0`, after its sigmoid) is min-max normalised to 0–1 and resized to the photo.

use image::{GrayImage, Luma, RgbImage, imageops};
use tract_onnx::prelude::{Tensor, tract_ndarray};

use crate::error::Result;
use crate::models::{self, Plan, U2NETP};
use crate::roi::bilinear_map;

/// Input side in pixels. The model was trained at 320; the graph is fully convolutional and
/// its upsampling follows the input, so it runs at this smaller side: 2.8 times fewer pixels,
/// about 1.9 s → 0.65 s on one core with tract, and a mask still clean on product photos.
pub(crate) const INPUT: usize = 192;
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

pub(crate) fn mask(plan: &Plan, img: &RgbImage) -> Result<GrayImage> {
    let small = imageops::resize(
        img,
        INPUT as u32,
        INPUT as u32,
        imageops::FilterType::Triangle,
    );
    let brightest = f32::from(small.as_raw().iter().copied().max().unwrap_or(255).max(1));
    let input: Tensor =
        tract_ndarray::Array4::from_shape_fn((1, 3, INPUT, INPUT), |(_, c, y, x)| {
            (f32::from(small.get_pixel(x as u32, y as u32)[c]) / brightest - MEAN[c]) / STD[c]
        })
        .into();
    let outputs = models::run(&U2NETP, plan, input)?;
    let d0 = models::output(&U2NETP, &outputs, 0, INPUT * INPUT)?;
    let (lo, hi) = d0
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let span = (hi - lo).max(1e-6);
    let norm: Vec<f32> = d0.iter().map(|&v| (v - lo) / span).collect();
    let (w, h) = img.dimensions();
    let (sx, sy) = (INPUT as f32 / w as f32, INPUT as f32 / h as f32);
    Ok(GrayImage::from_fn(w, h, |x, y| {
        let v = bilinear_map(
            &norm,
            INPUT,
            INPUT,
            (x as f32 + 0.5) * sx - 0.5,
            (y as f32 + 0.5) * sy - 0.5,
        );
        Luma([(v * 255.0).round().clamp(0.0, 255.0) as u8])
    }))
}
