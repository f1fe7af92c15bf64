//! The secrets and configs of a stack deploy: which to create, which exist already (left
//! alone, or their labels updated; a changed value is refused as docker refuses it: for a
//! config here, for a secret by the manager, which alone can read the stored value), which
//! external ones are missing, and the ids that the
//! services' references get (so an unchanged service compares equal to the stored one).
//! [`file_changes`] is pure; [`apply`] talks to the manager.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{anyhow, Result};
use swarm_api::client::Client;
use swarm_api::config::ConfigSpec;
use swarm_api::file_ref::FileKind;
use swarm_api::secret::{SecretData, SecretSpec, UpdateLabelsRequest};
use swarm_api::service::ServiceSpec;
use swarm_compose::map::files::{FileSource, PlannedFile};
use swarm_compose::{ComposeError, StackPlan};

/// What exists in the cluster of one kind: name → (id, version, labels, data when known).
pub type Existing = BTreeMap<String, (String, u64, BTreeMap<String, String>, Option<Vec<u8>>)>;

/// One step of a deploy for a secret or config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Create it (name, labels, data).
    Create(String, BTreeMap<String, String>, Vec<u8>),
    /// It exists with other labels: set them (name, id, version, labels).
    Relabel(String, String, u64, BTreeMap<String, String>),
    /// Its data changed: docker refuses this (a value is immutable); the name.
    DataChanged(String),
    /// A secret exists (its value is not readable here): the manager compares the value and
    /// refuses a changed one; the labels are set when they differ (name, id, version,
    /// labels, data, labels differ).
    CheckSecret(String, String, u64, BTreeMap<String, String>, Vec<u8>, bool),
}

