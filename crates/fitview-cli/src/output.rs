//! Writing result images to disk, atomically, and naming their thumbnails.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fitview_engine::OutputImage;
use serde::Serialize;

/// Where one image and its thumbnails were written.
#[derive(Debug, Serialize)]
pub struct WrittenImage {
    /// The image file.
    pub path: PathBuf,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size in bytes.
    pub bytes: usize,
    /// Thumbnail files, in the order of the widths asked for.
    pub thumbnails: Vec<PathBuf>,
}

/// `out.webp` → `out.256.webp`; sample 2 of `out.webp` → `out-2.webp`.
pub fn sibling(path: &Path, suffix: &str, ext: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tryon".into());
    path.with_file_name(format!("{stem}{suffix}.{ext}"))
}

/// Writes a file via a temporary sibling and a rename, so no half-written image is ever visible.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes an image at `path` and its thumbnails beside it.
pub fn write_image(path: &Path, image: &OutputImage) -> anyhow::Result<WrittenImage> {
    write_atomic(path, &image.bytes)?;
    let ext = image.format.extension();
    let mut thumbnails = Vec::new();
    for thumb in &image.thumbnails {
        let thumb_path = sibling(path, &format!(".{}", thumb.width), ext);
        write_atomic(&thumb_path, &thumb.bytes)?;
        thumbnails.push(thumb_path);
    }
    Ok(WrittenImage {
        path: path.to_owned(),
        width: image.width,
        height: image.height,
        bytes: image.bytes.len(),
        thumbnails,
    })
}

/// Human-readable byte count.
pub fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", (n as f64 / 1024.0).ceil())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_keep_the_directory_and_stem() {
        assert_eq!(
            sibling(Path::new("out/look.webp"), ".256", "webp"),
            PathBuf::from("out/look.256.webp")
        );
        assert_eq!(
            sibling(Path::new("look.jpg"), "-2", "jpg"),
            PathBuf::from("look-2.jpg")
        );
    }
}
