//! A task container's healthcheck (Docker's `HealthConfig`) and its validation. The flags
//! that set it (`--health-*`, `--no-healthcheck`) are `swarm-ctl`'s; their rules are
//! docker's (`docker/cli` `service/update.go`, `updateHealthcheck`, which the create path
//! matches): `--no-healthcheck` sets the test to `["NONE"]` and conflicts with
//! every `--health-*` flag; a `--health-cmd` is run by the container's shell
//! (`["CMD-SHELL", cmd]`), an empty one inherits the image's test; the other flags change
//! only their own field, and a disabled check is enabled again by any of them.

use serde::{Deserialize, Serialize};

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

    #[test]
    fn validate_knows_dockers_test_forms() {
        assert!(validate("healthcheck.test", &HealthConfig::disabled()).is_ok());
        let bad = HealthConfig {
            test: vec!["SHELL".into(), "x".into()],
            ..Default::default()
        };
        let e = validate("healthcheck.test", &bad).unwrap_err().to_string();
        assert!(e.contains("healthcheck.test"), "{e}");
    }
}
