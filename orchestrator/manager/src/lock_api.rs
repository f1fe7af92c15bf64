//! The autolock routes: `swarm update --autolock`, `swarm unlock-key [--rotate]`, and
//! `swarm unlock` (local socket only). See [`crate::keyring`].

use axum::Json;
use swarm_api::command::Command;
use swarm_api::swarm_lock::{
    SwarmUpdateRequest, UnlockKeyRequest, UnlockKeyResponse, UnlockRequest,
};

use crate::data_key::Key;
use crate::error::ManagerError;
use crate::extract::{Answer, Call, Control};
use crate::node::Node;
use crate::server::Peer;

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

pub(crate) async fn update(
    Control(n): Control,
    Json(req): Json<SwarmUpdateRequest>,
) -> Answer<UnlockKeyResponse> {
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

pub(crate) async fn unlock_key(
    Control(n): Control,
    Json(req): Json<UnlockKeyRequest>,
) -> Answer<UnlockKeyResponse> {
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

pub(crate) async fn unlock(Call(n, p): Call, Json(req): Json<UnlockRequest>) -> Answer<()> {
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
