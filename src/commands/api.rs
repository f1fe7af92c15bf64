//! Opening a cluster's API for the cluster verbs (`node ...`, `service ...`): which hosts, keys
//! and known_hosts belong to the cluster (a local sandbox, or an AWS stack's inventory), then
//! [`ClusterApi::connect`].

use crate::cli::{ApiTargetArgs, GlobalArgs};
use crate::cluster_api::hosts::{aws_candidates, sandbox_candidates};
use crate::cluster_api::{ApiOptions, ClusterApi, ClusterApiError};
use crate::inventory::inventory;
use crate::sandbox::Sandbox;
use crate::ssh::{cluster_config_dir, ClusterKey, KnownHosts};
use crate::Error;

/// The cluster name when `--name` is not given: `sandbox`, if such a sandbox exists.
fn cluster_name(target: &ApiTargetArgs) -> Result<String, Error> {
    if let Some(name) = &target.cluster {
        return Ok(name.clone());
    }
    let default = super::sandbox::DEFAULT_NAME;
    match Sandbox::new(default) {
        Ok(sb) if sb.exists() => Ok(default.to_string()),
        _ => Err(Error::ClusterApi(ClusterApiError::Inventory {
            cluster: "(none)".into(),
            reason: "no cluster given: pass --name NAME (or set SWARM_AWS_NAME)".into(),
        })),
    }
}

/// The private key that opens the cluster's hosts, in its config dir (the `--ssh-public-key`
/// identity `up` recorded, else the cluster's own key).
fn key_path(config_dir: &std::path::Path) -> std::path::PathBuf {
    crate::keypair::private_key_path(config_dir)
}

/// Connects to the API of the cluster `target` names: its sandbox hosts when a sandbox of that
/// name exists here, else the manager instances of its AWS stack.
pub async fn connect_api(global: &GlobalArgs, target: &ApiTargetArgs) -> Result<ClusterApi, Error> {
    let name = cluster_name(target)?;
    let inv_err = |reason: String| {
        Error::ClusterApi(ClusterApiError::Inventory {
            cluster: name.clone(),
            reason,
        })
    };
    let config_dir = cluster_config_dir(&name).map_err(|e| inv_err(e.to_string()))?;
    let key_path = key_path(&config_dir);
    let key = ClusterKey::load(&key_path).map_err(|e| {
        inv_err(format!(
            "cannot load the cluster's SSH key ({e}); it is created by `swarm-aws up`"
        ))
    })?;
    let sandbox = Sandbox::new(&name).map_err(|e| inv_err(e.to_string()))?;
    let (hosts, opts) = if sandbox.exists() {
        let hosts = sandbox.hosts().map_err(|e| inv_err(e.to_string()))?;
        let known_hosts = KnownHosts::new(sandbox.state_dir().join("known_hosts"));
        let mut opts = ApiOptions::new(&name, key, known_hosts, &config_dir);
        opts.connect.user = "root".into();
        (sandbox_candidates(&hosts), opts)
    } else {
        let clients = super::shared::connect(global, None).await?;
        let info = super::shared::require_stack(&clients, &name).await?;
        let inv = inventory(&clients, &info.id).await?;
        let known_hosts = KnownHosts::for_cluster(&name).map_err(|e| inv_err(e.to_string()))?;
        let mut opts = ApiOptions::new(&name, key, known_hosts, &config_dir);
        opts.connect.user = target.ssh_user.clone();
        (aws_candidates(&inv), opts)
    };
    if hosts.is_empty() {
        return Err(inv_err(
            "the cluster has no manager instance with an address".into(),
        ));
    }
    Ok(ClusterApi::connect(&hosts, &opts).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_of_up_ssh_public_key_is_the_recorded_identity() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(key_path(dir.path()), dir.path().join("id_ed25519"));
        // `up --ssh-public-key ~/.ssh/mine.pub` records where the private half is.
        let mine = dir.path().join("mine");
        std::fs::write(
            dir.path().join(crate::keypair::IDENTITY_FILE),
            format!("{}\n", mine.display()),
        )
        .unwrap();
        assert_eq!(key_path(dir.path()), mine);
    }
}
