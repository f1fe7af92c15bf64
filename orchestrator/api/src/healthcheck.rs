//! A task container's healthcheck (Docker's `HealthConfig`) and the flags that set it:
//! `--health-cmd`, `--health-interval`, `--health-timeout`, `--health-retries`,
//! `--health-start-period`, `--health-start-interval`, `--no-healthcheck` (pure).
//!
//! The rules are docker's (`docker/cli` `service/update.go`, `updateHealthcheck`, which the
//! create path matches): `--no-healthcheck` sets the test to `["NONE"]` and conflicts with
//! every `--health-*` flag; a `--health-cmd` is run by the container's shell
//! (`["CMD-SHELL", cmd]`), an empty one inherits the image's test; the other flags change
//! only their own field, and a disabled check is enabled again by any of them.

use serde::{Deserialize, Serialize};

use crate::restart::parse_duration_ms;
use crate::spec_error::SpecError;

/// How the engine checks a task's container. Durations of 0 inherit the image's value
/// (Docker's defaults: every 30 s, 30 s timeout, 3 retries, no start period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HealthConfig {
    /// `[]`: the image's test; `["NONE"]`: no check; `["CMD", ARGS...]` or
    /// `["CMD-SHELL", COMMAND]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between checks.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval_ms: u64,
    /// Time one check may take.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout_ms: u64,
    /// Failures in a row that make the container unhealthy (0: the image's).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
    /// Time to start before failures count.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period_ms: u64,
    /// Time between checks during the start period.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_interval_ms: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl HealthConfig {
    /// Whether the check is turned off (`--no-healthcheck`, compose `disable: true`).
    pub fn is_disabled(&self) -> bool {
        self.test.first().map(String::as_str) == Some("NONE")
    }

    /// The disabled check.
    pub fn disabled() -> HealthConfig {
        HealthConfig {
            test: vec!["NONE".into()],
            ..Default::default()
        }
    }
}

/// The healthcheck flags as given (None / false: not given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthFlags {
    /// `--health-cmd`
    #[serde(default)]
    pub cmd: Option<String>,
    /// `--health-interval`
    #[serde(default)]
    pub interval: Option<String>,
    /// `--health-timeout`
    #[serde(default)]
    pub timeout: Option<String>,
    /// `--health-retries`
    #[serde(default)]
    pub retries: Option<String>,
    /// `--health-start-period`
    #[serde(default)]
    pub start_period: Option<String>,
    /// `--health-start-interval`
    #[serde(default)]
    pub start_interval: Option<String>,
    /// `--no-healthcheck`
    #[serde(default)]
    pub no_healthcheck: bool,
}

impl HealthFlags {
    fn any_health(&self) -> bool {
        self.cmd.is_some()
            || self.interval.is_some()
            || self.timeout.is_some()
            || self.retries.is_some()
            || self.start_period.is_some()
            || self.start_interval.is_some()
    }

    /// Applies the flags to a container's healthcheck (`None`: the image's).
    pub fn apply(&self, current: &mut Option<HealthConfig>) -> Result<(), SpecError> {
        if self.no_healthcheck {
            if self.any_health() {
                return Err(SpecError::new(
                    "--no-healthcheck",
                    "true",
                    "--no-healthcheck conflicts with --health-* options",
                    "give either --no-healthcheck or the --health-* flags",
                ));
            }
            *current = Some(HealthConfig::disabled());
            return Ok(());
        }
        if !self.any_health() {
            return Ok(());
        }
        let h = current.get_or_insert_with(HealthConfig::default);
        if h.is_disabled() {
            h.test.clear();
        }
        let dur = |field: &str, v: &Option<String>, into: &mut u64| -> Result<(), SpecError> {
            if let Some(v) = v {
                *into = parse_duration_ms(field, v)?;
            }
            Ok(())
        };
        dur("--health-interval", &self.interval, &mut h.interval_ms)?;
        dur("--health-timeout", &self.timeout, &mut h.timeout_ms)?;
        dur(
            "--health-start-period",
            &self.start_period,
            &mut h.start_period_ms,
        )?;
        dur(
            "--health-start-interval",
            &self.start_interval,
            &mut h.start_interval_ms,
        )?;
        if let Some(r) = &self.retries {
            h.retries = r.trim().parse::<u64>().map_err(|_| {
                SpecError::new(
                    "--health-retries",
                    r,
                    "not a whole number of 0 or more",
                    "give --health-retries 3",
                )
            })?;
        }
        if let Some(cmd) = &self.cmd {
            h.test = if cmd.trim().is_empty() {
                Vec::new()
            } else {
                vec!["CMD-SHELL".into(), cmd.clone()]
            };
        }
        Ok(())
    }
}

