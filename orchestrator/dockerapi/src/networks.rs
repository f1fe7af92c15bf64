//! `/networks`: list (filters), create (201), inspect, remove, prune. Every swarmd network is
//! a swarm-scoped overlay; the engines' local networks are not listed here.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use bollard_stubs::models as d;
use swarm_api::network_api::NetworkView;
use swarm_api::routes;

use crate::backend::Caller;
use crate::convert::network::{network_out, spec_in, NETWORK_FILTERS};
use crate::error::Result;
use crate::filters::Filters;
use crate::nodes::ListQuery;
use crate::S;

fn network_matches(f: &Filters, v: &NetworkView) -> bool {
    let n = &v.network;
    f.prefix("id", &n.id)
        && f.any("name", |x| n.spec.name.contains(x))
        && f.exact("driver", "overlay")
        && f.exact("scope", "swarm")
        && f.exact("type", if n.spec.ingress { "builtin" } else { "custom" })
        && f.labels(|k| n.spec.labels.get(k).map(String::as_str))
}

/// `GET /networks`.
pub async fn list(st: S, c: Caller, Query(q): Query<ListQuery>) -> Result<Json<Vec<d::Network>>> {
    let f = Filters::parse(q.filters.as_deref(), NETWORK_FILTERS)?;
    let nets: Vec<NetworkView> = st.backend.send(&c, &routes::NETWORKS, &[], &()).await?;
    let mut out: Vec<_> = nets
        .iter()
        .filter(|n| network_matches(&f, n))
        .map(network_out)
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(out))
}

/// `GET /networks/ID` (id, unique id prefix or name).
pub async fn inspect(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<d::Network>> {
    let n = st
        .backend
        .send_key(&c, &routes::NETWORK, "network", &key)
        .await?;
    Ok(Json(network_out(&n)))
}

/// `POST /networks/create` → 201 `{"Id": ..., "Warning": ""}`.
pub async fn create(
    st: S,
    c: Caller,
    Json(r): Json<d::NetworkCreateRequest>,
) -> Result<(StatusCode, Json<d::NetworkCreateResponse>)> {
    let spec = spec_in(&r)?;
    let v = st
        .backend
        .send(&c, &routes::NETWORK_CREATE, &[], &spec)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(d::NetworkCreateResponse {
            id: v.network.id,
            warning: String::new(),
        }),
    ))
}

/// `DELETE /networks/ID` → 204.
pub async fn remove(st: S, c: Caller, Path(key): Path<String>) -> Result<StatusCode> {
    st.backend
        .send_key(&c, &routes::NETWORK_RM, "network", &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /networks/prune` → `{"NetworksDeleted": [...]}`.
pub async fn prune(st: S, c: Caller) -> Result<Json<d::NetworkPruneResponse>> {
    let r = st
        .backend
        .send(&c, &routes::NETWORK_PRUNE, &[], &())
        .await?;
    Ok(Json(d::NetworkPruneResponse {
        networks_deleted: Some(r.removed),
    }))
}
