//! Spread ranking as a tree of min-heaps.
//!
//! Without placement preferences the tree is one leaf: a min-heap of the eligible nodes keyed
//! by (tasks of this service, tasks overall, node index), so the next task goes to the node with
//! the fewest tasks of its service, then the fewest tasks overall. With preferences
//! (`spread=node.labels.zone`, then `spread=node.labels.rack`, ...) nodes are grouped by the
//! attribute's value level by level (nodes without the label form their own group, as in
//! swarmkit), and each branch keeps a min-heap of its children keyed by the service's task count
//! in the child's subtree: a task walks down to the emptiest branch, then to the best node.
//! Each placement costs O(depth · log n) instead of a re-sort of all nodes.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use swarm_api::constraint::PlacementPreference;

use crate::filter::attribute;
use crate::node::NodeInfo;
use crate::state::NodeState;

/// A subtree of eligible nodes.
#[derive(Debug)]
pub struct Subtree {
    /// Tasks of the service on the nodes of this subtree.
    count: u64,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Leaf(BinaryHeap<Reverse<(u32, u32, usize)>>),
    Branch {
        children: Vec<Subtree>,
        heap: BinaryHeap<Reverse<(u64, usize)>>,
    },
}

/// Builds the tree over the `candidates` (indexes into `nodes`/`states`).
pub fn build(
    candidates: &[usize],
    prefs: &[PlacementPreference],
    nodes: &[NodeInfo],
    states: &[NodeState],
    service: u32,
) -> Subtree {
    match prefs.split_first() {
        None => {
            let mut count = 0u64;
            let heap = candidates
                .iter()
                .map(|&i| {
                    let s = states[i].service_count(service);
                    count += u64::from(s);
                    Reverse((s, states[i].total_tasks, i))
                })
                .collect();
            Subtree {
                count,
                kind: Kind::Leaf(heap),
            }
        }
        Some((pref, rest)) => {
            let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for &i in candidates {
                let v = attribute(&nodes[i], &pref.spread).unwrap_or("");
                groups.entry(v).or_default().push(i);
            }
            let children: Vec<Subtree> = groups
                .values()
                .map(|g| build(g, rest, nodes, states, service))
                .collect();
            let heap = children
                .iter()
                .enumerate()
                .map(|(i, c)| Reverse((c.count, i)))
                .collect();
            Subtree {
                count: children.iter().map(|c| c.count).sum(),
                kind: Kind::Branch { children, heap },
            }
        }
    }
}

impl Subtree {
    /// Places one task: picks the best node, calls `commit(node)` which records the task and
    /// returns the node's new (service count, total count) if it can take more tasks of this
    /// group, or None to drop it. Returns the chosen node, or None when no node is left.
    pub fn place<F: FnMut(usize) -> Option<(u32, u32)>>(
        &mut self,
        commit: &mut F,
    ) -> Option<usize> {
        match &mut self.kind {
            Kind::Leaf(heap) => {
                let Reverse((_, _, idx)) = heap.pop()?;
                if let Some((s, t)) = commit(idx) {
                    heap.push(Reverse((s, t, idx)));
                }
                self.count += 1;
                Some(idx)
            }
            Kind::Branch { children, heap } => {
                while let Some(Reverse((c, i))) = heap.pop() {
                    if let Some(idx) = children[i].place(commit) {
                        heap.push(Reverse((c + 1, i)));
                        self.count += 1;
                        return Some(idx);
                    }
                    // The child has no eligible node left: it stays out of the heap.
                }
                None
            }
        }
    }
}