/// Checks a healthcheck from any source (compose, the Docker API): a known test form.
pub fn validate(field: &str, h: &HealthConfig) -> Result<(), SpecError> {
    let fix = "give the test as [\"CMD\", ARGS...], [\"CMD-SHELL\", COMMAND] or [\"NONE\"]";
    match h.test.first().map(String::as_str) {
        None => Ok(()),
        Some("NONE") if h.test.len() == 1 => Ok(()),
        Some("CMD") if h.test.len() > 1 => Ok(()),
        Some("CMD-SHELL") if h.test.len() == 2 => Ok(()),
        _ => Err(SpecError::new(
            field,
            format!("{:?}", h.test),
            "not a healthcheck test",
            fix,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> HealthFlags {
        HealthFlags::default()
    }

    #[test]
    fn create_sets_the_fields_given() {
        let mut h = None;
        HealthFlags {
            cmd: Some("nc -z localhost 80".into()),
            interval: Some("5s".into()),
            timeout: Some("2s".into()),
            retries: Some("4".into()),
            start_period: Some("1m".into()),
            start_interval: Some("500ms".into()),
            ..flags()
        }
        .apply(&mut h)
        .unwrap();
        assert_eq!(
            h,
            Some(HealthConfig {
                test: vec!["CMD-SHELL".into(), "nc -z localhost 80".into()],
                interval_ms: 5_000,
                timeout_ms: 2_000,
                retries: 4,
                start_period_ms: 60_000,
                start_interval_ms: 500,
            })
        );
        // Nothing given: nothing changes (None stays None: the image's check).
        let mut none = None;
        flags().apply(&mut none).unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn update_changes_only_its_fields_and_no_healthcheck_disables() {
        let mut h = Some(HealthConfig {
            test: vec!["CMD".into(), "true".into()],
            interval_ms: 1_000,
            ..Default::default()
        });
        HealthFlags {
            retries: Some("7".into()),
            ..flags()
        }
        .apply(&mut h)
        .unwrap();
        let got = h.clone().unwrap();
        assert_eq!(
            (got.test.len(), got.interval_ms, got.retries),
            (2, 1_000, 7)
        );
        HealthFlags {
            no_healthcheck: true,
            ..flags()
        }
        .apply(&mut h)
        .unwrap();
        assert!(h.as_ref().unwrap().is_disabled());
        assert_eq!(h, Some(HealthConfig::disabled()));
        // Any --health-* flag enables it again; an empty command means the image's test.
        HealthFlags {
            cmd: Some(String::new()),
            interval: Some("2s".into()),
            ..flags()
        }
        .apply(&mut h)
        .unwrap();
        let got = h.unwrap();
        assert!(got.test.is_empty() && got.interval_ms == 2_000, "{got:?}");
    }

    #[test]
    fn bad_values_name_the_flag() {
        let cases = [
            (
                HealthFlags {
                    no_healthcheck: true,
                    cmd: Some("true".into()),
                    ..flags()
                },
                "--no-healthcheck conflicts with --health-* options",
            ),
            (
                HealthFlags {
                    interval: Some("-5s".into()),
                    ..flags()
                },
                "--health-interval",
            ),
            (
                HealthFlags {
                    retries: Some("-1".into()),
                    ..flags()
                },
                "--health-retries",
            ),
            (
                HealthFlags {
                    start_interval: Some("soon".into()),
                    ..flags()
                },
                "--health-start-interval",
            ),
        ];
        for (f, needle) in cases {
            let e = f.apply(&mut None).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        assert!(validate("healthcheck.test", &HealthConfig::disabled()).is_ok());
        let bad = HealthConfig {
            test: vec!["SHELL".into(), "x".into()],
            ..Default::default()
        };
        let e = validate("healthcheck.test", &bad).unwrap_err().to_string();
        assert!(e.contains("healthcheck.test"), "{e}");
    }
}
