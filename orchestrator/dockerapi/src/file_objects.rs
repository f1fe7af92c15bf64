//! `/secrets` and `/configs`: create (201 `{"ID": ...}`), list (filters `id`, `name`,
//! `names`, `label`), inspect (a secret never with its value), update (labels only) and
//! remove (refused while a service uses it), translated to swarmd's `/v1/secrets` and
//! `/v1/configs` routes. Messages are docker's (swarmkit's): "only updates to Labels are
//! allowed", "update out of sequence", "secret 'NAME' is in use by the following service: web".

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bollard_stubs::models as d;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use swarm_api::config::{Config, ConfigSpec};
use swarm_api::file_kind::{referenced_ids, FileSpec, Object};
use swarm_api::routes;
use swarm_api::secret::{Secret, SecretData, SecretSpec, UpdateLabelsRequest};

use crate::backend::Caller;
use crate::convert::file_object::{
    config_out, config_spec_in, data_in, secret_out, secret_spec_in, FILE_OBJECT_FILTERS,
};
use crate::convert::labels_in;
use crate::error::{DockerError, Result};
use crate::filters::Filters;
use crate::nodes::ListQuery;
use crate::{Docker, S};

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

fn labels_only_refused() -> DockerError {
    DockerError::bad_request("only updates to Labels are allowed")
}

/// What differs between docker's secrets and configs: their models and what an update may
/// send besides the labels.
pub trait DockerKind: FileSpec {
    /// Docker's object (`d::Secret`, `d::Config`).
    type Out: Serialize + Send;
    /// Docker's spec (`d::SecretSpec`, `d::ConfigSpec`).
    type In: DeserializeOwned + Send;
    /// swarmd's object as docker's.
    fn out(o: &Object<Self>) -> Self::Out;
    /// Docker's create spec as swarmd's.
    fn spec_in(spec: &Self::In) -> Result<Self>;
    /// The labels of docker's spec.
    fn labels_of(spec: &Self::In) -> &Option<HashMap<String, String>>;
    /// Refuses an update that changes more than the labels, as far as this side can tell.
    fn check_update(stored: &Object<Self>, spec: &Self::In) -> Result<()>;
    /// The data the update passes on for the manager to compare (secrets only).
    fn update_data(spec: &Self::In) -> Result<Option<SecretData>>;
}

impl DockerKind for SecretSpec {
    type Out = d::Secret;
    type In = d::SecretSpec;
    fn out(o: &Secret) -> d::Secret {
        secret_out(o)
    }
    fn spec_in(spec: &d::SecretSpec) -> Result<SecretSpec> {
        secret_spec_in(spec)
    }
    fn labels_of(s: &d::SecretSpec) -> &Option<HashMap<String, String>> {
        &s.labels
    }
    /// A changed value is compared by the manager (never stored or answered).
    fn check_update(stored: &Secret, spec: &d::SecretSpec) -> Result<()> {
        if spec.name.as_deref().is_some_and(|n| n != stored.spec.name) {
            return Err(labels_only_refused());
        }
        Ok(())
    }
    fn update_data(spec: &d::SecretSpec) -> Result<Option<SecretData>> {
        match spec.data.as_deref() {
            None => Ok(None),
            Some(b64) => Ok(Some(SecretData(data_in("Data", Some(b64))?))),
        }
    }
}

impl DockerKind for ConfigSpec {
    type Out = d::Config;
    type In = d::ConfigSpec;
    fn out(o: &Config) -> d::Config {
        config_out(o)
    }
    fn spec_in(spec: &d::ConfigSpec) -> Result<ConfigSpec> {
        config_spec_in(spec)
    }
    fn labels_of(s: &d::ConfigSpec) -> &Option<HashMap<String, String>> {
        &s.labels
    }
    /// The data is answered, so it is compared here.
    fn check_update(stored: &Config, spec: &d::ConfigSpec) -> Result<()> {
        let data_differs = match spec.data.as_deref() {
            None => false,
            Some(b64) => data_in("Data", Some(b64))? != stored.spec.data,
        };
        if spec.name.as_deref().is_some_and(|n| n != stored.spec.name) || data_differs {
            return Err(labels_only_refused());
        }
        Ok(())
    }
    fn update_data(_: &d::ConfigSpec) -> Result<Option<SecretData>> {
        Ok(None)
    }
}

/// Docker's routes of one kind at `prefix` (`/secrets`, `/configs`).
pub fn routes<K: DockerKind>(prefix: &str) -> Router<Arc<Docker>> {
    Router::new()
        .route(prefix, get(list::<K>))
        .route(&format!("{prefix}/create"), post(create::<K>))
        .route(
            &format!("{prefix}/:id"),
            get(inspect::<K>).delete(remove::<K>),
        )
        .route(&format!("{prefix}/:id/update"), post(update::<K>))
}

