//! The store's metric families: Raft log appends and fsyncs, the committed index, snapshots.
//!
//! Recorded into process-wide atomics on the write path (see `swarm_metrics`), registered into
//! the daemon's registry by [`register`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock};

use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::prometheus_client::metrics::gauge::Gauge;
use swarm_metrics::{AtomicHistogram, Registry, Unit, LATENCY_BUCKETS, SIZE_BUCKETS};

/// The store's families.
#[derive(Debug)]
pub struct StoreMetrics {
    /// Time to write a batch of log entries (before its fsync).
    pub append_seconds: AtomicHistogram,
    /// Time of one group-commit fsync.
    pub fsync_seconds: AtomicHistogram,
    /// Log entries appended.
    pub appended_entries: Counter,
    /// Entries applied to the state machine.
    pub applied_entries: Counter,
    /// The last committed log index this node stored.
    pub commit_index: Gauge<i64, AtomicI64>,
    /// Sizes of snapshots built or installed.
    pub snapshot_bytes: AtomicHistogram,
    /// Size of the last snapshot built or installed.
    pub last_snapshot_bytes: Gauge<i64, AtomicI64>,
}

/// This process's store metrics.
pub static METRICS: LazyLock<Arc<StoreMetrics>> = LazyLock::new(|| {
    Arc::new(StoreMetrics {
        append_seconds: AtomicHistogram::new(LATENCY_BUCKETS),
        fsync_seconds: AtomicHistogram::new(LATENCY_BUCKETS),
        appended_entries: Counter::default(),
        applied_entries: Counter::default(),
        commit_index: Gauge::default(),
        snapshot_bytes: AtomicHistogram::new(SIZE_BUCKETS),
        last_snapshot_bytes: Gauge::default(),
    })
});

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
    let m = &*METRICS;
    reg.register_with_unit(
        "swarmd_raft_append",
        "Time to write a batch of Raft log entries, before its fsync",
        Unit::Seconds,
        m.append_seconds.clone(),
    );
    reg.register_with_unit(
        "swarmd_raft_fsync",
        "Time of one group-commit fsync of the Raft log",
        Unit::Seconds,
        m.fsync_seconds.clone(),
    );
    reg.register(
        "swarmd_raft_appended_entries",
        "Raft log entries appended on this node",
        m.appended_entries.clone(),
    );
    reg.register(
        "swarmd_raft_applied_entries",
        "Raft log entries applied to the state machine on this node",
        m.applied_entries.clone(),
    );
    reg.register(
        "swarmd_raft_commit_index",
        "The last committed Raft log index this node stored",
        m.commit_index.clone(),
    );
    reg.register_with_unit(
        "swarmd_raft_snapshot",
        "Sizes of the state snapshots built or installed",
        Unit::Bytes,
        m.snapshot_bytes.clone(),
    );
    reg.register_with_unit(
        "swarmd_raft_last_snapshot",
        "Size of the last state snapshot built or installed",
        Unit::Bytes,
        m.last_snapshot_bytes.clone(),
    );
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
        let lower: Vec<(String, i64)> = counts
            .tasks
            .iter()
            .map(|(s, v)| (s.to_ascii_lowercase(), *v))
            .collect();
        swarm_metrics::gauge_family(
            enc,
            "swarmd_tasks",
            "Tasks in the store, by observed state",
            "state",
            lower.iter().map(|(s, v)| (s.as_str(), *v)),
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
