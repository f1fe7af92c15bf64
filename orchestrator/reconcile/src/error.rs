//! The crate's error type.

use thiserror::Error;

/// Why a reconciliation request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReconcileError {
    /// `service rollback` on a service that was never updated.
    #[error("service {service} has no previous spec to roll back to; update it first (service update) or give the spec again")]
    NoPreviousSpec {
        /// The service's name.
        service: String,
    },
    /// A task of a replicated service has no slot.
    #[error("task {task} of replicated service {service} has no slot; the store is inconsistent (recreate the task)")]
    MissingSlot {
        /// The task's id.
        task: String,
        /// The service's name.
        service: String,
    },
    /// A task given in the view belongs to another service.
    #[error("task {task} belongs to service {task_service}, not {service}; pass only the service's tasks")]
    ForeignTask {
        /// The task's id.
        task: String,
        /// Its service id.
        task_service: String,
        /// The reconciled service's id.
        service: String,
    },
}
