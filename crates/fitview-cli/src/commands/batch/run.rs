//! Runs the planned items against the engine: bounded provider calls, paced starts, journal
//! lines for finished items (group-committed), and an early stop when the provider keeps
//! refusing or the user presses Ctrl-C.
//!
//! `--concurrency` and `--rpm` bound the provider calls, through the engine's `provider_calls`
//! throttle (every call, try-on or style variation, retries included). A few more items than
//! calls are in flight, each as its own task ([`items_in_flight`]): while `concurrency` items
//! wait for the provider, the next ones are read, prepared and keyed, ready to call the moment
//! a call slot frees, and the items whose answers came back are checked, encoded and written
//! without holding a slot. So the provider is not left idle by the client's own image work, and
//! memory stays bounded by the concurrency, not the catalog. The scheduler only starts items,
//! and journals and counts those that finish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fitview_engine::provider::throttle::ThrottleConfig;
use fitview_engine::{
    Engine, Error, OutputOptions, QualityMode, Style, TryOnOptions, TryOnRequest,
};
use tokio::task::JoinSet;

use super::journal::{FlaggedFile, ItemError, Journal, JournalError, Outcome, Record};
use super::manifest::Manifest;
use super::plan::Item;
use super::progress::Progress;
use super::spend::SpendCap;
use super::stop::StopFlag;

/// After this many items in a row fail with a transient error (rate limited, unavailable, timed
/// out, each already retried by the engine), the provider is taken to be out of quota or down.
pub const TRANSIENT_FAILURES_BEFORE_STOP: usize = 5;

/// Items in flight for `concurrency` provider calls: a quarter more, prepared and waiting for a
/// call slot, so the slots freed by answers coming back together are taken at once (measured in
/// docs/benchmarks.md "Batch": a quarter is within 0.01× of the wall time of twice as many
/// items, with 400 MiB less memory at concurrency 64).
fn items_in_flight(concurrency: usize) -> usize {
    let concurrency = concurrency.max(1);
    concurrency + concurrency.div_ceil(4)
}

