//! Resampling: SIMD Lanczos3 through `fast_image_resize`, alpha-correct, one reusable resizer per
//! thread.

use std::cell::RefCell;

use fast_image_resize::images::CroppedImage;
use fast_image_resize::{FilterType, IntoImageView, ResizeAlg, ResizeOptions, Resizer};
use image::RgbaImage;

use crate::error::{Error, Result};

/// How an image is placed into a canvas of another aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FitMode {
    /// Scale to fit entirely inside the canvas and letterbox the rest: nothing is cut off.
    #[default]
    Contain,
    /// Scale to cover the whole canvas and crop the overflow around the centre.
    Cover,
}

/// Where the content sits inside a canvas, in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Placement {
    /// Left edge of the content.
    pub x: u32,
    /// Top edge of the content.
    pub y: u32,
    /// Width of the content.
    pub width: u32,
    /// Height of the content.
    pub height: u32,
}

impl Placement {
    /// A placement covering a whole `width` × `height` canvas.
    pub fn full(width: u32, height: u32) -> Self {
        Placement {
            x: 0,
            y: 0,
            width,
            height,
        }
    }
}

thread_local! {
    // The resizer keeps scratch buffers between calls; CPU work runs on a small pool of blocking
    // threads, so one per thread is both lock-free and reused.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// The size `(w, h)` scaled to fit inside `bounds`, keeping the aspect ratio; never zero.
pub fn contain_size(size: (u32, u32), bounds: (u32, u32)) -> (u32, u32) {
    let (w, h) = (f64::from(size.0.max(1)), f64::from(size.1.max(1)));
    let scale = (f64::from(bounds.0) / w).min(f64::from(bounds.1) / h);
    (
        ((w * scale).round() as u32).clamp(1, bounds.0.max(1)),
        ((h * scale).round() as u32).clamp(1, bounds.1.max(1)),
    )
}

/// Resamples `img` to exactly `width` × `height` (the aspect ratio may change).
pub fn resize_exact(img: &RgbaImage, width: u32, height: u32) -> Result<RgbaImage> {
    resize_region(
        img,
        Placement::full(img.width(), img.height()),
        width,
        height,
    )
}

/// Resamples `img` so that its longer side is `long_edge`, keeping the aspect ratio.
pub fn resize_to_long_edge(img: &RgbaImage, long_edge: u32) -> Result<RgbaImage> {
    let (w, h) = contain_size(img.dimensions(), (long_edge, long_edge));
    resize_exact(img, w, h)
}

/// Fits `img` into a `canvas` (width, height): [`FitMode::Contain`] letterboxes it on
/// `background` (straight RGBA; content with alpha is composited over it), [`FitMode::Cover`]
/// fills the canvas and crops around the centre. Returns the canvas and where the content is.
pub fn fit_to_canvas(
    img: &RgbaImage,
    canvas: (u32, u32),
    mode: FitMode,
    background: [u8; 4],
) -> Result<(RgbaImage, Placement)> {
    let (cw, ch) = canvas;
    check_size(cw, ch, "canvas")?;
    check_size(img.width(), img.height(), "image")?;
    match mode {
        FitMode::Cover => {
            let (sw, sh) = (f64::from(img.width()), f64::from(img.height()));
            let scale = (f64::from(cw) / sw).max(f64::from(ch) / sh);
            let (crop_w, crop_h) = (f64::from(cw) / scale, f64::from(ch) / scale);
            let options = options_for(has_transparency(img)).crop(
                (sw - crop_w) / 2.0,
                (sh - crop_h) / 2.0,
                crop_w,
                crop_h,
            );
            let out = run(img, cw, ch, &options)?;
            Ok((out, Placement::full(cw, ch)))
        }
        FitMode::Contain => {
            let (w, h) = contain_size(img.dimensions(), canvas);
            let content = if (w, h) == img.dimensions() {
                img.clone()
            } else {
                resize_exact(img, w, h)?
            };
            let placement = Placement {
                x: (cw - w) / 2,
                y: (ch - h) / 2,
                width: w,
                height: h,
            };
            let mut out = RgbaImage::from_pixel(cw, ch, image::Rgba(background));
            paste_over(&mut out, &content, placement.x, placement.y);
            Ok((out, placement))
        }
    }
}

/// Resamples the `region` of `img` to `width` × `height`; pixels outside the region never
/// influence the result.
pub(crate) fn resize_region(
    img: &RgbaImage,
    region: Placement,
    width: u32,
    height: u32,
) -> Result<RgbaImage> {
    check_size(width, height, "output")?;
    check_size(region.width, region.height, "source region")?;
    if region.x.saturating_add(region.width) > img.width()
        || region.y.saturating_add(region.height) > img.height()
    {
        return Err(Error::internal(format!(
            "resize region {region:?} is outside the {}×{} image",
            img.width(),
            img.height()
        )));
    }
    // A view of exactly the region: the filter sees its edges as the image's edges, so pixels
    // just outside it (a letterbox, say) never bleed in, and nothing is copied.
    let part = CroppedImage::new(img, region.x, region.y, region.width, region.height)
        .map_err(|e| Error::internal(format!("resize region {region:?}: {e}")))?;
    run(
        &part,
        width,
        height,
        &options_for(has_transparency_in(img, region)),
    )
}

fn run(
    img: &impl IntoImageView,
    width: u32,
    height: u32,
    options: &ResizeOptions,
) -> Result<RgbaImage> {
    let mut dst = RgbaImage::new(width, height);
    RESIZER
        .with_borrow_mut(|resizer| resizer.resize(img, &mut dst, options))
        .map_err(|e| Error::internal(format!("resize failed: {e}")))?;
    Ok(dst)
}

/// Lanczos3, and premultiplied-alpha resampling only when the image has transparency (for an
/// opaque photo it would be wasted work with an identical result).
fn options_for(transparent: bool) -> ResizeOptions {
    ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(transparent)
}

/// Whether any pixel is not fully opaque.
pub(crate) fn has_transparency(img: &RgbaImage) -> bool {
    has_transparency_in(img, Placement::full(img.width(), img.height()))
}

/// Whether any pixel of `region` is not fully opaque.
fn has_transparency_in(img: &RgbaImage, region: Placement) -> bool {
    let stride = img.width() as usize * 4;
    let (left, right) = (
        region.x as usize * 4,
        (region.x + region.width) as usize * 4,
    );
    img.as_raw()
        .chunks_exact(stride)
        .skip(region.y as usize)
        .take(region.height as usize)
        .any(|row| row[left..right].chunks_exact(4).any(|p| p[3] != 255))
}

fn check_size(width: u32, height: u32, what: &str) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::internal(format!(
            "{what} size {width}×{height} is empty"
        )));
    }
    Ok(())
}

