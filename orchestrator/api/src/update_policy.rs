//! The `--update-*` / `--rollback-*` policy flags (strings as typed) shared by `service create`
//! and `service update`, applied onto an [`UpdateConfig`] (pure), and Docker's default policy.

use serde::{Deserialize, Serialize};

use crate::restart::parse_duration_ms;
use crate::service::{FailureAction, UpdateConfig, UpdateOrder};
use crate::spec_error::SpecError;

/// Parses a whole number given to `field`.
pub(crate) fn parse_count(field: &str, value: &str) -> Result<u64, SpecError> {
    value.trim().parse::<u64>().map_err(|_| {
        SpecError::new(
            field,
            value,
            "not a whole number",
            format!("give {field} a number such as 3"),
        )
    })
}

/// Docker's defaults for an update or rollback config the spec does not have yet: one task
/// at a time, no delay, 5 s monitor, pause on failure, stop-first (the updater uses the same
/// values when the spec has no config).
pub fn default_update_config() -> UpdateConfig {
    UpdateConfig {
        parallelism: 1,
        delay_ms: 0,
        failure_action: FailureAction::Pause,
        monitor_ms: 5_000,
        max_failure_ratio: 0.0,
        order: UpdateOrder::StopFirst,
    }
}

/// The `--update-*` (or `--rollback-*`) flags as given; None = not given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateConfigFlags {
    /// `--update-parallelism N` (0 = all at once)
    pub parallelism: Option<String>,
    /// `--update-delay 10s`
    pub delay: Option<String>,
    /// `--update-monitor 5s`
    pub monitor: Option<String>,
    /// `--update-failure-action pause|continue|rollback`
    pub failure_action: Option<String>,
    /// `--update-max-failure-ratio 0.2`
    pub max_failure_ratio: Option<String>,
    /// `--update-order stop-first|start-first`
    pub order: Option<String>,
}

impl UpdateConfigFlags {
    /// True when no flag of the set was given.
    pub fn is_empty(&self) -> bool {
        *self == UpdateConfigFlags::default()
    }

    /// Applies the given flags onto `current` (or Docker's defaults when None); `prefix` is
    /// `--update` or `--rollback` and names the flags in errors. No flag given: unchanged.
    pub fn apply(
        &self,
        prefix: &str,
        current: Option<UpdateConfig>,
    ) -> Result<Option<UpdateConfig>, SpecError> {
        if self.is_empty() {
            return Ok(current);
        }
        let mut c = current.unwrap_or_else(default_update_config);
        if let Some(v) = &self.parallelism {
            c.parallelism = parse_count(&format!("{prefix}-parallelism"), v)?;
        }
        if let Some(v) = &self.delay {
            c.delay_ms = parse_duration_ms(&format!("{prefix}-delay"), v)?;
        }
        if let Some(v) = &self.monitor {
            c.monitor_ms = parse_duration_ms(&format!("{prefix}-monitor"), v)?;
        }
        if let Some(v) = &self.failure_action {
            let field = format!("{prefix}-failure-action");
            c.failure_action = match v.trim().to_ascii_lowercase().as_str() {
                "pause" => FailureAction::Pause,
                "continue" => FailureAction::Continue,
                "rollback" if prefix == "--update" => FailureAction::Rollback,
                _ => {
                    let fix = if prefix == "--update" {
                        format!("use {field} pause, continue or rollback")
                    } else {
                        format!("use {field} pause or continue")
                    };
                    return Err(SpecError::new(field, v, "unknown failure action", fix));
                }
            };
        }
        if let Some(v) = &self.max_failure_ratio {
            let field = format!("{prefix}-max-failure-ratio");
            c.max_failure_ratio = match v.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => r,
                _ => {
                    return Err(SpecError::new(
                        field,
                        v,
                        "not a fraction between 0 and 1",
                        "give a fraction such as 0.2",
                    ))
                }
            };
        }
        if let Some(v) = &self.order {
            let field = format!("{prefix}-order");
            c.order = match v.trim().to_ascii_lowercase().as_str() {
                "stop-first" => UpdateOrder::StopFirst,
                "start-first" => UpdateOrder::StartFirst,
                _ => {
                    return Err(SpecError::new(
                        &field,
                        v,
                        "unknown update order",
                        format!("use {field} stop-first or start-first"),
                    ))
                }
            };
        }
        Ok(Some(c))
    }
}
