//! The load balancer's health check: plain HTTP `GET /` answering 200 while this node is in the
//! cluster state and Ready, 503 otherwise (like Docker for AWS's port 44554 check).
//!
//! It carries no data and needs no certificate (the ELB cannot present one); it only tells whether
//! the node should receive traffic.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use swarm_api::node::{NodeId, NodeStatus};
use swarm_store::state::ClusterState;
use tokio::net::TcpListener;

use crate::node::Node;

/// Port of the health check (Docker for AWS's).
pub const HEALTH_PORT: u16 = 44554;

/// Where the health check listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthListen {
    /// No health endpoint.
    #[default]
    Off,
    /// The node's advertise IP, port [`HEALTH_PORT`]; a port already taken is logged, not fatal
    /// (several nodes may share a machine in tests).
    AdvertiseIp,
    /// This address; failing to bind it stops the daemon.
    At(SocketAddr),
}

/// Whether node `id` is in `state` and Ready (pure).
pub fn healthy(state: &ClusterState, id: NodeId) -> bool {
    state
        .nodes
        .get(&id)
        .is_some_and(|n| n.status == NodeStatus::Ready)
}

async fn check(State(n): State<Arc<Node>>) -> (StatusCode, &'static str) {
    if healthy(&n.snapshot(), n.id) {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// Serves the health check on `listener` until the node stops.
pub async fn serve_health(listener: TcpListener, node: Arc<Node>) {
    let app = Router::new().route("/", get(check)).with_state(node.clone());
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(node.stopped())
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Node as NodeRecord, Role};

    #[test]
    fn ready_members_are_healthy() {
        let mut state = ClusterState::default();
        assert!(!healthy(&state, 7), "not in the state");
        let mut rec = NodeRecord {
            id: 7,
            hostname: "n".into(),
            addr: "10.0.0.7:2377".into(),
            role: Role::Worker,
            availability: Default::default(),
            status: NodeStatus::Ready,
            labels: Default::default(),
            description: Default::default(),
        };
        state.nodes.insert(7, rec.clone());
        assert!(healthy(&state, 7));
        rec.status = NodeStatus::Down;
        state.nodes.insert(7, rec);
        assert!(!healthy(&state, 7));
    }
}
