//! What a node does when the replicated state changes its role (`node promote|demote`), and
//! the route that gives a promoted manager the cluster data key.
//!
//! A worker joined with a worker certificate and without the data key. Once the state lists
//! it as a manager (it is then a Raft member and holds the state, CA key included), the
//! [`role_loop`] signs it a manager certificate with the cluster CA (as swarmkit renews a
//! node's certificate on a role change), stores it in the state directory, and asks the
//! leader (else another manager) for the data key over mutual TLS with that certificate:
//! [`routes::DATA_KEY`] answers only a caller whose certificate says manager and whom the
//! state lists as a manager. Under `--autolock` the key is not given out: it exists only
//! wrapped by the unlock key, in the replicated state, so the promoted manager stays locked
//! like a restarted one until `swarmd unlock` (else the plain key file of any manager's disk
//! would be enough to fetch what autolock protects). A demoted node gets a worker
//! certificate again and drops the key from memory and disk (workers never hold it).
//!
//! The node's new connections to other nodes present the new certificate at once
//! ([`Node::set_client_tls`]); its server, and Raft connections already open, keep the one
//! it started with until it restarts (peers check a server against the CA only, and Raft
//! accepts any member).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use swarm_api::control::DataKeyResponse;
use swarm_api::node::{format_node_id, Role};
use swarm_api::routes;
use swarm_api::secret::SecretData;
use swarm_api::tls::{certs_from_pem, client_config};

use crate::auth::node_only;
use crate::ca::{cert_identity, host_of, new_key_and_csr, sign_node_csr, CertIdentity, CertKey};
use crate::data_key::Key;
use crate::error::ManagerError;
use crate::extract::{Answer, Call};
use crate::node::Node;
use crate::server::Peer;
use crate::state_dir::{Certs, StateDir};

/// Whether `peer` may receive the data key: a manager certificate of a node the state lists
/// as a manager, while autolock is off.
pub fn may_get_key(n: &Node, peer: Peer) -> Result<(), ManagerError> {
    node_only(peer)?;
    let Peer::Node { id, role } = peer else {
        return Err(ManagerError::Unauthorized(
            "the data key needs a manager certificate of this cluster".into(),
        ));
    };
    if role != Role::Manager {
        return Err(ManagerError::Forbidden(format!(
            "node {} presents a worker certificate; only a manager certificate receives the \
             data key",
            format_node_id(id)
        )));
    }
    let state = n.snapshot();
    if state.nodes.get(&id).map(|r| r.role) != Some(Role::Manager) {
        return Err(ManagerError::Forbidden(format!(
            "node {} is not a manager of this cluster",
            format_node_id(id)
        )));
    }
    if state.lock.is_some() {
        return Err(ManagerError::Conflict(
            "autolock is on: the data key is only kept wrapped by the unlock key; unlock the \
             manager with `swarmd unlock`"
                .into(),
        ));
    }
    Ok(())
}

pub(crate) async fn data_key(Call(n, p): Call) -> Answer<DataKeyResponse> {
    n.require_manager()?;
    may_get_key(&n, p)?;
    let key = n.keys.key()?;
    if let Peer::Node { id, .. } = p {
        tracing::info!(node = %format_node_id(id), "data key sent to a promoted manager");
    }
    Ok(Json(DataKeyResponse {
        data_key: SecretData(key.0.to_vec()),
    }))
}

/// The role in a node certificate (PEM); `None` if it is not one.
pub fn cert_role(cert_pem: &str) -> Option<Role> {
    let der = certs_from_pem(cert_pem, "node certificate").ok()?;
    match cert_identity(der.first()?.as_ref())? {
        CertIdentity::Node(_, role) => Some(role),
        CertIdentity::Admin { .. } => None,
    }
}

/// Signs this node a new certificate for `role` with the CA in its state and stores it.
fn renew_cert(
    n: &Node,
    dir: &StateDir,
    role: Role,
    advertise: &str,
) -> Result<Certs, ManagerError> {
    let cluster = n.snapshot().cluster.ok_or_else(|| {
        ManagerError::Conflict("no cluster state yet to sign a certificate with".into())
    })?;
    let ca = CertKey {
        cert_pem: cluster.ca_cert_pem.clone(),
        key_pem: cluster.ca_key_pem,
    };
    let (key_pem, csr) = new_key_and_csr()?;
    let cert_pem = sign_node_csr(&ca, &csr, n.id, role, host_of(advertise))?;
    let certs = Certs {
        ca_pem: cluster.ca_cert_pem,
        node: CertKey { cert_pem, key_pem },
    };
    dir.save_certs(&certs)?;
    Ok(certs)
}

