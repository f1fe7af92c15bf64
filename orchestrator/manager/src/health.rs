//! The load balancer's health check: plain HTTP `GET /` answering 200 while this node is in the
//! cluster and Ready, 503 otherwise (like Docker for AWS's port 44554 check).
//!
//! "In the cluster and Ready" is judged locally: the node's last heartbeat was acknowledged by the
//! managers within the Down threshold (so the leader counts it Ready and it is still a member),
//! and, on a manager (which holds the state), the state lists it as Ready. Workers hold no state,
//! so for them the acknowledgement alone decides. It carries no data and needs no certificate (the
//! ELB cannot present one).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use swarm_api::node::{NodeId, NodeStatus};
use swarm_store::state::ClusterState;
use tokio::net::TcpListener;

use crate::node::Node;
pub use crate::settings::{HealthListen, HEALTH_PORT};

/// When the managers last acknowledged this node's heartbeat (shared with the heartbeat loop).
#[derive(Debug, Clone, Default)]
pub struct HeartbeatAcks(Arc<Mutex<Option<Instant>>>);

impl HeartbeatAcks {
    /// Records an acknowledged heartbeat now.
    pub fn record(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// Time since the last acknowledged heartbeat (`None`: never).
    pub fn age(&self) -> Option<Duration> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.elapsed())
    }
}

/// Whether node `id` is healthy (pure): its last heartbeat was acknowledged within `down_after`,
/// and, when `state` holds the cluster (a manager), the state lists it as Ready.
pub fn healthy(
    state: &ClusterState,
    id: NodeId,
    ack_age: Option<Duration>,
    down_after: Duration,
) -> bool {
    let acked = ack_age.is_some_and(|age| age <= down_after);
    if state.cluster.is_none() {
        return acked;
    }
    acked
        && state
            .nodes
            .get(&id)
            .is_some_and(|n| n.status == NodeStatus::Ready)
}

async fn check(State((n, acks)): State<(Arc<Node>, HeartbeatAcks)>) -> (StatusCode, &'static str) {
    if healthy(&n.snapshot(), n.id, acks.age(), n.settings.down_after) {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// Serves the health check on `listener` until the node stops.
pub async fn serve_health(listener: TcpListener, node: Arc<Node>, acks: HeartbeatAcks) {
    let stopped = node.stopped();
    let app = Router::new()
        .route("/", get(check))
        .with_state((node, acks));
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Node as NodeRecord, Role};

    fn record(status: NodeStatus) -> NodeRecord {
        NodeRecord {
            id: 7,
            hostname: "n".into(),
            addr: "10.0.0.7:2377".into(),
            role: Role::Manager,
            availability: Default::default(),
            status,
            labels: Default::default(),
            description: Default::default(),
        }
    }

    #[test]
    fn acknowledged_and_ready_members_are_healthy() {
        let down_after = Duration::from_secs(5);
        let fresh = Some(Duration::from_secs(1));
        let stale = Some(Duration::from_secs(6));
        // A worker holds no state: the acknowledgement decides.
        let worker = ClusterState::default();
        assert!(healthy(&worker, 7, fresh, down_after));
        assert!(!healthy(&worker, 7, stale, down_after));
        assert!(!healthy(&worker, 7, None, down_after));
        // A manager: the state must list it as Ready too.
        let mut manager = ClusterState {
            cluster: Some(swarm_testkit::cluster_info()),
            ..Default::default()
        };
        assert!(!healthy(&manager, 7, fresh, down_after), "not in the state");
        manager.nodes.insert(7, record(NodeStatus::Ready));
        assert!(healthy(&manager, 7, fresh, down_after));
        assert!(!healthy(&manager, 7, stale, down_after));
        manager.nodes.insert(7, record(NodeStatus::Down));
        assert!(!healthy(&manager, 7, fresh, down_after));
    }
}
