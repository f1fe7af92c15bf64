//! Wire types of the network routes (`/v1/networks/...`) and of the overlay part of the
//! dispatcher's answer to a node ([`OverlayView`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::network::{Attachment, IpamConfig, Network};

/// `network ls` / `network inspect`: a network and the services on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkView {
    /// The stored network.
    pub network: Network,
    /// Names of the services whose tasks join it.
    #[serde(default)]
    pub services: Vec<String>,
    /// Every address handed out on it: task or service name → address.
    #[serde(default)]
    pub endpoints: Vec<EndpointView>,
}

/// One address on a network as `network inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    /// A task's container name, or the service name for its virtual IP.
    pub name: String,
    /// `10.0.1.5/24`.
    pub addr: String,
    /// `task` or `vip`.
    pub kind: String,
}

/// The answer of `network prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneResponse {
    /// Names of the removed networks.
    pub removed: Vec<String>,
}

/// What a node needs to wire its tasks into their overlay networks and answer their DNS
/// questions: every network one of its tasks joins, with every address on it cluster-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayView {
    /// The networks this node's tasks use.
    #[serde(default)]
    pub networks: Vec<NodeNetwork>,
    /// This node's tasks' addresses, by task id.
    #[serde(default)]
    pub attachments: BTreeMap<String, Vec<Attachment>>,
}

/// One network as a node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeNetwork {
    /// The network id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The VXLAN id.
    pub vni: u32,
    /// No route out.
    pub internal: bool,
    /// Subnets and gateways.
    pub ipam: Vec<IpamConfig>,
    /// Every task address on the network.
    pub endpoints: Vec<Endpoint>,
    /// Every service on the network (DNS records).
    pub services: Vec<ServiceRecord>,
}

/// A task's address on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The task id.
    pub task_id: String,
    /// The task's service id.
    pub service_id: String,
    /// `10.0.1.5/24`.
    pub addr: String,
    /// The underlay IP of the task's node (the VXLAN peer).
    pub node_ip: String,
    /// The task is running (it is in DNS answers and VIP rotations).
    pub running: bool,
}

/// A service's names on a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// The service id.
    pub service_id: String,
    /// Its name.
    pub name: String,
    /// Its aliases on this network.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Its virtual IP on this network (vip mode), `10.0.1.2/24`.
    #[serde(default)]
    pub vip: Option<String>,
}
