//! Response timings of the statistics: answered waits added up from roll-up histograms and
//! source rows into average, median, 90th percentile and SLA shares.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::domain::chat_settings::ChatSettings;
use crate::error::ApiResult;
use crate::store::chats;
use crate::store::rollups::EncodedWaits;
use crate::store::stats::ResponseBucket;

/// Average, median and 90th percentile of a set of waits, and how many met the SLA.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct Timing {
    pub count: i64,
    pub avg_secs: Option<f64>,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
    /// Waits no longer than their chat's SLA.
    pub within_sla: i64,
    /// `within_sla / count` (0–1).
    pub within_sla_share: Option<f64>,
}

/// Waits per whole second: a vector up to a day (where nearly all waits fall, and a request
/// adds up hundreds of thousands of entries), a map beyond.
#[derive(Default)]
pub(crate) struct SecondsCounts {
    dense: Vec<i64>,
    sparse: BTreeMap<i64, i64>,
}

impl SecondsCounts {
    const DENSE_SECS: i64 = 86_400;

    fn add(&mut self, secs: i64, n: i64) {
        if (0..Self::DENSE_SECS).contains(&secs) {
            let i = secs as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, 0);
            }
            self.dense[i] += n;
        } else {
            *self.sparse.entry(secs).or_default() += n;
        }
    }

    /// `(secs, count)` in ascending seconds.
    fn iter(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let below = self.sparse.range(..0).map(|(s, n)| (*s, *n));
        let dense = self.dense.iter().enumerate().filter(|(_, n)| **n != 0).map(|(s, n)| (s as i64, *n));
        below.chain(dense).chain(self.sparse.range(0..).map(|(s, n)| (*s, *n)))
    }
}

/// Builds timings from (whole seconds, count, total ms, within SLA) histogram entries.
#[derive(Default)]
pub(crate) struct TimingAcc {
    by_secs: SecondsCounts,
    total_ms: i64,
    count: i64,
    within_sla: i64,
}

impl TimingAcc {
    fn add(&mut self, secs: i64, n: i64, total_ms: i64, within_sla: bool) {
        self.by_secs.add(secs, n);
        self.total_ms += total_ms;
        self.count += n;
        if within_sla {
            self.within_sla += n;
        }
    }

    /// Nearest rank: the smallest value with at least `p` of the waits at or below it.
    fn percentile(&self, p: f64) -> Option<i64> {
        let rank = ((p * self.count as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (secs, n) in self.by_secs.iter() {
            seen += n;
            if seen >= rank {
                return Some(secs);
            }
        }
        None
    }

    pub(crate) fn finish(&self) -> Timing {
        let n = self.count;
        Timing {
            count: n,
            avg_secs: (n > 0).then(|| self.total_ms as f64 / n as f64 / 1000.0),
            median_secs: self.percentile(0.5),
            p90_secs: self.percentile(0.9),
            within_sla: self.within_sla,
            within_sla_share: (n > 0).then(|| self.within_sla as f64 / n as f64),
        }
    }
}

/// First, later and all responses.
#[derive(Default)]
pub(crate) struct ResponseAcc {
    pub(crate) first: TimingAcc,
    pub(crate) next: TimingAcc,
    pub(crate) all: TimingAcc,
}

impl ResponseAcc {
    pub(crate) fn add(&mut self, b: &ResponseBucket, sla: &SlaTable) {
        let (first_sla, next_sla) = sla.of(b.chat_id);
        let within = b.secs <= if b.is_first { first_sla } else { next_sla };
        let part = if b.is_first { &mut self.first } else { &mut self.next };
        part.add(b.secs, b.n, b.total_ms, within);
        self.all.add(b.secs, b.n, b.total_ms, within);
    }
}

/// Each chat's SLA targets (seconds), from its current settings.
pub(crate) struct SlaTable {
    by_chat: HashMap<i64, (i64, i64)>,
    /// A chat that is gone: the default targets.
    default: (i64, i64),
}

impl SlaTable {
    pub(crate) fn load(conn: &mut DbConn, workspace_id: i64, chat_ids: &[i64]) -> ApiResult<Self> {
        let targets = |s: ChatSettings| (s.sla_first_response_secs, s.sla_next_response_secs);
        Ok(Self {
            by_chat: chats::find_many(conn, workspace_id, chat_ids)?
                .into_iter()
                .map(|c| (c.id, targets(ChatSettings::from_stored(&c.settings))))
                .collect(),
            default: targets(ChatSettings::default()),
        })
    }

    fn of(&self, chat_id: i64) -> (i64, i64) {
        self.by_chat.get(&chat_id).copied().unwrap_or(self.default)
    }
}

/// Answered waits of a period: roll-up histograms, and entries computed from the response
/// rows for the partial days at its ends.
#[derive(Default)]
pub(crate) struct Waits {
    pub(crate) rollups: Vec<EncodedWaits>,
    pub(crate) direct: Vec<ResponseBucket>,
}

impl Waits {
    pub(crate) fn chat_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> =
            self.rollups.iter().map(|w| w.chat_id).chain(self.direct.iter().map(|b| b.chat_id)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub(crate) fn each(&self, mut f: impl FnMut(&ResponseBucket)) {
        for w in &self.rollups {
            w.each(&mut f);
        }
        self.direct.iter().for_each(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut acc = TimingAcc::default();
        for (secs, within) in [(30, true), (90, false), (300, false), (45, true)] {
            acc.add(secs, 1, secs * 1000, within);
        }
        let t = acc.finish();
        assert_eq!(t.count, 4);
        assert_eq!(t.avg_secs, Some(116.25));
        assert_eq!(t.median_secs, Some(45));
        assert_eq!(t.p90_secs, Some(300));
        assert_eq!(t.within_sla_share, Some(0.5));
        assert_eq!(TimingAcc::default().finish().median_secs, None);
    }

    #[test]
    fn waits_longer_than_a_day_rank_after_shorter_ones() {
        let mut acc = TimingAcc::default();
        acc.add(200_000, 3, 600_000_000, false);
        acc.add(7, 2, 14_000, true);
        acc.add(86_399, 1, 86_399_000, false);
        acc.add(86_400, 4, 345_600_000, false);
        let t = acc.finish();
        assert_eq!(t.count, 10);
        assert_eq!(t.median_secs, Some(86_400));
        assert_eq!(acc.percentile(0.2), Some(7));
        assert_eq!(acc.percentile(0.3), Some(86_399));
        assert_eq!(t.p90_secs, Some(200_000));
    }
}
