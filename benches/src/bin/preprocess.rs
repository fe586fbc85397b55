//! FitView's preprocessing of one photo, as a process of its own so its wall time and peak
//! memory can be compared with `vipsthumbnail` (see `scripts/bench-vs-vips.sh`).
//!
//! ```text
//! preprocess generate OUT.jpg WIDTH HEIGHT     write a photo-like JPEG (quality 90)
//! preprocess thumbnail IN OUT.jpg SIZE [Q]     fit IN inside SIZE×SIZE, write a JPEG (quality Q, 85)
//! ```
//!
//! `thumbnail` does what `vipsthumbnail IN -s SIZExSIZE` does: decode (DCT-downscaled for JPEG),
//! resample to the fitted size, encode.

use std::process::ExitCode;

use fitview_engine::{Limits, OutputFormat, pipeline};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", out, w, h] => generate(out, w, h),
        ["thumbnail", input, out, size] => thumbnail(input, out, size, "85"),
        ["thumbnail", input, out, size, quality] => thumbnail(input, out, size, quality),
        _ => Err(
            "usage: preprocess generate OUT W H | preprocess thumbnail IN OUT SIZE [QUALITY]"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("preprocess: {message}");
            ExitCode::FAILURE
        }
    }
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{what} must be a number, got `{s}`"))
}

fn generate(out: &str, w: &str, h: &str) -> Result<(), String> {
    let bytes = fitview_benches::photo_jpeg(number(w, "WIDTH")?, number(h, "HEIGHT")?, 7);
    if bytes.is_empty() {
        return Err("could not encode the generated photo".into());
    }
    std::fs::write(out, bytes).map_err(|e| format!("cannot write {out}: {e}"))
}

fn thumbnail(input: &str, out: &str, size: &str, quality: &str) -> Result<(), String> {
    let size: u32 = number(size, "SIZE")?;
    let quality: u8 = number(quality, "QUALITY")?;
    let bytes = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let limits = Limits::default();
    let info = pipeline::probe(&bytes, &limits).map_err(|e| e.to_string())?;
    let (w, h) = pipeline::contain_size((info.width, info.height), (size, size));
    let decoded = pipeline::decode_at_least(&bytes, &limits, w, h).map_err(|e| e.to_string())?;
    let fitted = pipeline::resize_exact(&decoded, w, h).map_err(|e| e.to_string())?;
    let encoded =
        pipeline::encode(&fitted, OutputFormat::Jpeg, quality).map_err(|e| e.to_string())?;
    std::fs::write(out, &encoded.bytes).map_err(|e| format!("cannot write {out}: {e}"))
}
