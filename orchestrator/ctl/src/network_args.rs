//! The network flags of `service create` (`--network`, `--endpoint-mode`) and of `service
//! update` (`--network-add`, `--network-rm`, `--endpoint-mode`), flattened into those verbs.

use anyhow::{bail, Result};
use clap::Args;
use swarm_api::client::Client;
use swarm_api::network::{parse_network_flag, EndpointMode};
use swarm_api::service::ServiceSpec;

/// `service create` network flags.
#[derive(Debug, Clone, Default, Args)]
pub struct CreateNetworkArgs {
    /// Attach to an overlay network (NAME or name=NAME,alias=ALIAS); repeatable.
    #[arg(long, value_name = "NETWORK")]
    pub network: Vec<String>,
    /// Endpoint mode (vip or dnsrr).
    #[arg(long, value_name = "MODE")]
    pub endpoint_mode: Option<String>,
}

/// `service update` network flags.
#[derive(Debug, Clone, Default, Args)]
pub struct UpdateNetworkArgs {
    /// Add a network (NAME or name=NAME,alias=ALIAS); repeatable.
    #[arg(long, value_name = "NETWORK")]
    pub network_add: Vec<String>,
    /// Remove a network (name or id); repeatable.
    #[arg(long, value_name = "NETWORK")]
    pub network_rm: Vec<String>,
    /// Endpoint mode (vip or dnsrr).
    #[arg(long, value_name = "MODE")]
    pub endpoint_mode: Option<String>,
}

impl UpdateNetworkArgs {
    /// Whether no network flag was given.
    pub fn is_empty(&self) -> bool {
        self.network_add.is_empty() && self.network_rm.is_empty() && self.endpoint_mode.is_none()
    }

    /// Applies the flags to `spec` (names of removed networks are looked up on the manager,
    /// added ones are resolved by the manager).
    pub async fn apply(&self, client: &Client, mut spec: ServiceSpec) -> Result<ServiceSpec> {
        for key in &self.network_rm {
            let v = client.networks().inspect(key).await?;
            let before = spec.task.networks.len();
            spec.task.networks.retain(|n| n.target != v.network.id);
            if spec.task.networks.len() == before {
                bail!(
                    "invalid --network-rm {key:?}: service {} is not attached to it (fix: see its networks with `service inspect {}`)",
                    spec.name,
                    spec.name
                );
            }
        }
        for a in &self.network_add {
            spec.task.networks.push(parse_network_flag(a)?);
        }
        if let Some(m) = &self.endpoint_mode {
            spec.endpoint.mode = EndpointMode::parse(m)?;
        }
        Ok(spec)
    }
}
