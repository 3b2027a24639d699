//! Every setting livedesk reads: environment variable, command-line flag and default.
//! The README's configuration table mirrors this file.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::http::client_addr::TrustedProxies;
use crate::rate_limit::Quota;
use crate::rate_limit::quota::QuotaSetting;

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    #[arg(long = "bind", env = "LIVEDESK_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// Folder for the SQLite database, the generated JWT secret and uploaded files.
    #[arg(long = "data-dir", env = "LIVEDESK_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://path/to/file.db` or `postgres://user@host/db`.
    /// Default: a SQLite file `livedesk.db` in the data folder.
    #[arg(long = "database-url", env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Maximum number of pooled database connections.
    #[arg(long = "db-pool-size", env = "LIVEDESK_DB_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub db_pool_size: u32,

    /// SQLite page cache of the whole pool, in MiB: each pooled connection gets an equal share,
    /// so the pool's cache memory stays within this however large the database grows.
    #[arg(long = "sqlite-cache-mib", env = "LIVEDESK_SQLITE_CACHE_MIB", default_value_t = crate::db::DEFAULT_SQLITE_CACHE_MIB,
          value_parser = clap::value_parser!(u32).range(1..=65_536), global = true)]
    pub sqlite_cache_mib: u32,

    /// Where SQLite's WAL checkpoints run: `background`, on a thread of their own, with the
    /// writer letting the WAL start over between two batches once it is large; `commit`,
    /// SQLite's automatic checkpoint inside the commit that fills the WAL past 1,000 pages (which
    /// then delays that commit's answers); or `writer`, on the group-commit writer after it has
    /// answered a batch (at most every 100 ms). BENCHMARKS.md compares them.
    #[arg(long = "sqlite-checkpoints", env = "LIVEDESK_SQLITE_CHECKPOINTS", value_enum,
          default_value_t = SqliteCheckpoints::Background, global = true)]
    pub sqlite_checkpoints: SqliteCheckpoints,

    /// Where SQLite's WAL is synced: `overlapped`, by a thread of its own after the commit while
    /// the writer runs the next batch (answers still wait for the sync); or `commit`, inside each
    /// commit (`synchronous = FULL`), so other connections never read a batch before it is durable.
    #[arg(long = "sqlite-wal-sync", env = "LIVEDESK_SQLITE_WAL_SYNC", value_enum,
          default_value_t = CommitSync::Overlapped, global = true)]
    pub sqlite_wal_sync: CommitSync,

    /// WAL size (MiB) at which, under load, the group-commit writer lets SQLite's WAL start over
    /// (`background` checkpoints). Each start-over pauses the writer for about two disk syncs,
    /// so a larger WAL means fewer pauses under sustained load; the WAL file keeps up to twice
    /// this size. Under light load the WAL starts over from 32 MiB, and an idle writer's WAL is
    /// emptied.
    #[arg(long = "sqlite-wal-restart-mib", env = "LIVEDESK_SQLITE_WAL_RESTART_MIB", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(32..=4096), global = true)]
    pub sqlite_wal_restart_mib: u32,

    /// Where PostgreSQL's group commits wait for their WAL flush: `overlapped`, the writer commits
    /// with `synchronous_commit = off` and a connection of its own waits for the flush while the
    /// writer runs the next batch (answers still wait for the flush); or `commit`, inside each
    /// commit, so other connections never read a batch before it is durable.
    #[arg(long = "postgres-commit-sync", env = "LIVEDESK_POSTGRES_COMMIT_SYNC", value_enum,
          default_value_t = CommitSync::Overlapped, global = true)]
    pub postgres_commit_sync: CommitSync,

    /// Secret that signs access tokens (at least 32 characters). If unset, one is generated
    /// on first start and kept in `<data dir>/jwt_secret` (mode 0600).
    #[arg(long = "jwt-secret", env = "LIVEDESK_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token, in seconds.
    #[arg(long = "access-token-ttl", env = "LIVEDESK_ACCESS_TOKEN_TTL", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(10..=86_400), global = true)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token, in seconds (each refresh issues a new one).
    #[arg(long = "refresh-token-ttl", env = "LIVEDESK_REFRESH_TOKEN_TTL", default_value_t = 2_592_000,
          value_parser = clap::value_parser!(u64).range(60..=31_536_000), global = true)]
    pub refresh_token_ttl_secs: u64,

    /// Log filter, in `tracing` env-filter syntax (e.g. `info`, `livedesk=debug`).
    #[arg(long = "log-level", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// Log format.
    #[arg(long = "log-format", env = "LIVEDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Origins allowed to call the operator API from a browser, comma-separated
    /// (e.g. `https://app.example.com`). The widget API accepts any origin.
    #[arg(long = "cors-origins", env = "LIVEDESK_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Largest accepted JSON request body, in bytes.
    #[arg(long = "body-limit", env = "LIVEDESK_BODY_LIMIT", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1024..=104_857_600), global = true)]
    pub body_limit: u64,

    /// Folder for uploaded files (attachments and avatars). Default: `files` in the data folder.
    #[arg(long = "files-dir", env = "LIVEDESK_FILES_DIR", global = true)]
    pub files_dir: Option<PathBuf>,

    /// Largest message attachment, in bytes (any type).
    #[arg(long = "attachment-max-bytes", env = "LIVEDESK_ATTACHMENT_MAX_BYTES", default_value_t = 2_097_152,
          value_parser = clap::value_parser!(u64).range(1..=1_073_741_824), global = true)]
    pub attachment_max_bytes: u64,

    /// Largest avatar picture, in bytes (JPEG or PNG).
    #[arg(long = "avatar-max-bytes", env = "LIVEDESK_AVATAR_MAX_BYTES", default_value_t = 5_242_880,
          value_parser = clap::value_parser!(u64).range(1..=1_073_741_824), global = true)]
    pub avatar_max_bytes: u64,

    /// Whether anyone may sign up and create a workspace through the API.
    #[arg(long = "signup-enabled", env = "LIVEDESK_SIGNUP_ENABLED", default_value_t = true,
          action = clap::ArgAction::Set, global = true)]
    pub signup_enabled: bool,

    /// Public base URL of this server, used in invite links, embed snippets and dialog links.
    /// Default: `http://<bind address>`.
    #[arg(long = "public-url", env = "LIVEDESK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Link to a dialog, for operators' apps: `{id}` and `{session_id}` are replaced.
    /// Default: `<public url>/api/v1/dialogs/{id}`.
    #[arg(long = "dialog-link-template", env = "LIVEDESK_DIALOG_LINK_TEMPLATE", global = true)]
    pub dialog_link_template: Option<String>,

    /// Script the embed snippet loads (the widget frontend). Default: `<public url>/widget.js`.
    #[arg(long = "widget-script-url", env = "LIVEDESK_WIDGET_SCRIPT_URL", global = true)]
    pub widget_script_url: Option<String>,

    /// Redis URL for fanning realtime events out across several nodes. Without it, events
    /// stay in this process.
    #[arg(long = "redis-url", env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// Redis pub/sub channel the nodes of one deployment share.
    #[arg(long = "redis-channel", env = "LIVEDESK_REDIS_CHANNEL", default_value = "livedesk:events", global = true)]
    pub redis_channel: String,

    /// Seconds between the server's WebSocket pings.
    #[arg(long = "ws-heartbeat", env = "LIVEDESK_WS_HEARTBEAT", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub ws_heartbeat_secs: u64,

    /// A socket that sends nothing (not even a pong) for this many seconds is closed (4002).
    #[arg(long = "ws-client-timeout", env = "LIVEDESK_WS_CLIENT_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(2..=86_400), global = true)]
    pub ws_client_timeout_secs: u64,

    /// Frames waiting for one socket; a client that falls further behind is closed (4008).
    #[arg(long = "ws-queue", env = "LIVEDESK_WS_QUEUE", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(8..=100_000), global = true)]
    pub ws_queue_capacity: u32,

    /// Seconds between checks that a connected socket's token is still valid.
    #[arg(long = "ws-revalidate", env = "LIVEDESK_WS_REVALIDATE", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub ws_revalidate_secs: u64,

    /// Days events stay in the log for catch-up; older positions get `resync_required`.
    #[arg(long = "event-retention-days", env = "LIVEDESK_EVENT_RETENTION_DAYS", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..=3650), global = true)]
    pub event_retention_days: u32,

    /// Positions of a workspace's event log a visitor's catch-up may span. A visitor resuming
    /// from further back gets `resync_required` and reloads its dialogs through REST: the
    /// catch-up reads the workspace's log in position order, so this bounds what it reads.
    #[arg(long = "visitor-replay-window", env = "LIVEDESK_VISITOR_REPLAY_WINDOW", default_value_t = 10_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000), global = true)]
    pub visitor_replay_window: i64,

    /// Milliseconds between runs of the dialog timer job (assignment of new dialogs, queue
    /// reminders and longest wait, idle hand-back, auto-close) and of the assignment offer job.
    #[arg(long = "timer-tick-ms", env = "LIVEDESK_TIMER_TICK_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000), global = true)]
    pub timer_tick_ms: u64,

    /// Most dialogs the timer job handles per run; the rest wait for the next run.
    #[arg(long = "timer-batch", env = "LIVEDESK_TIMER_BATCH", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=10_000), global = true)]
    pub timer_batch: u32,

    /// HTTP worker threads. Default: the number of CPU cores.
    #[arg(long = "workers", env = "LIVEDESK_WORKERS",
          value_parser = clap::value_parser!(u16).range(1..=256), global = true)]
    pub workers: Option<u16>,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long = "shutdown-timeout", env = "LIVEDESK_SHUTDOWN_TIMEOUT", default_value_t = 30, global = true)]
    pub shutdown_timeout_secs: u64,

    /// Proxies whose `X-Forwarded-For` is believed (IP addresses or CIDR ranges, comma-separated).
    /// Without them the client address is the connection's peer address.
    #[arg(long = "trusted-proxies", env = "LIVEDESK_TRUSTED_PROXIES", default_value = "", global = true)]
    pub trusted_proxies: TrustedProxies,

    /// `Strict-Transport-Security` max-age in seconds; 0 sends no HSTS header (set it when
    /// livedesk is reached over HTTPS only).
    #[arg(long = "hsts-max-age", env = "LIVEDESK_HSTS_MAX_AGE", default_value_t = 0, global = true)]
    pub hsts_max_age_secs: u64,

    /// Bearer token that `GET /metrics` requires. Unset: `/metrics` is off (404).
    #[arg(long = "metrics-token", env = "LIVEDESK_METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,

    #[command(flatten)]
    pub limits: RateLimits,

    #[command(flatten)]
    pub webhooks: WebhookSettings,
}

