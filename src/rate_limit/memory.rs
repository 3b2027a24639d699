//! Counters in this process: one map from counter key to its window and count.

use std::collections::HashMap;
use std::sync::Mutex;

/// Past this many keys, counters of finished windows are dropped on the next insert.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct MemoryCounter {
    counts: Mutex<HashMap<String, (u64, u64)>>,
}

impl MemoryCounter {
    /// Adds one hit to `key` in `window` and returns the window's count so far.
    pub fn incr(&self, key: &str, window: u64) -> u64 {
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.len() > PRUNE_ABOVE && !counts.contains_key(key) {
            // Keys carry their window, so an entry from an older window is finished.
            counts.retain(|_, (w, _)| *w >= window);
        }
        let entry = counts.entry(key.to_string()).or_insert((window, 0));
        entry.1 += 1;
        entry.1
    }

    pub fn len(&self) -> usize {
        self.counts.lock().map(|c| c.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_and_prunes_finished_windows() {
        let counter = MemoryCounter::default();
        assert_eq!(counter.incr("a:1", 1), 1);
        assert_eq!(counter.incr("a:1", 1), 2);
        assert_eq!(counter.incr("b:1", 1), 1);
        for i in 0..=PRUNE_ABOVE {
            counter.incr(&format!("old:{i}"), 1);
        }
        counter.incr("new:2", 2);
        assert_eq!(counter.len(), 1);
    }
}
