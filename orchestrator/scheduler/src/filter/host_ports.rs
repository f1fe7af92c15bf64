//! Host ports: none of the task's host-mode published ports is bound on the node yet.

use swarm_api::task::Task;

use super::{Filter, Rejection, TaskNeeds};
use crate::node::NodeInfo;
use crate::state::NodeState;

/// One task per node and host-mode port.
pub struct HostPorts;

impl Filter for HostPorts {
    fn dynamic(&self) -> bool {
        true
    }

    fn same_group(&self, a: &Task, b: &Task) -> bool {
        a.endpoint == b.endpoint
    }

    fn check(&self, _: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
        for &(p, proto) in needs.host_ports {
            if st.ports.contains(&(p, proto)) {
                return Err(Rejection::HostPortInUse(p, proto));
            }
        }
        Ok(())
    }
}
