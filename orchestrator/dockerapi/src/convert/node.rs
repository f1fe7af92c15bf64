//! Nodes: swarmd's `NodeView` as docker's `Node`, and docker's `NodeSpec` as the changes
//! swarmd's node routes make (availability, labels, role).

use std::collections::BTreeMap;

use bollard_stubs::models as d;
use swarm_api::control::UpdateNodeRequest;
use swarm_api::node::{format_node_id, ManagerStatus, NodeStatus, NodeView, Role};

use super::{labels_in, labels_out, same_name, version};
use crate::error::{DockerError, Result};

/// The host part of `host:port`.
pub fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h)
}

/// A node as docker's. `Version.Index` is the node's version in the store (bumped by every
/// change to it; `docker node update` sends it back); swarmd keeps no times per node, so they
/// are left out.
pub fn node_out(v: &NodeView) -> d::Node {
    let n = &v.node;
    let desc = &n.description;
    d::Node {
        id: Some(format_node_id(n.id)),
        version: version(v.version.max(1)),
        created_at: None,
        updated_at: None,
        spec: Some(d::NodeSpec {
            name: None,
            labels: labels_out(&n.labels),
            role: same_name(&n.role),
            availability: same_name(&n.availability),
        }),
        description: Some(d::NodeDescription {
            hostname: Some(n.hostname.clone()),
            platform: Some(d::Platform {
                architecture: Some(desc.platform.architecture.clone()),
                os: Some(desc.platform.os.clone()),
            }),
            resources: Some(d::ResourceObject {
                nano_cpus: Some(desc.resources.nano_cpus),
                memory_bytes: Some(desc.resources.memory_bytes),
                generic_resources: None,
            }),
            engine: Some(d::EngineDescription {
                engine_version: Some(desc.engine_version.clone()),
                labels: labels_out(&desc.engine_labels),
                plugins: None,
            }),
            tls_info: None,
        }),
        status: Some(d::NodeStatus {
            state: Some(match n.status {
                NodeStatus::Ready => d::NodeState::READY,
                NodeStatus::Down => d::NodeState::DOWN,
            }),
            message: None,
            addr: Some(host_of(&n.addr).to_string()),
        }),
        manager_status: v.manager_status.map(|m| d::ManagerStatus {
            leader: Some(m == ManagerStatus::Leader),
            reachability: Some(match m {
                ManagerStatus::Leader | ManagerStatus::Reachable => d::Reachability::REACHABLE,
                ManagerStatus::Unreachable => d::Reachability::UNREACHABLE,
            }),
            addr: Some(n.addr.clone()),
        }),
    }
}

/// What a docker node update asks for, against the node as it is.
#[derive(Debug, Clone)]
pub struct NodeChange {
    /// Availability and label changes (swarmd's `node update`).
    pub update: UpdateNodeRequest,
    /// A new role (`node promote` / `node demote`).
    pub role: Option<Role>,
}

/// Docker sends the whole new spec; swarmd takes the differences.
pub fn node_change(current: &NodeView, spec: &d::NodeSpec) -> Result<NodeChange> {
    if spec.name.as_deref().is_some_and(|n| !n.is_empty()) {
        return Err(DockerError::unsupported(
            "Spec.Name",
            &serde_json::json!(spec.name),
        ));
    }
    let n = &current.node;
    let want = labels_in(&spec.labels);
    let label_add: BTreeMap<String, String> = want
        .iter()
        .filter(|(k, v)| n.labels.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let label_rm: Vec<String> = n
        .labels
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    let availability = spec
        .availability
        .as_ref()
        .and_then(same_name)
        .filter(|a| *a != n.availability);
    let role = spec
        .role
        .as_ref()
        .and_then(same_name::<_, Role>)
        .filter(|r| *r != n.role);
    Ok(NodeChange {
        update: UpdateNodeRequest {
            availability,
            label_add,
            label_rm,
        },
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::node::{Availability, Node};

    fn view() -> NodeView {
        NodeView {
            version: 1,
            node: Node {
                id: 0xab,
                hostname: "w1".into(),
                addr: "127.0.0.1:4242".into(),
                role: Role::Worker,
                availability: Availability::Active,
                status: NodeStatus::Ready,
                labels: [("zone".to_string(), "a".to_string())].into(),
                description: Default::default(),
            },
            manager_status: None,
        }
    }

    #[test]
    fn a_node_in_dockers_shape() {
        let v = serde_json::to_value(node_out(&view())).unwrap();
        assert_eq!(v["ID"], "00000000000000ab");
        assert_eq!(v["Spec"]["Role"], "worker");
        assert_eq!(v["Spec"]["Availability"], "active");
        assert_eq!(v["Status"]["State"], "ready");
        assert_eq!(v["Status"]["Addr"], "127.0.0.1");
        assert_eq!(v["Description"]["Hostname"], "w1");
    }

    #[test]
    fn an_update_is_the_difference() {
        let mut spec = node_out(&view()).spec.unwrap();
        spec.labels = Some([("tier".to_string(), "x".to_string())].into());
        spec.role = Some(d::NodeSpecRoleEnum::MANAGER);
        spec.availability = Some(d::NodeSpecAvailabilityEnum::DRAIN);
        let c = node_change(&view(), &spec).unwrap();
        assert_eq!(c.role, Some(Role::Manager));
        assert_eq!(c.update.availability, Some(Availability::Drain));
        assert_eq!(
            c.update.label_add.get("tier").map(String::as_str),
            Some("x")
        );
        assert_eq!(c.update.label_rm, vec!["zone".to_string()]);
        let same = node_change(&view(), &node_out(&view()).spec.unwrap()).unwrap();
        assert_eq!(same.role, None);
        assert_eq!(same.update.availability, None);
        assert!(same.update.label_add.is_empty() && same.update.label_rm.is_empty());
    }
}
