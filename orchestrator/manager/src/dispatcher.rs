//! The dispatcher: the managers' side of the agent protocol (`swarm_api::dispatch`), and the
//! per-node agent routes the managers call (task logs).
//!
//! `POST /v1/dispatcher/sync`: a node (authenticated by its certificate, still in the state)
//! reports its description and task status changes; the manager records the sync as the node's
//! heartbeat ([`crate::heartbeats::beat`]), commits the reports through Raft
//! (forwarded to the leader) and answers from its applied state with every task assigned to
//! the node, the routing-mesh table and the managers to fail over to.

use axum::extract::{Path, Query};
use axum::Json;
use swarm_api::command::Command;
use swarm_api::dispatch::{SyncRequest, SyncResponse};
use swarm_api::node::format_node_id;
use swarm_api::service_api::{LogsQuery, TaskLogLine};

pub use crate::agent_handle::{AgentHandle, BoxFut};
use crate::auth::manager_peer;
use crate::auth::member_peer;
use crate::error::ManagerError;
use crate::extract::{Answer, Call};
use crate::mesh_table::mesh_table;
use crate::node::Node;

pub(crate) async fn sync(Call(n, p): Call, Json(req): Json<SyncRequest>) -> Answer<SyncResponse> {
    n.require_manager()?;
    let t = swarm_metrics::start();
    let (id, _) = member_peer(&n, p)?;
    if id != req.node_id {
        return Err(ManagerError::Forbidden(
            "sync node id does not match the certificate".into(),
        ));
    }
    // The sync is the node's heartbeat.
    crate::heartbeats::beat(&n, id).await?;
    if let Some(description) = req.description {
        let stored = n
            .state
            .read()
            .ok()
            .and_then(|a| a.state.nodes.get(&id).map(|x| x.description.clone()));
        if stored.as_ref() != Some(&description) {
            n.write(Command::SetNodeDescription { id, description })
                .await?;
        }
    }
    if !req.reports.is_empty() {
        n.write(Command::ReportTaskStatus {
            node_id: id,
            reports: req.reports,
        })
        .await?;
    }
    let key = format_node_id(id);
    let applied = n
        .state
        .read()
        .map_err(|_| ManagerError::Raft("state lock poisoned".into()))?;
    let state = &applied.state;
    let tasks: Vec<_> = state
        .tasks
        .values()
        .filter(|t| t.node_id.as_deref() == Some(key.as_str()))
        .cloned()
        .collect();
    let (secrets, configs) =
        crate::file_delivery::payloads(state, &tasks, n.keys.key().ok().as_ref());
    crate::metrics::METRICS
        .dispatcher_sync_seconds
        .observe_since(t);
    Ok(Json(SyncResponse {
        tasks,
        mesh: mesh_table(state),
        period_ms: n.settings.heartbeat_interval().as_millis() as u64,
        managers: state.managers().map(|m| m.addr.clone()).collect(),
        overlay: crate::network_view::overlay_view(state, &key),
        secrets,
        configs,
    }))
}

/// Logs of a task whose container runs on this node, from the local agent.
pub async fn local_logs(
    n: &Node,
    task_id: &str,
    tail: Option<usize>,
) -> Result<Vec<TaskLogLine>, ManagerError> {
    let agent = n.agent.get().ok_or_else(|| {
        ManagerError::Conflict("this node runs no task executor (no Docker engine)".into())
    })?;
    let lines = agent
        .logs(task_id, tail)
        .await
        .map_err(ManagerError::NotFound)?;
    let task_name = n
        .state
        .read()
        .ok()
        .and_then(|a| a.state.tasks.get(task_id).map(|t| t.container_name()))
        .unwrap_or_else(|| task_id.to_string());
    Ok(lines
        .into_iter()
        .map(|(stderr, text)| TaskLogLine {
            task_id: task_id.to_string(),
            task_name: task_name.clone(),
            node: String::new(),
            stderr,
            text,
            time: None,
        })
        .collect())
}

pub(crate) async fn agent_logs(
    Call(n, p): Call,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Answer<Vec<TaskLogLine>> {
    manager_peer(p)?;
    local_logs(&n, &id, q.tail).await.map(Json)
}
