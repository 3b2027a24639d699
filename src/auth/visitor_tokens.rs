//! Visitor tokens this node has recently checked, so a visitor's requests do not each read the
//! database to authenticate. A visitor token names the same visitor for as long as the visitor
//! exists, and visitors are never deleted nor their tokens reissued, so an entry cannot go stale;
//! code that one day revokes visitor tokens must remove them here (and on every node).

use quick_cache::sync::Cache;

use super::visitor::VisitorPrincipal;

/// Visitors remembered per node (each entry is about 150 bytes); the least recently used go.
const CAPACITY: usize = 100_000;

#[derive(Debug, Clone)]
struct Checked {
    principal: VisitorPrincipal,
    /// The visitor's `last_seen_at` as this node last read or wrote it.
    last_seen_at: i64,
}

pub struct VisitorTokens {
    by_hash: Cache<String, Checked>,
}

impl Default for VisitorTokens {
    fn default() -> Self {
        Self { by_hash: Cache::new(CAPACITY) }
    }
}

impl VisitorTokens {
    /// The visitor behind `token_hash`, unless unknown here or last seen `touch_interval_ms` or
    /// longer before `now` (the caller then reads the database and records the visit).
    pub fn fresh(&self, token_hash: &str, now: i64, touch_interval_ms: i64) -> Option<VisitorPrincipal> {
        self.by_hash.get(token_hash).filter(|c| now - c.last_seen_at < touch_interval_ms).map(|c| c.principal)
    }

    pub fn remember(&self, token_hash: String, principal: VisitorPrincipal, last_seen_at: i64) {
        self.by_hash.insert(token_hash, Checked { principal, last_seen_at });
    }
}
