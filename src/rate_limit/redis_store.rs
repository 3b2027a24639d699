//! Counters in Redis, shared by every node: `INCR` plus `PEXPIRE` on the first hit, in one
//! script so a counter can never be left without its expiry.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

use crate::time::now_ms;

const INCR_WITH_EXPIRY: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count";

/// A Redis round trip longer than this counts in memory instead: a slow Redis must not slow
/// requests down.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// While Redis fails, say so in the log at most this often.
const WARN_INTERVAL_MS: i64 = 60_000;
const KEY_PREFIX: &str = "livedesk:rl:";

#[derive(Clone)]
pub struct RedisCounter {
    conn: ConnectionManager,
    script: Arc<Script>,
    last_warning_ms: Arc<AtomicI64>,
}

impl RedisCounter {
    /// Connects lazily: an unreachable Redis at start-up is not an error, only a fallback.
    pub fn new(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid REDIS_URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| e.to_string())?;
        Ok(Self {
            conn,
            script: Arc::new(Script::new(INCR_WITH_EXPIRY)),
            last_warning_ms: Arc::new(AtomicI64::new(i64::MIN / 2)),
        })
    }

    /// The count of `key` after this hit, or `None` when Redis did not answer in time.
    pub async fn incr(&self, key: &str, expiry_ms: u64) -> Option<u64> {
        let mut conn = self.conn.clone();
        // Keys carry emails and addresses: Redis only ever sees their digest.
        let digest = hex::encode(&Sha256::digest(key.as_bytes())[..16]);
        let mut invocation = self.script.key(format!("{KEY_PREFIX}{digest}"));
        invocation.arg(expiry_ms);
        let invocation = invocation.invoke_async::<u64>(&mut conn);
        let failure = match tokio::time::timeout(REDIS_TIMEOUT, invocation).await {
            Ok(Ok(count)) => return Some(count),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_string(),
        };
        let now = now_ms();
        let last = self.last_warning_ms.load(Ordering::Relaxed);
        if now - last >= WARN_INTERVAL_MS
            && self.last_warning_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            tracing::warn!(error = %failure, "Redis unavailable for rate limits; counting on this node only");
        }
        None
    }
}
