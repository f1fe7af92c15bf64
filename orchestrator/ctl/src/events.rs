//! `events` (issue 21): the cluster's changes as `docker events` prints them
//! (`2026-12-01T19:00:00.000000000Z service create ID (name=web)`), or one JSON object a line
//! with `--format json`.
//!
//! The flags are parsed apart from the I/O ([`query`], [`parse_time`], [`line`] are pure).

use std::io::Write;

use anyhow::Result;
use clap::Args;
use swarm_api::client::Client;
use swarm_api::event::{Event, EventQuery, EVENTS_PATH, EVENT_ACTIONS, EVENT_TYPES};
use swarm_api::spec_error::SpecError;

use crate::format::Format;

/// The flags of `events`.
#[derive(Debug, Clone, Default, Args)]
pub struct EventsArgs {
    /// Show the kept events created since this time: RFC 3339, Unix seconds, or a duration
    /// back from now (10m, 1h30m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stream events until this time (same forms as --since), then exit
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Filter: type=node|service|task|network|secret|config, event=create|update|remove
    /// (repeatable; values of one key are alternatives)
    #[arg(short, long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

/// The request the flags ask for, at `now_nano` (Unix nanoseconds).
pub fn query(a: &EventsArgs, now_nano: u64) -> Result<EventQuery, SpecError> {
    let mut q = EventQuery {
        since: a
            .since
            .as_deref()
            .map(|s| parse_time("--since", s, now_nano))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|s| parse_time("--until", s, now_nano))
            .transpose()?,
        ..Default::default()
    };
    let mut types = Vec::new();
    let mut actions = Vec::new();
    for f in &a.filter {
        let bad = |why: &str| {
            SpecError::new(
                "--filter",
                f,
                why,
                "use type=node|service|task|network|secret|config or event=create|update|remove",
            )
        };
        let (k, v) = f.split_once('=').ok_or_else(|| bad("expected KEY=VALUE"))?;
        match k {
            "type" if EVENT_TYPES.contains(&v) => types.push(v),
            "event" if EVENT_ACTIONS.contains(&v) => actions.push(v),
            "type" | "event" => return Err(bad(&format!("unknown {k} {v:?}"))),
            _ => return Err(bad(&format!("unknown filter {k:?}"))),
        }
    }
    q.types = types.join(",");
    q.actions = actions.join(",");
    if let (Some(s), Some(u)) = (q.since, q.until) {
        if u < s {
            return Err(SpecError::new(
                "--until",
                a.until.clone().unwrap_or_default(),
                "is before --since",
                "give an --until after --since",
            ));
        }
    }
    Ok(q)
}

/// A time flag as Unix nanoseconds: RFC 3339 (`2026-12-01T19:00:00Z`, fractions and offsets
/// allowed), Unix seconds (`1796137445`, `1796137445.5`), or a duration before `now_nano`
/// (`90s`, `10m`, `1h30m`), as `docker events` takes them.
pub fn parse_time(flag: &str, v: &str, now_nano: u64) -> Result<u64, SpecError> {
    let bad = || {
        SpecError::new(
            flag,
            v,
            "not a time",
            "give RFC 3339 (2026-12-01T19:00:00Z), Unix seconds, or a duration such as 10m",
        )
    };
    if let Some(d) = parse_duration(v) {
        return Ok(now_nano.saturating_sub(d));
    }
    if let Some(ns) = parse_unix(v) {
        return Ok(ns);
    }
    parse_rfc3339(v).ok_or_else(bad)
}

/// `SECONDS[.FRACTION]` (exact to the nanosecond) in Unix nanoseconds.
fn parse_unix(v: &str) -> Option<u64> {
    let (secs, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if secs.is_empty() || !digits(secs) || !digits(frac) || frac.len() > 9 {
        return None;
    }
    let nanos: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    secs.parse::<u64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos)
}

