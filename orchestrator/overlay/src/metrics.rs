//! The overlay's metric families: service-discovery DNS queries, answered from the cluster's
//! records or forwarded (process-wide atomics, see `swarm_metrics`), registered by [`register`].

use std::sync::LazyLock;

use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::Registry;

swarm_metrics::families! {
    /// The overlay's families.
    pub struct OverlayMetrics {
        /// Queries answered from the cluster's names (services, tasks).
        dns_answered: Counter,
            "swarmd_dns_answered_queries",
            "DNS queries of tasks answered from the cluster's names on this node";
        /// Queries forwarded to the task's or the host's servers.
        dns_forwarded: Counter,
            "swarmd_dns_forwarded_queries",
            "DNS queries of tasks forwarded to other servers from this node";
    }
}

/// This process's overlay metrics.
pub static METRICS: LazyLock<OverlayMetrics> = LazyLock::new(OverlayMetrics::default);

/// Registers the overlay's families.
pub fn register(reg: &mut Registry) {
    METRICS.register(reg);
}