/// The managers to ask for the key: the leader first, then the others (never this node).
fn key_sources(n: &Node) -> Vec<String> {
    let m = n.metrics();
    let mut out: Vec<String> = m
        .current_leader
        .filter(|l| *l != n.id)
        .and_then(|l| n.leader_addr(&m, l))
        .into_iter()
        .collect();
    for r in n.snapshot().managers() {
        if r.id != n.id && !out.contains(&r.addr) {
            out.push(r.addr.clone());
        }
    }
    out
}

/// Fetches the data key (with the node's current certificate) from the first manager that
/// gives it.
async fn fetch_key(n: &Node) -> Result<Key, ManagerError> {
    let mut last = ManagerError::NoQuorum("no other manager known to ask for the data key".into());
    for addr in key_sources(n) {
        match n.peer(&addr).send(&routes::DATA_KEY, &[], &()).await {
            Ok(r) => {
                return Key::from_bytes(&r.data_key.0).ok_or_else(|| {
                    ManagerError::Conflict(format!("{addr} sent a data key of the wrong size"))
                })
            }
            Err(e) => last = e.into(),
        }
    }
    Err(last)
}

/// One step of [`role_loop`]: brings the certificate (`certs`) and the data key in line with
/// the role the state gives this node.
async fn step(n: &Node, dir: &StateDir, advertise: &str, certs: &mut Certs) {
    let Some(role) = n.role() else { return };
    if cert_role(&certs.node.cert_pem) != Some(role) {
        match renew_cert(n, dir, role, advertise) {
            Ok(c) => {
                match client_config(&c.ca_pem, &c.node.cert_pem, &c.node.key_pem) {
                    Ok(tls) => n.set_client_tls(tls),
                    Err(e) => tracing::warn!(error = %e, "cannot use the new certificate"),
                }
                *certs = c;
                tracing::info!(%role, "role changed: new node certificate signed");
            }
            Err(e) => {
                tracing::warn!(error = %e, %role, "cannot renew the node certificate");
                return;
            }
        }
    }
    match role {
        Role::Worker => n.keys.forget(),
        Role::Manager if n.keys.is_locked() => {
            let autolocked = n.state.read().is_ok_and(|a| a.state.lock.is_some());
            if autolocked {
                return;
            }
            match fetch_key(n).await {
                Ok(key) => {
                    n.keys.set(key);
                    let lock = n.state.read().ok().and_then(|a| a.state.lock.clone());
                    if let Err(e) = n.keys.sync_file(lock.as_ref()) {
                        tracing::warn!(error = %e, "cannot store the data key");
                    }
                    tracing::info!("data key received from the managers");
                }
                Err(e) => tracing::debug!(error = %e, "data key not received yet"),
            }
        }
        Role::Manager => {}
    }
}

/// Follows this node's role in the state until the node stops (see the module doc). A
/// promoted manager under autolock logs once that it waits for `swarmd unlock`.
pub async fn role_loop(n: Arc<Node>, dir: StateDir, advertise: String) {
    let stopped = n.stopped();
    tokio::pin!(stopped);
    let mut certs = match dir.load_certs() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the node certificate; role changes are not followed");
            return;
        }
    };
    let mut told_locked = false;
    loop {
        step(&n, &dir, &advertise, &mut certs).await;
        let waits_unlock = n.role() == Some(Role::Manager)
            && n.keys.is_locked()
            && n.state.read().is_ok_and(|a| a.state.lock.is_some());
        if waits_unlock && !told_locked {
            tracing::warn!(
                "this manager has no data key and the swarm is autolocked: run `swarmd unlock` \
                 with the unlock key to let it create and deliver secrets"
            );
        }
        told_locked = waits_unlock;
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::new_root_ca;

    #[test]
    fn the_role_is_read_back_from_a_signed_certificate() {
        let ca = new_root_ca("test").unwrap();
        for role in [Role::Worker, Role::Manager] {
            let (_key, csr) = new_key_and_csr().unwrap();
            let pem = sign_node_csr(&ca, &csr, 42, role, "127.0.0.1").unwrap();
            assert_eq!(cert_role(&pem), Some(role));
        }
        assert_eq!(cert_role(&ca.cert_pem), None, "the CA is no node");
        assert_eq!(cert_role("not a certificate"), None);
    }
}
