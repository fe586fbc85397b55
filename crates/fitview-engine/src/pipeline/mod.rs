//! The image pipeline: everything between encoded bytes and the provider's canvas, and back.
//!
//! - [`decode`](mod@decode): the only place bytes become pixels, with every limit checked from the header first;
//! - [`resize`]: SIMD resampling and fitting into a canvas;
//! - [`matte`]: cutting a garment out of its studio backdrop;
//! - [`restore`]: taking back from the input what a pixel-aligned provider did not mean to change;
//! - [`color`] and [`sharpen`]: optional finishing of results;
//! - [`encode`](mod@encode): WebP, JPEG and PNG output and thumbnails, always re-encoded.
//!
//! The three functions here are what the engine calls, each on a blocking thread: they are
//! synchronous and CPU-bound. Each logs one `tracing` debug span with sizes and per-stage
//! durations; no pixel data or input bytes are ever logged.

pub(crate) mod box_blur;
pub mod color;
pub(crate) mod components;
pub mod decode;
pub mod encode;
pub mod matte;
pub mod resize;
pub mod restore;
pub mod sharpen;

use std::time::Instant;

use image::RgbaImage;
use tracing::debug;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::request::OutputOptions;

pub use color::auto_white_balance;
pub use decode::{ImageInfo, SourceFormat, decode, decode_at_least, probe};
pub use encode::{EncodedImage, encode, thumbnails};
pub use matte::{estimate_backdrop, matte_garment};
pub use resize::{
    FitMode, Placement, contain_size, fit_to_canvas, resize_exact, resize_to_long_edge,
};
pub use restore::{Restored, restore_unchanged};
pub use sharpen::unsharp_mask;

/// Letterbox colour when the person photo's own backdrop cannot be estimated.
const FALLBACK_BACKGROUND: [u8; 3] = [128, 128, 128];
/// Margin kept around the garment's bounding box, as a share of its longer side.
const GARMENT_MARGIN: f32 = 0.03;
/// Unsharp mask applied when [`OutputOptions::sharpen`] is set: a light touch that restores the
/// crispness lost in resampling without halos.
const SHARPEN: (f32, f32, u8) = (0.8, 0.45, 2);

/// A person photo ready for a provider: letterboxed into the canvas, with where it sits.
#[derive(Debug, Clone)]
pub struct PreparedPerson {
    /// The canvas-sized image sent to the provider.
    pub canvas: RgbaImage,
    /// Where the photo sits inside the canvas; [`finish`] crops the result back to it.
    pub placement: Placement,
    /// The photo's size as displayed (after EXIF orientation), before any scaling.
    pub original_size: (u32, u32),
}

/// Decodes a person photo (DCT-downscaled when possible, upright, RGBA) and fits it (Contain)
/// into `canvas` on `background`. With `background` `None` the photo's own backdrop, estimated
/// from its border, pads it so the letterbox blends in; mid grey when there is no plain backdrop.
pub fn prepare_person(
    bytes: &[u8],
    limits: &Limits,
    canvas: (u32, u32),
    background: Option<[u8; 3]>,
) -> Result<PreparedPerson> {
    let _span = tracing::debug_span!(
        "pipeline.prepare_person",
        input_bytes = bytes.len(),
        canvas_width = canvas.0,
        canvas_height = canvas.1
    )
    .entered();
    let (info, img) = decode_for_canvas(bytes, limits, canvas)?;
    let start = Instant::now();
    let [r, g, b] = background
        .or_else(|| matte::estimate_backdrop(&img))
        .unwrap_or(FALLBACK_BACKGROUND);
    let (canvas_img, placement) =
        resize::fit_to_canvas(&img, canvas, FitMode::Contain, [r, g, b, 255])?;
    debug!(
        stage = "fit",
        x = placement.x,
        y = placement.y,
        width = placement.width,
        height = placement.height,
        elapsed_ms = ms(start),
    );
    Ok(PreparedPerson {
        canvas: canvas_img,
        placement,
        original_size: (info.width, info.height),
    })
}

/// Checks the canvas, then decodes `bytes` at no more than the size needed to fill it (DCT-scaled
/// for JPEG), logging the decode stage. Shared by the person and garment preparations.
fn decode_for_canvas(
    bytes: &[u8],
    limits: &Limits,
    canvas: (u32, u32),
) -> Result<(ImageInfo, RgbaImage)> {
    check_canvas(canvas)?;
    let start = Instant::now();
    let (info, img) =
        decode::decode_for(bytes, limits, |w, h| resize::contain_size((w, h), canvas))?;
    debug!(
        stage = "decode",
        format = info.format.name(),
        width = info.width,
        height = info.height,
        decoded_width = img.width(),
        decoded_height = img.height(),
        elapsed_ms = ms(start),
    );
    Ok((info, img))
}

/// Decodes a garment photo, cuts it out of its backdrop ([`matte_garment`]), crops it to its
/// bounding box plus a small margin and fits it (Contain) into `canvas` on transparent.
pub fn prepare_garment(bytes: &[u8], limits: &Limits, canvas: (u32, u32)) -> Result<RgbaImage> {
    let _span = tracing::debug_span!(
        "pipeline.prepare_garment",
        input_bytes = bytes.len(),
        canvas_width = canvas.0,
        canvas_height = canvas.1
    )
    .entered();
    let (_, img) = decode_for_canvas(bytes, limits, canvas)?;
    let start = Instant::now();
    let matted = matte::matte_garment(&img)?;
    let Some(bbox) = opaque_bounds(&matted) else {
        return Err(Error::invalid_input(
            "no garment found in the garment photo",
        ));
    };
    let region = with_margin(bbox, matted.dimensions());
    debug!(
        stage = "matte",
        x = region.x,
        y = region.y,
        width = region.width,
        height = region.height,
        elapsed_ms = ms(start),
    );
    let start = Instant::now();
    let (w, h) = resize::contain_size((region.width, region.height), canvas);
    let content = resize::resize_region(&matted, region, w, h)?;
    let mut out = RgbaImage::new(canvas.0, canvas.1);
    resize::paste_over(&mut out, &content, (canvas.0 - w) / 2, (canvas.1 - h) / 2);
    debug!(stage = "fit", width = w, height = h, elapsed_ms = ms(start));
    Ok(out)
}

