//! The filter pipeline: ready → availability → resources → constraints → host ports → max
//! replicas. Each filter either passes a node or says why not (`Rejection`), and rejections
//! are counted per reason to explain a pending task.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use swarm_api::constraint::{Constraint, ConstraintKey};
use swarm_api::publish::Protocol;
use swarm_api::resources::Resources;

use crate::node::{Availability, NodeInfo, NodeStatus};
use crate::state::NodeState;

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
        ConstraintKey::NodeLabel(l) => node.labels.get(l).map(String::as_str),
        ConstraintKey::EngineLabel(l) => node.engine_labels.get(l).map(String::as_str),
    }
}

/// Filters that never change while scheduling: ready and availability.
pub fn check_node(node: &NodeInfo) -> Result<(), Rejection> {
    if node.status != NodeStatus::Ready {
        return Err(Rejection::NotReady);
    }
    match node.availability {
        Availability::Active => Ok(()),
        Availability::Pause => Err(Rejection::Paused),
        Availability::Drain => Err(Rejection::Drained),
    }
}

/// The resource filter: the reservation fits in what is not yet reserved.
pub fn check_resources(
    node: &NodeInfo,
    st: &NodeState,
    needs: &TaskNeeds,
) -> Result<(), Rejection> {
    let r = needs.reservations;
    if r.memory_bytes > 0 && node.total.memory_bytes - st.used.memory_bytes < r.memory_bytes {
        return Err(Rejection::InsufficientMemory);
    }
    if r.nano_cpus > 0 && node.total.nano_cpus - st.used.nano_cpus < r.nano_cpus {
        return Err(Rejection::InsufficientCpu);
    }
    Ok(())
}

/// The constraint filter.
pub fn check_constraints(node: &NodeInfo, needs: &TaskNeeds) -> Result<(), Rejection> {
    for c in needs.constraints {
        if !c.matches(attribute(node, &c.key)) {
            return Err(Rejection::Constraint(c.to_string()));
        }
    }
    Ok(())
}

/// The host-port filter: none of the task's host-mode ports is bound on the node.
pub fn check_host_ports(st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    for &(p, proto) in needs.host_ports {
        if st.ports.contains(&(p, proto)) {
            return Err(Rejection::HostPortInUse(p, proto));
        }
    }
    Ok(())
}

/// The max-replicas filter.
pub fn check_max_replicas(st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    let m = needs.max_replicas_per_node;
    if m > 0 && u64::from(st.service_count(needs.service)) >= m {
        return Err(Rejection::MaxReplicas(m));
    }
    Ok(())
}

/// The filters whose outcome changes as tasks are placed (resources, ports, max replicas).
pub fn check_dynamic(node: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    check_resources(node, st, needs)?;
    check_host_ports(st, needs)?;
    check_max_replicas(st, needs)
}

/// The whole pipeline in order.
pub fn check_all(node: &NodeInfo, st: &NodeState, needs: &TaskNeeds) -> Result<(), Rejection> {
    check_node(node)?;
    check_resources(node, st, needs)?;
    check_constraints(node, needs)?;
    check_host_ports(st, needs)?;
    check_max_replicas(st, needs)
}