/// The engine's bound on provider calls for `--concurrency` and `--rpm`: starts evenly spaced,
/// no burst.
pub fn provider_calls(concurrency: usize, rpm: Option<u32>) -> ThrottleConfig {
    ThrottleConfig {
        max_concurrency: concurrency.max(1),
        requests_per_minute: rpm,
        burst: 1,
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Provider calls in flight at once; the engine enforces it (see [`provider_calls`]), the
    /// run keeps enough items in flight to use it.
    pub concurrency: usize,
    /// How each image is encoded.
    pub output: OutputOptions,
    /// The quality mode of every try-on.
    pub quality: QualityMode,
    /// Style variations made from each try-on.
    pub variations: Vec<Style>,
    /// The output directory.
    pub out: PathBuf,
    /// `--max-cost`: most US dollars the batch may spend, earlier runs included.
    pub max_cost: Option<f64>,
    /// What earlier runs spent (the journal's costs).
    pub spent_before: f64,
    /// The price of one item (its try-on and variations) in the chosen mode, held while it runs.
    pub cost_per_item: f64,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// Records of the items finished in this run, by `model/sku`.
    pub records: HashMap<String, Record>,
    /// Why the run stopped before the end, with the error that made it stop.
    pub stopped: Option<(String, Error)>,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
}

/// What every item task shares.
struct Shared {
    engine: Engine,
    manifest: Arc<Manifest>,
    settings: Settings,
    persons: HashMap<usize, Result<Bytes, String>>,
    progress: Arc<Progress>,
    stop: StopFlag,
}

/// A finished item: its label, its record, and the engine error if it failed.
type Finished = (String, Record, Option<Error>);

/// Runs `items`, journaling each as it finishes, until all are done or `stop` is set.
pub async fn run(
    engine: &Engine,
    manifest: &Arc<Manifest>,
    items: &[&Item],
    settings: &Settings,
    journal: &Journal,
    progress: &Arc<Progress>,
    stop: &StopFlag,
) -> Result<RunOutcome, JournalError> {
    let shared = Arc::new(Shared {
        engine: engine.clone(),
        manifest: manifest.clone(),
        settings: settings.clone(),
        persons: read_persons(manifest, items).await,
        progress: progress.clone(),
        stop: stop.clone(),
    });
    // Once stopped, the items waiting for a call slot are dropped, not sent.
    let stop_calls = tokio::spawn({
        let (engine, stop) = (engine.clone(), stop.clone());
        async move {
            stop.stopped().await;
            engine.stop_provider_calls();
        }
    });
    let mut outcome = RunOutcome::default();
    let mut transient_in_a_row = 0;
    let queue = items.iter();
    let mut running = JoinSet::new();
    let mut cap = SpendCap::new(settings.max_cost, settings.spent_before);
    let mut queue = queue.peekable();
    let mut capped = false;

    loop {
        while running.len() < items_in_flight(settings.concurrency) && !stop.is_stopped() {
            let Some(&&item) = queue.peek() else { break };
            if !cap.try_reserve(settings.cost_per_item) {
                capped = true;
                break;
            }
            queue.next();
            running.spawn(run_task(shared.clone(), item.clone()));
        }
        let Some(first) = running.join_next().await else {
            break;
        };
        // Everything that finished meanwhile goes into the same journal write.
        let mut finished: Vec<Finished> = Vec::new();
        for joined in std::iter::once(first).chain(std::iter::from_fn(|| running.try_join_next())) {
            match joined {
                Ok(Some(done)) => {
                    cap.settle(settings.cost_per_item, done.1.cost_usd);
                    finished.push(done);
                }
                Ok(None) => cap.settle(settings.cost_per_item, 0.0),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => cap.settle(settings.cost_per_item, 0.0),
            }
        }
        if finished.is_empty() {
            continue;
        }
        let finished = commit(journal, finished).await?;

        for (label, record, error) in finished {
            progress.finished(&label, &record);
            outcome.records.insert(label, record);
            let Some(error) = error else {
                transient_in_a_row = 0;
                continue;
            };
            transient_in_a_row = if error.is_retryable() {
                transient_in_a_row + 1
            } else {
                0
            };
            if outcome.stopped.is_none()
                && let Some(reason) = stop_reason(&error, transient_in_a_row)
            {
                stop.stop();
                progress.note("stopping", &format!("{reason}: {error}"));
                outcome.stopped = Some((reason, error));
            }
        }
    }
    stop_calls.abort();
    if capped
        && outcome.stopped.is_none()
        && !stop.is_stopped()
        && let Some(limit) = cap.limit()
    {
        let error = Error::BudgetExceeded {
            scope: "batch".to_owned(),
            spent_usd: cap.spent(),
            limit_usd: limit,
        };
        progress.note("stopping", &format!("--max-cost reached: {error}"));
        outcome.stopped = Some(("stopped at --max-cost".to_owned(), error));
    }
    outcome.interrupted = stop.is_interrupted();
    Ok(outcome)
}

/// Journals finished items with one write and one fsync, off the async threads.
async fn commit(journal: &Journal, finished: Vec<Finished>) -> Result<Vec<Finished>, JournalError> {
    let journal = journal.clone();
    let path = journal.path().to_owned();
    tokio::task::spawn_blocking(move || {
        journal
            .append(finished.iter().map(|(_, record, _)| record))
            .map(|()| finished)
    })
    .await
    .unwrap_or_else(|e| {
        Err(JournalError {
            path,
            source: std::io::Error::other(e),
        })
    })
}

/// One item; `None` when the batch stopped before the item called the provider.
async fn run_task(shared: Arc<Shared>, item: Item) -> Option<Finished> {
    if shared.stop.is_stopped() {
        return None;
    }
    let label = item.label(&shared.manifest);
    shared.progress.started(&label);
    let (record, error) = run_item(
        &shared.engine,
        &shared.manifest,
        &item,
        &shared.persons,
        &shared.settings,
    )
    .await;
    if error.as_ref().is_some_and(|e| stop_reason(e, 0).is_some()) {
        // Refused for good: stop the items waiting for a call slot now, not after the journal
        // write (the run loop says why).
        shared.stop.stop();
    }
    if matches!(error, Some(Error::Cancelled)) && shared.stop.is_stopped() {
        // Dropped while waiting for a call slot: it runs next time.
        shared.progress.dropped(&label);
        return None;
    }
    Some((label, record, error))
}

/// Whether an item's error means every following item would fail too.
pub fn stop_reason(error: &Error, transient_in_a_row: usize) -> Option<String> {
    match error {
        Error::Auth { .. } => {
            Some("stopping early: the provider rejected the credentials".to_owned())
        }
        Error::Config { .. } => Some("stopping early: the provider is misconfigured".to_owned()),
        Error::BudgetExceeded { .. } => Some("stopping early: a spend cap is reached".to_owned()),
        _ if error.is_retryable() && transient_in_a_row >= TRANSIENT_FAILURES_BEFORE_STOP => {
            Some(format!(
                "stopping early: {transient_in_a_row} items in a row failed after retries, \
             the provider looks out of quota or down"
            ))
        }
        _ => None,
    }
}

/// Each model photo used by the items, read once.
async fn read_persons(
    manifest: &Manifest,
    items: &[&Item],
) -> HashMap<usize, Result<Bytes, String>> {
    let mut persons = HashMap::new();
    for item in items {
        if let std::collections::hash_map::Entry::Vacant(slot) = persons.entry(item.model) {
            let image = &manifest.models[item.model].image;
            let bytes = image
                .read(manifest.max_image_bytes)
                .await
                .map_err(|e| format!("{image}: {e}"));
            slot.insert(bytes);
        }
    }
    persons
}

/// Generates one item; its record, and the engine error if it failed.
async fn run_item(
    engine: &Engine,
    manifest: &Manifest,
    item: &Item,
    persons: &HashMap<usize, Result<Bytes, String>>,
    settings: &Settings,
) -> (Record, Option<Error>) {
    let started = Instant::now();
    let (model, product) = item.parts(manifest);
    let mut record = Record {
        model: model.id.clone(),
        sku: product.sku.clone(),
        fingerprint: item.fingerprint.clone(),
        outcome: Outcome::Failed,
        cache: None,
        key: None,
        provider: None,
        attempts: 0,
        timings: None,
        elapsed_ms: 0,
        cost_usd: 0.0,
        files: Vec::new(),
        thumbnail: None,
        flagged: Vec::new(),
        error: None,
        finished_at: 0,
    };
    let result = generate(engine, manifest, item, persons, settings, &mut record).await;
    if let Err(failure) = &result {
        record.error = Some(ItemError {
            code: failure.code().to_owned(),
            message: failure.message(),
        });
    } else if record.flagged.is_empty() {
        record.outcome = Outcome::Done;
    } else {
        record.outcome = Outcome::Flagged;
    }
    record.elapsed_ms = started.elapsed().as_millis() as u64;
    record.finished_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (record, result.err().and_then(Failure::into_engine))
}

/// Why an item failed: the engine said so, or a local file could not be read or written.
enum Failure {
    Engine(Error),
    Io(String),
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Failure::Engine(e) => e.code(),
            Failure::Io(_) => "io",
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Engine(e) => e.to_string(),
            Failure::Io(m) => m.clone(),
        }
    }

    fn into_engine(self) -> Option<Error> {
        match self {
            Failure::Engine(e) => Some(e),
            Failure::Io(_) => None,
        }
    }
}

