//! The swarmd manager: Raft node, control API, orchestrators, dispatcher, certificate authority.
//!
//! Every swarmd process runs a [`node::Node`]: an openraft instance over the redb store and an
//! HTTP API served over mutual TLS ([`server`]) and on a local unix socket; the node runtime
//! (`swarm-node`) composes it with the session towards the managers and the task executor.
//! Managers are the Raft voters; workers run the same server but stay outside the membership.
//!
//! - [`bootstrap`]: `init` (root CA, first node, tokens), `join` (token → pinned CA → CSR →
//!   signed certificate → voter for managers), `--force-new-cluster`.
//! - [`raft_api`], [`node_api`], [`service_api`], [`join_api`], [`admin_api`]: the HTTP routes
//!   (paths in `swarm_api::routes`); [`auth`] decides
//!   who may call (nodes, admins with an admin certificate, the local socket).
//! - [`health`]: the load balancer's plain-HTTP health check.
//! - [`node::Node::write`]: writes go to the leader (forwarded) and fail fast with "no quorum";
//!   reads serve the last applied state, except the ones behind [`read_index`] (linearizable).
//! - [`quorum`] and [`liveness`]: pure quorum guards and Ready/Down decisions; [`heartbeats`]
//!   records the nodes' syncs as heartbeats on the leader and commits those decisions.
//!
//! Limits: certificates are not renewed or revoked (a removed node is refused because it is no
//! longer in the state); a node whose role changes signs itself a certificate for the new role
//! ([`promotion`]) but presents it only after a restart (the state's role decides the checks).

pub mod admin_api;
pub mod agent_handle;
pub mod auth;
pub mod bootstrap;
pub mod ca;
pub mod data_key;
pub mod dispatcher;
pub mod error;
pub mod events_api;
pub mod extract;
pub mod file_delivery;
pub mod health;
pub mod heartbeats;
pub mod join_api;
pub mod keyring;
pub mod liveness;
pub mod lock_api;
pub mod log_stream;
pub mod mesh_table;
pub mod metrics;
pub mod network;
pub mod network_api;
pub mod network_view;
pub mod node;
pub mod node_api;
pub mod orchestrator;
pub mod ports;
pub mod promotion;
pub mod quorum;
pub mod raft_api;
pub mod random;
pub mod read_index;
pub mod router;
pub mod secret_api;
pub mod server;
pub mod service_api;
pub mod settings;
pub mod state_dir;
pub mod tick;

pub use error::ManagerError;
