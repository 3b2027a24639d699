//! Auto-replies: a bot message sent in a new dialog when no operator has replied within the
//! reply's delay. Each reply has a schedule (weekdays and time ranges in its time zone); a reply
//! marked `any_time` overrides every schedule. Admins manage them.

use chrono::{Datelike, NaiveTime, Timelike, Weekday as ChronoWeekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::auto_replies::{self, AutoReplyFields, AutoReplyRow, MAX_PER_WORKSPACE};
use crate::time::{now_ms, to_datetime};
use crate::validate::Validator;

use super::chat_settings::ContactRequest;
use super::local_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    const ALL: [Weekday; 7] =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

    fn number(self) -> u32 {
        self as u32 + 1
    }

    fn from_number(n: u32) -> Option<Self> {
        Self::ALL.get((n as usize).checked_sub(1)?).copied()
    }

    fn of(day: ChronoWeekday) -> Self {
        Self::ALL[day.num_days_from_monday() as usize]
    }
}

/// Local times `HH:MM`; `to` before `from` runs past midnight into the next day (and belongs to
/// the weekday it starts on). `to` is not included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    #[schema(example = "09:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    #[schema(example = "18:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub to: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyInput {
    #[schema(max_length = 100)]
    pub name: String,
    /// The message the visitor gets.
    #[schema(max_length = 2000)]
    pub body: String,
    /// Sent at any time, overriding every scheduled reply.
    #[serde(default)]
    pub any_time: bool,
    /// Days the time ranges apply (ignored with `any_time`).
    #[serde(default)]
    #[schema(max_items = 7)]
    pub weekdays: Vec<Weekday>,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub time_ranges: Vec<TimeRange>,
    /// IANA time zone of the schedule (default UTC).
    #[schema(example = "Europe/Moscow", max_length = 64)]
    pub time_zone: Option<String>,
    /// Seconds without an operator reply after the dialog starts before it is sent.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3600)]
    pub delay_secs: i64,
    /// Contact to ask for with the reply (not asked when the visitor card has it); the visitor's
    /// next message holding one fills the card.
    #[serde(default = "no_contact")]
    pub ask_for: ContactRequest,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn no_contact() -> ContactRequest {
    ContactRequest::Nothing
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AutoReplyView {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub any_time: bool,
    pub weekdays: Vec<Weekday>,
    pub time_ranges: Vec<TimeRange>,
    pub time_zone: String,
    pub delay_secs: i64,
    pub ask_for: ContactRequest,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<&AutoReplyRow> for AutoReplyView {
    fn from(r: &AutoReplyRow) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            body: r.body.clone(),
            any_time: r.any_time,
            weekdays: weekdays_of(r),
            time_ranges: serde_json::from_str(&r.time_ranges).unwrap_or_default(),
            time_zone: r.time_zone.clone(),
            delay_secs: i64::from(r.delay_secs),
            ask_for: contact_of(&r.ask_for),
            enabled: r.enabled,
            created_at: to_datetime(r.created_at),
            updated_at: to_datetime(r.updated_at),
        }
    }
}

fn weekdays_of(r: &AutoReplyRow) -> Vec<Weekday> {
    r.weekdays.split(',').filter_map(|n| n.trim().parse().ok()).filter_map(Weekday::from_number).collect()
}

pub fn contact_of(v: &str) -> ContactRequest {
    match v {
        "email" => ContactRequest::Email,
        "phone" => ContactRequest::Phone,
        _ => ContactRequest::Nothing,
    }
}

pub fn contact_str(c: ContactRequest) -> &'static str {
    match c {
        ContactRequest::Email => "email",
        ContactRequest::Phone => "phone",
        ContactRequest::Nothing => "nothing",
    }
}

fn parse_time(v: &str) -> Option<u32> {
    let t = NaiveTime::parse_from_str(v, "%H:%M").ok().filter(|_| v.len() == 5)?;
    Some(t.hour() * 60 + t.minute())
}

