//! The secret and config routes of the control API (`/v1/secrets/...`, `/v1/configs/...`),
//! and the resolution of `--secret` / `--config` names in service specs.
//!
//! A secret's value is sealed with the cluster data key here, before the command is written,
//! so only ciphertext enters the Raft log; answers never carry it. Config data is stored and
//! answered as given (docker returns it in `config inspect`).

use std::collections::BTreeSet;

use axum::extract::Path;
use axum::Json;
use swarm_api::command::Command;
use swarm_api::config::{Config, ConfigSpec};
use swarm_api::file_kind::{FileRef, FileSpec, Object};
use swarm_api::file_ref::validate_object;
use swarm_api::secret::{Secret, SecretSpec, UpdateLabelsRequest};
use swarm_api::service::{ContainerSpec, ServiceSpec};
use swarm_store::file_objects::StoredKind;
use swarm_store::state::ClusterState;

use crate::error::ManagerError;
use crate::extract::{Answer, Control};
use crate::node::Node;
use crate::random::{now_ms, object_id};

/// What the handlers of one kind write, and what an update must respect besides its labels.
pub trait ManagedKind: StoredKind {
    /// Why a name cannot be reused for new content (the end of the "already exists" message).
    const IMMUTABLE: &'static str;
    /// The command that replaces the labels.
    fn update_labels(id: String, expected_version: u64, labels: Labels, at_ms: u64) -> Command;
    /// The command that removes one.
    fn remove(id: String) -> Command;
    /// Refuses an update that would change more than the labels.
    fn check_update(
        n: &Node,
        o: &Object<Self>,
        req: &UpdateLabelsRequest,
    ) -> Result<(), ManagerError>;
}

type Labels = std::collections::BTreeMap<String, String>;

impl ManagedKind for SecretSpec {
    const IMMUTABLE: &'static str = "a secret's value cannot change: a new value needs a new name";
    fn update_labels(id: String, expected_version: u64, labels: Labels, at_ms: u64) -> Command {
        Command::UpdateSecretLabels {
            id,
            expected_version,
            labels,
            at_ms,
        }
    }
    fn remove(id: String) -> Command {
        Command::RemoveSecret { id }
    }
    /// The value the caller holds, when given, must be the stored one.
    fn check_update(n: &Node, s: &Secret, req: &UpdateLabelsRequest) -> Result<(), ManagerError> {
        let state = n.snapshot();
        let (Some(data), Some(stored)) = (&req.data, state.secrets.get(&s.id)) else {
            return Ok(());
        };
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
        Ok(())
    }
}

impl ManagedKind for ConfigSpec {
    const IMMUTABLE: &'static str = "a config's data cannot change: new data needs a new name";
    fn update_labels(id: String, expected_version: u64, labels: Labels, at_ms: u64) -> Command {
        Command::UpdateConfigLabels {
            id,
            expected_version,
            labels,
            at_ms,
        }
    }
    fn remove(id: String) -> Command {
        Command::RemoveConfig { id }
    }
    fn check_update(_: &Node, _: &Config, _: &UpdateLabelsRequest) -> Result<(), ManagerError> {
        Ok(())
    }
}

fn find<S: StoredKind>(state: &ClusterState, key: &str) -> Result<Object<S>, ManagerError> {
    let noun = S::KIND.noun();
    state.find_file_object::<S>(key).cloned().ok_or_else(|| {
        ManagerError::NotFound(format!(
            "{noun} {key} not found; list {noun}s with `{noun} ls`"
        ))
    })
}

fn bad(e: swarm_api::spec_error::SpecError) -> ManagerError {
    ManagerError::BadRequest(e.to_string())
}

/// A new object of kind `S` with `spec`, refused when its name is taken.
fn fresh<S: ManagedKind>(state: &ClusterState, spec: S) -> Result<Object<S>, ManagerError> {
    if state.file_objects::<S>().any(|o| o.name() == spec.name()) {
        return Err(ManagerError::Conflict(format!(
            "a {} named {} already exists; choose another name ({})",
            S::KIND.noun(),
            spec.name(),
            S::IMMUTABLE
        )));
    }
    let now = now_ms();
    Ok(Object {
        id: object_id(),
        version: 1,
        created_at_ms: now,
        updated_at_ms: now,
        spec,
    })
}

/// Replaces the secret and config names of `spec`'s references by their ids; refuses a
/// missing one (naming it) and two files at one target.
pub fn resolve_files(state: &ClusterState, spec: &mut ServiceSpec) -> Result<(), ManagerError> {
    let c = &mut spec.task.container;
    let mut targets = BTreeSet::new();
    resolve_refs::<SecretSpec>(state, c, &mut targets)?;
    resolve_refs::<ConfigSpec>(state, c, &mut targets)
}

