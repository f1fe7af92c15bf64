//! `/tasks`: list with docker's filters (`service`, `node`, `desired-state`, the CLI's
//! `_up-to-date`, ...) and inspect. swarmd lists tasks per service, so these read every
//! service's tasks (or the filtered services' only).

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::Json;
use bollard_stubs::models as d;
use swarm_api::node::{format_node_id, NodeView};
use swarm_api::routes;
use swarm_api::service::Service;
use swarm_api::task::Task;

use crate::backend::Caller;
use crate::convert::task::{task_matches, task_out, TASK_FILTERS};
use crate::error::{DockerError, Result};
use crate::filters::Filters;
use crate::nodes::ListQuery;
use crate::S;

/// Every task of the services that `keep` selects, with its service.
pub async fn all_tasks(
    st: &S,
    c: &Caller,
    keep: impl Fn(&Service) -> bool,
) -> Result<Vec<(Task, Service)>> {
    let services = st.backend.send(c, &routes::SERVICES, &[], &()).await?;
    let mut out = Vec::new();
    for e in services.into_iter().filter(|e| keep(&e.service)) {
        match st
            .backend
            .send(c, &routes::SERVICE_TASKS, &[&e.service.id], &())
            .await
        {
            Ok(ts) => out.extend(ts.into_iter().map(|t| (t, e.service.clone()))),
            // Removed meanwhile.
            Err(err) if err.status == 404 => {}
            Err(err) => return Err(err),
        }
    }
    Ok(out)
}

/// `GET /tasks`.
pub async fn list(st: S, c: Caller, Query(q): Query<ListQuery>) -> Result<Json<Vec<d::Task>>> {
    let f = Filters::parse(q.filters.as_deref(), TASK_FILTERS)?;
    let tasks = all_tasks(&st, &c, |s| {
        f.any("service", |v| s.id.starts_with(v) || s.spec.name == v)
    })
    .await?;
    let names: BTreeMap<String, String> = if f.contains("node") {
        let nodes: Vec<NodeView> = st.backend.send(&c, &routes::NODES, &[], &()).await?;
        nodes
            .into_iter()
            .map(|v| (format_node_id(v.node.id), v.node.hostname))
            .collect()
    } else {
        BTreeMap::new()
    };
    Ok(Json(
        tasks
            .iter()
            .filter(|(t, s)| {
                let node = t
                    .node_id
                    .as_ref()
                    .and_then(|n| names.get(n))
                    .map(String::as_str);
                task_matches(&f, t, Some(s), node)
            })
            .map(|(t, _)| task_out(t))
            .collect(),
    ))
}

/// A task by id or unique id prefix, with its service.
pub async fn find(st: &S, c: &Caller, key: &str) -> Result<(Task, Service)> {
    let tasks = all_tasks(st, c, |_| true).await?;
    let exact: Vec<_> = tasks.iter().filter(|(t, _)| t.id == key).collect();
    let prefix: Vec<_> = tasks
        .iter()
        .filter(|(t, _)| t.id.starts_with(key))
        .collect();
    match (exact.as_slice(), prefix.as_slice()) {
        ([one], _) | ([], [one]) => Ok((*one).clone()),
        ([], []) => Err(DockerError::not_found(format!("task {key} not found"))),
        _ => Err(DockerError::bad_request(format!(
            "task {key} is ambiguous ({} matches); give a longer id prefix",
            prefix.len()
        ))),
    }
}

/// `GET /tasks/ID`.
pub async fn inspect(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<d::Task>> {
    let (t, _) = find(&st, &c, &key).await?;
    Ok(Json(task_out(&t)))
}