/// Outgoing webhook deliveries.
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Milliseconds between the delivery worker's checks for due retries (commits wake it
    /// at once).
    #[arg(long = "webhook-tick-ms", env = "LIVEDESK_WEBHOOK_TICK_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000), global = true)]
    pub tick_ms: u64,

    /// Seconds one delivery request may take (connect and answer) before it counts as failed.
    #[arg(long = "webhook-timeout", env = "LIVEDESK_WEBHOOK_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=120), global = true)]
    pub timeout_secs: u64,

    /// Delay before the first retry, in milliseconds; each further retry doubles it (with
    /// jitter) up to `--webhook-backoff-max`.
    #[arg(long = "webhook-backoff-base-ms", env = "LIVEDESK_WEBHOOK_BACKOFF_BASE_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000), global = true)]
    pub backoff_base_ms: u64,

    /// Longest delay between two retries, in seconds.
    #[arg(long = "webhook-backoff-max", env = "LIVEDESK_WEBHOOK_BACKOFF_MAX", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub backoff_max_secs: u64,

    /// Consecutive failed attempts after which a subscription is paused.
    #[arg(long = "webhook-pause-failures", env = "LIVEDESK_WEBHOOK_PAUSE_FAILURES", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=10_000), global = true)]
    pub pause_after_failures: u32,

    /// Hours of failing without a single success after which a subscription is paused.
    #[arg(long = "webhook-pause-hours", env = "LIVEDESK_WEBHOOK_PAUSE_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=720), global = true)]
    pub pause_after_hours: u32,

    /// Whether webhook URLs may point at loopback, private and link-local addresses. Turn it
    /// off when admins of untrusted workspaces can add webhooks (server-side request forgery).
    #[arg(long = "webhook-allow-private", env = "LIVEDESK_WEBHOOK_ALLOW_PRIVATE", default_value_t = true,
          action = clap::ArgAction::Set, global = true)]
    pub allow_private: bool,
}

