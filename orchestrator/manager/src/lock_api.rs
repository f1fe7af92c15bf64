//! The autolock routes: `swarm update --autolock`, `swarm unlock-key [--rotate]`, and
//! `swarm unlock` (local socket only). See [`crate::keyring`].

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use swarm_api::command::Command;
use swarm_api::routes;
use swarm_api::swarm_lock::{
    SwarmUpdateRequest, UnlockKeyRequest, UnlockKeyResponse, UnlockRequest,
};

use crate::auth::control_peer;
use crate::data_key::Key;
use crate::error::ManagerError;
use crate::node::Node;
use crate::server::Peer;

type S = State<Arc<Node>>;
type E = Extension<Peer>;

/// The autolock routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(routes::SWARM_UPDATE.pattern, post(update))
        .route(routes::SWARM_UNLOCK_KEY.pattern, post(unlock_key))
        .route(routes::SWARM_UNLOCK.pattern, post(unlock))
}

/// Turns autolock on (a new unlock key, answered) or off, through Raft.
pub async fn set_lock(n: &Node, on: bool) -> Result<UnlockKeyResponse, ManagerError> {
    let lock = if on {
        let unlock = Key::random();
        let lock = n.keys.new_lock(&unlock)?;
        n.write(Command::SetAutolock { lock: Some(lock) }).await?;
        Some(unlock.to_unlock_text())
    } else {
        n.write(Command::SetAutolock { lock: None }).await?;
        None
    };
    n.keys.sync_file(n.snapshot().lock.as_ref())?;
    Ok(UnlockKeyResponse { key: lock })
}

async fn update(
    State(n): S,
    Extension(p): E,
    Json(req): Json<SwarmUpdateRequest>,
) -> Result<Json<UnlockKeyResponse>, ManagerError> {
    control_peer(&n, p)?;
    n.require_manager()?;
    n.read_barrier().await?;
    let locked = n.snapshot().lock.is_some();
    match req.autolock {
        Some(on) if on != locked => set_lock(&n, on).await.map(Json),
        _ => current_key(&n).map(Json),
    }
}

fn current_key(n: &Node) -> Result<UnlockKeyResponse, ManagerError> {
    let key = match &n.snapshot().lock {
        Some(lock) => Some(n.keys.unlock_key(lock)?.to_unlock_text()),
        None => None,
    };
    Ok(UnlockKeyResponse { key })
}

async fn unlock_key(
    State(n): S,
    Extension(p): E,
    Json(req): Json<UnlockKeyRequest>,
) -> Result<Json<UnlockKeyResponse>, ManagerError> {
    control_peer(&n, p)?;
    n.require_manager()?;
    n.read_barrier().await?;
    if n.snapshot().lock.is_none() {
        return Err(ManagerError::BadRequest(
            "no unlock key is set: autolock is off (fix: turn it on with `swarmd swarm update --autolock=true`)".into(),
        ));
    }
    if req.rotate {
        return set_lock(&n, true).await.map(Json);
    }
    current_key(&n).map(Json)
}

async fn unlock(
    State(n): S,
    Extension(p): E,
    Json(req): Json<UnlockRequest>,
) -> Result<Json<()>, ManagerError> {
    if p != Peer::Local {
        return Err(ManagerError::Forbidden(
            "unlock is only accepted on the manager's local socket (run `swarmd unlock` on it)"
                .into(),
        ));
    }
    if !n.keys.is_locked() {
        return Err(ManagerError::BadRequest(
            "this node is not locked; nothing to unlock".into(),
        ));
    }
    n.keys.unlock(n.snapshot().lock.as_ref(), &req.key)?;
    tracing::info!("manager unlocked");
    Ok(Json(()))
}
