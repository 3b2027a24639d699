//! Builds the application: state (database, migrations, keys) and the HTTP server.
//! Used by `livedesk serve`, the tests and the load generator.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::auth::jwt::{self, JwtKeys};
use crate::config::Config;
use crate::db::checkpoint::WalBudget;
use crate::db::group_commit::GroupCommit;
use crate::db::{Backend, DatabaseUrl, Db, run_migrations};
use crate::domain::presence;
use crate::error::extractors;
use crate::files::LocalDisk;
use crate::http::{cors, fallback, metrics, request_id, request_shape, security_headers};
use crate::jobs::{self, webhooks::WebhookJobs};
use crate::metrics::Metrics;
use crate::rate_limit::{RateLimiter, RedisCounter};
use crate::realtime::{Realtime, retention};
use crate::state::AppState;
use crate::{api, db};

/// Connects to the database, applies pending migrations and loads the signing key.
pub async fn build_state(config: Config) -> Result<AppState, String> {
    config.validate().map_err(|e| e.to_string())?;
    let url = DatabaseUrl::parse(&config.database_url())?;
    let (pool_size, cache_mib) = (config.db_pool_size, config.sqlite_cache_mib);
    let db = tokio::task::spawn_blocking(move || -> Result<Db, String> {
        let db = Db::connect_with_cache(&url, pool_size, cache_mib)?;
        let mut conn = db.get_blocking()?;
        run_migrations(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
        crate::store::rollups::backfill(&mut conn).map_err(|e| format!("statistics roll-ups: {e}"))?;
        Ok(db)
    })
    .await
    .map_err(|e| e.to_string())??;
    let secret = jwt::load_or_create_secret(config.jwt_secret.as_deref(), &config.data_dir)?;
    let jwt = JwtKeys::new(&secret, config.access_token_ttl_secs);
    let commit_sync = match db.backend() {
        Backend::Sqlite => config.sqlite_wal_sync,
        Backend::Postgres => config.postgres_commit_sync,
    };
    let writer = GroupCommit::start(
        db.clone(),
        config.sqlite_checkpoints,
        commit_sync,
        WalBudget::from_mib(config.sqlite_wal_restart_mib),
    );
    let limiter = match &config.redis_url {
        Some(url) => RateLimiter::with_redis(RedisCounter::new(url)?),
        None => RateLimiter::in_memory(),
    };
    let node_id = uuid::Uuid::new_v4().simple().to_string();
    let metrics = Metrics::new();
    let realtime = Realtime::start(&config, &db, &node_id, &metrics)?;
    let webhooks = WebhookJobs::new(&config.webhooks)?;
    let wake = webhooks.clone();
    db.add_commit_listener(move |_| wake.wake());
    let files_dir = config.files_dir();
    let files = LocalDisk::open(files_dir.clone())
        .map_err(|e| format!("cannot use the files folder {}: {e}", files_dir.display()))?;
    let state = AppState {
        config: Arc::new(config),
        db,
        jwt,
        visitor_tokens: Arc::default(),
        writer,
        limiter,
        metrics,
        realtime,
        node_id,
        webhooks,
        files: Arc::new(files),
    };
    tokio::spawn(presence::maintain(state.clone()));
    tokio::spawn(retention::run(state.clone()));
    tokio::spawn(jobs::webhooks::run(state.clone()));
    tokio::spawn(jobs::timers::run(state.clone()));
    tokio::spawn(jobs::assignment_offers::run(state.clone()));
    tokio::spawn(jobs::search_index::run(state.clone()));
    Ok(state)
}

/// A server that is accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub handle: actix_web::dev::ServerHandle,
    pub server: actix_web::dev::Server,
}

/// Binds the listener and builds the server; the caller awaits `server` to run it.
pub fn start(state: AppState, listener: TcpListener) -> std::io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let config = state.config.clone();
    let data = web::Data::new(state);
    let body_limit = config.body_limit as usize;
    let origins = config.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(extractors::json_config(body_limit))
            .app_data(web::PayloadConfig::default().limit(body_limit))
            .app_data(extractors::query_config())
            .app_data(extractors::path_config())
            .configure(api::routes)
            // The widget runs on customers' sites: any origin may call it (tokens, no cookies).
            .service(web::scope("/api/v1/widget").wrap(cors::widget_api()).configure(api::widget_routes))
            .service(web::scope("/api/v1").wrap(cors::operator_api(&origins)).configure(api::v1_routes))
            .default_service(web::to(fallback::route_not_found))
            .wrap(from_fn(request_shape::middleware))
            .wrap(fallback::handlers())
            .wrap(from_fn(security_headers::middleware))
            .wrap(from_fn(metrics::middleware))
            .wrap(from_fn(request_id::middleware))
    })
    .shutdown_timeout(config.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    // `serve` handles SIGTERM/SIGINT itself, registered before it announces the address.
    .disable_signals();
    if let Some(workers) = config.workers {
        server = server.workers(workers as usize);
    }
    let server = server.listen(listener)?.run();
    Ok(RunningServer { addr, handle: server.handle(), server })
}

/// `livedesk serve`: start, print where it listens, run until SIGTERM/SIGINT.
pub async fn serve(config: Config) -> Result<(), String> {
    let database = DatabaseUrl::parse(&config.database_url())?;
    let bind = config.bind;
    let shutdown = shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let state = build_state(config).await?;
    let listener = TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let running = start(state, listener).map_err(|e| e.to_string())?;
    tracing::info!(addr = %running.addr, database = %database.redacted(), "livedesk started");
    println!(
        "livedesk listening on http://{} (database: {}; API docs: http://{}/docs)",
        running.addr,
        database.redacted(),
        running.addr
    );
    let handle = running.handle.clone();
    actix_web::rt::spawn(async move {
        shutdown.await;
        tracing::info!("shutdown signal received; finishing in-flight requests");
        handle.stop(true).await;
    });
    running.server.await.map_err(|e| e.to_string())?;
    tracing::info!("livedesk stopped");
    Ok(())
}

/// Resolves on the first SIGTERM or SIGINT. Registered eagerly: a signal that arrives right
/// after start-up must not find the default handler (which would kill the process).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// `livedesk migrate`: apply pending migrations and report them.
pub fn migrate(config: &Config) -> Result<Vec<String>, String> {
    config.validate().map_err(|e| e.to_string())?;
    let url = DatabaseUrl::parse(&config.database_url())?;
    let db = db::Db::connect(&url, 1)?;
    let mut conn = db.get_blocking()?;
    let applied = run_migrations(&mut conn).map_err(|e| format!("migrations failed: {e}"))?;
    crate::store::rollups::backfill(&mut conn).map_err(|e| format!("statistics roll-ups: {e}"))?;
    Ok(applied)
}
