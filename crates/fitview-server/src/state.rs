//! What every handler shares: configuration, database pool, engine, result images, uploads,
//! keys, limiters, metrics, the try-on queue and the result cache.

use std::ops::Deref;
use std::sync::Arc;

use fitview_engine::{Engine, EngineBuilder, ResultStore, StoreConfig};
use sqlx::AnyPool;

use crate::analytics::Analytics;
use crate::auth::account_check::AccountCheck;
use crate::auth::jwt::JwtKeys;
use crate::auth::{Role, password};
use crate::cache::ResultCache;
use crate::catalog_cache::CatalogCache;
use crate::config::ServerConfig;
use crate::db;
use crate::files::Files;
use crate::job_events::JobEvents;
use crate::jobs::{DirectSlots, JobQueue};
use crate::metrics::Metrics;
use crate::queue::{Clock, Dialect, Queue};
use crate::rate_limit::{Limiter, MemoryLimiter, Rate, RedisLimits};
use crate::recommend::Recommendations;
use crate::results::ResultImages;
use crate::web::session_store::SessionStore;
use crate::webhooks::Webhooks;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The data directory or secret file could not be used.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The engine could not be built.
    #[error("engine: {0}")]
    Engine(#[from] fitview_engine::Error),
    /// The TLS certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The bootstrap administrator could not be created.
    #[error("bootstrap administrator: {0}")]
    Admin(#[from] crate::error::ApiError),
    /// The accepted work could not be resumed.
    #[error("job queue: {0}")]
    Queue(#[from] crate::queue::QueueError),
    /// The demo shop could not be seeded.
    #[error("demo shop: {0}")]
    Demo(crate::error::ApiError),
}

/// The shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// The state's contents.
#[derive(Debug)]
pub struct Inner {
    /// The configuration in force.
    pub config: ServerConfig,
    /// The database pool.
    pub db: AnyPool,
    /// The try-on engine.
    pub engine: Engine,
    /// The engine of try-ons of uploaded photos (`POST /tryon/upload`): the same provider with
    /// no cache layer and no store, so nothing made from a shopper's photo outlives the request.
    pub ephemeral: Engine,
    /// Uploaded photos.
    pub files: Files,
    /// Result and variation images (the engine's result store).
    pub results: ResultImages,
    /// Access token keys.
    pub jwt: JwtKeys,
    /// Login attempts per account.
    pub login_limiter: Limiter,
    /// Login attempts per client IP.
    pub login_ip_limiter: Limiter,
    /// Password hashing, bounded.
    pub passwords: password::Hashing,
    /// The accounts behind access tokens, checked on every authenticated request.
    pub accounts: AccountCheck,
    /// Registrations per IP.
    pub register_limiter: Limiter,
    /// Try-ons per user.
    pub tryon_limiter: Limiter,
    /// Try-on feedback posts per user.
    pub feedback_limiter: Limiter,
    /// Metrics.
    pub metrics: Metrics,
    /// The try-on queue.
    pub jobs: JobQueue,
    /// Slots for provider work done inside requests (uploads, variations).
    pub direct_work: DirectSlots,
    /// Finished results.
    pub cache: ResultCache,
    /// Events, their buffer and the retailer's figures.
    pub analytics: Arc<Analytics>,
    /// Size and what-next models, rebuilt in the background.
    pub recommendations: Arc<Recommendations>,
    /// Retailers' webhook endpoints and the deliveries to them.
    pub webhooks: Arc<Webhooks>,
    /// Browser sessions.
    pub sessions: SessionStore,
    /// The shop pages' catalog reads.
    pub catalog: CatalogCache,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// Opens the data directory, result store and database, builds the engine from
    /// `config.engine` and starts the try-on workers.
    pub async fn new(config: ServerConfig) -> Result<Self, StartError> {
        let engine = Engine::builder().config(config.engine.clone());
        Self::with_engine(config, engine).await
    }

    /// Like [`new`](Self::new) with an engine to build (tests pass one with a mock provider):
    /// the server gives it its result store ([`ServerConfig::store_url`]) before building it,
    /// so that the engine stores results where the server serves them from.
    pub async fn with_engine(
        config: ServerConfig,
        engine: EngineBuilder,
    ) -> Result<Self, StartError> {
        tokio::fs::create_dir_all(&config.data_dir).await?;
        let sqlite_file = config
            .database_url
            .is_none()
            .then(|| config.default_database());
        crate::files::make_private(&config.data_dir, sqlite_file.as_deref())?;
        let secret = match &config.jwt_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                let dir = config.data_dir.clone();
                tokio::task::spawn_blocking(move || crate::secret::load_or_create(&dir))
                    .await
                    .map_err(|e| StartError::Config(e.to_string()))??
            }
        };
        if secret.len() < crate::secret::MIN_SECRET_BYTES {
            return Err(StartError::Config(format!(
                "the JWT secret must have at least {} bytes",
                crate::secret::MIN_SECRET_BYTES
            )));
        }
        let store = open_store(&config)?;
        let files = Files::new(store.objects().clone());
        let engine = engine.store(store.clone()).build()?;
        let ephemeral = ephemeral_engine(&engine)?;
        let metrics = Metrics::default();
        let limiters = Limiters::new(&config, &metrics)?;
        let db = db::connect(&config.database_url()).await?;
        let analytics = Analytics::new(
            db.clone(),
            config.analytics.clone(),
            metrics.analytics.clone(),
        );
        let queue = open_queue(&config, &db).await?;
        let job_events = match config.redis_url() {
            Some(url) => JobEvents::with_redis(url, &config.engine.cache.key_prefix)
                .map_err(|e| StartError::Config(format!("job events: Redis URL: {e}")))?,
            None => JobEvents::local(),
        };
        job_events.start();
        let catalog = CatalogCache::new(db.clone(), job_events.clone());
        catalog.start();
        let sessions = match config.redis_url() {
            Some(url) => SessionStore::redis(
                url,
                &config.engine.cache.key_prefix,
                config.engine.cache.redis_timeout,
            )
            .map_err(|e| StartError::Config(format!("sessions: Redis URL: {e}")))?,
            None => SessionStore::Database(db.clone()),
        };
        let webhooks = Webhooks::new(
            db.clone(),
            &queue,
            config.webhooks.clone(),
            metrics.webhooks.clone(),
        )
        .map_err(|e| StartError::Config(e.to_string()))?;
        let recommendations = Recommendations::new(
            db.clone(),
            config.recommend_refresh,
            metrics.recommendations.clone(),
        );
        let state = AppState {
            inner: Arc::new(Inner {
                jwt: JwtKeys::new(&secret, &config.tokens),
                login_limiter: limiters.login,
                login_ip_limiter: limiters.login_ip,
                accounts: AccountCheck::default(),
                passwords: password::Hashing::new(
                    config.limits.password_hashes,
                    config.limits.password_queue_timeout,
                ),
                register_limiter: limiters.register,
                tryon_limiter: limiters.tryon,
                feedback_limiter: limiters.feedback,
                metrics,
                results: ResultImages::new(store),
                jobs: JobQueue::new(queue, config.limits.queue_capacity, job_events),
                direct_work: DirectSlots::new(config.limits.workers),
                cache: ResultCache::default(),
                analytics,
                recommendations,
                webhooks: Arc::new(webhooks),
                sessions,
                catalog,
                files,
                db,
                engine,
                ephemeral,
                config,
            }),
        };
        if let Some(admin) = state.config.bootstrap_admin.clone() {
            ensure_admin(&state, &admin.email, &admin.password).await?;
        }
        state
            .jobs
            .start(&state, state.config.limits.workers)
            .await?;
        state.webhooks.start().await?;
        state.analytics.start();
        state.recommendations.start();
        Ok(state)
    }

    /// Stops claiming try-ons and waits for the running ones to finish (queued ones stay
    /// queued for the next start or another server), then flushes the analytics buffer (the
    /// try-ons' own events included).
    pub async fn shutdown(&self) {
        self.jobs.events().close();
        self.jobs.close_and_drain().await;
        self.webhooks.close().await;
        self.analytics.close().await;
        self.recommendations.close().await;
    }
}

