//! Spec swaps for rollbacks: `service rollback NAME` and the updater's failure action.
//!
//! swarmkit: a manual rollback makes the previous spec current and the current one previous
//! (so a second rollback undoes the first) and sets the status rollback_started with the
//! message "manually requested rollback"; the updater's automatic rollback makes the previous
//! spec current and clears the previous spec. Either way the updater then rolls the tasks back
//! with the (now current) spec's rollback config.

use swarm_api::service::{Service, ServiceSpec, UpdateState, UpdateStatus};

use crate::error::ReconcileError;

/// What to store on the service after a rollback.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollback {
    /// The new current spec (the old previous spec).
    pub spec: ServiceSpec,
    /// The new previous spec.
    pub previous_spec: Option<ServiceSpec>,
    /// The new update status.
    pub update_status: UpdateStatus,
}

fn previous(service: &Service) -> Result<&ServiceSpec, ReconcileError> {
    service
        .previous_spec
        .as_ref()
        .ok_or_else(|| ReconcileError::NoPreviousSpec {
            service: service.spec.name.clone(),
        })
}

/// `service rollback NAME` at `now_ms`.
pub fn manual(service: &Service, now_ms: u64) -> Result<Rollback, ReconcileError> {
    Ok(Rollback {
        spec: previous(service)?.clone(),
        previous_spec: Some(service.spec.clone()),
        update_status: UpdateStatus {
            state: UpdateState::RollbackStarted,
            started_at_ms: now_ms,
            completed_at_ms: None,
            message: "manually requested rollback".into(),
        },
    })
}

/// Applies [`crate::Action::RollbackService`]`{ status }` from the updater.
pub fn apply_automatic(
    service: &Service,
    status: &UpdateStatus,
) -> Result<Rollback, ReconcileError> {
    Ok(Rollback {
        spec: previous(service)?.clone(),
        previous_spec: None,
        update_status: status.clone(),
    })
}
