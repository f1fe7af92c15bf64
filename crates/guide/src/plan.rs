//! What to do next for a terminating instance, from the cluster as the leader sees it (pure).
//!
//! The plan is recomputed from the membership before every step, so it holds no state of its
//! own: a step that failed, a leader that changed half-way (the message comes back to the new
//! leader when its visibility ends) or a consumer restarted mid-way all resume where the cluster
//! is. The order for a node: drain it, wait until none of its tasks still runs there, demote it
//! if it is a manager (only while the remaining managers keep a reachable majority; else hold the
//! instance, heartbeating its lifecycle action, until a replacement has joined), remove it, then
//! complete the action.

use std::collections::BTreeMap;

use swarm_api::node::{format_node_id, Availability, ManagerStatus, NodeId, NodeStatus, Role};

/// The node label holding a node's EC2 instance id (written at join by the user data and the
/// SSH bootstrap).
pub const INSTANCE_LABEL: &str = "swarm-aws.instance-id";

/// One node as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    /// Node id.
    pub id: NodeId,
    /// Address (`ip:port`).
    pub addr: String,
    /// Manager or worker.
    pub role: Role,
    /// Scheduling availability.
    pub availability: Availability,
    /// Ready or Down.
    pub status: NodeStatus,
    /// The Raft view of a manager.
    pub manager: Option<ManagerStatus>,
    /// The [`INSTANCE_LABEL`], if the node has one.
    pub instance_id: Option<String>,
}

impl NodeFacts {
    fn reachable(&self) -> bool {
        matches!(
            self.manager,
            Some(ManagerStatus::Leader | ManagerStatus::Reachable)
        )
    }
}

/// The cluster as the consumer's own manager sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// The manager this consumer runs beside.
    pub me: NodeId,
    /// The Raft leader, if known.
    pub leader: Option<NodeId>,
    /// Every node.
    pub nodes: Vec<NodeFacts>,
    /// Per node, the tasks still running (or starting) there.
    pub live_tasks: BTreeMap<NodeId, usize>,
}

impl View {
    /// Whether this consumer's manager leads (only the leader acts).
    pub fn is_leader(&self) -> bool {
        self.leader == Some(self.me)
    }

    /// The node recorded for `instance_id`.
    pub fn by_instance(&self, instance_id: &str) -> Option<&NodeFacts> {
        self.nodes
            .iter()
            .find(|n| n.instance_id.as_deref() == Some(instance_id))
    }
}

/// The next step for one terminating instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// This manager does not lead: leave the message to the leader.
    NotLeader,
    /// Set the node's availability to drain.
    Drain(NodeId),
    /// Drained, but `tasks` of its tasks still run there: look again shortly.
    WaitForTasks {
        /// The node.
        node: NodeId,
        /// How many.
        tasks: usize,
    },
    /// Demote the manager.
    Demote(NodeId),
    /// Demoting it would lose quorum (or leave no manager): keep the instance waiting
    /// (heartbeat) until a replacement has joined.
    Hold {
        /// The node.
        node: NodeId,
        /// Why, in words for the log.
        reason: String,
    },
    /// Remove the node (`force` when it still shows Ready: the instance is going).
    Remove {
        /// The node.
        node: NodeId,
        /// Ready nodes need it.
        force: bool,
    },
    /// No node holds the instance (any more): complete the lifecycle action.
    Complete,
}

/// Why demoting/removing `target` would cost the quorum, if it would: the managers' own guard
/// (`swarm-manager`'s `check_removal`) on the leader's view, so the plan holds instead of
/// failing against it.
pub fn quorum_risk(view: &View, target: NodeId) -> Option<String> {
    let voters: Vec<&NodeFacts> = view
        .nodes
        .iter()
        .filter(|n| n.role == Role::Manager)
        .collect();
    let t = voters.iter().find(|n| n.id == target)?;
    let remaining = voters.len() - 1;
    if remaining == 0 {
        return Some(format!(
            "node {} is the last manager; waiting for a replacement manager to join",
            format_node_id(target)
        ));
    }
    let reachable = voters.iter().filter(|n| n.reachable()).count() - usize::from(t.reachable());
    let majority = remaining / 2 + 1;
    (reachable < majority).then(|| {
        format!(
            "demoting manager {} would leave {remaining} managers with {reachable} reachable, \
             below the quorum of {majority}; waiting for a replacement manager to join",
            format_node_id(target)
        )
    })
}

