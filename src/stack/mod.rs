//! CloudFormation stack lifecycle: deploy (create, or update through a change set), delete (with
//! DELETE_FAILED handling), the event stream and poller, the pure event tracker, and progress
//! rendering.
//!
//! The layer takes rendered template JSON and plain parameters; it never renders templates.
//! Per-resource progress comes from stack events where the backend reports them and from
//! DescribeStackResources otherwise (the moto emulator only emits stack-level events).

pub mod delete;
pub mod deploy;
pub mod describe;
mod error;
pub mod event;
pub mod render;
pub mod tracker;
pub mod watch;

pub use delete::{delete, DeleteOptions, DeleteReport};
pub use deploy::{deploy, plan, DeployReport, DeployRequest, Plan};
pub use describe::{describe_stack, list_clusters, StackInfo, CLUSTER_TAG};
pub use error::StackError;
pub use event::StackEvent;
pub use tracker::{Outcome, Tracker};
pub use watch::{watch, Backoff, Collect, Sink, WatchEnd};
