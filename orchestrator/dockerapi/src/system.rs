//! `/_ping`, `/version`, `/info`, `/distribution/...` and the answers for what swarmd does
//! not have.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bollard_stubs::models as d;
use swarm_api::control::InfoResponse;
use swarm_api::node::{format_node_id, NodeView, Role};
use swarm_api::routes;

use crate::backend::Caller;
use crate::convert::node::host_of;
use crate::error::{DockerError, Result};
use crate::{API_VERSION, MIN_API_VERSION, S};

/// The version swarmd reports as its "engine" version.
pub const SERVER_VERSION: &str = concat!("swarmd-", env!("CARGO_PKG_VERSION"));

/// The headers docker puts on every answer.
pub async fn docker_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert("api-version", HeaderValue::from_static(API_VERSION));
    h.insert("ostype", HeaderValue::from_static("linux"));
    h.insert("docker-experimental", HeaderValue::from_static("false"));
    h.insert(
        "server",
        HeaderValue::from_static(concat!(
            "Docker/swarmd-",
            env!("CARGO_PKG_VERSION"),
            " (linux)"
        )),
    );
    res
}

/// This node's info, and the node list when this node is a manager.
pub async fn node_info(st: &S, c: &Caller) -> Result<(InfoResponse, Option<Vec<NodeView>>)> {
    let info = st.backend.send(c, &routes::INFO, &[], &()).await?;
    let nodes = match info.role {
        Role::Manager => st.backend.send(c, &routes::NODES, &[], &()).await.ok(),
        Role::Worker => None,
    };
    Ok((info, nodes))
}

/// `HEAD|GET /_ping`: `OK`, with the `Swarm` header (`active/manager` or `active/worker`).
pub async fn ping(st: S, c: Caller) -> Response {
    let swarm = match st.backend.send(&c, &routes::INFO, &[], &()).await {
        Ok(i) if i.role == Role::Manager => "active/manager",
        Ok(_) => "active/worker",
        Err(_) => "inactive",
    };
    let mut h = HeaderMap::new();
    h.insert("swarm", HeaderValue::from_static(swarm));
    h.insert(
        "cache-control",
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    h.insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    (StatusCode::OK, h, "OK").into_response()
}

/// `GET /version`.
pub async fn version_of() -> d::SystemVersion {
    let arch = std::env::consts::ARCH;
    let arch = match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    d::SystemVersion {
        platform: Some(d::SystemVersionPlatform {
            name: "swarmd".into(),
        }),
        components: Some(vec![d::SystemVersionComponents {
            name: "Engine".into(),
            version: SERVER_VERSION.into(),
            details: Some(
                [
                    ("ApiVersion".to_string(), API_VERSION.to_string()),
                    ("MinAPIVersion".to_string(), MIN_API_VERSION.to_string()),
                    ("Os".to_string(), "linux".to_string()),
                    ("Arch".to_string(), arch.to_string()),
                ]
                .into(),
            ),
        }]),
        version: Some(SERVER_VERSION.into()),
        api_version: Some(API_VERSION.into()),
        min_api_version: Some(MIN_API_VERSION.into()),
        git_commit: Some(String::new()),
        go_version: Some("rust".into()),
        os: Some("linux".into()),
        arch: Some(arch.into()),
        kernel_version: None,
        experimental: Some(false),
        build_time: None,
    }
}

/// `GET /version`.
pub async fn version() -> Json<d::SystemVersion> {
    Json(version_of().await)
}

/// `GET /info`: the swarm part is this node's (`NodeID`, `LocalNodeState`,
/// `ControlAvailable`, `Cluster` on managers).
pub async fn info(st: S, c: Caller) -> Result<Json<d::SystemInfo>> {
    let (i, nodes) = node_info(&st, &c).await?;
    let me = nodes
        .iter()
        .flatten()
        .find(|n| n.node.id == i.node_id)
        .cloned();
    let manager = i.role == Role::Manager;
    let managers: Vec<_> = nodes
        .iter()
        .flatten()
        .filter(|n| n.node.role == Role::Manager)
        .map(|n| d::PeerNode {
            node_id: Some(format_node_id(n.node.id)),
            addr: Some(n.node.addr.clone()),
        })
        .collect();
    let swarm = d::SwarmInfo {
        node_id: Some(format_node_id(i.node_id)),
        node_addr: me.as_ref().map(|n| host_of(&n.node.addr).to_string()),
        local_node_state: Some(d::LocalNodeState::ACTIVE),
        control_available: Some(manager),
        error: Some(String::new()),
        remote_managers: Some(managers.clone()),
        nodes: nodes.as_ref().map(|n| n.len() as i64),
        managers: manager.then_some(managers.len() as i64),
        cluster: manager.then(|| crate::swarm::cluster_info(&i)),
    };
    let desc = me.map(|n| n.node).unwrap_or_else(|| swarm_api::node::Node {
        id: i.node_id,
        hostname: String::new(),
        addr: String::new(),
        role: i.role,
        availability: Default::default(),
        status: Default::default(),
        labels: Default::default(),
        description: Default::default(),
    });
    let mut warnings = Vec::new();
    if let Some(sock) = &st.socket {
        warnings.push(format!("swarmd: this API is served on unix://{sock}"));
    }
    Ok(Json(d::SystemInfo {
        id: Some(format_node_id(i.node_id)),
        name: Some(desc.hostname.clone()),
        server_version: Some(SERVER_VERSION.into()),
        os_type: Some("linux".into()),
        operating_system: Some("swarmd".into()),
        architecture: Some(desc.description.platform.architecture.clone()),
        ncpu: Some(desc.description.resources.nano_cpus / 1_000_000_000),
        mem_total: Some(desc.description.resources.memory_bytes),
        labels: Some(
            desc.description
                .engine_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        swarm: Some(swarm),
        containers: Some(0),
        images: Some(0),
        driver: Some("swarmd".into()),
        logging_driver: Some("json-file".into()),
        experimental_build: Some(false),
        warnings: Some(warnings),
        ..Default::default()
    }))
}

/// `GET /distribution/NAME/json`: 404, so the CLI warns that it cannot pin the image's digest
/// and goes on (the engines pull the image by its tag).
pub async fn distribution(req: Request) -> DockerError {
    let name = req
        .uri()
        .path()
        .trim_start_matches("/distribution/")
        .trim_end_matches("/json")
        .to_string();
    DockerError::not_found(format!(
        "swarmd does not query registries for {name}: the nodes' engines pull the image by its reference"
    ))
}

/// Any other path.
pub async fn unknown(req: Request) -> DockerError {
    DockerError::not_found(format!(
        "page not found: swarmd's docker API has no {} {} (it serves the swarm endpoints: nodes, services, tasks, networks, swarm, info)",
        req.method(),
        req.uri().path()
    ))
}
