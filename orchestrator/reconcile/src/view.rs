//! The read-only input of a reconciliation.

use std::collections::HashMap;

use swarm_api::service::Service;
use swarm_api::task::Task;
use swarm_scheduler::{Availability, NodeInfo, NodeStatus};

/// Everything one reconciliation of one service looks at.
///
/// The node view is the scheduler's [`NodeInfo`] (its `tasks` field is not read here), so the
/// manager builds one snapshot for both the orchestrators and the scheduler.
#[derive(Debug, Clone, Copy)]
pub struct ClusterView<'a> {
    /// The service as stored (spec, previous spec, version, update status).
    pub service: &'a Service,
    /// All stored tasks of the service, including terminal history.
    pub tasks: &'a [Task],
    /// All nodes of the cluster.
    pub nodes: &'a [NodeInfo],
    /// The current time, Unix milliseconds (the only clock this crate sees).
    pub now_ms: u64,
}

/// Node lookup by id.
#[derive(Debug)]
pub struct Nodes<'a> {
    by_id: HashMap<&'a str, &'a NodeInfo>,
}

impl<'a> Nodes<'a> {
    /// Indexes `nodes` by id.
    pub fn new(nodes: &'a [NodeInfo]) -> Self {
        Nodes {
            by_id: nodes.iter().map(|n| (n.id.as_str(), n)).collect(),
        }
    }

    /// The node with this id.
    pub fn get(&self, id: &str) -> Option<&'a NodeInfo> {
        self.by_id.get(id).copied()
    }

    /// A replicated task on this node must move: the node is down, drained or gone.
    /// (swarmkit reacts to `DOWN` and to drain; a node of unknown status is given time.)
    pub fn is_lost(&self, node_id: Option<&str>) -> bool {
        match node_id {
            None => false,
            Some(id) => match self.get(id) {
                None => true,
                Some(n) => n.status == NodeStatus::Down || n.availability == Availability::Drain,
            },
        }
    }

    /// The node is down or gone: its tasks will never report again.
    pub fn is_dead(&self, node_id: Option<&str>) -> bool {
        match node_id {
            None => false,
            Some(id) => self.get(id).is_none_or(|n| n.status == NodeStatus::Down),
        }
    }
}
