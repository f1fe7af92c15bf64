//! The swarmd worker agent: executors (Docker), routing mesh, status reports.
//!
//! Background: a Swarm-mode worker receives task assignments from the managers, runs each
//! as a container and reports the task's state back (ACCEPTED, PREPARING, STARTING, RUNNING,
//! then COMPLETE/FAILED/SHUTDOWN/REJECTED with the error).
//!
//! Design: the [`executor::Executor`] trait is the seam to the container runtime;
//! [`docker::DockerExecutor`] implements it on the Docker Engine API (bollard), with
//! [`container_config`] as the pure task → container translation. [`controller::run_task`]
//! drives one task through its states over any executor and streams [`controller::StatusUpdate`]s.
//!
//! [`proxy`] forwards one published port's connections round-robin over the service's
//! task addresses and [`mesh::Mesh`] keeps one such proxy per published port.
//!
//! [`worker::Worker`] owns the tasks of one node: it applies each dispatcher answer (tasks
//! to run, stop or remove, decided by the pure [`plan`]) and queues the status reports;
//! [`session::run_session`] is the sync loop with the managers over a
//! [`session::SyncTransport`].
//!
//! Overlay networks are wired by an [`overlay_hook::OverlayHook`] (the `swarm-overlay` crate)
//! after every answer. Secrets and configs are files on a tmpfs bind-mounted into the containers
//! ([`task_files`]). Limits: no health checks yet; images are pulled
//! without registry credentials.

pub mod container_config;
pub mod controller;
pub mod docker;
pub mod error;
pub mod executor;
pub mod labels;
pub mod mesh;
pub mod metrics;
pub mod overlay_hook;
pub mod plan;
pub mod proxy;
pub mod pull_cache;
pub mod session;
pub mod task_files;
pub mod udp_proxy;
pub mod worker;

pub use error::AgentError;
pub use executor::{ContainerState, Executor, LogLine, NodeContext, TaskContainer};
