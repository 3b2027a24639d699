//! Local days and hours in an IANA time zone. Statistics group rows by UTC 15-minute buckets in
//! SQL (every zone offset in use is a multiple of 15 minutes, so a bucket never straddles a
//! local hour or day) and map buckets to local days and hours here, which stays right across
//! daylight-saving changes and for zones like Asia/Kolkata (+05:30).

use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::error::{ApiError, ApiResult};
use crate::time::{DAY_MS, HOUR_MS, to_datetime};

pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// An IANA zone name (default UTC); an unknown name is a 400.
pub fn parse_zone(name: Option<&str>) -> ApiResult<Tz> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(Tz::UTC),
        Some(n) => {
            n.parse::<Tz>().map_err(|_| ApiError::bad_request("invalid_query", format!("tz: unknown time zone `{n}`")))
        }
    }
}

/// The UTC instant where a local date begins (the first existing local time of that day).
pub fn day_start(tz: Tz, date: NaiveDate) -> i64 {
    let mut local = date.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..96 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.timestamp_millis();
        }
        local += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight")).timestamp_millis()
}

/// The local date and hour of an instant.
pub fn local_day_hour(tz: Tz, at_ms: i64) -> (NaiveDate, u32) {
    let local = to_datetime(at_ms).with_timezone(&tz);
    (local.date_naive(), local.hour())
}

fn offset_ms(tz: Tz, at_ms: i64) -> i64 {
    let t: DateTime<Utc> = to_datetime(at_ms);
    i64::from(tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()) * 1000
}

/// The zone's UTC offsets over `[from, to)`: `(since, offset)` pairs, the first since `from`.
pub fn offsets(tz: Tz, from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = vec![(from, offset_ms(tz, from))];
    let mut t = from;
    while t < to {
        let next = (t + HOUR_MS).min(to);
        let current = out.last().expect("one offset").1;
        if offset_ms(tz, next) != current {
            // The change happened in (t, next]: find its instant.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_ms(tz, mid) == current { lo = mid } else { hi = mid }
            }
            out.push((hi, offset_ms(tz, hi)));
        }
        t = next;
    }
    out
}

/// SQL for the local day number (days since 1970-01-01 in local time) of an epoch-ms column.
pub fn local_day_sql(column: &str, offsets: &[(i64, i64)]) -> String {
    let offset = match offsets {
        [] => "0".to_string(),
        [(_, only)] => only.to_string(),
        [first, rest @ ..] => {
            let mut case = String::from("CASE");
            let mut current = first.1;
            for (since, offset) in rest {
                case += &format!(" WHEN {column} < {since} THEN {current}");
                current = *offset;
            }
            case + &format!(" ELSE {current} END")
        }
    };
    format!("(({column} + {offset}) / {DAY_MS})")
}

/// The local date of a day number from [`local_day_sql`].
pub fn date_of_day_number(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + Duration::days(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn kolkata_days_start_at_half_past_six_utc() {
        let tz = parse_zone(Some("Asia/Kolkata")).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        assert_eq!(day_start(tz, d), ms("2026-03-09T18:30:00Z"));
        assert_eq!(local_day_hour(tz, ms("2026-03-09T18:29:59Z")), (NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(), 23));
        assert_eq!(local_day_hour(tz, ms("2026-03-09T18:30:00Z")), (d, 0));
    }

    #[test]
    fn dst_changes_are_found_to_the_millisecond() {
        let tz = parse_zone(Some("Europe/Berlin")).unwrap();
        let from = ms("2026-03-28T00:00:00Z");
        let to = ms("2026-03-31T00:00:00Z");
        assert_eq!(offsets(tz, from, to), vec![(from, HOUR_MS), (ms("2026-03-29T01:00:00Z"), 2 * HOUR_MS)]);
        // The day of the change has 23 hours.
        let d = |day| day_start(tz, NaiveDate::from_ymd_opt(2026, 3, day).unwrap());
        assert_eq!(d(30) - d(29), 23 * HOUR_MS);
        assert!(parse_zone(Some("Mars/Base")).is_err());
    }
}
