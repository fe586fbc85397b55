//! Writes the whole fixture set to a directory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::garment::{GarmentFile, garment_specs, render_garment, render_garment_cutout};
use crate::person::{person_specs, render_person};
use crate::{bad, encode};

/// Every generated file, as a path relative to the fixture root and its bytes, in a fixed order.
pub fn generate() -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for spec in person_specs() {
        let (img, marks) = render_person(&spec);
        files.push((
            format!("persons/{}.jpg", spec.id),
            encode::jpeg_rgb(&img, 90)?,
        ));
        files.push((format!("persons/{}.landmarks.json", spec.id), json(&marks)?));
    }
    for spec in garment_specs() {
        let (bytes, marks, ext) = match spec.file {
            GarmentFile::Jpeg => {
                let (img, marks) = render_garment(&spec);
                (encode::jpeg_rgb(&img, 90)?, marks, "jpg")
            }
            GarmentFile::Png => {
                let (img, marks) = render_garment(&spec);
                (encode::png_rgb(&img)?, marks, "png")
            }
            GarmentFile::PngCutout => {
                let (img, marks) = render_garment_cutout(&spec);
                (encode::png_rgba(&img)?, marks, "png")
            }
        };
        files.push((format!("garments/{}.{ext}", spec.id), bytes));
        files.push((
            format!("garments/{}.landmarks.json", spec.id),
            json(&marks)?,
        ));
    }
    for (name, bytes) in bad::files()? {
        files.push((format!("bad/{name}"), bytes));
    }
    Ok(files)
}

fn json<T: serde::Serialize>(v: &T) -> io::Result<Vec<u8>> {
    let mut s = serde_json::to_vec_pretty(v).map_err(io::Error::other)?;
    s.push(b'\n');
    Ok(s)
}

/// Regenerates every fixture under `dir` (creating `persons/`, `garments/` and `bad/`) and returns
/// the paths written.
pub fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, bytes) in generate()? {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}
