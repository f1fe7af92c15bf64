//! Streamed logs: `GET /v1/services/KEY/logs/stream` on a manager merges the output of the
//! service's tasks, read as it comes from the node of each task
//! (`GET /v1/agent/tasks/ID/logs/stream` there, or the local agent), into one
//! newline-delimited JSON answer of `TaskLogLine`s. With `follow` it goes on until the
//! client goes: dropping the answer drops the merge's receiver, each task's reader then
//! fails to send and stops, which closes its connection to the node and the engine's stream.
//!
//! Limits: the tasks are the ones that had a container when the request came; a task started
//! later (a replacement) is not added to a followed stream.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use swarm_agent::executor::LogStreamOptions;
use swarm_api::node::{parse_node_id, Role};
use swarm_api::routes;
use swarm_api::service_api::{LogStreamQuery, TaskLogLine};
use swarm_api::task::Task;
use tokio::sync::mpsc;

use crate::error::ManagerError;
use crate::node::Node;
use crate::server::Peer;
use crate::service_api::{find, manager_only, sorted_tasks};

type S = State<Arc<Node>>;
type E = Extension<Peer>;

/// The streamed log routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(routes::SERVICE_LOG_STREAM.pattern, get(service_stream))
        .route(routes::AGENT_TASK_LOG_STREAM.pattern, get(agent_stream))
}

/// Newline-delimited JSON of the lines `rx` yields, until its senders are gone.
pub fn ndjson(rx: mpsc::Receiver<TaskLogLine>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let line = rx.recv().await?;
        let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
        bytes.push(b'\n');
        Some((Ok::<_, std::convert::Infallible>(bytes), rx))
    });
    let mut res = Body::from_stream(stream).into_response();
    res.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-ndjson"),
    );
    res
}

fn options(q: &LogStreamQuery) -> LogStreamOptions {
    LogStreamOptions {
        follow: q.follow,
        since_ns: q.since_ns,
        until_ns: q.until_ns,
        tail: q.tail,
    }
}

/// Reads one task's output from the local agent into `tx`, named for the merged stream.
async fn local(
    n: Arc<Node>,
    t: Task,
    node: String,
    q: LogStreamQuery,
    tx: mpsc::Sender<TaskLogLine>,
) {
    let Some(agent) = n.agent.get().cloned() else {
        return;
    };
    let (ltx, mut lrx) = mpsc::channel(256);
    let name = t.container_name();
    let read = agent.log_stream(&t.id, options(&q), ltx);
    let forward = async {
        while let Some((stderr, text, time)) = lrx.recv().await {
            let line = TaskLogLine {
                task_id: t.id.clone(),
                task_name: name.clone(),
                node: node.clone(),
                stderr,
                text,
                time,
            };
            if tx.send(line).await.is_err() {
                break;
            }
        }
    };
    let (r, ()) = tokio::join!(read, forward);
    if let Err(e) = r {
        tracing::debug!(task = %t.id, error = %e, "logs unavailable");
    }
}

/// Reads one task's output from the node that runs it into `tx`.
async fn remote(
    n: Arc<Node>,
    t: Task,
    addr: String,
    node: String,
    q: LogStreamQuery,
    tx: mpsc::Sender<TaskLogLine>,
) {
    let mut q = q;
    q.task = None;
    let path = q.to_path(routes::AGENT_TASK_LOG_STREAM.path(&[&t.id]));
    let mut rx = match n.peer(&addr).lines::<TaskLogLine>(&path).await {
        Ok(rx) => rx,
        Err(e) => {
            tracing::debug!(task = %t.id, error = %e, "logs unavailable");
            return;
        }
    };
    let name = t.container_name();
    loop {
        let item = tokio::select! {
            i = rx.recv() => i,
            _ = tx.closed() => return,
        };
        match item {
            None => return,
            Some(Err(e)) => {
                tracing::debug!(task = %t.id, error = %e, "log stream ended");
                return;
            }
            Some(Ok(mut line)) => {
                line.node.clone_from(&node);
                line.task_name.clone_from(&name);
                if tx.send(line).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn service_stream(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
    Query(q): Query<LogStreamQuery>,
) -> Result<Response, ManagerError> {
    manager_only(&n, p)?;
    let state = n.snapshot();
    let s = find(&state, &key)?;
    let (tx, rx) = mpsc::channel(1024);
    for t in sorted_tasks(&state, &s.id) {
        if t.status.container_id.is_none() || q.task.as_ref().is_some_and(|id| *id != t.id) {
            continue;
        }
        let Some(node) = t
            .node_id
            .as_deref()
            .and_then(parse_node_id)
            .and_then(|id| state.nodes.get(&id))
            .cloned()
        else {
            continue;
        };
        if node.id == n.id {
            tokio::spawn(local(n.clone(), t, node.hostname, q.clone(), tx.clone()));
        } else {
            tokio::spawn(remote(
                n.clone(),
                t,
                node.addr,
                node.hostname,
                q.clone(),
                tx.clone(),
            ));
        }
    }
    drop(tx);
    Ok(ndjson(rx))
}

async fn agent_stream(
    State(n): S,
    Extension(p): E,
    Path(id): Path<String>,
    Query(q): Query<LogStreamQuery>,
) -> Result<Response, ManagerError> {
    // Workers hold no cluster state: they trust the role in the caller's certificate.
    match p {
        Peer::Local
        | Peer::Node {
            role: Role::Manager,
            ..
        } => {}
        _ => {
            return Err(ManagerError::Forbidden(
                "task logs are served to managers only".into(),
            ))
        }
    }
    let agent = n.agent.get().cloned().ok_or_else(|| {
        ManagerError::Conflict("this node runs no task executor (no Docker engine)".into())
    })?;
    let (tx, rx) = mpsc::channel(256);
    let (ltx, mut lrx) = mpsc::channel(256);
    tokio::spawn(async move {
        let read = agent.log_stream(&id, options(&q), ltx);
        let forward = async {
            while let Some((stderr, text, time)) = lrx.recv().await {
                let line = TaskLogLine {
                    task_id: id.clone(),
                    task_name: id.clone(),
                    node: String::new(),
                    stderr,
                    text,
                    time,
                };
                if tx.send(line).await.is_err() {
                    break;
                }
            }
        };
        let (r, ()) = tokio::join!(read, forward);
        if let Err(e) = r {
            tracing::debug!(task = %id, error = %e, "logs unavailable");
        }
    });
    Ok(ndjson(rx))
}
