//! The secret and config flags of `service create` (`--secret`, `--config`) and `service
//! update` (`--secret-add/-rm`, `--config-add/-rm`), flattened into those verbs.
//!
//! Values are parsed here (docker's short `NAME` and long `source=,target=,uid=,gid=,mode=`
//! forms, see [`swarm_api::file_ref`]) and every named secret or config is looked up on the
//! manager first, so a typo is an input error (exit 2) and nothing is created or changed.

use anyhow::Result;
use clap::Args;
use swarm_api::client::Client;
use swarm_api::config::ConfigReference;
use swarm_api::file_ref::{parse_file_ref, FileKind};
use swarm_api::secret::SecretReference;
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

async fn secret_ref(client: &Client, flag: &str, value: &str) -> Result<SecretReference> {
    let a = parse_file_ref(FileKind::Secret, flag, value)?;
    let s = client
        .secrets()
        .inspect(&a.source)
        .await
        .map_err(|e| missing(flag, value, FileKind::Secret, &a.source, &e.to_string()))?;
    Ok(SecretReference {
        secret_id: s.id,
        secret_name: s.spec.name,
        file: a.target,
    })
}

async fn config_ref(client: &Client, flag: &str, value: &str) -> Result<ConfigReference> {
    let a = parse_file_ref(FileKind::Config, flag, value)?;
    let c = client
        .configs()
        .inspect(&a.source)
        .await
        .map_err(|e| missing(flag, value, FileKind::Config, &a.source, &e.to_string()))?;
    Ok(ConfigReference {
        config_id: c.id,
        config_name: c.spec.name,
        file: a.target,
    })
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
        for v in &self.secret {
            let r = secret_ref(client, "--secret", v).await?;
            spec.task.container.secrets.push(r);
        }
        for v in &self.config {
            let r = config_ref(client, "--config", v).await?;
            spec.task.container.configs.push(r);
        }
        Ok(spec)
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
        let c = &mut spec.task.container;
        for name in &self.secret_rm {
            c.secrets
                .retain(|r| &r.secret_name != name && &r.secret_id != name);
        }
        for name in &self.config_rm {
            c.configs
                .retain(|r| &r.config_name != name && &r.config_id != name);
        }
        for v in &self.secret_add {
            let r = secret_ref(client, "--secret-add", v).await?;
            let c = &mut spec.task.container;
            c.secrets
                .retain(|x| x.secret_id != r.secret_id || x.file.name != r.file.name);
            c.secrets.push(r);
        }
        for v in &self.config_add {
            let r = config_ref(client, "--config-add", v).await?;
            let c = &mut spec.task.container;
            c.configs
                .retain(|x| x.config_id != r.config_id || x.file.name != r.file.name);
            c.configs.push(r);
        }
        Ok(spec)
    }
}
