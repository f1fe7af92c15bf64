//! `GET /services/ID/logs` and `GET /tasks/ID/logs`: the tasks' output in docker's stdcopy
//! frames (`[stream, 0, 0, 0, len u32 BE] payload`), each line prefixed, when asked, by its
//! time and by the `com.docker.swarm.{node,service,task}.id` details the CLI needs to name
//! the task and the node.

use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use swarm_api::routes;

use http_body_util::BodyExt;
use swarm_api::service_api::{LogStreamQuery, TaskLogLine};
use swarm_api::task::Task;

use crate::backend::Caller;
use crate::error::{DockerError, Result};
use crate::filters::truthy;
use crate::S;

/// The query of the logs routes.
#[derive(Debug, Default, Deserialize)]
pub struct LogsQuery {
    /// Include stdout.
    #[serde(default)]
    pub stdout: Option<String>,
    /// Include stderr.
    #[serde(default)]
    pub stderr: Option<String>,
    /// Keep streaming new lines.
    #[serde(default)]
    pub follow: Option<String>,
    /// Only lines after this time.
    #[serde(default)]
    pub since: Option<String>,
    /// Only lines before this time.
    #[serde(default)]
    pub until: Option<String>,
    /// Prefix each line with its time.
    #[serde(default)]
    pub timestamps: Option<String>,
    /// The last N lines of each task (`all` or absent: every line).
    #[serde(default)]
    pub tail: Option<String>,
    /// Prefix each line with its details (the CLI always asks).
    #[serde(default)]
    pub details: Option<String>,
}

/// One stdcopy frame: stream 1 (stdout) or 2 (stderr), the length, the payload.
pub fn frame(stderr: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.push(if stderr { 2 } else { 1 });
    out.extend([0, 0, 0]);
    out.extend((payload.len() as u32).to_be_bytes());
    out.extend(payload);
    out
}

/// The details docker attaches to a swarm task's log line.
pub fn details(node_id: &str, service_id: &str, task_id: &str) -> String {
    format!(
        "com.docker.swarm.node.id={node_id},com.docker.swarm.service.id={service_id},com.docker.swarm.task.id={task_id}"
    )
}

/// How one line is written: `[TIME ]DETAILS TEXT\n`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineFormat {
    /// Prefix the time.
    pub timestamps: bool,
    /// Prefix the details.
    pub details: bool,
}

/// One log line as a frame.
pub fn line_frame(
    f: LineFormat,
    time: Option<&str>,
    details: &str,
    stderr: bool,
    text: &str,
) -> Vec<u8> {
    let mut s = String::with_capacity(text.len() + 160);
    if f.timestamps {
        s.push_str(time.unwrap_or("0001-01-01T00:00:00.000000000Z"));
        s.push(' ');
    }
    if f.details {
        s.push_str(details);
        s.push(' ');
    }
    s.push_str(text);
    s.push('\n');
    frame(stderr, s.as_bytes())
}

struct Plan {
    service: String,
    tasks: Vec<Task>,
    only_task: Option<String>,
}

fn ns(field: &str, v: &Option<String>) -> Result<Option<i64>> {
    Ok(
        crate::time::parse_log_time(field, v.as_deref().unwrap_or(""))?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    )
}

/// The details of each task's lines, by task id; a task the stream brings that was not
/// known when it began (a followed stream takes in new tasks) is looked up once.
struct TaskDetails {
    docker: std::sync::Arc<crate::Docker>,
    caller: Caller,
    service: String,
    details: HashMap<String, std::sync::Arc<str>>,
}

impl TaskDetails {
    fn learn(&mut self, tasks: &[Task]) {
        for t in tasks {
            let node = t.node_id.as_deref().unwrap_or_default();
            self.details
                .entry(t.id.clone())
                .or_insert_with(|| details(node, &t.service_id, &t.id).into());
        }
    }

    async fn of(&mut self, task: &str) -> std::sync::Arc<str> {
        if !self.details.contains_key(task) {
            let tasks: Vec<Task> = self
                .docker
                .backend
                .send(&self.caller, &routes::SERVICE_TASKS, &[&self.service], &())
                .await
                .unwrap_or_default();
            self.learn(&tasks);
        }
        self.details
            .entry(task.to_string())
            .or_insert_with(|| details("", &self.service, task).into())
            .clone()
    }
}

