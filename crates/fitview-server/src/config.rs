//! Everything an operator tunes in the server, with safe defaults, and the flags that set it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fitview_engine::EngineConfig;

/// Request, body and queue limits.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Largest JSON body, in bytes.
    pub max_json_bytes: usize,
    /// Largest multipart upload (one image plus its fields), in bytes.
    pub max_upload_bytes: usize,
    /// Every request not waiting for a try-on must finish within this.
    pub request_timeout: Duration,
    /// Longest a `POST /api/v1/tryon` may wait for its result (`wait_ms` is capped to it).
    pub max_tryon_wait: Duration,
    /// Try-on jobs waiting for a worker; when full the server answers 503.
    pub queue_capacity: usize,
    /// Try-on jobs running at once.
    pub workers: usize,
    /// Largest page of a listing.
    pub max_page_size: u32,
    /// A connection must send a request's whole header within this, counted from when it opens
    /// or its previous answer went out; an idle or slow connection is closed after it.
    pub header_read_timeout: Duration,
    /// Connections open at once from one client IP; more are closed as they arrive.
    pub max_connections_per_ip: usize,
    /// Password hashes (Argon2id, 19 MiB each) computed at once; the bound of their memory.
    pub password_hashes: usize,
    /// Longest a login or registration waits for a password hash slot before a 503.
    pub password_queue_timeout: Duration,
    /// How often a job's status stream looks at the database when no word of a change came
    /// (word comes at once from this server, and from every server with Redis).
    pub status_recheck: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_json_bytes: 64 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            max_tryon_wait: Duration::from_secs(30),
            queue_capacity: 64,
            workers: 2,
            max_page_size: 100,
            header_read_timeout: Duration::from_secs(10),
            max_connections_per_ip: 64,
            password_hashes: std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8),
            password_queue_timeout: Duration::from_secs(3),
            status_recheck: Duration::from_secs(2),
        }
    }
}

/// Rate limits, in events per minute per key.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Login attempts per minute per account (whichever identifier is typed; for an unknown
    /// identifier, per identifier).
    pub login_per_minute: u32,
    /// Login attempts per minute per client IP, whatever the accounts.
    pub login_per_ip_per_minute: u32,
    /// Try-on requests per minute per user.
    pub tryon_per_minute: u32,
    /// Registrations per minute per client IP.
    pub register_per_minute: u32,
    /// Try-on feedback posts per minute per user (answered or refused alike).
    pub feedback_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_minute: 5,
            login_per_ip_per_minute: 30,
            tryon_per_minute: 10,
            register_per_minute: 10,
            feedback_per_minute: 20,
        }
    }
}

/// The analytics buffer and cache.
#[derive(Debug, Clone)]
pub struct AnalyticsSettings {
    /// The buffer is flushed at least this often.
    pub flush_interval: Duration,
    /// The buffer is flushed as soon as this many events wait.
    pub flush_events: usize,
    /// Events the buffer holds at most; beyond, clients get 429 and server events are shed.
    pub max_buffered: usize,
    /// Events per `POST /api/v1/events`.
    pub max_batch: usize,
    /// Largest body of a `POST /api/v1/events`, in bytes.
    pub max_batch_bytes: usize,
    /// How long a retailer's figures are cached (a flush drops them sooner).
    pub cache_ttl: Duration,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_secs(5 * 60),
            flush_events: 100,
            max_buffered: 50_000,
            max_batch: 500,
            max_batch_bytes: 1024 * 1024,
            cache_ttl: Duration::from_secs(30 * 60),
        }
    }
}

/// Token settings.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// The `iss` claim written and required.
    pub issuer: String,
    /// The `aud` claim written and required.
    pub audience: String,
    /// Lifetime of an access token.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "fitview".to_owned(),
            audience: "fitview-api".to_owned(),
            access_ttl: Duration::from_secs(10 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// An administrator account created at start when it does not exist yet.
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    /// Its email.
    pub email: String,
    /// Its password.
    pub password: String,
}

/// A certificate chain and its private key, as PEM files, for serving HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The whole server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Directory for the SQLite database, uploads, results and the generated JWT secret.
    pub data_dir: PathBuf,
    /// Database URL; `None` means `sqlite://<data_dir>/fitview.db?mode=rwc`.
    pub database_url: Option<String>,
    /// Secret for signing access tokens; `None` reads or creates `<data_dir>/jwt-secret`.
    pub jwt_secret: Option<String>,
    /// Token settings.
    pub tokens: TokenSettings,
    /// Limits.
    pub limits: ServerLimits,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// The analytics buffer and cache.
    pub analytics: AnalyticsSettings,
    /// The engine's configuration (provider, decode limits, ...), with the result store
    /// (`store.url`) and the Redis URL (`cache.redis_url`) the server uses too.
    pub engine: EngineConfig,
    /// Administrator created at start if missing.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// Serve HTTPS with these files; plain HTTP (e.g. behind a TLS proxy) when `None`.
    pub tls: Option<TlsFiles>,
    /// The durable job queue: lease, attempts, backoff.
    pub queue: crate::queue::QueueSettings,
    /// Seed the demo shop at start (see [`crate::demo`]).
    pub demo: bool,
    /// How often every retailer's recommendation models are rebuilt.
    pub recommend_refresh: crate::recommend::RefreshInterval,
    /// Webhook deliveries: where they may go, retries, timeouts.
    pub webhooks: crate::webhooks::WebhookSettings,
    /// The daily cap on provider spend for each retailer's catalog, in US dollars, where the
    /// retailer has none of its own (`None`: no cap); see [`crate::spend`].
    pub retailer_daily_budget_usd: Option<f64>,
}

