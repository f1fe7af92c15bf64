//! The managers' side of heartbeats: a node's sync (or explicit heartbeat) is recorded on the
//! leader ([`beat`], forwarded by a follower), and the leader's [`down_monitor`] commits the
//! Ready/Down transitions [`crate::liveness`] decides from them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use swarm_api::control::HeartbeatRequest;
use swarm_api::node::NodeId;
use swarm_api::routes;

use crate::error::ManagerError;
use crate::node::Node;

/// Records that node `id` was heard from: on the leader directly, on a follower by forwarding
/// the beat to the leader. Fails with "no quorum" when no leader is known.
pub async fn beat(n: &Node, id: NodeId) -> Result<(), ManagerError> {
    let m = n.metrics();
    match m.current_leader {
        Some(l) if l == n.id => {
            n.liveness
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .beat(id, Instant::now());
            Ok(())
        }
        Some(l) => {
            let addr = n
                .leader_addr(&m, l)
                .ok_or_else(|| ManagerError::NoQuorum("leader address unknown".into()))?;
            n.peer(&addr)
                .post::<_, ()>(
                    routes::RAFT_HEARTBEAT.pattern,
                    &HeartbeatRequest { node_id: id },
                )
                .await?;
            Ok(())
        }
        None => Err(ManagerError::NoQuorum("no leader".into())),
    }
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
