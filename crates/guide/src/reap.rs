//! Down nodes whose instance no longer exists (pure): a node Down for longer than the grace
//! period, whose [`INSTANCE_LABEL`](crate::plan::INSTANCE_LABEL) names an instance EC2 reports
//! terminated (or does not know), is removed; a manager is demoted first, and only while the
//! remaining managers keep a reachable majority. Nodes without the label are never touched (we
//! cannot tell whose they are), nor are nodes whose instance still exists (a reboot, a network
//! partition: they come back).
//!
//! The time a node went Down is what this consumer saw ([`DownSince`]): a new leader starts its
//! own clock, so the grace is never shorter than configured, only longer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use swarm_api::node::{NodeId, NodeStatus, Role};

use crate::plan::{quorum_risk, View};

/// When each node was first seen Down, in milliseconds of a monotonic clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownSince(pub BTreeMap<NodeId, u64>);

impl DownSince {
    /// Records the Down nodes of `view` not yet seen Down, forgets the others.
    pub fn observe(&mut self, view: &View, now_ms: u64) {
        let down: BTreeSet<NodeId> = view
            .nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Down)
            .map(|n| n.id)
            .collect();
        self.0.retain(|id, _| down.contains(id));
        for id in down {
            self.0.entry(id).or_insert(now_ms);
        }
    }

    /// The instance ids of the nodes Down for at least `grace` (to ask EC2 about).
    pub fn overdue(&self, view: &View, now_ms: u64, grace: Duration) -> Vec<String> {
        let grace = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX);
        view.nodes
            .iter()
            .filter(|n| {
                self.0
                    .get(&n.id)
                    .is_some_and(|t| now_ms.saturating_sub(*t) >= grace)
            })
            .filter_map(|n| n.instance_id.clone())
            .collect()
    }
}

/// One reaping step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reap {
    /// Demote the Down manager (its removal follows on a later round).
    Demote(NodeId),
    /// Remove the Down node.
    Remove(NodeId),
    /// Leave the Down manager, saying why.
    Keep {
        /// The node.
        node: NodeId,
        /// Why.
        reason: String,
    },
}

/// The steps for the overdue nodes whose instance is `gone`.
pub fn reap_steps(view: &View, gone: &BTreeSet<String>) -> Vec<Reap> {
    if !view.is_leader() {
        return Vec::new();
    }
    view.nodes
        .iter()
        .filter(|n| n.status == NodeStatus::Down)
        .filter(|n| n.instance_id.as_ref().is_some_and(|i| gone.contains(i)))
        .map(|n| match n.role {
            Role::Worker => Reap::Remove(n.id),
            Role::Manager => match quorum_risk(view, n.id) {
                Some(reason) => Reap::Keep { node: n.id, reason },
                None => Reap::Demote(n.id),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::cluster;
    use swarm_api::node::ManagerStatus;

    fn down(view: &mut View, id: NodeId) {
        let n = view.nodes.iter_mut().find(|n| n.id == id).unwrap();
        n.status = NodeStatus::Down;
        if n.role == Role::Manager {
            n.manager = Some(ManagerStatus::Unreachable);
        }
    }

    #[test]
    fn a_node_is_overdue_only_after_the_grace_since_it_was_first_seen_down() {
        let mut v = cluster();
        let mut since = DownSince::default();
        down(&mut v, 4);
        since.observe(&v, 1_000);
        since.observe(&v, 5_000);
        let grace = Duration::from_secs(10);
        assert!(since.overdue(&v, 10_999, grace).is_empty());
        assert_eq!(since.overdue(&v, 11_000, grace), vec!["i-4".to_string()]);
        // It came back: the clock starts over next time.
        v.nodes[3].status = NodeStatus::Ready;
        since.observe(&v, 12_000);
        assert!(since.0.is_empty());
    }

    #[test]
    fn only_down_nodes_whose_instance_is_gone_are_reaped() {
        let mut v = cluster();
        down(&mut v, 4);
        down(&mut v, 5);
        let gone = BTreeSet::from(["i-4".to_string()]);
        assert_eq!(reap_steps(&v, &gone), vec![Reap::Remove(4)]);
        // A Ready node is never reaped, whatever EC2 says.
        let gone = BTreeSet::from(["i-1".to_string(), "i-2".to_string()]);
        assert!(reap_steps(&v, &gone).is_empty());
    }

    #[test]
    fn a_down_manager_is_demoted_while_quorum_stays_safe_else_kept() {
        let mut v = cluster();
        down(&mut v, 3);
        let gone = BTreeSet::from(["i-3".to_string(), "i-2".to_string()]);
        assert_eq!(reap_steps(&v, &gone), vec![Reap::Demote(3)]);
        // Two of three down: demoting one leaves 2 voters with 1 reachable.
        down(&mut v, 2);
        let steps = reap_steps(&v, &gone);
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert!(
            steps
                .iter()
                .all(|s| matches!(s, Reap::Keep { reason, .. } if reason.contains("quorum"))),
            "{steps:?}"
        );
    }

    #[test]
    fn followers_reap_nothing() {
        let mut v = cluster();
        down(&mut v, 4);
        v.me = 2;
        assert!(reap_steps(&v, &BTreeSet::from(["i-4".to_string()])).is_empty());
    }
}
