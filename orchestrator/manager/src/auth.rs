//! Who may call what: Raft endpoints, the control API, node endpoints.
//!
//! Admin certificates ([`Peer::Admin`]) reach the control API only: every node endpoint (Raft,
//! join, heartbeat, leave, and the dispatcher, which must use [`member_peer`] or [`node_only`])
//! refuses them.

use swarm_api::node::{format_node_id, NodeId, Role};

use crate::error::ManagerError;
use crate::node::Node;
use crate::server::Peer;

/// Raft traffic: members of the Raft group, or managers in the state. A node that has not
/// received the state yet (a new learner) accepts manager certificates.
pub fn raft_peer(node: &Node, peer: Peer) -> Result<NodeId, ManagerError> {
    node_only(peer)?;
    let Peer::Node { id, role } = peer else {
        return Err(ManagerError::Unauthorized(
            "Raft traffic requires a manager certificate of this cluster".into(),
        ));
    };
    if node.members().contains(&id) {
        return Ok(id);
    }
    let state = node.snapshot();
    match state.nodes.get(&id) {
        Some(n) if n.role == Role::Manager => Ok(id),
        None if state.cluster.is_none() && role == Role::Manager => Ok(id),
        _ => Err(ManagerError::Forbidden(format!(
            "node {} is not a manager of this cluster",
            format_node_id(id)
        ))),
    }
}

/// Control API: the local socket, an admin certificate that was not revoked, or a certificate
/// of a node that is a manager in the state.
pub fn control_peer(node: &Node, peer: Peer) -> Result<(), ManagerError> {
    require_unlocked(node)?;
    match peer {
        Peer::Local => Ok(()),
        Peer::Admin { serial } => match node.admin_cert(&format!("{serial:032x}")) {
            Some(r) if r.revoked => Err(ManagerError::Unauthorized(format!(
                "this admin certificate ({}, serial {}) was revoked; ask a manager's root for a \
                 new one (`swarmd admin-cert` on a manager)",
                r.name, r.serial
            ))),
            _ => Ok(()),
        },
        Peer::Node { id, .. } => match node.snapshot().nodes.get(&id) {
            Some(n) if n.role == Role::Manager => Ok(()),
            _ => Err(ManagerError::Forbidden(format!(
                "node {} may not use the control API: only managers may",
                format_node_id(id)
            ))),
        },
        Peer::Anonymous => Err(ManagerError::Unauthorized(
            "a client certificate signed by the cluster CA is required".into(),
        )),
    }
}

/// Node endpoints (heartbeat, leave): the certificate's node must still be in the state.
pub fn member_peer(node: &Node, peer: Peer) -> Result<(NodeId, Role), ManagerError> {
    node_only(peer)?;
    let Peer::Node { id, .. } = peer else {
        return Err(ManagerError::Unauthorized(
            "a node certificate signed by the cluster CA is required".into(),
        ));
    };
    match node.snapshot().nodes.get(&id) {
        Some(n) => Ok((id, n.role)),
        None => Err(ManagerError::Forbidden(format!(
            "node {} is not part of this cluster (it was removed); join again with a token",
            format_node_id(id)
        ))),
    }
}

/// Node endpoints refuse admin certificates: an admin manages the cluster through the control
/// API, it is not a node (no Raft, join, heartbeat or task traffic).
pub fn node_only(peer: Peer) -> Result<(), ManagerError> {
    match peer {
        Peer::Admin { .. } => Err(ManagerError::Forbidden(
            "an admin certificate may only use the control API (/v1/info, /v1/nodes, ...); \
             node endpoints need a node certificate"
                .into(),
        )),
        _ => Ok(()),
    }
}

/// A node's own endpoints for managers (task logs): the local socket or a manager certificate.
/// Workers hold no cluster state: they trust the role in the caller's certificate.
pub fn manager_peer(peer: Peer) -> Result<(), ManagerError> {
    match peer {
        Peer::Local
        | Peer::Node {
            role: Role::Manager,
            ..
        } => Ok(()),
        _ => Err(ManagerError::Forbidden(
            "task logs are served to managers only".into(),
        )),
    }
}

/// Refuses every control request while this manager is locked (autolock on, restarted, no
/// unlock key given yet).
pub fn require_unlocked(node: &Node) -> Result<(), ManagerError> {
    let locked_cluster = node.state.read().is_ok_and(|a| a.state.lock.is_some());
    if locked_cluster && node.role() == Some(Role::Manager) {
        node.keys.key()?;
    }
    Ok(())
}
