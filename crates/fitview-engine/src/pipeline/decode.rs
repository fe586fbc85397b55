//! The only place where bytes become pixels.
//!
//! Every image FitView reads — uploads and provider outputs alike — goes through here, in this
//! order, and each step runs only when the previous one passed:
//!
//! 1. the byte length against [`Limits::max_input_bytes`];
//! 2. the format, sniffed from the bytes (file names and MIME types are never trusted): only
//!    JPEG, PNG and WebP are accepted;
//! 3. the dimensions, read from the header alone, against the width, height and pixel limits;
//! 4. the decoder's own buffer size against [`Limits::max_decode_alloc`];
//! 5. the decode itself, with `image::Limits` set so the decoder enforces the same bounds;
//! 6. EXIF orientation, then conversion to 8-bit RGBA (grey, 16-bit, palette and CMYK included).
//!
//! Animated PNG and WebP give their first frame. A truncated or corrupt file is an
//! [`Error::UnsupportedFormat`], never a partially grey picture.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, RgbaImage};

use crate::error::{Error, Result};
use crate::limits::Limits;

/// An image format FitView accepts as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceFormat {
    /// JPEG (baseline or progressive; grey, YCbCr or CMYK).
    Jpeg,
    /// PNG (any bit depth and colour type; APNG gives its first frame).
    Png,
    /// WebP (lossy or lossless; animated WebP gives its first frame).
    Webp,
}

impl SourceFormat {
    /// The format's usual name.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "JPEG",
            SourceFormat::Png => "PNG",
            SourceFormat::Webp => "WebP",
        }
    }
}

/// What the header of an accepted image says, after the limits were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The sniffed format.
    pub format: SourceFormat,
    /// Width as displayed, i.e. after EXIF orientation.
    pub width: u32,
    /// Height as displayed, i.e. after EXIF orientation.
    pub height: u32,
}

/// Reads the format and dimensions of an image from its header, checking every limit that can be
/// checked without decoding pixels.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<ImageInfo> {
    let format = check_bytes(bytes, limits)?;
    let header = with_decoder(bytes, format, limits, |access| Ok(access.header()))?;
    Ok(header.info(format))
}

/// Decodes an image to 8-bit RGBA, upright, after every limit check.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbaImage> {
    let format = check_bytes(bytes, limits)?;
    decode_full(bytes, format, limits)
}

/// Decodes an image so that it is at least `min_width` × `min_height` (as displayed), decoding
/// no more pixels than needed when the format allows.
///
/// The image comes back at 1/2, 1/4 or 1/8 of each side, the smallest that still covers the
/// request (or in full when none does). For JPEG this scaling happens in the DCT domain, so a
/// 24-megapixel photo destined for a 1024² canvas is never held at full size. Other formats, and
/// JPEGs that cannot be scaled (CMYK, 12-bit), are decoded in full and scaled down at once, so
/// what follows (matting, fitting) works at the size it needs instead of the photo's. The limits
/// are always checked against the header's full dimensions. The result may be smaller than
/// requested only when the image itself is.
pub fn decode_at_least(
    bytes: &[u8],
    limits: &Limits,
    min_width: u32,
    min_height: u32,
) -> Result<RgbaImage> {
    decode_for(bytes, limits, |_, _| (min_width, min_height)).map(|(_, img)| img)
}

/// [`decode_at_least`] where the minimum size depends on the displayed full size, so callers that
/// fit the image into a canvas parse the header only once. Also returns the header's info.
pub(crate) fn decode_for(
    bytes: &[u8],
    limits: &Limits,
    needed: impl FnOnce(u32, u32) -> (u32, u32),
) -> Result<(ImageInfo, RgbaImage)> {
    let format = check_bytes(bytes, limits)?;
    if format != SourceFormat::Jpeg {
        let img = decode_full(bytes, format, limits)?;
        let info = ImageInfo {
            format,
            width: img.width(),
            height: img.height(),
        };
        let (min_w, min_h) = needed(info.width, info.height);
        let img = scale_down(img, min_w, min_h)?;
        return Ok((info, img));
    }
    let header = with_decoder(bytes, format, limits, |access| Ok(access.header()))?;
    let info = header.info(format);
    let (min_w, min_h) = needed(info.width, info.height);
    let (raw_min_w, raw_min_h) = if swaps_axes(header.orientation) {
        (min_h, min_w)
    } else {
        (min_w, min_h)
    };
    let img = match decode_jpeg_scaled(bytes, limits, header, raw_min_w, raw_min_h)? {
        Some(img) => img,
        None => scale_down(decode_full(bytes, format, limits)?, min_w, min_h)?,
    };
    Ok((info, img))
}

