//! Local days and clock times for "today's spend", the usage report and rate-limit resets.
//!
//! The ledger keeps UTC milliseconds; people think in local days. [`LocalTime`] holds one
//! UTC offset and does the conversions. The offset is read once, at start-up
//! ([`LocalTime::detect`], before any thread is spawned: reading it later is not sound on
//! Unix, and the `time` crate refuses), so a session that crosses a daylight-saving change
//! keeps its starting offset, and the report buckets every day with today's offset. Both
//! are off by at most an hour around midnight, which a spending gauge can live with.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

const MS_PER_DAY: i64 = 86_400_000;

/// Now, in Unix milliseconds (UTC). A clock before 1970 reads as 0.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A fixed UTC offset and the conversions that need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    offset: UtcOffset,
}

impl Default for LocalTime {
    fn default() -> Self {
        Self::utc()
    }
}

impl LocalTime {
    pub fn utc() -> Self {
        Self {
            offset: UtcOffset::UTC,
        }
    }

    /// The machine's current offset; UTC when it cannot be read (e.g. called once threads
    /// run). Call it first thing in `main`.
    pub fn detect() -> Self {
        Self {
            offset: UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC),
        }
    }

    /// An offset of `seconds` east of UTC (clamped to the valid +-25 h).
    pub fn from_offset_secs(seconds: i32) -> Self {
        let seconds = seconds.clamp(-89_999, 89_999);
        Self {
            offset: UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC),
        }
    }

    /// "UTC" or "UTC+01:00", for report headers.
    pub fn label(&self) -> String {
        if self.offset.is_utc() {
            return "UTC".into();
        }
        let (h, m, _) = self.offset.as_hms();
        let sign = if self.offset.is_negative() { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
    }

    fn date_of(&self, at_ms: i64) -> Date {
        let secs = at_ms.div_euclid(1000);
        OffsetDateTime::from_unix_timestamp(secs)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(self.offset)
            .date()
    }

    fn start_of(&self, date: Date) -> i64 {
        let secs = date.midnight().assume_offset(self.offset).unix_timestamp();
        secs.saturating_mul(1000)
    }

    /// The start of the local day holding `at_ms`, in Unix milliseconds.
    pub fn midnight_ms(&self, at_ms: i64) -> i64 {
        self.start_of(self.date_of(at_ms))
    }

    /// The start of the first of the last `days` local days (today counts as one).
    pub fn days_back_ms(&self, at_ms: i64, days: u32) -> i64 {
        let back = i64::from(days.max(1) - 1) * MS_PER_DAY;
        // Step back from noon, so a short day (DST) cannot skip a date.
        let today_noon = self.midnight_ms(at_ms) + MS_PER_DAY / 2;
        self.midnight_ms(today_noon - back)
    }

    /// "2026-11-25": the local date of `at_ms`.
    pub fn date(&self, at_ms: i64) -> String {
        let d = self.date_of(at_ms);
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// "14:03:12": an RFC 3339 time (as the rate-limit headers send it) in local time;
    /// `None` when it does not parse.
    /// Milliseconds since the epoch of an RFC 3339 time (a rate limit's reset).
    pub fn epoch_ms(rfc3339: &str) -> Option<i64> {
        let t = OffsetDateTime::parse(rfc3339.trim(), &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
    }

    pub fn clock(&self, rfc3339: &str) -> Option<String> {
        let t = OffsetDateTime::parse(rfc3339.trim(), &Rfc3339)
            .ok()?
            .to_offset(self.offset);
        Some(format!(
            "{:02}:{:02}:{:02}",
            t.hour(),
            t.minute(),
            t.second()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T10:30:00Z.
    const T: i64 = 1_795_602_600_000;

    #[test]
    fn dates_and_midnights_follow_the_offset() {
        let utc = LocalTime::utc();
        assert_eq!(utc.date(T), "2026-11-25");
        assert_eq!(utc.midnight_ms(T), T - 10 * 3_600_000 - 30 * 60_000);
        // UTC-11: still the 24th there, 23:30.
        let west = LocalTime::from_offset_secs(-11 * 3600);
        assert_eq!(west.date(T), "2026-11-24");
        assert_eq!(west.midnight_ms(T), T - 23 * 3_600_000 - 30 * 60_000);
        // UTC+14: already 00:30 on the 26th.
        let east = LocalTime::from_offset_secs(14 * 3600);
        assert_eq!(east.date(T), "2026-11-26");
        assert_eq!(east.midnight_ms(T), T - 30 * 60_000);
        assert_eq!(east.label(), "UTC+14:00");
        assert_eq!(
            LocalTime::from_offset_secs(-5 * 3600 - 1800).label(),
            "UTC-05:30"
        );
        assert_eq!(utc.label(), "UTC");
    }

    #[test]
    fn days_back_counts_today() {
        let utc = LocalTime::utc();
        let midnight = utc.midnight_ms(T);
        assert_eq!(utc.days_back_ms(T, 1), midnight);
        assert_eq!(utc.days_back_ms(T, 0), midnight);
        assert_eq!(utc.days_back_ms(T, 7), midnight - 6 * MS_PER_DAY);
        assert_eq!(utc.date(utc.days_back_ms(T, 7)), "2026-11-19");
    }

    #[test]
    fn reset_times_show_as_local_clock_times() {
        let utc = LocalTime::utc();
        assert_eq!(
            utc.clock("2026-11-25T10:03:12Z").as_deref(),
            Some("10:03:12")
        );
        let paris = LocalTime::from_offset_secs(3600);
        assert_eq!(
            paris.clock("2026-11-25T10:03:12Z").as_deref(),
            Some("11:03:12")
        );
        assert_eq!(
            paris.clock("2026-11-25T10:03:12.5+02:00").as_deref(),
            Some("09:03:12")
        );
        assert_eq!(utc.clock("soon"), None);
    }
}
