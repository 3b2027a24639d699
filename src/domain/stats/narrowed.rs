//! Statistics of the dialogs an operator or tag filter selects, computed from those dialogs
//! alone: the counter roll-ups add up every operator and tag together, and the distinct
//! visitors of such a subset have no visitor links of their own. One row is read per selected
//! dialog started or closed in the period (`store::stats::narrowed_dialogs`), never the
//! period's other dialogs, so the cost follows the size of the selection.
//!
//! The selected dialogs and their waits are read at the same time on two pooled connections:
//! for a tag filter each is a walk over the tagged dialogs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use super::{DialogAcc, DialogStats, Filters, OperatorAcc, Period, period_waits};
use crate::domain::local_time::{self, BUCKET_MS};
use crate::domain::response_timing::{SlaTable, Waits};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::stats::{self, DialogMoment, NarrowedDialog, ResponseBucket};

/// Whether `filters` select a subset the roll-ups cannot answer.
pub(super) fn applies(filters: &Filters) -> bool {
    filters.operator_id.is_some() || !filters.tag_ids.is_empty()
}

/// `stats/dialogs` for a narrowed selection, its two reads side by side.
pub(super) async fn dialog_stats(
    state: &AppState,
    workspace_id: i64,
    period: Period,
    filters: Filters,
) -> ApiResult<DialogStats> {
    let f = filters.for_period(workspace_id, &period);
    let (f1, f2) = (f.clone(), f);
    let (rows, (waits, sla)) = tokio::try_join!(
        state.db.run(move |conn| Ok(stats::narrowed_dialogs(conn, &f1)?)),
        state.db.run(move |conn| {
            let waits = period_waits(conn, &f2)?;
            let sla = SlaTable::load(conn, workspace_id, &waits.chat_ids())?;
            Ok((waits, sla))
        }),
    )?;
    Ok(tally(&period, rows).finish_with(&sla, &waits))
}

/// Counts the selected dialogs per 15-minute bucket and their distinct visitors per local day
/// and over the period.
fn tally(period: &Period, rows: Vec<NarrowedDialog>) -> DialogAcc {
    let mut acc = DialogAcc::new(period);
    // For starts and for closes.
    let mut seen: [Seen; 2] = Default::default();
    for d in rows {
        if let Some(at) = d.started_at {
            acc.add_started(at.div_euclid(BUCKET_MS), 1, i64::from(d.replies == 0), d.missed, d.replies);
        }
        if let Some(at) = d.closed_at {
            acc.add_closed(at.div_euclid(BUCKET_MS), 1);
        }
        for (at, seen) in [d.started_at, d.closed_at].into_iter().zip(seen.iter_mut()) {
            if let Some(at) = at {
                seen.by_day.insert((local_time::local_day_hour(period.tz, at).0, d.visitor_id));
                seen.visitors.insert(d.visitor_id);
            }
        }
    }
    for (moment, seen) in [DialogMoment::Started, DialogMoment::Closed].into_iter().zip(seen) {
        let mut per_day: HashMap<NaiveDate, i64> = HashMap::new();
        for (date, _) in seen.by_day {
            *per_day.entry(date).or_default() += 1;
        }
        acc.set_visitors(moment, per_day, seen.visitors.len() as i64);
    }
    acc
}

/// Visitors seen at one moment (start or close) of the selected dialogs.
#[derive(Default)]
struct Seen {
    /// (local day, visitor).
    by_day: HashSet<(NaiveDate, i64)>,
    visitors: HashSet<i64>,
}

/// The tagged dialogs started or closed in a period and the waits answered in them, for
/// per-operator statistics.
pub(super) struct Tagged {
    dialogs: Vec<NarrowedDialog>,
    waits: Vec<ResponseBucket>,
}

impl Tagged {
    /// Adds each assignee's figures and waits.
    pub(super) fn add_to(self, by_operator: &mut BTreeMap<i64, OperatorAcc>, waits: &mut Waits) {
        for d in self.dialogs {
            let Some(id) = d.assignee_id else { continue };
            let acc = by_operator.entry(id).or_default();
            if d.started_at.is_some() {
                acc.started += 1;
                acc.active += d.active;
                acc.unanswered += i64::from(d.replies == 0);
                acc.missed += d.missed;
                acc.replies += d.replies;
            }
            if d.closed_at.is_some() {
                acc.closed += 1;
            }
        }
        waits.direct.extend(self.waits);
    }
}

/// [`Tagged::read`] with its two reads side by side.
pub(super) async fn read_tagged(
    state: &AppState,
    workspace_id: i64,
    period: &Period,
    filters: &Filters,
) -> ApiResult<Tagged> {
    let f = filters.for_period(workspace_id, period);
    let (f1, f2) = (f.clone(), f);
    let (dialogs, waits) = tokio::try_join!(
        state.db.run(move |conn| Ok(stats::narrowed_dialogs(conn, &f1)?)),
        state.db.run(move |conn| Ok(stats::tagged_response_histogram(conn, &f2, true)?)),
    )?;
    Ok(Tagged { dialogs, waits })
}
