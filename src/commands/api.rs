//! Opening a cluster's API for the cluster verbs (`node ...`, `service ...`): the provider's
//! managers of the stack's instances with its keys and known_hosts (a local sandbox's hosts when
//! one of that name exists here, else the AWS instances) and the engine its stack records. In the
//! sandbox, the hosts first follow the groups' instances (new ones boot through their user data).

use super::shared::{require_stack, target};
use crate::cli::{ApiTargetArgs, GlobalArgs};
use crate::cluster_api::ClusterApiError;
use crate::engine::{choose, ApiCluster, Engine, ENGINE_TAG};
use crate::inventory::inventory;
use crate::provider::{EmulatorUse, HostProvider, Provider};
use crate::sandbox::Sandbox;
use crate::Error;

/// The cluster name when `--name` is not given: `sandbox`, if such a sandbox exists.
pub(crate) fn cluster_name(target: &ApiTargetArgs) -> Result<String, Error> {
    if let Some(name) = &target.cluster {
        return Ok(name.clone());
    }
    let default = crate::provider::sandbox::DEFAULT_NAME;
    match Sandbox::new(default) {
        Ok(sb) if sb.exists() => Ok(default.to_string()),
        _ => Err(Error::ClusterApi(ClusterApiError::Inventory {
            cluster: "(none)".into(),
            reason: "no cluster given: pass --name NAME (or set SWARM_AWS_NAME)".into(),
        })),
    }
}

/// The cluster `args` names, for its verbs: its engine (as its stack records) and the managers
/// among the provider's hosts of its stack's instances (a local sandbox's hosts when a sandbox
/// of that name exists here, else the instances), with how to reach them.
pub async fn api_cluster(
    global: &GlobalArgs,
    args: &ApiTargetArgs,
) -> Result<(Engine, ApiCluster), Error> {
    let name = cluster_name(args)?;
    let local = Sandbox::new(&name).is_ok_and(|sb| sb.exists());
    let mut target = target(global, local, EmulatorUse::Existing);
    let clients = target.connect(&name, None).await?;
    let info = require_stack(&clients, &name).await?;
    let engine = Engine::of(choose(&name, None, Some(info.tag(ENGINE_TAG)))?);
    let inv = inventory(&clients, &info.id).await?;
    // The sandbox plays the groups' part: instances with no host yet boot through user data.
    if let Provider::Sandbox(p) = &target.provider {
        p.follow_groups(&name, &inv, &clients).await?;
    }
    let hosts = target.provider.managers(&name, &inv)?;
    if hosts.is_empty() {
        return Err(ClusterApiError::Inventory {
            cluster: name,
            reason: "the cluster has no manager instance with an address".into(),
        }
        .into());
    }
    let api = target.provider.api_options(&name, &args.ssh_user)?;
    Ok((
        engine,
        ApiCluster {
            name,
            managers: hosts,
            api,
        },
    ))
}