fn resolve_refs<S: StoredKind>(
    state: &ClusterState,
    c: &mut ContainerSpec,
    targets: &mut BTreeSet<String>,
) -> Result<(), ManagerError> {
    let noun = S::KIND.noun();
    for r in S::refs_mut(c) {
        let key = if r.id().is_empty() { r.name() } else { r.id() };
        let o = state.find_file_object::<S>(key).ok_or_else(|| {
            ManagerError::NotFound(format!(
                "invalid --{noun} {:?}: {noun} not found (fix: create it with `{noun} create {} FILE` or list them with `{noun} ls`)",
                r.name(), r.name()
            ))
        })?;
        *r = S::Ref::new(o.id.clone(), o.name().to_string(), r.file().clone());
        if !targets.insert(S::KIND.path(&r.file().name)) {
            return Err(ManagerError::BadRequest(format!(
                "invalid --{noun} {:?}: target {} is used twice (fix: give each file its own target=)",
                r.name(), r.file().name
            )));
        }
    }
    Ok(())
}

/// `GET /v1/secrets`, `/v1/configs`.
pub(crate) async fn list<S: StoredKind>(Control(n): Control) -> Answer<Vec<Object<S>>> {
    Ok(Json(n.snapshot().file_objects::<S>().cloned().collect()))
}

/// `GET /v1/secrets/:key`, `/v1/configs/:key`.
pub(crate) async fn inspect<S: StoredKind>(
    Control(n): Control,
    Path(key): Path<String>,
) -> Answer<Object<S>> {
    n.read_barrier().await?;
    find(&n.snapshot(), &key).map(Json)
}

/// `POST .../:key/update`: labels only (labels equal to the stored ones change nothing).
pub(crate) async fn update<S: ManagedKind>(
    Control(n): Control,
    Path(key): Path<String>,
    Json(req): Json<UpdateLabelsRequest>,
) -> Answer<Object<S>> {
    n.read_barrier().await?;
    let o = find::<S>(&n.snapshot(), &key)?;
    S::check_update(&n, &o, &req)?;
    if &req.labels == o.spec.labels() {
        return Ok(Json(o));
    }
    n.write(S::update_labels(
        o.id.clone(),
        req.version,
        req.labels,
        now_ms(),
    ))
    .await?;
    // `write` has waited for this manager to apply it: the answer includes it.
    find(&n.snapshot(), &o.id).map(Json)
}

/// `POST .../:key/rm`.
pub(crate) async fn remove<S: ManagedKind>(
    Control(n): Control,
    Path(key): Path<String>,
) -> Answer<()> {
    n.read_barrier().await?;
    let o = find::<S>(&n.snapshot(), &key)?;
    n.write(S::remove(o.id)).await?;
    Ok(Json(()))
}

/// `POST /v1/secrets`: the value is sealed before the command is written.
pub(crate) async fn create_secret(
    Control(n): Control,
    Json(spec): Json<SecretSpec>,
) -> Answer<Secret> {
    validate_object(SecretSpec::KIND, &spec.name, spec.data.0.len()).map_err(bad)?;
    if !spec.driver.is_empty() {
        return Err(ManagerError::BadRequest(format!(
            "invalid --driver {:?}: only the built-in secret store exists here (fix: leave --driver out)",
            spec.driver
        )));
    }
    let key = n.keys.key()?;
    let mut secret = fresh(&n.snapshot(), spec)?;
    let data = std::mem::take(&mut secret.spec.data);
    let sealed = key.seal(secret.id.as_bytes(), &data.0);
    // Answered from what was written: on a follower the local state may not have applied
    // the forwarded write yet.
    n.write(Command::CreateSecret {
        secret: secret.clone(),
        sealed,
    })
    .await?;
    tracing::info!(secret = %secret.id, "secret created");
    Ok(Json(secret))
}

/// `POST /v1/configs`.
pub(crate) async fn create_config(
    Control(n): Control,
    Json(spec): Json<ConfigSpec>,
) -> Answer<Config> {
    validate_object(ConfigSpec::KIND, &spec.name, spec.data.len()).map_err(bad)?;
    let config = fresh(&n.snapshot(), spec)?;
    n.write(Command::CreateConfig {
        config: config.clone(),
    })
    .await?;
    tracing::info!(config = %config.id, "config created");
    Ok(Json(config))
}
