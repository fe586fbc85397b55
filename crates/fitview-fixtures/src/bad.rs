//! Malformed and unusual files for the decoder's tests, built byte by byte where a normal encoder
//! would refuse to write them.

use std::io;

use image::{Rgb, RgbImage, imageops};

use crate::encode;

/// The upright EXIF test card: 320x240, grey with a red block top-left, a blue block bottom-right
/// and a green bar top-right, so every rotation and mirror is distinguishable.
pub fn exif_test_card() -> RgbImage {
    RgbImage::from_fn(320, 240, |x, y| {
        if x < 100 && y < 80 {
            Rgb([220, 30, 30])
        } else if x >= 220 && y >= 160 {
            Rgb([30, 50, 220])
        } else if x >= 260 && y < 40 {
            Rgb([30, 180, 60])
        } else {
            let v = 200 - (y / 8) as u8;
            Rgb([v, v, v])
        }
    })
}

/// TIFF (big-endian) with IFD0 holding only the Orientation tag (0x0112), prefixed "Exif\0\0".
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0".to_vec();
    v.extend_from_slice(b"MM\0\x2a");
    v.extend_from_slice(&8u32.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&0x0112u16.to_be_bytes());
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes());
    v.extend_from_slice(&value.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

fn exif_jpeg(orientation: u16) -> io::Result<Vec<u8>> {
    let card = exif_test_card();
    // Stored pixels are the inverse of what the orientation asks a viewer to do.
    let stored = match orientation {
        3 => imageops::rotate180(&card),
        6 => imageops::rotate270(&card),
        8 => imageops::rotate90(&card),
        _ => card,
    };
    encode::jpeg(
        stored.as_raw(),
        stored.width(),
        stored.height(),
        jpeg_encoder::ColorType::Rgb,
        92,
        &[(1, exif_orientation(orientation))],
    )
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
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

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

fn png_with(w: u32, h: u32, colour_type: u8, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// zlib stream holding `data` in one stored (uncompressed) block.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut v = vec![0x78, 0x01, 0x01];
    let len = data.len() as u16;
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&(!len).to_le_bytes());
    v.extend_from_slice(data);
    v.extend_from_slice(&adler32(data).to_be_bytes());
    v
}

/// zlib stream of `1 + 258 * repeats` zero bytes in a few hundred bytes: a literal zero followed by
/// back-references of length 258 at distance 1, with the fixed Huffman codes.
fn zlib_zeros(repeats: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, v: u32, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, n: u32) {
            let rev = code.reverse_bits() >> (32 - n);
            self.put(rev, n);
        }
    }
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman
    b.code(0x30, 8); // literal 0
    for _ in 0..repeats {
        b.code(0b1100_0101, 8); // length code 285 = 258
        b.code(0, 5); // distance code 0 = 1
    }
    b.code(0, 7); // end of block
    if b.n > 0 {
        b.put(0, 8 - b.n);
    }
    let zeros = vec![0u8; 1 + 258 * repeats];
    b.out.extend_from_slice(&adler32(&zeros).to_be_bytes());
    b.out
}

