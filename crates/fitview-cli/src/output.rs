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
    let tmp = path.with_extension(format!("{TMP_EXTENSION}{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
        });
    if written.is_err() {
        // A full disk must not leave the partial file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Temporary files of [`write_atomic`] end in this and the writer's process id.
const TMP_EXTENSION: &str = "tmp-";

/// Deletes the temporary files [`write_atomic`] left under `dir` (and its subdirectories) when
/// its process was killed mid-write; only call it while no other process writes there. Returns
/// how many were deleted.
pub fn remove_partial_writes(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && is_partial_write(&path) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn is_partial_write(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(|e| e.strip_prefix(TMP_EXTENSION))
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
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

    #[test]
    fn partial_writes_left_by_a_kill_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("images/ava/TS");
        std::fs::create_dir_all(&nested).unwrap();
        for name in ["tryon.tmp-4242", "tryon.webp", "notes.tmp-x", "tmp-12"] {
            std::fs::write(nested.join(name), b"x").unwrap();
        }
        std::fs::write(dir.path().join("report.tmp-7"), b"x").unwrap();
        assert_eq!(remove_partial_writes(dir.path()).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(&nested)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.tmp-x", "tmp-12", "tryon.webp"]);
    }
}
