//! Constraints: every `--constraint` of the task holds on the node (static while scheduling).

use swarm_api::task::Task;

use super::{attribute, Filter, Rejection, TaskNeeds};
use crate::node::NodeInfo;
use crate::state::NodeState;

/// `node.*` and `engine.labels.*` constraints, all of which must hold.
pub struct Constraints;

impl Filter for Constraints {
    fn dynamic(&self) -> bool {
        false
    }

    fn same_group(&self, a: &Task, b: &Task) -> bool {
        a.spec.placement.constraints == b.spec.placement.constraints
    }

    fn check(&self, node: &NodeInfo, _: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
        for c in needs.constraints {
            if !c.matches(attribute(node, &c.key)) {
                return Err(Rejection::Constraint(c.to_string()));
            }
        }
        Ok(())
    }
}
