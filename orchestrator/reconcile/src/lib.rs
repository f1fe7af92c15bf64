//! Pure reconciliation logic of swarmd: what the managers must change so that a service's
//! tasks match its spec.
//!
//! Background: swarmkit runs several loops on the leader — the replicated orchestrator (keep
//! N slots), the global orchestrator (one task per eligible node), the restart supervisor
//! (restart policy on task exit), the task reaper (bounded task history) and the rolling
//! updater (replace tasks of an old spec in batches). Each of them keeps in-memory state
//! (restart histories, updater goroutines, timers), which is lost on a leader change.
//!
//! Design: [`reconcile()`] is one pure function of a read-only [`ClusterView`] (the service
//! with its update status, its tasks, the nodes and the current time) returning a [`Plan`]: a list
//! of [`Action`]s for the manager to apply through Raft and an optional wake-up time. It does
//! no I/O and reads no clock. Everything the loops remember in swarmkit is derived here from
//! stored tasks (slots, specs, states, timestamps) and the service's stored [`UpdateStatus`]
//! (`Service::update_status`), so a new leader calling `reconcile` continues exactly where
//! the old one stopped. The manager calls
//! it on every change of the service, its tasks or the nodes, and at `wake_at_ms`.
//!
//! Modules: [`view`] (input), [`action`] (output), [`commit`] (actions as store commands), [`slots`] (task grouping and
//! classification), [`restart`] (restart supervisor), [`replicated`], [`global`],
//! [`update`] (rolling updater), [`history`] (task history retention), [`rollback`] (spec
//! swaps for `service rollback`).
//!
//! Limits: no jobs modes, no per-task generic resources; failure counting and restart
//! windows use task timestamps instead of in-memory timers (see each module for the exact
//! differences from swarmkit).
//!
//! [`UpdateStatus`]: swarm_api::service::UpdateStatus

pub mod action;
pub mod commit;
pub mod error;
pub mod global;
pub mod history;
pub mod reconcile;
pub mod replicated;
pub mod restart;
pub mod rollback;
pub mod slots;
pub mod update;
pub mod view;

pub use action::{Action, Plan, Reason, SlotKey};
pub use error::ReconcileError;
pub use reconcile::reconcile;
pub use view::ClusterView;
