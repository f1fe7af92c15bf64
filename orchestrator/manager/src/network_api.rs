//! The network routes of the control API (`/v1/networks/...`, see `swarm_api::network_api`),
//! and the resolution of `--network` names in service specs.
//!
//! Handlers validate and turn the request into one Raft command; the state machine assigns
//! subnets, VNIs and addresses (`swarm_store::network_state`), so two managers creating
//! networks at once can never hand out the same subnet.

use axum::extract::Path;
use axum::Json;
use swarm_api::command::Command;
use swarm_api::network::{Network, NetworkSpec};
use swarm_api::network_api::{EndpointView, NetworkView, PruneResponse};
use swarm_api::service::ServiceSpec;
use swarm_store::state::ClusterState;

use crate::error::ManagerError;
use crate::extract::{Answer, Control};
use crate::random::{now_ms, object_id};

/// The view of one network: its services and every address on it.
pub fn view(state: &ClusterState, net: &Network) -> NetworkView {
    let mut endpoints = Vec::new();
    for (sid, vips) in &state.service_vips {
        for v in vips.iter().filter(|v| v.network_id == net.id) {
            endpoints.push(EndpointView {
                name: state
                    .services
                    .get(sid)
                    .map_or_else(|| sid.clone(), |s| s.spec.name.clone()),
                addr: v.addr.clone(),
                kind: "vip".into(),
            });
        }
    }
    for (tid, atts) in &state.network_attachments {
        for a in atts.iter().filter(|a| a.network_id == net.id) {
            endpoints.push(EndpointView {
                name: state
                    .tasks
                    .get(tid)
                    .map_or_else(|| tid.clone(), |t| t.container_name()),
                addr: a.addr.clone(),
                kind: "task".into(),
            });
        }
    }
    NetworkView {
        network: net.clone(),
        services: state.services_on(&net.id),
        endpoints,
    }
}

fn find<'a>(state: &'a ClusterState, key: &str) -> Result<&'a Network, ManagerError> {
    state.find_network(key).ok_or_else(|| {
        ManagerError::NotFound(format!(
            "network {key} not found; list networks with `network ls`"
        ))
    })
}

/// Replaces the network names of `spec.task.networks` by their ids; refuses an unknown
/// network, the ingress network and a network given twice.
pub fn resolve_networks(state: &ClusterState, spec: &mut ServiceSpec) -> Result<(), ManagerError> {
    let mut seen = std::collections::BTreeSet::new();
    for a in &mut spec.task.networks {
        let net = state.find_network(&a.target).ok_or_else(|| {
            ManagerError::NotFound(format!(
                "invalid --network {:?}: no such network; create it with `network create -d overlay {}` or list them with `network ls`",
                a.target, a.target
            ))
        })?;
        if net.spec.ingress {
            return Err(ManagerError::BadRequest(format!(
                "invalid --network {:?}: a service cannot be attached to the ingress network explicitly (fix: publish a port with --publish instead)",
                a.target
            )));
        }
        if !seen.insert(net.id.clone()) {
            return Err(ManagerError::BadRequest(format!(
                "invalid --network {:?}: the network is given twice (fix: give each network once, with all its aliases)",
                a.target
            )));
        }
        a.target = net.id.clone();
        a.internal = net.spec.internal;
    }
    Ok(())
}

pub(crate) async fn list(Control(n): Control) -> Answer<Vec<NetworkView>> {
    let state = n.snapshot();
    Ok(Json(
        state.networks.values().map(|x| view(&state, x)).collect(),
    ))
}

pub(crate) async fn create(
    Control(n): Control,
    Json(spec): Json<NetworkSpec>,
) -> Answer<NetworkView> {
    spec.validate()
        .map_err(|e| ManagerError::BadRequest(e.to_string()))?;
    if spec.ingress {
        return Err(ManagerError::BadRequest(
            "invalid --ingress: the cluster has its built-in ingress network (fix: drop --ingress)"
                .into(),
        ));
    }
    let state = n.snapshot();
    if state
        .find_network(&spec.name)
        .is_some_and(|x| x.spec.name == spec.name)
    {
        return Err(ManagerError::Conflict(format!(
            "a network named {} already exists; choose another name",
            spec.name
        )));
    }
    let id = object_id();
    let network = Network {
        id: id.clone(),
        spec,
        vni: 0,
        created_at_ms: now_ms(),
        cursors: vec![],
    };
    n.write(Command::CreateNetwork { network }).await?;
    let state = n.snapshot();
    let net = find(&state, &id)?;
    tracing::info!(network = %net.spec.name, vni = net.vni, "network created");
    Ok(Json(view(&state, net)))
}

pub(crate) async fn inspect(Control(n): Control, Path(key): Path<String>) -> Answer<NetworkView> {
    let state = n.snapshot();
    let net = find(&state, &key)?;
    Ok(Json(view(&state, net)))
}

pub(crate) async fn remove(Control(n): Control, Path(key): Path<String>) -> Answer<()> {
    let state = n.snapshot();
    let net = find(&state, &key)?;
    let users = state.services_on(&net.id);
    if !users.is_empty() {
        return Err(ManagerError::Conflict(format!(
            "network {} is in use by service(s) {}; remove them or `service update --network-rm {}` first",
            net.spec.name,
            users.join(", "),
            net.spec.name
        )));
    }
    if net.spec.ingress {
        return Err(ManagerError::Conflict(
            "the ingress network is built in and carries the routing mesh; it cannot be removed"
                .into(),
        ));
    }
    n.write(Command::RemoveNetwork { id: net.id.clone() })
        .await?;
    Ok(Json(()))
}

pub(crate) async fn prune(Control(n): Control) -> Answer<PruneResponse> {
    let state = n.snapshot();
    let mut removed = Vec::new();
    for net in state.networks.values() {
        if net.spec.ingress || !state.services_on(&net.id).is_empty() {
            continue;
        }
        match n.write(Command::RemoveNetwork { id: net.id.clone() }).await {
            Ok(()) => removed.push(net.spec.name.clone()),
            // Someone attached a service meanwhile: it stays.
            Err(ManagerError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    removed.sort();
    Ok(Json(PruneResponse { removed }))
}
