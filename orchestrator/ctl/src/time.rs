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
}