async fn generate(
    engine: &Engine,
    manifest: &Manifest,
    item: &Item,
    persons: &HashMap<usize, Result<Bytes, String>>,
    settings: &Settings,
    record: &mut Record,
) -> Result<(), Failure> {
    let (model, product) = item.parts(manifest);
    let person = match persons.get(&item.model) {
        Some(Ok(bytes)) => bytes.clone(),
        Some(Err(e)) => return Err(Failure::Io(e.clone())),
        None => return Err(Failure::Io(format!("model {} was not loaded", model.id))),
    };
    let garment = product
        .image
        .read(manifest.max_image_bytes)
        .await
        .map_err(|e| Failure::Io(format!("{}: {e}", product.image)))?;
    let options = TryOnOptions {
        output: settings.output.clone(),
        quality: settings.quality,
        ..TryOnOptions::default()
    };
    let mut request = TryOnRequest::new(person, garment)
        .with_category(product.category)
        .with_options(options);
    if let Some(landmarks) = model.landmarks {
        request = request.with_person_landmarks(landmarks);
    }
    let result = engine.try_on(request).await.map_err(Failure::Engine)?;
    record.cache = Some(result.cache);
    record.key = Some(result.key.to_string());
    record.provider = Some(format!("{} ({})", result.provider, result.model));
    record.attempts = result.attempts;
    record.timings = serde_json::to_value(result.timings).ok();
    record.cost_usd = result.usage.estimated_cost_usd;

    let dir = item_dir(&settings.out, &model.id, &product.sku);
    let Some(image) = result.images.first() else {
        return Err(Failure::Engine(Error::MalformedResponse {
            detail: "no image".to_owned(),
        }));
    };
    let path = dir.join(format!("{TRY_ON_NAME}.{}", image.format.extension()));
    let written = write(&path, image.clone()).await?;
    record.thumbnail = written
        .thumbnails
        .first()
        .map(|t| relative(&settings.out, t));
    record.files.push(relative(&settings.out, &written.path));
    flag(record, result.failed_checks);

    for style in &settings.variations {
        let variation = engine
            .variations(
                image.bytes.clone(),
                style.clone(),
                1,
                settings.output.clone(),
            )
            .await
            .map_err(Failure::Engine)?;
        record.attempts += variation.attempts;
        record.cost_usd += variation.usage.estimated_cost_usd;
        let failed_checks = variation.failed_checks;
        if let Some(styled) = variation.images.into_iter().next() {
            let path = dir.join(format!("{}.{}", style.slug(), styled.format.extension()));
            let written = write(&path, styled).await?;
            record.files.push(relative(&settings.out, &written.path));
            flag(record, failed_checks);
        }
    }
    Ok(())
}

