//! What a handler of the manager's routes takes from a request before its body: the node and
//! who is calling, checked once here ([`crate::auth`]'s rules) instead of at the top of every
//! handler.
//!
//! - [`Call`]: the node and the [`Peer`], unchecked (the handler decides: join, leave, admin).
//! - [`Control`]: the control API on a manager (`control_peer`, then `require_manager`).
//! - [`RaftPeer`]: Raft traffic from a member or a manager in the state (`raft_peer`).
//!
//! A refused caller is answered before the body is read.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Json;
use swarm_api::node::NodeId;

use crate::auth::{control_peer, raft_peer};
use crate::error::ManagerError;
use crate::node::Node;
use crate::server::Peer;

/// A handler's answer: JSON, or the manager's error.
pub type Answer<T> = Result<Json<T>, ManagerError>;

/// The node and who calls (no check).
pub struct Call(pub Arc<Node>, pub Peer);

/// The control API on a manager: the caller passed `control_peer`, the node is a manager.
pub struct Control(pub Arc<Node>);

/// Raft traffic: the caller passed `raft_peer` (its node id is the second field).
pub struct RaftPeer(pub Arc<Node>, pub NodeId);

fn peer(parts: &Parts) -> Result<Peer, ManagerError> {
    // Every connection's requests carry their caller (see `server::serve_conn`); one without it
    // did not come through a server of this crate.
    parts
        .extensions
        .get::<Peer>()
        .copied()
        .ok_or_else(|| ManagerError::Unauthorized("the caller is not known".into()))
}

#[axum::async_trait]
impl FromRequestParts<Arc<Node>> for Call {
    type Rejection = ManagerError;

    async fn from_request_parts(parts: &mut Parts, n: &Arc<Node>) -> Result<Self, ManagerError> {
        Ok(Call(n.clone(), peer(parts)?))
    }
}

#[axum::async_trait]
impl FromRequestParts<Arc<Node>> for Control {
    type Rejection = ManagerError;

    async fn from_request_parts(parts: &mut Parts, n: &Arc<Node>) -> Result<Self, ManagerError> {
        control_peer(n, peer(parts)?)?;
        n.require_manager()?;
        Ok(Control(n.clone()))
    }
}

#[axum::async_trait]
impl FromRequestParts<Arc<Node>> for RaftPeer {
    type Rejection = ManagerError;

    async fn from_request_parts(parts: &mut Parts, n: &Arc<Node>) -> Result<Self, ManagerError> {
        let id = raft_peer(n, peer(parts)?)?;
        Ok(RaftPeer(n.clone(), id))
    }
}