/// Abuse limits, each `COUNT/SECONDS` (fixed windows aligned to the clock) or `off`.
#[derive(Debug, Clone, Args)]
pub struct RateLimits {
    /// Whether rate limits apply at all.
    #[arg(long = "rate-limits", env = "LIVEDESK_RATE_LIMITS", default_value_t = true,
          action = clap::ArgAction::Set, global = true)]
    pub enabled: bool,

    /// Sign-in attempts per account (email).
    #[arg(long = "limit-login-account", env = "LIVEDESK_LIMIT_LOGIN_ACCOUNT", default_value = "10/300", global = true)]
    pub login_account: QuotaSetting,

    /// Sign-up, sign-in and set-password attempts per client address.
    #[arg(long = "limit-auth-address", env = "LIVEDESK_LIMIT_AUTH_ADDRESS", default_value = "50/300", global = true)]
    pub auth_address: QuotaSetting,

    /// Visitor sessions started per client address and chat.
    #[arg(
        long = "limit-visitor-sessions",
        env = "LIVEDESK_LIMIT_VISITOR_SESSIONS",
        default_value = "30/60",
        global = true
    )]
    pub visitor_sessions: QuotaSetting,

    /// Messages per visitor.
    #[arg(
        long = "limit-visitor-messages",
        env = "LIVEDESK_LIMIT_VISITOR_MESSAGES",
        default_value = "30/60",
        global = true
    )]
    pub visitor_messages: QuotaSetting,

    /// Visitor messages per client address and workspace.
    #[arg(
        long = "limit-visitor-messages-address",
        env = "LIVEDESK_LIMIT_VISITOR_MESSAGES_ADDRESS",
        default_value = "300/60",
        global = true
    )]
    pub visitor_messages_address: QuotaSetting,

    /// Operator API requests per access token or API key.
    #[arg(
        long = "limit-operator-requests",
        env = "LIVEDESK_LIMIT_OPERATOR_REQUESTS",
        default_value = "1200/60",
        global = true
    )]
    pub operator_requests: QuotaSetting,

    /// Frames one WebSocket connection may send (a burst of COUNT, then COUNT per SECONDS).
    #[arg(long = "limit-socket-frames", env = "LIVEDESK_LIMIT_SOCKET_FRAMES", default_value = "60/10", global = true)]
    pub socket_frames: QuotaSetting,
}

