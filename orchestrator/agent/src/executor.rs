//! The `Executor` seam: what the agent needs from a container runtime to run one task.

use std::future::Future;
use std::time::Duration;

use swarm_api::task::{BoundPort, Task};

use crate::error::AgentError;

/// The node an executor runs tasks on (used for labels and environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeContext {
    /// The node's id (label `com.docker.swarm.node.id`).
    pub node_id: String,
    /// The node's hostname (env `SWARM_NODE_HOSTNAME`).
    pub hostname: String,
}

/// One line of a task's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// True for stderr.
    pub stderr: bool,
    /// The text, without the trailing newline.
    pub text: String,
}

/// What a task's container is doing, as far as the worker needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running (also paused or restarting).
    Running,
    /// Exited, dead or being removed.
    Exited,
}

/// A container of a task of this node, found by its swarm labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContainer {
    /// The task (label `com.docker.swarm.task.id`).
    pub task_id: String,
    /// The container.
    pub container_id: String,
    /// Its state.
    pub state: ContainerState,
}

/// Runs tasks as containers. Implemented for Docker by [`crate::docker::DockerExecutor`].
pub trait Executor: Send + Sync {
    /// Makes the task runnable: ensures the image, creates the container. Returns its id.
    /// An error here means the task is REJECTED.
    fn prepare(&self, task: &Task) -> impl Future<Output = Result<String, AgentError>> + Send;

    /// Starts the prepared container. An error here means the task FAILED.
    fn start(&self, container_id: &str) -> impl Future<Output = Result<(), AgentError>> + Send;

    /// Waits until the container is no longer running and returns its exit code.
    fn wait(&self, container_id: &str) -> impl Future<Output = Result<i64, AgentError>> + Send;

    /// Asks the container to stop (SIGTERM, then SIGKILL after `grace`).
    fn stop(
        &self,
        container_id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;

    /// Removes the container (and its anonymous volumes).
    fn remove(&self, container_id: &str) -> impl Future<Output = Result<(), AgentError>> + Send;

    /// The container's output so far (the last `tail` lines when given).
    fn logs(
        &self,
        container_id: &str,
        tail: Option<usize>,
    ) -> impl Future<Output = Result<Vec<LogLine>, AgentError>> + Send;

    /// Where the task's ingress target ports are reachable from other nodes, read from the
    /// started container. An error means they cannot be known (the task cannot be routed to).
    fn bound_ports(
        &self,
        task: &Task,
        container_id: &str,
    ) -> impl Future<Output = Result<Vec<BoundPort>, AgentError>> + Send;

    /// Every container of a task of THIS node (label `com.docker.swarm.node.id` = the
    /// executor's node id); containers of other nodes sharing the daemon are never listed.
    fn task_containers(
        &self,
    ) -> impl Future<Output = Result<Vec<TaskContainer>, AgentError>> + Send;
}
