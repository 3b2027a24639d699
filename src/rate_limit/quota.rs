//! A quota: at most `limit` hits per window of `window_secs` seconds, written `10/300`.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window_secs: u64,
}

impl Quota {
    pub const fn new(limit: u32, window_secs: u64) -> Self {
        Self { limit, window_secs }
    }

    pub fn window_ms(self) -> u64 {
        self.window_secs * 1000
    }

    /// Windows are aligned to the epoch, so every node agrees on where one starts.
    pub fn window_index(self, now_ms: i64) -> u64 {
        now_ms.max(0) as u64 / self.window_ms()
    }

    /// Whole seconds until the current window ends (at least 1).
    pub fn seconds_left(self, now_ms: i64) -> u64 {
        let end = (self.window_index(now_ms) + 1) * self.window_ms();
        (end - now_ms.max(0) as u64).div_ceil(1000).max(1)
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, self.window_secs)
    }
}

/// A configured quota: `COUNT/SECONDS`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSetting(pub Option<Quota>);

impl FromStr for QuotaSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(QuotaSetting(None));
        }
        let invalid = || format!("'{s}' is not COUNT/SECONDS (e.g. 10/60) or off");
        let (limit, window) = s.split_once('/').ok_or_else(invalid)?;
        let limit: u32 = limit.trim().parse().map_err(|_| invalid())?;
        let window_secs: u64 = window.trim().parse().map_err(|_| invalid())?;
        if limit == 0 || window_secs == 0 || window_secs > 86_400 {
            return Err(format!("'{s}' needs a count of at least 1 and a window of 1 to 86400 seconds"));
        }
        Ok(QuotaSetting(Some(Quota::new(limit, window_secs))))
    }
}

impl fmt::Display for QuotaSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(q) => q.fmt(f),
            None => f.write_str("off"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_count_per_seconds_or_off() {
        assert_eq!("10/60".parse::<QuotaSetting>().unwrap().0, Some(Quota::new(10, 60)));
        assert_eq!("off".parse::<QuotaSetting>().unwrap().0, None);
        for bad in ["", "10", "0/60", "10/0", "x/60", "10/100000"] {
            assert!(bad.parse::<QuotaSetting>().is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_aligned_and_report_the_seconds_left() {
        let q = Quota::new(5, 60);
        assert_eq!(q.window_index(59_999), 0);
        assert_eq!(q.window_index(60_000), 1);
        assert_eq!(q.seconds_left(60_000), 60);
        assert_eq!(q.seconds_left(119_500), 1);
    }
}
