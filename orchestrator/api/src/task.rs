//! Tasks: one container of a service on one node, and its life cycle.
//!
//! States only move forward: NEW → PENDING → ASSIGNED → ACCEPTED → PREPARING → STARTING →
//! RUNNING → COMPLETE | FAILED | SHUTDOWN | REJECTED (the last four are terminal; a task may
//! jump forward, e.g. PREPARING → REJECTED when its image is missing, but never back).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::service::{EndpointSpec, TaskSpec};

/// The life-cycle state of a task (observed) or the state it should reach (desired).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Created by an orchestrator.
    #[default]
    New,
    /// Waiting for the scheduler (or for a node to fit).
    Pending,
    /// Placed on a node.
    Assigned,
    /// The node's agent took it.
    Accepted,
    /// The agent is pulling the image and creating the container.
    Preparing,
    /// The container is being started.
    Starting,
    /// The container runs.
    Running,
    /// Exited with status 0.
    Complete,
    /// Stopped on request.
    Shutdown,
    /// Exited non-zero or could not start.
    Failed,
    /// The agent could not run it at all (e.g. image not found).
    Rejected,
}

impl TaskState {
    /// Every state, in the order a task passes them (terminal ones last).
    pub const ALL: [TaskState; 11] = [
        TaskState::New,
        TaskState::Pending,
        TaskState::Assigned,
        TaskState::Accepted,
        TaskState::Preparing,
        TaskState::Starting,
        TaskState::Running,
        TaskState::Complete,
        TaskState::Shutdown,
        TaskState::Failed,
        TaskState::Rejected,
    ];

    /// The states up to and including running, in order.
    pub fn until_running() -> &'static [TaskState] {
        &Self::ALL[..=Self::Running as usize]
    }

    /// Complete, shutdown, failed and rejected tasks never change again.
    pub fn is_terminal(self) -> bool {
        self >= TaskState::Complete
    }

    /// Legal moves: forward only, and nothing leaves a terminal state.
    pub fn can_transition_to(self, next: TaskState) -> bool {
        !self.is_terminal() && next > self
    }

    /// The upper-case name used by `service ps` (`RUNNING`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::New => "NEW",
            TaskState::Pending => "PENDING",
            TaskState::Assigned => "ASSIGNED",
            TaskState::Accepted => "ACCEPTED",
            TaskState::Preparing => "PREPARING",
            TaskState::Starting => "STARTING",
            TaskState::Running => "RUNNING",
            TaskState::Complete => "COMPLETE",
            TaskState::Shutdown => "SHUTDOWN",
            TaskState::Failed => "FAILED",
            TaskState::Rejected => "REJECTED",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the agent (or the scheduler, for PENDING) last observed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// The observed state.
    pub state: TaskState,
    /// Short human text, e.g. "started" or "no suitable node (...)".
    #[serde(default)]
    pub message: String,
    /// The error that made the task fail or be rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// The agent judged that running the task again cannot succeed (its image cannot be
    /// had anywhere): `service create` stops waiting once every slot was rejected so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
    /// When the state was observed, Unix milliseconds.
    pub timestamp_ms: u64,
    /// Docker container id once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Exit code once the container exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Where the task's ingress target ports are reachable from other nodes (set while
    /// RUNNING; the routing mesh forwards to these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<BoundPort>,
}

/// A target port of a task as bound on its node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundPort {
    /// The port inside the container.
    pub target: u16,
    /// tcp or udp.
    #[serde(default)]
    pub protocol: crate::publish::Protocol,
    /// `ip:port` other nodes connect to.
    pub addr: String,
}

/// One scheduled unit of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Cluster-unique id.
    pub id: String,
    /// The service this task belongs to.
    pub service_id: String,
    /// The service's name (for container names and labels).
    pub service_name: String,
    /// Replicated services: the slot (1..=replicas) this task fills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// The node: set by the scheduler, or up front by the global orchestrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// A copy of the service's task template when the task was made.
    pub spec: TaskSpec,
    /// The service's published ports when the task was made.
    #[serde(default)]
    pub endpoint: EndpointSpec,
    /// The service spec version the task was made from.
    #[serde(default)]
    pub service_version: u64,
    /// RUNNING while the task should run; SHUTDOWN once it should stop.
    pub desired_state: TaskState,
    /// What was last observed.
    pub status: TaskStatus,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: u64,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: u64,
}

impl Task {
    /// The name `service ps` shows: `<service>.<slot>`, or `<service>.<node>` for a global task.
    pub fn slot_name(&self) -> String {
        match (self.slot, &self.node_id) {
            (Some(slot), _) => format!("{}.{slot}", self.service_name),
            (None, Some(node)) => format!("{}.{node}", self.service_name),
            (None, None) => self.service_name.clone(),
        }
    }

    /// The container name Docker shows: `<service>.<slot or node>.<task id>`.
    pub fn container_name(&self) -> String {
        format!("{}.{}", self.slot_name(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_move_forward_only() {
        use TaskState::*;
        let path = [
            New, Pending, Assigned, Accepted, Preparing, Starting, Running, Complete,
        ];
        for w in path.windows(2) {
            assert!(w[0].can_transition_to(w[1]), "{} -> {}", w[0], w[1]);
            assert!(!w[1].can_transition_to(w[0]), "{} -> {}", w[1], w[0]);
        }
        assert!(Preparing.can_transition_to(Rejected));
        assert!(Running.can_transition_to(Failed));
        assert!(Running.can_transition_to(Shutdown));
        for t in [Complete, Shutdown, Failed, Rejected] {
            assert!(t.is_terminal());
            assert!(!t.can_transition_to(Rejected));
        }
        assert!(!Running.is_terminal());
        assert_eq!(Running.to_string(), "RUNNING");
    }

    #[test]
    fn container_names() {
        let mut t = Task {
            id: "t1".into(),
            service_id: "s1".into(),
            service_name: "web".into(),
            slot: Some(2),
            node_id: None,
            spec: TaskSpec::default(),
            endpoint: EndpointSpec::default(),
            service_version: 1,
            desired_state: TaskState::Running,
            status: TaskStatus::default(),
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        assert_eq!(t.container_name(), "web.2.t1");
        t.slot = None;
        t.node_id = Some("n1".into());
        assert_eq!(t.container_name(), "web.n1.t1");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Task>(&json).unwrap(), t);
    }
}
