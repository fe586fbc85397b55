//! Shared by the `batch*` tests: running `fitview batch` and writing manifests over the fixtures.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The repository's fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .canonicalize()
        .unwrap()
}

/// `fitview batch MANIFEST --out OUT --provider mock` + small, fast outputs + `extra`.
pub fn batch_command(manifest: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fitview"));
    command
        .arg("batch")
        .arg(manifest)
        .arg("--out")
        .arg(out)
        .args(["--provider", "mock", "--size", "256", "--thumbnails", "128"])
        .args(extra)
        .env_remove("FITVIEW_PROVIDER")
        .env_remove("FITVIEW_CONFIG")
        .env_remove("FITVIEW_LOG")
        .stdin(Stdio::null());
    command
}

/// Runs a batch to the end.
pub fn batch(manifest: &Path, out: &Path, extra: &[&str]) -> Output {
    batch_command(manifest, out, extra).output().unwrap()
}

/// Starts a batch in the background.
pub fn spawn_batch(manifest: &Path, out: &Path, extra: &[&str]) -> Child {
    batch_command(manifest, out, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A batch started in the background whose stderr is collected as it comes.
pub struct Watched {
    /// The `fitview batch` process.
    pub child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Watched {
    /// Starts a batch, reading its stderr on a thread.
    pub fn spawn(manifest: &Path, out: &Path, extra: &[&str]) -> Self {
        let mut child = batch_command(manifest, out, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    /// Its stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until `done` holds (polling), failing if the process ends first or after 2 minutes.
    pub fn wait_until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the batch ended ({status}) before {what}:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -INT failed");
    }

    /// Waits for the process to end: its exit code and whole stderr.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code(), self.stderr())
    }
}

/// A config file that makes every mock call take `latency_ms`.
pub fn mock_config(dir: &Path, latency_ms: u64) -> PathBuf {
    let path = dir.join("fitview.toml");
    std::fs::write(
        &path,
        format!("[provider_settings]\nmock_latency_ms = {latency_ms}\n"),
    )
    .unwrap();
    path
}

/// A manifest over the fixture images (absolute paths): the given models × products, where a
/// product is `(sku, category, garment file under fixtures/)`.
pub fn write_manifest(path: &Path, models: &[&str], products: &[(&str, &str, &str)]) {
    let f = fixtures();
    let persons = [
        "slim-light-full",
        "curvy-tan-full",
        "broad-deep-full",
        "average-medium-full",
    ];
    let mut text = String::from("name = \"Test shop\"\n");
    for (id, person) in models.iter().zip(persons) {
        let image = f.join(format!("persons/{person}.jpg"));
        let landmarks = f.join(format!("persons/{person}.landmarks.json"));
        text += &format!(
            "\n[[models]]\nid = \"{id}\"\nimage = {:?}\nlandmarks = {:?}\nbody_type = \"{person}\"\n",
            image.display().to_string(),
            landmarks.display().to_string()
        );
    }
    for (sku, category, garment) in products {
        let image = f.join(garment);
        text += &format!(
            "\n[[products]]\nsku = \"{sku}\"\nname = \"Product {sku}\"\ncategory = \"{category}\"\nimage = {:?}\nprice = 10.5\n",
            image.display().to_string()
        );
    }
    std::fs::write(path, text).unwrap();
}

/// The six fixture garments as products.
pub const PRODUCTS: [(&str, &str, &str); 6] = [
    ("TS-WHITE", "top", "garments/tshirt-plain.jpg"),
    ("SH-STRIPE", "top", "garments/shirt-striped.jpg"),
    ("LS-LOGO", "top", "garments/longsleeve-logo.png"),
    ("JE-BLUE", "bottom", "garments/jeans-blue.jpg"),
    ("SK-CHECK", "bottom", "garments/skirt-checks.png"),
    ("DR-DOTS", "one-piece", "garments/dress-dots.jpg"),
];

/// The parsed `report.json` of an output directory.
pub fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

/// The journal's readable records.
pub fn journal(out: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("journal.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Every line of the journal parses (no line torn), and no slot is done twice: the slots done.
pub fn journal_is_consistent(out: &Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(out.join("journal.jsonl")).unwrap_or_default();
    let mut done: HashMap<String, usize> = HashMap::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("torn or bad journal line {line:?}: {e}"));
        if record["outcome"] == "done" {
            *done
                .entry(format!("{}/{}", record["model"], record["sku"]))
                .or_default() += 1;
        }
    }
    assert!(
        done.values().all(|&n| n == 1),
        "an item was generated twice: {done:?}"
    );
    done
}

/// A count from the report.
pub fn count(report: &serde_json::Value, what: &str) -> u64 {
    report["counts"][what].as_u64().unwrap()
}

/// Both output streams, for assertion messages.
pub fn outputs(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
