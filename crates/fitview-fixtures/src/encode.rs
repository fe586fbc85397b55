//! Encoders used for every file the generator writes: one place, fixed settings, stable bytes.

use std::io;

use image::RgbImage;

fn to_io<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(e.to_string())
}

/// Baseline JPEG with 4:2:0 chroma, optional APP segments (number, payload) after the header.
pub(crate) fn jpeg(
    data: &[u8],
    w: u32,
    h: u32,
    colour: jpeg_encoder::ColorType,
    quality: u8,
    app: &[(u8, Vec<u8>)],
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    for (nr, payload) in app {
        enc.add_app_segment(*nr, payload.clone()).map_err(to_io)?;
    }
    let (w, h) = (
        u16::try_from(w).map_err(to_io)?,
        u16::try_from(h).map_err(to_io)?,
    );
    enc.encode(data, w, h, colour).map_err(to_io)?;
    Ok(out)
}

pub(crate) fn jpeg_rgb(img: &RgbImage, quality: u8) -> io::Result<Vec<u8>> {
    jpeg(
        img.as_raw(),
        img.width(),
        img.height(),
        jpeg_encoder::ColorType::Rgb,
        quality,
        &[],
    )
}

/// PNG of raw samples (16-bit samples big-endian, as PNG stores them).
pub(crate) fn png(
    data: &[u8],
    w: u32,
    h: u32,
    colour: png::ColorType,
    depth: png::BitDepth,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(colour);
        enc.set_depth(depth);
        let mut writer = enc.write_header().map_err(to_io)?;
        writer.write_image_data(data).map_err(to_io)?;
        writer.finish().map_err(to_io)?;
    }
    Ok(out)
}

pub(crate) fn png_rgb(img: &RgbImage) -> io::Result<Vec<u8>> {
    png(
        img.as_raw(),
        img.width(),
        img.height(),
        png::ColorType::Rgb,
        png::BitDepth::Eight,
    )
}

pub(crate) fn png_rgba(img: &image::RgbaImage) -> io::Result<Vec<u8>> {
    png(
        img.as_raw(),
        img.width(),
        img.height(),
        png::ColorType::Rgba,
        png::BitDepth::Eight,
    )
}
