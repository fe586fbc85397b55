//! What every handler shares: configuration, database pool, engine, files, keys, limiters,
//! metrics, the try-on queue and the result cache.

use std::ops::Deref;
use std::sync::Arc;

use fitview_engine::Engine;
use sqlx::AnyPool;

use crate::auth::jwt::JwtKeys;
use crate::auth::{Role, password};
use crate::cache::ResultCache;
use crate::config::ServerConfig;
use crate::db;
use crate::files::Files;
use crate::jobs::{DirectSlots, JobQueue};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;

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
    /// Image files.
    pub files: Files,
    /// Access token keys.
    pub jwt: JwtKeys,
    /// Login attempts per IP and account.
    pub login_limiter: RateLimiter,
    /// Registrations per IP.
    pub register_limiter: RateLimiter,
    /// Try-ons per user.
    pub tryon_limiter: RateLimiter,
    /// Metrics.
    pub metrics: Metrics,
    /// The try-on queue.
    pub jobs: JobQueue,
    /// Slots for provider work done inside requests (uploads, variations).
    pub direct_work: DirectSlots,
    /// Finished results.
    pub cache: ResultCache,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// Opens the data directory and database, builds the engine from `config.engine` and starts
    /// the try-on workers.
    pub async fn new(config: ServerConfig) -> Result<Self, StartError> {
        let engine = Engine::builder().config(config.engine.clone()).build()?;
        Self::with_engine(config, engine).await
    }

    /// Like [`new`](Self::new) with a ready engine (tests pass one with a mock provider).
    pub async fn with_engine(config: ServerConfig, engine: Engine) -> Result<Self, StartError> {
        tokio::fs::create_dir_all(&config.data_dir).await?;
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
        let files = Files::new(&config.data_dir);
        files.init().await?;
        let db = db::connect(&config.database_url()).await?;
        let state = AppState {
            inner: Arc::new(Inner {
                jwt: JwtKeys::new(&secret, &config.tokens),
                login_limiter: RateLimiter::per_minute(config.rate_limits.login_per_minute),
                register_limiter: RateLimiter::per_minute(config.rate_limits.register_per_minute),
                tryon_limiter: RateLimiter::per_minute(config.rate_limits.tryon_per_minute),
                metrics: Metrics::default(),
                jobs: JobQueue::new(config.limits.queue_capacity),
                direct_work: DirectSlots::new(config.limits.workers),
                cache: ResultCache::default(),
                files,
                db,
                engine,
                config,
            }),
        };
        if let Some(admin) = state.config.bootstrap_admin.clone() {
            ensure_admin(&state, &admin.email, &admin.password).await?;
        }
        state.jobs.start(&state, state.config.limits.workers);
        Ok(state)
    }

    /// Stops accepting try-ons and waits for the accepted ones to finish.
    pub async fn shutdown(&self) {
        self.jobs.close_and_drain().await;
    }
}

async fn ensure_admin(state: &AppState, email: &str, password: &str) -> Result<(), StartError> {
    let email = email.trim().to_lowercase();
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
        password_hash: password::hash(password.to_owned()).await?,
        role: Role::Admin.as_str().to_owned(),
        display_name: Some("Administrator".to_owned()),
        disabled: 0,
        created_at: db::now(),
    };
    db::users::insert(&state.db, &user).await?;
    Ok(())
}
