//! The secret and config routes of the control API (`/v1/secrets/...`, `/v1/configs/...`),
//! and the resolution of `--secret` / `--config` names in service specs.
//!
//! A secret's value is sealed with the cluster data key here, before the command is written,
//! so only ciphertext enters the Raft log; answers never carry it. Config data is stored and
//! answered as given (docker returns it in `config inspect`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use swarm_api::command::Command;
use swarm_api::config::{Config, ConfigSpec};
use swarm_api::file_ref::{validate_object, FileKind};
use swarm_api::routes;
use swarm_api::secret::{Secret, SecretSpec, UpdateLabelsRequest};
use swarm_api::service::ServiceSpec;
use swarm_store::state::ClusterState;

use crate::auth::control_peer;
use crate::error::ManagerError;
use crate::node::Node;
use crate::random::{now_ms, object_id};
use crate::server::Peer;

type S = State<Arc<Node>>;
type E = Extension<Peer>;

/// The secret and config routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(
            routes::SECRETS.pattern,
            get(list_secrets).post(create_secret),
        )
        .route(routes::SECRET.pattern, get(inspect_secret))
        .route(routes::SECRET_UPDATE.pattern, post(update_secret))
        .route(routes::SECRET_RM.pattern, post(remove_secret))
        .route(
            routes::CONFIGS.pattern,
            get(list_configs).post(create_config),
        )
        .route(routes::CONFIG.pattern, get(inspect_config))
        .route(routes::CONFIG_UPDATE.pattern, post(update_config))
        .route(routes::CONFIG_RM.pattern, post(remove_config))
}

fn manager_only(n: &Node, p: Peer) -> Result<(), ManagerError> {
    control_peer(n, p)?;
    n.require_manager()
}

/// By id, by name, or by a unique id prefix.
fn find_key<'a, T>(
    map: &'a BTreeMap<String, T>,
    key: &str,
    name_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    if let Some(v) = map.get(key) {
        return Some(v);
    }
    if let Some(v) = map.values().find(|v| name_of(v) == key) {
        return Some(v);
    }
    let mut it = map.iter().filter(|(id, _)| id.starts_with(key));
    match (it.next(), it.next()) {
        (Some((_, v)), None) if !key.is_empty() => Some(v),
        _ => None,
    }
}

fn find_secret(state: &ClusterState, key: &str) -> Result<Secret, ManagerError> {
    find_key(&state.secrets, key, |s| &s.secret.spec.name)
        .map(|s| s.secret.clone())
        .ok_or_else(|| {
            ManagerError::NotFound(format!(
                "secret {key} not found; list secrets with `secret ls`"
            ))
        })
}

fn find_config(state: &ClusterState, key: &str) -> Result<Config, ManagerError> {
    find_key(&state.configs, key, |c| &c.spec.name)
        .cloned()
        .ok_or_else(|| {
            ManagerError::NotFound(format!(
                "config {key} not found; list configs with `config ls`"
            ))
        })
}

fn bad(e: swarm_api::spec_error::SpecError) -> ManagerError {
    ManagerError::BadRequest(e.to_string())
}

/// Replaces the secret and config names of `spec`'s references by their ids; refuses a
/// missing one (naming it) and two files at one target.
pub fn resolve_files(state: &ClusterState, spec: &mut ServiceSpec) -> Result<(), ManagerError> {
    let c = &mut spec.task.container;
    let mut targets = std::collections::BTreeSet::new();
    for r in &mut c.secrets {
        let key = if r.secret_id.is_empty() {
            &r.secret_name
        } else {
            &r.secret_id
        };
        let s = find_key(&state.secrets, key, |s| &s.secret.spec.name).ok_or_else(|| {
            ManagerError::NotFound(format!(
                "invalid --secret {:?}: secret not found (fix: create it with `secret create {} FILE` or list them with `secret ls`)",
                r.secret_name, r.secret_name
            ))
        })?;
        r.secret_id = s.secret.id.clone();
        r.secret_name = s.secret.spec.name.clone();
        if !targets.insert(FileKind::Secret.path(&r.file.name)) {
            return Err(ManagerError::BadRequest(format!(
                "invalid --secret {:?}: target {} is used twice (fix: give each file its own target=)",
                r.secret_name, r.file.name
            )));
        }
    }
    for r in &mut c.configs {
        let key = if r.config_id.is_empty() {
            &r.config_name
        } else {
            &r.config_id
        };
        let cf = find_key(&state.configs, key, |c| &c.spec.name).ok_or_else(|| {
            ManagerError::NotFound(format!(
                "invalid --config {:?}: config not found (fix: create it with `config create {} FILE` or list them with `config ls`)",
                r.config_name, r.config_name
            ))
        })?;
        r.config_id = cf.id.clone();
        r.config_name = cf.spec.name.clone();
        if !targets.insert(FileKind::Config.path(&r.file.name)) {
            return Err(ManagerError::BadRequest(format!(
                "invalid --config {:?}: target {} is used twice (fix: give each file its own target=)",
                r.config_name, r.file.name
            )));
        }
    }
    Ok(())
}

async fn list_secrets(State(n): S, Extension(p): E) -> Result<Json<Vec<Secret>>, ManagerError> {
    manager_only(&n, p)?;
    let state = n.snapshot();
    Ok(Json(
        state.secrets.values().map(|s| s.secret.clone()).collect(),
    ))
}

