//! The spread scheduler: a pure pipeline of filters and a ranking over a cluster snapshot.
//!
//! Background: swarmkit's scheduler runs every pending task through a filter pipeline (ready,
//! resources, constraints, host ports, max replicas) and ranks the surviving nodes by spread
//! (fewest tasks of the service, then fewest tasks overall), optionally spreading over label
//! values first (placement preferences). A task that fits nowhere stays pending and the
//! counts of rejections per filter explain why.
//!
//! Design: [`schedule`] is a pure function of a [`Snapshot`] (the scheduler's own node view,
//! built by the manager) and the pending tasks; it does no I/O and returns one [`Decision`]
//! per task. Tasks are grouped by service and spec so the O(nodes) filter pass runs once per
//! group; the spread ranking then uses min-heaps (see [`tree`]), so a batch costs about
//! O(groups · nodes + tasks · log nodes).
//!
//! Limits: no platform/plugin filters, no generic resources; all nodes are considered (no
//! sampling); rejections are counted for the first failing filter of each node.

pub mod filter;
pub mod node;
pub mod schedule;
pub mod state;
pub mod tree;

pub use node::{Availability, NodeInfo, NodeRole, NodeStatus, NodeTask, Snapshot};
pub use schedule::{schedule, Decision, Outcome};