/// Composites `top` over `base` at (`x`, `y`) with straight-alpha "over".
pub(crate) fn paste_over(base: &mut RgbaImage, top: &RgbaImage, x: u32, y: u32) {
    let base_w = base.width() as usize;
    let (x, y) = (x as usize, y as usize);
    let tw = (top.width() as usize).min(base_w.saturating_sub(x));
    let th = (top.height() as usize).min((base.height() as usize).saturating_sub(y));
    let top_stride = top.width() as usize * 4;
    let base_raw: &mut [u8] = base;
    for row in 0..th {
        let src = &top.as_raw()[row * top_stride..row * top_stride + tw * 4];
        let start = ((y + row) * base_w + x) * 4;
        let dst = &mut base_raw[start..start + tw * 4];
        for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
            let sa = u32::from(s[3]);
            if sa == 255 {
                d.copy_from_slice(s);
            } else if sa > 0 {
                let da = u32::from(d[3]);
                // out_a = sa + da(1 - sa); out_c = (sc sa + dc da (1 - sa)) / out_a, in 0..=255².
                let dw = da * (255 - sa);
                let out_a = sa * 255 + dw;
                for c in 0..3 {
                    let v = (u32::from(s[c]) * sa * 255 + u32::from(d[c]) * dw + out_a / 2) / out_a;
                    d[c] = v.min(255) as u8;
                }
                d[3] = ((out_a + 127) / 255).min(255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn two_halves(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, _| {
            if x < w / 2 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 255, 255])
            }
        })
    }

    #[test]
    fn contain_letterboxes_a_landscape_image_on_the_background() {
        let img = two_halves(400, 200);
        let (out, p) =
            fit_to_canvas(&img, (256, 256), FitMode::Contain, [10, 20, 30, 255]).unwrap();
        assert_eq!(out.dimensions(), (256, 256));
        assert_eq!(
            p,
            Placement {
                x: 0,
                y: 64,
                width: 256,
                height: 128
            }
        );
        assert_eq!(out.get_pixel(128, 10).0, [10, 20, 30, 255]);
        assert_eq!(out.get_pixel(128, 250).0, [10, 20, 30, 255]);
        assert_eq!(out.get_pixel(20, 128).0, [255, 0, 0, 255]);
        assert_eq!(out.get_pixel(236, 128).0, [0, 0, 255, 255]);
    }

    #[test]
    fn contain_centres_a_portrait_image() {
        let img = RgbaImage::from_pixel(300, 400, Rgba([0, 200, 0, 255]));
        let (out, p) = fit_to_canvas(&img, (1024, 1024), FitMode::Contain, [0, 0, 0, 0]).unwrap();
        assert_eq!(
            p,
            Placement {
                x: 128,
                y: 0,
                width: 768,
                height: 1024
            }
        );
        assert_eq!(out.get_pixel(127, 500).0, [0, 0, 0, 0]);
        assert_eq!(out.get_pixel(128, 500).0, [0, 200, 0, 255]);
        assert_eq!(out.get_pixel(895, 500).0, [0, 200, 0, 255]);
        assert_eq!(out.get_pixel(896, 500).0, [0, 0, 0, 0]);
    }

    #[test]
    fn cover_fills_the_canvas_and_crops_the_sides() {
        // Left quarter green, middle white, right quarter green: cover into a square keeps the middle.
        let img = RgbaImage::from_fn(400, 200, |x, _| {
            if (100..300).contains(&x) {
                Rgba([255, 255, 255, 255])
            } else {
                Rgba([0, 255, 0, 255])
            }
        });
        let (out, p) = fit_to_canvas(&img, (100, 100), FitMode::Cover, [0, 0, 0, 255]).unwrap();
        assert_eq!(p, Placement::full(100, 100));
        assert_eq!(out.dimensions(), (100, 100));
        assert_eq!(out.get_pixel(50, 50).0, [255, 255, 255, 255]);
        assert!(out.get_pixel(2, 50).0[1] >= 250 && out.get_pixel(2, 50).0[0] >= 240);
    }

    #[test]
    fn transparent_edges_do_not_darken_when_resized() {
        // Red at alpha 255 next to fully transparent black: premultiplied resampling keeps the
        // colour red at the edge instead of bleeding black into it.
        let img = RgbaImage::from_fn(64, 64, |x, _| {
            if x < 32 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        });
        let out = resize_exact(&img, 16, 16).unwrap();
        for x in 0..16 {
            let p = out.get_pixel(x, 8).0;
            if p[3] > 16 {
                assert!(p[0] >= 250 && p[1] < 5 && p[2] < 5, "pixel {x}: {p:?}");
            }
        }
    }

    #[test]
    fn long_edge_keeps_aspect() {
        let img = two_halves(600, 400);
        let out = resize_to_long_edge(&img, 300).unwrap();
        assert_eq!(out.dimensions(), (300, 200));
        let tall = resize_to_long_edge(&RgbaImage::new(10, 1000), 100).unwrap();
        assert_eq!(tall.dimensions(), (1, 100));
    }

    #[test]
    fn resize_region_reads_only_the_region() {
        let img = two_halves(200, 100);
        let out = resize_region(
            &img,
            Placement {
                x: 100,
                y: 0,
                width: 100,
                height: 100,
            },
            10,
            10,
        )
        .unwrap();
        assert!(out.pixels().all(|p| p.0 == [0, 0, 255, 255]));
        assert!(
            resize_region(
                &img,
                Placement {
                    x: 150,
                    y: 0,
                    width: 100,
                    height: 100
                },
                10,
                10
            )
            .is_err()
        );
    }

    #[test]
    fn paste_over_blends_half_transparent_pixels() {
        let mut base = RgbaImage::from_pixel(2, 1, Rgba([0, 0, 255, 255]));
        let top = RgbaImage::from_pixel(1, 1, Rgba([255, 0, 0, 128]));
        paste_over(&mut base, &top, 1, 0);
        assert_eq!(base.get_pixel(0, 0).0, [0, 0, 255, 255]);
        let p = base.get_pixel(1, 0).0;
        assert!(
            (p[0] as i32 - 128).abs() <= 1 && (p[2] as i32 - 127).abs() <= 1 && p[3] == 255,
            "{p:?}"
        );
    }
}
