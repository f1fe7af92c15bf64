//! Wire types of the swarmd orchestrator: nodes, services, tasks and their specs and states.
//!
//! Everything here is plain data (serde) plus the small HTTP client that speaks the manager's
//! control API over a local unix socket or over mutual TLS. The Raft state machine in
//! `swarm-store` applies [`command::Command`]s to these types; it never does I/O.

// Cluster membership and control plane (issue 5).
pub mod admin;
pub mod client;
pub mod cluster;
pub mod command;
pub mod control;
pub mod control_client;
pub mod error;
pub mod event;
pub mod node;
pub mod routes;
pub mod tls;
pub mod token;

// Services and tasks (issue 6).
pub mod constraint;
pub mod container_values;
pub mod dispatch;
pub mod dns_config;
mod kv;
pub mod label;
pub mod mount;
pub mod publish;
pub mod resources;
pub mod restart;
pub mod scale;
pub mod service;
pub mod service_api;
pub mod signal;
pub mod spec_error;
pub mod task;
pub mod update_policy;

// Overlay networks (issue 15).
pub mod network;
pub mod network_alloc;
pub mod network_api;

// Secrets and configs (issue 16).
pub mod config;
pub mod file_kind;
pub mod file_object;
pub mod file_ref;
pub mod healthcheck;
pub mod secret;
pub mod secret_client;
pub mod swarm_lock;
