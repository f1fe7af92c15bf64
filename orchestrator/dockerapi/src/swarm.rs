//! `/swarm`: inspect (id, join tokens), update (token rotation only), leave, and the verbs
//! swarmd has no equivalent for (unlock keys, init and join through this API).

use axum::extract::Query;
use axum::Json;
use bollard_stubs::models as d;
use serde::Deserialize;
use swarm_api::control::{ForceRequest, InfoResponse, JoinTokenRequest};
use swarm_api::node::Role;
use swarm_api::routes;

use crate::backend::Caller;
use crate::error::{DockerError, Result};
use crate::filters::truthy;
use crate::S;

/// The swarm spec swarmd runs with (fixed: swarmd has no per-cluster settings to change).
pub fn swarm_spec() -> d::SwarmSpec {
    d::SwarmSpec {
        name: Some("default".into()),
        labels: Some(Default::default()),
        orchestration: Some(d::SwarmSpecOrchestration {
            task_history_retention_limit: Some(5),
        }),
        raft: Some(d::SwarmSpecRaft {
            snapshot_interval: Some(10_000),
            keep_old_snapshots: Some(0),
            log_entries_for_slow_followers: Some(500),
            election_tick: Some(10),
            heartbeat_tick: Some(1),
        }),
        dispatcher: Some(d::SwarmSpecDispatcher {
            heartbeat_period: Some(5_000_000_000),
        }),
        ca_config: Some(d::SwarmSpecCaConfig {
            node_cert_expiry: Some(7_776_000_000_000_000),
            ..Default::default()
        }),
        encryption_config: Some(d::SwarmSpecEncryptionConfig {
            auto_lock_managers: Some(false),
        }),
        task_defaults: Some(d::SwarmSpecTaskDefaults { log_driver: None }),
    }
}

/// `Version.Index` of the cluster: the Raft log's last applied entry.
pub fn cluster_version(i: &InfoResponse) -> Option<d::ObjectVersion> {
    crate::convert::version(i.last_applied.unwrap_or(0))
}

/// The cluster part of `/info` on a manager.
pub fn cluster_info(i: &InfoResponse) -> d::ClusterInfo {
    d::ClusterInfo {
        id: Some(i.cluster_id.clone()),
        version: cluster_version(i),
        created_at: None,
        updated_at: None,
        spec: Some(swarm_spec()),
        tls_info: Some(d::TlsInfo::default()),
        root_rotation_in_progress: Some(false),
        data_path_port: Some(4789),
        default_addr_pool: Some(vec!["10.0.0.0/8".into()]),
        subnet_size: Some(24),
    }
}

async fn tokens(st: &S, c: &Caller, rotate: (bool, bool)) -> Result<d::JoinTokens> {
    let w = st
        .backend
        .send(
            c,
            &routes::JOIN_TOKEN,
            &[],
            &JoinTokenRequest {
                role: Role::Worker,
                rotate: rotate.0,
            },
        )
        .await?;
    let m = st
        .backend
        .send(
            c,
            &routes::JOIN_TOKEN,
            &[],
            &JoinTokenRequest {
                role: Role::Manager,
                rotate: rotate.1,
            },
        )
        .await?;
    Ok(d::JoinTokens {
        worker: Some(w.token),
        manager: Some(m.token),
    })
}

/// `GET /swarm` (managers).
pub async fn inspect(st: S, c: Caller) -> Result<Json<d::Swarm>> {
    let i = st.backend.send(&c, &routes::INFO, &[], &()).await?;
    if i.role != Role::Manager {
        return Err(DockerError::new(
            503,
            "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.",
        ));
    }
    let ci = cluster_info(&i);
    Ok(Json(d::Swarm {
        id: ci.id,
        version: ci.version,
        created_at: None,
        updated_at: None,
        spec: ci.spec,
        tls_info: ci.tls_info,
        root_rotation_in_progress: ci.root_rotation_in_progress,
        data_path_port: ci.data_path_port,
        default_addr_pool: ci.default_addr_pool,
        subnet_size: ci.subnet_size,
        join_tokens: Some(tokens(&st, &c, (false, false)).await?),
    }))
}

/// The query of `POST /swarm/update`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateQuery {
    /// The version read (the cluster's last applied index; not checked: the spec is fixed).
    #[serde(default)]
    pub version: Option<String>,
    /// Rotate the worker token.
    #[serde(default)]
    pub rotate_worker_token: Option<String>,
    /// Rotate the manager token.
    #[serde(default)]
    pub rotate_manager_token: Option<String>,
    /// Rotate the manager unlock key (swarmd has none).
    #[serde(default)]
    pub rotate_manager_unlock_key: Option<String>,
}

/// `POST /swarm/update`: rotates join tokens; any spec change is refused naming the field.
pub async fn update(
    st: S,
    c: Caller,
    Query(q): Query<UpdateQuery>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<()>> {
    let kept = serde_json::to_value(swarm_spec()).unwrap_or_default();
    if let Some((field, value)) = crate::leftover::first_dropped(&body, &kept) {
        return Err(DockerError::bad_request(format!(
            "unsupported swarm setting {field} = {value}: swarmd's cluster settings are fixed; only join tokens can be rotated (docker swarm join-token --rotate)"
        )));
    }
    if truthy(&q.rotate_manager_unlock_key) {
        return Err(DockerError::bad_request(
            "swarmd does not lock managers (no autolock), so there is no unlock key to rotate",
        ));
    }
    tokens(
        &st,
        &c,
        (
            truthy(&q.rotate_worker_token),
            truthy(&q.rotate_manager_token),
        ),
    )
    .await?;
    Ok(Json(()))
}

/// The query of `POST /swarm/leave`.
#[derive(Debug, Default, Deserialize)]
pub struct LeaveQuery {
    /// Leave even a manager (`--force`).
    #[serde(default)]
    pub force: Option<String>,
}

/// `POST /swarm/leave` (on the node's own docker socket, as swarmd's `leave`).
pub async fn leave(st: S, c: Caller, Query(q): Query<LeaveQuery>) -> Result<Json<()>> {
    st.backend
        .send(
            &c,
            &routes::LEAVE,
            &[],
            &ForceRequest {
                force: truthy(&q.force),
            },
        )
        .await
        .map(Json)
}

/// `GET /swarm/unlockkey`.
pub async fn unlock_key() -> DockerError {
    DockerError::not_found(
        "no unlock key is set: swarmd does not lock managers (autolock is not supported)",
    )
}

/// `POST /swarm/unlock`.
pub async fn unlock() -> DockerError {
    DockerError::bad_request("swarm is not locked: swarmd does not lock managers")
}

/// `POST /swarm/init`.
pub async fn init() -> DockerError {
    DockerError::new(
        503,
        "This node is already part of a swarm. Use `swarmd init` to start a new swarmd cluster on another node",
    )
}

/// `POST /swarm/join`.
pub async fn join() -> DockerError {
    DockerError::new(
        503,
        "This node is already part of a swarm. Use `swarmd join --token ...` on the node that should join",
    )
}
