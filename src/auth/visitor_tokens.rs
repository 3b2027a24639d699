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

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(visitor_id: i64) -> VisitorPrincipal {
        VisitorPrincipal { workspace_id: 1, visitor_id, chat_id: 2 }
    }

    #[test]
    fn an_entry_is_fresh_until_the_visit_is_due_to_be_recorded_again() {
        let tokens = VisitorTokens::default();
        assert!(tokens.fresh("h1", 1_000, 60_000).is_none());
        tokens.remember("h1".into(), principal(7), 1_000);
        assert_eq!(tokens.fresh("h1", 60_999, 60_000).map(|p| p.visitor_id), Some(7));
        assert!(tokens.fresh("h1", 61_000, 60_000).is_none(), "a minute on, the database is read again");
        assert!(tokens.fresh("h2", 1_000, 60_000).is_none(), "another token is not known");
        tokens.remember("h1".into(), principal(7), 61_000);
        assert!(tokens.fresh("h1", 61_500, 60_000).is_some());
    }
}
