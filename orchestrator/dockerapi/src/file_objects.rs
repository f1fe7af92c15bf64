//! `/secrets` and `/configs`: create (201 `{"ID": ...}`), list (filters `id`, `name`,
//! `names`, `label`), inspect (a secret never with its value), update (labels only) and
//! remove (refused while a service uses it), translated to swarmd's `/v1/secrets` and
//! `/v1/configs` routes. Messages are docker's (swarmkit's): "only updates to Labels are
//! allowed", "update out of sequence", "secret 'NAME' is in use by the following service: web".

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use bollard_stubs::models as d;
use serde::Deserialize;
use swarm_api::routes;
use swarm_api::secret::{SecretData, UpdateLabelsRequest};
use swarm_api::service::Service;

use crate::backend::Caller;
use crate::convert::file_object::{
    config_out, config_spec_in, data_in, secret_out, secret_spec_in, FILE_OBJECT_FILTERS,
};
use crate::convert::labels_in;
use crate::error::{DockerError, Result};
use crate::filters::Filters;
use crate::nodes::{manager, ListQuery};
use crate::S;

/// The query of the update routes.
#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    /// The version the caller read (`Version.Index`).
    #[serde(default)]
    pub version: Option<u64>,
}

fn matches(f: &Filters, id: &str, name: &str, labels: &BTreeMap<String, String>) -> bool {
    f.prefix("id", id)
        && f.prefix("name", name)
        && f.any("names", |v| v == name)
        && f.labels(|k| labels.get(k).map(String::as_str))
}

fn not_found<'a>(kind: &'static str, key: &'a str) -> impl Fn(DockerError) -> DockerError + 'a {
    move |e| {
        if e.status == 404 {
            DockerError::not_found(format!("{kind} {key} not found"))
        } else {
            e
        }
    }
}

fn created(e: DockerError, kind: &str, name: &str) -> DockerError {
    if e.status == 409 {
        DockerError::conflict(format!("{kind} {name} already exists"))
    } else {
        e
    }
}

fn stale(kind: &str, name: &str, at: u64, asked: u64) -> DockerError {
    DockerError::conflict(format!(
        "update out of sequence: {kind} {name} is at version {at}, the update was made against version {asked}; inspect it again and retry"
    ))
}

fn version_of(q: &VersionQuery) -> Result<u64> {
    q.version.ok_or_else(|| {
        DockerError::bad_request("invalid version: the query parameter version is required (the Version.Index read by inspect)")
    })
}

/// swarmd's in-use refusal as docker's: 400 naming the services (swarmkit answers
/// InvalidArgument, which moby maps to 400).
async fn in_use(
    st: &S,
    c: &Caller,
    e: DockerError,
    kind: &str,
    id: &str,
    name: &str,
    uses: impl Fn(&Service, &str) -> bool,
) -> DockerError {
    if !e.message.contains("is in use by") {
        return e;
    }
    let Ok(services) = st.backend.send(c, &routes::SERVICES, &[], &()).await else {
        return e;
    };
    let names: Vec<_> = services
        .iter()
        .filter(|s| uses(&s.service, id))
        .map(|s| s.service.spec.name.clone())
        .collect();
    let noun = if names.len() == 1 {
        "service"
    } else {
        "services"
    };
    DockerError::bad_request(format!(
        "{kind} '{name}' is in use by the following {noun}: {}",
        names.join(", ")
    ))
}

