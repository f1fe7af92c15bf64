//! Node endpoints: join with a token (CSR signing), become a voter, heartbeats, leave.

use axum::Json;
use swarm_api::command::Command;
use swarm_api::control::{
    ForceRequest, HeartbeatRequest, HeartbeatResponse, JoinRequest, JoinResponse,
};
use swarm_api::node::{format_node_id, Node as NodeRecord, NodeStatus, Role};
use swarm_api::tls::certs_from_pem;
use swarm_api::token::{fingerprint, secrets_equal, JoinToken};

use crate::auth::{member_peer, node_only, raft_peer};
use crate::ca::{host_of, sign_node_csr, CertKey};
use crate::error::ManagerError;
use crate::extract::{Answer, Call};
use crate::node::MembershipOp;
use crate::random::random_u64;

/// The label keys a node may give itself at join (`swarmd join --label`).
pub const JOIN_LABEL_PREFIX: &str = "swarm-aws.";

fn check_addr(addr: &str) -> Result<(), ManagerError> {
    let ok = addr
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p != 0));
    if ok {
        Ok(())
    } else {
        Err(ManagerError::BadRequest(format!(
            "invalid advertise address {addr:?}: expected HOST:PORT, e.g. 10.0.0.5:2377"
        )))
    }
}

pub(crate) async fn join(Call(n, p): Call, Json(req): Json<JoinRequest>) -> Answer<JoinResponse> {
    node_only(p)?;
    n.require_manager()?;
    let state = n.snapshot();
    let cluster = state.cluster.clone().ok_or_else(|| {
        ManagerError::Conflict("this manager has no cluster state yet; retry".into())
    })?;
    let token =
        JoinToken::parse(&req.token).map_err(|e| ManagerError::Unauthorized(e.to_string()))?;
    let ca = certs_from_pem(&cluster.ca_cert_pem, "CA certificate")?;
    if fingerprint(ca[0].as_ref()) != token.fingerprint {
        return Err(ManagerError::Unauthorized(
            "invalid join token: it belongs to a different cluster (CA fingerprint mismatch)"
                .into(),
        ));
    }
    let role = if secrets_equal(&token.secret, &cluster.manager_secret) {
        Role::Manager
    } else if secrets_equal(&token.secret, &cluster.worker_secret) {
        Role::Worker
    } else {
        return Err(ManagerError::Unauthorized(
            "invalid join token: it matches neither the current worker nor manager token (it may \
             have been rotated); get the current one with `swarmd join-token worker|manager`"
                .into(),
        ));
    };
    check_addr(&req.addr)?;
    if req.hostname.trim().is_empty() {
        return Err(ManagerError::BadRequest(
            "hostname must not be empty".into(),
        ));
    }
    // A joining node may only name itself in the swarm-aws.* keys: other node labels steer
    // placement (`node.labels.*` constraints), which only managers decide.
    if let Some(k) = req
        .labels
        .keys()
        .find(|k| !k.starts_with(JOIN_LABEL_PREFIX))
    {
        return Err(ManagerError::BadRequest(format!(
            "join label {k:?} refused: a joining node may only set {JOIN_LABEL_PREFIX}* labels \
             (fix: set others with `swarmd node update --label-add` on a manager)"
        )));
    }
    let mut id = random_u64();
    while id == 0 || state.nodes.contains_key(&id) {
        id = random_u64();
    }
    let ca_key = CertKey {
        cert_pem: cluster.ca_cert_pem.clone(),
        key_pem: cluster.ca_key_pem.clone(),
    };
    let cert_pem = sign_node_csr(&ca_key, &req.csr_pem, id, role, host_of(&req.addr))?;
    let record = NodeRecord {
        id,
        hostname: req.hostname.clone(),
        addr: req.addr.clone(),
        role,
        availability: req.availability,
        status: NodeStatus::Ready,
        labels: req.labels.clone(),
        description: Default::default(),
    };
    n.write(Command::AddNode { node: record }).await?;
    tracing::info!(node = %format_node_id(id), %role, addr = %req.addr, "node joined");
    Ok(Json(JoinResponse {
        node_id: id,
        role,
        cert_pem,
        ca_cert_pem: cluster.ca_cert_pem,
        managers: state.managers().map(|m| m.addr.clone()).collect(),
        // Only managers hold the data key; it travels inside this mutual-TLS answer.
        data_key: (role == Role::Manager)
            .then(|| n.keys.key().ok())
            .flatten()
            .map(|k| swarm_api::secret::SecretData(k.0.to_vec())),
    }))
}

pub(crate) async fn become_voter(Call(n, p): Call) -> Answer<()> {
    n.require_manager()?;
    let id = raft_peer(&n, p)?;
    let addr = n
        .snapshot()
        .nodes
        .get(&id)
        .map(|r| r.addr.clone())
        .ok_or_else(|| ManagerError::NotFound(format!("node {} not found", format_node_id(id))))?;
    n.membership(MembershipOp::AddVoter { id, addr }).await?;
    Ok(Json(()))
}

pub(crate) async fn heartbeat(
    Call(n, p): Call,
    Json(req): Json<HeartbeatRequest>,
) -> Answer<HeartbeatResponse> {
    n.require_manager()?;
    let (id, role) = member_peer(&n, p)?;
    if id != req.node_id {
        return Err(ManagerError::Forbidden(
            "heartbeat node id does not match the certificate".into(),
        ));
    }
    crate::heartbeats::beat(&n, id).await?;
    let state = n.snapshot();
    Ok(Json(HeartbeatResponse {
        role,
        managers: state.managers().map(|m| m.addr.clone()).collect(),
        period_ms: n.settings.heartbeat_interval().as_millis() as u64,
    }))
}

pub(crate) async fn self_leave(Call(n, p): Call, Json(_req): Json<ForceRequest>) -> Answer<()> {
    n.require_manager()?;
    let (id, role) = member_peer(&n, p)?;
    if role == Role::Manager {
        return Err(ManagerError::Conflict(
            "a manager leaves through its own `swarmd leave`".into(),
        ));
    }
    // As in Docker, a worker that leaves stays listed, Down, until `node rm` removes it; its
    // tasks are rescheduled like those of any Down node.
    n.write(Command::NodeLeft { id }).await?;
    // A demoted manager is still a Raft learner: stop replicating to it.
    if n.members().contains(&id) {
        n.membership(MembershipOp::RemoveVoter { id }).await?;
    }
    Ok(Json(()))
}