/// The next step for the terminating `instance_id`.
pub fn termination_step(view: &View, instance_id: &str) -> Step {
    if !view.is_leader() {
        return Step::NotLeader;
    }
    let Some(node) = view.by_instance(instance_id) else {
        return Step::Complete;
    };
    if node.availability != Availability::Drain {
        return Step::Drain(node.id);
    }
    // A Down node reports nothing: its tasks are rescheduled by the orchestrators, not stopped.
    let tasks = view.live_tasks.get(&node.id).copied().unwrap_or(0);
    if tasks > 0 && node.status == NodeStatus::Ready {
        return Step::WaitForTasks {
            node: node.id,
            tasks,
        };
    }
    if node.role == Role::Manager {
        return match quorum_risk(view, node.id) {
            Some(reason) => Step::Hold {
                node: node.id,
                reason,
            },
            None => Step::Demote(node.id),
        };
    }
    Step::Remove {
        node: node.id,
        force: node.status == NodeStatus::Ready,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn node(id: NodeId, role: Role, instance: &str) -> NodeFacts {
        NodeFacts {
            id,
            addr: format!("10.0.0.{id}:2377"),
            role,
            availability: Availability::Active,
            status: NodeStatus::Ready,
            manager: (role == Role::Manager).then_some(ManagerStatus::Reachable),
            instance_id: Some(instance.into()),
        }
    }

    /// Three managers (1 leads) and two workers; instance ids i-1 .. i-5.
    pub(crate) fn cluster() -> View {
        let mut nodes = vec![
            node(1, Role::Manager, "i-1"),
            node(2, Role::Manager, "i-2"),
            node(3, Role::Manager, "i-3"),
            node(4, Role::Worker, "i-4"),
            node(5, Role::Worker, "i-5"),
        ];
        nodes[0].manager = Some(ManagerStatus::Leader);
        View {
            me: 1,
            leader: Some(1),
            nodes,
            live_tasks: BTreeMap::from([(4, 2), (5, 1)]),
        }
    }

    fn set(view: &mut View, id: NodeId, f: impl FnOnce(&mut NodeFacts)) {
        f(view.nodes.iter_mut().find(|n| n.id == id).unwrap());
    }

    #[test]
    fn only_the_leader_acts() {
        let mut v = cluster();
        v.me = 2;
        assert_eq!(termination_step(&v, "i-4"), Step::NotLeader);
        v.leader = None;
        assert_eq!(termination_step(&v, "i-4"), Step::NotLeader);
    }

    #[test]
    fn a_worker_is_drained_waited_for_then_removed_then_completed() {
        let mut v = cluster();
        assert_eq!(termination_step(&v, "i-4"), Step::Drain(4));
        set(&mut v, 4, |n| n.availability = Availability::Drain);
        assert_eq!(
            termination_step(&v, "i-4"),
            Step::WaitForTasks { node: 4, tasks: 2 }
        );
        v.live_tasks.insert(4, 0);
        assert_eq!(
            termination_step(&v, "i-4"),
            Step::Remove {
                node: 4,
                force: true
            }
        );
        v.nodes.retain(|n| n.id != 4);
        assert_eq!(termination_step(&v, "i-4"), Step::Complete);
    }

    #[test]
    fn a_down_node_is_not_waited_for_and_needs_no_force() {
        let mut v = cluster();
        set(&mut v, 5, |n| {
            n.availability = Availability::Drain;
            n.status = NodeStatus::Down;
        });
        assert_eq!(
            termination_step(&v, "i-5"),
            Step::Remove {
                node: 5,
                force: false
            }
        );
    }

    #[test]
    fn an_unknown_instance_completes_at_once() {
        assert_eq!(termination_step(&cluster(), "i-99"), Step::Complete);
    }

    #[test]
    fn a_manager_of_three_is_drained_demoted_then_removed() {
        let mut v = cluster();
        assert_eq!(termination_step(&v, "i-2"), Step::Drain(2));
        set(&mut v, 2, |n| n.availability = Availability::Drain);
        assert_eq!(termination_step(&v, "i-2"), Step::Demote(2));
        set(&mut v, 2, |n| {
            n.role = Role::Worker;
            n.manager = None;
        });
        assert!(matches!(
            termination_step(&v, "i-2"),
            Step::Remove { node: 2, .. }
        ));
    }

    #[test]
    fn the_leaders_own_instance_is_demoted_like_any_manager() {
        let mut v = cluster();
        set(&mut v, 1, |n| n.availability = Availability::Drain);
        assert_eq!(termination_step(&v, "i-1"), Step::Demote(1));
    }

    #[test]
    fn a_manager_is_held_when_demoting_it_would_lose_quorum() {
        let mut v = cluster();
        // Manager 3 is already unreachable: demoting 2 leaves 2 voters with 1 reachable.
        set(&mut v, 3, |n| {
            n.manager = Some(ManagerStatus::Unreachable);
            n.status = NodeStatus::Down;
        });
        set(&mut v, 2, |n| n.availability = Availability::Drain);
        match termination_step(&v, "i-2") {
            Step::Hold { node: 2, reason } => {
                assert!(reason.contains("below the quorum of 2"), "{reason}");
                assert!(reason.contains("replacement"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // Demoting the unreachable one keeps 2 of 2 reachable.
        set(&mut v, 3, |n| n.availability = Availability::Drain);
        assert_eq!(termination_step(&v, "i-3"), Step::Demote(3));
        // A replacement manager joined: 2 can go now.
        let mut joined = node(6, Role::Manager, "i-6");
        joined.availability = Availability::Active;
        v.nodes.push(joined);
        assert_eq!(termination_step(&v, "i-2"), Step::Demote(2));
    }

    #[test]
    fn the_last_manager_is_held() {
        let mut v = View {
            me: 1,
            leader: Some(1),
            nodes: vec![node(1, Role::Manager, "i-1")],
            live_tasks: BTreeMap::new(),
        };
        v.nodes[0].availability = Availability::Drain;
        match termination_step(&v, "i-1") {
            Step::Hold { reason, .. } => assert!(reason.contains("last manager"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
