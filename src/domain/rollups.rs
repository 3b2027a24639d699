//! Statistics roll-ups kept on write: what a dialog, an answered wait and a rating request add
//! to the pre-aggregated rows, so that a year of statistics reads thousands of rows instead of
//! a million dialogs. The store applies a [`Pending`] set of changes in the transaction of the
//! change itself (once per batch on the group-commit writer).
//!
//! - Dialog counters per 15-minute UTC bucket (span 0: every zone offset is a multiple of 15
//!   minutes, so local days and hours stay exact) for all chats and channels and each of them,
//!   and per UTC day and assignee (span 1) for the per-operator figures.
//! - Answered waits per UTC day as an exact histogram of whole seconds (rounded up), per chat
//!   (SLA targets are per chat), for all channels and operators and each of them.
//! - The same histograms per UTC calendar month, so long periods read months and their edge
//!   days.
//! - Rating requests per UTC day of the request by scale and score.
//! - Distinct-visitor counts per 15-minute bucket (see `domain::visitor_links`): fresh starts
//!   and closes on the counter rows, the others by their gap to the link.
//! - Distinct-visitor counts per UTC day and month by the UTC day of their link, for period
//!   totals.
//!
//! Statistics over a period read whole UTC days from the day rows and compute the partial days
//! at both ends from the source rows (at most two days, through the time indexes).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};

use crate::domain::dialog_figures::AnsweredWait;
use crate::domain::local_time::BUCKET_MS;
use crate::domain::visitor_links::{self, Links, Moment, NO_LINK};
use crate::store::dialogs::DialogRow;
use crate::time::DAY_MS;

/// 15-minute buckets, operator always [`ALL`].
pub const SPAN_QUARTER: i32 = 0;
/// UTC days, one row per assignee.
pub const SPAN_DAY: i32 = 1;
/// Visitor link rows per UTC day and per UTC calendar month.
pub const SPAN_LINK_DAY: i32 = 0;
pub const SPAN_LINK_MONTH: i32 = 1;
/// "Every chat" / "every operator" in a key.
pub const ALL: i64 = 0;
/// "Every channel" in a key.
pub const ALL_CHANNELS: &str = "";
/// The score of a rating request not answered yet.
pub const NO_SCORE: i32 = -1;

/// What dialogs add to one roll-up row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub started: i64,
    pub unanswered: i64,
    pub missed: i64,
    pub replies: i64,
    /// Started and not closed now.
    pub active: i64,
    /// Closed and still closed.
    pub closed: i64,
    /// Counted starts and closes with no link within [`visitor_links::MAX_GAP`] buckets.
    pub started_fresh: i64,
    pub closed_fresh: i64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters, sign: i64) {
        self.started += sign * other.started;
        self.unanswered += sign * other.unanswered;
        self.missed += sign * other.missed;
        self.replies += sign * other.replies;
        self.active += sign * other.active;
        self.closed += sign * other.closed;
        self.started_fresh += sign * other.started_fresh;
        self.closed_fresh += sign * other.closed_fresh;
    }

    pub fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

