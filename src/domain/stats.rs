//! Dialog statistics as the product reference defines them, for admins:
//! - *started*: the visitor wrote in the dialog (first visitor message in the period);
//! - *closed*: closed in the period and still closed (a reopened dialog is open again);
//! - *unanswered*: started, and no operator has replied;
//! - *missed*: an operator replied, and the visitor has not read the latest reply;
//! - *response time*: each time a visitor waited for an operator (from their first unanswered
//!   message to the next reply); the first one per dialog is the *first response time*;
//! - *replies per dialog*: operator replies per started dialog that got at least one reply.
//!
//! Durations are seconds; median and 90th percentile are nearest-rank over waits rounded up to
//! whole seconds; SLA shares compare each wait with its chat's current SLA.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::domain::local_time::{self, BUCKET_MS};
pub use crate::domain::response_timing::Timing;
use crate::domain::response_timing::{ResponseAcc, SlaTable, Waits};
use crate::domain::rollups::{self as domain_rollups, SPAN_LINK_DAY, SPAN_LINK_MONTH};
use crate::domain::visitor_links::{MAX_GAP, Moment};
use crate::error::{ApiError, ApiResult};
use crate::model::operator::OperatorBrief;
use crate::state::AppState;
use crate::store::operators;
use crate::store::rollups;
use crate::store::stats::{self, DialogMoment, StatsFilter};
use crate::time::DAY_MS;

mod narrowed;

/// Longest period one request may cover.
pub const MAX_PERIOD_DAYS: i64 = 400;