/// `GET /secrets`.
pub async fn list_secrets(
    st: S,
    c: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<d::Secret>>> {
    let f = Filters::parse(q.filters.as_deref(), FILE_OBJECT_FILTERS)?;
    let all = st
        .backend
        .send(&c, &routes::SECRETS, &[], &())
        .await
        .map_err(manager)?;
    let mut out: Vec<_> = all
        .iter()
        .filter(|s| matches(&f, &s.id, &s.spec.name, &s.spec.labels))
        .map(secret_out)
        .collect();
    out.sort_by(|a, b| {
        a.spec
            .as_ref()
            .map(|s| &s.name)
            .cmp(&b.spec.as_ref().map(|s| &s.name))
    });
    Ok(Json(out))
}

/// `POST /secrets/create` → 201 `{"ID": ...}`.
pub async fn create_secret(
    st: S,
    c: Caller,
    Json(spec): Json<d::SecretSpec>,
) -> Result<(StatusCode, Json<d::IdResponse>)> {
    let spec = secret_spec_in(&spec)?;
    let name = spec.name.clone();
    let s = st
        .backend
        .send(&c, &routes::SECRET_CREATE, &[], &spec)
        .await
        .map_err(manager)
        .map_err(|e| created(e, "secret", &name))?;
    Ok((StatusCode::CREATED, Json(d::IdResponse { id: s.id })))
}

/// `GET /secrets/ID` (id, unique id prefix or name): metadata only.
pub async fn inspect_secret(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<d::Secret>> {
    let s = st
        .backend
        .send(&c, &routes::SECRET, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("secret", &key))?;
    Ok(Json(secret_out(&s)))
}

/// `POST /secrets/ID/update?version=N`: labels only; a changed name or value is refused with
/// docker's "only updates to Labels are allowed" (the value is compared by the manager, never
/// stored or answered).
pub async fn update_secret(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<VersionQuery>,
    Json(spec): Json<d::SecretSpec>,
) -> Result<StatusCode> {
    let asked = version_of(&q)?;
    let s = st
        .backend
        .send(&c, &routes::SECRET, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("secret", &key))?;
    if spec.name.as_deref().is_some_and(|n| n != s.spec.name) {
        return Err(DockerError::bad_request(
            "only updates to Labels are allowed",
        ));
    }
    if s.version != asked {
        return Err(stale("secret", &s.spec.name, s.version, asked));
    }
    let data = match spec.data.as_deref() {
        None => None,
        Some(b64) => Some(SecretData(data_in("Data", Some(b64))?)),
    };
    let req = UpdateLabelsRequest {
        version: asked,
        labels: labels_in(&spec.labels),
        data,
    };
    st.backend
        .send(&c, &routes::SECRET_UPDATE, &[&s.id], &req)
        .await
        .map_err(manager)
        .map_err(|e| labels_only(e, "secret", &s.spec.name, s.version, asked))?;
    Ok(StatusCode::OK)
}

fn labels_only(e: DockerError, kind: &str, name: &str, at: u64, asked: u64) -> DockerError {
    if e.message.contains("only updates to Labels are allowed") {
        DockerError::bad_request("only updates to Labels are allowed")
    } else if e.message.contains("was changed by someone else") {
        stale(kind, name, at, asked)
    } else {
        e
    }
}

/// `DELETE /secrets/ID` → 204.
pub async fn remove_secret(st: S, c: Caller, Path(key): Path<String>) -> Result<StatusCode> {
    let s = st
        .backend
        .send(&c, &routes::SECRET, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("secret", &key))?;
    if let Err(e) = st.backend.send(&c, &routes::SECRET_RM, &[&s.id], &()).await {
        let uses = |svc: &Service, id: &str| {
            svc.spec
                .task
                .container
                .secrets
                .iter()
                .any(|r| r.secret_id == id)
        };
        return Err(in_use(&st, &c, manager(e), "secret", &s.id, &s.spec.name, uses).await);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /configs`.
pub async fn list_configs(
    st: S,
    c: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<d::Config>>> {
    let f = Filters::parse(q.filters.as_deref(), FILE_OBJECT_FILTERS)?;
    let all = st
        .backend
        .send(&c, &routes::CONFIGS, &[], &())
        .await
        .map_err(manager)?;
    let mut out: Vec<_> = all
        .iter()
        .filter(|x| matches(&f, &x.id, &x.spec.name, &x.spec.labels))
        .map(config_out)
        .collect();
    out.sort_by(|a, b| {
        a.spec
            .as_ref()
            .map(|s| &s.name)
            .cmp(&b.spec.as_ref().map(|s| &s.name))
    });
    Ok(Json(out))
}

/// `POST /configs/create` → 201 `{"ID": ...}`.
pub async fn create_config(
    st: S,
    c: Caller,
    Json(spec): Json<d::ConfigSpec>,
) -> Result<(StatusCode, Json<d::IdResponse>)> {
    let spec = config_spec_in(&spec)?;
    let name = spec.name.clone();
    let x = st
        .backend
        .send(&c, &routes::CONFIG_CREATE, &[], &spec)
        .await
        .map_err(manager)
        .map_err(|e| created(e, "config", &name))?;
    Ok((StatusCode::CREATED, Json(d::IdResponse { id: x.id })))
}

/// `GET /configs/ID` (id, unique id prefix or name), with its data.
pub async fn inspect_config(st: S, c: Caller, Path(key): Path<String>) -> Result<Json<d::Config>> {
    let x = st
        .backend
        .send(&c, &routes::CONFIG, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("config", &key))?;
    Ok(Json(config_out(&x)))
}

/// `POST /configs/ID/update?version=N`: labels only (a changed name or data: "only updates
/// to Labels are allowed").
pub async fn update_config(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<VersionQuery>,
    Json(spec): Json<d::ConfigSpec>,
) -> Result<StatusCode> {
    let asked = version_of(&q)?;
    let x = st
        .backend
        .send(&c, &routes::CONFIG, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("config", &key))?;
    let data_differs = match spec.data.as_deref() {
        None => false,
        Some(b64) => data_in("Data", Some(b64))? != x.spec.data,
    };
    if spec.name.as_deref().is_some_and(|n| n != x.spec.name) || data_differs {
        return Err(DockerError::bad_request(
            "only updates to Labels are allowed",
        ));
    }
    if x.version != asked {
        return Err(stale("config", &x.spec.name, x.version, asked));
    }
    let req = UpdateLabelsRequest {
        version: asked,
        labels: labels_in(&spec.labels),
        data: None,
    };
    st.backend
        .send(&c, &routes::CONFIG_UPDATE, &[&x.id], &req)
        .await
        .map_err(manager)
        .map_err(|e| labels_only(e, "config", &x.spec.name, x.version, asked))?;
    Ok(StatusCode::OK)
}

/// `DELETE /configs/ID` → 204.
pub async fn remove_config(st: S, c: Caller, Path(key): Path<String>) -> Result<StatusCode> {
    let x = st
        .backend
        .send(&c, &routes::CONFIG, &[&key], &())
        .await
        .map_err(manager)
        .map_err(not_found("config", &key))?;
    if let Err(e) = st.backend.send(&c, &routes::CONFIG_RM, &[&x.id], &()).await {
        let uses = |svc: &Service, id: &str| {
            svc.spec
                .task
                .container
                .configs
                .iter()
                .any(|r| r.config_id == id)
        };
        return Err(in_use(&st, &c, manager(e), "config", &x.id, &x.spec.name, uses).await);
    }
    Ok(StatusCode::NO_CONTENT)
}