/// The moments a dialog is counted at, with what it counts there (see `domain::stats`).
pub fn contributions(row: &DialogRow) -> Vec<(i64, Counters)> {
    let mut out = Vec::with_capacity(2);
    let closed = row.status == "closed";
    if let Some(started_at) = row.started_at {
        let replied = row.operator_message_count > 0;
        out.push((
            started_at,
            Counters {
                started: 1,
                unanswered: i64::from(!replied),
                missed: i64::from(replied && crate::domain::dialog_figures::is_missed(row)),
                replies: i64::from(row.operator_message_count),
                active: i64::from(!closed),
                closed: 0,
                ..Counters::default()
            },
        ));
    }
    if let (true, Some(closed_at)) = (closed, row.closed_at) {
        out.push((closed_at, Counters { closed: 1, ..Counters::default() }));
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterKey {
    pub workspace_id: i64,
    pub span: i32,
    pub chat_id: i64,
    pub channel: String,
    pub operator_id: i64,
    pub bucket: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaitKey {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub channel: String,
    pub operator_id: i64,
    pub day: i64,
}

/// Counted starts (moment 0) or closes (1) of one bucket whose link is `gap` buckets back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GapKey {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub channel: String,
    pub bucket: i64,
    pub moment: i32,
    pub gap: i32,
}

/// Counted starts (moment 0) or closes (1) of one UTC day (span [`SPAN_LINK_DAY`]) or month
/// ([`SPAN_LINK_MONTH`]) whose link lies on UTC day `link_day` ([`NO_LINK`]: none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkKey {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub channel: String,
    pub moment: i32,
    pub span: i32,
    pub period: i64,
    pub link_day: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RatingKey {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub operator_id: i64,
    pub day: i64,
    pub scale: i32,
    pub score: i32,
}

/// The rating request figures roll-ups need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingFacts {
    pub workspace_id: i64,
    pub chat_id: i64,
    pub operator_id: Option<i64>,
    pub requested_at: i64,
    pub scale: i32,
    pub score: Option<i32>,
}

/// Changes to apply to the roll-up rows.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    pub counters: HashMap<CounterKey, Counters>,
    pub waits: HashMap<WaitKey, Histogram>,
    /// As `waits`, with `day` holding the month (see [`month_of_day`]).
    pub month_waits: HashMap<WaitKey, Histogram>,
    pub ratings: HashMap<RatingKey, i64>,
    pub gaps: HashMap<GapKey, i64>,
    pub links: HashMap<LinkKey, i64>,
    /// `(workspace, visitor)` whose links may be stale: a dialog started, closed or reopened.
    pub relink: BTreeSet<(i64, i64)>,
}

fn with_all(value: i64) -> [i64; 2] {
    [value, ALL]
}

