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

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::network::{Attachment, IpamConfig, Network, NetworkSpec};
    use swarm_api::node::{Availability, Node, NodeStatus, Role};
    use swarm_api::task::Task;

    fn node(id: u64, addr: &str) -> Node {
        Node {
            id,
            hostname: format!("h{id}"),
            addr: addr.into(),
            role: Role::Worker,
            availability: Availability::Active,
            status: NodeStatus::Ready,
            labels: Default::default(),
            description: Default::default(),
        }
    }

    fn task(id: &str, node: u64, state: TaskState) -> Task {
        let mut t = swarm_testkit::task(id, "s", "", state);
        t.node_id = Some(format_node_id(node));
        t
    }

    use swarm_api::node::format_node_id;

    #[test]
    fn a_node_sees_the_networks_of_its_tasks_with_every_peer() {
        let mut s = ClusterState::default();
        s.nodes.insert(1, node(1, "10.213.1.2:2377"));
        s.nodes.insert(2, node(2, "10.213.1.3:2377"));
        for (id, name, sub) in [("n1", "a", "10.0.1.0/24"), ("n2", "b", "10.0.2.0/24")] {
            s.networks.insert(
                id.into(),
                Network {
                    id: id.into(),
                    spec: NetworkSpec {
                        name: name.into(),
                        driver: "overlay".into(),
                        ipam: vec![IpamConfig {
                            subnet: sub.into(),
                            gateway: sub.replace(".0/24", ".1"),
                            ip_range: None,
                        }],
                        ..Default::default()
                    },
                    vni: 4097,
                    created_at_ms: 0,
                    cursors: vec![],
                },
            );
        }
        s.tasks
            .insert("t1".into(), task("t1", 1, TaskState::Running));
        s.tasks
            .insert("t2".into(), task("t2", 2, TaskState::Starting));
        s.tasks
            .insert("t3".into(), task("t3", 2, TaskState::Running));
        let att = |n: &str, a: &str| Attachment {
            network_id: n.into(),
            addr: a.into(),
        };
        s.network_attachments
            .insert("t1".into(), vec![att("n1", "10.0.1.3/24")]);
        s.network_attachments
            .insert("t2".into(), vec![att("n1", "10.0.1.4/24")]);
        s.network_attachments
            .insert("t3".into(), vec![att("n2", "10.0.2.3/24")]);
        let v = overlay_view(&s, &format_node_id(1));
        assert_eq!(v.networks.len(), 1, "only the network of node 1's task");
        assert_eq!(v.networks[0].id, "n1");
        assert_eq!(v.attachments.keys().collect::<Vec<_>>(), vec!["t1"]);
        let eps = &v.networks[0].endpoints;
        assert_eq!(eps.len(), 2);
        let t2 = eps.iter().find(|e| e.task_id == "t2").unwrap();
        assert_eq!(t2.node_ip, "10.213.1.3");
        assert!(!t2.running, "a starting task is not in rotation yet");
        assert!(eps.iter().find(|e| e.task_id == "t1").unwrap().running);
        let v2 = overlay_view(&s, &format_node_id(2));
        assert_eq!(v2.networks.len(), 2);
    }
}
