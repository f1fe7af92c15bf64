//! A tiny in-memory cluster for tests and the bench: a store (service, update status, tasks),
//! nodes, a fake agent and the real scheduler. It applies `reconcile` plans the way the
//! managers will, so behaviour can be checked step by step.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use swarm_api::command::Command;
use swarm_api::resources::Resources;
use swarm_api::service::{
    ContainerSpec, Service, ServiceMode, ServiceSpec, TaskSpec, UpdateConfig,
};
use swarm_api::task::{Task, TaskState};
use swarm_reconcile::commit::commands_of;
use swarm_reconcile::{reconcile, Action, ClusterView, Plan};
use swarm_scheduler::{schedule, Availability, NodeInfo, NodeStatus, NodeTask, Outcome, Snapshot};
use swarm_store::state::ClusterState;

pub const GIB: i64 = 1 << 30;

pub fn node(id: &str) -> NodeInfo {
    NodeInfo::new(
        id,
        Resources {
            nano_cpus: 4_000_000_000,
            memory_bytes: 8 * GIB,
        },
    )
}

pub fn spec(name: &str, image: &str, mode: ServiceMode) -> ServiceSpec {
    ServiceSpec {
        name: name.into(),
        mode,
        task: TaskSpec {
            container: ContainerSpec {
                image: image.into(),
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn replicated(image: &str, replicas: u64) -> ServiceSpec {
    spec("web", image, ServiceMode::Replicated { replicas })
}

pub fn update_config(parallelism: u64, delay_ms: u64, monitor_ms: u64) -> UpdateConfig {
    UpdateConfig {
        parallelism,
        delay_ms,
        monitor_ms,
        ..Default::default()
    }
}

/// The stored state (the service with its update status, the tasks) plus the nodes and a clock.
#[derive(Debug, Clone)]
pub struct Sim {
    pub service: Service,
    pub tasks: Vec<Task>,
    pub nodes: Vec<NodeInfo>,
    pub now: u64,
    pub next_id: u64,
    /// Images whose containers exit with status 1 as soon as they start.
    pub failing_images: BTreeSet<String>,
    /// Every action applied, in order.
    pub log: Vec<Action>,
    /// How long an agent takes to stop a task after its desired state became SHUTDOWN (a
    /// container whose PID 1 ignores SIGTERM takes the whole grace period).
    pub stop_ms: u64,
}

impl Sim {
    pub fn new(spec: ServiceSpec, nodes: &[&str]) -> Self {
        Sim {
            service: Service {
                id: "svc1".into(),
                version: 1,
                spec,
                previous_spec: None,
                created_at_ms: 1_000,
                updated_at_ms: 1_000,
                update_status: None,
            },
            tasks: Vec::new(),
            nodes: nodes.iter().map(|n| node(n)).collect(),
            now: 1_000,
            next_id: 1,
            failing_images: BTreeSet::new(),
            log: Vec::new(),
            stop_ms: 0,
        }
    }

    pub fn plan(&self) -> Plan {
        reconcile(&ClusterView {
            service: &self.service,
            tasks: &self.tasks,
            nodes: &self.nodes,
            now_ms: self.now,
        })
        .unwrap()
    }

    pub fn task(&self, id: &str) -> &Task {
        self.tasks.iter().find(|t| t.id == id).unwrap()
    }

    /// Applies `plan` as the managers do: the actions become store commands
    /// ([`swarm_reconcile::commit::commands_of`]) applied by the real `ClusterState::apply`.
    pub fn apply(&mut self, plan: &Plan) {
        for a in &plan.actions {
            if let Action::ShutdownTask { task_id, .. } = a {
                self.assert_forward(task_id, TaskState::Shutdown);
            }
            if let Action::RetireTask { task_id } = a {
                self.assert_forward(task_id, TaskState::Complete);
            }
        }
        self.log.extend(plan.actions.iter().cloned());
        let mut next = self.next_id;
        let commands = commands_of(&self.service, plan.actions.clone(), self.now, &mut || {
            next += 1;
            format!("t{}", next - 1)
        });
        self.next_id = next;
        let mut state = ClusterState::default();
        state
            .services
            .insert(self.service.id.clone(), self.service.clone());
        state.tasks = self
            .tasks
            .iter()
            .map(|t| (t.id.clone(), t.clone()))
            .collect();
        for c in &commands {
            if let Some(e) = state.apply(c).error {
                panic!("{c:?}: {e:?}");
            }
        }
        self.service = state.services.remove(&self.service.id).unwrap();
        // Keep the order tasks were created in (tests index them).
        let mut tasks: Vec<Task> = self
            .tasks
            .iter()
            .filter_map(|t| state.tasks.remove(&t.id))
            .collect();
        for c in &commands {
            if let Command::CreateTasks { tasks: new } = c {
                tasks.extend(new.iter().filter_map(|t| state.tasks.remove(&t.id)));
            }
        }
        self.tasks = tasks;
    }

    fn assert_forward(&self, id: &str, s: TaskState) {
        let t = self.task(id);
        assert!(t.desired_state <= s, "desired state of {id} moved back");
    }

    /// The user updates the spec (what the manager's `service update` does: the old spec becomes
    /// the previous one and the update status is cleared).
    pub fn update_spec(&mut self, f: impl FnOnce(&mut ServiceSpec)) {
        let old = self.service.spec.clone();
        let mut new = old.clone();
        f(&mut new);
        self.service.update_status = None;
        self.service.previous_spec = Some(old);
        self.service.spec = new;
        self.service.version += 1;
    }

    /// The scheduler places new tasks (the real `swarm_scheduler::schedule`).
    pub fn schedule(&mut self) {
        let mut snap = Snapshot {
            nodes: self.nodes.clone(),
        };
        for n in &mut snap.nodes {
            n.tasks = self
                .tasks
                .iter()
                .filter(|t| {
                    t.node_id.as_deref() == Some(n.id.as_str()) && !t.status.state.is_terminal()
                })
                .map(NodeTask::from_task)
                .collect();
        }
        let pending: Vec<Task> = self
            .tasks
            .iter()
            .filter(|t| {
                t.desired_state == TaskState::Running && t.status.state <= TaskState::Pending
            })
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        for d in schedule(&snap, &pending) {
            let now = self.now;
            let t = self.tasks.iter_mut().find(|t| t.id == d.task_id).unwrap();
            match d.outcome {
                Outcome::Assigned { node_id } => {
                    t.node_id = Some(node_id);
                    t.status.state = TaskState::Assigned;
                    t.status.message = "scheduler assigned task to node".into();
                    t.status.timestamp_ms = now;
                }
                Outcome::Pending { reason } => {
                    if t.status.state != TaskState::Pending || t.status.message != reason {
                        t.status.state = TaskState::Pending;
                        t.status.message = reason;
                        t.status.timestamp_ms = now;
                    }
                }
            }
        }
    }

    /// The agents of ready nodes start assigned tasks and stop shut-down ones.
    pub fn agents(&mut self) {
        let ready: BTreeSet<String> = self
            .nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Ready)
            .map(|n| n.id.clone())
            .collect();
        let now = self.now;
        for t in &mut self.tasks {
            let Some(n) = &t.node_id else { continue };
            if !ready.contains(n) || t.status.state.is_terminal() {
                continue;
            }
            let next = if t.desired_state >= TaskState::Shutdown {
                let stopped = t.status.state < TaskState::Running
                    || now >= t.updated_at_ms.saturating_add(self.stop_ms);
                stopped.then_some(TaskState::Shutdown)
            } else if t.desired_state == TaskState::Running
                && t.status.state >= TaskState::Assigned
                && t.status.state < TaskState::Running
            {
                Some(TaskState::Running)
            } else if t.status.state == TaskState::Running
                && self.failing_images.contains(&t.spec.container.image)
            {
                Some(TaskState::Failed)
            } else {
                None
            };
            if let Some(s) = next {
                t.status.state = s;
                t.status.timestamp_ms = now;
                if s == TaskState::Failed {
                    t.status.exit_code = Some(1);
                    t.status.err = Some("task: non-zero exit (1)".into());
                }
            }
        }
    }

    /// reconcile + apply + schedule + agents, then advance the clock by `tick_ms`.
    /// Returns the plan that was applied.
    pub fn step(&mut self, tick_ms: u64) -> Plan {
        let plan = self.plan();
        self.apply(&plan);
        self.schedule();
        self.agents();
        self.now += tick_ms;
        plan
    }

    /// Steps until a plan is empty and nothing moves (or `max` steps); returns the steps taken.
    pub fn converge(&mut self, tick_ms: u64, max: usize) -> usize {
        for i in 0..max {
            let before = self.tasks.clone();
            let plan = self.step(tick_ms);
            if plan.is_empty() && plan.wake_at_ms.is_none() && before == self.tasks {
                return i;
            }
        }
        panic!(
            "no convergence after {max} steps: {:#?}",
            self.service.update_status
        );
    }

    pub fn node_mut(&mut self, id: &str) -> &mut NodeInfo {
        self.nodes.iter_mut().find(|n| n.id == id).unwrap()
    }

    pub fn drain(&mut self, id: &str) {
        self.node_mut(id).availability = Availability::Drain;
    }

    /// Live tasks meant to run, that is: desired RUNNING.
    pub fn active(&self) -> impl Iterator<Item = &Task> {
        self.tasks
            .iter()
            .filter(|t| t.desired_state == TaskState::Running)
    }

    /// Running tasks (desired and observed RUNNING) per node.
    pub fn running_per_node(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for t in self
            .active()
            .filter(|t| t.status.state == TaskState::Running)
        {
            *m.entry(t.node_id.clone().unwrap()).or_insert(0) += 1;
        }
        m
    }

    /// Running tasks whose image is `image`.
    pub fn running_with_image(&self, image: &str) -> usize {
        self.active()
            .filter(|t| t.status.state == TaskState::Running && t.spec.container.image == image)
            .count()
    }

    /// Containers that run, whatever their task's desired state (a task told to stop runs
    /// until its agent observed it stopped).
    pub fn containers_running(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status.state == TaskState::Running)
            .count()
    }

    /// Running tasks of the service.
    pub fn running(&self) -> usize {
        self.active()
            .filter(|t| t.status.state == TaskState::Running)
            .count()
    }
}

pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}