/// The fraction of each side, in eighths (1, 2 or 4), that still covers `min_w` × `min_h`: the
/// smallest one; `None` when only the full size does.
fn covering_eighths(full_w: u32, full_h: u32, min_w: u32, min_h: u32) -> Option<u32> {
    [1u32, 2, 4]
        .into_iter()
        .find(|&s| scaled(full_w, s) >= min_w && scaled(full_h, s) >= min_h)
}

/// `len` × `eighths` / 8, rounded up (as the JPEG decoder's DCT scaling rounds).
fn scaled(len: u32, eighths: u32) -> u32 {
    (u64::from(len) * u64::from(eighths)).div_ceil(8) as u32
}

/// A decoded image scaled down by the fraction [`covering_eighths`] picks, as the JPEG decoder
/// would have scaled it; unchanged when no fraction covers the request.
fn scale_down(img: RgbaImage, min_w: u32, min_h: u32) -> Result<RgbaImage> {
    let (w, h) = img.dimensions();
    match covering_eighths(w, h, min_w, min_h) {
        Some(eighths) => super::resize::resize_exact(&img, scaled(w, eighths), scaled(h, eighths)),
        None => Ok(img),
    }
}

/// Length, format and (for JPEG) completeness checks: everything that needs no decoder.
fn check_bytes(bytes: &[u8], limits: &Limits) -> Result<SourceFormat> {
    let len = bytes.len() as u64;
    if len > limits.max_input_bytes {
        return Err(Error::ImageTooLarge {
            what: "bytes",
            actual: len,
            limit: limits.max_input_bytes,
        });
    }
    let format = sniff(bytes)?;
    if format == SourceFormat::Jpeg && !jpeg_has_end_marker(bytes) {
        return Err(unsupported(
            "truncated JPEG: the end-of-image marker is missing",
        ));
    }
    if format == SourceFormat::Png {
        // IHDR must be the first chunk; its size is checked before the PNG decoder reserves
        // anything for it.
        match (bytes.get(12..16), bytes.get(16..20), bytes.get(20..24)) {
            (Some(b"IHDR"), Some(w), Some(h)) => {
                let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                check_dimensions(be(w), be(h), limits)?;
            }
            _ => return Err(unsupported("corrupt or truncated PNG: no image header")),
        }
    }
    if format == SourceFormat::Webp
        && let Some((width, height)) = webp_dimensions(bytes)
    {
        // Read here rather than from the decoder, which wraps a lossless 16384-pixel side
        // (the format's largest) to 0 and would have it reported as an empty 0×0 image.
        check_dimensions(width, height, limits)?;
    }
    Ok(format)
}