/// The steps for the planned objects of `kind` against what exists; `Err` names the first
/// external object that does not exist (an input error: nothing is created).
pub fn file_changes(
    kind: FileKind,
    planned: &[PlannedFile],
    existing: &Existing,
) -> Result<Vec<FileChange>, ComposeError> {
    let plural = format!("{}s", kind.noun());
    let mut out = Vec::new();
    for p in planned {
        let have = existing.get(&p.name);
        match (&p.source, have) {
            (FileSource::External, Some(_)) => {}
            (FileSource::External, None) => {
                return Err(ComposeError::key(
                    format!("{plural}.{}", p.key),
                    format!(
                        "{} {:?} is declared as external, but could not be found",
                        kind.noun(),
                        p.name
                    ),
                    format!("create it first: `{} create {} FILE`", kind.noun(), p.name),
                ))
            }
            (FileSource::Data(d), None) => out.push(FileChange::Create(
                p.name.clone(),
                p.labels.clone(),
                d.clone(),
            )),
            (FileSource::Data(d), Some((id, version, labels, data))) => {
                if kind == FileKind::Secret && data.is_none() {
                    out.push(FileChange::CheckSecret(
                        p.name.clone(),
                        id.clone(),
                        *version,
                        p.labels.clone(),
                        d.clone(),
                        labels != &p.labels,
                    ));
                } else if data.as_ref().is_some_and(|have| have != d) {
                    out.push(FileChange::DataChanged(p.name.clone()));
                } else if labels != &p.labels {
                    out.push(FileChange::Relabel(
                        p.name.clone(),
                        id.clone(),
                        *version,
                        p.labels.clone(),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// The secrets and the configs in the cluster.
pub async fn existing(client: &Client) -> Result<(Existing, Existing)> {
    let secrets = client
        .secrets()
        .ls()
        .await?
        .into_iter()
        .map(|s| {
            let v = (s.id, s.version, s.spec.labels, None);
            (s.spec.name, v)
        })
        .collect();
    let configs = client
        .configs()
        .ls()
        .await?
        .into_iter()
        .map(|c| {
            let v = (c.id, c.version, c.spec.labels, Some(c.spec.data));
            (c.spec.name, v)
        })
        .collect();
    Ok((secrets, configs))
}

/// Checks the external secrets and configs of `plan` and decides the steps (input errors
/// here, before anything is created).
pub fn changes(
    plan: &StackPlan,
    existing: &(Existing, Existing),
) -> Result<(Vec<FileChange>, Vec<FileChange>), ComposeError> {
    Ok((
        file_changes(FileKind::Secret, &plan.secrets, &existing.0)?,
        file_changes(FileKind::Config, &plan.configs, &existing.1)?,
    ))
}

/// Runs the steps of one kind; returns the names created.
pub async fn apply(
    client: &Client,
    kind: FileKind,
    steps: &[FileChange],
    quiet: bool,
    out: &mut impl Write,
) -> Result<Vec<String>> {
    let mut created = Vec::new();
    for s in steps {
        match s {
            FileChange::Create(name, labels, data) => {
                if !quiet {
                    writeln!(out, "Creating {} {name}", kind.noun())?;
                }
                match kind {
                    FileKind::Secret => {
                        let spec = SecretSpec {
                            name: name.clone(),
                            labels: labels.clone(),
                            data: SecretData(data.clone()),
                            driver: String::new(),
                        };
                        client.secrets().create(&spec).await?;
                    }
                    FileKind::Config => {
                        let spec = ConfigSpec {
                            name: name.clone(),
                            labels: labels.clone(),
                            data: data.clone(),
                        };
                        client.configs().create(&spec).await?;
                    }
                }
                created.push(name.clone());
            }
            FileChange::Relabel(name, id, version, labels) => {
                if !quiet {
                    writeln!(out, "Updating {} {name}", kind.noun())?;
                }
                let req = UpdateLabelsRequest {
                    version: *version,
                    labels: labels.clone(),
                    data: None,
                };
                match kind {
                    FileKind::Secret => drop(client.secrets().update(id, &req).await?),
                    FileKind::Config => drop(client.configs().update(id, &req).await?),
                }
            }
            FileChange::CheckSecret(name, id, version, labels, data, relabel) => {
                if *relabel && !quiet {
                    writeln!(out, "Updating secret {name}")?;
                }
                let req = UpdateLabelsRequest {
                    version: *version,
                    labels: labels.clone(),
                    data: Some(SecretData(data.clone())),
                };
                client
                    .secrets()
                    .update(id, &req)
                    .await
                    .map_err(|e| anyhow!("failed to update secret {name}: {e}"))?;
            }
            FileChange::DataChanged(name) => {
                return Err(anyhow!(
                    "failed to update {} {name}: only updates to Labels are allowed (its data changed; a {}'s data cannot change: give the new data a new name, or remove the stack first)",
                    kind.noun(),
                    kind.noun()
                ));
            }
        }
    }
    Ok(created)
}

/// Sets the ids of `spec`'s secret and config references from the objects in the cluster
/// (the manager stores them with ids; a reference to a missing one keeps its name only and
/// the manager refuses it).
pub fn resolve_ids(spec: &mut ServiceSpec, existing: &(Existing, Existing)) {
    let c = &mut spec.task.container;
    for r in &mut c.secrets {
        if let Some((id, ..)) = existing.0.get(&r.secret_name) {
            r.secret_id = id.clone();
        }
    }
    for r in &mut c.configs {
        if let Some((id, ..)) = existing.1.get(&r.config_name) {
            r.config_id = id.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(name: &str, source: FileSource) -> PlannedFile {
        PlannedFile {
            key: "k".into(),
            name: name.into(),
            source,
            labels: BTreeMap::from([("com.docker.stack.namespace".into(), "app".into())]),
        }
    }

    #[test]
    fn create_keep_relabel_refuse_and_missing_external() {
        let labels = planned("x", FileSource::External).labels;
        let existing: Existing = BTreeMap::from([
            (
                "app_same".into(),
                ("i1".into(), 1, labels.clone(), Some(b"a".to_vec())),
            ),
            (
                "app_old".into(),
                ("i2".into(), 3, BTreeMap::new(), Some(b"a".to_vec())),
            ),
            (
                "app_changed".into(),
                ("i3".into(), 1, labels.clone(), Some(b"a".to_vec())),
            ),
            ("app_secret".into(), ("i4".into(), 1, labels.clone(), None)),
            ("shared".into(), ("i5".into(), 1, BTreeMap::new(), None)),
        ]);
        let plan = [
            planned("app_new", FileSource::Data(b"n".to_vec())),
            planned("app_same", FileSource::Data(b"a".to_vec())),
            planned("app_old", FileSource::Data(b"a".to_vec())),
            planned("app_changed", FileSource::Data(b"b".to_vec())),
            planned("app_secret", FileSource::Data(b"b".to_vec())),
            planned("shared", FileSource::External),
        ];
        let steps = file_changes(FileKind::Secret, &plan[4..], &existing).unwrap();
        assert_eq!(
            steps,
            vec![FileChange::CheckSecret(
                "app_secret".into(),
                "i4".into(),
                1,
                labels.clone(),
                b"b".to_vec(),
                false
            )]
        );
        let plan = &plan[..4];
        let steps = file_changes(FileKind::Config, plan, &existing).unwrap();
        assert_eq!(
            steps,
            vec![
                FileChange::Create("app_new".into(), labels.clone(), b"n".to_vec()),
                FileChange::Relabel("app_old".into(), "i2".into(), 3, labels),
                FileChange::DataChanged("app_changed".into()),
            ]
        );
        let missing = vec![planned("gone", FileSource::External)];
        let e = file_changes(FileKind::Secret, &missing, &existing).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "secrets.k: secret \"gone\" is declared as external, but could not be found"
            ),
            "{e}"
        );
    }
}
