//! Photos refused for their size: the message says which photo it is, where it is, and the size
//! its header declares.

use std::path::{Path, PathBuf};
use std::process::Command;

fn person() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/persons/average-medium-full.jpg")
}

/// A PNG that is only a header declaring `width`×`height`.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// A lossless WebP header declaring 16384×16384, the format's largest size.
fn webp_16384() -> Vec<u8> {
    let mut bytes = b"RIFF\x0d\0\0\0WEBPVP8L\x05\0\0\0\x2f".to_vec();
    // width - 1 and height - 1 in 14 bits each, no alpha, version 0.
    bytes.extend_from_slice(&(0x3FFF_u32 | (0x3FFF_u32 << 14)).to_le_bytes());
    bytes
}

fn tryon(person: &Path, garment: &Path, out: &Path) -> (Option<i32>, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_fitview"))
        .args(["tryon", "--person"])
        .arg(person)
        .arg("--garment")
        .arg(garment)
        .arg("--out")
        .arg(out)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env("FITVIEW_STORE", "memory://")
        .output()
        .unwrap();
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

#[test]
fn a_photo_over_the_size_limits_is_named_with_its_role_path_and_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.webp");
    let wide = dir.path().join("wide.png");
    std::fs::write(&wide, png_header(9000, 100)).unwrap();
    let (code, message) = tryon(&person(), &wide, &out);
    assert_eq!(code, Some(3), "{message}");
    assert!(
        message.contains(&format!(
            "garment photo {} (--garment): image too large: width is 9000, the limit is 8192",
            wide.display()
        )),
        "{message}"
    );

    let huge = dir.path().join("huge.webp");
    std::fs::write(&huge, webp_16384()).unwrap();
    let (code, message) = tryon(&huge, &wide, &out);
    assert_eq!(code, Some(3), "{message}");
    assert!(
        message.contains(&format!(
            "person photo {} (--person): image too large: width is 16384, the limit is 8192",
            huge.display()
        )),
        "the WebP's own size, not 0×0: {message}"
    );
    assert!(!out.exists());
}
