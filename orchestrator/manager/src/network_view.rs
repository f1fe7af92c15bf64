//! The overlay part of a node's sync answer (pure): the networks its tasks join, with every
//! address on them cluster-wide and the services' DNS records.

use std::collections::{BTreeMap, BTreeSet};

use swarm_api::network_api::{Endpoint, NodeNetwork, OverlayView, ServiceRecord};
use swarm_api::node::parse_node_id;
use swarm_api::task::TaskState;
use swarm_store::state::ClusterState;

/// The underlay IP of a node (`10.0.1.5:2377` → `10.0.1.5`).
fn node_ip(state: &ClusterState, node_key: &str) -> Option<String> {
    let n = state.nodes.get(&parse_node_id(node_key)?)?;
    n.addr
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_string())
}

/// What node `node_key` needs of the overlay networks.
pub fn overlay_view(state: &ClusterState, node_key: &str) -> OverlayView {
    let mut attachments = BTreeMap::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for (tid, atts) in &state.network_attachments {
        let Some(t) = state.tasks.get(tid) else {
            continue;
        };
        if t.node_id.as_deref() == Some(node_key) {
            used.extend(atts.iter().map(|a| a.network_id.as_str()));
            attachments.insert(tid.clone(), atts.clone());
        }
    }
    let networks = used
        .into_iter()
        .filter_map(|nid| state.networks.get(nid))
        .map(|net| {
            let mut endpoints = Vec::new();
            for (tid, atts) in &state.network_attachments {
                let Some(t) = state.tasks.get(tid) else {
                    continue;
                };
                let Some(ip) = t.node_id.as_deref().and_then(|k| node_ip(state, k)) else {
                    continue;
                };
                for a in atts.iter().filter(|a| a.network_id == net.id) {
                    endpoints.push(Endpoint {
                        task_id: tid.clone(),
                        service_id: t.service_id.clone(),
                        addr: a.addr.clone(),
                        node_ip: ip.clone(),
                        running: t.status.state == TaskState::Running
                            && t.desired_state == TaskState::Running,
                    });
                }
            }
            let services = state
                .services
                .values()
                .filter_map(|s| {
                    let cfg = s.spec.task.networks.iter().find(|n| n.target == net.id)?;
                    Some(ServiceRecord {
                        service_id: s.id.clone(),
                        name: s.spec.name.clone(),
                        aliases: cfg.aliases.clone(),
                        vip: state
                            .service_vips
                            .get(&s.id)
                            .and_then(|v| v.iter().find(|v| v.network_id == net.id))
                            .map(|v| v.addr.clone()),
                    })
                })
                .collect();
            NodeNetwork {
                id: net.id.clone(),
                name: net.spec.name.clone(),
                vni: net.vni,
                internal: net.spec.internal,
                ipam: net.spec.ipam.clone(),
                endpoints,
                services,
            }
        })
        .collect();
    OverlayView {
        networks,
        attachments,
    }
}