/// The durable queue on the server's database, worked under the data directory's worker id.
async fn open_queue(config: &ServerConfig, db: &AnyPool) -> Result<Arc<Queue>, StartError> {
    let dir = config.data_dir.clone();
    let worker_id =
        tokio::task::spawn_blocking(move || crate::queue::identity::load_or_create(&dir))
            .await
            .map_err(|e| StartError::Config(e.to_string()))??;
    Ok(Arc::new(Queue::new(
        db.clone(),
        Dialect::of_url(&config.database_url()),
        worker_id,
        config.queue.clone(),
        Clock::System,
    )))
}

/// The server's result store: always one (the data directory unless configured), without the
/// engine's copies of uploads, which the server keeps itself under `<data_dir>/uploads`.
fn open_store(config: &ServerConfig) -> Result<ResultStore, StartError> {
    let store = StoreConfig {
        url: Some(config.store_url()),
        keep_inputs: false,
    };
    ResultStore::from_config(&store)?
        .ok_or_else(|| StartError::Config("no result store configured".to_owned()))
}

/// An engine like `engine` (its provider and settings) that keeps nothing: no result store, no
/// shared cache, no results or prepared inputs in memory.
fn ephemeral_engine(engine: &Engine) -> Result<Engine, StartError> {
    let mut config = engine.config().clone();
    config.store = StoreConfig::default();
    config.cache.redis_url = None;
    config.cache.memory_bytes = 0;
    config.cache.inputs_bytes = 0;
    Ok(Engine::builder()
        .config(config)
        .shared_provider(engine.provider().clone())
        .build()?)
}

