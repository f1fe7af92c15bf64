//! The route table of the swarmd HTTP API: every route's method, path pattern, request body
//! and answer, in one place (pure).
//!
//! The manager's axum routers mount [`Route::pattern`] (axum's `:param` syntax); the client
//! fills the parameters with [`Route::path`] (percent-encoded) and, through
//! [`crate::client::Client::send`], can only send the body the route takes and decode the answer
//! it gives. The typed verbs over it are in [`crate::control_client`]. A route string exists
//! here once; a typo is a compile error instead of a 404 at run time.
//!
//! The Raft routes carry openraft's types, which this crate does not know: their bodies are
//! [`OpenRaft`], and callers post the openraft types to [`Route::pattern`].

use std::fmt;
use std::marker::PhantomData;

use crate::admin::{
    AdminCertRecord, AdminCertRequest, AdminCertResponse, RevokeAdminCertRequest,
    RevokeAdminCertResponse,
};
use crate::config::{Config, ConfigSpec};
use crate::control::{
    DataKeyResponse, ForceRequest, HeartbeatRequest, HeartbeatResponse, InfoResponse, JoinRequest,
    JoinResponse, JoinTokenRequest, JoinTokenResponse, UpdateNodeRequest,
};
use crate::dispatch::{SyncRequest, SyncResponse};
use crate::network::NetworkSpec;
use crate::network_api::{NetworkView, PruneResponse};
use crate::node::NodeView;
use crate::secret::{Secret, SecretSpec, UpdateLabelsRequest};
use crate::service::{Service, ServiceSpec};
use crate::service_api::{LogStream, ServiceListEntry, TaskLogLine, UpdateServiceRequest};
use crate::swarm_lock::{SwarmUpdateRequest, UnlockKeyRequest, UnlockKeyResponse, UnlockRequest};
use crate::task::Task;

/// The HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET`, no body.
    Get,
    /// `POST` with a JSON body.
    Post,
}

/// One route: method and path pattern, typed by the request body `Req` and the answer `Resp`.
pub struct Route<Req, Resp> {
    /// The method.
    pub verb: Verb,
    /// The path with `:name` parameters, as axum mounts it.
    pub pattern: &'static str,
    types: PhantomData<fn(Req) -> Resp>,
}

impl<Req, Resp> Route<Req, Resp> {
    const fn new(verb: Verb, pattern: &'static str) -> Self {
        Route {
            verb,
            pattern,
            types: PhantomData,
        }
    }

    /// The path with each `:name` segment replaced, in order, by the percent-encoded `params`.
    ///
    /// Panics when the number of parameters does not match the pattern (a programming error).
    pub fn path(&self, params: &[&str]) -> String {
        let mut given = params.iter();
        let mut out = String::with_capacity(self.pattern.len() + 16);
        for seg in self.pattern.split('/').skip(1) {
            out.push('/');
            if seg.starts_with(':') {
                let value = given
                    .next()
                    .unwrap_or_else(|| panic!("{} wants more parameters", self.pattern));
                out.push_str(&encode(value));
            } else {
                out.push_str(seg);
            }
        }
        assert!(
            given.next().is_none(),
            "{} takes {} parameters",
            self.pattern,
            self.pattern.matches("/:").count()
        );
        out
    }
}

impl<Req, Resp> fmt::Debug for Route<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}", self.verb, self.pattern)
    }
}

const fn get<Resp>(pattern: &'static str) -> Route<(), Resp> {
    Route::new(Verb::Get, pattern)
}

const fn post<Req, Resp>(pattern: &'static str) -> Route<Req, Resp> {
    Route::new(Verb::Post, pattern)
}

