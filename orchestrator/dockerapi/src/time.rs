//! Docker's time and duration shapes: RFC 3339 timestamps with nanoseconds, durations in
//! nanoseconds (swarmd keeps milliseconds), and the `since`/`until` of the logs endpoints.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the epoch as RFC 3339 (UTC, nanosecond precision as docker prints it).
pub fn rfc3339_ms(ms: u64) -> String {
    rfc3339_ns(i128::from(ms) * 1_000_000)
}

/// Nanoseconds since the epoch as RFC 3339.
pub fn rfc3339_ns(ns: i128) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ns)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// Milliseconds as nanoseconds (saturating).
pub fn ms_to_ns(ms: u64) -> i64 {
    i64::try_from(u128::from(ms) * 1_000_000).unwrap_or(i64::MAX)
}

/// Nanoseconds as milliseconds; a negative duration is refused naming `field`.
pub fn ns_to_ms(field: &str, ns: i64) -> Result<u64, crate::error::DockerError> {
    u64::try_from(ns).map(|n| n / 1_000_000).map_err(|_| {
        crate::error::DockerError::bad_request(format!(
            "invalid {field} {ns}: a duration cannot be negative"
        ))
    })
}

/// Parses a logs `since`/`until` value as the docker CLI sends it (`SECONDS[.NANOS]` since the
/// epoch, already converted from `10m` or a date by the CLI) or an RFC 3339 date; nanoseconds
/// since the epoch. `0` and the empty string mean "not given".
pub fn parse_log_time(field: &str, value: &str) -> Result<Option<i128>, crate::error::DockerError> {
    let v = value.trim();
    if v.is_empty() || v == "0" {
        return Ok(None);
    }
    if let Ok(t) = OffsetDateTime::parse(v, &Rfc3339) {
        return Ok(Some(t.unix_timestamp_nanos()));
    }
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let bad = || {
        crate::error::DockerError::bad_request(format!(
            "invalid {field} {value:?}: give seconds since the epoch (1700000000.5) or an RFC 3339 time"
        ))
    };
    let secs: i128 = secs.parse().map_err(|_| bad())?;
    let mut nanos: i128 = 0;
    if !frac.is_empty() {
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        nanos = format!("{frac:0<9}").parse().map_err(|_| bad())?;
    }
    Ok(Some(secs * 1_000_000_000 + nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_ms(1_500), "1970-01-01T00:00:01.5Z");
        assert_eq!(ms_to_ns(5_000), 5_000_000_000);
        assert_eq!(ns_to_ms("Delay", 5_000_000_000).unwrap(), 5_000);
        assert!(ns_to_ms("Delay", -1).unwrap_err().message.contains("Delay"));
        assert_eq!(parse_log_time("since", "").unwrap(), None);
        assert_eq!(parse_log_time("since", "0").unwrap(), None);
        assert_eq!(
            parse_log_time("since", "12.5").unwrap(),
            Some(12_500_000_000)
        );
        assert_eq!(parse_log_time("since", "12").unwrap(), Some(12_000_000_000));
        assert_eq!(
            parse_log_time("until", "1970-01-01T00:00:02Z").unwrap(),
            Some(2_000_000_000)
        );
        assert!(parse_log_time("since", "soon")
            .unwrap_err()
            .message
            .contains("since"));
    }
}
