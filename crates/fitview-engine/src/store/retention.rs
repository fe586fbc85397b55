//! Retention and deletion: expiring old results (`fitview gc`) and deleting everything derived
//! from one input photo (GDPR erasure requests).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::ObjectMeta;
use object_store::path::Path;
use serde::Serialize;

use super::{ResultStore, Sidecar, layout, storage};
use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash};

/// What a garbage collection removed, or would remove with `dry_run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GcReport {
    /// Nothing was deleted; the report says what would have been.
    pub dry_run: bool,
    /// Results older than this many seconds were expired.
    pub older_than_secs: u64,
    /// The expired results (their sidecars and files).
    pub results: Vec<ContentKey>,
    /// Partial results (files without a sidecar, from an interrupted write) past the cutoff.
    pub incomplete: usize,
    /// Kept uploads past the cutoff.
    pub inputs: usize,
    /// Objects deleted in all (files, sidecars, uploads, markers).
    pub objects: usize,
    /// Bytes freed.
    pub bytes: u64,
}

/// What deleting everything derived from one input removed (or would remove with `dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeleteReport {
    /// Nothing was deleted; the report says what would have been.
    pub dry_run: bool,
    /// The input.
    pub input: Option<InputHash>,
    /// The results made from it.
    pub results: Vec<ContentKey>,
    /// Whether the upload itself was kept, and is now gone.
    pub input_deleted: bool,
    /// Objects deleted in all.
    pub objects: usize,
}

impl DeleteReport {
    /// Adds another report (for several inputs at once).
    pub fn merge(&mut self, other: DeleteReport) {
        self.dry_run |= other.dry_run;
        self.results.extend(other.results);
        self.results.sort();
        self.results.dedup();
        self.input_deleted |= other.input_deleted;
        self.objects += other.objects;
        if self.input.is_none() {
            self.input = other.input;
        }
    }
}

impl ResultStore {
    async fn list(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        self.objects
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(|e| storage("list", prefix, e))
    }

    /// Deletes (or, with `dry_run`, lists) results whose sidecar is older than `older_than`,
    /// partial results past the same age, and kept uploads and markers past it. Sidecars go
    /// first, so a result stops being served before its files disappear.
    pub async fn gc(&self, older_than: Duration, dry_run: bool) -> Result<GcReport> {
        let too_large =
            || Error::invalid_input(format!("--older-than {older_than:?} is too large"));
        let age = chrono::Duration::from_std(older_than).map_err(|_| too_large())?;
        let cutoff = chrono::Utc::now()
            .checked_sub_signed(age)
            .ok_or_else(too_large)?;
        let mut report = GcReport {
            dry_run,
            older_than_secs: older_than.as_secs(),
            ..GcReport::default()
        };

        let mut by_key: BTreeMap<ContentKey, Vec<ObjectMeta>> = BTreeMap::new();
        for meta in self.list(&Path::from(layout::RESULTS)).await? {
            if let Some(key) = layout::key_of(&meta.location) {
                by_key.entry(key).or_default().push(meta);
            }
        }
        let mut doomed: Vec<ObjectMeta> = Vec::new();
        for (key, mut objects) in by_key {
            let sidecar = objects
                .iter()
                .find(|m| m.location.filename() == Some(layout::SIDECAR));
            let expired = match sidecar {
                Some(sidecar) => sidecar.last_modified < cutoff,
                None => objects.iter().all(|m| m.last_modified < cutoff),
            };
            if !expired {
                continue;
            }
            if sidecar.is_some() {
                report.results.push(key);
            } else {
                report.incomplete += 1;
            }
            objects.sort_by_key(|m| m.location.filename() != Some(layout::SIDECAR));
            doomed.extend(objects);
        }
        for prefix in [layout::INPUTS, layout::BY_INPUT] {
            let old: Vec<ObjectMeta> = self
                .list(&Path::from(prefix))
                .await?
                .into_iter()
                .filter(|m| m.last_modified < cutoff)
                .collect();
            if prefix == layout::INPUTS {
                report.inputs = old.len();
            }
            doomed.extend(old);
        }
        report.objects = doomed.len();
        report.bytes = doomed.iter().map(|m| m.size).sum();
        if !dry_run {
            // Sidecars first (in order), then everything else.
            let (sidecars, rest): (Vec<_>, Vec<_>) = doomed
                .into_iter()
                .map(|m| m.location)
                .partition(|p| p.filename() == Some(layout::SIDECAR));
            self.delete_all(sidecars).await?;
            self.delete_all(rest).await?;
        }
        tracing::info!(
            store = %self.location,
            dry_run,
            results = report.results.len(),
            incomplete = report.incomplete,
            objects = report.objects,
            bytes = report.bytes,
            "result store garbage collection"
        );
        Ok(report)
    }

