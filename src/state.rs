//! What every handler can reach: configuration, the database, the signing keys, rate limits
//! and metrics.

use std::sync::Arc;

use crate::auth::jwt::JwtKeys;
use crate::auth::visitor_tokens::VisitorTokens;
use crate::config::Config;
use crate::db::Db;
use crate::db::group_commit::GroupCommit;
use crate::files::FileStorage;
use crate::jobs::webhooks::WebhookJobs;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::realtime::Realtime;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub jwt: JwtKeys,
    /// Visitor tokens checked recently on this node.
    pub visitor_tokens: Arc<VisitorTokens>,
    /// Group-commit writer for messages.
    pub writer: GroupCommit,
    /// Live delivery to sockets on this node and the others.
    pub realtime: Realtime,
    /// This process's id among the nodes sharing the database.
    pub node_id: String,
    pub limiter: RateLimiter,
    /// Webhook delivery: wakes the worker, sends requests.
    pub webhooks: WebhookJobs,
    pub metrics: Metrics,
    /// Where uploaded files live.
    pub files: Arc<dyn FileStorage>,
}
