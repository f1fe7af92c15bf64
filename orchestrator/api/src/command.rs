//! Commands replicated through Raft and the results of applying them.
//!
//! Each variant is one atomic change of the cluster state. Applying is deterministic and pure
//! (see `swarm-store`); new kinds of objects add variants here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterInfo;
use crate::node::{Availability, Node, NodeId, NodeStatus, Role};

/// A change of the replicated cluster state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Creates the cluster with its first manager. Only valid on an empty state.
    InitCluster {
        /// CA and token secrets.
        cluster: ClusterInfo,
        /// The first manager.
        node: Node,
    },
    /// Adds a node that joined with a valid token.
    AddNode {
        /// The new node.
        node: Node,
    },
    /// Removes a node from the state.
    RemoveNode {
        /// Node to remove.
        id: NodeId,
    },
    /// Changes a node's availability and labels.
    UpdateNode {
        /// Node to change.
        id: NodeId,
        /// New availability, if any.
        availability: Option<Availability>,
        /// Labels to add or overwrite.
        label_add: BTreeMap<String, String>,
        /// Label keys to remove.
        label_rm: Vec<String>,
    },
    /// Changes a node's role (promote/demote), after the Raft membership was changed.
    SetRole {
        /// Node to change.
        id: NodeId,
        /// Its new role.
        role: Role,
    },
    /// Records a liveness change judged by the leader from heartbeats.
    SetStatus {
        /// Node whose status changed.
        id: NodeId,
        /// Its new status.
        status: NodeStatus,
    },
    /// Replaces the secret of one join token; the old token stops working at once.
    RotateToken {
        /// Which token.
        role: Role,
        /// The new secret.
        secret: Secret,
    },
}

/// A secret string (token secret) whose `Debug` is redacted, so log lines of Raft entries
/// never show it. Serialized as a plain string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a command was rejected by the state machine (deterministically, on every replica).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ApplyError {
    /// The cluster was already initialised.
    #[error("the cluster is already initialised")]
    AlreadyInitialised,
    /// The cluster is not initialised yet.
    #[error("the cluster is not initialised")]
    NotInitialised,
    /// No node with this id.
    #[error("node {} not found", crate::node::format_node_id(*id))]
    NodeNotFound {
        /// The missing id.
        id: NodeId,
    },
    /// A node with this id exists already.
    #[error("node {} already exists", crate::node::format_node_id(*id))]
    NodeExists {
        /// The duplicate id.
        id: NodeId,
    },
}

/// The result of applying one log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CommandResponse {
    /// `None` if applied, otherwise why not.
    pub error: Option<ApplyError>,
}