impl ServerConfig {
    /// Defaults with this data directory, listening on loopback port 8080.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            jwt_secret: None,
            tokens: TokenSettings::default(),
            limits: ServerLimits::default(),
            rate_limits: RateLimits::default(),
            analytics: AnalyticsSettings::default(),
            engine: EngineConfig::default(),
            bootstrap_admin: None,
            tls: None,
            queue: crate::queue::QueueSettings::default(),
            demo: false,
            recommend_refresh: crate::recommend::RefreshInterval::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
            retailer_daily_budget_usd: None,
        }
    }

    /// The result store in force: `engine.store.url` (e.g. `s3://bucket/prefix`), else the data
    /// directory itself (results under `<data_dir>/results/`). The server always keeps results
    /// in a store, so `none` there means the data directory too.
    pub fn store_url(&self) -> String {
        match self.engine.store.effective_url() {
            Some(url) => url.to_owned(),
            None => self.data_dir.to_string_lossy().into_owned(),
        }
    }

    /// The Redis shared by several servers, if any (`engine.cache.redis_url`): the rate limits
    /// and the engine's shared cache layer both use it.
    pub fn redis_url(&self) -> Option<&str> {
        self.engine.cache.effective_redis_url()
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.default_database().display()),
        }
    }

    /// The SQLite file used when no database URL is configured.
    pub fn default_database(&self) -> PathBuf {
        self.data_dir.join("fitview.db")
    }
}

/// Flags of `fitview serve` and `fitview-server` (each also read from a `FITVIEW_*` variable).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "FITVIEW_ADDR",
        default_value = "127.0.0.1:8080",
        value_name = "HOST:PORT"
    )]
    pub addr: SocketAddr,
    /// Data directory (database, images, generated secret).
    #[arg(
        long,
        env = "FITVIEW_DATA_DIR",
        default_value = "fitview-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
    /// Database URL (`sqlite://...` or `postgres://...`); default SQLite in the data directory.
    #[arg(long, env = "FITVIEW_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Try-on workers running at once.
    #[arg(long, env = "FITVIEW_WORKERS")]
    pub workers: Option<usize>,
    /// Try-on jobs waiting for a worker before the server answers 503.
    #[arg(long, env = "FITVIEW_QUEUE_CAPACITY")]
    pub queue_capacity: Option<usize>,
    /// Try-on requests per minute per user.
    #[arg(long, env = "FITVIEW_TRYON_PER_MINUTE")]
    pub tryon_per_minute: Option<u32>,
    /// Try-on feedback posts per minute per user.
    #[arg(long, env = "FITVIEW_FEEDBACK_PER_MINUTE")]
    pub feedback_per_minute: Option<u32>,
    /// Login attempts per minute per account.
    #[arg(long, env = "FITVIEW_LOGIN_PER_MINUTE")]
    pub login_per_minute: Option<u32>,
    /// Login attempts per minute per client IP, whatever the accounts.
    #[arg(long, env = "FITVIEW_LOGIN_PER_IP_PER_MINUTE")]
    pub login_per_ip_per_minute: Option<u32>,
    /// Registrations per minute per client IP.
    #[arg(long, env = "FITVIEW_REGISTER_PER_MINUTE")]
    pub register_per_minute: Option<u32>,
    /// Password hashes computed at once (19 MiB each; default: the cores, at most 8).
    #[arg(long, env = "FITVIEW_PASSWORD_HASHES")]
    pub password_hashes: Option<usize>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); plain HTTP without.
    #[arg(
        long,
        env = "FITVIEW_TLS_CERT",
        value_name = "PEM",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(
        long,
        env = "FITVIEW_TLS_KEY",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Seconds between flushes of the analytics buffer (default 300).
    #[arg(long, env = "FITVIEW_ANALYTICS_FLUSH_SECS", value_name = "SECS")]
    pub analytics_flush_secs: Option<u64>,
    /// Buffered analytics events that start a flush at once (default 100).
    #[arg(long, env = "FITVIEW_ANALYTICS_FLUSH_EVENTS", value_name = "N")]
    pub analytics_flush_events: Option<usize>,
    /// Seconds between rebuilds of every retailer's recommendation models, 10 to 86400
    /// (default 300; a changed catalogue is rebuilt sooner).
    #[arg(long, env = "FITVIEW_RECOMMEND_REFRESH_SECS", value_name = "SECS")]
    pub recommend_refresh_secs: Option<crate::recommend::RefreshInterval>,
    /// Seconds a worker's claim on a job lasts without a heartbeat: a dead server's jobs are
    /// taken over by another after at most this long.
    #[arg(long, env = "FITVIEW_JOB_LEASE_SECS", value_name = "SECS")]
    pub job_lease_secs: Option<u64>,
    /// Email of an administrator to create at start (with FITVIEW_ADMIN_PASSWORD).
    #[arg(long, env = "FITVIEW_ADMIN_EMAIL", value_name = "EMAIL")]
    pub admin_email: Option<String>,
    /// Password of that administrator.
    #[arg(
        long,
        env = "FITVIEW_ADMIN_PASSWORD",
        hide_env_values = true,
        hide = true
    )]
    pub admin_password: Option<String>,
    /// Seed a demo shop (a retailer with models and products) on first start.
    #[arg(long, env = "FITVIEW_DEMO")]
    pub demo: bool,
    /// Let webhook endpoints be on loopback or private networks and use plain http (tests and
    /// private deployments); without it only https on public addresses is allowed.
    #[arg(long, env = "FITVIEW_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// The shop is not a business (research, a classroom): allow providers whose licence is for
    /// research only. Without it the server is in commercial use and refuses them at start.
    #[arg(long, env = "FITVIEW_RESEARCH_USE")]
    pub research_use: bool,
    /// Daily cap on provider spend for each retailer's catalog, in US dollars, where an
    /// administrator set none for the retailer (default: no cap).
    #[arg(long, env = "FITVIEW_RETAILER_DAILY_BUDGET_USD", value_name = "USD",
        value_parser = parse_budget)]
    pub retailer_daily_budget_usd: Option<f64>,
}

