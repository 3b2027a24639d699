//! A limit on frames one socket connection may send: a token bucket held by the connection
//! itself (a connection lives on one node, so there is nothing to share across nodes).
//! The socket calls [`FrameLimiter::allow`] for each incoming frame and answers a refused one
//! with a `rate_limited` error frame; too many refusals in a row close it (4029).

use std::time::Instant;

use super::Quota;

#[derive(Debug, Clone)]
pub struct FrameLimiter {
    capacity: f64,
    refill_per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl FrameLimiter {
    /// Allows bursts of up to `quota.limit` frames and `limit / window` frames a second after.
    pub fn new(quota: Quota) -> Self {
        let capacity = f64::from(quota.limit);
        Self { capacity, refill_per_sec: capacity / quota.window_secs as f64, tokens: capacity, last: Instant::now() }
    }

    /// Takes one frame's token; `false` when the connection sends faster than its quota.
    pub fn allow(&mut self) -> bool {
        self.allow_at(Instant::now())
    }

    pub fn allow_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_a_burst_then_the_refill_rate() {
        let start = Instant::now();
        let mut limiter = FrameLimiter::new(Quota::new(3, 3));
        assert!((0..3).all(|_| limiter.allow_at(start)));
        assert!(!limiter.allow_at(start));
        assert!(limiter.allow_at(start + Duration::from_secs(1)));
        assert!(!limiter.allow_at(start + Duration::from_secs(1)));
    }
}
