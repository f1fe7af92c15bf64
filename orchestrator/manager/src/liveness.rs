//! The leader's heartbeat bookkeeping: pure decisions about Ready/Down transitions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use swarm_api::node::{Node, NodeId, NodeStatus};

/// When each node was last heard of, as seen by the current leader.
#[derive(Debug, Default)]
pub struct Liveness {
    seen: HashMap<NodeId, Instant>,
    /// The status each node had in the state at the previous call.
    last: HashMap<NodeId, NodeStatus>,
    term: u64,
}

impl Liveness {
    /// Records a heartbeat.
    pub fn beat(&mut self, id: NodeId, now: Instant) {
        self.seen.insert(id, now);
    }

    /// Status changes to commit. A new term (new leader) gives every node a fresh grace period.
    /// A Down committed by someone else (a worker's `leave`, on any manager) ends the evidence
    /// of the heartbeats so far: the node stays Down until it is heard from again.
    pub fn changes(
        &mut self,
        term: u64,
        nodes: &BTreeMap<NodeId, Node>,
        left: &BTreeSet<NodeId>,
        now: Instant,
        down_after: Duration,
    ) -> Vec<(NodeId, NodeStatus)> {
        if term != self.term {
            self.term = term;
            self.seen.clear();
        }
        let mut out = Vec::new();
        for (id, node) in nodes {
            let was = self.last.insert(*id, node.status);
            // A node that left stays Down whatever reaches us from it (the state refuses its
            // Ready anyway): no evidence is kept, nothing is proposed.
            if left.contains(id) {
                self.seen.remove(id);
                continue;
            }
            if node.status == NodeStatus::Down && was == Some(NodeStatus::Ready) {
                self.seen.remove(id);
            }
            // After a leader change, nodes known Ready get a fresh grace period; nodes known Down
            // stay Down until they are heard from.
            if node.status == NodeStatus::Ready {
                self.seen.entry(*id).or_insert(now);
            }
            let alive = self
                .seen
                .get(id)
                .is_some_and(|seen| now.saturating_duration_since(*seen) <= down_after);
            let want = if alive {
                NodeStatus::Ready
            } else {
                NodeStatus::Down
            };
            if want != node.status {
                out.push((*id, want));
            }
        }
        self.seen.retain(|id, _| nodes.contains_key(id));
        self.last.retain(|id, _| nodes.contains_key(id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Availability, Role};

    fn node(id: NodeId, status: NodeStatus) -> Node {
        Node {
            id,
            hostname: "h".into(),
            addr: "a:1".into(),
            role: Role::Worker,
            availability: Availability::Active,
            status,
            labels: Default::default(),
            description: Default::default(),
        }
    }

    #[test]
    fn down_after_silence_ready_after_beat_grace_on_new_term() {
        let t0 = Instant::now();
        let d = Duration::from_secs(5);
        let mut l = Liveness::default();
        let mut nodes = BTreeMap::from([
            (1, node(1, NodeStatus::Ready)),
            (2, node(2, NodeStatus::Down)),
        ]);
        // New term: Ready nodes get a grace period, Down ones stay Down until heard from.
        assert!(l.changes(1, &nodes, &BTreeSet::new(), t0, d).is_empty());
        l.beat(2, t0);
        assert_eq!(
            l.changes(1, &nodes, &BTreeSet::new(), t0, d),
            vec![(2, NodeStatus::Ready)]
        );
        nodes.get_mut(&2).unwrap().status = NodeStatus::Ready;
        l.beat(1, t0 + Duration::from_secs(4));
        let later = t0 + Duration::from_secs(6);
        assert_eq!(
            l.changes(1, &nodes, &BTreeSet::new(), later, d),
            vec![(2, NodeStatus::Down)]
        );
        // A new leader term resets the clock.
        assert!(l.changes(2, &nodes, &BTreeSet::new(), later, d).is_empty());
    }

    #[test]
    fn a_down_committed_elsewhere_sticks_until_the_next_beat() {
        let t0 = Instant::now();
        let d = Duration::from_secs(5);
        let mut l = Liveness::default();
        let mut nodes = BTreeMap::from([(1, node(1, NodeStatus::Ready))]);
        l.beat(1, t0);
        assert!(l.changes(1, &nodes, &BTreeSet::new(), t0, d).is_empty());
        // Another manager committed Down while its last beat is recent.
        nodes.get_mut(&1).unwrap().status = NodeStatus::Down;
        let t1 = t0 + Duration::from_millis(100);
        assert!(
            l.changes(1, &nodes, &BTreeSet::new(), t1, d).is_empty(),
            "must not flip back to Ready"
        );
        assert!(l.changes(1, &nodes, &BTreeSet::new(), t1, d).is_empty());
        // A node that comes back and beats again is Ready again.
        l.beat(1, t1);
        assert_eq!(
            l.changes(1, &nodes, &BTreeSet::new(), t1, d),
            vec![(1, NodeStatus::Ready)]
        );
    }

    #[test]
    fn a_node_that_left_stays_down_whatever_beat_arrives_late() {
        let t0 = Instant::now();
        let d = Duration::from_secs(5);
        let mut l = Liveness::default();
        let mut nodes = BTreeMap::from([(1, node(1, NodeStatus::Ready))]);
        let left = BTreeSet::from([1]);
        l.beat(1, t0);
        assert!(l.changes(1, &nodes, &BTreeSet::new(), t0, d).is_empty());
        nodes.get_mut(&1).unwrap().status = NodeStatus::Down;
        assert!(l.changes(1, &nodes, &left, t0, d).is_empty());
        // A heartbeat sent before the leave reaches the leader after it.
        l.beat(1, t0 + Duration::from_millis(50));
        let t1 = t0 + Duration::from_millis(100);
        assert!(l.changes(1, &nodes, &left, t1, d).is_empty());
        assert!(l.changes(1, &nodes, &left, t1, d).is_empty());
    }
}
