//! Exact distinct-visitor counts that add up across 15-minute buckets.
//!
//! Each started dialog links to the previous start of the same visitor (`-1`: none), over all
//! channels and within its own channel; each closed dialog the same for closes. A visitor
//! counts once in `[from, to)` through the dialog whose link lies before `from`: the first of
//! theirs in the period. Day starts in any zone are bucket boundaries, so a dialog in bucket
//! `b` of a local day starting at bucket `d0` is the visitor's first of that day when the gap
//! `b - link bucket` exceeds `b - d0`. A day has at most 100 buckets (25 hours), so roll-ups
//! keep the exact gap up to [`MAX_GAP`] and one "fresh" count beyond it.
//!
//! A visitor's dialogs all belong to the visitor's chat (dialogs are opened for the visitor in
//! their chat), so the links also serve a chat filter.

use std::collections::HashMap;

use crate::domain::local_time::BUCKET_MS;

/// Largest gap (in buckets) kept exactly; longer gaps and "no link" are fresh.
pub const MAX_GAP: i64 = 100;
/// A link to nothing: the visitor's first start (close).
pub const NO_LINK: i64 = -1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Moment {
    Started = 0,
    Closed = 1,
}

/// The link columns of one dialog, as stored (`None`: not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Links {
    pub prev_started_at: Option<i64>,
    pub prev_channel_started_at: Option<i64>,
    pub prev_closed_at: Option<i64>,
    pub prev_channel_closed_at: Option<i64>,
    /// The close the close links were counted at.
    pub linked_closed_at: Option<i64>,
}

/// What links depend on for one dialog of a visitor.
#[derive(Debug, Clone)]
pub struct LinkedDialog {
    pub id: i64,
    pub workspace_id: i64,
    pub chat_id: i64,
    pub visitor_id: i64,
    pub channel: String,
    pub started_at: Option<i64>,
    /// `closed_at` while the dialog is closed.
    pub closed_at: Option<i64>,
    pub stored: Links,
}

/// One counted start or close: the bucket it falls in and its link over all channels and
/// within the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub moment: Moment,
    pub at: i64,
    pub prev: i64,
    pub prev_in_channel: i64,
}

impl Links {
    /// The starts and closes these links count.
    pub fn counted(&self, started_at: Option<i64>) -> Vec<Counted> {
        let mut out = Vec::with_capacity(2);
        if let (Some(at), Some(prev), Some(prev_in_channel)) =
            (started_at, self.prev_started_at, self.prev_channel_started_at)
        {
            out.push(Counted { moment: Moment::Started, at, prev, prev_in_channel });
        }
        if let (Some(at), Some(prev), Some(prev_in_channel)) =
            (self.linked_closed_at, self.prev_closed_at, self.prev_channel_closed_at)
        {
            out.push(Counted { moment: Moment::Closed, at, prev, prev_in_channel });
        }
        out
    }
}

/// `None` when the dialog counts on any day that holds it; else the gap in buckets.
pub fn gap(at: i64, prev: i64) -> Option<i64> {
    if prev == NO_LINK {
        return None;
    }
    let g = at.div_euclid(BUCKET_MS) - prev.div_euclid(BUCKET_MS);
    (g <= MAX_GAP).then_some(g.max(0))
}

/// The links every dialog of one visitor should have (`dialogs` holds all of them).
pub fn desired(dialogs: &[LinkedDialog]) -> HashMap<i64, Links> {
    let mut out: HashMap<i64, Links> = dialogs.iter().map(|d| (d.id, Links::default())).collect();
    for moment in [Moment::Started, Moment::Closed] {
        let time = |d: &LinkedDialog| match moment {
            Moment::Started => d.started_at,
            Moment::Closed => d.closed_at,
        };
        let mut order: Vec<(i64, i64, &str)> =
            dialogs.iter().filter_map(|d| time(d).map(|t| (t, d.id, d.channel.as_str()))).collect();
        order.sort_unstable();
        let mut last_any = NO_LINK;
        let mut last_in: HashMap<&str, i64> = HashMap::new();
        for (t, id, channel) in order {
            let links = out.get_mut(&id).expect("every dialog has an entry");
            let in_channel = last_in.insert(channel, t).unwrap_or(NO_LINK);
            match moment {
                Moment::Started => {
                    links.prev_started_at = Some(last_any);
                    links.prev_channel_started_at = Some(in_channel);
                }
                Moment::Closed => {
                    links.prev_closed_at = Some(last_any);
                    links.prev_channel_closed_at = Some(in_channel);
                    links.linked_closed_at = Some(t);
                }
            }
            last_any = t;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(id: i64, channel: &str, started_at: Option<i64>, closed_at: Option<i64>) -> LinkedDialog {
        LinkedDialog {
            id,
            workspace_id: 1,
            chat_id: 1,
            visitor_id: 1,
            channel: channel.into(),
            started_at,
            closed_at,
            stored: Links::default(),
        }
    }

    #[test]
    fn links_follow_time_then_id_per_channel() {
        let d = desired(&[
            dialog(3, "web", Some(50), None),
            dialog(1, "web", Some(10), Some(70)),
            dialog(2, "email", Some(50), Some(60)),
            dialog(4, "web", None, None),
        ]);
        assert_eq!(d[&1].prev_started_at, Some(NO_LINK));
        assert_eq!(d[&2].prev_started_at, Some(10));
        assert_eq!(d[&2].prev_channel_started_at, Some(NO_LINK));
        assert_eq!(d[&3].prev_started_at, Some(50));
        assert_eq!(d[&3].prev_channel_started_at, Some(10));
        assert_eq!(d[&1].prev_closed_at, Some(60));
        assert_eq!(d[&1].prev_channel_closed_at, Some(NO_LINK));
        assert_eq!(d[&1].linked_closed_at, Some(70));
        assert_eq!(d[&3].prev_closed_at, None);
        assert_eq!(d[&4], Links::default());
    }

    #[test]
    fn gaps_in_buckets() {
        assert_eq!(gap(5 * BUCKET_MS, NO_LINK), None);
        assert_eq!(gap(5 * BUCKET_MS + 1, 4 * BUCKET_MS + 899_999), Some(1));
        assert_eq!(gap(200 * BUCKET_MS, 100 * BUCKET_MS), Some(100));
        assert_eq!(gap(201 * BUCKET_MS, 100 * BUCKET_MS), None);
    }
}
