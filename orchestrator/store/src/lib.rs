//! Raft log and state-machine storage for swarmd managers; `apply()` is pure over the api types.
//!
//! Design:
//! - [`state::ClusterState`] is the replicated state: one typed map per kind of object. Its
//!   [`state::ClusterState::apply`] is a pure function of a [`swarm_api::command::Command`]; new
//!   kinds (services, tasks, ...) add a map and command variants.
//! - [`log_store::LogStore`] and [`state_machine::StateMachine`] implement openraft 0.9's
//!   `RaftLogStorage` and `RaftStateMachine` on one redb database ([`db::Db`]). Log appends and the
//!   vote are committed with fsync; state-machine writes ride along with the next fsync (on restart
//!   openraft re-applies committed entries past the persisted `last_applied`).
//! - Snapshots are the serialized state; they let openraft purge the log (compaction).
//! - [`recover::force_new_cluster`] rewrites the stored membership to a single voter, for
//!   `swarmd init --force-new-cluster`.
//!
//! The storage passes openraft's own storage test suite (`tests/suite.rs`).

// openraft fixes the error type of its storage traits; boxing it would only add conversions.
#![allow(clippy::result_large_err)]

pub mod db;
pub mod error;
pub mod events;
pub mod file_objects;
pub mod find;
pub mod log_store;
pub mod metrics;
pub mod network_state;
pub mod recover;
pub mod secret_record;
pub mod state;
pub mod state_machine;
pub mod tasks;
pub mod types;

pub use db::Db;
pub use error::StoreError;
pub use log_store::LogStore;
pub use state_machine::{SharedState, StateMachine};
pub use types::TypeConfig;