/// Percent-encodes a path segment (a node or service id, prefix or name).
pub fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path` with `?tail=N` when a tail is given (the log routes).
pub fn with_tail(path: String, tail: Option<usize>) -> String {
    match tail {
        Some(n) => format!("{path}?tail={n}"),
        None => path,
    }
}

// Cluster and nodes (control API; managers, admins and the local socket).

/// `GET /v1/info`: this node and the cluster.
pub const INFO: Route<(), InfoResponse> = get("/v1/info");
/// `GET /v1/nodes`.
pub const NODES: Route<(), Vec<NodeView>> = get("/v1/nodes");
/// `GET /v1/nodes/KEY` (id, unique id prefix or host name).
pub const NODE: Route<(), NodeView> = get("/v1/nodes/:key");
/// `POST /v1/nodes/KEY/update`: availability, labels.
pub const NODE_UPDATE: Route<UpdateNodeRequest, NodeView> = post("/v1/nodes/:key/update");
/// `POST /v1/nodes/KEY/promote`.
pub const NODE_PROMOTE: Route<(), NodeView> = post("/v1/nodes/:key/promote");
/// `POST /v1/nodes/KEY/demote`.
pub const NODE_DEMOTE: Route<(), NodeView> = post("/v1/nodes/:key/demote");
/// `POST /v1/nodes/KEY/rm`.
pub const NODE_RM: Route<ForceRequest, ()> = post("/v1/nodes/:key/rm");
/// `POST /v1/join-token`: show or rotate a role's token.
pub const JOIN_TOKEN: Route<JoinTokenRequest, JoinTokenResponse> = post("/v1/join-token");
/// `POST /v1/leave`: this node leaves the cluster.
pub const LEAVE: Route<ForceRequest, ()> = post("/v1/leave");

// Services (control API, managers only).

/// `GET /v1/services`.
pub const SERVICES: Route<(), Vec<ServiceListEntry>> = get("/v1/services");
/// `POST /v1/services`.
pub const SERVICE_CREATE: Route<ServiceSpec, Service> = post("/v1/services");
/// `GET /v1/services/KEY` (id, unique id prefix or name).
pub const SERVICE: Route<(), Service> = get("/v1/services/:key");
/// `POST /v1/services/KEY/update` with the version read.
pub const SERVICE_UPDATE: Route<UpdateServiceRequest, Service> = post("/v1/services/:key/update");
/// `POST /v1/services/KEY/rollback`.
pub const SERVICE_ROLLBACK: Route<(), Service> = post("/v1/services/:key/rollback");
/// `POST /v1/services/KEY/rm`.
pub const SERVICE_RM: Route<(), ()> = post("/v1/services/:key/rm");
/// `GET /v1/services/KEY/tasks` (history included).
pub const SERVICE_TASKS: Route<(), Vec<Task>> = get("/v1/services/:key/tasks");
/// `GET /v1/services/KEY/logs[?tail=N]`.
pub const SERVICE_LOGS: Route<(), Vec<TaskLogLine>> = get("/v1/services/:key/logs");
/// `GET /v1/services/KEY/logs/stream?follow=..`: the tasks' output as it comes, from every node
/// (see [`crate::service_api::LogStreamQuery`]).
pub const SERVICE_LOG_STREAM: Route<(), LogStream> = get("/v1/services/:key/logs/stream");

// Networks (control API, managers only).

/// `GET /v1/networks`.
pub const NETWORKS: Route<(), Vec<NetworkView>> = get("/v1/networks");
/// `POST /v1/networks`: create one (the state machine assigns subnet and VNI).
pub const NETWORK_CREATE: Route<NetworkSpec, NetworkView> = post("/v1/networks");
/// `POST /v1/networks/prune`: remove every network no service uses.
pub const NETWORK_PRUNE: Route<(), PruneResponse> = post("/v1/networks/prune");
/// `GET /v1/networks/KEY` (id, unique id prefix or name).
pub const NETWORK: Route<(), NetworkView> = get("/v1/networks/:key");
/// `POST /v1/networks/KEY/rm` (refused while a service uses it).
pub const NETWORK_RM: Route<(), ()> = post("/v1/networks/:key/rm");

// Secrets and configs (control API, managers only).

/// `GET /v1/secrets` (never with values).
pub const SECRETS: Route<(), Vec<Secret>> = get("/v1/secrets");
/// `POST /v1/secrets`: create one (the value is sealed before it enters the log).
pub const SECRET_CREATE: Route<SecretSpec, Secret> = post("/v1/secrets");
/// `GET /v1/secrets/KEY` (id, unique id prefix or name; never with the value).
pub const SECRET: Route<(), Secret> = get("/v1/secrets/:key");
/// `POST /v1/secrets/KEY/update`: labels only.
pub const SECRET_UPDATE: Route<UpdateLabelsRequest, Secret> = post("/v1/secrets/:key/update");
/// `POST /v1/secrets/KEY/rm` (refused while a service uses it).
pub const SECRET_RM: Route<(), ()> = post("/v1/secrets/:key/rm");
/// `GET /v1/configs`.
pub const CONFIGS: Route<(), Vec<Config>> = get("/v1/configs");
/// `POST /v1/configs`.
pub const CONFIG_CREATE: Route<ConfigSpec, Config> = post("/v1/configs");
/// `GET /v1/configs/KEY` (id, unique id prefix or name; with the data, as docker).
pub const CONFIG: Route<(), Config> = get("/v1/configs/:key");
/// `POST /v1/configs/KEY/update`: labels only.
pub const CONFIG_UPDATE: Route<UpdateLabelsRequest, Config> = post("/v1/configs/:key/update");
/// `POST /v1/configs/KEY/rm` (refused while a service uses it).
pub const CONFIG_RM: Route<(), ()> = post("/v1/configs/:key/rm");

// Swarm autolock.

/// `POST /v1/swarm/update`: `--autolock=true|false`; answers the new unlock key when turned on.
pub const SWARM_UPDATE: Route<SwarmUpdateRequest, UnlockKeyResponse> = post("/v1/swarm/update");
/// `POST /v1/swarm/unlock-key`: show (or rotate, then show) the unlock key.
pub const SWARM_UNLOCK_KEY: Route<UnlockKeyRequest, UnlockKeyResponse> =
    post("/v1/swarm/unlock-key");
/// `POST /v1/swarm/unlock` (local socket): unlock a restarted manager.
pub const SWARM_UNLOCK: Route<UnlockRequest, ()> = post("/v1/swarm/unlock");

// Admin certificates (local socket only).

/// `POST /v1/admin/cert`: sign an admin CSR.
pub const ADMIN_CERT: Route<AdminCertRequest, AdminCertResponse> = post("/v1/admin/cert");
/// `GET /v1/admin/certs`.
pub const ADMIN_CERTS: Route<(), Vec<AdminCertRecord>> = get("/v1/admin/certs");
/// `POST /v1/admin/certs/revoke`.
pub const ADMIN_REVOKE: Route<RevokeAdminCertRequest, RevokeAdminCertResponse> =
    post("/v1/admin/certs/revoke");

// Node endpoints (node certificates only).

/// `POST /v1/join` (a pinned-CA client with a join token).
pub const JOIN: Route<JoinRequest, JoinResponse> = post("/v1/join");
/// `POST /v1/join/voter`: a joined manager asks to become a Raft voter.
pub const JOIN_VOTER: Route<(), ()> = post("/v1/join/voter");
/// `POST /v1/heartbeat`.
pub const HEARTBEAT: Route<HeartbeatRequest, HeartbeatResponse> = post("/v1/heartbeat");
/// `POST /v1/node/data-key`: a manager without the cluster data key (promoted from worker)
/// fetches it with its manager certificate.
pub const DATA_KEY: Route<(), DataKeyResponse> = post("/v1/node/data-key");
/// `POST /v1/self/leave`: a worker asks a manager to remove it.
pub const SELF_LEAVE: Route<ForceRequest, ()> = post("/v1/self/leave");
/// `POST /v1/dispatcher/sync`: the agent protocol (see [`crate::dispatch`]).
pub const DISPATCHER_SYNC: Route<SyncRequest, SyncResponse> = post("/v1/dispatcher/sync");
/// `GET /v1/agent/tasks/ID/logs[?tail=N]`: a task's output, on the node that runs it.
pub const AGENT_TASK_LOGS: Route<(), Vec<TaskLogLine>> = get("/v1/agent/tasks/:id/logs");
/// `GET /v1/agent/tasks/ID/logs/stream?follow=..`: a task's output as it comes, on its node.
pub const AGENT_TASK_LOG_STREAM: Route<(), LogStream> = get("/v1/agent/tasks/:id/logs/stream");

// Raft between managers: the bodies are openraft's types, which this crate does not know.

/// Stands for an openraft body in the Raft routes (call them with `Client::post` and the
/// openraft types).
#[derive(Debug)]
pub enum OpenRaft {}

/// `POST /raft/append`: AppendEntries.
pub const RAFT_APPEND: Route<OpenRaft, OpenRaft> = post("/raft/append");
/// `POST /raft/vote`: RequestVote.
pub const RAFT_VOTE: Route<OpenRaft, OpenRaft> = post("/raft/vote");
/// `POST /raft/snapshot`: InstallSnapshot.
pub const RAFT_SNAPSHOT: Route<OpenRaft, OpenRaft> = post("/raft/snapshot");
/// `POST /raft/write`: a write forwarded to the leader.
pub const RAFT_WRITE: Route<OpenRaft, OpenRaft> = post("/raft/write");
/// `POST /raft/read-index`: the leader's read index for a follower's linearizable read.
pub const RAFT_READ_INDEX: Route<OpenRaft, OpenRaft> = post("/raft/read-index");
/// `POST /raft/membership`: a membership change forwarded to the leader.
pub const RAFT_MEMBERSHIP: Route<OpenRaft, OpenRaft> = post("/raft/membership");
/// `POST /raft/heartbeat`: a heartbeat forwarded to the leader.
pub const RAFT_HEARTBEAT: Route<OpenRaft, OpenRaft> = post("/raft/heartbeat");

/// `GET /v1/events?since=&until=&types=&actions=`: the cluster's events as NDJSON (issue 21).
pub const EVENTS: Route<(), crate::event::Event> = get(crate::event::EVENTS_PATH);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_parameters_percent_encoded() {
        assert_eq!(NODE.path(&["m1"]), "/v1/nodes/m1");
        assert_eq!(NODE_RM.path(&["a b"]), "/v1/nodes/a%20b/rm");
        assert_eq!(SERVICE_UPDATE.path(&["web"]), "/v1/services/web/update");
        assert_eq!(
            with_tail(SERVICE_LOGS.path(&["web"]), Some(5)),
            "/v1/services/web/logs?tail=5"
        );
        assert_eq!(SERVICE.path(&["../x"]), "/v1/services/..%2Fx");
        assert_eq!(SERVICES.path(&[]), "/v1/services");
        assert_eq!(with_tail(INFO.path(&[]), None), "/v1/info");
    }

    #[test]
    #[should_panic(expected = "wants more parameters")]
    fn a_missing_parameter_is_a_bug() {
        NODE.path(&[]);
    }

    #[test]
    #[should_panic(expected = "takes 0 parameters")]
    fn an_extra_parameter_is_a_bug() {
        INFO.path(&["x"]);
    }
}