/// Rows without an operator count only under "every operator".
fn with_optional(value: Option<i64>) -> impl Iterator<Item = i64> {
    value.into_iter().chain(std::iter::once(ALL))
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
            && self.waits.is_empty()
            && self.month_waits.is_empty()
            && self.ratings.is_empty()
            && self.gaps.is_empty()
            && self.links.is_empty()
            && self.relink.is_empty()
    }

    /// Adds (`sign` 1) or takes away (-1) what a dialog row counts.
    pub fn add_dialog(&mut self, row: &DialogRow, sign: i64) {
        for (at, counters) in contributions(row) {
            for chat_id in with_all(row.chat_id) {
                for channel in [row.channel.as_str(), ALL_CHANNELS] {
                    let mut key = CounterKey {
                        workspace_id: row.workspace_id,
                        span: SPAN_QUARTER,
                        chat_id,
                        channel: channel.to_string(),
                        operator_id: ALL,
                        bucket: at.div_euclid(BUCKET_MS),
                    };
                    self.counters.entry(key.clone()).or_default().add(&counters, sign);
                    if let Some(operator_id) = row.assignee_id {
                        key.span = SPAN_DAY;
                        key.operator_id = operator_id;
                        key.bucket = at.div_euclid(DAY_MS);
                        self.counters.entry(key).or_default().add(&counters, sign);
                    }
                }
            }
        }
    }

    /// The change from `before` to `after` of one dialog. Its visitor links (and what they
    /// count) are brought up to date from the stored rows when the changes are written: a
    /// row held in memory may carry links that are no longer current.
    pub fn dialog_changed(&mut self, before: Option<&DialogRow>, after: &DialogRow) {
        if let Some(before) = before {
            self.add_dialog(before, -1);
        }
        self.add_dialog(after, 1);
        self.counters.retain(|_, c| !c.is_zero());
        let moments = |r: &DialogRow| (r.started_at, r.is_closed().then_some(r.closed_at), r.channel.clone());
        if before.map(moments) != Some(moments(after)) {
            self.relink.insert((after.workspace_id, after.visitor_id));
        }
    }

    /// Adds (`sign` 1) or takes away (-1) the distinct-visitor counts of one dialog's links.
    pub fn add_links(
        &mut self,
        workspace_id: i64,
        chat_id: i64,
        channel: &str,
        started_at: Option<i64>,
        links: &Links,
        sign: i64,
    ) {
        for counted in links.counted(started_at) {
            let bucket = counted.at.div_euclid(BUCKET_MS);
            let day = counted.at.div_euclid(DAY_MS);
            for chat_id in with_all(chat_id) {
                for (channel, prev) in [(channel, counted.prev_in_channel), (ALL_CHANNELS, counted.prev)] {
                    let link_day = if prev == NO_LINK { NO_LINK } else { prev.div_euclid(DAY_MS) };
                    for (span, period) in [(SPAN_LINK_DAY, day), (SPAN_LINK_MONTH, month_of_day(day))] {
                        let key = LinkKey {
                            workspace_id,
                            chat_id,
                            channel: channel.to_string(),
                            moment: counted.moment as i32,
                            span,
                            period,
                            link_day,
                        };
                        *self.links.entry(key).or_default() += sign;
                    }
                    match visitor_links::gap(counted.at, prev) {
                        None => {
                            let key = CounterKey {
                                workspace_id,
                                span: SPAN_QUARTER,
                                chat_id,
                                channel: channel.to_string(),
                                operator_id: ALL,
                                bucket,
                            };
                            let c = self.counters.entry(key).or_default();
                            match counted.moment {
                                Moment::Started => c.started_fresh += sign,
                                Moment::Closed => c.closed_fresh += sign,
                            }
                        }
                        Some(gap) => {
                            let key = GapKey {
                                workspace_id,
                                chat_id,
                                channel: channel.to_string(),
                                bucket,
                                moment: counted.moment as i32,
                                gap: gap as i32,
                            };
                            *self.gaps.entry(key).or_default() += sign;
                        }
                    }
                }
            }
        }
    }

    /// Drops rows whose changes cancelled out (once per change set: maps can be large).
    pub fn drop_zeros(&mut self) {
        self.counters.retain(|_, c| !c.is_zero());
        self.gaps.retain(|_, n| *n != 0);
        self.links.retain(|_, n| *n != 0);
        self.ratings.retain(|_, n| *n != 0);
    }

    /// An operator reply ended a wait.
    pub fn add_wait(&mut self, dialog: &DialogRow, operator_id: Option<i64>, wait: AnsweredWait, answered_at: i64) {
        self.add_wait_of(dialog.workspace_id, dialog.chat_id, &dialog.channel, operator_id, wait, answered_at);
    }

    pub fn add_wait_of(
        &mut self,
        workspace_id: i64,
        chat_id: i64,
        channel: &str,
        operator_id: Option<i64>,
        wait: AnsweredWait,
        answered_at: i64,
    ) {
        let secs = wait_secs(wait.wait_ms);
        let day = answered_at.div_euclid(DAY_MS);
        for channel in [channel, ALL_CHANNELS] {
            for op in with_optional(operator_id) {
                let mut key = WaitKey { workspace_id, chat_id, channel: channel.to_string(), operator_id: op, day };
                self.waits.entry(key.clone()).or_default().add(wait.first, secs, 1, wait.wait_ms);
                key.day = month_of_day(day);
                self.month_waits.entry(key).or_default().add(wait.first, secs, 1, wait.wait_ms);
            }
        }
    }

    /// Adds (`sign` 1) or takes away (-1) a rating request.
    pub fn add_rating(&mut self, r: &RatingFacts, sign: i64) {
        for chat_id in with_all(r.chat_id) {
            for operator_id in with_optional(r.operator_id) {
                let key = RatingKey {
                    workspace_id: r.workspace_id,
                    chat_id,
                    operator_id,
                    day: r.requested_at.div_euclid(DAY_MS),
                    scale: r.scale,
                    score: r.score.unwrap_or(NO_SCORE),
                };
                *self.ratings.entry(key).or_default() += sign;
            }
        }
    }

    /// Takes in `other`'s changes.
    pub fn merge(&mut self, other: Pending) {
        for (key, c) in other.counters {
            self.counters.entry(key).or_default().add(&c, 1);
        }
        self.counters.retain(|_, c| !c.is_zero());
        for (key, h) in other.waits {
            self.waits.entry(key).or_default().merge(&h);
        }
        for (key, h) in other.month_waits {
            self.month_waits.entry(key).or_default().merge(&h);
        }
        for (key, n) in other.gaps {
            *self.gaps.entry(key).or_default() += n;
        }
        self.gaps.retain(|_, n| *n != 0);
        for (key, n) in other.links {
            *self.links.entry(key).or_default() += n;
        }
        self.links.retain(|_, n| *n != 0);
        self.relink.extend(other.relink);
        for (key, n) in other.ratings {
            *self.ratings.entry(key).or_default() += n;
        }
        self.ratings.retain(|_, n| *n != 0);
    }
}

