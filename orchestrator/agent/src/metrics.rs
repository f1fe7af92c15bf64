//! The agent's metric families: containers by state, image pulls, executor errors, and the
//! routing mesh's connections and bytes.
//!
//! Process-wide atomics (see `swarm_metrics`), registered by [`register`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;

use swarm_api::task::TaskState;
use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::Registry;

/// Every task state, in order (the index of [`AgentMetrics::containers`]).
const STATES: [TaskState; 11] = [
    TaskState::New,
    TaskState::Pending,
    TaskState::Assigned,
    TaskState::Accepted,
    TaskState::Preparing,
    TaskState::Starting,
    TaskState::Running,
    TaskState::Complete,
    TaskState::Shutdown,
    TaskState::Failed,
    TaskState::Rejected,
];

/// The agent's families.
#[derive(Debug)]
pub struct AgentMetrics {
    /// Tasks this agent drives, by their current non-terminal state.
    containers: [AtomicI64; 11],
    /// Image pulls started (after the pull cache).
    pub image_pulls: Counter,
    /// Image pulls that failed.
    pub image_pull_failures: Counter,
    /// Tasks that ended with an executor error (rejected, failed, stop failures).
    pub executor_errors: Counter,
    /// Connections the routing mesh forwarded to a task.
    pub mesh_connections: Counter,
    /// Bytes the routing mesh forwarded (both directions).
    pub mesh_bytes: Counter,
}

/// This process's agent metrics.
pub static METRICS: LazyLock<AgentMetrics> = LazyLock::new(|| AgentMetrics {
    containers: Default::default(),
    image_pulls: Counter::default(),
    image_pull_failures: Counter::default(),
    executor_errors: Counter::default(),
    mesh_connections: Counter::default(),
    mesh_bytes: Counter::default(),
});

fn index(s: TaskState) -> usize {
    STATES.iter().position(|x| *x == s).unwrap_or(0)
}

/// A task this agent drives moved from `from` to `to` (terminal states are not counted: the
/// container is done).
pub(crate) fn task_moved(from: TaskState, to: TaskState, error: bool) {
    if !swarm_metrics::enabled() || from == to {
        return;
    }
    let c = &METRICS.containers;
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
    let m = &*METRICS;
    reg.register(
        "swarmd_agent_image_pulls",
        "Image pulls this agent started",
        m.image_pulls.clone(),
    );
    reg.register(
        "swarmd_agent_image_pull_failures",
        "Image pulls of this agent that failed",
        m.image_pull_failures.clone(),
    );
    reg.register(
        "swarmd_agent_executor_errors",
        "Tasks of this agent that ended with an executor error",
        m.executor_errors.clone(),
    );
    reg.register(
        "swarmd_mesh_connections",
        "Connections the routing mesh of this node forwarded",
        m.mesh_connections.clone(),
    );
    reg.register_with_unit(
        "swarmd_mesh",
        "Bytes the routing mesh of this node forwarded, both directions",
        swarm_metrics::Unit::Bytes,
        m.mesh_bytes.clone(),
    );
    reg.register_collector(swarm_metrics::FnCollector::new(|enc| {
        let lower: Vec<(String, i64)> = STATES
            .iter()
            .filter(|s| **s >= TaskState::Accepted && !s.is_terminal())
            .map(|s| {
                let v = METRICS.containers[index(*s)].load(Ordering::Relaxed);
                (s.as_str().to_ascii_lowercase(), v)
            })
            .collect();
        swarm_metrics::gauge_family(
            enc,
            "swarmd_agent_containers",
            "Tasks this agent drives, by state (terminal ones not counted)",
            "state",
            lower.iter().map(|(s, v)| (s.as_str(), *v)),
        )
    }));
}
