//! The swarmd node runtime: what one `swarmd` process is, composed from the manager and the
//! agent, as swarmkit's `node/node.go` composes its manager and agent.
//!
//! - [`daemon::Daemon`]: opens the state directory, starts Raft and the servers of the node
//!   (`swarm_manager`'s routes and the Docker-compatible API), the manager loops (orchestrator,
//!   Down monitor, key file, role changes), the session with the managers and the executor;
//!   stops them and, after a leave, wipes the state directory.
//! - [`session`]: the node's one session with the managers: each dispatcher sync is the node's
//!   heartbeat too, carries its task reports and brings back its assignments and the managers to
//!   fail over to (managers sync with themselves).
//! - [`executor_link`]: the task executor of the node (`swarm_agent`'s Docker worker), started
//!   when a Docker engine answers, and the handle the node API reads task logs through.
//!
//! Every node, worker or manager, runs the same composition; a worker's Raft stays outside the
//! membership (see `swarm_manager::node`), so its manager loops find nothing to do.

pub mod daemon;
pub mod executor_link;
pub mod session;
