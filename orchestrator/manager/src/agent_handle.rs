//! What a node's API needs from the local task executor (the agent), as a trait object the
//! node holds once its executor has started.

use std::future::Future;
use std::pin::Pin;

/// A boxed future returned by [`AgentHandle`].
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the node's API needs from the local agent.
pub trait AgentHandle: Send + Sync {
    /// The output of a task's container on this node: `(stderr, text)` lines.
    fn logs<'a>(
        &'a self,
        task_id: &'a str,
        tail: Option<usize>,
    ) -> BoxFut<'a, Result<Vec<(bool, String)>, String>>;

    /// Streams a task's output on this node to `tx` as `(stderr, text, time)` lines; returns
    /// when it ends or, following, when `tx` is closed.
    fn log_stream<'a>(
        &'a self,
        task_id: &'a str,
        opts: swarm_api::service_api::LogStreamOptions,
        tx: tokio::sync::mpsc::Sender<(bool, String, Option<String>)>,
    ) -> BoxFut<'a, Result<(), String>>;

    /// Stops and removes every task container of this node (the node left the cluster).
    fn remove_all(&self) -> BoxFut<'_, ()>;
}