async fn create_secret(
    State(n): S,
    Extension(p): E,
    Json(spec): Json<SecretSpec>,
) -> Result<Json<Secret>, ManagerError> {
    manager_only(&n, p)?;
    validate_object(FileKind::Secret, &spec.name, spec.data.0.len()).map_err(bad)?;
    if !spec.driver.is_empty() {
        return Err(ManagerError::BadRequest(format!(
            "invalid --driver {:?}: only the built-in secret store exists here (fix: leave --driver out)",
            spec.driver
        )));
    }
    let key = n.keys.key()?;
    let state = n.snapshot();
    if state
        .secrets
        .values()
        .any(|s| s.secret.spec.name == spec.name)
    {
        return Err(ManagerError::Conflict(format!(
            "a secret named {} already exists; choose another name (a secret's value cannot change: a new value needs a new name)",
            spec.name
        )));
    }
    let id = object_id();
    let sealed = key.seal(id.as_bytes(), &spec.data.0);
    let now = now_ms();
    let secret = Secret {
        id: id.clone(),
        version: 1,
        created_at_ms: now,
        updated_at_ms: now,
        spec: SecretSpec {
            data: Default::default(),
            ..spec
        },
    };
    // Answered from what was written: on a follower the local state may not have applied
    // the forwarded write yet.
    n.write(Command::CreateSecret {
        secret: secret.clone(),
        sealed,
    })
    .await?;
    tracing::info!(secret = %id, "secret created");
    Ok(Json(secret))
}

async fn inspect_secret(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
) -> Result<Json<Secret>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    find_secret(&n.snapshot(), &key).map(Json)
}

async fn update_secret(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
    Json(req): Json<UpdateLabelsRequest>,
) -> Result<Json<Secret>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    let state = n.snapshot();
    let s = find_secret(&state, &key)?;
    if let (Some(data), Some(stored)) = (&req.data, state.secrets.get(&s.id)) {
        let value = n
            .keys
            .key()?
            .open(s.id.as_bytes(), &stored.sealed)
            .map_err(|_| {
                ManagerError::Conflict(format!(
                    "secret {}: its stored value cannot be opened with this manager's data key",
                    s.spec.name
                ))
            })?;
        if value != data.0 {
            return Err(ManagerError::BadRequest(format!(
                "secret {}: only updates to Labels are allowed (its value differs from the stored one; a secret's value cannot change: a new value needs a new name)",
                s.spec.name
            )));
        }
    }
    if req.labels == s.spec.labels {
        return Ok(Json(s));
    }
    n.write(Command::UpdateSecretLabels {
        id: s.id.clone(),
        expected_version: req.version,
        labels: req.labels,
        at_ms: now_ms(),
    })
    .await?;
    // `write` has waited for this manager to apply it: the answer includes it.
    find_secret(&n.snapshot(), &s.id).map(Json)
}

async fn remove_secret(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
) -> Result<Json<()>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    let s = find_secret(&n.snapshot(), &key)?;
    n.write(Command::RemoveSecret { id: s.id }).await?;
    Ok(Json(()))
}

async fn list_configs(State(n): S, Extension(p): E) -> Result<Json<Vec<Config>>, ManagerError> {
    manager_only(&n, p)?;
    Ok(Json(n.snapshot().configs.values().cloned().collect()))
}

async fn create_config(
    State(n): S,
    Extension(p): E,
    Json(spec): Json<ConfigSpec>,
) -> Result<Json<Config>, ManagerError> {
    manager_only(&n, p)?;
    validate_object(FileKind::Config, &spec.name, spec.data.len()).map_err(bad)?;
    let state = n.snapshot();
    if state.configs.values().any(|c| c.spec.name == spec.name) {
        return Err(ManagerError::Conflict(format!(
            "a config named {} already exists; choose another name (a config's data cannot change: new data needs a new name)",
            spec.name
        )));
    }
    let id = object_id();
    let now = now_ms();
    let config = Config {
        id: id.clone(),
        version: 1,
        created_at_ms: now,
        updated_at_ms: now,
        spec,
    };
    n.write(Command::CreateConfig {
        config: config.clone(),
    })
    .await?;
    tracing::info!(config = %id, "config created");
    Ok(Json(config))
}

async fn inspect_config(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
) -> Result<Json<Config>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    find_config(&n.snapshot(), &key).map(Json)
}

async fn update_config(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
    Json(req): Json<UpdateLabelsRequest>,
) -> Result<Json<Config>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    let c = find_config(&n.snapshot(), &key)?;
    if req.labels == c.spec.labels {
        return Ok(Json(c));
    }
    n.write(Command::UpdateConfigLabels {
        id: c.id.clone(),
        expected_version: req.version,
        labels: req.labels,
        at_ms: now_ms(),
    })
    .await?;
    // `write` has waited for this manager to apply it: the answer includes it.
    find_config(&n.snapshot(), &c.id).map(Json)
}

async fn remove_config(
    State(n): S,
    Extension(p): E,
    Path(key): Path<String>,
) -> Result<Json<()>, ManagerError> {
    manager_only(&n, p)?;
    n.read_barrier().await?;
    let c = find_config(&n.snapshot(), &key)?;
    n.write(Command::RemoveConfig { id: c.id }).await?;
    Ok(Json(()))
}
