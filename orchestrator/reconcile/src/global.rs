//! The global orchestrator: one task on every eligible node.
//!
//! swarmkit (`orchestrator/global`): a node is eligible when it is ready, not drained and
//! matches the service's placement constraints; every eligible node without a task gets one
//! (nodes that join later too), preassigned to the node. Tasks on nodes that are drained, down,
//! removed or no longer match the constraints are shut down. A paused node keeps its tasks
//! but gets no new ones (nor restarts). A node of unknown status (just joined or restarting)
//! is left alone until it reports.
//!
//! Constraints are evaluated with the scheduler's attribute lookup
//! ([`swarm_scheduler::filter::attribute`]) so both agree on `node.*` and `engine.labels.*`.

use std::collections::{BTreeMap, BTreeSet};

use swarm_api::service::ServiceSpec;
use swarm_api::task::Task;
use swarm_scheduler::filter::attribute;
use swarm_scheduler::{Availability, NodeInfo, NodeStatus};

use crate::action::{Action, Plan, Reason, SlotKey};
use crate::slots::{is_live, tend, SlotRules, UpdSlot};
use crate::view::ClusterView;

/// What a node means for a global service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligibility {
    /// Runs a task: ready, active, constraints hold.
    Run,
    /// Keeps what it has, gets nothing new: paused, or status unknown.
    Keep,
    /// Must not run the service: down, drained, or constraints fail.
    Remove,
}

/// The constraints of `spec` hold on `node`.
pub fn matches_constraints(node: &NodeInfo, spec: &ServiceSpec) -> bool {
    spec.task
        .placement
        .constraints
        .iter()
        .all(|c| c.matches(attribute(node, &c.key)))
}

/// Classifies `node` for `spec`.
pub fn eligibility(node: &NodeInfo, spec: &ServiceSpec) -> Eligibility {
    if node.status == NodeStatus::Down
        || node.availability == Availability::Drain
        || !matches_constraints(node, spec)
    {
        return Eligibility::Remove;
    }
    if node.status != NodeStatus::Ready || node.availability == Availability::Pause {
        return Eligibility::Keep;
    }
    Eligibility::Run
}

/// The tasks of a global service grouped by node (tasks without a node under "").
pub fn by_node<'a>(view: &ClusterView<'a>) -> BTreeMap<String, Vec<&'a Task>> {
    let mut m: BTreeMap<String, Vec<&'a Task>> = BTreeMap::new();
    for t in view.tasks {
        m.entry(t.node_id.clone().unwrap_or_default())
            .or_default()
            .push(t);
    }
    m
}

fn shutdown_live(tasks: &[&Task], reason: Reason, plan: &mut Plan) {
    for t in tasks.iter().filter(|t| is_live(t)) {
        plan.push(Action::ShutdownTask {
            task_id: t.id.clone(),
            reason,
        });
    }
}

/// Creates tasks on eligible nodes, removes them from ineligible ones, restarts exited ones.
/// Returns the slots the updater may roll (running nodes only) and the ids of nodes that
/// still exist (for history retention).
pub fn orchestrate<'a>(
    view: &ClusterView<'a>,
    by_node: &BTreeMap<String, Vec<&'a Task>>,
    plan: &mut Plan,
) -> (Vec<UpdSlot<'a>>, BTreeSet<String>) {
    let spec = &view.service.spec;
    let never = |_: &Task| false;
    let nodes = crate::view::Nodes::new(view.nodes);
    let node_dead = |t: &Task| nodes.is_dead(t.node_id.as_deref());
    let rules = |may_create| SlotRules {
        node_lost: &never,
        node_dead: &node_dead,
        may_create,
        spec,
        version: view.service.version,
        now_ms: view.now_ms,
    };
    let empty = Vec::new();
    let mut upd = Vec::new();
    let mut existing = BTreeSet::new();
    for node in view.nodes {
        existing.insert(node.id.clone());
        let tasks = by_node.get(&node.id).unwrap_or(&empty);
        let key = SlotKey::Node(node.id.clone());
        match eligibility(node, spec) {
            Eligibility::Remove => shutdown_live(tasks, Reason::Ineligible, plan),
            Eligibility::Keep => {
                tend(&key, tasks, &rules(false), plan);
            }
            Eligibility::Run => upd.push(tend(&key, tasks, &rules(true), plan)),
        }
    }
    for (node, tasks) in by_node {
        if !existing.contains(node) {
            shutdown_live(tasks, Reason::Ineligible, plan);
        }
    }
    (upd, existing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::constraint::Constraint;
    use swarm_api::resources::Resources;
    use swarm_scheduler::NodeRole;

    #[test]
    fn eligibility_table() {
        let mut spec = ServiceSpec::default();
        spec.task.placement.constraints = vec![Constraint::parse("node.role!=manager").unwrap()];
        // (status, availability, role, expected)
        let cases = [
            (
                NodeStatus::Ready,
                Availability::Active,
                NodeRole::Worker,
                Eligibility::Run,
            ),
            (
                NodeStatus::Ready,
                Availability::Pause,
                NodeRole::Worker,
                Eligibility::Keep,
            ),
            (
                NodeStatus::Unknown,
                Availability::Active,
                NodeRole::Worker,
                Eligibility::Keep,
            ),
            (
                NodeStatus::Ready,
                Availability::Drain,
                NodeRole::Worker,
                Eligibility::Remove,
            ),
            (
                NodeStatus::Down,
                Availability::Active,
                NodeRole::Worker,
                Eligibility::Remove,
            ),
            (
                NodeStatus::Ready,
                Availability::Active,
                NodeRole::Manager,
                Eligibility::Remove,
            ),
            (
                NodeStatus::Ready,
                Availability::Pause,
                NodeRole::Manager,
                Eligibility::Remove,
            ),
        ];
        for (i, (status, availability, role, want)) in cases.into_iter().enumerate() {
            let mut n = NodeInfo::new("n1", Resources::default());
            n.status = status;
            n.availability = availability;
            n.role = role;
            assert_eq!(eligibility(&n, &spec), want, "case {i}");
        }
    }
}
