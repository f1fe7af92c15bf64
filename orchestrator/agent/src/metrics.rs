//! The agent's metric families: containers by state, image pulls, executor errors, and the
//! routing mesh's connections and bytes.
//!
//! Process-wide atomics (see `swarm_metrics`), registered by [`register`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;

use swarm_api::task::TaskState;
use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::Registry;

/// Tasks this agent drives, by their current non-terminal state (indexed as
/// [`TaskState::ALL`]).
static CONTAINERS: [AtomicI64; 11] = [const { AtomicI64::new(0) }; 11];

swarm_metrics::families! {
    /// The agent's families.
    pub struct AgentMetrics {
        /// Image pulls started (after the pull cache).
        image_pulls: Counter, "swarmd_agent_image_pulls", "Image pulls this agent started";
        /// Image pulls that failed.
        image_pull_failures: Counter,
            "swarmd_agent_image_pull_failures", "Image pulls of this agent that failed";
        /// Tasks that ended with an executor error (rejected, failed, stop failures).
        executor_errors: Counter,
            "swarmd_agent_executor_errors", "Tasks of this agent that ended with an executor error";
        /// Connections the routing mesh forwarded to a task.
        mesh_connections: Counter,
            "swarmd_mesh_connections", "Connections the routing mesh of this node forwarded";
        /// Bytes the routing mesh forwarded (both directions).
        mesh_bytes: Counter,
            "swarmd_mesh", "Bytes the routing mesh of this node forwarded, both directions", Bytes;
    }
}

/// This process's agent metrics.
pub static METRICS: LazyLock<AgentMetrics> = LazyLock::new(AgentMetrics::default);

fn index(s: TaskState) -> usize {
    TaskState::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// A task this agent drives moved from `from` to `to` (terminal states are not counted: the
/// container is done).
pub(crate) fn task_moved(from: TaskState, to: TaskState, error: bool) {
    if !swarm_metrics::enabled() || from == to {
        return;
    }
    let c = &CONTAINERS;
    if from >= TaskState::Accepted && !from.is_terminal() {
        c[index(from)].fetch_sub(1, Ordering::Relaxed);
    }
    if to >= TaskState::Accepted && !to.is_terminal() {
        c[index(to)].fetch_add(1, Ordering::Relaxed);
    }
    if error {
        METRICS.executor_errors.inc();
    }
}

/// Registers the agent's families.
pub fn register(reg: &mut Registry) {
    METRICS.register(reg);
    reg.register_collector(swarm_metrics::FnCollector::new(|enc| {
        let live = TaskState::ALL
            .iter()
            .filter(|s| **s >= TaskState::Accepted && !s.is_terminal())
            .map(|s| (s.as_str(), CONTAINERS[index(*s)].load(Ordering::Relaxed)));
        swarm_metrics::task_state_family(
            enc,
            "swarmd_agent_containers",
            "Tasks this agent drives, by state (terminal ones not counted)",
            live,
        )
    }));
}
