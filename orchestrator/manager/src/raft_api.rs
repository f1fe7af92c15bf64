//! Raft endpoints (`/raft/...`): RPCs between managers, and leader-only operations forwarded by
//! followers (writes, membership changes, heartbeats).

use std::time::Instant;

use axum::Json;
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use swarm_api::command::{Command, CommandResponse};
use swarm_api::control::HeartbeatRequest;
use swarm_store::TypeConfig;

use crate::error::ManagerError;
use crate::extract::{Answer, RaftPeer};
use crate::node::MembershipOp;

pub(crate) async fn append(
    RaftPeer(n, _): RaftPeer,
    Json(req): Json<AppendEntriesRequest<TypeConfig>>,
) -> Answer<Result<AppendEntriesResponse<u64>, RaftError<u64>>> {
    Ok(Json(n.raft.append_entries(req).await))
}

pub(crate) async fn vote(
    RaftPeer(n, _): RaftPeer,
    Json(req): Json<VoteRequest<u64>>,
) -> Answer<Result<VoteResponse<u64>, RaftError<u64>>> {
    Ok(Json(n.raft.vote(req).await))
}

type SnapResult = Result<InstallSnapshotResponse<u64>, RaftError<u64, InstallSnapshotError>>;

pub(crate) async fn snapshot(
    RaftPeer(n, _): RaftPeer,
    Json(req): Json<InstallSnapshotRequest<TypeConfig>>,
) -> Answer<SnapResult> {
    Ok(Json(n.raft.install_snapshot(req).await))
}

pub(crate) async fn write(
    RaftPeer(n, _): RaftPeer,
    Json(cmd): Json<Command>,
) -> Answer<CommandResponse> {
    let index = n.write_local_at(cmd).await?;
    Ok(Json(CommandResponse {
        error: None,
        index: Some(index),
    }))
}

/// The leader's read index for a follower's linearizable read (see [`crate::read_index`]).
pub(crate) async fn read_index(
    RaftPeer(n, _): RaftPeer,
    Json(()): Json<()>,
) -> Answer<Option<u64>> {
    Ok(Json(n.read_index_local().await?))
}

pub(crate) async fn membership(
    RaftPeer(n, _): RaftPeer,
    Json(op): Json<MembershipOp>,
) -> Answer<()> {
    n.membership_local(op).await?;
    Ok(Json(()))
}

pub(crate) async fn heartbeat(
    RaftPeer(n, _): RaftPeer,
    Json(req): Json<HeartbeatRequest>,
) -> Answer<()> {
    if n.metrics().current_leader != Some(n.id) {
        return Err(ManagerError::NoQuorum(
            "this manager is not the leader".into(),
        ));
    }
    n.liveness
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .beat(req.node_id, Instant::now());
    Ok(Json(()))
}
