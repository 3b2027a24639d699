//! Rate limits: fixed-window counters keyed by what is being limited (an account, a client
//! address, a visitor, a token). Counted in this process, and across nodes through Redis when
//! `REDIS_URL` is set; when Redis does not answer, the count falls back to this process so a
//! request is never refused or delayed because Redis is down.

mod frames;
mod memory;
pub mod quota;
mod redis_store;

use std::sync::Arc;

pub use frames::FrameLimiter;
pub use memory::MemoryCounter;
pub use quota::Quota;
pub use redis_store::RedisCounter;

use crate::time::now_ms;

/// What a limit counts; part of every counter key, so buckets never share counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Sign-in attempts for one account (email).
    LoginAccount,
    /// Sign-up, sign-in and set-password attempts from one client address.
    AuthAddress,
    /// Visitor sessions started from one client address for one chat.
    VisitorSessions,
    /// Messages of one visitor.
    VisitorMessages,
    /// Visitor messages from one client address into one workspace.
    VisitorMessagesAddress,
    /// Operator API requests with one access token or API key.
    OperatorRequests,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::LoginAccount => "login_account",
            Bucket::AuthAddress => "auth_address",
            Bucket::VisitorSessions => "visitor_sessions",
            Bucket::VisitorMessages => "visitor_messages",
            Bucket::VisitorMessagesAddress => "visitor_messages_address",
            Bucket::OperatorRequests => "operator_requests",
        }
    }
}

/// A refusal: the caller may try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// Counts hits in the window they fall in; answers whether the hit is within the quota.
#[derive(Clone)]
pub struct RateLimiter {
    memory: Arc<MemoryCounter>,
    redis: Option<RedisCounter>,
}

impl RateLimiter {
    /// A limiter counting in this process only.
    pub fn in_memory() -> Self {
        Self { memory: Arc::new(MemoryCounter::default()), redis: None }
    }

    /// A limiter counting across nodes through Redis (falling back to this process).
    pub fn with_redis(redis: RedisCounter) -> Self {
        Self { memory: Arc::new(MemoryCounter::default()), redis: Some(redis) }
    }

    /// Counts one hit for `key` in `bucket`; `Err` once the quota of the current window is
    /// used up. `None` quotas (limit switched off) always pass and count nothing.
    pub async fn hit(&self, bucket: Bucket, key: &str, quota: Option<Quota>) -> Result<(), RetryAfter> {
        let Some(quota) = quota else { return Ok(()) };
        let now = now_ms();
        let window = quota.window_index(now);
        let counter_key = format!("{}:{}:{}", bucket.as_str(), window, key);
        let count = match &self.redis {
            Some(redis) => match redis.incr(&counter_key, quota.window_ms()).await {
                Some(count) => count,
                None => self.memory.incr(&counter_key, window),
            },
            None => self.memory.incr(&counter_key, window),
        };
        if count <= u64::from(quota.limit) { Ok(()) } else { Err(RetryAfter(quota.seconds_left(now))) }
    }
}
