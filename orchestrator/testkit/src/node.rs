//! Node fixtures.

use swarm_api::node::{Availability, Node, NodeId, NodeStatus, Role};

/// Node `id` with `role`, as a fresh join leaves it: host name `nID`, address
/// `127.0.0.ID:2377`, active, ready, no labels, no description; set the other fields on the
/// result.
pub fn node(id: NodeId, role: Role) -> Node {
    Node {
        id,
        hostname: format!("n{id}"),
        addr: format!("127.0.0.{id}:2377"),
        role,
        availability: Availability::Active,
        status: NodeStatus::Ready,
        labels: Default::default(),
        description: Default::default(),
    }
}
