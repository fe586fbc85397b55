//! Prepared inputs, kept for reuse: a photo used by many try-ons (a retailer's model photo across
//! a whole catalog, a garment on each of the models) is decoded, normalized, digested and hashed
//! once per process instead of once per request; so are the parts of the quality checks'
//! reference that depend on one photo alone.
//!
//! Entries are keyed by the BLAKE3 of the upload's bytes and the provider canvas, so only
//! byte-identical uploads share an entry; a re-encoded photo is prepared again (and then gives the
//! same content key, as before). Concurrent requests for the same photo share one preparation,
//! errors are not kept, and the memory is bounded by [`CacheConfig::inputs_bytes`] with entries
//! dropped after [`CacheConfig::inputs_ttl`] unused. An erasure request drops them all.
//!
//! [`CacheConfig::inputs_bytes`]: crate::CacheConfig::inputs_bytes
//! [`CacheConfig::inputs_ttl`]: crate::CacheConfig::inputs_ttl

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use image::RgbaImage;
use moka::future::Cache;
use tokio::sync::OnceCell;

use crate::cache::InputStats;
use crate::error::{Error, Result};
use crate::key::{ImageDigest, InputHash};
use crate::landmarks::BodyLandmarks;
use crate::pipeline::Placement;
use crate::validate::{GarmentReference, PersonReference};

/// Bytes counted for an entry beyond its pixels.
const ENTRY_OVERHEAD: u64 = 256;

/// A person photo ready for the provider.
#[derive(Debug)]
pub(crate) struct Person {
    /// The canvas-sized image sent to the provider.
    pub(crate) canvas: Arc<RgbaImage>,
    /// Where the photo sits inside the canvas.
    pub(crate) placement: Placement,
    /// The photo's displayed size before scaling.
    pub(crate) original_size: (u32, u32),
    /// The canvas's digest, for content keys.
    pub(crate) digest: ImageDigest,
    /// The person part of the quality checks' reference, with the landmarks it was made for.
    reference: OnceCell<(Option<BodyLandmarks>, Arc<PersonReference>)>,
}

impl Person {
    /// A prepared person canvas with the photo at `placement`.
    pub(crate) fn new(canvas: RgbaImage, placement: Placement, original_size: (u32, u32)) -> Self {
        Self {
            digest: ImageDigest::of(&canvas),
            canvas: Arc::new(canvas),
            placement,
            original_size,
            reference: OnceCell::new(),
        }
    }

    /// The checks' reference of this person with `landmarks`, made by `make` the first time;
    /// other landmarks than those first seen are made again each time.
    pub(crate) async fn reference<F>(
        &self,
        landmarks: Option<BodyLandmarks>,
        make: impl Fn() -> F,
    ) -> Result<Arc<PersonReference>>
    where
        F: Future<Output = Result<PersonReference>>,
    {
        let (kept_for, kept) = self
            .reference
            .get_or_try_init(|| async { Ok::<_, Error>((landmarks, Arc::new(make().await?))) })
            .await?;
        if *kept_for == landmarks {
            Ok(kept.clone())
        } else {
            make().await.map(Arc::new)
        }
    }
}

/// A garment photo matted and fitted into the canvas.
#[derive(Debug)]
pub(crate) struct Garment {
    /// The canvas-sized garment on transparent.
    pub(crate) image: Arc<RgbaImage>,
    /// The image's digest, for content keys.
    pub(crate) digest: ImageDigest,
    /// The garment part of the quality checks' reference.
    reference: OnceCell<Arc<GarmentReference>>,
}

impl Garment {
    /// A prepared garment canvas.
    pub(crate) fn new(image: RgbaImage) -> Self {
        Self {
            digest: ImageDigest::of(&image),
            image: Arc::new(image),
            reference: OnceCell::new(),
        }
    }

