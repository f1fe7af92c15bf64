//! `schedule(snapshot, tasks)`: the batch entry point.
//!
//! Tasks with a node already set (global services) are checked against that node only. The
//! others are grouped by service and scheduling-relevant spec; each group runs the filter
//! pipeline once over all nodes (O(nodes)), then places its tasks one by one through the
//! spread tree (O(log nodes) each), re-checking only the node that just received a task.

use std::collections::HashMap;

use swarm_api::publish::Protocol;
use swarm_api::task::Task;

use crate::filter::{self, check_all, check_dynamic, Explanation, Rejection, TaskNeeds};
use crate::node::{host_ports, Snapshot};
use crate::state::{self, NodeState, Services};
use crate::tree;

/// Where a task goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Place it on this node.
    Assigned {
        /// The node's id.
        node_id: String,
    },
    /// Leave it pending, with the reason shown by `service ps`.
    Pending {
        /// E.g. "no suitable node (insufficient memory on 3 nodes)".
        reason: String,
    },
}

/// The scheduler's answer for one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The task.
    pub task_id: String,
    /// Assigned or pending.
    pub outcome: Outcome,
}

/// Tasks placed as one group: every filter sees them the same, and so does the spread
/// ranking (same placement preferences).
fn same_group(a: &Task, b: &Task) -> bool {
    a.spec.placement.preferences == b.spec.placement.preferences && filter::same_group(a, b)
}

fn needs<'a>(t: &'a Task, service: u32, ports: &'a [(u16, Protocol)]) -> TaskNeeds<'a> {
    TaskNeeds {
        task: t,
        service,
        reservations: t.spec.resources.reservations,
        constraints: &t.spec.placement.constraints,
        host_ports: ports,
        max_replicas_per_node: t.spec.placement.max_replicas_per_node,
    }
}

/// Decides a node for each task (one decision per task, in input order). Placements made
/// earlier in the batch count for later tasks (resources, spread, ports, max replicas).
pub fn schedule(snapshot: &Snapshot, tasks: &[Task]) -> Vec<Decision> {
    let nodes = &snapshot.nodes;
    let mut services = Services::default();
    let mut states: Vec<NodeState> = state::build(snapshot, &mut services);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; tasks.len()];

    // Preassigned tasks first (global services), as swarmkit does.
    let mut by_id: Option<HashMap<&str, usize>> = None;
    // Groups: per service, a list of (representative task, member tasks).
    let mut group_index: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (ti, t) in tasks.iter().enumerate() {
        let svc = services.intern(&t.service_id);
        if let Some(node_id) = &t.node_id {
            let by_id = by_id.get_or_insert_with(|| {
                nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.id.as_str(), i))
                    .collect()
            });
            let ports = host_ports(t);
            let needs = needs(t, svc, &ports);
            let verdict = match by_id.get(node_id.as_str()) {
                None => Err(Rejection::UnknownNode(node_id.clone())),
                Some(&i) => check_all(&nodes[i], &states[i], &needs).map(|()| i),
            };
            outcomes[ti] = Some(match verdict {
                Ok(i) => {
                    states[i].add(svc, needs.reservations, &ports);
                    Outcome::Assigned {
                        node_id: nodes[i].id.clone(),
                    }
                }
                Err(r) => {
                    let mut e = Explanation::default();
                    e.add(r);
                    Outcome::Pending { reason: e.reason() }
                }
            });
            continue;
        }
        let list = group_index.entry(&t.service_id).or_default();
        match list.iter().find(|&&g| same_group(&tasks[groups[g].0], t)) {
            Some(&g) => groups[g].1.push(ti),
            None => {
                list.push(groups.len());
                groups.push((ti, vec![ti]));
            }
        }
    }

    for (rep, members) in &groups {
        let first = &tasks[*rep];
        let svc = services.intern(&first.service_id);
        let ports = host_ports(first);
        let needs = needs(first, svc, &ports);
        let mut explanation = Explanation::default();
        let mut candidates = Vec::with_capacity(nodes.len());
        for (i, node) in nodes.iter().enumerate() {
            match check_all(node, &states[i], &needs) {
                Ok(()) => candidates.push(i),
                Err(r) => explanation.add(r),
            }
        }
        let mut tree = tree::build(
            &candidates,
            &first.spec.placement.preferences,
            nodes,
            &states,
            svc,
        );
        let mut reason: Option<String> = None;
        for &ti in members {
            let placed = tree.place(&mut |i| {
                let st = &mut states[i];
                st.add(svc, needs.reservations, &ports);
                match check_dynamic(&nodes[i], st, &needs) {
                    Ok(()) => Some((st.service_count(svc), st.total_tasks)),
                    Err(r) => {
                        explanation.add(r);
                        None
                    }
                }
            });
            outcomes[ti] = Some(match placed {
                Some(i) => Outcome::Assigned {
                    node_id: nodes[i].id.clone(),
                },
                None => Outcome::Pending {
                    reason: reason.get_or_insert_with(|| explanation.reason()).clone(),
                },
            });
        }
    }

    tasks
        .iter()
        .zip(outcomes)
        .map(|(t, o)| Decision {
            task_id: t.id.clone(),
            outcome: o.unwrap_or(Outcome::Pending {
                reason: "not scheduled".to_string(),
            }),
        })
        .collect()
}