fn fields(input: AutoReplyInput, now: i64) -> ApiResult<AutoReplyFields> {
    let mut v = Validator::new();
    v.text("name", &input.name, 100);
    v.text("body", &input.body, 2000);
    v.range("delay_secs", input.delay_secs, 0, 3600);
    v.check(input.weekdays.len() <= 7, "weekdays", "too_many", "at most 7 days");
    v.check(input.time_ranges.len() <= 10, "time_ranges", "too_many", "at most 10 ranges");
    if !input.any_time {
        v.check(!input.weekdays.is_empty(), "weekdays", "required", "a scheduled reply needs at least one day");
        v.check(!input.time_ranges.is_empty(), "time_ranges", "required", "a scheduled reply needs a time range");
    }
    for (i, r) in input.time_ranges.iter().enumerate() {
        let (from, to) = (parse_time(&r.from), parse_time(&r.to));
        v.check(from.is_some(), &format!("time_ranges.{i}.from"), "invalid_format", "must be HH:MM");
        v.check(to.is_some(), &format!("time_ranges.{i}.to"), "invalid_format", "must be HH:MM");
        v.check(
            from.is_none() || from != to,
            &format!("time_ranges.{i}.to"),
            "invalid_value",
            "must differ from `from`",
        );
    }
    let zone = input.time_zone.as_deref().unwrap_or("UTC").trim().to_string();
    v.check(
        zone.len() <= 64 && zone.parse::<chrono_tz::Tz>().is_ok(),
        "time_zone",
        "invalid_value",
        "unknown time zone",
    );
    v.finish()?;
    let mut days: Vec<u32> = input.weekdays.iter().map(|d| d.number()).collect();
    days.sort_unstable();
    days.dedup();
    Ok(AutoReplyFields {
        name: input.name.trim().into(),
        body: input.body.trim().into(),
        any_time: input.any_time,
        weekdays: days.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        time_ranges: serde_json::to_string(&input.time_ranges).map_err(ApiError::internal)?,
        time_zone: zone,
        delay_secs: input.delay_secs as i32,
        ask_for: contact_str(input.ask_for).into(),
        enabled: input.enabled,
        updated_at: now,
    })
}

/// Whether the reply's schedule covers the instant `at_ms`.
pub fn covers(r: &AutoReplyRow, at_ms: i64) -> bool {
    if r.any_time {
        return true;
    }
    let Ok(tz) = local_time::parse_zone(Some(&r.time_zone)) else { return false };
    let local = to_datetime(at_ms).with_timezone(&tz);
    let minute = local.hour() * 60 + local.minute();
    let today = Weekday::of(local.weekday());
    let yesterday = Weekday::of(local.weekday().pred());
    let days = weekdays_of(r);
    let ranges: Vec<TimeRange> = serde_json::from_str(&r.time_ranges).unwrap_or_default();
    ranges.iter().any(|range| {
        let (Some(from), Some(to)) = (parse_time(&range.from), parse_time(&range.to)) else { return false };
        if from < to {
            days.contains(&today) && from <= minute && minute < to
        } else {
            (days.contains(&today) && minute >= from) || (days.contains(&yesterday) && minute < to)
        }
    })
}

/// The reply for a dialog that started at `at_ms`: an enabled `any_time` reply, else the
/// oldest enabled reply whose schedule covers that instant.
pub fn applicable(conn: &mut DbConn, workspace_id: i64, at_ms: i64) -> ApiResult<Option<AutoReplyRow>> {
    let replies: Vec<AutoReplyRow> =
        auto_replies::list(conn, workspace_id)?.into_iter().filter(|r| r.enabled).collect();
    if let Some(any) = replies.iter().find(|r| r.any_time) {
        return Ok(Some(any.clone()));
    }
    Ok(replies.into_iter().find(|r| covers(r, at_ms)))
}

pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<Vec<AutoReplyView>> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state.db.run(move |conn| Ok(auto_replies::list(conn, ws)?.iter().map(AutoReplyView::from).collect())).await
}