/// A wait in whole seconds, rounded up (as the statistics report it).
pub fn wait_secs(wait_ms: i64) -> i64 {
    (wait_ms + 999).div_euclid(1000)
}

/// Exact histogram of answered waits: `(first response, whole seconds) -> (count, total ms)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(pub BTreeMap<(bool, i64), (i64, i64)>);

impl Histogram {
    pub fn add(&mut self, first: bool, secs: i64, n: i64, total_ms: i64) {
        let e = self.0.entry((first, secs.max(0))).or_default();
        e.0 += n;
        e.1 += total_ms;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&(first, secs), &(n, ms)) in &other.0 {
            self.add(first, secs, n, ms);
        }
    }

    /// Entries as LEB128 varints: `secs * 2 + first`, count, total ms; a day of one chat is a
    /// few kilobytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 6);
        for (&(first, secs), &(n, ms)) in &self.0 {
            put_varint(&mut out, (secs as u64) << 1 | u64::from(first));
            put_varint(&mut out, n.max(0) as u64);
            put_varint(&mut out, ms.max(0) as u64);
        }
        out
    }

    /// Calls `f(first, secs, count, total_ms)` for each entry of an encoded histogram; stops at
    /// a truncated entry.
    pub fn each_encoded(bytes: &[u8], mut f: impl FnMut(bool, i64, i64, i64)) {
        let mut at = 0;
        while at < bytes.len() {
            let (Some(key), Some(n), Some(ms)) =
                (get_varint(bytes, &mut at), get_varint(bytes, &mut at), get_varint(bytes, &mut at))
            else {
                return;
            };
            f(key & 1 == 1, (key >> 1) as i64, n as i64, ms as i64);
        }
    }

    pub fn decode(bytes: &[u8]) -> Self {
        let mut h = Histogram::default();
        Self::each_encoded(bytes, |first, secs, n, ms| h.add(first, secs, n, ms));
        h
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// A period `[from, to)` (ms) as whole UTC days read from day rows and the partial days at
/// its ends, read from the source rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// `[first, end)` day numbers, if any whole day lies inside.
    pub days: Option<(i64, i64)>,
    pub edges: Vec<(i64, i64)>,
}

pub fn split(from: i64, to: i64) -> Split {
    let first = from.div_euclid(DAY_MS) + i64::from(from.rem_euclid(DAY_MS) != 0);
    let end = to.div_euclid(DAY_MS);
    if first >= end {
        return Split { days: None, edges: if from < to { vec![(from, to)] } else { Vec::new() } };
    }
    let edges = [(from, first * DAY_MS), (end * DAY_MS, to)].into_iter().filter(|(a, b)| a < b).collect();
    Split { days: Some((first, end)), edges }
}