async fn answer(st: &S, c: &Caller, plan: Plan, q: &LogsQuery) -> Result<Response> {
    let want_out = truthy(&q.stdout);
    let want_err = truthy(&q.stderr);
    if !want_out && !want_err {
        return Err(DockerError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let tail = match q.tail.as_deref() {
        None | Some("") | Some("all") => None,
        Some(n) => match n.parse::<i64>() {
            Ok(n) if n < 0 => None,
            Ok(n) => Some(n as usize),
            Err(_) => {
                return Err(DockerError::bad_request(format!(
                    "invalid tail {n:?}: a number of lines or \"all\""
                )))
            }
        },
    };
    let sq = LogStreamQuery {
        follow: truthy(&q.follow),
        since_ns: ns("since", &q.since)?,
        until_ns: ns("until", &q.until)?,
        tail,
        task: plan.only_task.clone(),
    };
    let path = sq.to_path(routes::SERVICE_LOG_STREAM.path(&[&plan.service]));
    let body = st
        .backend
        .stream(c, &routes::SERVICE_LOG_STREAM, path)
        .await?;
    let fmt = LineFormat {
        timestamps: truthy(&q.timestamps),
        details: truthy(&q.details),
    };
    let mut names = TaskDetails {
        docker: st.0.clone(),
        caller: c.clone(),
        service: plan.service.clone(),
        details: HashMap::new(),
    };
    names.learn(&plan.tasks);
    let frames = futures_util::stream::unfold(
        (body, Vec::<u8>::new(), names),
        move |(mut body, mut buf, mut names)| async move {
            loop {
                // Every complete line received goes out in one chunk of frames (one write per
                // chunk read, not per line); the buffer is shifted once.
                let mut out = Vec::new();
                let mut start = 0;
                while let Some(i) = buf[start..].iter().position(|b| *b == b'\n') {
                    let line = &buf[start..start + i + 1];
                    start += i + 1;
                    let Ok(l) = serde_json::from_slice::<TaskLogLine>(line) else {
                        continue;
                    };
                    if (l.stderr && !want_err) || (!l.stderr && !want_out) {
                        continue;
                    }
                    let det = names.of(&l.task_id).await;
                    out.extend_from_slice(&line_frame(
                        fmt,
                        l.time.as_deref(),
                        &det,
                        l.stderr,
                        &l.text,
                    ));
                }
                buf.drain(..start);
                if !out.is_empty() {
                    return Some((Ok::<_, std::convert::Infallible>(out), (body, buf, names)));
                }
                match body.frame().await {
                    None | Some(Err(_)) => return None,
                    Some(Ok(f)) => {
                        if let Ok(d) = f.into_data() {
                            buf.extend_from_slice(&d);
                        }
                    }
                }
            }
        },
    );
    let mut res = (StatusCode::OK, Body::from_stream(frames)).into_response();
    res.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/vnd.docker.multiplexed-stream"),
    );
    Ok(res)
}

/// `GET /services/ID/logs`.
pub async fn service_logs(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Response> {
    let s = crate::services::find(&st, &c, &key).await?;
    let tasks = st
        .backend
        .send(&c, &routes::SERVICE_TASKS, &[&s.id], &())
        .await?;
    answer(
        &st,
        &c,
        Plan {
            service: s.id,
            tasks,
            only_task: None,
        },
        &q,
    )
    .await
}

/// `GET /tasks/ID/logs`.
pub async fn task_logs(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Response> {
    let (t, s) = crate::tasks::find(&st, &c, &key).await?;
    let id = t.id.clone();
    answer(
        &st,
        &c,
        Plan {
            service: s.id,
            tasks: vec![t],
            only_task: Some(id),
        },
        &q,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_stdcopy() {
        let f = frame(false, b"hi\n");
        assert_eq!(f, vec![1, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', b'\n']);
        assert_eq!(frame(true, b"")[0], 2);
        let l = line_frame(
            LineFormat {
                timestamps: true,
                details: true,
            },
            Some("2026-01-01T00:00:00.000000000Z"),
            &details("n", "s", "t"),
            false,
            "hello",
        );
        assert_eq!(
            String::from_utf8_lossy(&l[8..]),
            "2026-01-01T00:00:00.000000000Z com.docker.swarm.node.id=n,com.docker.swarm.service.id=s,com.docker.swarm.task.id=t hello\n"
        );
    }
}
