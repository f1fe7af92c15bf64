//! The node and cluster part of the control API (`/v1/info`, `/v1/nodes/...`, `/v1/join-token`,
//! `/v1/leave`) behind `swarmd node|join-token|leave|info`; services are in [`crate::service_api`].

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::Path;
use axum::Json;
use swarm_api::command::Command;
use swarm_api::control::{
    ForceRequest, InfoResponse, JoinTokenRequest, JoinTokenResponse, UpdateNodeRequest,
};
use swarm_api::node::{format_node_id, NodeId, NodeStatus, NodeView, Role};
use swarm_api::routes;
use swarm_api::tls::certs_from_pem;
use swarm_api::token::{fingerprint, JoinToken};

use crate::auth::control_peer;
use crate::error::ManagerError;
use crate::extract::{Answer, Call, Control};
use crate::node::{MembershipOp, Node};
use crate::quorum::{check_removal, manager_leave_refusal};
use crate::random::token_secret;
use crate::server::Peer;

/// Finds a node by full id, unique id prefix, or unique host name.
fn resolve(n: &Node, key: &str) -> Result<NodeView, ManagerError> {
    let views = n.node_views();
    let by_id: Vec<_> = views
        .iter()
        .filter(|v| format_node_id(v.node.id).starts_with(&key.to_ascii_lowercase()))
        .collect();
    let by_name: Vec<_> = views.iter().filter(|v| v.node.hostname == key).collect();
    match (by_id.as_slice(), by_name.as_slice()) {
        ([one], _) | ([], [one]) => Ok((*one).clone()),
        ([], []) => Err(ManagerError::NotFound(format!(
            "no node matches {key:?}; list nodes with `swarmd node ls`"
        ))),
        _ => Err(ManagerError::BadRequest(format!(
            "{key:?} matches several nodes; use a longer id prefix"
        ))),
    }
}

fn view(n: &Node, id: NodeId) -> Result<Json<NodeView>, ManagerError> {
    resolve(n, &format_node_id(id)).map(Json)
}

pub(crate) async fn info(Call(n, p): Call) -> Answer<InfoResponse> {
    if p != Peer::Local {
        control_peer(&n, p)?;
    }
    let m = n.metrics();
    let cluster_id = n
        .state
        .read()
        .ok()
        .and_then(|a| a.state.cluster.as_ref().map(|c| c.id.clone()))
        .unwrap_or_default();
    Ok(Json(InfoResponse {
        node_id: n.id,
        role: n.role().unwrap_or(Role::Worker),
        leader: m.current_leader,
        term: m.current_term,
        last_applied: m.last_applied.map(|l| l.index),
        snapshot: m.snapshot.map(|l| l.index),
        purged: m.purged.map(|l| l.index),
        voters: n.voters().into_iter().collect(),
        quorum: n.has_quorum(),
        cluster_id,
        docker_socket: n.docker_socket.get().cloned(),
    }))
}

pub(crate) async fn list(Control(n): Control) -> Answer<Vec<NodeView>> {
    Ok(Json(n.node_views()))
}

pub(crate) async fn inspect(Control(n): Control, Path(key): Path<String>) -> Answer<NodeView> {
    resolve(&n, &key).map(Json)
}

pub(crate) async fn update(
    Control(n): Control,
    Path(key): Path<String>,
    Json(req): Json<UpdateNodeRequest>,
) -> Answer<NodeView> {
    let id = resolve(&n, &key)?.node.id;
    for k in req.label_add.keys().chain(req.label_rm.iter()) {
        if k.is_empty() || k.contains('=') {
            return Err(ManagerError::BadRequest(format!(
                "invalid label key {k:?}: use --label-add key=value and --label-rm key"
            )));
        }
    }
    n.write(Command::UpdateNode {
        id,
        availability: req.availability,
        label_add: req.label_add,
        label_rm: req.label_rm,
    })
    .await?;
    view(&n, id)
}

pub(crate) async fn promote(Control(n): Control, Path(key): Path<String>) -> Answer<NodeView> {
    let v = resolve(&n, &key)?;
    if v.node.role == Role::Manager {
        return Ok(Json(v));
    }
    if v.node.status != NodeStatus::Ready {
        return Err(ManagerError::Conflict(format!(
            "node {} is Down; a node must be Ready to be promoted (it has to catch up with the log)",
            format_node_id(v.node.id)
        )));
    }
    let op = MembershipOp::AddVoter {
        id: v.node.id,
        addr: v.node.addr.clone(),
    };
    set_role(&n, v.node.id, Role::Manager, op).await
}