/// A period of whole local days in a zone.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub tz: Tz,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate, tz: Tz) -> ApiResult<Self> {
        if to < from {
            return Err(ApiError::bad_request("invalid_query", "`to` must not be before `from`"));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("the period may cover at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        Ok(Self { from, to, tz })
    }

    /// `[start, end)` in epoch milliseconds.
    pub fn bounds(&self) -> (i64, i64) {
        let next = self.to.succ_opt().unwrap_or(self.to);
        (local_time::day_start(self.tz, self.from), local_time::day_start(self.tz, next))
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// Filters besides the period.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub chat_id: Option<i64>,
    pub operator_id: Option<i64>,
    pub channel: Option<&'static str>,
    pub tag_ids: Vec<i64>,
}

impl Filters {
    pub fn for_period(&self, workspace_id: i64, period: &Period) -> StatsFilter {
        let (from, to) = period.bounds();
        StatsFilter {
            workspace_id,
            from,
            to,
            chat_id: self.chat_id,
            operator_id: self.operator_id,
            channel: self.channel,
            tag_ids: self.tag_ids.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayStats {
    /// Local date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub started: i64,
    pub started_visitors: i64,
    pub closed: i64,
    pub closed_visitors: i64,
    pub unanswered: i64,
    pub missed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HourStats {
    /// Local hour of day, 0–23.
    pub hour: u32,
    /// Dialogs started in this hour over the whole period.
    pub started: i64,
}

/// Team-wide dialog statistics.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DialogStats {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// IANA zone of days and hours.
    pub tz: String,
    pub started: i64,
    /// Distinct visitors who started dialogs.
    pub started_visitors: i64,
    pub closed: i64,
    /// Distinct visitors whose dialogs were closed.
    pub closed_visitors: i64,
    pub unanswered: i64,
    pub missed: i64,
    /// Operator replies in the started dialogs.
    pub replies: i64,
    /// Replies per started dialog that got at least one reply.
    pub replies_per_dialog: Option<f64>,
    pub first_response: Timing,
    /// Responses after the first.
    pub next_response: Timing,
    /// Every response (first and later), each against its own SLA.
    pub response: Timing,
    pub by_day: Vec<DayStats>,
    /// Always 24 entries.
    pub by_hour: Vec<HourStats>,
}

fn require_admin(principal: &Principal) -> ApiResult<()> {
    principal.require_admin().map_err(|_| ApiError::forbidden("only admins can read statistics"))
}

pub async fn dialog_stats(
    state: &AppState,
    principal: &Principal,
    period: Period,
    filters: Filters,
) -> ApiResult<DialogStats> {
    require_admin(principal)?;
    let ws = principal.workspace_id;
    if narrowed::applies(&filters) {
        return narrowed::dialog_stats(state, ws, period, filters).await;
    }
    state.db.run(move |conn| compute_dialog_stats(conn, ws, &period, &filters)).await
}

/// Each local day's first bucket, when every day of the period starts on a 15-minute mark
/// and is at most `MAX_GAP + 1` buckets long (what the bucket roll-ups can answer exactly).
fn day_start_buckets(period: &Period) -> Option<BTreeMap<NaiveDate, i64>> {
    let mut out = BTreeMap::new();
    for date in period.days() {
        let start = local_time::day_start(period.tz, date);
        let end = local_time::day_start(period.tz, date.succ_opt()?);
        if start % BUCKET_MS != 0 || end % BUCKET_MS != 0 || end - start > (MAX_GAP + 1) * BUCKET_MS {
            return None;
        }
        out.insert(date, start / BUCKET_MS);
    }
    Some(out)
}

/// From the roll-ups, unless the zone's day starts are not on 15-minute marks (historic
/// offsets: from the period's dialogs). Operator and tag filters never come here (`narrowed`).
fn compute_dialog_stats(
    conn: &mut DbConn,
    workspace_id: i64,
    period: &Period,
    filters: &Filters,
) -> ApiResult<DialogStats> {
    debug_assert!(!narrowed::applies(filters));
    let (from, to) = period.bounds();
    let Some(day_starts) = day_start_buckets(period) else {
        return compute_dialog_stats_direct(conn, workspace_id, period, filters);
    };
    let f = filters.for_period(workspace_id, period);
    let mut acc = DialogAcc::new(period);
    let (chat, channel) = rollup_key(filters);
    let buckets = (from / BUCKET_MS, to / BUCKET_MS);
    for (bucket, c) in rollups::quarter_counters(conn, workspace_id, chat, channel, buckets)? {
        acc.add_started(bucket, c.started, c.unanswered, c.missed, c.replies);
        acc.add_closed(bucket, c.closed);
        acc.add_visitors(bucket, Moment::Started, c.started_fresh);
        acc.add_visitors(bucket, Moment::Closed, c.closed_fresh);
    }
    for (bucket, moment, gap, n) in rollups::quarter_gaps(conn, workspace_id, chat, channel, buckets)? {
        let (date, _) = local_time::local_day_hour(period.tz, bucket * BUCKET_MS);
        let Some(day_start) = day_starts.get(&date) else { continue };
        // The link lies before the local day: the visitor's first start (close) of that day.
        if i64::from(gap) > bucket - day_start {
            let moment = if moment == Moment::Started as i32 { Moment::Started } else { Moment::Closed };
            acc.add_visitors(bucket, moment, n);
        }
    }
    acc.started_visitors = period_visitors(conn, &f, DialogMoment::Started)?;
    acc.closed_visitors = period_visitors(conn, &f, DialogMoment::Closed)?;
    let waits = period_waits(conn, &f)?;
    acc.finish(conn, &f, &waits)
}

/// Waits answered in the period. Whole UTC days come from the wait roll-ups (every operator's,
/// or the filter's operator's), the partial days at the ends from the response rows; a tag
/// filter reads the tagged dialogs' response rows (roll-ups know no tags).
fn period_waits(conn: &mut DbConn, f: &StatsFilter) -> ApiResult<Waits> {
    if !f.tag_ids.is_empty() {
        return Ok(Waits { rollups: Vec::new(), direct: stats::tagged_response_histogram(conn, f, false)? });
    }
    let mut waits = Waits::default();
    let split = domain_rollups::split(f.from, f.to);
    if let Some(days) = split.days {
        let channel = f.channel.unwrap_or(domain_rollups::ALL_CHANNELS);
        waits.rollups = rollups::day_waits(conn, f.workspace_id, f.chat_id, channel, f.operator_id, false, days)?;
    }
    for (a, b) in split.edges {
        waits.direct.extend(stats::response_histogram(conn, &StatsFilter { from: a, to: b, ..f.clone() }, false)?);
    }
    Ok(waits)
}

/// Distinct visitors who started (had closed) dialogs in the period: the dialogs there whose
/// link lies before the period (`domain::visitor_links`). Whole UTC months and days read the
/// link roll-ups, which know each link's UTC day: links before the day of `from` count, and
/// those on that day but before `from` are looked up. The partial days at the ends count
/// from the dialogs. Chat and channel filters only.
fn period_visitors(conn: &mut DbConn, f: &StatsFilter, moment: DialogMoment) -> ApiResult<i64> {
    let chat = f.chat_id.unwrap_or(domain_rollups::ALL);
    let channel = f.channel.unwrap_or(domain_rollups::ALL_CHANNELS);
    let moment_key = match moment {
        DialogMoment::Started => Moment::Started as i32,
        DialogMoment::Closed => Moment::Closed as i32,
    };
    let from_day = f.from.div_euclid(DAY_MS);
    let split = domain_rollups::split(f.from, f.to);
    let mut total = 0;
    if let Some((first, end)) = split.days {
        let months = domain_rollups::split_months(first, end);
        let mut spans: Vec<(i32, (i64, i64))> = months.days.iter().map(|d| (SPAN_LINK_DAY, *d)).collect();
        spans.extend(months.months.map(|m| (SPAN_LINK_MONTH, m)));
        for (span, periods) in spans {
            total +=
                rollups::linked_before(conn, (f.workspace_id, chat, channel), moment_key, span, periods, from_day)?;
        }
        if f.from > from_day * DAY_MS {
            total +=
                stats::linked_within(conn, f, moment, (first * DAY_MS, end * DAY_MS), (from_day * DAY_MS, f.from))?;
        }
    }
    for range in split.edges {
        total += stats::first_visits(conn, f, moment, range)?;
    }
    Ok(total)
}

/// The roll-up key of the chat and channel filters.
fn rollup_key(filters: &Filters) -> (i64, &'static str) {
    (filters.chat_id.unwrap_or(domain_rollups::ALL), filters.channel.unwrap_or(domain_rollups::ALL_CHANNELS))
}

/// Dialog statistics computed from the dialogs and response rows of the period (the
/// definition the roll-ups must agree with).
pub fn compute_dialog_stats_direct(
    conn: &mut DbConn,
    workspace_id: i64,
    period: &Period,
    filters: &Filters,
) -> ApiResult<DialogStats> {
    let f = filters.for_period(workspace_id, period);
    let mut acc = DialogAcc::new(period);
    for b in stats::started_buckets(conn, &f)? {
        acc.add_started(b.bucket, b.started, b.unanswered, b.missed, b.replies);
    }
    for b in stats::closed_buckets(conn, &f)? {
        acc.add_closed(b.bucket, b.n);
    }
    acc.add_distinct_direct(conn, &f)?;
    let waits = Waits { rollups: Vec::new(), direct: stats::response_histogram(conn, &f, false)? };
    acc.finish(conn, &f, &waits)
}

/// Sums dialog figures per local day and hour from 15-minute buckets.
struct DialogAcc {
    period: Period,
    days: BTreeMap<NaiveDate, DayStats>,
    hours: [i64; 24],
    started: i64,
    unanswered: i64,
    missed: i64,
    replies: i64,
    closed: i64,
    started_visitors: i64,
    closed_visitors: i64,
}

impl DialogAcc {
    fn new(period: &Period) -> Self {
        let days = period
            .days()
            .map(|date| {
                (
                    date,
                    DayStats {
                        date,
                        started: 0,
                        started_visitors: 0,
                        closed: 0,
                        closed_visitors: 0,
                        unanswered: 0,
                        missed: 0,
                    },
                )
            })
            .collect();
        Self {
            period: period.clone(),
            days,
            hours: [0; 24],
            started: 0,
            unanswered: 0,
            missed: 0,
            replies: 0,
            closed: 0,
            started_visitors: 0,
            closed_visitors: 0,
        }
    }

    /// Visitors counted on the local day of a bucket.
    fn add_visitors(&mut self, bucket: i64, moment: Moment, n: i64) {
        let (date, _) = local_time::local_day_hour(self.period.tz, bucket * BUCKET_MS);
        if let Some(day) = self.days.get_mut(&date) {
            match moment {
                Moment::Started => day.started_visitors += n,
                Moment::Closed => day.closed_visitors += n,
            }
        }
    }

    /// Distinct visitors counted from the dialogs' covering indexes with DISTINCT (the
    /// definition the links must agree with).
    fn add_distinct_direct(&mut self, conn: &mut DbConn, f: &StatsFilter) -> ApiResult<()> {
        let offsets = local_time::offsets(self.period.tz, f.from, f.to);
        for moment in [DialogMoment::Started, DialogMoment::Closed] {
            let column = if moment == DialogMoment::Started { "started_at" } else { "closed_at" };
            let day_sql = local_time::local_day_sql(column, &offsets);
            let per_day = stats::distinct_visitors_by_day(conn, f, moment, &day_sql)?
                .into_iter()
                .map(|b| (local_time::date_of_day_number(b.bucket), b.n))
                .collect();
            self.set_visitors(moment, per_day, stats::distinct_visitors(conn, f, moment)?);
        }
        Ok(())
    }

    /// Distinct visitors per local day and over the whole period.
    fn set_visitors(&mut self, moment: DialogMoment, per_day: HashMap<NaiveDate, i64>, total: i64) {
        for (date, n) in per_day {
            if let Some(day) = self.days.get_mut(&date) {
                match moment {
                    DialogMoment::Started => day.started_visitors = n,
                    DialogMoment::Closed => day.closed_visitors = n,
                }
            }
        }
        match moment {
            DialogMoment::Started => self.started_visitors = total,
            DialogMoment::Closed => self.closed_visitors = total,
        }
    }

    fn add_started(&mut self, bucket: i64, started: i64, unanswered: i64, missed: i64, replies: i64) {
        let (date, hour) = local_time::local_day_hour(self.period.tz, bucket * BUCKET_MS);
        if let Some(day) = self.days.get_mut(&date) {
            day.started += started;
            day.unanswered += unanswered;
            day.missed += missed;
        }
        self.hours[hour as usize] += started;
        self.started += started;
        self.unanswered += unanswered;
        self.missed += missed;
        self.replies += replies;
    }

    fn add_closed(&mut self, bucket: i64, closed: i64) {
        let (date, _) = local_time::local_day_hour(self.period.tz, bucket * BUCKET_MS);
        if let Some(day) = self.days.get_mut(&date) {
            day.closed += closed;
        }
        self.closed += closed;
    }

    /// Adds the response timings.
    fn finish(self, conn: &mut DbConn, f: &StatsFilter, waits: &Waits) -> ApiResult<DialogStats> {
        let sla = SlaTable::load(conn, f.workspace_id, &waits.chat_ids())?;
        Ok(self.finish_with(&sla, waits))
    }

    fn finish_with(self, sla: &SlaTable, waits: &Waits) -> DialogStats {
        let tz = self.period.tz;
        let (started_visitors, closed_visitors) = (self.started_visitors, self.closed_visitors);
        let mut responses = ResponseAcc::default();
        waits.each(|b| responses.add(b, sla));
        let answered = self.started - self.unanswered;
        DialogStats {
            from: self.period.from,
            to: self.period.to,
            tz: tz.name().to_string(),
            started: self.started,
            started_visitors,
            closed: self.closed,
            closed_visitors,
            unanswered: self.unanswered,
            missed: self.missed,
            replies: self.replies,
            replies_per_dialog: (answered > 0).then(|| self.replies as f64 / answered as f64),
            first_response: responses.first.finish(),
            next_response: responses.next.finish(),
            response: responses.all.finish(),
            by_day: self.days.into_values().collect(),
            by_hour: self
                .hours
                .iter()
                .enumerate()
                .map(|(hour, n)| HourStats { hour: hour as u32, started: *n })
                .collect(),
        }
    }
}

/// One operator's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperatorStats {
    pub operator: OperatorBrief,
    /// Dialogs started in the period and assigned to the operator.
    pub started: i64,
    /// Of those, not closed now.
    pub active: i64,
    /// Dialogs assigned to the operator and closed in the period.
    pub closed: i64,
    pub unanswered: i64,
    pub missed: i64,
    pub replies: i64,
    /// Waits the operator answered in the period.
    pub first_response: Timing,
    pub response: Timing,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperatorStatsList {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub tz: String,
    /// Every operator with figures in the period, or every current operator, by id.
    pub items: Vec<OperatorStats>,
}

pub async fn operator_stats(
    state: &AppState,
    principal: &Principal,
    period: Period,
    filters: Filters,
) -> ApiResult<OperatorStatsList> {
    require_admin(principal)?;
    let ws = principal.workspace_id;
    // Roll-ups know no tags: a tag filter reads the tagged dialogs (see `narrowed`).
    let source = if filters.tag_ids.is_empty() {
        OperatorSource::Rollups
    } else {
        OperatorSource::Tagged(narrowed::read_tagged(state, ws, &period, &filters).await?)
    };
    state.db.run(move |conn| operator_stats_from(conn, ws, &period, &filters, source)).await
}

#[derive(Default)]
struct OperatorAcc {
    started: i64,
    active: i64,
    closed: i64,
    unanswered: i64,
    missed: i64,
    replies: i64,
    responses: ResponseAcc,
}

/// Adds the figures of `[f.from, f.to)` computed from the dialogs and response rows.
fn add_operators_direct(
    conn: &mut DbConn,
    f: &StatsFilter,
    by_operator: &mut BTreeMap<i64, OperatorAcc>,
    waits: &mut Waits,
) -> ApiResult<()> {
    for row in stats::operator_dialogs(conn, f)? {
        let Some(id) = row.operator_id else { continue };
        let acc = by_operator.entry(id).or_default();
        acc.started += row.started;
        acc.active += row.active;
        acc.unanswered += row.unanswered;
        acc.missed += row.missed;
        acc.replies += row.replies;
    }
    for row in stats::operator_closed(conn, f)? {
        if let Some(id) = row.operator_id {
            by_operator.entry(id).or_default().closed += row.n;
        }
    }
    waits.direct.extend(stats::response_histogram(conn, f, true)?);
    Ok(())
}

/// Where per-operator figures come from.
enum OperatorSource {
    /// Whole UTC days from the roll-ups, the partial days at the ends from the dialogs.
    Rollups,
    /// The period's dialogs and response rows (the definition).
    Direct,
    /// The tagged dialogs and their waits, already read.
    Tagged(narrowed::Tagged),
}

/// Per-operator statistics computed from the dialogs and response rows alone.
pub fn compute_operator_stats_direct(
    conn: &mut DbConn,
    workspace_id: i64,
    period: &Period,
    filters: &Filters,
) -> ApiResult<OperatorStatsList> {
    operator_stats_from(conn, workspace_id, period, filters, OperatorSource::Direct)
}

fn operator_stats_from(
    conn: &mut DbConn,
    workspace_id: i64,
    period: &Period,
    filters: &Filters,
    source: OperatorSource,
) -> ApiResult<OperatorStatsList> {
    let f = filters.for_period(workspace_id, period);
    let mut by_operator: BTreeMap<i64, OperatorAcc> = BTreeMap::new();
    let mut waits = Waits::default();
    let split = match source {
        OperatorSource::Rollups => domain_rollups::split(f.from, f.to),
        OperatorSource::Direct => domain_rollups::Split { days: None, edges: vec![(f.from, f.to)] },
        OperatorSource::Tagged(tagged) => {
            tagged.add_to(&mut by_operator, &mut waits);
            domain_rollups::Split { days: None, edges: Vec::new() }
        }
    };
    if let Some(days) = split.days {
        let (chat, channel) = rollup_key(filters);
        for (id, c) in rollups::operator_day_counters(conn, workspace_id, chat, channel, filters.operator_id, days)? {
            let acc = by_operator.entry(id).or_default();
            acc.started += c.started;
            acc.active += c.active;
            acc.unanswered += c.unanswered;
            acc.missed += c.missed;
            acc.replies += c.replies;
            acc.closed += c.closed;
        }
        waits.rollups =
            rollups::day_waits(conn, workspace_id, filters.chat_id, channel, filters.operator_id, true, days)?;
    }
    for (a, b) in split.edges {
        add_operators_direct(conn, &StatsFilter { from: a, to: b, ..f.clone() }, &mut by_operator, &mut waits)?;
    }
    let sla = SlaTable::load(conn, workspace_id, &waits.chat_ids())?;
    // Each roll-up row is one operator's: one lookup per row, not per entry.
    for row in &waits.rollups {
        if let Some(id) = row.operator_id {
            let responses = &mut by_operator.entry(id).or_default().responses;
            row.each(|b| responses.add(b, &sla));
        }
    }
    for b in &waits.direct {
        if let Some(id) = b.operator_id {
            by_operator.entry(id).or_default().responses.add(b, &sla);
        }
    }
    // Current operators appear even without figures (unless one operator was asked for).
    let current: Vec<i64> = match filters.operator_id {
        Some(id) => vec![id],
        None => operators::list_ids(conn, workspace_id)?,
    };
    for id in current {
        by_operator.entry(id).or_default();
    }
    let ids: Vec<i64> = by_operator.keys().copied().collect();
    let briefs: HashMap<i64, OperatorBrief> =
        operators::find_many_any(conn, workspace_id, &ids)?.iter().map(|o| (o.id, OperatorBrief::from(o))).collect();
    let items = by_operator
        .into_iter()
        .filter_map(|(id, acc)| {
            Some(OperatorStats {
                operator: briefs.get(&id)?.clone(),
                started: acc.started,
                active: acc.active,
                closed: acc.closed,
                unanswered: acc.unanswered,
                missed: acc.missed,
                replies: acc.replies,
                first_response: acc.responses.first.finish(),
                response: acc.responses.all.finish(),
            })
        })
        .collect();
    Ok(OperatorStatsList { from: period.from, to: period.to, tz: period.tz.name().to_string(), items })
}
