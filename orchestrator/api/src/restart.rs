//! Restart policy (`--restart-condition`, `--restart-delay`, `--restart-max-attempts`,
//! `--restart-window`) and the Go-style durations (`5s`, `1m30s`, `250ms`) they use.

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// When a task that exited is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartCondition {
    /// Never restart.
    None,
    /// Restart only after a non-zero exit.
    OnFailure,
    /// Always restart (the default).
    #[default]
    Any,
}

impl RestartCondition {
    /// Parses `none`, `on-failure` or `any`.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(RestartCondition::None),
            "on-failure" => Ok(RestartCondition::OnFailure),
            "any" => Ok(RestartCondition::Any),
            _ => Err(SpecError::new(
                "--restart-condition",
                value,
                "unknown condition",
                "use none, on-failure or any",
            )),
        }
    }
}

/// The restart policy of a service's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// When to restart.
    #[serde(default)]
    pub condition: RestartCondition,
    /// Wait between an exit and the replacement, in milliseconds (default 5 s).
    #[serde(default = "default_delay")]
    pub delay_ms: u64,
    /// Give up after this many restarts within `window_ms` (None = unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    /// The window in which `max_attempts` are counted, in milliseconds (0 = unbounded).
    #[serde(default)]
    pub window_ms: u64,
}

fn default_delay() -> u64 {
    5_000
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            condition: RestartCondition::Any,
            delay_ms: default_delay(),
            max_attempts: None,
            window_ms: 0,
        }
    }
}

/// Parses a Go-style duration (`300ms`, `5s`, `1m30s`, `2h`) into milliseconds; `field` names the flag.
pub fn parse_duration_ms(field: &str, value: &str) -> Result<u64, SpecError> {
    let bad = |reason: &str| {
        SpecError::new(
            field,
            value,
            reason,
            "give a duration such as 500ms, 5s, 1m30s or 1h",
        )
    };
    let v = value.trim();
    if v.is_empty() {
        return Err(bad("empty duration"));
    }
    if v == "0" {
        return Ok(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = v;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| bad("number without a unit"))?;
        if num_end == 0 {
            return Err(bad("expected a number"));
        }
        let n: f64 = rest[..num_end].parse().map_err(|_| bad("not a number"))?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            other => return Err(bad(&format!("unknown unit {other:?}"))),
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    if total > u64::MAX as f64 / 2.0 {
        return Err(bad("duration too long"));
    }
    Ok(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("--restart-delay", "5s").unwrap(), 5_000);
        assert_eq!(
            parse_duration_ms("--restart-delay", "1m30s").unwrap(),
            90_000
        );
        assert_eq!(parse_duration_ms("--restart-delay", "250ms").unwrap(), 250);
        assert_eq!(
            parse_duration_ms("--restart-delay", "1.5h").unwrap(),
            5_400_000
        );
        assert_eq!(parse_duration_ms("--restart-delay", "0").unwrap(), 0);
        for bad in ["5", "5x", "s", "", "1m-3s"] {
            let e = parse_duration_ms("--restart-window", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.value.as_str()),
                ("--restart-window", bad)
            );
        }
    }

    #[test]
    fn conditions() {
        assert_eq!(
            RestartCondition::parse("on-failure").unwrap(),
            RestartCondition::OnFailure
        );
        assert_eq!(
            RestartCondition::parse("NONE").unwrap(),
            RestartCondition::None
        );
        assert!(RestartCondition::parse("sometimes").is_err());
        assert_eq!(RestartPolicy::default().delay_ms, 5_000);
    }
}
