//! Max replicas per node: the service has fewer than `--max-replicas-per-node` tasks there.

use swarm_api::task::Task;

use super::{Filter, Rejection, TaskNeeds};
use crate::node::NodeInfo;
use crate::state::NodeState;

/// Caps the service's tasks on one node (0 = unlimited).
pub struct MaxReplicas;

impl Filter for MaxReplicas {
    fn dynamic(&self) -> bool {
        true
    }

    fn same_group(&self, a: &Task, b: &Task) -> bool {
        a.spec.placement.max_replicas_per_node == b.spec.placement.max_replicas_per_node
    }

    fn check(&self, _: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
        let m = needs.max_replicas_per_node;
        if m > 0 && u64::from(st.service_count(needs.service)) >= m {
            return Err(Rejection::MaxReplicas(m));
        }
        Ok(())
    }
}
