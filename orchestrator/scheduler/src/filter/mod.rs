//! The filter pipeline: one list, [`FILTERS`], of [`Filter`]s in order (ready and availability
//! → resources → constraints → platform → host ports → max replicas), one file each. Each filter either
//! passes a node or says why not ([`Rejection`]), and rejections are counted per reason to
//! explain a pending task (swarmkit's `Filter` with `SetTask`/`Check`/`Explain`: here the task
//! comes in [`TaskNeeds`], `check` answers with the reason, [`Rejection::describe`] explains).
//!
//! Grouping follows from the list: tasks that every filter sees the same
//! ([`Filter::same_group`]) get the same verdicts, so they are scheduled as one group. Adding a
//! filter is its file plus its entry in [`FILTERS`]; its rejection can be a
//! [`Rejection::Other`] with its own text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use swarm_api::constraint::{Constraint, ConstraintKey};
use swarm_api::publish::Protocol;
use swarm_api::resources::Resources;

use swarm_api::task::Task;

use crate::node::NodeInfo;
use crate::state::NodeState;

mod constraints;
mod host_ports;
mod max_replicas;
mod platform;
mod ready;
mod resources;

/// Why a node cannot take a task; ordered like the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rejection {
    /// The node is down or not heard from.
    NotReady,
    /// The node is paused.
    Paused,
    /// The node is drained.
    Drained,
    /// Not enough unreserved memory.
    InsufficientMemory,
    /// Not enough unreserved CPU.
    InsufficientCpu,
    /// A constraint does not hold (its text).
    Constraint(String),
    /// A host-mode published port is taken.
    HostPortInUse(u16, Protocol),
    /// The service already has max-replicas-per-node tasks there.
    MaxReplicas(u64),
    /// A preassigned node is not in the snapshot.
    UnknownNode(String),
    /// Another filter's reason, e.g. `unsupported platform`: described as "REASON on N nodes".
    Other(String),
}

impl Rejection {
    /// Describes the rejection for `n` nodes, e.g. "insufficient memory on 3 nodes".
    pub fn describe(&self, n: usize) -> String {
        let nodes = if n == 1 {
            "1 node".to_string()
        } else {
            format!("{n} nodes")
        };
        match self {
            Rejection::NotReady => format!("{nodes} not ready"),
            Rejection::Paused => format!("{nodes} paused"),
            Rejection::Drained => format!("{nodes} drained"),
            Rejection::InsufficientMemory => format!("insufficient memory on {nodes}"),
            Rejection::InsufficientCpu => format!("insufficient cpu on {nodes}"),
            Rejection::Constraint(c) => format!("{nodes} not matching constraint {c}"),
            Rejection::HostPortInUse(p, proto) => {
                format!("host port {p}/{proto} in use on {nodes}")
            }
            Rejection::MaxReplicas(m) => format!("max replicas per node ({m}) reached on {nodes}"),
            Rejection::UnknownNode(id) => format!("node {id} not in the cluster"),
            Rejection::Other(reason) => format!("{reason} on {nodes}"),
        }
    }
}

/// Rejection counts, turned into the pending reason.
#[derive(Debug, Clone, Default)]
pub struct Explanation {
    counts: BTreeMap<Rejection, usize>,
}

impl Explanation {
    /// Counts one node rejected for `r`.
    pub fn add(&mut self, r: Rejection) {
        *self.counts.entry(r).or_default() += 1;
    }

    /// "no suitable node (insufficient memory on 3 nodes; 2 nodes not matching constraint ...)".
    pub fn reason(&self) -> String {
        let mut s = String::from("no suitable node (");
        if self.counts.is_empty() {
            s.push_str("no nodes in the cluster");
        }
        for (i, (r, n)) in self.counts.iter().enumerate() {
            if i > 0 {
                s.push_str("; ");
            }
            let _ = write!(s, "{}", r.describe(*n));
        }
        s.push(')');
        s
    }
}

/// What the filters need to know about a task (shared by its whole group).
#[derive(Debug, Clone, Copy)]
pub struct TaskNeeds<'a> {
    /// The task (the group's first), for filters that read more than the fields below.
    pub task: &'a Task,
    /// Interned service id.
    pub service: u32,
    /// Reservations.
    pub reservations: Resources,
    /// Constraints, all of which must hold.
    pub constraints: &'a [Constraint],
    /// Fixed host-mode ports.
    pub host_ports: &'a [(u16, Protocol)],
    /// 0 = unlimited.
    pub max_replicas_per_node: u64,
}

/// The value of `key` on `node` (None: label absent).
pub fn attribute<'n>(node: &'n NodeInfo, key: &ConstraintKey) -> Option<&'n str> {
    match key {
        ConstraintKey::NodeId => Some(&node.id),
        ConstraintKey::NodeHostname => Some(&node.hostname),
        ConstraintKey::NodeRole => Some(node.role.as_str()),
        ConstraintKey::NodePlatformOs => non_empty(&node.platform.os),
        ConstraintKey::NodePlatformArch => non_empty(&node.platform.architecture),
        ConstraintKey::NodeLabel(l) => node.labels.get(l).map(String::as_str),
        ConstraintKey::EngineLabel(l) => node.engine_labels.get(l).map(String::as_str),
    }
}

/// A reported value, None when the node did not report it.
fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// One filter of the pipeline.
pub trait Filter: Sync {
    /// True when the verdict can change while a batch is placed (it reads the node's state):
    /// the node that just took a task is checked again by these filters.
    fn dynamic(&self) -> bool;

    /// True when `a` and `b` look the same to this filter (the task fields it reads are equal).
    fn same_group(&self, a: &Task, b: &Task) -> bool;

    /// Passes `node` (in state `st`) for the task, or says why not.
    fn check(&self, node: &NodeInfo, st: &NodeState, task: &TaskNeeds) -> Result<(), Rejection>;
}

/// The pipeline, in order: a node is rejected for the first filter that fails.
pub static FILTERS: &[&dyn Filter] = &[
    &ready::Ready,
    &resources::Resources,
    &constraints::Constraints,
    &platform::Platforms,
    &host_ports::HostPorts,
    &max_replicas::MaxReplicas,
];

/// Tasks that every filter sees the same (and so get the same verdict on every node).
pub fn same_group(a: &Task, b: &Task) -> bool {
    FILTERS.iter().all(|f| f.same_group(a, b))
}

/// The whole pipeline in order.
pub fn check_all(node: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    FILTERS.iter().try_for_each(|f| f.check(node, st, needs))
}

/// The filters whose outcome changes as tasks are placed (resources, ports, max replicas).
pub fn check_dynamic(node: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    FILTERS
        .iter()
        .filter(|f| f.dynamic())
        .try_for_each(|f| f.check(node, st, needs))
}