/// Every file of `bad/`, by name.
pub(crate) fn files() -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    let card = exif_test_card();
    let card_jpeg = encode::jpeg_rgb(&card, 90)?;
    let card_png = encode::png_rgb(&card)?;
    let mut files: Vec<(&'static str, Vec<u8>)> = vec![
        ("truncated.jpg", card_jpeg[..card_jpeg.len() / 2].to_vec()),
        ("truncated.png", card_png[..card_png.len() / 2].to_vec()),
        (
            "lying-header.png",
            png_with(4000, 3000, 2, &zlib_stored(&[0u8; 97])),
        ),
        ("bomb.png", png_with(100_000, 100_000, 6, &zlib_zeros(254))),
        ("bomb.jpg", bomb_jpeg()?),
    ];
    files.push(("empty.jpg", Vec::new()));
    files.push((
        "text.jpg",
        b"This is a plain text file that only pretends to be a JPEG.\n".to_vec(),
    ));
    files.push(("html.png", b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1></body></html>\n".to_vec()));

    let grad16: Vec<u8> = (0..64u32 * 64)
        .flat_map(|i| (((i % 64) * 1040 + (i / 64) * 3) as u16).to_be_bytes())
        .collect();
    files.push((
        "gray16.png",
        encode::png(
            &grad16,
            64,
            64,
            png::ColorType::Grayscale,
            png::BitDepth::Sixteen,
        )?,
    ));
    let rgba16: Vec<u8> = (0..64u32 * 64)
        .flat_map(|i| {
            let (x, y) = (i % 64, i / 64);
            [
                (x * 1040) as u16,
                (y * 1040) as u16,
                40000u16,
                if x < 32 { 65535 } else { 32768 },
            ]
        })
        .flat_map(|v| v.to_be_bytes())
        .collect();
    files.push((
        "rgba16.png",
        encode::png(
            &rgba16,
            64,
            64,
            png::ColorType::Rgba,
            png::BitDepth::Sixteen,
        )?,
    ));
    let grey: Vec<u8> = (0..160u32 * 120)
        .map(|i| ((i % 160) + (i / 160)) as u8)
        .collect();
    files.push((
        "gray.jpg",
        encode::jpeg(&grey, 160, 120, jpeg_encoder::ColorType::Luma, 90, &[])?,
    ));
    files.push(("palette.png", palette_png()?));
    files.push(("animated.png", animated_png()?));
    files.push(("cmyk.jpg", cmyk_jpeg()?));
    for (name, o) in [
        ("exif-upright.jpg", 1),
        ("exif-orientation-3.jpg", 3),
        ("exif-orientation-6.jpg", 6),
        ("exif-orientation-8.jpg", 8),
    ] {
        files.push((name, exif_jpeg(o)?));
    }
    files.push(("not-really.webp", card_png));
    files.push(("tiny.webp", tiny_webp()?));
    Ok(files)
}

/// A valid small JPEG whose SOF0 is patched to declare 65000x65000.
fn bomb_jpeg() -> io::Result<Vec<u8>> {
    let img = RgbImage::from_pixel(16, 16, Rgb([128, 128, 128]));
    let mut bytes = encode::jpeg_rgb(&img, 90)?;
    let sof = bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .ok_or_else(|| io::Error::other("no SOF0"))?;
    // FFC0, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&65000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&65000u16.to_be_bytes());
    Ok(bytes)
}

/// Indexed colour, four entries, the second half-transparent and the third fully transparent.
fn palette_png() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 64, 64);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(vec![200, 30, 30, 30, 160, 60, 30, 50, 200, 250, 250, 250]);
        enc.set_trns(vec![255, 128, 0, 255]);
        let mut w = enc.write_header().map_err(io::Error::other)?;
        let data: Vec<u8> = (0..64u32 * 64).map(|i| ((i % 64) / 16) as u8).collect();
        w.write_image_data(&data).map_err(io::Error::other)?;
        w.finish().map_err(io::Error::other)?;
    }
    Ok(out)
}

/// The colours of the three APNG frames: the first (also the default image) is red.
pub const APNG_FRAMES: [[u8; 3]; 3] = [[220, 30, 30], [30, 180, 60], [30, 50, 220]];

fn animated_png() -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 48, 48);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_animated(3, 0).map_err(io::Error::other)?;
        enc.set_frame_delay(1, 4).map_err(io::Error::other)?;
        let mut w = enc.write_header().map_err(io::Error::other)?;
        for c in APNG_FRAMES {
            let data: Vec<u8> = (0..48 * 48).flat_map(|_| c).collect();
            w.write_image_data(&data).map_err(io::Error::other)?;
        }
        w.finish().map_err(io::Error::other)?;
    }
    Ok(out)
}

/// The CMYK test image's four quadrants, in CMYK: red, green, blue, mid grey (K only).
pub const CMYK_QUADRANTS: [[u8; 4]; 4] = [
    [0, 255, 255, 0],
    [255, 0, 255, 0],
    [255, 255, 0, 0],
    [0, 0, 0, 128],
];

fn cmyk_jpeg() -> io::Result<Vec<u8>> {
    let data: Vec<u8> = (0..64u32 * 64)
        .flat_map(|i| {
            let (x, y) = (i % 64, i / 64);
            CMYK_QUADRANTS[((y / 32) * 2 + x / 32) as usize]
        })
        .collect();
    encode::jpeg(&data, 64, 64, jpeg_encoder::ColorType::Cmyk, 95, &[])
}

fn tiny_webp() -> io::Result<Vec<u8>> {
    let img = RgbImage::from_fn(32, 32, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            Rgb([220, 30, 30])
        } else {
            Rgb([240, 240, 240])
        }
    });
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(img.as_raw(), 32, 32, image::ExtendedColorType::Rgb8)
        .map_err(io::Error::other)?;
    Ok(out)
}
