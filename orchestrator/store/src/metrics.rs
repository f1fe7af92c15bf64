//! The store's metric families: Raft log appends and fsyncs, the committed index, snapshots.
//!
//! Recorded into process-wide atomics on the write path (see `swarm_metrics`), registered into
//! the daemon's registry by [`register`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock};

use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::prometheus_client::metrics::gauge::Gauge;
use swarm_metrics::{AtomicHistogram, Registry, LATENCY_BUCKETS, SIZE_BUCKETS};

swarm_metrics::families! {
    /// The store's families.
    pub struct StoreMetrics {
        /// Time to write a batch of log entries (before its fsync).
        append_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_raft_append", "Time to write a batch of Raft log entries, before its fsync",
            Seconds;
        /// Time of one group-commit fsync.
        fsync_seconds: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
            "swarmd_raft_fsync", "Time of one group-commit fsync of the Raft log", Seconds;
        /// Log entries appended.
        appended_entries: Counter,
            "swarmd_raft_appended_entries", "Raft log entries appended on this node";
        /// Entries applied to the state machine.
        applied_entries: Counter,
            "swarmd_raft_applied_entries", "Raft log entries applied to the state machine on this node";
        /// The last committed log index this node stored.
        commit_index: Gauge<i64, AtomicI64>,
            "swarmd_raft_commit_index", "The last committed Raft log index this node stored";
        /// Sizes of snapshots built or installed.
        snapshot_bytes: AtomicHistogram = AtomicHistogram::new(SIZE_BUCKETS),
            "swarmd_raft_snapshot", "Sizes of the state snapshots built or installed", Bytes;
        /// Size of the last snapshot built or installed.
        last_snapshot_bytes: Gauge<i64, AtomicI64>,
            "swarmd_raft_last_snapshot", "Size of the last state snapshot built or installed", Bytes;
    }
}

/// This process's store metrics.
pub static METRICS: LazyLock<Arc<StoreMetrics>> = LazyLock::new(Arc::default);

/// Records a snapshot's size.
pub(crate) fn snapshot_size(bytes: usize) {
    if swarm_metrics::enabled() {
        METRICS.snapshot_bytes.observe(bytes as f64);
        METRICS
            .last_snapshot_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
}

/// Records the committed index.
pub(crate) fn committed(index: Option<u64>) {
    if swarm_metrics::enabled() {
        let v = index.map_or(0, |i| i64::try_from(i).unwrap_or(i64::MAX));
        METRICS.commit_index.inner().fetch_max(v, Ordering::Relaxed);
    }
}

/// Registers the store's families.
pub fn register(reg: &mut Registry) {
    METRICS.register(reg);
}

/// A coarse reason for a pending task's message (bounded label values): `resources`,
/// `constraint`, `port`, `no_node`, `other`, or `unscheduled` (no message yet).
pub fn pending_reason(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.is_empty() {
        "unscheduled"
    } else if m.contains("insufficient") {
        "resources"
    } else if m.contains("constraint") {
        "constraint"
    } else if m.contains("port") {
        "port"
    } else if m.contains("no suitable node") || m.contains("no node") {
        "no_node"
    } else {
        "other"
    }
}

/// Counts of the state's objects by kind, tasks by state and pending tasks by reason (pure).
pub fn state_counts(state: &crate::state::ClusterState) -> StateCounts {
    use swarm_api::task::TaskState;
    let mut tasks = std::collections::BTreeMap::<&'static str, i64>::new();
    let mut pending = std::collections::BTreeMap::<&'static str, i64>::new();
    for t in state.tasks.values() {
        *tasks.entry(t.status.state.as_str()).or_default() += 1;
        if t.desired_state == TaskState::Running && t.status.state < TaskState::Assigned {
            *pending
                .entry(pending_reason(&t.status.message))
                .or_default() += 1;
        }
    }
    let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
    StateCounts {
        objects: vec![
            ("node", n(state.nodes.len())),
            ("service", n(state.services.len())),
            ("task", n(state.tasks.len())),
            ("network", n(state.networks.len())),
            ("secret", n(state.secrets.len())),
            ("config", n(state.configs.len())),
        ],
        tasks: tasks.into_iter().collect(),
        pending: pending.into_iter().collect(),
    }
}

/// What [`state_counts`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Objects by kind.
    pub objects: Vec<(&'static str, i64)>,
    /// Tasks by observed state (lower case, as `docker service ps` shows them).
    pub tasks: Vec<(&'static str, i64)>,
    /// Tasks waiting for a node, by [`pending_reason`].
    pub pending: Vec<(&'static str, i64)>,
}

/// Registers the scrape-time families computed from the applied state.
pub fn register_state(reg: &mut Registry, state: crate::SharedState) {
    reg.register_collector(swarm_metrics::FnCollector::new(move |enc| {
        let counts = match state.read() {
            Ok(a) => state_counts(&a.state),
            Err(_) => StateCounts::default(),
        };
        swarm_metrics::gauge_family(
            enc,
            "swarmd_store_objects",
            "Objects in the replicated store, by kind",
            "kind",
            counts.objects.iter().copied(),
        )?;
        swarm_metrics::task_state_family(
            enc,
            "swarmd_tasks",
            "Tasks in the store, by observed state",
            counts.tasks.iter().copied(),
        )?;
        swarm_metrics::gauge_family(
            enc,
            "swarmd_tasks_pending",
            "Tasks waiting for a node, by reason",
            "reason",
            counts.pending.iter().copied(),
        )
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_reasons_are_a_small_fixed_set() {
        assert_eq!(pending_reason(""), "unscheduled");
        assert_eq!(
            pending_reason("no suitable node (insufficient memory on 3 nodes)"),
            "resources"
        );
        assert_eq!(
            pending_reason("no suitable node (2 nodes not matching constraint node.role==manager)"),
            "constraint"
        );
        assert_eq!(
            pending_reason("no suitable node (host port 80/tcp in use on 1 node)"),
            "port"
        );
        assert_eq!(pending_reason("no suitable node (none ready)"), "no_node");
        assert_eq!(pending_reason("something else"), "other");
    }
}