pub async fn get(state: &AppState, principal: &Principal, id: i64) -> ApiResult<AutoReplyView> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state.db.run(move |conn| Ok(AutoReplyView::from(&find(conn, ws, id)?))).await
}

fn find(conn: &mut DbConn, ws: i64, id: i64) -> ApiResult<AutoReplyRow> {
    auto_replies::find(conn, ws, id)?.ok_or_else(|| ApiError::not_found("auto-reply"))
}

pub async fn create(state: &AppState, principal: &Principal, input: AutoReplyInput) -> ApiResult<AutoReplyView> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    let now = now_ms();
    let fields = fields(input, now)?;
    state
        .db
        .write_in(ws, move |conn| {
            if auto_replies::count(conn, ws)? >= MAX_PER_WORKSPACE {
                return Err(ApiError::conflict("too_many_auto_replies", "a workspace has at most 100 auto-replies"));
            }
            Ok(AutoReplyView::from(&auto_replies::insert(conn, ws, &fields, now)?))
        })
        .await
}

pub async fn replace(
    state: &AppState,
    principal: &Principal,
    id: i64,
    input: AutoReplyInput,
) -> ApiResult<AutoReplyView> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    let fields = fields(input, now_ms())?;
    state
        .db
        .write_in(ws, move |conn| {
            find(conn, ws, id)?;
            Ok(AutoReplyView::from(&auto_replies::update(conn, id, &fields)?))
        })
        .await
}

pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> ApiResult<()> {
    principal.require_admin()?;
    let ws = principal.workspace_id;
    state
        .db
        .write_in(ws, move |conn| {
            if auto_replies::delete(conn, ws, id)? == 0 {
                return Err(ApiError::not_found("auto-reply"));
            }
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(days: &str, ranges: &str, zone: &str) -> AutoReplyRow {
        AutoReplyRow {
            id: 1,
            workspace_id: 1,
            name: "n".into(),
            body: "b".into(),
            any_time: false,
            weekdays: days.into(),
            time_ranges: ranges.into(),
            time_zone: zone.into(),
            delay_secs: 0,
            ask_for: "nothing".into(),
            enabled: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn at(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
    }

    #[test]
    fn ranges_include_the_start_and_exclude_the_end_in_the_schedule_zone() {
        // Monday to Friday, 09:00-18:00 Moscow time (UTC+3).
        let r = row("1,2,3,4,5", r#"[{"from":"09:00","to":"18:00"}]"#, "Europe/Moscow");
        assert!(covers(&r, at("2026-12-07T06:00:00Z")), "Monday 09:00 local");
        assert!(!covers(&r, at("2026-12-07T05:59:59Z")), "Monday 08:59 local");
        assert!(!covers(&r, at("2026-12-07T15:00:00Z")), "Monday 18:00 local");
        // Friday 23:30 UTC is already Saturday 02:30 in Moscow.
        let night = row("6", r#"[{"from":"00:00","to":"03:00"}]"#, "Europe/Moscow");
        assert!(covers(&night, at("2026-12-04T23:30:00Z")));
        assert!(!covers(&night, at("2026-12-04T20:30:00Z")), "Friday 23:30 local is not Saturday");
    }

    #[test]
    fn a_range_past_midnight_belongs_to_the_day_it_starts() {
        // Friday 22:00 to 06:00.
        let r = row("5", r#"[{"from":"22:00","to":"06:00"}]"#, "UTC");
        assert!(covers(&r, at("2026-12-04T22:00:00Z")), "Friday 22:00");
        assert!(covers(&r, at("2026-12-05T05:59:00Z")), "Saturday 05:59");
        assert!(!covers(&r, at("2026-12-05T06:00:00Z")), "Saturday 06:00");
        assert!(!covers(&r, at("2026-12-05T22:30:00Z")), "Saturday 22:30");
        assert!(!covers(&r, at("2026-12-04T05:00:00Z")), "Friday 05:00 belongs to Thursday's night");
    }
}
