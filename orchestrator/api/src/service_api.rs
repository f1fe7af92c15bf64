//! Request and response bodies of the service routes of the control API.
//!
//! Routes (manager only; `KEY` is a service id, a unique id prefix or the name):
//! - `GET /v1/services` → `Vec<ServiceListEntry>`
//! - `POST /v1/services` with a [`ServiceSpec`] → [`Service`]
//! - `GET /v1/services/KEY` → [`Service`]
//! - `POST /v1/services/KEY/update` with [`UpdateServiceRequest`] → [`Service`]
//! - `POST /v1/services/KEY/rollback` → [`Service`]
//! - `POST /v1/services/KEY/rm` → `()`
//! - `GET /v1/services/KEY/tasks` → `Vec<Task>` (history included, newest first per slot)
//! - `GET /v1/services/KEY/logs?tail=N` → `Vec<TaskLogLine>`
//! - `GET /v1/agent/tasks/ID/logs?tail=N` (on any node, managers only) → `Vec<TaskLogLine>`
//!
//! Updates follow Docker's optimistic concurrency: the client reads the service, edits the
//! spec and sends it back with the version it read; a concurrent change makes the update fail
//! with a conflict instead of being lost.

use serde::{Deserialize, Serialize};

use crate::service::{Service, ServiceSpec};

/// One row of `service ls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceListEntry {
    /// The service.
    pub service: Service,
    /// Tasks observed RUNNING with desired state RUNNING.
    pub running: u64,
    /// Tasks that should run (replicas, or eligible nodes for a global service).
    pub desired: u64,
}

/// `POST /v1/services/KEY/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateServiceRequest {
    /// The version the client read (`Service::version`).
    pub version: u64,
    /// The full new spec.
    pub spec: ServiceSpec,
}

/// One line of `service logs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogLine {
    /// The task.
    pub task_id: String,
    /// Its container name (`web.2.abc...`).
    pub task_name: String,
    /// The node's host name.
    pub node: String,
    /// True for stderr.
    pub stderr: bool,
    /// The text, without the newline.
    pub text: String,
    /// When the engine logged it (RFC 3339 with nanoseconds); given by the streamed routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// What a streamed log read asks of a node's executor (from a [`LogStreamQuery`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStreamOptions {
    /// Keep streaming new lines until the receiver goes.
    pub follow: bool,
    /// Only lines at or after this time (nanoseconds since the epoch).
    pub since_ns: Option<i64>,
    /// Only lines before this time (nanoseconds since the epoch).
    pub until_ns: Option<i64>,
    /// The last N lines first.
    pub tail: Option<usize>,
}

/// The query of the streamed log routes (`.../logs/stream`), whose answer is newline-delimited
/// JSON: one [`TaskLogLine`] per line, until the logs end or, with `follow`, until the
/// client goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStreamQuery {
    /// Keep streaming new lines.
    #[serde(default)]
    pub follow: bool,
    /// Only lines logged at or after this time (nanoseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ns: Option<i64>,
    /// Only lines logged before this time (nanoseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ns: Option<i64>,
    /// The last N lines of each task before following.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<usize>,
    /// Only this task of the service (its full id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
}

impl LogStreamQuery {
    /// `path?follow=..&...` (the values are numbers and ids: nothing to escape but the id).
    pub fn to_path(&self, path: String) -> String {
        let mut q = vec![format!("follow={}", self.follow)];
        if let Some(v) = self.since_ns {
            q.push(format!("since_ns={v}"));
        }
        if let Some(v) = self.until_ns {
            q.push(format!("until_ns={v}"));
        }
        if let Some(v) = self.tail {
            q.push(format!("tail={v}"));
        }
        if let Some(v) = &self.task {
            // Task ids are alphanumeric; anything else is dropped rather than sent unescaped.
            let id: String = v.chars().filter(char::is_ascii_alphanumeric).collect();
            q.push(format!("task={id}"));
        }
        format!("{path}?{}", q.join("&"))
    }
}

/// The answer of the streamed log routes: newline-delimited [`TaskLogLine`]s (read them with
/// [`crate::client::Client::lines`]).
#[derive(Debug)]
pub enum LogStream {}

/// `?tail=N` of the log routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogsQuery {
    /// Only the last N lines of each task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<usize>,
}
