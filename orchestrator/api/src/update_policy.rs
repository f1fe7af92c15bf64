//! The values of a rollout policy ([`UpdateConfig`]): Docker's default policy and the checks
//! of one value each (counts, failure action, ratio, order), which name the field they came
//! from (`--update-order`, `--rollback-parallelism`, ...) so every source of a spec (the CLI's
//! flags, compose files, the Docker API) refuses a bad value with the same words.

use crate::service::{FailureAction, UpdateConfig, UpdateOrder};
use crate::spec_error::SpecError;

/// Parses a whole number given to `field`.
pub fn parse_count(field: &str, value: &str) -> Result<u64, SpecError> {
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

/// Parses a `--update-failure-action` / `--rollback-failure-action` value (`field` names the
/// flag; `rollback` is accepted only for the update policy, as in Docker).
pub fn parse_failure_action(field: &str, value: &str) -> Result<FailureAction, SpecError> {
    let update = !field.contains("rollback");
    match value.trim().to_ascii_lowercase().as_str() {
        "pause" => Ok(FailureAction::Pause),
        "continue" => Ok(FailureAction::Continue),
        "rollback" if update => Ok(FailureAction::Rollback),
        _ => {
            let fix = if update {
                format!("use {field} pause, continue or rollback")
            } else {
                format!("use {field} pause or continue")
            };
            Err(SpecError::new(field, value, "unknown failure action", fix))
        }
    }
}

/// Parses a `--update-max-failure-ratio` / `--rollback-max-failure-ratio` value: 0 to 1.
pub fn parse_failure_ratio(field: &str, value: &str) -> Result<f64, SpecError> {
    match value.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(SpecError::new(
            field,
            value,
            "not a fraction between 0 and 1",
            "give a fraction such as 0.2",
        )),
    }
}

/// Parses a `--update-order` / `--rollback-order` value.
pub fn parse_update_order(field: &str, value: &str) -> Result<UpdateOrder, SpecError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "stop-first" => Ok(UpdateOrder::StopFirst),
        "start-first" => Ok(UpdateOrder::StartFirst),
        _ => Err(SpecError::new(
            field,
            value,
            "unknown update order",
            format!("use {field} stop-first or start-first"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_values_name_their_flag() {
        let e = parse_failure_action("--rollback-failure-action", "rollback").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str()),
            ("--rollback-failure-action", "rollback")
        );
        assert_eq!(
            parse_failure_action("--update-failure-action", "Rollback").unwrap(),
            FailureAction::Rollback
        );
        assert!(parse_failure_ratio("--update-max-failure-ratio", "1.5").is_err());
        assert_eq!(
            parse_failure_ratio("--update-max-failure-ratio", "0.25").unwrap(),
            0.25
        );
        assert_eq!(
            parse_update_order("--rollback-order", "start-first").unwrap(),
            UpdateOrder::StartFirst
        );
        assert!(parse_count("--replicas", "-1").is_err());
    }
}