/// The limits, in Redis when the configuration names one, else in memory.
struct Limiters {
    login: Limiter,
    login_ip: Limiter,
    register: Limiter,
    tryon: Limiter,
    feedback: Limiter,
}

impl Limiters {
    fn new(config: &ServerConfig, metrics: &Metrics) -> Result<Self, StartError> {
        let limits = &config.rate_limits;
        let rates = [
            ("login", limits.login_per_minute),
            ("login-ip", limits.login_per_ip_per_minute),
            ("register", limits.register_per_minute),
            ("tryon", limits.tryon_per_minute),
            ("feedback", limits.feedback_per_minute),
        ];
        let [login, login_ip, register, tryon, feedback] = match config.redis_url() {
            Some(url) => {
                let redis = RedisLimits::new(
                    url,
                    &config.engine.cache,
                    metrics.rate_limit_fallbacks.clone(),
                )
                .map_err(|e| StartError::Config(format!("rate limits: Redis URL: {e}")))?;
                rates.map(|(name, n)| Limiter::new(redis.limiter(name, Rate::per_minute(n))))
            }
            None => rates.map(|(_, n)| Limiter::new(MemoryLimiter::per_minute(n))),
        };
        Ok(Self {
            login,
            login_ip,
            register,
            tryon,
            feedback,
        })
    }
}

async fn ensure_admin(state: &AppState, email: &str, password: &str) -> Result<(), StartError> {
    let email = crate::auth::identifier::email(email)?;
    if db::users::find_by_login(&state.db, Some(&email), None)
        .await?
        .is_some()
    {
        return Ok(());
    }
    password::check_strength(password)?;
    let user = db::users::UserRow {
        id: db::new_id(),
        email: Some(email),
        phone: None,
        password_hash: state.passwords.hash(password.to_owned()).await?,
        role: Role::Admin.as_str().to_owned(),
        display_name: Some("Administrator".to_owned()),
        disabled: 0,
        created_at: db::now(),
    };
    db::users::insert(&state.db, &user).await?;
    Ok(())
}
