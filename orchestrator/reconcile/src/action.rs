//! The output of a reconciliation: actions for the manager to apply through Raft.

use swarm_api::service::UpdateStatus;

/// Which slot a task fills: a replica number (replicated) or a node (global).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotKey {
    /// Replicated services: slot 1, 2, ...
    Replica(u64),
    /// Global services: the node id.
    Node(String),
}

impl SlotKey {
    /// The task's `slot` field.
    pub fn slot(&self) -> Option<u64> {
        match self {
            SlotKey::Replica(s) => Some(*s),
            SlotKey::Node(_) => None,
        }
    }

    /// The task's preassigned `node_id` (global services only; the scheduler places replicas).
    pub fn node_id(&self) -> Option<&str> {
        match self {
            SlotKey::Replica(_) => None,
            SlotKey::Node(n) => Some(n),
        }
    }
}

/// Why an action was taken (for logs, `service ps` messages and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The service has fewer slots than it should (create, scale up, new eligible node).
    Missing,
    /// The service has more slots than replicas.
    ScaleDown,
    /// The task's node is down, drained or gone.
    NodeLost,
    /// The node no longer qualifies for a global task (down, drained, constraints).
    Ineligible,
    /// The restart policy restarts an exited task.
    Restart,
    /// The rolling updater replaces a task of an old spec.
    Update,
    /// Another task of the same slot supersedes this one.
    Superseded,
}

/// One change to the store. Apply in order, in one Raft proposal when possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create a task from the service's current spec (`spec.task`, `spec.endpoint`) with
    /// desired state RUNNING, observed NEW, in this slot; a global task gets `node_id` set.
    CreateTask {
        /// Slot number or node.
        key: SlotKey,
        /// The service version the task is made from (`Task::service_version`).
        service_version: u64,
        /// Why.
        reason: Reason,
    },
    /// Set the task's desired state to SHUTDOWN (the agent stops it).
    ShutdownTask {
        /// The task.
        task_id: String,
        /// Why.
        reason: Reason,
    },
    /// The restart policy gave up on an exited task: set its desired state to COMPLETE. The
    /// slot stays occupied by it, so the orchestrator does not refill it (swarmkit does the same).
    RetireTask {
        /// The task.
        task_id: String,
    },
    /// Remove a terminal task from the store (history beyond the retention limit, or the
    /// history of a slot that no longer exists).
    DeleteTask {
        /// The task.
        task_id: String,
    },
    /// Store this update status on the service.
    SetUpdateStatus(UpdateStatus),
    /// The update failed with failure action rollback: set `spec = previous_spec`,
    /// `previous_spec = None`, store `status` (see [`crate::rollback::apply_automatic`]).
    RollbackService {
        /// The new status (rollback_started with the reason).
        status: UpdateStatus,
    },
}

/// The answer of [`crate::reconcile()`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// What to change, in order.
    pub actions: Vec<Action>,
    /// Call `reconcile` again at this time even if nothing changes (restart delays, update
    /// delays and monitor windows end).
    pub wake_at_ms: Option<u64>,
}

impl Plan {
    /// Appends an action.
    pub fn push(&mut self, a: Action) {
        self.actions.push(a);
    }

    /// Asks to be called again at `at` (the earliest request wins).
    pub fn wake_at(&mut self, at: u64) {
        self.wake_at_ms = Some(self.wake_at_ms.map_or(at, |w| w.min(at)));
    }

    /// True when nothing is to be done now.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_wake_up_wins_and_keys_map_to_task_fields() {
        let mut p = Plan::default();
        assert!(p.is_empty() && p.wake_at_ms.is_none());
        p.wake_at(50);
        p.wake_at(20);
        p.wake_at(70);
        assert_eq!(p.wake_at_ms, Some(20));
        assert_eq!(SlotKey::Replica(3).slot(), Some(3));
        assert_eq!(SlotKey::Replica(3).node_id(), None);
        assert_eq!(SlotKey::Node("n1".into()).node_id(), Some("n1"));
        assert_eq!(SlotKey::Node("n1".into()).slot(), None);
    }
}
