//! The garment's cut-out checked by a salient-object model (U²-Net small): the pipeline's matte
//! keeps what differs from the backdrop, so a flat lay's soft shadow, a hanger or a crease in a
//! paper sweep can stay attached to the garment and widen its outline; the model sees the
//! garment as the salient object and the shadow as background.
//!
//! The matte's alpha is kept where the model agrees and faded where the model is sure it is
//! background, so the model never adds what the matte left out. The model's pass is the costly
//! part of a try-on (about 0.65 s on one core), and a retailer puts the same product on each
//! of their models: masks are kept per garment image (by content hash) for the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fitview_vision::Vision;
use image::{GrayImage, RgbImage, RgbaImage};

use crate::error::Result;

/// Model probability under which a pixel is background for sure, and over which it is garment.
const SURE_BACKGROUND: f32 = 0.05;
const SURE_GARMENT: f32 = 0.25;
/// Garment masks kept; the oldest go first.
const CACHE_ENTRIES: usize = 64;

type Cache = Mutex<(HashMap<[u8; 32], Arc<GrayImage>>, Vec<[u8; 32]>)>;

static MASKS: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

/// The salient-object mask of `garment` composited over white, from the cache or the model.
fn mask(vision: &Vision, garment: &RgbaImage) -> Result<Arc<GrayImage>> {
    let key = *blake3::hash(garment.as_raw()).as_bytes();
    let cache = MASKS.get_or_init(|| Mutex::new((HashMap::new(), Vec::new())));
    if let Some(hit) = cache.lock().ok().and_then(|c| c.0.get(&key).cloned()) {
        return Ok(hit);
    }
    let over_white = RgbImage::from_fn(garment.width(), garment.height(), |x, y| {
        let [r, g, b, a] = garment.get_pixel(x, y).0;
        let a = f32::from(a) / 255.0;
        let mix = |c: u8| (f32::from(c) * a + 255.0 * (1.0 - a)).round() as u8;
        image::Rgb([mix(r), mix(g), mix(b)])
    });
    let mask = Arc::new(
        vision
            .garment_mask(&over_white)
            .map_err(super::person::vision_error)?,
    );
    if let Ok(mut c) = cache.lock() {
        if c.1.len() >= CACHE_ENTRIES {
            let oldest = c.1.remove(0);
            c.0.remove(&oldest);
        }
        c.0.insert(key, mask.clone());
        c.1.push(key);
    }
    Ok(mask)
}

/// `garment` with its alpha faded where the model sees background; `None` when nothing changed.
pub(crate) fn refine(vision: &Vision, garment: &RgbaImage) -> Result<Option<RgbaImage>> {
    let mask = mask(vision, garment)?;
    let mut out = garment.clone();
    let mut changed = false;
    for (p, m) in out.pixels_mut().zip(mask.pixels()) {
        if p.0[3] == 0 {
            continue;
        }
        let v = f32::from(m[0]) / 255.0;
        let keep = ((v - SURE_BACKGROUND) / (SURE_GARMENT - SURE_BACKGROUND)).clamp(0.0, 1.0);
        if keep < 1.0 {
            let a = (f32::from(p.0[3]) * keep).round() as u8;
            changed |= a != p.0[3];
            p.0[3] = a;
        }
    }
    Ok(changed.then_some(out))
}
