//! Test support for the swarmd crates (a dev-dependency only): fixtures built in one place
//! instead of by hand in every test, and the test images built once per test process.
//!
//! - [`cluster_info()`]: an initialised cluster's record.
//! - [`node()`]: a node as a fresh join leaves it.
//! - [`task()`]: a task of a service as the orchestrators create it, ready to be adjusted.
//! - [`service()`]: a service as the managers store a new one.
//! - [`unique()`]: a name no concurrent test uses.
//! - [`http::get_ok`]: `GET /` on the test server until it answers.
//! - [`images`]: `swarm-test/*` images (the `swarm-testimg` server under several tags and
//!   flags), built once per process on the local Docker daemon.
//!
//! Limits: the in-memory cluster of the reconcile tests (`reconcile/tests/common`) stays with
//! them for now; it applies through the real `ClusterState::apply` already.

pub mod cluster;
pub mod http;
pub mod images;
pub mod node;
pub mod service;
pub mod task;
pub mod unique;

pub use cluster::cluster_info;
pub use node::node;
pub use service::service;
pub use task::{pending, reserving, task};
pub use unique::unique;