/// The canvas size a WebP's first chunk declares (`VP8 `, `VP8L` or `VP8X`), when the bytes
/// hold that much.
fn webp_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let data = bytes.get(20..)?;
    let le = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u32, |n, &byte| (n << 8) | u32::from(byte))
    };
    match bytes.get(12..16)? {
        // Lossy: a 3-byte frame tag, the start code, then 14-bit width and height.
        b"VP8 " => {
            let width = le(data.get(6..8)?) & 0x3FFF;
            let height = le(data.get(8..10)?) & 0x3FFF;
            Some((width, height))
        }
        // Lossless: a signature byte, then width - 1 and height - 1 in 14 bits each.
        b"VP8L" => {
            let bits = le(data.get(1..5)?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        // Extended: flags, 3 reserved bytes, then canvas width - 1 and height - 1 in 24 bits.
        b"VP8X" => Some((le(data.get(4..7)?) + 1, le(data.get(7..10)?) + 1)),
        _ => None,
    }
}

/// Identifies the format from the first bytes; names what was found when it is not accepted.
fn sniff(bytes: &[u8]) -> Result<SourceFormat> {
    if bytes.is_empty() {
        return Err(unsupported("empty input (0 bytes), not an image"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(SourceFormat::Png);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::Webp);
    }
    Err(unsupported(rejected_kind(bytes)))
}

/// A short description of bytes that are not an accepted image.
fn rejected_kind(bytes: &[u8]) -> &'static str {
    let known: &[(&[u8], &str)] = &[
        (b"GIF87a", "GIF is not accepted (use JPEG, PNG or WebP)"),
        (b"GIF89a", "GIF is not accepted (use JPEG, PNG or WebP)"),
        (b"BM", "BMP is not accepted (use JPEG, PNG or WebP)"),
        (b"II*\0", "TIFF is not accepted (use JPEG, PNG or WebP)"),
        (b"MM\0*", "TIFF is not accepted (use JPEG, PNG or WebP)"),
        (b"%PDF", "PDF, not an image"),
        (
            b"8BPS",
            "Photoshop (PSD) is not accepted (use JPEG, PNG or WebP)",
        ),
        (&[0, 0, 1, 0], "ICO is not accepted (use JPEG, PNG or WebP)"),
        (b"qoif", "QOI is not accepted (use JPEG, PNG or WebP)"),
        (
            &[0x76, 0x2F, 0x31, 0x01],
            "OpenEXR is not accepted (use JPEG, PNG or WebP)",
        ),
        (
            b"\xFF\x0A",
            "JPEG XL is not accepted (use JPEG, PNG or WebP)",
        ),
        (b"PK\x03\x04", "a ZIP archive, not an image"),
        (b"\x1F\x8B", "gzip data, not an image"),
    ];
    for (magic, kind) in known {
        if bytes.starts_with(magic) {
            return kind;
        }
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"avif" | b"avis" => "AVIF is not accepted (use JPEG, PNG or WebP)",
            b"heic" | b"heix" | b"mif1" | b"msf1" => "HEIC is not accepted (use JPEG, PNG or WebP)",
            _ => "a video or ISO media file, not an image",
        };
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return "a damaged JPEG header";
    }
    if bytes.starts_with(b"RIFF") {
        return "a RIFF file that is not WebP";
    }
    let head = &bytes[..bytes.len().min(512)];
    let text = std::str::from_utf8(head)
        .map(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()))
        .unwrap_or(false);
    if text {
        let trimmed = head.trim_ascii_start();
        let lower = trimmed[..trimmed.len().min(16)].to_ascii_lowercase();
        if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
            return "HTML (a web page, perhaps an error page), not an image";
        }
        if trimmed.starts_with(b"<svg") || trimmed.starts_with(b"<?xml") {
            return "SVG/XML is not accepted (use JPEG, PNG or WebP)";
        }
        return "text, not an image";
    }
    "unrecognised data, not a JPEG, PNG or WebP image"
}

/// Whether a JPEG's entropy-coded data is followed by an end-of-image marker.
///
/// Decoders happily return a half-grey picture for a truncated upload; a try-on made from one
/// would waste a paid provider call. The marker segments before the first scan are skipped by
/// their lengths, so an EXIF thumbnail's own end marker cannot be mistaken for the image's.
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let mut pos = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if bytes.get(pos) != Some(&0xFF) {
            return false;
        }
        let Some(&marker) = bytes.get(pos + 1) else {
            return false;
        };
        match marker {
            0xD9 => return true,
            0xDA => break,
            0x01 | 0xD0..=0xD7 => pos += 2,
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(pos + 2), bytes.get(pos + 3)) else {
                    return false;
                };
                pos += 2 + usize::from(u16::from_be_bytes([hi, lo]));
            }
        }
    }
    // Inside scan data 0xFF is always followed by 0x00 (stuffing) or a marker, so the first
    // FF D9 after the first scan header is the end of the image.
    bytes
        .get(pos..)
        .is_some_and(|scan| scan.windows(2).any(|w| w == [0xFF, 0xD9]))
}

