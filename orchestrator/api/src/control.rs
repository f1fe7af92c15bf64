//! Request and response bodies of the control API (`/v1/...`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::node::{Availability, NodeId, Role};

/// `POST /v1/join`: a node presents a join token and a CSR.
#[derive(Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The full join token. Secret.
    pub token: String,
    /// PEM certificate signing request for the node's key.
    pub csr_pem: String,
    /// The node's host name.
    pub hostname: String,
    /// Address (`ip:port`) others reach the node at.
    pub addr: String,
    /// Availability the node starts with (`swarm join --availability`).
    #[serde(default)]
    pub availability: crate::node::Availability,
    /// Labels the node starts with (`swarmd join --label`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinRequest")
            .field("token", &"<redacted>")
            .field("hostname", &self.hostname)
            .field("addr", &self.addr)
            .finish()
    }
}

/// Answer to a join: the node's identity and signed certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinResponse {
    /// Assigned node id.
    #[serde(with = "crate::node::hex_id")]
    pub node_id: NodeId,
    /// Role granted by the token.
    pub role: Role,
    /// Signed node certificate (PEM).
    pub cert_pem: String,
    /// The cluster root CA (PEM).
    pub ca_cert_pem: String,
    /// Known manager addresses.
    pub managers: Vec<String>,
    /// The cluster data key that seals secrets (managers only; sent over mTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_key: Option<crate::secret::SecretData>,
}

/// `POST /v1/node/data-key`: the cluster data key, for a manager that has none (a worker
/// promoted to manager). Given only to a caller whose certificate says manager and whom the
/// state lists as one, and only while autolock is off (under autolock the key exists only
/// wrapped by the unlock key, in the replicated state: the manager is unlocked with it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DataKeyResponse {
    /// The 32-byte key (sent over mutual TLS only).
    pub data_key: crate::secret::SecretData,
}

/// `POST /v1/nodes/{id}/update`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateNodeRequest {
    /// New availability.
    pub availability: Option<Availability>,
    /// Labels to add.
    pub label_add: BTreeMap<String, String>,
    /// Label keys to remove.
    pub label_rm: Vec<String>,
}

/// `POST /v1/nodes/{id}/rm` and `POST /v1/leave`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ForceRequest {
    /// Skip safety checks where allowed.
    pub force: bool,
}

/// `POST /v1/join-token`: show or rotate a token.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct JoinTokenRequest {
    /// Which token.
    pub role: Role,
    /// Rotate before showing.
    pub rotate: bool,
}

/// A join token as returned to an authorised client.
#[derive(Clone, Serialize, Deserialize)]
pub struct JoinTokenResponse {
    /// Which token.
    pub role: Role,
    /// The token. Secret.
    pub token: String,
    /// A manager address to join at.
    pub addr: String,
}

impl fmt::Debug for JoinTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinTokenResponse")
            .field("role", &self.role)
            .field("token", &"<redacted>")
            .field("addr", &self.addr)
            .finish()
    }
}

/// `POST /v1/heartbeat`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    /// Sender (must match its certificate).
    #[serde(with = "crate::node::hex_id")]
    pub node_id: NodeId,
}

/// Answer to a heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    /// The node's role in the state.
    pub role: Role,
    /// Manager addresses, to fail over to.
    pub managers: Vec<String>,
    /// Send the next heartbeat within this period.
    pub period_ms: u64,
}

/// `GET /v1/info`: this node's view of the cluster (for tests, scripts and `swarmd info`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InfoResponse {
    /// This node's id.
    #[serde(with = "crate::node::hex_id")]
    pub node_id: NodeId,
    /// This node's role.
    pub role: Role,
    /// Current Raft leader, if known.
    #[serde(with = "crate::node::hex_id_opt")]
    pub leader: Option<NodeId>,
    /// Current Raft term.
    pub term: u64,
    /// Index of the last applied log entry.
    pub last_applied: Option<u64>,
    /// Index of the last entry in the latest snapshot.
    pub snapshot: Option<u64>,
    /// Index up to which the log was purged (compacted).
    pub purged: Option<u64>,
    /// Raft voters.
    #[serde(with = "crate::node::hex_ids")]
    pub voters: Vec<NodeId>,
    /// Whether the leader has heard from a quorum recently (as far as this node knows).
    pub quorum: bool,
    /// The cluster's id (empty before the cluster is initialised).
    #[serde(default)]
    pub cluster_id: String,
    /// The unix socket of the Docker-compatible API on this node, if it serves one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_socket: Option<String>,
}
