//! One orchestration step of the leader, as pure functions of the replicated state.
//!
//! [`reconcile_all`] runs `swarm_reconcile::reconcile` for every service and turns the plans
//! into Raft [`Command`]s (one `Batch`), and cleans up the tasks of removed services;
//! [`schedule_pending`] runs the scheduler over the tasks that wait for a node. The
//! orchestrator loop ([`crate::orchestrator`]) calls them on every state change and commits
//! the result. Nothing here does I/O or reads a clock: the time and the id generator are
//! arguments, so the steps are unit-tested on plain states.

use std::collections::{BTreeMap, HashMap};

use swarm_api::command::Command;
use swarm_api::node::{self, format_node_id, Node};
use swarm_api::task::{Task, TaskState};
use swarm_reconcile::commit::commands_of;
use swarm_reconcile::{reconcile, ClusterView};
use swarm_scheduler::{schedule, NodeInfo, NodeTask, Outcome, Snapshot};
use swarm_store::state::ClusterState;

/// What one step wants to commit and when it wants to run again.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Step {
    /// Commands to commit (in one batch).
    pub commands: Vec<Command>,
    /// Run again at this time even if nothing changes.
    pub wake_at_ms: Option<u64>,
}

fn scheduler_status(n: &Node) -> swarm_scheduler::NodeStatus {
    match n.status {
        node::NodeStatus::Down => swarm_scheduler::NodeStatus::Down,
        // A node whose agent never reported has no known capacity or executor yet.
        node::NodeStatus::Ready if n.description == Default::default() => {
            swarm_scheduler::NodeStatus::Unknown
        }
        node::NodeStatus::Ready => swarm_scheduler::NodeStatus::Ready,
    }
}

/// The scheduler's and orchestrators' view of every node, with the non-terminal tasks
/// assigned to it.
pub fn node_infos(state: &ClusterState) -> Vec<NodeInfo> {
    let mut by_node: HashMap<&str, Vec<NodeTask>> = HashMap::new();
    for t in state.tasks.values() {
        if let Some(n) = t.node_id.as_deref() {
            if !t.status.state.is_terminal() && t.status.state >= TaskState::Assigned {
                by_node.entry(n).or_default().push(NodeTask::from_task(t));
            }
        }
    }
    state
        .nodes
        .values()
        .map(|n| {
            let id = format_node_id(n.id);
            let tasks = by_node.remove(id.as_str()).unwrap_or_default();
            NodeInfo {
                hostname: n.hostname.clone(),
                role: n.role,
                labels: n.labels.clone(),
                engine_labels: n.description.engine_labels.clone(),
                platform: n.description.platform.clone(),
                availability: n.availability,
                status: scheduler_status(n),
                total: n.description.resources,
                tasks,
                id,
            }
        })
        .collect()
}

/// Tasks whose service is gone: stopped (or unreachable) ones are deleted.
fn orphans(state: &ClusterState) -> Vec<String> {
    state
        .tasks
        .values()
        .filter(|t| !state.services.contains_key(&t.service_id))
        .filter(|t| {
            let node_alive = t
                .node_id
                .as_deref()
                .and_then(node::parse_node_id)
                .and_then(|id| state.nodes.get(&id))
                .is_some_and(|n| n.status == node::NodeStatus::Ready);
            t.status.state.is_terminal() || t.status.state < TaskState::Assigned || !node_alive
        })
        .map(|t| t.id.clone())
        .collect()
}

/// Reconciles every service: the commands to commit and the earliest wake-up.
pub fn reconcile_all(
    state: &ClusterState,
    now_ms: u64,
    new_id: &mut dyn FnMut() -> String,
) -> Step {
    let nodes = node_infos(state);
    let mut by_service: BTreeMap<&str, Vec<Task>> = BTreeMap::new();
    for t in state.tasks.values() {
        by_service.entry(&t.service_id).or_default().push(t.clone());
    }
    let mut step = Step::default();
    for service in state.services.values() {
        let tasks = by_service.remove(service.id.as_str()).unwrap_or_default();
        let view = ClusterView {
            service,
            tasks: &tasks,
            nodes: &nodes,
            now_ms,
        };
        match reconcile(&view) {
            Ok(plan) => {
                if let Some(w) = plan.wake_at_ms {
                    step.wake_at_ms = Some(step.wake_at_ms.map_or(w, |x| x.min(w)));
                }
                step.commands
                    .extend(commands_of(service, plan.actions, now_ms, new_id));
            }
            Err(e) => tracing::warn!(service = %service.spec.name, error = %e, "cannot reconcile"),
        }
    }
    let gone = orphans(state);
    if !gone.is_empty() {
        step.commands.push(Command::DeleteTasks { ids: gone });
    }
    step
}

