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

    /// Stops and removes every task container of this node (the node left the cluster).
    fn remove_all(&self) -> BoxFut<'_, ()>;
}
