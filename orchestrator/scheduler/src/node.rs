//! The scheduler's own view of a node: what the filters and the ranking look at.
//!
//! The managers build it from their `Node` records and the tasks assigned to each node; the
//! scheduler never sees anything else, which keeps it a pure function of this snapshot.

use std::collections::BTreeMap;

use swarm_api::node::Platform;
use swarm_api::publish::Protocol;
use swarm_api::resources::Resources;

pub use swarm_api::node::{Availability, Role as NodeRole};

/// Health as seen by the dispatcher: the api's `NodeStatus` (Ready, Down) plus Unknown, a Ready
/// node whose agent has not reported yet (no known capacity or executor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeStatus {
    /// Heartbeats arrive.
    Ready,
    /// Heartbeats stopped.
    Down,
    /// Not heard from yet.
    Unknown,
}

/// A task already on a node, as far as scheduling cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTask {
    /// The task's id.
    pub task_id: String,
    /// Its service.
    pub service_id: String,
    /// What it reserved.
    pub reservations: Resources,
    /// Host-mode ports it binds.
    pub host_ports: Vec<(u16, Protocol)>,
}

/// The fixed host-mode ports a task binds on its node.
pub fn host_ports(task: &swarm_api::task::Task) -> Vec<(u16, Protocol)> {
    task.endpoint
        .host_ports()
        .filter_map(|p| p.published.map(|port| (port, p.protocol)))
        .collect()
}

impl NodeTask {
    /// The scheduling view of a task already assigned to a node.
    pub fn from_task(task: &swarm_api::task::Task) -> Self {
        NodeTask {
            task_id: task.id.clone(),
            service_id: task.service_id.clone(),
            reservations: task.spec.resources.reservations,
            host_ports: host_ports(task),
        }
    }
}

/// One node of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Node id.
    pub id: String,
    /// Hostname.
    pub hostname: String,
    /// Manager or worker.
    pub role: NodeRole,
    /// Operator labels (`node.labels.*`).
    pub labels: BTreeMap<String, String>,
    /// Engine labels (`engine.labels.*`).
    pub engine_labels: BTreeMap<String, String>,
    /// OS and architecture (`node.platform.*`).
    pub platform: Platform,
    /// active, pause or drain.
    pub availability: Availability,
    /// ready, down or unknown.
    pub status: NodeStatus,
    /// Capacity of the node.
    pub total: Resources,
    /// Tasks running (or about to) on it.
    pub tasks: Vec<NodeTask>,
}

impl NodeInfo {
    /// A ready, active worker with the given capacity and no labels or tasks (handy in tests).
    pub fn new(id: &str, total: Resources) -> Self {
        NodeInfo {
            id: id.to_string(),
            hostname: id.to_string(),
            role: NodeRole::Worker,
            labels: BTreeMap::new(),
            engine_labels: BTreeMap::new(),
            platform: Platform::default(),
            availability: Availability::Active,
            status: NodeStatus::Ready,
            total,
            tasks: Vec::new(),
        }
    }
}

/// The cluster as the scheduler sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// All nodes, in any order.
    pub nodes: Vec<NodeInfo>,
}
