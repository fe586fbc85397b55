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

thread_local! {
    /// Where the log lines of this thread go while [`logs_of`] runs on it.
    static CAPTURED: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

/// Writes a log line into this thread's capture, or nowhere.
struct ThreadCapture;

impl Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|captured| {
            if let Some(lines) = captured.borrow().as_ref() {
                lines.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line written on this thread while `run` runs, at every level (a `#[tokio::test]`
/// runs its tasks on the test's thread).
///
/// One process-wide subscriber writes every thread's lines into that thread's capture. A
/// subscriber set per thread (`set_default`) loses lines: while it is the only one, tracing asks
/// the *registering* thread's subscriber whether a call site is wanted, so a call site first
/// reached by a test on another thread is cached as never wanted, here too.
pub async fn logs_of<F: std::future::Future<Output = ()>>(run: F) -> String {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| ThreadCapture)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test sets a global subscriber");
    });
    let lines = Arc::new(Mutex::new(Vec::new()));
    CAPTURED.with(|captured| *captured.borrow_mut() = Some(lines.clone()));
    run.await;
    CAPTURED.with(|captured| *captured.borrow_mut() = None);
    let bytes = lines.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}