/// Tasks that wait for a node: desired RUNNING, not yet assigned.
pub fn pending_tasks(state: &ClusterState) -> Vec<Task> {
    state
        .tasks
        .values()
        .filter(|t| t.desired_state == TaskState::Running && t.status.state < TaskState::Assigned)
        .filter(|t| state.services.contains_key(&t.service_id))
        .cloned()
        .collect()
}

/// Runs the scheduler over the pending tasks; `None` when nothing changes (no placement and
/// every pending reason already stored).
pub fn schedule_pending(state: &ClusterState, now_ms: u64) -> Option<Command> {
    let pending = pending_tasks(state);
    if pending.is_empty() {
        return None;
    }
    let snapshot = Snapshot {
        nodes: node_infos(state),
    };
    let mut assigned = Vec::new();
    let mut waiting = Vec::new();
    for d in schedule(&snapshot, &pending) {
        match d.outcome {
            Outcome::Assigned { node_id } => assigned.push((d.task_id, node_id)),
            Outcome::Pending { reason } => {
                let stored = &state.tasks[&d.task_id].status;
                if stored.state != TaskState::Pending || stored.message != reason {
                    waiting.push((d.task_id, reason));
                }
            }
        }
    }
    (!assigned.is_empty() || !waiting.is_empty()).then_some(Command::Schedule {
        at_ms: now_ms,
        assigned,
        pending: waiting,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::NodeDescription;
    use swarm_api::resources::Resources;
    use swarm_api::service::{ContainerSpec, ServiceMode, ServiceSpec, TaskSpec};

    fn node(id: u64, ready: bool) -> Node {
        Node {
            id,
            hostname: format!("n{id}"),
            addr: format!("127.0.0.{id}:2377"),
            role: node::Role::Worker,
            availability: node::Availability::Active,
            status: node::NodeStatus::Ready,
            labels: Default::default(),
            description: if ready {
                NodeDescription {
                    resources: Resources {
                        nano_cpus: 2_000_000_000,
                        memory_bytes: 1 << 30,
                    },
                    ..Default::default()
                }
            } else {
                NodeDescription::default()
            },
        }
    }

    fn state(replicas: u64) -> ClusterState {
        let mut s = ClusterState::default();
        for (id, ready) in [(1, true), (2, true), (3, false)] {
            s.nodes.insert(id, node(id, ready));
        }
        let spec = ServiceSpec {
            name: "web".into(),
            mode: ServiceMode::Replicated { replicas },
            task: TaskSpec {
                container: ContainerSpec {
                    image: "img".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        };
        s.services
            .insert("s1".into(), swarm_testkit::service("s1", spec));
        s
    }

    fn ids() -> impl FnMut() -> String {
        let mut i = 0;
        move || {
            i += 1;
            format!("t{i}")
        }
    }

    #[test]
    fn a_new_service_gets_its_tasks_spread_over_nodes_that_reported() {
        let mut s = state(4);
        let step = reconcile_all(&s, 100, &mut ids());
        for c in &step.commands {
            assert!(s.apply(c).error.is_none());
        }
        assert_eq!(s.tasks.len(), 4);
        let cmd = schedule_pending(&s, 200).unwrap();
        s.apply(&cmd);
        let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
        for t in s.tasks.values() {
            assert_eq!(t.status.state, TaskState::Assigned);
            *per_node.entry(t.node_id.clone().unwrap()).or_default() += 1;
        }
        // Node 3 never reported (unknown capacity): nothing goes there.
        assert_eq!(
            per_node,
            BTreeMap::from([(format_node_id(1), 2), (format_node_id(2), 2)])
        );
        // Nothing left to do: no command.
        assert_eq!(schedule_pending(&s, 300), None);
        assert!(reconcile_all(&s, 300, &mut ids()).commands.is_empty());
    }

    #[test]
    fn pending_reasons_are_written_once_and_orphans_are_deleted() {
        let mut s = state(1);
        s.services
            .get_mut("s1")
            .unwrap()
            .spec
            .task
            .resources
            .reservations
            .memory_bytes = 4 << 30;
        for c in reconcile_all(&s, 1, &mut ids()).commands {
            s.apply(&c);
        }
        let cmd = schedule_pending(&s, 2).unwrap();
        s.apply(&cmd);
        let t = s.tasks.values().next().unwrap();
        assert_eq!(t.status.state, TaskState::Pending);
        assert!(
            t.status.message.contains("insufficient memory on 2 nodes"),
            "{}",
            t.status.message
        );
        assert!(
            t.status.message.contains("1 node not ready"),
            "{}",
            t.status.message
        );
        assert_eq!(
            schedule_pending(&s, 3),
            None,
            "same reason: nothing to write"
        );
        s.apply(&Command::RemoveService { id: "s1".into() });
        let step = reconcile_all(&s, 4, &mut ids());
        assert_eq!(
            step.commands,
            vec![Command::DeleteTasks {
                ids: vec!["t1".into()]
            }]
        );
    }
}