pub(crate) async fn demote(Control(n): Control, Path(key): Path<String>) -> Answer<NodeView> {
    let v = resolve(&n, &key)?;
    if v.node.role == Role::Worker {
        return Ok(Json(v));
    }
    let id = v.node.id;
    check_removal(&n.voter_health(), id, "demote").map_err(ManagerError::QuorumGuard)?;
    set_role(&n, id, Role::Worker, MembershipOp::DemoteVoter { id }).await
}

/// Changes the Raft membership, then the node's role in the state.
async fn set_role(n: &Node, id: NodeId, role: Role, op: MembershipOp) -> Answer<NodeView> {
    n.membership(op).await?;
    n.write(Command::SetRole { id, role }).await?;
    view(n, id)
}

pub(crate) async fn remove(
    Control(n): Control,
    Path(key): Path<String>,
    Json(req): Json<ForceRequest>,
) -> Answer<()> {
    let v = resolve(&n, &key)?;
    let id = v.node.id;
    if v.node.role == Role::Manager {
        return Err(ManagerError::QuorumGuard(format!(
            "node {} is a manager and a member of the Raft group; demote it first \
             (`swarmd node demote {}`), then remove it",
            format_node_id(id),
            format_node_id(id)
        )));
    }
    if v.node.status == NodeStatus::Ready && !req.force {
        return Err(ManagerError::Conflict(format!(
            "node {} is Ready; run `swarmd leave` on it, or remove it anyway with `--force`",
            format_node_id(id)
        )));
    }
    if n.members().contains(&id) {
        n.membership(MembershipOp::RemoveVoter { id }).await?;
    }
    n.write(Command::RemoveNode { id }).await?;
    Ok(Json(()))
}

pub(crate) async fn join_token(
    Control(n): Control,
    Json(req): Json<JoinTokenRequest>,
) -> Answer<JoinTokenResponse> {
    if req.rotate {
        n.write(Command::RotateToken {
            role: req.role,
            secret: swarm_api::command::Secret(token_secret()),
        })
        .await?;
    }
    let state = n.snapshot();
    let cluster = state
        .cluster
        .as_ref()
        .ok_or_else(|| ManagerError::Conflict("the cluster is not initialised".into()))?;
    let ca = certs_from_pem(&cluster.ca_cert_pem, "CA certificate")?;
    let token = JoinToken {
        fingerprint: fingerprint(ca[0].as_ref()),
        secret: cluster.secret(req.role).to_string(),
    };
    let addr = state
        .nodes
        .get(&n.id)
        .map(|x| x.addr.clone())
        .unwrap_or_default();
    Ok(Json(JoinTokenResponse {
        role: req.role,
        token: token.reveal(),
        addr,
    }))
}

pub(crate) async fn leave(Call(n, p): Call, Json(req): Json<ForceRequest>) -> Answer<()> {
    if p != Peer::Local {
        return Err(ManagerError::Forbidden(
            "leave is only accepted on the node's local socket".into(),
        ));
    }
    match n.role() {
        Some(Role::Manager) => {
            // As in Docker: a manager's leave needs --force, and the message says what it costs.
            if !req.force {
                return Err(ManagerError::QuorumGuard(manager_leave_refusal(
                    &n.voter_health(),
                    n.id,
                )));
            }
            let res = async {
                n.write(Command::RemoveNode { id: n.id }).await?;
                n.membership(MembershipOp::RemoveVoter { id: n.id }).await
            };
            match tokio::time::timeout(Duration::from_secs(15), res).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) if !req.force => return Err(e),
                Err(_) if !req.force => {
                    return Err(ManagerError::NoQuorum("leaving timed out".into()))
                }
                _ => {}
            }
        }
        _ => {
            n.pause_heartbeats(true).await;
            let res = leave_via_manager(&n).await;
            if let Err(e) = res {
                if !req.force {
                    n.pause_heartbeats(false).await;
                    return Err(e);
                }
            }
        }
    }
    n.left.store(true, Ordering::SeqCst);
    n.stop();
    Ok(Json(()))
}

/// A worker asks a manager to remove it from the state.
async fn leave_via_manager(n: &Node) -> Result<(), ManagerError> {
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
