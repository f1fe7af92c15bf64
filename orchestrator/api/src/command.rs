//! Commands replicated through Raft and the results of applying them.
//!
//! Each variant is one atomic change of the cluster state. Applying is deterministic and pure
//! (see `swarm-store`); new kinds of objects add variants here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterInfo;
use crate::dispatch::{NodeDescription, TaskReport};
use crate::node::{Availability, Node, NodeId, NodeStatus, Role};
use crate::service::{Service, UpdateStatus};
use crate::task::{Task, TaskState};

/// A change of the replicated cluster state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A worker left (`swarmd leave`): it is Down for good. As in Docker, a node that left never
    /// comes back under its id (it joins again as a new node), so no later heartbeat, however
    /// late it reaches the leader, can make it Ready; `node rm` removes it.
    NodeLeft {
        /// The node that left.
        id: NodeId,
    },
    /// Replaces the secret of one join token; the old token stops working at once.
    RotateToken {
        /// Which token.
        role: Role,
        /// The new secret.
        secret: Secret,
    },
    /// Stores what a node's agent reports about its engine.
    SetNodeDescription {
        /// The node.
        #[serde(with = "crate::node::hex_id")]
        id: NodeId,
        /// Capacity and engine labels.
        description: NodeDescription,
    },
    /// Creates a service. Refused when the id or the name is taken.
    CreateService {
        /// The new service (version 1).
        service: Service,
    },
    /// Replaces a service (spec, previous spec, version, update status) if its stored version
    /// is still `expected_version` (optimistic concurrency).
    UpdateService {
        /// The new service record.
        service: Service,
        /// The version the change was computed from.
        expected_version: u64,
    },
    /// Removes a service; its tasks get desired state SHUTDOWN and are deleted by the
    /// leader once they stopped.
    RemoveService {
        /// The service id.
        id: String,
    },
    /// Stores the update status of a service (the rolling updater's progress).
    SetUpdateStatus {
        /// The service id.
        service_id: String,
        /// The new status.
        status: UpdateStatus,
    },
    /// The updater's automatic rollback: the previous spec becomes current (and is cleared),
    /// the version is bumped and `status` stored.
    RollbackService {
        /// The service id.
        service_id: String,
        /// Normally rollback_started with the reason.
        status: UpdateStatus,
    },
    /// Adds new tasks (an existing id is skipped).
    CreateTasks {
        /// The tasks.
        tasks: Vec<Task>,
    },
    /// The scheduler's decisions: assignments (task → node, state ASSIGNED) and pending reasons.
    /// A task that is gone, already assigned or no longer desired to run is skipped.
    Schedule {
        /// When the decisions were made, Unix milliseconds (the status timestamp).
        at_ms: u64,
        /// `(task id, node id)`.
        assigned: Vec<(String, String)>,
        /// `(task id, reason)`: state PENDING with the reason as its message.
        pending: Vec<(String, String)>,
    },
    /// Sets the desired state of tasks (SHUTDOWN to stop them, COMPLETE to retire them). The
    /// desired state never moves backwards.
    SetDesiredState {
        /// When, Unix milliseconds.
        at_ms: u64,
        /// The tasks.
        task_ids: Vec<String>,
        /// The new desired state.
        state: TaskState,
    },
    /// Status changes observed by a node's agent. Only tasks assigned to that node change, and
    /// only forward (a stale or duplicate report is ignored).
    ReportTaskStatus {
        /// The reporting node.
        #[serde(with = "crate::node::hex_id")]
        node_id: NodeId,
        /// The changes, oldest first.
        reports: Vec<TaskReport>,
    },
    /// Removes tasks from the store (history trimming, removed services).
    DeleteTasks {
        /// The task ids.
        ids: Vec<String>,
    },
    /// Records an admin certificate a manager signed.
    AdminCertIssued {
        /// The certificate.
        record: crate::admin::AdminCertRecord,
    },
    /// Revokes admin certificates by serial number.
    RevokeAdminCerts {
        /// Their serials.
        serials: Vec<String>,
    },
    /// Creates an overlay network. The state machine fills in what is missing (a free
    /// default subnet, the VNI) so concurrent creates never collide.
    CreateNetwork {
        /// The network (its `vni` and missing subnets are assigned on apply).
        network: crate::network::Network,
    },
    /// Removes a network; refused while a service uses it.
    RemoveNetwork {
        /// The network id.
        id: String,
    },
    /// Creates a secret with its sealed value. Refused when the name is taken.
    CreateSecret {
        /// The secret (version 1, spec without data).
        secret: crate::secret::Secret,
        /// Its value, encrypted with the cluster data key.
        sealed: crate::secret::Sealed,
    },
    /// Replaces a secret's labels (the value is immutable).
    UpdateSecretLabels {
        /// The secret id.
        id: String,
        /// The version the change was made from.
        expected_version: u64,
        /// The new labels.
        labels: BTreeMap<String, String>,
        /// When, Unix milliseconds.
        at_ms: u64,
    },
    /// Removes a secret; refused while a service references it.
    RemoveSecret {
        /// The secret id.
        id: String,
    },
    /// Creates a config. Refused when the name is taken.
    CreateConfig {
        /// The config (version 1).
        config: crate::config::Config,
    },
    /// Replaces a config's labels (the data is immutable).
    UpdateConfigLabels {
        /// The config id.
        id: String,
        /// The version the change was made from.
        expected_version: u64,
        /// The new labels.
        labels: BTreeMap<String, String>,
        /// When, Unix milliseconds.
        at_ms: u64,
    },
    /// Removes a config; refused while a service references it.
    RemoveConfig {
        /// The config id.
        id: String,
    },
    /// Turns autolock on (or rotates its key) with `Some`, off with `None`.
    SetAutolock {
        /// The wrapped keys.
        lock: Option<crate::swarm_lock::LockInfo>,
    },
    /// Several commands applied in order in one log entry (one reconciliation step). Every
    /// command is applied even if an earlier one was refused; the first refusal is returned.
    Batch {
        /// The commands.
        commands: Vec<Command>,
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
    /// A node that left cannot be marked Ready again.
    #[error("node {} left the swarm; it joins again as a new node", crate::node::format_node_id(*id))]
    NodeLeft {
        /// The node that left.
        id: NodeId,
    },
    /// A node with this id exists already.
    #[error("node {} already exists", crate::node::format_node_id(*id))]
    NodeExists {
        /// The duplicate id.
        id: NodeId,
    },
    /// No admin certificate with this serial.
    #[error("no admin certificate with serial {serial}")]
    AdminCertNotFound {
        /// The serial asked for.
        serial: String,
    },
    /// No service with this id.
    #[error("service {id} not found")]
    ServiceNotFound {
        /// The missing id.
        id: String,
    },
    /// A service with this name (or id) exists already.
    #[error("a service named {name} already exists; choose another --name or update it with `service update`")]
    ServiceExists {
        /// The taken name.
        name: String,
    },
    /// The service changed since the client read it.
    #[error("service {name} was changed by someone else (version {actual}, the change was made from version {expected}); read it again and retry")]
    VersionMismatch {
        /// The service name.
        name: String,
        /// The version the change was made from.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// A network with this name (or id) exists already.
    #[error("a network named {name} already exists; choose another name")]
    NetworkExists {
        /// The taken name.
        name: String,
    },
    /// No network with this id.
    #[error("network {id} not found")]
    NetworkNotFound {
        /// The missing id.
        id: String,
    },
    /// The network is used by services.
    #[error("network {name} is in use by service(s) {}; remove them or `service update --network-rm {name}` first", services.join(", "))]
    NetworkInUse {
        /// The network's name.
        name: String,
        /// The services that use it.
        services: Vec<String>,
    },
    /// A subnet overlaps another network's, or none is free.
    #[error("{message}")]
    NetworkSubnet {
        /// What is wrong, naming the subnet and the other network.
        message: String,
    },
    /// A secret or config with this name (or id) exists already.
    #[error("a {kind} named {name} already exists; choose another name ({kind}s cannot be changed: a new value needs a new name)")]
    FileObjectExists {
        /// `secret` or `config`.
        kind: String,
        /// The taken name.
        name: String,
    },
    /// No secret or config with this id or name.
    #[error("{kind} {name} not found; create it first with `{kind} create {name} FILE`")]
    FileObjectNotFound {
        /// `secret` or `config`.
        kind: String,
        /// The missing id or name.
        name: String,
    },
    /// The secret or config is referenced by services.
    #[error("{kind} {name} is in use by service(s) {}; remove them or `service update --{kind}-rm {name}` first", services.join(", "))]
    FileObjectInUse {
        /// `secret` or `config`.
        kind: String,
        /// Its name.
        name: String,
        /// The services that reference it.
        services: Vec<String>,
    },
    /// The object changed since the client read it.
    #[error("{kind} {name} was changed by someone else (version {actual}, the change was made from version {expected}); read it again and retry")]
    FileObjectVersion {
        /// `secret` or `config`.
        kind: String,
        /// Its name.
        name: String,
        /// The version the change was made from.
        expected: u64,
        /// The stored version.
        actual: u64,
    },
    /// A rollback was asked but there is no previous spec.
    #[error("service {name} has no previous spec to roll back to")]
    NoPreviousSpec {
        /// The service name.
        name: String,
    },
}

/// The result of applying one log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CommandResponse {
    /// `None` if applied, otherwise why not.
    pub error: Option<ApplyError>,
    /// The log index the command was committed at, set by the leader when it answers a
    /// forwarded write, so the follower can wait until it has applied it itself before it
    /// answers its client (a client reads its own writes on the manager it wrote through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}
