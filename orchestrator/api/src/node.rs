//! Nodes: identity, role, availability, labels and reported status.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::resources::Resources;

/// A node's id: a random 64-bit number, also its Raft node id. Shown as 16 hex digits.
pub type NodeId = u64;

/// Formats a node id the way the CLI shows it.
pub fn format_node_id(id: NodeId) -> String {
    format!("{id:016x}")
}

/// Parses a node id as shown by [`format_node_id`] (a unique prefix is resolved by the caller).
pub fn parse_node_id(s: &str) -> Option<NodeId> {
    if s.len() != 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Serde helpers: a [`NodeId`] as its 16-hex-digit string.
pub mod hex_id {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as 16 hex digits.
    pub fn serialize<S: Serializer>(id: &super::NodeId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_node_id(*id))
    }

    /// Deserializes from 16 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<super::NodeId, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_node_id(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid node id {s:?}")))
    }
}

/// Serde helpers: an optional [`NodeId`] as 16 hex digits or null.
pub mod hex_id_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as 16 hex digits or null.
    pub fn serialize<S: Serializer>(id: &Option<super::NodeId>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.serialize_some(&super::format_node_id(*id)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes from 16 hex digits or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<super::NodeId>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse_node_id(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("invalid node id {s:?}"))),
        }
    }
}

/// Serde helpers: a list of [`NodeId`]s as 16-hex-digit strings.
pub mod hex_ids {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as a list of 16-hex-digit strings.
    pub fn serialize<S: Serializer>(ids: &[super::NodeId], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(ids.iter().map(|id| super::format_node_id(*id)))
    }

    /// Deserializes from a list of 16-hex-digit strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::NodeId>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                super::parse_node_id(s)
                    .ok_or_else(|| serde::de::Error::custom(format!("invalid node id {s:?}")))
            })
            .collect()
    }
}

/// What a node does in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A Raft voter that serves the control API.
    Manager,
    /// Runs tasks; talks to managers over the dispatcher only.
    Worker,
}

impl Role {
    /// `manager` or `worker`, as constraints and the CLI spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Worker => "worker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the scheduler may place tasks on a node (`docker node update --availability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// New tasks may be scheduled here.
    #[default]
    Active,
    /// Running tasks stay, no new ones.
    Pause,
    /// Tasks are moved elsewhere.
    Drain,
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Availability::Active => "Active",
            Availability::Pause => "Pause",
            Availability::Drain => "Drain",
        })
    }
}

impl std::str::FromStr for Availability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            _ => Err(format!(
                "invalid availability {s:?}: expected one of active, pause, drain"
            )),
        }
    }
}

/// Liveness as judged by the leader from heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    /// Heartbeats arrive in time.
    #[default]
    Ready,
    /// No heartbeat within the configured period.
    Down,
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeStatus::Ready => "Ready",
            NodeStatus::Down => "Down",
        })
    }
}

/// A member of the cluster as stored in the replicated state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id (also the Raft id); 16 hex digits on the wire.
    #[serde(with = "hex_id")]
    pub id: NodeId,
    /// Host name reported at join.
    pub hostname: String,
    /// Address (`ip:port`) other nodes reach this node's API at.
    pub addr: String,
    /// Manager or worker.
    pub role: Role,
    /// Scheduling availability.
    pub availability: Availability,
    /// Liveness from heartbeats.
    pub status: NodeStatus,
    /// User labels (`--label-add`).
    pub labels: BTreeMap<String, String>,
    /// Capacity and engine labels reported by the node's agent.
    #[serde(default)]
    pub description: NodeDescription,
}

/// How a manager looks from the Raft side, computed when answering (not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagerStatus {
    /// The current Raft leader.
    Leader,
    /// A voter whose heartbeats arrive.
    Reachable,
    /// A voter that is down.
    Unreachable,
}

impl fmt::Display for ManagerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ManagerStatus::Leader => "Leader",
            ManagerStatus::Reachable => "Reachable",
            ManagerStatus::Unreachable => "Unreachable",
        })
    }
}

/// A node as the control API reports it: the stored node plus its manager status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    /// The stored node.
    #[serde(flatten)]
    pub node: Node,
    /// Raft view for managers, `None` for workers.
    pub manager_status: Option<ManagerStatus>,
    /// Bumped by every change to the node (docker's `Version.Index`); 0 from a manager
    /// that keeps no node versions.
    #[serde(default)]
    pub version: u64,
}

/// What a node reports about its engine: capacity for reservations, engine labels for
/// `engine.labels.*` constraints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDescription {
    /// CPUs and memory of the node (Docker's `NCPU` and `MemTotal`).
    #[serde(default)]
    pub resources: Resources,
    /// Docker engine labels.
    #[serde(default)]
    pub engine_labels: BTreeMap<String, String>,
    /// Docker engine version, for `node inspect`.
    #[serde(default)]
    pub engine_version: String,
    /// OS and CPU architecture, for `node.platform.*` constraints.
    #[serde(default)]
    pub platform: Platform,
}

/// A node's platform as its engine reports it (Docker's `OSType` and `Architecture`), or one
/// an image is built for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// `linux`, ...
    #[serde(default)]
    pub os: String,
    /// `x86_64`, `aarch64`, ...
    #[serde(default)]
    pub architecture: String,
}
