//! The `Executor` seam: what the agent needs from a container runtime to run one task.

use std::future::Future;
use std::time::Duration;

use swarm_api::task::{BoundPort, Task};

use crate::error::AgentError;

#[cfg(test)]
mod log_tests {
    use super::*;

    #[test]
    fn times_are_split_off_and_bounded() {
        let (t, text) = split_time("2026-12-01T16:00:00.5Z hello world");
        assert_eq!((t, text), (Some("2026-12-01T16:00:00.5Z"), "hello world"));
        assert_eq!(split_time("plain line"), (None, "plain line"));
        let at = 1_796_140_800_500_000_000_i64; // 2026-12-01T16:00:00.5Z
        let opts = |since: Option<i64>, until: Option<i64>| LogStreamOptions {
            since_ns: since,
            until_ns: until,
            ..Default::default()
        };
        assert!(in_bounds(t, opts(Some(at), None)));
        assert!(!in_bounds(t, opts(Some(at + 1), None)));
        assert!(!in_bounds(t, opts(None, Some(at))));
        assert!(in_bounds(t, opts(None, Some(at + 1))));
        assert!(in_bounds(None, opts(Some(at), Some(at))));
    }
}

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
    /// When the engine logged it (RFC 3339 with nanoseconds), when known.
    pub time: Option<String>,
}

pub use swarm_api::service_api::LogStreamOptions;

/// Splits the engine's `TIME TEXT` (logs read with timestamps) into the time and the text.
pub fn split_time(line: &str) -> (Option<&str>, &str) {
    match line.split_once(' ') {
        Some((t, rest)) if t.len() >= 20 && t.as_bytes()[4] == b'-' && t.ends_with('Z') => {
            (Some(t), rest)
        }
        _ if line.len() >= 20 && line.as_bytes().get(4) == Some(&b'-') && line.ends_with('Z') => {
            (Some(line), "")
        }
        _ => (None, line),
    }
}

/// Whether a line logged at `time` is within the read's `since`/`until` (a line without a
/// time is kept).
pub fn in_bounds(time: Option<&str>, opts: LogStreamOptions) -> bool {
    let Some(ns) = time.and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    }) else {
        return true;
    };
    let ns = ns.unix_timestamp_nanos();
    opts.since_ns.is_none_or(|s| ns >= i128::from(s))
        && opts.until_ns.is_none_or(|u| ns < i128::from(u))
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

/// A container's healthcheck verdict (see [`Executor::health`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The container has no healthcheck (none in the image or the spec, or `NONE`).
    None,
    /// Its check passed.
    Healthy,
    /// Its check failed `retries` times in a row.
    Unhealthy,
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

    /// Whether the started container has a healthcheck (from its spec or its image; not
    /// `NONE`). Executors without health answer false.
    fn has_health(
        &self,
        _container_id: &str,
    ) -> impl Future<Output = Result<bool, AgentError>> + Send {
        async { Ok(false) }
    }

    /// Waits for the started container's healthcheck: [`Health::None`] at once when it has
    /// none; else the first [`Health::Unhealthy`], or the first [`Health::Healthy`] too when
    /// `healthy_ends` is set. (Docker's swarm keeps a task STARTING until its container is
    /// healthy and fails it once it is unhealthy.) Executors without health report `None`.
    fn health(
        &self,
        _container_id: &str,
        _healthy_ends: bool,
    ) -> impl Future<Output = Result<Health, AgentError>> + Send {
        async { Ok(Health::None) }
    }

    /// Removes the container (and its anonymous volumes).
    fn remove(&self, container_id: &str) -> impl Future<Output = Result<(), AgentError>> + Send;

    /// The container's output so far (the last `tail` lines when given).
    fn logs(
        &self,
        container_id: &str,
        tail: Option<usize>,
    ) -> impl Future<Output = Result<Vec<LogLine>, AgentError>> + Send;

    /// Sends the container's output to `tx` as the engine gives it, with each line's time;
    /// returns when the output ends (or, following, when `tx` is closed).
    fn log_stream(
        &self,
        container_id: &str,
        opts: LogStreamOptions,
        tx: tokio::sync::mpsc::Sender<LogLine>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;

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
