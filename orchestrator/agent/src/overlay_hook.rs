//! The seam to the node's overlay data plane (issue 15): after every dispatcher answer the
//! worker hands the overlay view and its running task containers to an [`OverlayHook`]
//! (implemented by `swarm-overlay`), which wires the containers into their networks.

use std::future::Future;
use std::pin::Pin;

use swarm_api::network_api::OverlayView;

/// A boxed future returned by [`OverlayHook::apply`].
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Makes the node's overlay networks match `view`.
pub trait OverlayHook: Send + Sync {
    /// `running`: `(task id, container id)` of every running task container of this node.
    fn apply<'a>(
        &'a self,
        view: &'a OverlayView,
        running: &'a [(String, String)],
    ) -> BoxFut<'a, Result<(), String>>;
}
