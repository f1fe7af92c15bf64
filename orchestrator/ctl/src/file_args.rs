//! The secret and config flags of `service create` (`--secret`, `--config`) and `service
//! update` (`--secret-add/-rm`, `--config-add/-rm`), flattened into those verbs.
//!
//! Values are parsed here (docker's short `NAME` and long `source=,target=,uid=,gid=,mode=`
//! forms, see [`swarm_api::file_ref`]) and every named secret or config is looked up on the
//! manager first, so a typo is an input error (exit 2) and nothing is created or changed.

use anyhow::Result;
use clap::Args;
use swarm_api::client::Client;
use swarm_api::config::ConfigSpec;
use swarm_api::file_kind::{FileRef, FileSpec};
use swarm_api::file_ref::{parse_file_ref, FileKind};
use swarm_api::secret::SecretSpec;
use swarm_api::service::ServiceSpec;
use swarm_api::spec_error::SpecError;

/// `service create` secret and config flags.
#[derive(Debug, Clone, Default, Args)]
pub struct CreateFileArgs {
    /// Specify secrets to expose to the service (NAME or source=NAME,target=..,uid=..,gid=..,mode=..); repeatable.
    #[arg(long, value_name = "SECRET")]
    pub secret: Vec<String>,
    /// Specify configurations to expose to the service (NAME or source=NAME,target=..,...); repeatable.
    #[arg(long, value_name = "CONFIG")]
    pub config: Vec<String>,
}

/// `service update` secret and config flags.
#[derive(Debug, Clone, Default, Args)]
pub struct UpdateFileArgs {
    /// Add or update a secret on a service; repeatable.
    #[arg(long, value_name = "SECRET")]
    pub secret_add: Vec<String>,
    /// Remove a secret (its name); repeatable.
    #[arg(long, value_name = "SECRET")]
    pub secret_rm: Vec<String>,
    /// Add or update a config file on a service; repeatable.
    #[arg(long, value_name = "CONFIG")]
    pub config_add: Vec<String>,
    /// Remove a configuration file (its name); repeatable.
    #[arg(long, value_name = "CONFIG")]
    pub config_rm: Vec<String>,
}

/// `--secret`/`--config` (`flag` as typed): parsed, and the named object looked up.
async fn file_ref<S: FileSpec>(client: &Client, flag: &str, value: &str) -> Result<S::Ref> {
    let a = parse_file_ref(S::KIND, flag, value)?;
    let o = client
        .file_objects::<S>()
        .inspect(&a.source)
        .await
        .map_err(|e| missing(flag, value, S::KIND, &a.source, &e.to_string()))?;
    Ok(S::Ref::new(o.id, o.spec.name().to_string(), a.target))
}

fn missing(flag: &str, value: &str, kind: FileKind, name: &str, why: &str) -> anyhow::Error {
    if why.contains("not found") {
        SpecError::new(
            flag,
            value,
            format!("{} {name} not found", kind.noun()),
            format!(
                "create it first with `{} create {name} FILE`, or list them with `{} ls`",
                kind.noun(),
                kind.noun()
            ),
        )
        .into()
    } else {
        anyhow::anyhow!("invalid {flag} {value:?}: {why}")
    }
}

impl CreateFileArgs {
    /// Adds the references to `spec`.
    pub async fn apply(&self, client: &Client, mut spec: ServiceSpec) -> Result<ServiceSpec> {
        add::<SecretSpec>(client, "--secret", &self.secret, false, &mut spec).await?;
        add::<ConfigSpec>(client, "--config", &self.config, false, &mut spec).await?;
        Ok(spec)
    }
}

/// Adds a reference per value; with `replace`, an added object replaces its old reference at
/// the same target (`service update`).
async fn add<S: FileSpec>(
    client: &Client,
    flag: &str,
    values: &[String],
    replace: bool,
    spec: &mut ServiceSpec,
) -> Result<()> {
    for v in values {
        let r = file_ref::<S>(client, flag, v).await?;
        let refs = S::refs_mut(&mut spec.task.container);
        if replace {
            refs.retain(|x| x.id() != r.id() || x.file().name != r.file().name);
        }
        refs.push(r);
    }
    Ok(())
}

/// Removes the references to the objects named (by name or id).
fn remove<S: FileSpec>(names: &[String], spec: &mut ServiceSpec) {
    for name in names {
        S::refs_mut(&mut spec.task.container).retain(|r| r.name() != name && r.id() != name);
    }
}

impl UpdateFileArgs {
    /// Whether no flag was given.
    pub fn is_empty(&self) -> bool {
        self.secret_add.is_empty()
            && self.secret_rm.is_empty()
            && self.config_add.is_empty()
            && self.config_rm.is_empty()
    }

    /// Removes, then adds (an added name replaces its old reference), as docker does.
    pub async fn apply(&self, client: &Client, mut spec: ServiceSpec) -> Result<ServiceSpec> {
        remove::<SecretSpec>(&self.secret_rm, &mut spec);
        remove::<ConfigSpec>(&self.config_rm, &mut spec);
        add::<SecretSpec>(client, "--secret-add", &self.secret_add, true, &mut spec).await?;
        add::<ConfigSpec>(client, "--config-add", &self.config_add, true, &mut spec).await?;
        Ok(spec)
    }
}