/// A budget in US dollars: a number from 0 to a million.
fn parse_budget(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(usd) if usd.is_finite() && (0.0..=1e6).contains(&usd) => Ok(usd),
        _ => Err(format!(
            "{text:?} is not an amount from 0 to 1000000 US dollars"
        )),
    }
}

impl ServeArgs {
    /// Builds the configuration from these flags on top of the defaults and an engine config.
    pub fn into_config(self, engine: EngineConfig) -> ServerConfig {
        let mut config = ServerConfig::new(self.data_dir);
        config.addr = self.addr;
        config.database_url = self.database_url;
        config.jwt_secret = std::env::var("FITVIEW_JWT_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        config.engine = engine;
        // A shop serves a business: research-only providers are refused unless said otherwise.
        config.engine.commercial = !self.research_use;
        config.demo = self.demo;
        config.webhooks.allow_private = self.allow_private_webhooks;
        config.retailer_daily_budget_usd = self.retailer_daily_budget_usd;
        if let Some(workers) = self.workers {
            config.limits.workers = workers;
        }
        if let Some(capacity) = self.queue_capacity {
            config.limits.queue_capacity = capacity;
        }
        if let Some(n) = self.tryon_per_minute {
            config.rate_limits.tryon_per_minute = n;
        }
        if let Some(n) = self.feedback_per_minute {
            config.rate_limits.feedback_per_minute = n;
        }
        if let Some(secs) = self.job_lease_secs {
            config.queue.lease = Duration::from_secs(secs.max(1));
        }
        if let Some(n) = self.login_per_minute {
            config.rate_limits.login_per_minute = n;
        }
        if let Some(n) = self.login_per_ip_per_minute {
            config.rate_limits.login_per_ip_per_minute = n;
        }
        if let Some(n) = self.register_per_minute {
            config.rate_limits.register_per_minute = n;
        }
        if let Some(n) = self.password_hashes {
            config.limits.password_hashes = n;
        }
        if let Some(secs) = self.analytics_flush_secs {
            config.analytics.flush_interval = Duration::from_secs(secs.max(1));
        }
        if let Some(interval) = self.recommend_refresh_secs {
            config.recommend_refresh = interval;
        }
        if let Some(n) = self.analytics_flush_events {
            config.analytics.flush_events = n.max(1);
        }
        if let (Some(cert), Some(key)) = (self.tls_cert, self.tls_key) {
            config.tls = Some(TlsFiles { cert, key });
        }
        if let (Some(email), Some(password)) = (self.admin_email, self.admin_password) {
            config.bootstrap_admin = Some(BootstrapAdmin { email, password });
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Args {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config_of(flags: &[&str]) -> ServerConfig {
        let args =
            Args::try_parse_from(std::iter::once("fitview-server").chain(flags.iter().copied()))
                .unwrap_or_else(|e| panic!("{e}"));
        args.serve.into_config(EngineConfig::default())
    }

    #[test]
    fn a_server_is_in_commercial_use_unless_told_it_is_research() {
        assert!(config_of(&[]).engine.commercial);
        assert!(!config_of(&["--research-use"]).engine.commercial);
    }

    #[test]
    fn budgets_are_amounts_of_dollars() {
        let config = config_of(&["--retailer-daily-budget-usd", "12.5"]);
        assert_eq!(config.retailer_daily_budget_usd, Some(12.5));
        for bad in ["-1", "abc", "NaN", "2000000"] {
            let parsed =
                Args::try_parse_from(["fitview-server", "--retailer-daily-budget-usd", bad]);
            assert!(parsed.is_err(), "{bad}");
        }
    }
}
