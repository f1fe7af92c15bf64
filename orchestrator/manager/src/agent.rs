//! What every node does towards the managers: heartbeats (with manager fail-over) and leaving.

use std::sync::Arc;
use std::time::Duration;

use swarm_api::control::{ForceRequest, HeartbeatRequest};
use swarm_api::node::Role;
use swarm_api::routes;

use crate::error::ManagerError;
use crate::health::HeartbeatAcks;
use crate::node::Node;
use crate::state_dir::StateDir;

/// Sends heartbeats until the node stops. Managers send to themselves (forwarded to the
/// leader); workers rotate through the known managers on failure.
/// Every acknowledged heartbeat is recorded in `acks` (for the health check).
pub async fn heartbeat_loop(n: Arc<Node>, dir: StateDir, own_addr: String, acks: HeartbeatAcks) {
    let mut idx = 0usize;
    let mut stopped = Box::pin(n.stopped());
    loop {
        let managers = n.managers.lock().map(|m| m.clone()).unwrap_or_default();
        let target = if n.role() == Some(Role::Manager) {
            Some(own_addr.clone())
        } else if managers.is_empty() {
            None
        } else {
            Some(managers[idx % managers.len()].clone())
        };
        // Held until the heartbeat is answered, so a leave waits for the one in flight.
        let gate = n.heartbeat_gate.lock().await;
        let target = if *gate { None } else { target };
        if let Some(addr) = target {
            let req = HeartbeatRequest { node_id: n.id };
            let t = swarm_metrics::start();
            match n.peer(&addr).send(&routes::HEARTBEAT, &[], &req).await {
                Ok(resp) => {
                    crate::metrics::METRICS.heartbeat_seconds.observe_since(t);
                    acks.record();
                    if !resp.managers.is_empty() && resp.managers != managers {
                        if let Ok(mut m) = n.managers.lock() {
                            m.clone_from(&resp.managers);
                        }
                        if let Ok(mut id) = dir.load_identity() {
                            id.managers = resp.managers;
                            let _ = dir.save_identity(&id);
                        }
                    }
                }
                Err(e) => {
                    if t.is_some() {
                        crate::metrics::METRICS.heartbeat_failures.inc();
                    }
                    tracing::debug!(%addr, error = %e, "heartbeat failed");
                    idx = idx.wrapping_add(1);
                }
            }
        }
        drop(gate);
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(n.settings.heartbeat_interval()) => {}
        }
    }
}

/// A worker asks a manager to remove it from the state.
pub async fn leave_via_manager(n: &Node) -> Result<(), ManagerError> {
    let managers = n.managers.lock().map(|m| m.clone()).unwrap_or_default();
    let mut last = ManagerError::NoQuorum("no manager known to this node".into());
    for addr in managers {
        match n
            .peer(&addr)
            .send(&routes::SELF_LEAVE, &[], &ForceRequest { force: false })
            .await
        {
            Ok(()) => return Ok(()),
            Err(e) => last = e.into(),
        }
    }
    Err(last)
}

/// On the leader: commits Ready/Down transitions judged from heartbeats.
pub async fn down_monitor(n: Arc<Node>) {
    let mut stopped = Box::pin(n.stopped());
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        let m = n.metrics();
        if m.current_leader != Some(n.id) || !n.has_quorum() {
            continue;
        }
        let changes = {
            let state = n.snapshot();
            let mut l = n.liveness.lock().unwrap_or_else(|e| e.into_inner());
            l.changes(
                m.current_term,
                &state.nodes,
                &state.left,
                std::time::Instant::now(),
                n.settings.down_after,
            )
        };
        for (id, status) in changes {
            tracing::info!(node = %swarm_api::node::format_node_id(id), %status, "node status");
            let _ = n
                .write_local(swarm_api::command::Command::SetStatus { id, status })
                .await;
        }
    }
}
