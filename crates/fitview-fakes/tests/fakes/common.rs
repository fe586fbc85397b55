//! Helpers every provider module shares: fixtures, decoding, and what must never reach an error or a log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use fitview_engine::Error;
use fitview_engine::provider::GeneratedImage;

/// Bytes of a fixture under the repository's `fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A provider image as pixels.
pub fn decoded(image: &GeneratedImage) -> image::DynamicImage {
    match image {
        GeneratedImage::Encoded(bytes) => image::load_from_memory(bytes).unwrap(),
        GeneratedImage::Pixels(px) => image::DynamicImage::ImageRgba8(px.clone()),
    }
}

/// An error a user may see: no key, no base64 payload.
pub fn assert_clean(err: &Error, key: &str) {
    let text = err.to_string();
    assert!(!text.contains(key), "the key leaked: {text}");
    assert!(!text.contains("data:image"), "an image leaked: {text}");
    let longest_b64_run = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_b64_run < 40, "base64-like text in: {text}");
}

/// Every log line written on this thread while `run` runs, at every level (a `#[tokio::test]`
/// runs its tasks on the test's thread).
pub async fn logs_of<F: std::future::Future<Output = ()>>(run: F) -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    // A call site first reached on another test's thread (no subscriber there) may have cached
    // "never"; ask every call site again now that this thread has one.
    tracing::callsite::rebuild_interest_cache();
    run.await;
    drop(guard);
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}
