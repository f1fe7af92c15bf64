//! Raft endpoints (`/raft/...`): RPCs between managers, and leader-only operations forwarded by
//! followers (writes, membership changes, heartbeats).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use swarm_api::command::{Command, CommandResponse};
use swarm_api::control::HeartbeatRequest;
use swarm_api::routes;
use swarm_store::TypeConfig;

use crate::auth::raft_peer;
use crate::error::ManagerError;
use crate::node::{MembershipOp, Node};
use crate::server::Peer;

type S = State<Arc<Node>>;
type E = Extension<Peer>;

/// The Raft routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(routes::RAFT_APPEND.pattern, post(append))
        .route(routes::RAFT_VOTE.pattern, post(vote))
        .route(routes::RAFT_SNAPSHOT.pattern, post(snapshot))
        .route(routes::RAFT_WRITE.pattern, post(write))
        .route(routes::RAFT_READ_INDEX.pattern, post(read_index))
        .route(routes::RAFT_MEMBERSHIP.pattern, post(membership))
        .route(routes::RAFT_HEARTBEAT.pattern, post(heartbeat))
}

async fn append(
    State(n): S,
    Extension(p): E,
    Json(req): Json<AppendEntriesRequest<TypeConfig>>,
) -> Result<Json<Result<AppendEntriesResponse<u64>, RaftError<u64>>>, ManagerError> {
    raft_peer(&n, p)?;
    Ok(Json(n.raft.append_entries(req).await))
}

async fn vote(
    State(n): S,
    Extension(p): E,
    Json(req): Json<VoteRequest<u64>>,
) -> Result<Json<Result<VoteResponse<u64>, RaftError<u64>>>, ManagerError> {
    raft_peer(&n, p)?;
    Ok(Json(n.raft.vote(req).await))
}

type SnapResult = Result<InstallSnapshotResponse<u64>, RaftError<u64, InstallSnapshotError>>;

async fn snapshot(
    State(n): S,
    Extension(p): E,
    Json(req): Json<InstallSnapshotRequest<TypeConfig>>,
) -> Result<Json<SnapResult>, ManagerError> {
    raft_peer(&n, p)?;
    Ok(Json(n.raft.install_snapshot(req).await))
}

async fn write(
    State(n): S,
    Extension(p): E,
    Json(cmd): Json<Command>,
) -> Result<Json<CommandResponse>, ManagerError> {
    raft_peer(&n, p)?;
    let index = n.write_local_at(cmd).await?;
    Ok(Json(CommandResponse {
        error: None,
        index: Some(index),
    }))
}

/// The leader's read index for a follower's linearizable read (see [`crate::read_index`]).
async fn read_index(
    State(n): S,
    Extension(p): E,
    Json(()): Json<()>,
) -> Result<Json<Option<u64>>, ManagerError> {
    raft_peer(&n, p)?;
    Ok(Json(n.read_index_local().await?))
}

async fn membership(
    State(n): S,
    Extension(p): E,
    Json(op): Json<MembershipOp>,
) -> Result<Json<()>, ManagerError> {
    raft_peer(&n, p)?;
    n.membership_local(op).await?;
    Ok(Json(()))
}

async fn heartbeat(
    State(n): S,
    Extension(p): E,
    Json(req): Json<HeartbeatRequest>,
) -> Result<Json<()>, ManagerError> {
    raft_peer(&n, p)?;
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
