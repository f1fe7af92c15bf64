//! Streamed logs: `GET /v1/services/KEY/logs/stream` on a manager merges the output of the
//! service's tasks, read as it comes from the node of each task
//! (`GET /v1/agent/tasks/ID/logs/stream` there, or the local agent), into one
//! newline-delimited JSON answer of `TaskLogLine`s. With `follow` it goes on until the
//! client goes: dropping the answer drops the merge's receiver, each task's reader then
//! fails to send and stops, which closes its connection to the node and the engine's stream.
//!
//! A followed stream also takes in the tasks that get a container later (a scale-up, a
//! replacement): [`follow_new_tasks`] looks at the service's tasks after each applied log
//! entry and reads the new ones from their first line.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use swarm_api::node::parse_node_id;
use swarm_api::routes;
use swarm_api::service_api::LogStreamOptions;
use swarm_api::service_api::{LogStreamQuery, TaskLogLine};
use swarm_api::task::Task;
use swarm_store::state::ClusterState;
use tokio::sync::mpsc;

use crate::agent_handle::AgentHandle;
use crate::auth::manager_peer;
use crate::error::ManagerError;
use crate::extract::{Call, Control};
use crate::node::Node;
use crate::service_api::{find, sorted_tasks};

/// The most bytes of lines put in one chunk of a streamed answer.
const CHUNK: usize = 64 * 1024;

/// Newline-delimited JSON of the lines `rx` yields, until its senders are gone. The lines
/// already waiting go out in one chunk (one write and one HTTP frame for many lines, not one
/// per line); a lone line goes out at once.
pub fn ndjson(rx: mpsc::Receiver<TaskLogLine>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let line = rx.recv().await?;
        let mut bytes = Vec::with_capacity(512);
        let push = |bytes: &mut Vec<u8>, line: &TaskLogLine| {
            if serde_json::to_writer(&mut *bytes, line).is_ok() {
                bytes.push(b'\n');
            }
        };
        push(&mut bytes, &line);
        while bytes.len() < CHUNK {
            match rx.try_recv() {
                Ok(line) => push(&mut bytes, &line),
                Err(_) => break,
            }
        }
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
    agent_lines(&*agent, &t.id, t.container_name(), node, &q, tx).await;
}

/// Streams task `id`'s output from the local `agent` into `tx`, as lines of `task_name` on
/// `node`, until the agent's stream ends or `tx` is closed.
async fn agent_lines(
    agent: &dyn AgentHandle,
    id: &str,
    task_name: String,
    node: String,
    q: &LogStreamQuery,
    tx: mpsc::Sender<TaskLogLine>,
) {
    let (ltx, mut lrx) = mpsc::channel(256);
    let read = agent.log_stream(id, options(q), ltx);
    let forward = async {
        while let Some((stderr, text, time)) = lrx.recv().await {
            let line = TaskLogLine {
                task_id: id.to_string(),
                task_name: task_name.clone(),
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
        tracing::debug!(task = %id, error = %e, "logs unavailable");
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

/// Starts the reader of `t`'s output (locally or from its node) into `tx`; false when the
/// task has no container yet or its node is unknown.
fn start_reader(
    n: &Arc<Node>,
    state: &ClusterState,
    t: Task,
    q: &LogStreamQuery,
    tx: &mpsc::Sender<TaskLogLine>,
) -> bool {
    if t.status.container_id.is_none() {
        return false;
    }
    let Some(node) = t
        .node_id
        .as_deref()
        .and_then(parse_node_id)
        .and_then(|id| state.nodes.get(&id))
    else {
        return false;
    };
    if node.id == n.id {
        tokio::spawn(local(
            n.clone(),
            t,
            node.hostname.clone(),
            q.clone(),
            tx.clone(),
        ));
    } else {
        tokio::spawn(remote(
            n.clone(),
            t,
            node.addr.clone(),
            node.hostname.clone(),
            q.clone(),
            tx.clone(),
        ));
    }
    true
}

/// The tasks of `service` not in `started` with the nodes they run on, read under the
/// state's lock (no copy of the whole state per change); None once the service is gone.
fn new_tasks(
    n: &Node,
    service: &str,
    started: &BTreeSet<String>,
) -> Option<(Vec<Task>, ClusterState)> {
    let applied = n.state.read().ok()?;
    let state = &applied.state;
    if !state.services.contains_key(service) {
        return None;
    }
    let tasks: Vec<Task> = sorted_tasks(state, service)
        .into_iter()
        .filter(|t| !started.contains(&t.id) && t.status.container_id.is_some())
        .collect();
    // Only the nodes are needed to place the readers.
    let mut nodes = ClusterState::default();
    for t in &tasks {
        if let Some(node) = t
            .node_id
            .as_deref()
            .and_then(parse_node_id)
            .and_then(|id| state.nodes.get(&id))
        {
            nodes.nodes.insert(node.id, node.clone());
        }
    }
    Some((tasks, nodes))
}

/// While the client of a followed stream is there: adds the tasks that get a container
/// after the stream began (a scale-up, a replacement), woken by each applied log entry,
/// until the client goes or the service is removed.
/// Their lines are read from their start (they are all new to the client), within the
/// same `since`/`until`.
async fn follow_new_tasks(
    n: Arc<Node>,
    service: String,
    mut started: BTreeSet<String>,
    q: LogStreamQuery,
    tx: mpsc::Sender<TaskLogLine>,
) {
    let mut q = q;
    q.tail = None;
    let mut metrics = n.raft.metrics();
    let mut applied = metrics.borrow().last_applied;
    loop {
        let prev = applied;
        tokio::select! {
            r = metrics.wait_for(move |m| m.last_applied != prev) => match r {
                Ok(m) => applied = m.last_applied,
                Err(_) => return,
            },
            _ = tx.closed() => return,
        }
        // The service is gone: the readers of its tasks end with their containers.
        let Some((tasks, nodes)) = new_tasks(&n, &service, &started) else {
            return;
        };
        for t in tasks {
            let id = t.id.clone();
            if start_reader(&n, &nodes, t, &q, &tx) {
                started.insert(id);
            }
        }
    }
}

pub(crate) async fn service_stream(
    Control(n): Control,
    Path(key): Path<String>,
    Query(q): Query<LogStreamQuery>,
) -> Result<Response, ManagerError> {
    let state = n.snapshot();
    let s = find(&state, &key)?;
    let (tx, rx) = mpsc::channel(1024);
    let mut started = BTreeSet::new();
    for t in sorted_tasks(&state, &s.id) {
        if q.task.as_ref().is_some_and(|id| *id != t.id) {
            continue;
        }
        let id = t.id.clone();
        if start_reader(&n, &state, t, &q, &tx) {
            started.insert(id);
        }
    }
    if q.follow && q.task.is_none() {
        tokio::spawn(follow_new_tasks(n.clone(), s.id, started, q, tx));
    } else {
        drop(tx);
    }
    Ok(ndjson(rx))
}

pub(crate) async fn agent_stream(
    Call(n, p): Call,
    Path(id): Path<String>,
    Query(q): Query<LogStreamQuery>,
) -> Result<Response, ManagerError> {
    manager_peer(p)?;
    let agent = n.agent.get().cloned().ok_or_else(|| {
        ManagerError::Conflict("this node runs no task executor (no Docker engine)".into())
    })?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        agent_lines(&*agent, &id, id.clone(), String::new(), &q, tx).await;
    });
    Ok(ndjson(rx))
}
