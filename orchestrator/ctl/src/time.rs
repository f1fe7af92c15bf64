//! Relative times as Docker prints them ("5 seconds ago", "About a minute ago") (pure).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Docker's `units.HumanDuration`: "Less than a second", "1 second", "5 minutes", ...
pub fn human_duration(ms: u64) -> String {
    let seconds = ms / 1000;
    let minutes = seconds / 60;
    let hours = (ms as f64 / 3_600_000.0).round() as u64;
    if seconds < 1 {
        "Less than a second".into()
    } else if seconds == 1 {
        "1 second".into()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", ms / 3_600_000 / 24 / 365)
    }
}

/// "5 seconds ago" for a time `then_ms` seen at `now_ms` (a time in the future counts as now).
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    format!("{} ago", human_duration(now_ms.saturating_sub(then_ms)))
}

/// A Unix-milliseconds time as RFC 3339 in UTC with nanoseconds, as docker's JSON shows
/// `CreatedAt` (`2026-12-01T15:04:05.123000000Z`).
pub fn rfc3339(ms: u64) -> String {
    let (secs, milli) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}000000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        milli
    )
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_wording() {
        let cases = [
            (0, "Less than a second"),
            (999, "Less than a second"),
            (1_000, "1 second"),
            (5_400, "5 seconds"),
            (59_999, "59 seconds"),
            (60_000, "About a minute"),
            (119_000, "About a minute"),
            (120_000, "2 minutes"),
            (59 * 60_000, "59 minutes"),
            (3_600_000, "About an hour"),
            (5 * 3_600_000, "5 hours"),
            (3 * 86_400_000, "3 days"),
            (15 * 86_400_000, "2 weeks"),
            (90 * 86_400_000, "3 months"),
            (800 * 86_400_000, "2 years"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(ms), want, "{ms} ms");
        }
        assert_eq!(ago(1_000, 6_000), "5 seconds ago");
        assert_eq!(ago(9_000, 6_000), "Less than a second ago");
    }

    #[test]
    fn rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339(1_796_137_445_123), "2026-12-01T15:04:05.123000000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000000000Z");
    }
}