    /// The checks' reference of this garment, made by `make` the first time.
    pub(crate) async fn reference(
        &self,
        make: impl Future<Output = Result<GarmentReference>>,
    ) -> Result<Arc<GarmentReference>> {
        self.reference
            .get_or_try_init(|| async { make.await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// Which upload, prepared for which canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot {
    bytes: blake3::Hash,
    canvas: (u32, u32),
}

/// The memo of prepared inputs and input hashes.
#[derive(Debug)]
pub(crate) struct PreparedInputs {
    persons: Cache<Slot, Arc<Person>>,
    garments: Cache<Slot, Arc<Garment>>,
    /// The [`InputHash`] of each upload, by its bytes.
    hashes: Cache<blake3::Hash, InputHash>,
    /// Person and garment look-ups.
    lookups: AtomicU64,
    /// Of those, the ones that ran their preparation.
    prepared: AtomicU64,
}

impl PreparedInputs {
    /// A memo holding at most `max_bytes` of pixels (0: none, though concurrent preparations of
    /// the same photo are still shared), each entry kept while used within `ttl`.
    pub(crate) fn new(max_bytes: u64, ttl: Duration) -> Self {
        let pixels = |image: &RgbaImage| image.as_raw().len() as u64 + ENTRY_OVERHEAD;
        let weight = |bytes: u64| u32::try_from(bytes).unwrap_or(u32::MAX);
        // Persons and garments share the budget, half each.
        let half = max_bytes / 2;
        Self {
            persons: Cache::builder()
                .name("fitview-prepared-persons")
                .max_capacity(half)
                .weigher(move |_: &Slot, p: &Arc<Person>| weight(pixels(&p.canvas)))
                .time_to_idle(ttl)
                .build(),
            garments: Cache::builder()
                .name("fitview-prepared-garments")
                .max_capacity(half)
                .weigher(move |_: &Slot, g: &Arc<Garment>| weight(pixels(&g.image)))
                .time_to_idle(ttl)
                .build(),
            hashes: Cache::builder()
                .name("fitview-input-hashes")
                .max_capacity(4096)
                .time_to_idle(ttl)
                .build(),
            lookups: AtomicU64::new(0),
            prepared: AtomicU64::new(0),
        }
    }

    /// How many photos were prepared and how many reused.
    pub(crate) fn stats(&self) -> InputStats {
        let prepared = self.prepared.load(Ordering::Relaxed);
        InputStats {
            prepared,
            reused: self
                .lookups
                .load(Ordering::Relaxed)
                .saturating_sub(prepared),
        }
    }

    /// The person photo `bytes` prepared for `canvas`, made by `prepare` unless kept.
    pub(crate) async fn person(
        &self,
        bytes: &[u8],
        canvas: (u32, u32),
        prepare: impl Future<Output = Result<Person>>,
    ) -> Result<Arc<Person>> {
        self.kept(&self.persons, bytes, canvas, prepare).await
    }

    /// The garment photo `bytes` prepared for `canvas`, made by `prepare` unless kept.
    pub(crate) async fn garment(
        &self,
        bytes: &[u8],
        canvas: (u32, u32),
        prepare: impl Future<Output = Result<Garment>>,
    ) -> Result<Arc<Garment>> {
        self.kept(&self.garments, bytes, canvas, prepare).await
    }

    /// The entry of `cache` for `bytes` and `canvas`, made by `prepare` (and counted) unless kept.
    async fn kept<T: Send + Sync + 'static>(
        &self,
        cache: &Cache<Slot, Arc<T>>,
        bytes: &[u8],
        canvas: (u32, u32),
        prepare: impl Future<Output = Result<T>>,
    ) -> Result<Arc<T>> {
        let slot = Slot {
            bytes: blake3::hash(bytes),
            canvas,
        };
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let counted = async {
            self.prepared.fetch_add(1, Ordering::Relaxed);
            prepare.await.map(Arc::new)
        };
        cache.try_get_with(slot, counted).await.map_err(unshare)
    }

    /// The [`InputHash`] of the upload `bytes`, computed by `hash` unless kept.
    pub(crate) async fn input_hash(
        &self,
        bytes: &[u8],
        hash: impl Future<Output = Result<InputHash>>,
    ) -> Result<InputHash> {
        self.hashes
            .try_get_with(blake3::hash(bytes), hash)
            .await
            .map_err(unshare)
    }

    /// Drops every kept input. An erasure request calls it: the memo cannot tell a photo's
    /// entries by its [`InputHash`] unless that was computed, and erasures are rare.
    pub(crate) fn clear(&self) {
        self.persons.invalidate_all();
        self.garments.invalidate_all();
        self.hashes.invalidate_all();
    }
}

/// The error of a shared preparation, for this caller.
fn unshare(error: Arc<Error>) -> Error {
    Error::clone(&error)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use image::Rgba;

    use super::*;

    fn garment(v: u8) -> Garment {
        Garment::new(RgbaImage::from_pixel(8, 8, Rgba([v, v, v, 255])))
    }

    #[tokio::test]
    async fn the_same_bytes_are_prepared_once_per_canvas_and_errors_are_not_kept() {
        let memo = PreparedInputs::new(1 << 20, Duration::from_secs(60));
        let made = AtomicU32::new(0);
        let prepare = |v: u8| {
            made.fetch_add(1, Ordering::SeqCst);
            async move { Ok(garment(v)) }
        };
        let a = memo.garment(b"photo-a", (8, 8), prepare(1)).await.unwrap();
        let again = memo.garment(b"photo-a", (8, 8), prepare(9)).await.unwrap();
        assert_eq!(again.digest, a.digest, "kept, not made again");
        let other_canvas = memo.garment(b"photo-a", (4, 4), prepare(2)).await.unwrap();
        assert_ne!(other_canvas.digest, a.digest);
        let failed = memo
            .garment(b"photo-b", (8, 8), async {
                Err(Error::invalid_input("not a garment"))
            })
            .await;
        assert!(matches!(failed, Err(Error::InvalidInput { .. })));
        let retried = memo.garment(b"photo-b", (8, 8), prepare(3)).await.unwrap();
        assert_eq!(retried.digest, garment(3).digest, "an error is not kept");
        assert_eq!(made.load(Ordering::SeqCst), 4);
        let stats = memo.stats();
        assert_eq!((stats.prepared, stats.reused), (4, 1));
    }

    #[tokio::test]
    async fn clearing_drops_what_was_kept() {
        let memo = PreparedInputs::new(1 << 20, Duration::from_secs(60));
        memo.garment(b"photo", (8, 8), async { Ok(garment(1)) })
            .await
            .unwrap();
        memo.clear();
        let remade = memo
            .garment(b"photo", (8, 8), async { Ok(garment(7)) })
            .await
            .unwrap();
        assert_eq!(remade.digest, garment(7).digest, "made again after clear");
    }
}