    /// Deletes (or, with `dry_run`, lists) every result made from the input `hash`, the kept
    /// upload itself and its markers.
    pub async fn delete_derived_from(
        &self,
        hash: &InputHash,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        // First, so that a try-on of this input finishing while the results are deleted sees
        // the mark after writing its result, and deletes it again.
        if !dry_run {
            self.mark_forgotten(hash).await?;
        }
        let markers = self.list(&layout::markers(hash)).await?;
        let mut keys: Vec<ContentKey> = markers
            .iter()
            .filter_map(|m| m.location.filename().and_then(|f| f.parse().ok()))
            .collect();
        keys.sort();
        keys.dedup();
        let mut report = DeleteReport {
            dry_run,
            input: Some(hash.clone()),
            input_deleted: self.has_input(hash).await?,
            ..DeleteReport::default()
        };
        let mut doomed: Vec<Path> = Vec::new();
        for key in &keys {
            // Other inputs' markers pointing at this result go too.
            if let Some(raw) = self.read(&layout::sidecar(key)).await?
                && let Ok(sidecar) = serde_json::from_slice::<Sidecar>(&raw)
            {
                doomed.extend(
                    sidecar
                        .input_hashes()
                        .filter(|h| *h != hash)
                        .map(|h| layout::marker(h, key)),
                );
            }
            let mut files: Vec<Path> = self
                .list(&layout::result_dir(key))
                .await?
                .into_iter()
                .map(|m| m.location)
                .collect();
            files.sort_by_key(|p| p.filename() != Some(layout::SIDECAR));
            if files.iter().any(|p| p.filename() == Some(layout::SIDECAR)) {
                report.results.push(key.clone());
            }
            // The sidecar first, alone, so the result is gone before its files are.
            if !dry_run
                && let Some(first) = files
                    .first()
                    .filter(|p| p.filename() == Some(layout::SIDECAR))
            {
                self.delete_all(vec![first.clone()]).await?;
                report.objects += 1;
                files.remove(0);
            }
            doomed.extend(files);
        }
        doomed.extend(markers.into_iter().map(|m| m.location));
        if report.input_deleted {
            doomed.push(layout::input(hash));
        }
        report.objects += doomed.len();
        if !dry_run {
            self.delete_all(doomed).await?;
        }
        tracing::info!(
            store = %self.location,
            dry_run,
            results = report.results.len(),
            objects = report.objects,
            "deleted everything derived from an input"
        );
        Ok(report)
    }

    /// Every result key in the store (complete results only).
    pub async fn keys(&self) -> Result<Vec<ContentKey>> {
        let mut keys: Vec<ContentKey> = self
            .list(&Path::from(layout::RESULTS))
            .await?
            .into_iter()
            .filter(|m| m.location.filename() == Some(layout::SIDECAR))
            .filter_map(|m| layout::key_of(&m.location))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Deletes one result (sidecar first) and its inputs' markers. Returns whether it existed.
    pub async fn delete(&self, key: &ContentKey) -> Result<bool> {
        let sidecar = self.read(&layout::sidecar(key)).await?;
        self.delete_all(vec![layout::sidecar(key)]).await?;
        let mut files: Vec<Path> = self
            .list(&layout::result_dir(key))
            .await?
            .into_iter()
            .map(|m| m.location)
            .collect();
        if let Some(sidecar) = sidecar
            .as_deref()
            .and_then(|raw| serde_json::from_slice::<Sidecar>(raw).ok())
        {
            files.extend(sidecar.input_hashes().map(|h| layout::marker(h, key)));
        }
        self.delete_all(files).await?;
        Ok(sidecar.is_some())
    }
}
