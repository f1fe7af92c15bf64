//! Docker's view of the swarm, parsed into the bootstrap's types (pure): `docker node inspect`
//! into a [`NodeTable`] (addresses as `ip:2377`, as the bootstrap plans with), and `docker info`'s
//! swarm part into [`LocalSwarm`].

use serde::Deserialize;

use super::SWARM_PORT;
use crate::bootstrap::{ManagerStatus, NodeRole, NodeRow, NodeStatus, NodeTable};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Node {
    #[serde(rename = "ID")]
    id: String,
    spec: Spec,
    #[serde(default)]
    description: Description,
    status: Status,
    #[serde(default)]
    manager_status: Option<Manager>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Spec {
    role: String,
    availability: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Description {
    #[serde(default)]
    hostname: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status {
    state: String,
    #[serde(default)]
    addr: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Manager {
    #[serde(default)]
    leader: bool,
    #[serde(default)]
    reachability: String,
    #[serde(default)]
    addr: String,
}

/// The host part of `ip:port` (or the whole string).
fn ip_of(addr: &str) -> &str {
    addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr)
}

/// Parses `docker node inspect` of every node (a JSON array) into a table (pure). A manager's
/// address is its Raft address; a worker's is the one the managers see, with the swarm port.
pub fn parse_inspect(json: &str) -> Result<NodeTable, serde_json::Error> {
    let nodes: Vec<Node> = serde_json::from_str(json)?;
    Ok(NodeTable {
        nodes: nodes
            .into_iter()
            .map(|n| {
                let role = if n.spec.role == "manager" {
                    NodeRole::Manager
                } else {
                    NodeRole::Worker
                };
                let manager_status = n.manager_status.as_ref().map(|m| {
                    if m.leader {
                        ManagerStatus::Leader
                    } else if m.reachability == "reachable" {
                        ManagerStatus::Reachable
                    } else {
                        ManagerStatus::Unreachable
                    }
                });
                let ip = match &n.manager_status {
                    Some(m) if !m.addr.is_empty() => ip_of(&m.addr).to_string(),
                    _ => n.status.addr.clone(),
                };
                NodeRow {
                    id: n.id,
                    hostname: n.description.hostname,
                    addr: format!("{ip}:{SWARM_PORT}"),
                    role,
                    availability: n.spec.availability.to_ascii_lowercase(),
                    status: if n.status.state == "ready" {
                        NodeStatus::Ready
                    } else {
                        NodeStatus::Down
                    },
                    manager_status: if role == NodeRole::Manager {
                        manager_status
                    } else {
                        None
                    },
                }
            })
            .collect(),
    })
}

/// What an engine says of its own swarm membership (`docker info --format '{{json .Swarm}}'`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSwarm {
    /// `inactive`, `pending`, `active`, `error` or `locked`.
    pub local_node_state: String,
    /// Whether this node is a manager (serves the swarm API).
    #[serde(default)]
    pub control_available: bool,
    /// The node's id (empty when inactive).
    #[serde(rename = "NodeID", default)]
    pub node_id: String,
}

impl LocalSwarm {
    /// Parses `docker info --format '{{json .Swarm}}'` (pure).
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json.trim())
    }

    /// Whether the engine is part of a swarm (or trying to be).
    pub fn in_swarm(&self) -> bool {
        self.local_node_state != "inactive"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSPECT: &str = r#"[
      {"ID":"abc1","Spec":{"Labels":{},"Role":"manager","Availability":"active"},
       "Description":{"Hostname":"h1"},"Status":{"State":"ready","Addr":"0.0.0.0"},
       "ManagerStatus":{"Leader":true,"Reachability":"reachable","Addr":"10.213.1.10:2377"}},
      {"ID":"abc2","Spec":{"Role":"manager","Availability":"drain"},
       "Description":{"Hostname":"h2"},"Status":{"State":"down","Addr":"10.213.1.11"},
       "ManagerStatus":{"Reachability":"unreachable","Addr":"10.213.1.11:2377"}},
      {"ID":"abc3","Spec":{"Role":"worker","Availability":"active"},
       "Description":{"Hostname":"h3"},"Status":{"State":"ready","Addr":"10.213.1.12"}}
    ]"#;

    #[test]
    fn inspect_becomes_the_bootstrap_table() {
        let t = parse_inspect(INSPECT).unwrap();
        assert_eq!(t.nodes.len(), 3);
        let leader = t.leader().unwrap();
        assert_eq!(
            leader.addr, "10.213.1.10:2377",
            "the Raft address, not 0.0.0.0"
        );
        let m2 = t.by_addr("10.213.1.11:2377").unwrap();
        assert_eq!(m2.status, NodeStatus::Down);
        assert_eq!(m2.manager_status, Some(ManagerStatus::Unreachable));
        assert_eq!(m2.availability, "drain");
        assert!(!m2.is_voter());
        let w = t.by_addr("10.213.1.12:2377").unwrap();
        assert_eq!((w.role, w.manager_status), (NodeRole::Worker, None));
        assert_eq!(t.ready_count(), 2);
    }

    #[test]
    fn local_swarm_state() {
        let s = LocalSwarm::parse(
            r#"{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null}"#,
        )
        .unwrap();
        assert!(!s.in_swarm());
        let s = LocalSwarm::parse(
            r#"{"NodeID":"x1","LocalNodeState":"active","ControlAvailable":true}"#,
        )
        .unwrap();
        assert!(s.in_swarm() && s.control_available);
        assert!(LocalSwarm::parse("Cannot connect to the Docker daemon").is_err());
        assert!(parse_inspect("Error: This node is not a swarm manager.").is_err());
    }
}