/// A finished result: the encoded image and its thumbnails.
#[derive(Debug, Clone)]
pub struct FinishedImage {
    /// The result at the requested size and format.
    pub image: EncodedImage,
    /// Thumbnails, one per requested width, in the requested order.
    pub thumbnails: Vec<EncodedImage>,
}

/// Turns a provider's output back into a result for the person photo.
///
/// `generated` has the canvas's aspect ratio, perhaps at another resolution: `placement` is
/// scaled to it, the result is cropped back to the person photo's own aspect, resized so its
/// longer side is `options.long_edge` (capped by `limits.max_output_dimension`), optionally
/// white-balanced and sharpened, and encoded with thumbnails.
pub fn finish(
    generated: &RgbaImage,
    canvas: (u32, u32),
    placement: &Placement,
    options: &OutputOptions,
    limits: &Limits,
) -> Result<FinishedImage> {
    let (gw, gh) = generated.dimensions();
    let _span = tracing::debug_span!(
        "pipeline.finish",
        generated_width = gw,
        generated_height = gh,
        format = options.format.as_str()
    )
    .entered();
    check_canvas(canvas)?;
    if gw == 0 || gh == 0 {
        return Err(Error::MalformedResponse {
            detail: "the provider returned an empty image".to_owned(),
        });
    }
    if placement.width == 0
        || placement.height == 0
        || placement.x.saturating_add(placement.width) > canvas.0
        || placement.y.saturating_add(placement.height) > canvas.1
    {
        return Err(Error::internal(format!(
            "placement {placement:?} is outside the {}×{} canvas",
            canvas.0, canvas.1
        )));
    }
    let start = Instant::now();
    let region = scale_placement(placement, canvas, (gw, gh));
    let long_edge = options.long_edge.min(limits.max_output_dimension).max(1);
    let (ow, oh) =
        resize::contain_size((placement.width, placement.height), (long_edge, long_edge));
    let mut out = resize::resize_region(generated, region, ow, oh)?;
    debug!(
        stage = "crop_resize",
        width = ow,
        height = oh,
        elapsed_ms = ms(start)
    );
    if options.color_correct {
        let start = Instant::now();
        color::auto_white_balance(&mut out);
        debug!(stage = "color_correct", elapsed_ms = ms(start));
    }
    if options.sharpen {
        let start = Instant::now();
        let (radius, amount, threshold) = SHARPEN;
        sharpen::unsharp_mask(&mut out, radius, amount, threshold);
        debug!(stage = "sharpen", elapsed_ms = ms(start));
    }
    let start = Instant::now();
    let image = encode::encode(&out, options.format, options.quality)?;
    let thumbnails = encode::thumbnails(
        &out,
        &options.thumbnail_widths,
        options.format,
        options.quality,
    )?;
    debug!(
        stage = "encode",
        bytes = image.bytes.len(),
        thumbnails = thumbnails.len(),
        elapsed_ms = ms(start),
    );
    Ok(FinishedImage { image, thumbnails })
}

fn check_canvas(canvas: (u32, u32)) -> Result<()> {
    if canvas.0 == 0 || canvas.1 == 0 {
        return Err(Error::internal(format!(
            "canvas {}×{} is empty",
            canvas.0, canvas.1
        )));
    }
    Ok(())
}

/// `placement` (in canvas pixels) expressed in pixels of an image of size `to`.
fn scale_placement(placement: &Placement, canvas: (u32, u32), to: (u32, u32)) -> Placement {
    let axis = |start: u32, len: u32, from: u32, to: u32| {
        let scale = f64::from(to) / f64::from(from);
        let a = ((f64::from(start) * scale).round() as u32).min(to - 1);
        let b = ((f64::from(start + len) * scale).round() as u32).clamp(a + 1, to);
        (a, b - a)
    };
    let (x, width) = axis(placement.x, placement.width, canvas.0, to.0);
    let (y, height) = axis(placement.y, placement.height, canvas.1, to.1);
    Placement {
        x,
        y,
        width,
        height,
    }
}

/// The bounding box of the pixels that are more than faintly visible.
fn opaque_bounds(img: &RgbaImage) -> Option<Placement> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if p.0[3] > 16 {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    (x0 <= x1).then(|| Placement {
        x: x0,
        y: y0,
        width: x1 - x0 + 1,
        height: y1 - y0 + 1,
    })
}

fn with_margin(bbox: Placement, (w, h): (u32, u32)) -> Placement {
    let margin = (bbox.width.max(bbox.height) as f32 * GARMENT_MARGIN).ceil() as u32 + 2;
    let x = bbox.x.saturating_sub(margin);
    let y = bbox.y.saturating_sub(margin);
    let right = (bbox.x + bbox.width + margin).min(w);
    let bottom = (bbox.y + bbox.height + margin).min(h);
    Placement {
        x,
        y,
        width: right - x,
        height: bottom - y,
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests;
