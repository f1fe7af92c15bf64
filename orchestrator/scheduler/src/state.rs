//! Mutable per-node bookkeeping while a batch is scheduled: reserved resources, task counts
//! per service, bound host ports. Built once from the snapshot, updated on every placement.

use std::collections::{HashMap, HashSet};

use swarm_api::publish::Protocol;
use swarm_api::resources::Resources;

use crate::node::Snapshot;

/// Interns service ids so that per-node counts are cheap integer maps.
#[derive(Debug, Default)]
pub struct Services<'a> {
    ids: HashMap<&'a str, u32>,
}

impl<'a> Services<'a> {
    /// The number for `id`, allocated on first use.
    pub fn intern(&mut self, id: &'a str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(id).or_insert(next)
    }
}

/// What is in use on one node.
#[derive(Debug, Default, Clone)]
pub struct NodeState {
    /// Sum of reservations.
    pub used: Resources,
    /// All tasks on the node.
    pub total_tasks: u32,
    /// Tasks per interned service.
    pub per_service: HashMap<u32, u32>,
    /// Bound host-mode ports.
    pub ports: HashSet<(u16, Protocol)>,
}

impl NodeState {
    /// Tasks of `service` on this node.
    pub fn service_count(&self, service: u32) -> u32 {
        self.per_service.get(&service).copied().unwrap_or(0)
    }

    /// Records one more task.
    pub fn add(&mut self, service: u32, reservations: Resources, ports: &[(u16, Protocol)]) {
        self.used.nano_cpus += reservations.nano_cpus;
        self.used.memory_bytes += reservations.memory_bytes;
        self.total_tasks += 1;
        *self.per_service.entry(service).or_default() += 1;
        self.ports.extend(ports.iter().copied());
    }
}

/// Builds the state of every node (same order as `snapshot.nodes`).
pub fn build<'a>(snapshot: &'a Snapshot, services: &mut Services<'a>) -> Vec<NodeState> {
    snapshot
        .nodes
        .iter()
        .map(|n| {
            let mut st = NodeState::default();
            for t in &n.tasks {
                let s = services.intern(&t.service_id);
                st.add(s, t.reservations, &t.host_ports);
            }
            st
        })
        .collect()
}
