//! `/nodes`: list (with filters), inspect, update (availability, labels, role), remove.

use axum::extract::{Path, Query};
use axum::Json;
use bollard_stubs::models as d;
use serde::Deserialize;
use swarm_api::control::ForceRequest;
use swarm_api::node::{format_node_id, NodeView, Role};
use swarm_api::routes;

use crate::backend::Caller;
use crate::convert::node::{node_change, node_out};
use crate::error::{DockerError, Result};
use crate::filters::{truthy, Filters};
use crate::S;

/// The query of the list routes.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// JSON filters.
    #[serde(default)]
    pub filters: Option<String>,
}

const NODE_FILTERS: &[&str] = &["id", "name", "role", "membership", "label", "node.label"];

fn node_matches(f: &Filters, v: &NodeView) -> bool {
    let n = &v.node;
    f.prefix("id", &format_node_id(n.id))
        && f.prefix("name", &n.hostname)
        && f.exact("role", n.role.as_str())
        && f.exact("membership", "accepted")
        && f.labels(|k| n.description.engine_labels.get(k).map(String::as_str))
        && f.get("node.label").is_none_or(|vs| {
            vs.iter().all(|v| match v.split_once('=') {
                Some((k, want)) => n.labels.get(k).map(String::as_str) == Some(want),
                None => n.labels.contains_key(v.as_str()),
            })
        })
}

/// `GET /nodes`.
pub async fn list(st: S, c: Caller, Query(q): Query<ListQuery>) -> Result<Json<Vec<d::Node>>> {
    let f = Filters::parse(q.filters.as_deref(), NODE_FILTERS)?;
    let nodes = st.backend.send(&c, &routes::NODES, &[], &()).await?;
    Ok(Json(
        nodes
            .iter()
            .filter(|v| node_matches(&f, v))
            .map(node_out)
            .collect(),
    ))
}

async fn find(st: &S, c: &Caller, key: &str) -> Result<NodeView> {
    st.backend.send_key(c, &routes::NODE, "node", key).await
}

/// `GET /nodes/ID`.
pub async fn inspect(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<d::Node>> {
    Ok(Json(node_out(&find(&st, &c, &key).await?)))
}

/// The query of `DELETE /nodes/ID`.
#[derive(Debug, Default, Deserialize)]
pub struct RemoveQuery {
    /// `--force`.
    #[serde(default)]
    pub force: Option<String>,
}

/// `DELETE /nodes/ID`.
pub async fn remove(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Result<Json<()>> {
    let v = find(&st, &c, &key).await?;
    let force = truthy(&q.force);
    st.backend
        .send(
            &c,
            &routes::NODE_RM,
            &[&format_node_id(v.node.id)],
            &ForceRequest { force },
        )
        .await
        .map(Json)
}

/// The query of `POST /nodes/ID/update`.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateQuery {
    /// The version read (`Version.Index`); a stale one is refused ("update out of sequence").
    #[serde(default)]
    pub version: Option<String>,
}

/// `POST /nodes/ID/update?version=N` with the whole new `NodeSpec`: the label and
/// availability differences go to swarmd's `node update`, a role change to promote/demote.
pub async fn update(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<UpdateQuery>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<()>> {
    let asked = match q.version.as_deref() {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            DockerError::bad_request(format!(
                "invalid version {v:?}: expected the node's Version.Index"
            ))
        })?),
    };
    let spec: d::NodeSpec = serde_json::from_value(body.clone())
        .map_err(|e| DockerError::bad_request(format!("invalid node spec: {e}")))?;
    let v = find(&st, &c, &key).await?;
    // Checked against the state read through the manager's read barrier; a change racing
    // this one between that read and the write is not detected (the store's node commands
    // carry no expected version).
    if let Some(asked) = asked.filter(|&a| v.version != 0 && a != v.version) {
        return Err(DockerError::conflict(format!(
            "update out of sequence: node {} is at version {}, the update was made against version {asked}; inspect it again and retry",
            v.node.hostname, v.version
        )));
    }
    let change = node_change(&v, &spec)?;
    let id = format_node_id(v.node.id);
    let u = &change.update;
    if u.availability.is_some() || !u.label_add.is_empty() || !u.label_rm.is_empty() {
        st.backend.send(&c, &routes::NODE_UPDATE, &[&id], u).await?;
    }
    match change.role {
        Some(Role::Manager) => {
            st.backend
                .send(&c, &routes::NODE_PROMOTE, &[&id], &())
                .await?;
        }
        Some(Role::Worker) => {
            st.backend
                .send(&c, &routes::NODE_DEMOTE, &[&id], &())
                .await?;
        }
        None => {}
    }
    Ok(Json(()))
}
