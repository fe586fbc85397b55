//! The engine: runs a try-on through its stages.

use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use image::RgbaImage;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::budget::{Budget, SpendStats};
use crate::cache::{CacheStats, Caches, Found, Made};
use crate::config::EngineConfig;
use crate::error::{Error, Result};
use crate::key::{ContentKey, InputHash, KeyInputs};
use crate::landmarks::BodyLandmarks;
use crate::ledger::SpendLedger;
use crate::pipeline::{self, FinishedImage, Placement};
use crate::prepared::{Garment, Person, PreparedInputs};
use crate::provider::chain::{chain_names, settings_for};
use crate::provider::licence;
use crate::provider::throttle::Throttle;
use crate::provider::{
    PreparedGarment, ProviderAttempt, ProviderOutput, ProviderRegistry, ProviderRequest, Style,
    StyleProvider, StyleRequest, TryOnProvider, Usage,
};
use crate::request::{OutputOptions, TryOnRequest};
use crate::result::{
    CacheStatus, OutputImage, StageTimings, Thumbnail, TryOnResult, VariationResult,
};
use crate::store::{DeleteReport, GcReport, Provenance, ResultStore, SidecarInput};
use crate::validate::{self, Check, GarmentReference, PersonReference, Reference, check_names};

/// Builds an [`Engine`].
#[derive(Debug, Default)]
pub struct EngineBuilder {
    config: EngineConfig,
    registry: Option<ProviderRegistry>,
    provider: Option<Arc<dyn TryOnProvider>>,
    fallbacks: Vec<Arc<dyn TryOnProvider>>,
    style_provider: Option<Arc<dyn StyleProvider>>,
    store: Option<ResultStore>,
}