/// `1h30m`, `10m`, `90s`, `500ms` in nanoseconds.
fn parse_duration(v: &str) -> Option<u64> {
    if v.is_empty() || !v.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mut total = 0u64;
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let mult: u64 = match &rest[..unit_len] {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` in Unix nanoseconds.
fn parse_rfc3339(v: &str) -> Option<u64> {
    let b = v.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| v.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &v[19..];
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let len = frac
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        let digits = &frac[..len.min(9)];
        nanos = format!("{digits:0<9}").parse().ok()?;
        rest = &frac[len..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset;
    u64::try_from(secs * 1_000_000_000 + nanos).ok()
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix nanoseconds as RFC 3339 in UTC with nanoseconds.
pub fn rfc3339_nano(ns: u64) -> String {
    let ms_text = crate::time::rfc3339(ns / 1_000_000);
    // (rfc3339 prints the milliseconds and six zeros: put the exact nanoseconds there.)
    let head = &ms_text[..ms_text.len() - 11];
    format!("{head}.{:09}Z", ns % 1_000_000_000)
}

/// One event as `docker events` prints it.
pub fn line(e: &Event) -> String {
    let attrs: Vec<String> = e
        .actor
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut s = format!(
        "{} {} {} {}",
        rfc3339_nano(e.time_nano),
        e.kind,
        e.action,
        e.actor.id
    );
    if !attrs.is_empty() {
        s.push_str(&format!(" ({})", attrs.join(", ")));
    }
    s
}

/// The query string of `q`.
fn path(q: &EventQuery) -> String {
    let mut parts = Vec::new();
    if let Some(s) = q.since {
        parts.push(format!("since={s}"));
    }
    if let Some(u) = q.until {
        parts.push(format!("until={u}"));
    }
    if !q.types.is_empty() {
        parts.push(format!("types={}", q.types));
    }
    if !q.actions.is_empty() {
        parts.push(format!("actions={}", q.actions));
    }
    if parts.is_empty() {
        EVENTS_PATH.to_string()
    } else {
        format!("{EVENTS_PATH}?{}", parts.join("&"))
    }
}

/// `events`: prints the stream until `--until` passes or the manager ends it.
pub async fn run_events(
    client: &Client,
    args: EventsArgs,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let q = query(&args, now)?;
    let mut rx = client.lines::<Event>(&path(&q)).await?;
    while let Some(e) = rx.recv().await {
        let e = e?;
        if format == Format::Json {
            writeln!(out, "{}", serde_json::to_string(&e)?)?;
        } else {
            writeln!(out, "{}", line(&e))?;
        }
        out.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_796_137_445_000_000_000; // 2026-12-01T15:04:05Z

    #[test]
    fn times_in_docker_forms() {
        assert_eq!(parse_time("--since", "10m", NOW), Ok(NOW - 600_000_000_000));
        assert_eq!(
            parse_time("--since", "1h30m", NOW),
            Ok(NOW - 5_400_000_000_000)
        );
        assert_eq!(parse_time("--since", "1796137445", NOW), Ok(NOW));
        assert_eq!(
            parse_time("--since", "1796137445.000000007", NOW),
            Ok(NOW + 7)
        );
        assert_eq!(
            parse_time("--since", "2026-12-01T15:04:05.5Z", NOW),
            Ok(NOW + 500_000_000)
        );
        assert_eq!(
            parse_time("--since", "2026-12-01T16:04:05+01:00", NOW),
            Ok(NOW)
        );
        let e = parse_time("--until", "yesterday", NOW).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("--until", "yesterday")
        );
    }

    #[test]
    fn filters_name_the_bad_value() {
        let a = EventsArgs {
            filter: vec![
                "type=service".into(),
                "type=node".into(),
                "event=create".into(),
            ],
            ..Default::default()
        };
        let q = query(&a, NOW).unwrap();
        assert_eq!(
            (q.types.as_str(), q.actions.as_str()),
            ("service,node", "create")
        );
        for bad in ["type=volume", "event=die", "image=x", "type"] {
            let a = EventsArgs {
                filter: vec![bad.into()],
                ..Default::default()
            };
            let e = query(&a, NOW).unwrap_err();
            assert_eq!((e.field.as_str(), e.value.as_str()), ("--filter", bad));
        }
        let a = EventsArgs {
            since: Some("1m".into()),
            until: Some("2m".into()),
            ..Default::default()
        };
        assert_eq!(query(&a, NOW).unwrap_err().field, "--until");
    }

    #[test]
    fn a_line_is_dockers() {
        let mut e = Event::new("service", "create", "abc", "web", NOW + 123);
        assert_eq!(
            line(&e),
            "2026-12-01T15:04:05.000000123Z service create abc (name=web)"
        );
        e.actor
            .attributes
            .insert("state.new".into(), "running".into());
        assert_eq!(
            line(&e),
            "2026-12-01T15:04:05.000000123Z service create abc (name=web, state.new=running)"
        );
    }
}