/// What the header says, before orientation is applied.
#[derive(Debug, Clone, Copy)]
struct Header {
    width: u32,
    height: u32,
    orientation: Orientation,
}

impl Header {
    fn read(decoder: &mut impl ImageDecoder) -> Self {
        let (width, height) = decoder.dimensions();
        // A damaged EXIF block must not make an otherwise good photo unusable.
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        Header {
            width,
            height,
            orientation,
        }
    }

    fn info(self, format: SourceFormat) -> ImageInfo {
        let (width, height) = if swaps_axes(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        };
        ImageInfo {
            format,
            width,
            height,
        }
    }
}

fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Opens the format's decoder on `bytes`, checks the header's dimensions and the decoder's
/// buffer size against the limits, installs the decoder-side limits and hands it to `then`.
fn with_decoder<T>(
    bytes: &[u8],
    format: SourceFormat,
    limits: &Limits,
    then: impl FnOnce(&mut dyn DecoderAccess) -> Result<T>,
) -> Result<T> {
    let image_limits = image_limits(limits);
    let cursor = Cursor::new(bytes);
    let map = |err| map_image_error(err, format, limits);
    match format {
        SourceFormat::Jpeg => {
            let mut d = JpegDecoder::new(cursor).map_err(map)?;
            check_header(&d, limits)?;
            let (width, height) = d.dimensions();
            check_jpeg_data_size(bytes.len(), width, height)?;
            d.set_limits(image_limits).map_err(map)?;
            then(&mut Access(Some(d)))
        }
        SourceFormat::Png => {
            let mut d = PngDecoder::with_limits(cursor, image_limits.clone()).map_err(map)?;
            check_header(&d, limits)?;
            d.set_limits(image_limits).map_err(map)?;
            then(&mut Access(Some(d)))
        }
        SourceFormat::Webp => {
            let mut d = WebPDecoder::new(cursor).map_err(map)?;
            check_header(&d, limits)?;
            d.set_limits(image_limits).map_err(map)?;
            then(&mut Access(Some(d)))
        }
    }
}

/// Lets one closure serve the three concrete decoder types: read the header, or take the decoder
/// to decode it.
trait DecoderAccess {
    fn header(&mut self) -> Header;
    fn decode(&mut self) -> std::result::Result<DynamicImage, ImageError>;
}

struct Access<D>(Option<D>);

impl<D: ImageDecoder> DecoderAccess for Access<D> {
    fn header(&mut self) -> Header {
        match self.0.as_mut() {
            Some(d) => Header::read(d),
            None => Header {
                width: 0,
                height: 0,
                orientation: Orientation::NoTransforms,
            },
        }
    }

    fn decode(&mut self) -> std::result::Result<DynamicImage, ImageError> {
        match self.0.take() {
            Some(d) => DynamicImage::from_decoder(d),
            None => Err(ImageError::Parameter(
                image::error::ParameterError::from_kind(
                    image::error::ParameterErrorKind::FailedAlready,
                ),
            )),
        }
    }
}

fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_width);
    l.max_image_height = Some(limits.max_height);
    l.max_alloc = Some(limits.max_decode_alloc);
    l
}

/// The limit checks that need only the header: width, height, pixel count and the size of the
/// decoder's output buffer.
fn check_header(decoder: &impl ImageDecoder, limits: &Limits) -> Result<()> {
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let total = decoder.total_bytes();
    if total > limits.max_decode_alloc {
        return Err(Error::ImageTooLarge {
            what: "decoded bytes",
            actual: total,
            limit: limits.max_decode_alloc,
        });
    }
    Ok(())
}

/// Refuses a JPEG too short for the size its header declares. Each 8×8 block of the image's
/// fullest component costs at least one bit of Huffman-coded data (its DC code), so a file of
/// fewer than blocks / 8 bytes cannot hold the picture: its header is forged or its data cut
/// short, and the decoder would fill the rest with grey (a 1.8 KB file claiming 8000×5000).
/// Half that bound is required, a margin no real photo comes near.
fn check_jpeg_data_size(len: usize, width: u32, height: u32) -> Result<()> {
    let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
    let needed = blocks.div_ceil(16);
    if (len as u64) < needed {
        return Err(unsupported(format!(
            "a {width}×{height} JPEG needs at least {needed} bytes, this one has {len}: its \
             header is forged or its data cut short"
        )));
    }
    Ok(())
}

fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(unsupported(format!(
            "the header declares an empty {width}×{height} image"
        )));
    }
    if width > limits.max_width {
        return Err(Error::ImageTooLarge {
            what: "width",
            actual: width.into(),
            limit: limits.max_width.into(),
        });
    }
    if height > limits.max_height {
        return Err(Error::ImageTooLarge {
            what: "height",
            actual: height.into(),
            limit: limits.max_height.into(),
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Error::ImageTooLarge {
            what: "pixels",
            actual: pixels,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

fn decode_full(bytes: &[u8], format: SourceFormat, limits: &Limits) -> Result<RgbaImage> {
    with_decoder(bytes, format, limits, |access| {
        let header = access.header();
        let mut img = access
            .decode()
            .map_err(|e| map_image_error(e, format, limits))?;
        img.apply_orientation(header.orientation);
        Ok(img.into_rgba8())
    })
}

/// Decodes a JPEG with DCT-domain downscaling; `None` when scaling would not help or the JPEG's
/// colour model is one the scaling decoder does not convert (the caller then decodes in full).
fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: &Limits,
    header: Header,
    min_w: u32,
    min_h: u32,
) -> Result<Option<RgbaImage>> {
    let (Ok(full_w), Ok(full_h)) = (u16::try_from(header.width), u16::try_from(header.height))
    else {
        return Ok(None);
    };
    let Some(eighths) = covering_eighths(full_w.into(), full_h.into(), min_w, min_h) else {
        return Ok(None);
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.max_decode_alloc).unwrap_or(usize::MAX),
    );
    let corrupt =
        |e: jpeg_decoder::Error| unsupported(format!("corrupt JPEG: {}", short(&e.to_string())));
    decoder.read_info().map_err(corrupt)?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let grey = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => false,
        jpeg_decoder::PixelFormat::L8 => true,
        _ => return Ok(None),
    };
    // `scale` picks the smallest factor that covers the request in *either* axis, so ask for
    // exactly the size our factor gives: no smaller factor reaches it in either axis.
    let req = |len: u16| u16::try_from(scaled(len.into(), eighths)).unwrap_or(u16::MAX);
    let (w, h) = decoder.scale(req(full_w), req(full_h)).map_err(corrupt)?;
    let pixels = decoder.decode().map_err(corrupt)?;
    let (w, h) = (u32::from(w), u32::from(h));
    let img = if grey {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    };
    let Some(mut img) = img else {
        return Err(unsupported(
            "corrupt JPEG: the decoded size does not match its header",
        ));
    };
    img.apply_orientation(header.orientation);
    Ok(Some(img.into_rgba8()))
}

fn map_image_error(err: ImageError, format: SourceFormat, limits: &Limits) -> Error {
    match err {
        // Width, height and the output buffer were checked from the header already, so this is
        // the decoder needing more working memory than allowed; it does not say how much more.
        ImageError::Limits(_) => Error::ImageTooLarge {
            what: "decoder memory",
            actual: limits.max_decode_alloc.saturating_add(1),
            limit: limits.max_decode_alloc,
        },
        ImageError::Unsupported(e) => unsupported(format!(
            "{} variant not supported: {}",
            format.name(),
            short(&e.to_string())
        )),
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            unsupported(format!("truncated {}", format.name()))
        }
        other => unsupported(format!(
            "corrupt or truncated {}: {}",
            format.name(),
            short(&other.to_string())
        )),
    }
}

fn unsupported(detail: impl Into<String>) -> Error {
    Error::UnsupportedFormat {
        detail: detail.into(),
    }
}

/// Decoder messages describe structure, never pixel data; still keep them short.
fn short(message: &str) -> String {
    const MAX: usize = 120;
    match message.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}