impl EngineBuilder {
    /// Uses this configuration (providers named in it are resolved at [`build`](Self::build)).
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }

    /// Resolves provider names with this registry instead of the built-in one.
    pub fn registry(mut self, registry: ProviderRegistry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Uses this try-on provider instead of the one named in the configuration.
    pub fn provider(self, provider: impl TryOnProvider + 'static) -> Self {
        self.shared_provider(Arc::new(provider))
    }

    /// Uses this shared try-on provider (e.g. to keep a handle on a mock for assertions).
    pub fn shared_provider(mut self, provider: Arc<dyn TryOnProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Adds a provider to try after the others of the chain (see [`crate::provider::chain`]).
    pub fn fallback_provider(mut self, provider: Arc<dyn TryOnProvider>) -> Self {
        self.fallbacks.push(provider);
        self
    }

    /// Uses this style provider instead of the one named in the configuration.
    pub fn style_provider(mut self, provider: Arc<dyn StyleProvider>) -> Self {
        self.style_provider = Some(provider);
        self
    }

    /// Keeps results in this store instead of the one the configuration names (e.g. one
    /// [`ResultStore::in_memory`] shared by several engines in a test).
    pub fn store(mut self, store: ResultStore) -> Self {
        self.store = Some(store);
        self
    }

    /// Validates the configuration, resolves the providers and builds the engine.
    pub fn build(self) -> Result<Engine> {
        self.config.validate()?;
        let registry = self
            .registry
            .unwrap_or_else(ProviderRegistry::with_builtins);
        // The chain: the given provider or the first one named, then the other names, then
        // the given fallbacks.
        let names = chain_names(&self.config.provider);
        let build = |position: usize| {
            let name = names[position];
            let settings = settings_for(
                name,
                position,
                &self.config.providers,
                &self.config.provider_settings,
            );
            registry.try_on(name, &settings)
        };
        let provider = match self.provider {
            Some(p) => p,
            None => build(0)?,
        };
        let mut fallbacks = (1..names.len()).map(build).collect::<Result<Vec<_>>>()?;
        fallbacks.extend(self.fallbacks);
        // Style variations are optional: a style provider that cannot be built (unknown name, no
        // key) fails only when variations are asked for, with its own error.
        let style_provider = match self.style_provider {
            Some(p) => Ok(p),
            None => registry.style(
                &self.config.style_provider,
                &self.config.style_provider_settings,
            ),
        };
        let commercial = self.config.commercial;
        for p in std::iter::once(&provider).chain(&fallbacks) {
            licence::check_commercial(commercial, "try-on provider", p.name(), &p.licence())?;
        }
        if let Ok(style) = &style_provider {
            licence::check_commercial(
                commercial,
                "style provider",
                style.name(),
                &style.licence(),
            )?;
        }
        let cpu = Semaphore::new(self.config.cpu_workers);
        let store = match self.store {
            Some(store) => Some(store),
            None => ResultStore::from_config(&self.config.store)?,
        };
        let budget = Budget::new(self.config.budget.clone(), SpendLedger::new(store.as_ref()));
        let caches = Caches::new(&self.config.cache, store)?;
        let inputs =
            PreparedInputs::new(self.config.cache.inputs_bytes, self.config.cache.inputs_ttl);
        let provider_calls = Arc::new(
            self.config
                .provider_calls
                .map_or_else(Throttle::unbounded, Throttle::new),
        );
        Ok(Engine {
            inner: Arc::new(Inner {
                config: self.config,
                provider,
                fallbacks,
                style_provider,
                provider_calls,
                budget,
                cpu,
                caches,
                inputs,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    config: EngineConfig,
    provider: Arc<dyn TryOnProvider>,
    /// The providers tried after `provider`, in order, when it fails in a way the fallback
    /// policy moves on after.
    fallbacks: Vec<Arc<dyn TryOnProvider>>,
    /// The style provider, or why it could not be built.
    style_provider: Result<Arc<dyn StyleProvider>>,
    /// Taken by every provider call (each attempt): the engine-wide `provider_calls` bound.
    provider_calls: Arc<Throttle>,
    /// The daily spend cap and the ledger every paid call is recorded in.
    budget: Budget,
    /// Bounds CPU-heavy image work so a burst of requests cannot exhaust memory or threads.
    cpu: Semaphore,
    /// Memory, shared and durable result layers.
    caches: Caches,
    /// Decoded, normalized inputs kept for the next request that uses the same photo.
    inputs: PreparedInputs,
}

/// The try-on engine. Cheap to clone; clones share providers and limits.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Inputs after decoding and normalization.
struct Prepared {
    person: Arc<Person>,
    garments: Vec<Arc<Garment>>,
}

impl Engine {
    /// Starts building an engine with the default configuration.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The try-on provider in use.
    pub fn provider(&self) -> &Arc<dyn TryOnProvider> {
        &self.inner.provider
    }

    /// The providers tried after [`Engine::provider`], in order (empty without a chain).
    pub fn fallback_providers(&self) -> &[Arc<dyn TryOnProvider>] {
        &self.inner.fallbacks
    }

    /// The style provider in use, if one is configured.
    pub fn style_provider(&self) -> Option<&Arc<dyn StyleProvider>> {
        self.inner.style_provider.as_ref().ok()
    }

    /// Makes no provider call from now on: requests waiting for a call slot, and every later
    /// request that would call a provider, fail with [`Error::Cancelled`]; calls already made
    /// finish and their results are kept. Cache hits are still answered. For a caller that is
    /// winding down (a batch stopping early) and does not want to pay for calls it will not use.
    pub fn stop_provider_calls(&self) {
        self.inner.provider_calls.close();
    }

    /// Runs CPU-heavy work on the blocking pool, bounded by the engine's CPU semaphore.
    async fn cpu<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .cpu
            .acquire()
            .await
            .map_err(|_| Error::Cancelled)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work)).await?
    }

    /// Dresses the person in the request's garments: with the provider, or down its fallback
    /// chain while a provider fails in a way [`FallbackPolicy`](crate::provider::FallbackPolicy)
    /// moves on after (each with its own retries and cache key). The result names the provider
    /// that answered and, in [`TryOnResult::fallbacks`], what each earlier one answered; when
    /// every provider fails, the last one's error is returned.
    pub async fn try_on(&self, request: TryOnRequest) -> Result<TryOnResult> {
        let mut earlier = Vec::new();
        let last = self.inner.fallbacks.len();
        let chain = std::iter::once(&self.inner.provider).chain(&self.inner.fallbacks);
        for (position, provider) in chain.enumerate() {
            let span = tracing::info_span!(
                "try_on",
                provider = provider.name(),
                model = provider.model(),
                garments = request.garments.len(),
            );
            match self
                .try_on_with(provider, request.clone(), &earlier)
                .instrument(span)
                .await
            {
                Ok(mut result) => {
                    result.fallbacks = earlier;
                    return Ok(result);
                }
                Err(err) if position < last && self.inner.config.fallback.moves_on(&err) => {
                    tracing::warn!(
                        provider = provider.name(),
                        error = %err,
                        "provider failed; trying the next one of the chain"
                    );
                    earlier.push(ProviderAttempt::failed(
                        provider.name(),
                        provider.model(),
                        &err,
                    ));
                }
                Err(err) => return Err(err),
            }
        }
        Err(Error::internal("a provider chain without providers"))
    }

    async fn try_on_with(
        &self,
        provider: &Arc<dyn TryOnProvider>,
        request: TryOnRequest,
        earlier: &[ProviderAttempt],
    ) -> Result<TryOnResult> {
        let started = Instant::now();
        let mut timings = StageTimings::default();
        request.validate()?;
        let caps = provider.capabilities();
        let categories: Vec<_> = request.garments.iter().map(|g| g.category).collect();
        caps.check(provider.name(), &categories, request.options.samples)?;

        let stage = Instant::now();
        let prepared = self.prepare(&request, caps.canvas).await?;
        timings.preprocess = stage.elapsed();

        let person_landmarks = request
            .person_landmarks
            .map(|mut landmarks| {
                landmarks.validate(prepared.person.original_size)?;
                Ok::<_, Error>(
                    landmarks.to_canvas(prepared.person.original_size, &prepared.person.placement),
                )
            })
            .transpose()?;

        let stage = Instant::now();
        // The output size is capped by the limits, so asking past the cap is the same try-on.
        let mut key_options = request.options.clone();
        key_options.output.long_edge = key_options
            .output
            .long_edge
            .min(self.inner.config.limits.max_output_dimension);
        let key = KeyInputs {
            provider: provider.name(),
            model: provider.model(),
            prompt_version: provider.prompt_version(),
            person: prepared.person.digest,
            garments: prepared
                .garments
                .iter()
                .zip(&request.garments)
                .map(|(g, input)| (g.digest, input.category))
                .collect(),
            person_landmarks: person_landmarks.as_ref(),
            options: &key_options,
        }
        .key();
        let key_time = stage.elapsed();

        // Memory → shared → store; on a miss the provider stage runs once for every concurrent
        // identical request, here and in other processes sharing Redis.
        let stage = Instant::now();
        let provider_request = ProviderRequest {
            person: prepared.person.canvas.clone(),
            garments: prepared
                .garments
                .iter()
                .zip(&request.garments)
                .map(|(g, input)| PreparedGarment {
                    image: g.image.clone(),
                    category: input.category,
                })
                .collect(),
            person_landmarks,
            seed: request.options.seed,
            samples: request.options.samples,
            quality: request.options.quality,
        };
        // A result that fails the quality checks leaves the cache layers as an error, so that no
        // layer keeps it (concurrent identical requests get the error); this request takes the
        // flagged result from `flagged` instead.
        let flagged = std::sync::Mutex::new(None);
        let found = self
            .inner
            .caches
            .get_or_make(&key, || async {
                let (made, failed) = self
                    .make(
                        provider,
                        provider_request,
                        caps.canvas,
                        &prepared,
                        &request,
                        &key,
                        earlier,
                    )
                    .await?;
                if failed.is_empty() {
                    return Ok(made);
                }
                let error = flagged_error(&failed);
                *flagged.lock().unwrap_or_else(|e| e.into_inner()) = Some((made, failed));
                Err(error)
            })
            .instrument(tracing::info_span!("cache", key = %key))
            .await;
        let in_cache = stage.elapsed();
        let found = match found {
            Ok(found) => Ok(found),
            Err(err) => match flagged.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some(flagged) => Err(flagged),
                None => return Err(err),
            },
        };
        let made_timings = match &found {
            Ok(found) if found.status == CacheStatus::Miss => Some(found.entry.origin.timings),
            Ok(_) => None,
            Err((made, _)) => Some(made.timings),
        };
        if let Some(made) = made_timings {
            timings.provider = made.provider;
            timings.validate = made.validate;
            timings.postprocess = made.postprocess;
            timings.store = made.store;
        }
        let elsewhere = timings.provider + timings.validate + timings.postprocess + timings.store;
        timings.cache = key_time + in_cache.saturating_sub(elsewhere);
        timings.total = started.elapsed();
        let result = match found {
            Ok(found) => result_from(key, found, timings),
            Err((made, failed)) => flagged_result(key, made, failed, timings),
        };
        if result.is_flagged() {
            tracing::warn!(
                key = %result.key,
                failed = %check_names(&result.failed_checks),
                "try-on failed quality checks; returned flagged, not cached"
            );
        }
        tracing::info!(
            key = %result.key,
            cache = ?result.cache,
            attempts = result.attempts,
            total_ms = result.timings.total.as_millis() as u64,
            "try-on done"
        );
        Ok(result)
    }

    /// The provider stage of a miss: the provider call (retried), the quality checks (with one
    /// more call under a new seed if they fail and the provider takes seeds) and postprocessing,
    /// with the inputs' hashes computed meanwhile for the result's sidecar (which records, as
    /// `fallback_after`, the providers of a chain that failed before this one). Returns the
    /// checks the kept images failed beside what was made.
    #[allow(clippy::too_many_arguments)]
    async fn make(
        &self,
        provider: &Arc<dyn TryOnProvider>,
        provider_request: ProviderRequest,
        canvas: (u32, u32),
        prepared: &Prepared,
        request: &TryOnRequest,
        key: &ContentKey,
        earlier: &[ProviderAttempt],
    ) -> Result<(Made, Vec<Check>)> {
        let mut timings = StageTimings::default();
        let placement = prepared.person.placement;
        let reference = self.try_on_reference(prepared, provider_request.person_landmarks);
        // Priced, and recorded, at the model the quality mode picks.
        let offer = provider.offer(provider_request.quality);
        let estimate = offer.usd_per_image * f64::from(provider_request.samples.max(1));
        let call = |seed: Option<u64>| {
            let provider = provider.clone();
            let inner = self.inner.clone();
            let mut request = provider_request.clone();
            request.seed = seed;
            let model = offer.model.clone();
            async move {
                let _slot = inner.provider_calls.acquire().await?;
                inner.budget.check(estimate).await?;
                let out = provider.try_on(request).await?;
                inner
                    .budget
                    .ledger()
                    .record(
                        provider.name(),
                        &model,
                        out.usage.estimated_cost_usd,
                        out.images.len(),
                    )
                    .await;
                Ok(out)
            }
            .instrument(tracing::info_span!("provider_call"))
        };
        let retry = Retry {
            seed: provider_request.seed,
            new_seed: new_seed(provider_request.seed, key.as_str()),
            allowed: provider.capabilities().supports_seed,
        };
        let stage = Instant::now();
        let (checked, inputs) = tokio::join!(
            self.generate_checked(call, retry, reference),
            self.sidecar_inputs(request)
        );
        let mut checked = checked?;
        if !earlier.is_empty()
            && let Ok(value) = serde_json::to_value(earlier)
        {
            checked.metadata.insert("fallback_after".to_owned(), value);
        }
        timings.validate = checked.validate_time;
        timings.provider = stage.elapsed().saturating_sub(checked.validate_time);

        let stage = Instant::now();
        let original = provider
            .capabilities()
            .pixel_aligned
            .then(|| provider_request.person.clone());
        let images = self
            .finish_all(
                checked.images,
                original,
                canvas,
                placement,
                &request.options.output,
            )
            .await?;
        timings.postprocess = stage.elapsed();

        let (inputs, uploads) = match inputs {
            Ok(inputs) => {
                let bytes = std::iter::once(request.person.clone())
                    .chain(request.garments.iter().map(|g| g.image.clone()));
                let uploads = inputs.iter().map(|i| i.hash.clone()).zip(bytes).collect();
                (inputs, uploads)
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot hash the inputs; the result is kept in memory only");
                (Vec::new(), Vec::new())
            }
        };
        let made = Made {
            images,
            provenance: Provenance {
                provider: provider.name().to_owned(),
                model: provider.model().to_owned(),
                prompt_version: provider.prompt_version().to_owned(),
                inputs,
                metadata: checked.metadata,
            },
            uploads,
            attempts: checked.attempts,
            usage: checked.usage,
            timings,
        };
        Ok((made, checked.failed))
    }

    /// The inputs of `request` as a result's sidecar records them: the person, then each garment
    /// with its category, by [`InputHash`] (computed on the CPU pool unless kept from an earlier
    /// request). Applications that store images made from a request themselves (see
    /// [`Sidecar::describe`](crate::store::Sidecar::describe)) record the same inputs, so deleting
    /// by input finds them too.
    pub async fn sidecar_inputs(&self, request: &TryOnRequest) -> Result<Vec<SidecarInput>> {
        let uploads =
            std::iter::once(&request.person).chain(request.garments.iter().map(|g| &g.image));
        let hashes = futures::future::try_join_all(uploads.map(|bytes| {
            self.inner
                .inputs
                .input_hash(bytes, self.input_hash(bytes.clone()))
        }))
        .await?;
        let roles = std::iter::once(("person", None)).chain(
            request
                .garments
                .iter()
                .map(|g| ("garment", Some(g.category))),
        );
        Ok(roles
            .zip(hashes)
            .map(|((role, category), hash)| SidecarInput {
                role: role.to_owned(),
                category,
                hash,
            })
            .collect())
    }

    /// The [`InputHash`] of an uploaded photo, as the engine records it in result sidecars
    /// (see [`crate::input_hash`]), computed on the engine's CPU pool with its limits.
    pub async fn input_hash(&self, bytes: bytes::Bytes) -> Result<InputHash> {
        let limits = self.inner.config.limits;
        self.cpu(move || crate::key::input_hash(&bytes, &limits))
            .await
    }

    /// A result already made for `key`, from memory, the shared cache or the store, without
    /// calling the provider; `None` if no layer has it.
    pub async fn cached(&self, key: &ContentKey) -> Option<TryOnResult> {
        let started = Instant::now();
        let found = self.inner.caches.lookup(key).await?;
        let elapsed = started.elapsed();
        let timings = StageTimings {
            cache: elapsed,
            total: elapsed,
            ..StageTimings::default()
        };
        Some(result_from(key.clone(), found, timings))
    }

    /// Counters of the cache layers (hits, misses, coalesced, stored, errors per layer), the
    /// outcome of every request so far, the hit rate, and the prepared inputs reused.
    pub async fn cache_stats(&self) -> CacheStats {
        let mut stats = self.inner.caches.stats().await;
        stats.inputs = self.inner.inputs.stats();
        stats
    }

    /// What this process's provider calls cost today and how many calls a spend cap refused.
    pub fn spend_stats(&self) -> SpendStats {
        self.inner.budget.stats()
    }

    /// The spend ledger every paid provider call is recorded in.
    pub fn ledger(&self) -> &SpendLedger {
        self.inner.budget.ledger()
    }

    /// The durable result store, if one is configured.
    pub fn store(&self) -> Option<&ResultStore> {
        self.inner.caches.store()
    }

    /// Deletes results older than `older_than` from the store (and drops them from memory and
    /// Redis), with partial writes and kept uploads past the same age; `dry_run` only reports.
    /// Fails with [`Error::Config`] when no store is configured.
    pub async fn gc(&self, older_than: Duration, dry_run: bool) -> Result<GcReport> {
        self.inner.caches.gc(older_than, dry_run).await
    }

    /// Deletes everything derived from one input photo (an erasure request): every result made
    /// from it in every layer, and the kept upload. Get the hash with [`Engine::input_hash`]
    /// from the photo, or from a sidecar. `dry_run` only reports.
    pub async fn delete_derived_from(
        &self,
        input: &InputHash,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        if !dry_run {
            self.inner.inputs.clear();
        }
        self.inner.caches.delete_derived_from(input, dry_run).await
    }

    /// Decodes and normalizes the person and every garment, in parallel on the CPU pool, unless
    /// kept from an earlier request with the same photo.
    async fn prepare(&self, request: &TryOnRequest, canvas: (u32, u32)) -> Result<Prepared> {
        let limits = self.inner.config.limits;
        let background = self.inner.config.person_background;
        let person_bytes = request.person.clone();
        let person = self.inner.inputs.person(
            &request.person,
            canvas,
            self.cpu(move || {
                let prepared = pipeline::prepare_person(&person_bytes, &limits, canvas, background)
                    .map_err(|e| describe_input("person photo", e))?;
                Ok(Person::new(
                    prepared.canvas,
                    prepared.placement,
                    prepared.original_size,
                ))
            }),
        );
        let garments = futures::future::try_join_all(request.garments.iter().enumerate().map(
            |(i, garment)| {
                let bytes = garment.image.clone();
                self.inner.inputs.garment(
                    &garment.image,
                    canvas,
                    self.cpu(move || {
                        pipeline::prepare_garment(&bytes, &limits, canvas)
                            .map(Garment::new)
                            .map_err(|e| describe_input(&format!("garment {}", i + 1), e))
                    }),
                )
            },
        ));
        let (person, garments) = tokio::join!(person, garments);
        Ok(Prepared {
            person: person?,
            garments: garments?,
        })
    }

    /// Post-processes every (decoded, checked) provider image.
    /// With `original` (the canvas sent to a pixel-aligned provider), the pixels each image did
    /// not change are first restored from it (see [`pipeline::restore`]).
    async fn finish_all(
        &self,
        images: Vec<RgbaImage>,
        original: Option<Arc<RgbaImage>>,
        canvas: (u32, u32),
        placement: Placement,
        options: &OutputOptions,
    ) -> Result<Vec<OutputImage>> {
        let limits = self.inner.config.limits;
        let jobs = images.into_iter().map(|mut pixels| {
            let options = options.clone();
            let engine = self.clone();
            let original = original.clone();
            async move {
                engine
                    .cpu(move || {
                        if let Some(original) = original
                            && let Some(restored) =
                                pipeline::restore_unchanged(&mut pixels, &original)
                        {
                            tracing::debug!(
                                changed = restored.changed,
                                shift = ?restored.shift,
                                "restored the unchanged pixels from the input"
                            );
                        }
                        let finished =
                            pipeline::finish(&pixels, canvas, &placement, &options, &limits)?;
                        Ok(output_image(finished))
                    })
                    .await
            }
        });
        futures::future::try_join_all(jobs).await
    }

    /// Makes style variations (scene, colour, background) of a finished try-on image.
    pub async fn variations(
        &self,
        image: bytes::Bytes,
        style: Style,
        samples: u8,
        output: OutputOptions,
    ) -> Result<VariationResult> {
        let provider = self.inner.style_provider.clone()?;
        let span =
            tracing::info_span!("variations", provider = provider.name(), style = %style.slug());
        async move {
            let started = Instant::now();
            let mut timings = StageTimings::default();
            if samples == 0 {
                return Err(Error::invalid_input("samples must be at least 1"));
            }
            let caps = provider.capabilities();
            if samples > caps.max_samples {
                return Err(Error::NotSupported {
                    provider: provider.name().to_owned(),
                    detail: format!("{samples} samples requested, at most {}", caps.max_samples),
                });
            }
            let limits = self.inner.config.limits;
            let stage = Instant::now();
            let pixels: RgbaImage = self
                .cpu(move || {
                    pipeline::decode(&image, &limits).map_err(|e| describe_input("input image", e))
                })
                .await?;
            timings.preprocess = stage.elapsed();
            let canvas = pixels.dimensions();
            let placement = Placement {
                x: 0,
                y: 0,
                width: canvas.0,
                height: canvas.1,
            };
            // A variation gets the checks that apply to any image: decode, size, not blank.
            let reference = self
                .inner
                .config
                .validation
                .enabled
                .then(|| Arc::new(Reference::style(canvas, caps.canvas)));
            let retry = Retry {
                seed: None,
                new_seed: new_seed(None, &style.slug()),
                allowed: caps.supports_seed,
            };
            let request = StyleRequest {
                image: Arc::new(pixels),
                style,
                samples,
                seed: None,
            };
            let estimate = provider.capabilities().cost_per_image_usd * f64::from(samples.max(1));
            let call = |seed: Option<u64>| {
                let provider = provider.clone();
                let inner = self.inner.clone();
                let mut request = request.clone();
                request.seed = seed;
                async move {
                    let _slot = inner.provider_calls.acquire().await?;
                    inner.budget.check(estimate).await?;
                    let out = provider.stylize(request).await?;
                    inner
                        .budget
                        .ledger()
                        .record(
                            provider.name(),
                            provider.model(),
                            out.usage.estimated_cost_usd,
                            out.images.len(),
                        )
                        .await;
                    Ok(out)
                }
            };
            let stage = Instant::now();
            let checked = self
                .generate_checked(call, retry, async { Ok(reference) })
                .await?;
            timings.validate = checked.validate_time;
            timings.provider = stage.elapsed().saturating_sub(checked.validate_time);
            let stage = Instant::now();
            let original = caps.pixel_aligned.then(|| request.image.clone());
            let images = self
                .finish_all(checked.images, original, canvas, placement, &output)
                .await?;
            timings.postprocess = stage.elapsed();
            timings.total = started.elapsed();
            if !checked.failed.is_empty() {
                tracing::warn!(
                    failed = %check_names(&checked.failed),
                    "variations failed quality checks; returned flagged"
                );
            }
            Ok(VariationResult {
                images,
                provider: provider.name().to_owned(),
                model: provider.model().to_owned(),
                attempts: checked.attempts,
                timings,
                usage: checked.usage,
                failed_checks: checked.failed,
            })
        }
        .instrument(span)
        .await
    }
}

/// Prefixes an input error with which input it is about, keeping its kind.
fn describe_input(which: &str, error: Error) -> Error {
    match error {
        Error::InvalidInput { reason } => Error::InvalidInput {
            reason: format!("{which}: {reason}"),
        },
        Error::UnsupportedFormat { detail } => Error::UnsupportedFormat {
            detail: format!("{which}: {detail}"),
        },
        other => other,
    }
}

/// The caller's view of a result from the cache layers: provider accounting only for the request
/// that made it.
fn result_from(key: ContentKey, found: Found, timings: StageTimings) -> TryOnResult {
    let Found { entry, status } = found;
    let made_here = status == CacheStatus::Miss;
    TryOnResult {
        images: entry.images.clone(),
        key,
        provider: entry.sidecar.provider.clone(),
        model: entry.sidecar.model.clone(),
        attempts: if made_here { entry.origin.attempts } else { 0 },
        timings,
        cache: status,
        usage: if made_here {
            entry.origin.usage.clone()
        } else {
            Default::default()
        },
        metadata: entry.sidecar.metadata.clone(),
        // Only results that passed the checks enter the cache layers.
        failed_checks: Vec::new(),
        fallbacks: Vec::new(),
    }
}

/// The result of a miss whose images failed the quality checks: never kept by a cache layer.
fn flagged_result(
    key: ContentKey,
    made: Made,
    failed: Vec<Check>,
    timings: StageTimings,
) -> TryOnResult {
    TryOnResult {
        images: made.images,
        key,
        provider: made.provenance.provider,
        model: made.provenance.model,
        attempts: made.attempts,
        timings,
        cache: CacheStatus::Miss,
        usage: made.usage,
        metadata: made.provenance.metadata,
        failed_checks: failed,
        fallbacks: Vec::new(),
    }
}

/// What a concurrent identical request gets when the result it waited for was flagged.
fn flagged_error(failed: &[Check]) -> Error {
    Error::MalformedResponse {
        detail: format!(
            "the provider's output failed the quality checks ({}) and was not cached; try again",
            check_names(failed)
        ),
    }
}

/// A deterministic seed for the one retry after failed checks: from the caller's seed, or from
/// `salt` (the content key) when there was none, so the same inputs retry the same way.
fn new_seed(seed: Option<u64>, salt: &str) -> u64 {
    let hash = blake3::hash(format!("fitview-validation-retry:{seed:?}:{salt}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(bytes)
}

/// Whether and how a provider may be asked once more after its output failed the checks.
#[derive(Debug, Clone, Copy)]
struct Retry {
    /// The seed of the first call.
    seed: Option<u64>,
    /// The seed of the second call.
    new_seed: u64,
    /// Whether the provider takes seeds (otherwise there is no second call).
    allowed: bool,
}

/// A provider's answer after the quality checks.
struct Checked {
    images: Vec<RgbaImage>,
    /// The checks the images failed (empty when they passed).
    failed: Vec<Check>,
    usage: Usage,
    metadata: serde_json::Map<String, serde_json::Value>,
    /// Provider attempts, both calls and their retries together.
    attempts: u32,
    /// Time spent decoding and checking images.
    validate_time: Duration,
}

/// One answer, decoded and checked.
struct Inspected {
    images: Vec<RgbaImage>,
    failed: Vec<Check>,
    /// Why an image could not be decoded; such an answer cannot be returned at all.
    undecodable: Option<String>,
    usage: Usage,
    metadata: serde_json::Map<String, serde_json::Value>,
}

impl Inspected {
    /// Whether this answer is worse than `other`: undecodable first, then more failed checks.
    fn worse_than(&self, other: &Inspected) -> bool {
        match (&self.undecodable, &other.undecodable) {
            (Some(_), None) => true,
            (None, Some(_)) => false,
            _ => self.failed.len() > other.failed.len(),
        }
    }
}

fn add_usage(a: &Usage, b: &Usage) -> Usage {
    let sum = |x: Option<u64>, y: Option<u64>| match (x, y) {
        (Some(x), Some(y)) => Some(x + y),
        (x, y) => x.or(y),
    };
    Usage {
        input_tokens: sum(a.input_tokens, b.input_tokens),
        output_tokens: sum(a.output_tokens, b.output_tokens),
        estimated_cost_usd: a.estimated_cost_usd + b.estimated_cost_usd,
    }
}

impl Engine {
    /// What a try-on's output is checked against, made on the CPU pool while the provider works
    /// from the parts kept with the prepared inputs (the person's, the garments'), each made once
    /// per photo; `None` when the checks are disabled.
    async fn try_on_reference(
        &self,
        prepared: &Prepared,
        landmarks: Option<BodyLandmarks>,
    ) -> Result<Option<Arc<Reference>>> {
        if !self.inner.config.validation.enabled {
            return Ok(None);
        }
        let person = &prepared.person;
        let person_reference = person.reference(landmarks, || {
            let (canvas, placement) = (person.canvas.clone(), person.placement);
            self.cpu(move || {
                Ok(PersonReference::new(
                    &canvas,
                    &placement,
                    landmarks.as_ref(),
                ))
            })
        });
        let garment_references =
            futures::future::try_join_all(prepared.garments.iter().map(|garment| {
                let image = garment.image.clone();
                garment.reference(self.cpu(move || Ok(GarmentReference::new(&image))))
            }));
        let (person_reference, garment_references) =
            tokio::join!(person_reference, garment_references);
        Ok(Some(Arc::new(Reference::try_on_of(
            person.canvas.dimensions(),
            person_reference?,
            garment_references?,
        ))))
    }

    /// Calls the provider (`call(seed)`, under the retry policy) and checks its images against
    /// the reference; when they fail and the provider takes seeds, calls it once more with a new
    /// seed and keeps the better answer (the first on a tie). The checks the kept images failed
    /// come back with them; an answer that cannot be decoded is a malformed response.
    async fn generate_checked<F, Fut, R>(
        &self,
        call: F,
        retry: Retry,
        reference: R,
    ) -> Result<Checked>
    where
        F: Fn(Option<u64>) -> Fut,
        Fut: Future<Output = Result<ProviderOutput>>,
        R: Future<Output = Result<Option<Arc<Reference>>>>,
    {
        let policy = &self.inner.config.retry;
        let (first, reference) = tokio::join!(policy.run(|| call(retry.seed)), reference);
        let reference = reference?;
        let mut attempts = first.attempts;
        let mut validate_time = Duration::ZERO;
        let stage = Instant::now();
        let mut kept = self.inspect(first.result?, reference.clone()).await?;
        validate_time += stage.elapsed();
        let failed = !kept.failed.is_empty() || kept.undecodable.is_some();
        if failed && retry.allowed && reference.is_some() {
            tracing::warn!(
                failed = %check_names(&kept.failed),
                "provider output failed quality checks; asking once more with a new seed"
            );
            let second = policy.run(|| call(Some(retry.new_seed))).await;
            attempts += second.attempts;
            let second = match second.result {
                Ok(output) => {
                    let stage = Instant::now();
                    let inspected = self.inspect(output, reference).await;
                    validate_time += stage.elapsed();
                    inspected
                }
                Err(err) => Err(err),
            };
            match second {
                Ok(mut second) => {
                    let usage = add_usage(&kept.usage, &second.usage);
                    if kept.worse_than(&second) {
                        std::mem::swap(&mut kept, &mut second);
                    }
                    kept.usage = usage;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the second call failed; keeping the first answer");
                }
            }
        }
        if let Some(detail) = kept.undecodable {
            return Err(Error::MalformedResponse { detail });
        }
        Ok(Checked {
            images: kept.images,
            failed: kept.failed,
            usage: kept.usage,
            metadata: kept.metadata,
            attempts,
            validate_time,
        })
    }

    /// Decodes every image of an answer (the pipeline's one decode path, with the engine's
    /// limits) and, with a reference, runs the quality checks on it, on the CPU pool.
    async fn inspect(
        &self,
        output: ProviderOutput,
        reference: Option<Arc<Reference>>,
    ) -> Result<Inspected> {
        let ProviderOutput {
            images,
            usage,
            metadata,
        } = output;
        if images.is_empty() {
            return Err(Error::MalformedResponse {
                detail: "the provider returned no image".to_owned(),
            });
        }
        let limits = self.inner.config.limits;
        let jobs = images.into_iter().enumerate().map(|(index, generated)| {
            let engine = self.clone();
            let reference = reference.clone();
            let config = self.inner.config.validation.clone();
            async move {
                engine
                    .cpu(move || {
                        let (pixels, mut failed) = match validate::decode(generated, &limits) {
                            Ok(pixels) => {
                                let failed = match &reference {
                                    Some(r) => {
                                        validate::failed(validate::check(&pixels, r, &config))
                                    }
                                    None => Vec::new(),
                                };
                                (Some(pixels), failed)
                            }
                            Err(check) => (None, vec![check]),
                        };
                        for check in &mut failed {
                            check.image = index;
                        }
                        Ok((pixels, failed))
                    })
                    .await
            }
        });
        let mut inspected = Inspected {
            images: Vec::new(),
            failed: Vec::new(),
            undecodable: None,
            usage,
            metadata,
        };
        for (pixels, failed) in futures::future::try_join_all(jobs).await? {
            match pixels {
                Some(pixels) => inspected.images.push(pixels),
                None => {
                    let detail = failed.first().and_then(|c| c.detail.clone());
                    inspected.undecodable = inspected.undecodable.or(detail);
                }
            }
            inspected.failed.extend(failed);
        }
        Ok(inspected)
    }
}

fn output_image(finished: FinishedImage) -> OutputImage {
    let FinishedImage { image, thumbnails } = finished;
    OutputImage {
        width: image.width,
        height: image.height,
        format: image.format,
        bytes: image.bytes,
        thumbnails: thumbnails
            .into_iter()
            .map(|t| Thumbnail {
                width: t.width,
                height: t.height,
                bytes: t.bytes,
            })
            .collect(),
    }
}