/// swarmd's in-use refusal as docker's: 400 naming the services (swarmkit answers
/// InvalidArgument, which moby maps to 400).
async fn in_use<K: FileSpec>(st: &S, c: &Caller, e: DockerError, o: &Object<K>) -> DockerError {
    if !e.message.contains("is in use by") {
        return e;
    }
    let Ok(services) = st.backend.send(c, &routes::SERVICES, &[], &()).await else {
        return e;
    };
    let names: Vec<_> = services
        .iter()
        .filter(|s| referenced_ids::<K>(&s.service.spec.task.container).any(|id| id == o.id))
        .map(|s| s.service.spec.name.clone())
        .collect();
    let noun = if names.len() == 1 {
        "service"
    } else {
        "services"
    };
    DockerError::bad_request(format!(
        "{} '{}' is in use by the following {noun}: {}",
        K::KIND.noun(),
        o.name(),
        names.join(", ")
    ))
}

/// `GET /secrets`, `GET /configs`.
pub async fn list<K: DockerKind>(
    st: S,
    c: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<K::Out>>> {
    let f = Filters::parse(q.filters.as_deref(), FILE_OBJECT_FILTERS)?;
    let mut all = st.backend.send(&c, &K::LIST, &[], &()).await?;
    all.retain(|o| matches(&f, &o.id, o.name(), o.spec.labels()));
    all.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Json(all.iter().map(K::out).collect()))
}

/// `POST /secrets/create`, `/configs/create` → 201 `{"ID": ...}`.
pub async fn create<K: DockerKind>(
    st: S,
    c: Caller,
    Json(spec): Json<K::In>,
) -> Result<(StatusCode, Json<d::IdResponse>)> {
    let spec = K::spec_in(&spec)?;
    let name = spec.name().to_string();
    let o = st
        .backend
        .send(&c, &K::CREATE, &[], &spec)
        .await
        .map_err(|e| created(e, K::KIND.noun(), &name))?;
    Ok((StatusCode::CREATED, Json(d::IdResponse { id: o.id })))
}

/// `GET /secrets/ID`, `/configs/ID` (id, unique id prefix or name): a secret's metadata only, a
/// config with its data.
pub async fn inspect<K: DockerKind>(
    st: S,
    c: Caller,
    Path(key): Path<String>,
) -> Result<Json<K::Out>> {
    let o = st
        .backend
        .send_key(&c, &K::INSPECT, K::KIND.noun(), &key)
        .await?;
    Ok(Json(K::out(&o)))
}

/// `POST /secrets/ID/update?version=N`, `/configs/...`: labels only; a changed name, value or
/// data is refused with docker's "only updates to Labels are allowed".
pub async fn update<K: DockerKind>(
    st: S,
    c: Caller,
    Path(key): Path<String>,
    Query(q): Query<VersionQuery>,
    Json(spec): Json<K::In>,
) -> Result<StatusCode> {
    let asked = version_of(&q)?;
    let noun = K::KIND.noun();
    let o = st.backend.send_key(&c, &K::INSPECT, noun, &key).await?;
    K::check_update(&o, &spec)?;
    if o.version != asked {
        return Err(stale(noun, o.name(), o.version, asked));
    }
    let req = UpdateLabelsRequest {
        version: asked,
        labels: labels_in(K::labels_of(&spec)),
        data: K::update_data(&spec)?,
    };
    st.backend
        .send(&c, &K::UPDATE, &[&o.id], &req)
        .await
        .map_err(|e| labels_only(e, noun, o.name(), o.version, asked))?;
    Ok(StatusCode::OK)
}

fn labels_only(e: DockerError, kind: &str, name: &str, at: u64, asked: u64) -> DockerError {
    if e.message.contains("only updates to Labels are allowed") {
        labels_only_refused()
    } else if e.message.contains("was changed by someone else") {
        stale(kind, name, at, asked)
    } else {
        e
    }
}

/// `DELETE /secrets/ID`, `/configs/ID` → 204.
pub async fn remove<K: DockerKind>(
    st: S,
    c: Caller,
    Path(key): Path<String>,
) -> Result<StatusCode> {
    let o = st
        .backend
        .send_key(&c, &K::INSPECT, K::KIND.noun(), &key)
        .await?;
    if let Err(e) = st.backend.send(&c, &K::RM, &[&o.id], &()).await {
        return Err(in_use(&st, &c, e, &o).await);
    }
    Ok(StatusCode::NO_CONTENT)
}