const EPOCH_YEAR: i32 = 1970;

fn date_of_day(day: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Duration::days(day)
}

/// UTC calendar months since 1970-01 of a UTC day number.
pub fn month_of_day(day: i64) -> i64 {
    let d = date_of_day(day);
    i64::from(d.year() - EPOCH_YEAR) * 12 + i64::from(d.month0())
}

/// The first UTC day number of a month from [`month_of_day`].
pub fn first_day_of_month(month: i64) -> i64 {
    let year = EPOCH_YEAR + month.div_euclid(12) as i32;
    let date = NaiveDate::from_ymd_opt(year, month.rem_euclid(12) as u32 + 1, 1).unwrap_or_default();
    (date - NaiveDate::default()).num_days()
}

/// Whole days `[first, end)` as whole months (`[m0, m1)`) and the days at their ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSplit {
    pub months: Option<(i64, i64)>,
    pub days: Vec<(i64, i64)>,
}

pub fn split_months(first: i64, end: i64) -> MonthSplit {
    let m0 = month_of_day(first) + i64::from(first_day_of_month(month_of_day(first)) != first);
    let m1 = month_of_day(end);
    if m0 >= m1 {
        return MonthSplit { months: None, days: if first < end { vec![(first, end)] } else { Vec::new() } };
    }
    let days =
        [(first, first_day_of_month(m0)), (first_day_of_month(m1), end)].into_iter().filter(|(a, b)| a < b).collect();
    MonthSplit { months: Some((m0, m1)), days }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_into_whole_days_and_edges() {
        let h = 3_600_000;
        assert_eq!(split(0, 2 * DAY_MS), Split { days: Some((0, 2)), edges: vec![] });
        assert_eq!(
            split(DAY_MS - 5 * h, 3 * DAY_MS + h),
            Split { days: Some((1, 3)), edges: vec![(DAY_MS - 5 * h, DAY_MS), (3 * DAY_MS, 3 * DAY_MS + h)] }
        );
        assert_eq!(split(h, DAY_MS + h), Split { days: None, edges: vec![(h, DAY_MS + h)] });
    }

    #[test]
    fn days_split_into_whole_months_and_edges() {
        assert_eq!(NaiveDate::default(), NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
        let day = |y, m, d| (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::default()).num_days();
        assert_eq!(month_of_day(day(2026, 3, 31)), 56 * 12 + 2);
        assert_eq!(first_day_of_month(56 * 12 + 2), day(2026, 3, 1));
        assert_eq!(month_of_day(-1), -1);
        let split = split_months(day(2025, 12, 2), day(2026, 3, 5));
        assert_eq!(split.months, Some((month_of_day(day(2026, 1, 1)), month_of_day(day(2026, 3, 1)))));
        assert_eq!(split.days, vec![(day(2025, 12, 2), day(2026, 1, 1)), (day(2026, 3, 1), day(2026, 3, 5))]);
        let exact = split_months(day(2026, 1, 1), day(2026, 2, 1));
        assert_eq!(
            exact,
            MonthSplit { months: Some((month_of_day(day(2026, 1, 1)), month_of_day(day(2026, 2, 1)))), days: vec![] }
        );
        assert_eq!(split_months(day(2026, 1, 2), day(2026, 1, 30)).days, vec![(day(2026, 1, 2), day(2026, 1, 30))]);
    }

    #[test]
    fn histograms_survive_encoding() {
        let mut h = Histogram::default();
        h.add(true, 45, 1, 44_500);
        h.add(false, 300, 2, 599_000);
        h.add(false, 1 << 40, 1, i64::MAX / 4);
        h.add(true, 45, 1, 45_000);
        assert_eq!(Histogram::decode(&h.encode()), h);
        assert_eq!(h.0[&(true, 45)], (2, 89_500));
        assert_eq!(wait_secs(44_001), 45);
        assert_eq!(wait_secs(0), 0);
    }
}
