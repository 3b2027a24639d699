//! Prometheus metrics of one server: HTTP traffic, the database pool, the group-commit writer,
//! and the counters other parts report through the `record_*`/`socket_*` methods (sockets,
//! published events, webhook deliveries, refused requests).

use std::sync::Arc;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::db::Db;
use crate::db::group_commit::GroupCommit;
use crate::realtime::hub::Hub;

/// Request latency buckets, seconds: from a cached read to a slow export.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    sockets_open: IntGaugeVec,
    events_published: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    webhook_duration: HistogramVec,
    webhook_paused: IntCounter,
    assignment_offers: IntCounterVec,
    rate_limited: IntCounterVec,
    db_pool_connections: IntGauge,
    db_pool_idle: IntGauge,
    db_pool_max: IntGauge,
    writer_queue: IntGauge,
    sqlite_wal_frames: IntGauge,
    socket_queue: IntGauge,
    writer_batches: IntCounter,
    writer_jobs: IntCounter,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: T) -> T {
    registry.register(Box::new(metric.clone())).expect("metric names are unique");
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let r = Registry::new_custom(Some("livedesk".into()), None).expect("valid prefix");
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            register(&r, IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
        };
        let gauge = |name: &str, help: &str| register(&r, IntGauge::new(name, help).expect("valid metric"));
        let counter = |name: &str, help: &str| register(&r, IntCounter::new(name, help).expect("valid metric"));
        let inner = Inner {
            http_requests: counter_vec(
                "http_requests_total",
                "HTTP requests by method, route pattern and status",
                &["method", "route", "status"],
            ),
            http_duration: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "http_request_duration_seconds",
                        "HTTP request latency by method and route pattern",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                    &["method", "route"],
                )
                .expect("valid metric"),
            ),
            sockets_open: register(
                &r,
                IntGaugeVec::new(Opts::new("sockets_open", "Open WebSocket connections by kind"), &["kind"])
                    .expect("valid metric"),
            ),
            events_published: counter_vec(
                "events_published_total",
                "Logged events handed to this node's sockets, by event type",
                &["kind"],
            ),
            webhook_deliveries: counter_vec(
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome",
                &["outcome"],
            ),
            webhook_duration: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "webhook_delivery_duration_seconds",
                        "Time from sending a webhook request to its answer (or failure), by outcome",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                    &["outcome"],
                )
                .expect("valid metric"),
            ),
            webhook_paused: counter("webhook_subscriptions_paused_total", "Webhook subscriptions paused after failing"),
            assignment_offers: counter_vec(
                "assignment_offers_total",
                "Dialogs offered to an external assignment service, by outcome",
                &["outcome"],
            ),
            rate_limited: counter_vec("rate_limited_total", "Requests refused by a rate limit, by limit", &["limit"]),
            db_pool_connections: gauge("db_pool_connections", "Open database connections"),
            db_pool_idle: gauge("db_pool_idle_connections", "Idle database connections"),
            db_pool_max: gauge("db_pool_max_connections", "Configured database pool size"),
            writer_queue: gauge("writer_queue_length", "Writes waiting for the group-commit writer"),
            sqlite_wal_frames: gauge(
                "sqlite_wal_frames",
                "SQLite pages in the WAL at the last background checkpoint (0 on PostgreSQL)",
            ),
            socket_queue: gauge("socket_queue_length", "Frames waiting in the outbound queues of open sockets"),
            writer_batches: counter("writer_batches_total", "Transactions committed by the group-commit writer"),
            writer_jobs: counter("writer_jobs_total", "Writes run by the group-commit writer"),
            registry: r,
        };
        Metrics(Arc::new(inner))
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.0.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.0.http_duration.with_label_values(&[method, route]).observe(seconds);
    }

    /// A WebSocket connection of `kind` (`operator` or `visitor`) opened.
    pub fn socket_opened(&self, kind: &str) {
        self.0.sockets_open.with_label_values(&[kind]).inc();
    }

    pub fn socket_closed(&self, kind: &str) {
        self.0.sockets_open.with_label_values(&[kind]).dec();
    }

    /// `count` events of type `kind` were handed to this node's sockets.
    pub fn record_events_published(&self, kind: &str, count: u64) {
        self.0.events_published.with_label_values(&[kind]).inc_by(count);
    }

    /// One webhook delivery attempt ended with `outcome` (`delivered` or `failed`) after `seconds`.
    pub fn record_webhook_delivery(&self, outcome: &str, seconds: f64) {
        self.0.webhook_deliveries.with_label_values(&[outcome]).inc();
        self.0.webhook_duration.with_label_values(&[outcome]).observe(seconds);
    }

    /// One offer to an assignment service ended with `outcome` (`assigned`, `declined`,
    /// `unavailable_operator`, `timeout`, `failed`, `bad_answer`).
    pub fn record_assignment_offer(&self, outcome: &str) {
        self.0.assignment_offers.with_label_values(&[outcome]).inc();
    }

    pub fn webhook_paused(&self) {
        self.0.webhook_paused.inc();
    }

    pub fn rate_limited(&self, limit: &str) {
        self.0.rate_limited.with_label_values(&[limit]).inc();
    }

    /// The text exposition format, with pool, writer and socket queue figures read now.
    pub fn render(&self, db: &Db, writer: &GroupCommit, hub: &Hub) -> String {
        let inner = &self.0;
        let pool = db.pool_state();
        inner.db_pool_connections.set(i64::from(pool.connections));
        inner.db_pool_idle.set(i64::from(pool.idle_connections));
        inner.db_pool_max.set(i64::from(db.pool_size()));
        inner.writer_queue.set(writer.queue_len() as i64);
        inner.socket_queue.set(hub.queued_frames() as i64);
        // The writer keeps its own totals; move the counters up to them.
        let stats = writer.stats();
        inner.sqlite_wal_frames.set(i64::try_from(stats.wal.frames()).unwrap_or(i64::MAX));
        let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed);
        let jobs = stats.jobs.load(std::sync::atomic::Ordering::Relaxed);
        inner.writer_batches.inc_by(batches.saturating_sub(inner.writer_batches.get()));
        inner.writer_jobs.inc_by(jobs.saturating_sub(inner.writer_jobs.get()));
        let mut out = Vec::new();
        TextEncoder::new().encode(&inner.registry.gather(), &mut out).expect("metrics encode");
        String::from_utf8(out).unwrap_or_default()
    }
}
