//! `/services`: list (filters, `status=true` counts), create (201), inspect
//! (`insertDefaults`), update (`version`, `rollback=previous`), remove.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use bollard_stubs::models as d;
use serde::Deserialize;
use swarm_api::network_api::NetworkView;
use swarm_api::routes;
use swarm_api::service::{Service, ServiceMode};
use swarm_api::service_api::UpdateServiceRequest;

use crate::backend::Caller;
use crate::convert::service::{service_json, service_out, spec_from_request};
use crate::error::{DockerError, Result};
use crate::filters::{truthy, Filters};
use crate::S;

const SERVICE_FILTERS: &[&str] = &["id", "name", "label", "mode"];

/// The query of `GET /services`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// JSON filters.
    #[serde(default)]
    pub filters: Option<String>,
    /// Include `ServiceStatus` (running and desired task counts).
    #[serde(default)]
    pub status: Option<String>,
}

fn service_matches(f: &Filters, s: &Service) -> bool {
    f.prefix("id", &s.id)
        && f.prefix("name", &s.spec.name)
        && f.labels(|k| s.spec.labels.get(k).map(String::as_str))
        && f.exact(
            "mode",
            match s.spec.mode {
                ServiceMode::Replicated { .. } => "replicated",
                ServiceMode::Global => "global",
            },
        )
}

/// `GET /services`.
pub async fn list(
    st: S,
    c: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<serde_json::Value>>> {
    let f = Filters::parse(q.filters.as_deref(), SERVICE_FILTERS)?;
    let status = truthy(&q.status);
    let entries = st.backend.send(&c, &routes::SERVICES, &[], &()).await?;
    let mut out: Vec<_> = entries
        .iter()
        .filter(|e| service_matches(&f, &e.service))
        .map(|e| {
            let counts = status.then_some((e.running, e.desired));
            service_json(
                &e.service,
                service_out(&e.service, false, counts, Vec::new()),
            )
        })
        .collect();
    out.sort_by(|a, b| a["Spec"]["Name"].as_str().cmp(&b["Spec"]["Name"].as_str()));
    Ok(Json(out))
}

/// A service by id, id prefix or name, with docker's 404 message.
pub async fn find(st: &S, c: &Caller, key: &str) -> Result<Service> {
    st.backend
        .send_key(c, &routes::SERVICE, "service", key)
        .await
}

/// The query of `GET /services/ID`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectQuery {
    /// Fill in the defaults of unset fields (`docker service inspect --pretty`).
    #[serde(default)]
    pub insert_defaults: Option<String>,
}

/// The service's virtual IPs, from the networks' endpoints.
async fn vips(st: &S, c: &Caller, s: &Service) -> Vec<d::ServiceEndpointVirtualIps> {
    let Ok(nets) = st.backend.send(c, &routes::NETWORKS, &[], &()).await else {
        return Vec::new();
    };
    let nets: Vec<NetworkView> = nets;
    nets.iter()
        .flat_map(|n| {
            n.endpoints
                .iter()
                .filter(|e| e.kind == "vip" && e.name == s.spec.name)
                .map(|e| d::ServiceEndpointVirtualIps {
                    network_id: Some(n.network.id.clone()),
                    addr: Some(e.addr.clone()),
                })
        })
        .collect()
}

/// `GET /services/ID`.
pub async fn inspect(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<InspectQuery>,
) -> Result<Json<serde_json::Value>> {
    let s = find(&st, &c, &key).await?;
    let vips = vips(&st, &c, &s).await;
    let out = service_out(&s, truthy(&q.insert_defaults), None, vips);
    Ok(Json(service_json(&s, out)))
}

/// `POST /services/create` → 201 `{"ID": ..., "Warnings": []}`.
pub async fn create(
    st: S,
    c: Caller,
    Json(body): Json<serde_json::Value>,
) -> Result<(StatusCode, Json<d::ServiceCreateResponse>)> {
    let spec = spec_from_request(&body)?;
    let s = st
        .backend
        .send(&c, &routes::SERVICE_CREATE, &[], &spec)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(d::ServiceCreateResponse {
            id: Some(s.id),
            warnings: Some(Vec::new()),
        }),
    ))
}

/// The query of `POST /services/ID/update`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateQuery {
    /// The `Version.Index` read (required, as in docker).
    #[serde(default)]
    pub version: Option<String>,
    /// `previous`: roll back to the previous spec (the body is then the current spec).
    #[serde(default)]
    pub rollback: Option<String>,
    /// Where the registry auth comes from (not used: the engines pull).
    #[serde(default)]
    pub registry_auth_from: Option<String>,
}

/// `POST /services/ID/update?version=N[&rollback=previous]`.
pub async fn update(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<UpdateQuery>,
    Json(body): Json<serde_json::Value>,
) -> Result<Json<d::ServiceUpdateResponse>> {
    let raw = q.version.clone().unwrap_or_default();
    let version: u64 = raw.parse().map_err(|_| {
        DockerError::bad_request(format!(
            "invalid version {raw:?}: give the service's Version.Index as ?version=N (read it with docker service inspect)"
        ))
    })?;
    let old = find(&st, &c, &key).await?;
    let stale = || {
        DockerError::conflict(format!(
            "update out of sequence: service {} is at version {}, the update was made against version {version}; inspect it again and retry",
            old.spec.name, old.version
        ))
    };
    match q.rollback.as_deref() {
        Some("previous") => {
            if version != old.version {
                return Err(stale());
            }
            st.backend
                .send(&c, &routes::SERVICE_ROLLBACK, &[&old.id], &())
                .await?;
        }
        Some(other) if !other.is_empty() => {
            return Err(DockerError::bad_request(format!(
                "invalid rollback {other:?}: the only value is \"previous\""
            )))
        }
        _ => {
            let spec = spec_from_request(&body)?;
            st.backend
                .send(
                    &c,
                    &routes::SERVICE_UPDATE,
                    &[&old.id],
                    &UpdateServiceRequest { version, spec },
                )
                .await
                .map_err(|e| {
                    if e.status == 409 && e.message.contains("changed since it was read") {
                        stale()
                    } else {
                        e
                    }
                })?;
        }
    }
    Ok(Json(d::ServiceUpdateResponse {
        warnings: Some(Vec::new()),
    }))
}

/// `DELETE /services/ID`.
pub async fn remove(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<()>> {
    let s = find(&st, &c, &key).await?;
    st.backend
        .send(&c, &routes::SERVICE_RM, &[&s.id], &())
        .await
        .map(Json)
}