/// The try-on image's name in its item's directory. Variations are named by their slugs
/// (`casual`, `color-navy`: letters, digits and `-`, never this name) and thumbnails add
/// `.WIDTH`, so no two files of an item can have the same name.
const TRY_ON_NAME: &str = "tryon";

/// Where an item's images go: a directory of its own, `images/MODEL/SKU/`, so no SKU's files can
/// be mistaken for another's (`TS`'s thumbnail `TS.256` and a product `TS.256`).
fn item_dir(out: &Path, model: &str, sku: &str) -> std::path::PathBuf {
    out.join("images").join(model).join(sku)
}

/// Notes the quality checks failed by the image just written (the last of `record.files`).
fn flag(record: &mut Record, failed_checks: Vec<fitview_engine::Check>) {
    if failed_checks.is_empty() {
        return;
    }
    if let Some(file) = record.files.last() {
        record.flagged.push(FlaggedFile {
            file: file.clone(),
            failed_checks,
        });
    }
}

/// Writes an image and its thumbnails off the async threads.
async fn write(
    path: &Path,
    image: fitview_engine::OutputImage,
) -> Result<crate::output::WrittenImage, Failure> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || crate::output::write_image(&path, &image))
        .await
        .map_err(|e| Failure::Io(e.to_string()))?
        .map_err(|e| Failure::Io(format!("{e:#}")))
}