impl RateLimits {
    /// The quota in effect: `None` when the limit or all limits are off.
    pub fn quota(&self, setting: &QuotaSetting) -> Option<Quota> {
        if self.enabled { setting.0 } else { None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteCheckpoints {
    Commit,
    Writer,
    Background,
}

/// Where a commit is made durable: by a thread of its own while the writer runs the next batch,
/// or inside the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommitSync {
    Overlapped,
    Commit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A setting that parsed but makes no sense; printed as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid {setting}: {reason}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        Self { setting, reason: reason.into() }
    }
}

const HTTP_SCHEMES: &[&str] = &["http://", "https://"];

fn has_scheme(value: &str, schemes: &[&str]) -> bool {
    schemes.iter().any(|scheme| value.starts_with(scheme))
}

/// A secret, when set, must be long enough not to be guessed.
fn check_min_length(setting: &'static str, value: &Option<String>, min: usize) -> Result<(), ConfigError> {
    match value {
        Some(secret) if secret.len() < min => {
            Err(ConfigError::new(setting, format!("must be at least {min} characters long")))
        }
        _ => Ok(()),
    }
}

/// A URL, when set, must start with one of `schemes`. The message leaves the URL out: it may
/// carry a password.
fn check_scheme(setting: &'static str, value: &Option<String>, schemes: &[&str]) -> Result<(), ConfigError> {
    match value {
        Some(url) if !has_scheme(url, schemes) => {
            Err(ConfigError::new(setting, format!("must start with {}", schemes.join(" or "))))
        }
        _ => Ok(()),
    }
}

impl Config {
    /// The database URL in effect: the configured one or the default SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("livedesk.db").display()),
        }
    }

    /// Public base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.bind),
        }
    }

    /// Where uploaded files are kept.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir.clone().unwrap_or_else(|| self.data_dir.join("files"))
    }

    pub fn dialog_link(&self, id: i64, session_id: &str) -> String {
        match &self.dialog_link_template {
            Some(t) => t.replace("{id}", &id.to_string()).replace("{session_id}", session_id),
            None => format!("{}/api/v1/dialogs/{id}", self.public_url()),
        }
    }

    pub fn widget_script_url(&self) -> String {
        self.widget_script_url.clone().unwrap_or_else(|| format!("{}/widget.js", self.public_url()))
    }

    /// Checks what clap cannot: relations and formats beyond a single value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        crate::db::DatabaseUrl::parse(&self.database_url())
            .map_err(|reason| ConfigError::new("DATABASE_URL", reason))?;
        check_min_length("LIVEDESK_JWT_SECRET", &self.jwt_secret, 32)?;
        check_min_length("LIVEDESK_METRICS_TOKEN", &self.metrics_token, 16)?;
        for origin in &self.cors_origins {
            let origin = origin.trim();
            if origin != "*" && !has_scheme(origin, HTTP_SCHEMES) {
                return Err(ConfigError::new(
                    "LIVEDESK_CORS_ORIGINS",
                    format!("'{origin}' is not an origin like https://app.example.com"),
                ));
            }
        }
        check_scheme("LIVEDESK_PUBLIC_URL", &self.public_url, HTTP_SCHEMES)?;
        check_scheme("REDIS_URL", &self.redis_url, &["redis://", "rediss://"])?;
        for (setting, value) in [
            ("LIVEDESK_DIALOG_LINK_TEMPLATE", &self.dialog_link_template),
            ("LIVEDESK_WIDGET_SCRIPT_URL", &self.widget_script_url),
        ] {
            if let Some(url) = value
                && !crate::validate::is_http_url(url)
            {
                return Err(ConfigError::new(setting, format!("'{url}' must be an http:// or https:// URL")));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .map_err(|e| ConfigError::new("RUST_LOG", e.to_string()))?;
        Ok(())
    }

    /// A configuration for tests and tools: defaults with the given data folder and database.
    pub fn for_data_dir(data_dir: PathBuf, database_url: Option<String>) -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        // Parse an empty argument list so defaults come from one place; the settings that
        // would make callers share state are then reset below.
        let mut config = Only::try_parse_from(["livedesk"]).map(|o| o.config).expect("defaults parse");
        config.data_dir = data_dir;
        config.database_url = database_url;
        config.jwt_secret = None;
        config.cors_origins = Vec::new();
        config.public_url = None;
        config.files_dir = None;
        config.redis_url = None;
        config.dialog_link_template = None;
        config.widget_script_url = None;
        config.signup_enabled = true;
        config.metrics_token = None;
        config.trusted_proxies = TrustedProxies::default();
        config
    }
}
