//! The dispatcher protocol between a node's agent and the managers (`POST /v1/dispatcher/sync`).
//!
//! Every node (workers and managers alike) calls `sync` about once per heartbeat period, and at
//! once when one of its tasks changes state: the sync is the node's heartbeat too (the leader
//! counts the node alive while its syncs arrive), as in swarmkit's session. The request carries the
//! node's description (capacity, engine labels) and the task status changes observed since the
//! last successful call; the answer carries the full set of tasks assigned to the node (with
//! their desired state) and the routing-mesh table. The full set, not a diff, makes the
//! protocol idempotent: a lost answer or a manager fail-over costs nothing but one period.

use serde::{Deserialize, Serialize};

/// Kept here for callers of the protocol; it is defined with the node.
pub use crate::node::NodeDescription;
use crate::node::NodeId;
use crate::publish::Protocol;
use crate::task::{Task, TaskStatus};

/// One observed status change of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskReport {
    /// The task.
    pub task_id: String,
    /// What the agent observed.
    pub status: TaskStatus,
}

/// `POST /v1/dispatcher/sync` (caller: a node certificate; `node_id` must match it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The calling node.
    #[serde(with = "crate::node::hex_id")]
    pub node_id: NodeId,
    /// The node's description; sent on the first sync and whenever it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<NodeDescription>,
    /// Status changes since the last acknowledged sync, oldest first.
    #[serde(default)]
    pub reports: Vec<TaskReport>,
}

/// One published ingress port of the routing mesh, with where its traffic goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeshPort {
    /// The port every node listens on.
    pub published: u16,
    /// tcp or udp.
    #[serde(default)]
    pub protocol: Protocol,
    /// The service it belongs to (name).
    pub service: String,
    /// `ip:port` of every running task of the service (as reported in `TaskStatus::ports`).
    pub backends: Vec<String>,
}

/// Answer to a sync.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Every task assigned to the node whose container may exist: desired RUNNING ones to run,
    /// desired SHUTDOWN/COMPLETE ones to stop. A task absent from the list is deleted: its
    /// container may be removed.
    pub tasks: Vec<Task>,
    /// The routing-mesh table for the whole cluster.
    pub mesh: Vec<MeshPort>,
    /// Sync again within this period (the heartbeat period).
    pub period_ms: u64,
    /// Manager addresses, to fail over to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
    /// The overlay networks of the node's tasks (issue 15).
    #[serde(default)]
    pub overlay: crate::network_api::OverlayView,
    /// The values of the secrets the node's tasks reference (only those; issue 16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FilePayload>,
    /// The data of the configs the node's tasks reference (only those).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<FilePayload>,
}

/// A secret's value or a config's data sent to a node that runs a task referencing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePayload {
    /// The secret's or config's id (as in the task's references).
    pub id: String,
    /// The bytes (redacted in `Debug`).
    pub data: crate::secret::SecretData,
}
