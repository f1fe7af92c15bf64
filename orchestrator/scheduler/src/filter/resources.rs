//! Resources: the task's reservation fits in what is not yet reserved on the node.

use swarm_api::task::Task;

use super::{Filter, Rejection, TaskNeeds};
use crate::node::NodeInfo;
use crate::state::NodeState;

/// Memory, then CPU reservations against the node's unreserved capacity.
pub struct Resources;

impl Filter for Resources {
    fn dynamic(&self) -> bool {
        true
    }

    fn same_group(&self, a: &Task, b: &Task) -> bool {
        a.spec.resources.reservations == b.spec.resources.reservations
    }

    fn check(&self, node: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
        let r = needs.reservations;
        if r.memory_bytes > 0 && node.total.memory_bytes - st.used.memory_bytes < r.memory_bytes {
            return Err(Rejection::InsufficientMemory);
        }
        if r.nano_cpus > 0 && node.total.nano_cpus - st.used.nano_cpus < r.nano_cpus {
            return Err(Rejection::InsufficientCpu);
        }
        Ok(())
    }
}