/// `out/images/a/b.webp` → `images/a/b.webp`, with `/` separators (used in HTML and JSON).
fn relative(out: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(out).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use fitview_engine::EngineConfig;
    use fitview_engine::provider::mock::{Fault, MockProvider};

    use super::super::journal;
    use super::super::manifest;
    use super::super::plan;
    use super::super::progress::{Mode, Progress};
    use super::*;

    async fn catalog() -> Arc<Manifest> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/catalog/catalog.toml");
        Arc::new(manifest::load(&path, 25 << 20).await.unwrap())
    }

    #[tokio::test]
    async fn a_provider_that_rejects_the_key_stops_the_batch_early() {
        let manifest = catalog().await;
        let items = plan::plan(&manifest, "test");
        assert!(items.len() > 10);
        let mock =
            Arc::new(MockProvider::new().with_faults(std::iter::repeat_n(Fault::Auth, 1000)));
        let refs: Vec<&Item> = items.iter().collect();
        let TestRun {
            outcome,
            journal,
            stop,
            dir: _dir,
        } = run_against(&mock, 2, &manifest, &refs).await;
        assert!(stop.is_stopped() && !outcome.interrupted);
        let (reason, error) = outcome.stopped.expect("the batch stops");
        assert_eq!(error.code(), "auth");
        assert!(reason.contains("rejected the credentials"), "{reason}");
        // Only the items already in flight when the first refusal came back were tried: those
        // with the provider and those prepared, waiting for a call slot.
        let in_flight = items_in_flight(2);
        assert_eq!(in_flight, 3);
        assert!(mock.calls() as usize <= in_flight, "{} calls", mock.calls());
        assert!(mock.most_in_flight() <= 2);
        assert!(outcome.records.len() <= in_flight);
        assert!(
            outcome
                .records
                .values()
                .all(|r| r.outcome == Outcome::Failed)
        );
        let journaled = journal::load(journal.path()).unwrap();
        assert_eq!(journaled.latest.len(), outcome.records.len());
    }

    /// What a test run left: its outcome, its journal and output directory, its stop flag.
    struct TestRun {
        outcome: RunOutcome,
        journal: Journal,
        dir: tempfile::TempDir,
        stop: StopFlag,
    }

    /// Runs `items` against `mock` at `concurrency` (the engine built as `fitview batch` builds
    /// it), into a fresh directory.
    async fn run_against(
        mock: &Arc<MockProvider>,
        concurrency: usize,
        manifest: &Arc<Manifest>,
        items: &[&Item],
    ) -> TestRun {
        let config = EngineConfig {
            provider_calls: Some(provider_calls(concurrency, None)),
            ..EngineConfig::default()
        };
        let engine = Engine::builder()
            .config(config)
            .shared_provider(mock.clone())
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join(journal::FILE_NAME)).unwrap();
        let progress = Arc::new(Progress::start(Mode::Lines, items.len(), 0));
        let stop = StopFlag::default();
        let settings = small_images(dir.path(), concurrency);
        let outcome = run(
            &engine, manifest, items, &settings, &journal, &progress, &stop,
        )
        .await
        .unwrap();
        TestRun {
            outcome,
            journal,
            dir,
            stop,
        }
    }

    /// Settings writing 64-pixel images without thumbnails into `out`.
    fn small_images(out: &Path, concurrency: usize) -> Settings {
        Settings {
            concurrency,
            output: OutputOptions {
                long_edge: 64,
                thumbnail_widths: Vec::new(),
                ..OutputOptions::default()
            },
            quality: QualityMode::Fast,
            variations: Vec::new(),
            out: out.to_owned(),
            max_cost: None,
            spent_before: 0.0,
            cost_per_item: 0.0,
        }
    }

    #[tokio::test]
    async fn concurrency_counts_provider_calls_in_flight() {
        let manifest = catalog().await;
        let items = plan::plan(&manifest, "test");
        let refs: Vec<&Item> = items.iter().take(9).collect();
        assert_eq!(refs.len(), 9);
        let mock = Arc::new(MockProvider::new().with_latency(Duration::from_millis(500)));
        let outcome = run_against(&mock, 3, &manifest, &refs).await.outcome;
        assert_eq!(outcome.records.len(), 9);
        assert!(outcome.records.values().all(|r| r.outcome == Outcome::Done));
        assert_eq!(mock.calls(), 9);
        // The next items are prepared while three wait for the provider, so the provider has
        // three calls at once (each takes half a second, far longer than preparing one), and
        // never more.
        assert_eq!(mock.most_in_flight(), 3);
    }

    #[tokio::test]
    async fn images_that_fail_the_quality_checks_are_kept_but_flagged() {
        let manifest = catalog().await;
        let items = plan::plan(&manifest, "test");
        let refs: Vec<&Item> = items.iter().take(3).collect();
        // Every answer is blank, also the one more the engine asks for with a new seed.
        let calls = 2 * refs.len();
        let mock = Arc::new(MockProvider::new().with_faults(vec![Fault::Blank; calls]));
        let TestRun {
            outcome,
            journal,
            dir,
            stop: _,
        } = run_against(&mock, 1, &manifest, &refs).await;
        assert!(
            outcome.stopped.is_none(),
            "a flagged image does not stop the batch"
        );
        assert_eq!(mock.calls() as usize, calls);
        let journaled = journal::load(journal.path()).unwrap();
        for item in &refs {
            let label = item.label(&manifest);
            let record = &outcome.records[&label];
            assert_eq!(record.outcome, Outcome::Flagged, "{label}");
            assert_eq!(record.attempts, 2, "asked once more before flagging");
            assert_eq!(record.flagged.len(), 1);
            assert_eq!(record.flagged[0].file, record.files[0]);
            assert!(
                dir.path().join(&record.files[0]).is_file(),
                "kept for review"
            );
            let reason = record.reason().unwrap();
            assert!(reason.contains("not_blank"), "{reason}");
            assert_eq!(
                journaled.latest[&label].flagged, record.flagged,
                "the failed checks survive in the journal"
            );
        }
    }

    #[tokio::test]
    async fn transient_failures_stop_only_when_they_keep_coming() {
        let unavailable = Error::Unavailable {
            detail: "503".into(),
        };
        assert!(stop_reason(&unavailable, TRANSIENT_FAILURES_BEFORE_STOP - 1).is_none());
        assert!(stop_reason(&unavailable, TRANSIENT_FAILURES_BEFORE_STOP).is_some());
        assert!(
            stop_reason(
                &Error::ContentPolicy {
                    reason: "IMAGE_SAFETY".into()
                },
                100
            )
            .is_none()
        );
    }
}
