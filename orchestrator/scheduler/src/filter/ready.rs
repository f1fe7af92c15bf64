//! Ready and availability: the node is up and takes new tasks (static while scheduling).

use swarm_api::task::Task;

use super::{Filter, Rejection, TaskNeeds};
use crate::node::{Availability, NodeInfo, NodeStatus};
use crate::state::NodeState;

/// Down or unknown nodes, paused and drained ones take no new tasks.
pub struct Ready;

impl Filter for Ready {
    fn dynamic(&self) -> bool {
        false
    }

    fn same_group(&self, _: &Task, _: &Task) -> bool {
        true
    }

    fn check(&self, node: &NodeInfo, _: &NodeState, _: &TaskNeeds) -> Result<(), Rejection> {
        if node.status != NodeStatus::Ready {
            return Err(Rejection::NotReady);
        }
        match node.availability {
            Availability::Active => Ok(()),
            Availability::Pause => Err(Rejection::Paused),
            Availability::Drain => Err(Rejection::Drained),
        }
    }
}
