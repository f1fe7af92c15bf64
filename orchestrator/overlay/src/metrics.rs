//! The overlay's metric families: service-discovery DNS queries, answered from the cluster's
//! records or forwarded (process-wide atomics, see `swarm_metrics`), registered by [`register`].

use std::sync::LazyLock;

use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::Registry;

/// The overlay's families.
#[derive(Debug, Default)]
pub struct OverlayMetrics {
    /// Queries answered from the cluster's names (services, tasks).
    pub dns_answered: Counter,
    /// Queries forwarded to the task's or the host's servers.
    pub dns_forwarded: Counter,
}

/// This process's overlay metrics.
pub static METRICS: LazyLock<OverlayMetrics> = LazyLock::new(OverlayMetrics::default);

/// Registers the overlay's families.
pub fn register(reg: &mut Registry) {
    reg.register(
        "swarmd_dns_answered_queries",
        "DNS queries of tasks answered from the cluster's names on this node",
        METRICS.dns_answered.clone(),
    );
    reg.register(
        "swarmd_dns_forwarded_queries",
        "DNS queries of tasks forwarded to other servers from this node",
        METRICS.dns_forwarded.clone(),
    );
}
