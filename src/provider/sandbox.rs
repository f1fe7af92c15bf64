//! The sandbox provider: the stack lives in the local emulator and one local host (a network
//! namespace with a real sshd) stands for each of its live instances, as the roster records.

use std::path::PathBuf;

use super::emulator::{self, EmulatorUse};
use super::instance_boot;
use super::{HostProvider, ProviderError};
use crate::aws::{AwsErrorKind, AwsOptions, Clients};
use crate::bootstrap::remote::{daemon_start_command, RemoteLayout};
use crate::bootstrap::roster::{Roster, SyncPlan};
use crate::bootstrap::{sandbox_down, sandbox_options, BootstrapHost, BootstrapOptions, NodeRole};
use crate::cluster_api::hosts::sandbox_candidates;
use crate::cluster_api::{ApiOptions, ClusterApiError};
use crate::inventory::{Inventory, Role};
use crate::sandbox::boot::{BootEnv, BOOT_LOG};
use crate::sandbox::{sandbox_state_root, Sandbox, SandboxError, SandboxHost};
use crate::spec::raw::RawSpec;
use crate::ssh::{cluster_config_dir, ClusterKey, KnownHosts};
use crate::stack::StackError;
use crate::Error;

/// Cluster name when `--name` is not given.
pub const DEFAULT_NAME: &str = "sandbox";
/// The sandbox hosts' address range (see `sandbox::plan`): SSH is allowed from there only.
pub const SSH_CIDR: &str = "10.213.0.0/16";
/// Region of the emulated stack when none is given.
pub const DEFAULT_REGION: &str = "us-east-1";
const DEFAULT_MANAGERS: u32 = 3;
const DEFAULT_WORKERS: u32 = 2;

/// Local hosts for the emulator's instances.
#[derive(Debug)]
pub struct SandboxProvider {
    usage: EmulatorUse,
    /// `up --monitoring`: new sandboxes' hosts serve `/metrics` on their TLS port.
    pub monitoring: bool,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, Error> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ProviderError::Task(e.to_string()))??)
}

fn role(r: Role) -> NodeRole {
    match r {
        Role::Manager => NodeRole::Manager,
        Role::Worker => NodeRole::Worker,
    }
}

/// The live instances of `inv` with their roles, in inventory order.
fn live(inv: &Inventory) -> Vec<(String, NodeRole)> {
    inv.instances
        .iter()
        .filter(|i| i.is_live())
        .map(|i| (i.id.clone(), role(i.role)))
        .collect()
}

/// The cluster's SSH key (made by `up` with the key pair, or here).
fn cluster_key(cluster: &str) -> Result<(ClusterKey, PathBuf), Error> {
    let local = |e: &dyn std::fmt::Display| ProviderError::Local {
        path: PathBuf::from(cluster),
        detail: format!("the cluster's SSH key: {e}"),
    };
    let dir = cluster_config_dir(cluster).map_err(|e| local(&e))?;
    let (key, _) =
        ClusterKey::load_or_create(&dir, &format!("swarm-aws-{cluster}")).map_err(|e| local(&e))?;
    Ok((key, dir))
}

impl SandboxProvider {
    /// A provider that uses the emulator as `usage` says.
    pub fn new(usage: EmulatorUse) -> Self {
        SandboxProvider {
            usage,
            monitoring: false,
        }
    }

    /// The roster and hosts of the sandbox of `cluster` (empty when it has none yet).
    fn state(cluster: &str) -> Result<(Sandbox, Roster, Vec<SandboxHost>), Error> {
        let sandbox = Sandbox::new(cluster)?;
        if !sandbox.exists() {
            return Ok((sandbox, Roster::default(), Vec::new()));
        }
        let roster = Roster::load(&sandbox.state_dir())?.unwrap_or_default();
        let hosts = sandbox.hosts()?;
        Ok((sandbox, roster, hosts))
    }

    /// The roster's hosts of the live instances of `inv`.
    fn live_hosts(cluster: &str, inv: &Inventory) -> Result<(Roster, Vec<SandboxHost>), Error> {
        let (_, roster, hosts) = Self::state(cluster)?;
        let live = live(inv);
        let mut roster = roster;
        roster
            .instances
            .retain(|id, _| live.iter().any(|(l, _)| l == id));
        Ok((roster, hosts))
    }
    /// What makes the roster hold exactly the live instances of `inv`. A host that is gone
    /// (killed) hands nothing to a new instance: its instance gets a new host.
    fn sync_plan(cluster: &str, inv: &Inventory) -> Result<SyncState, Error> {
        let (sandbox, mut roster, hosts) = Self::state(cluster)?;
        roster
            .instances
            .retain(|_, p| hosts.iter().any(|h| h.name == p.host));
        let plan = roster.sync_plan(&live(inv));
        Ok((sandbox, roster, hosts, plan))
    }

    /// Adds and removes exactly the hosts of the instances that came and went; returns the
    /// hosts added, with their instances.
    async fn follow(
        &self,
        cluster: &str,
        inv: &Inventory,
    ) -> Result<Vec<(String, SandboxHost)>, Error> {
        let (sandbox, mut roster, hosts, plan) = Self::sync_plan(cluster, inv)?;
        if plan.is_noop() {
            return Ok(Vec::new());
        }
        let dir = sandbox.state_dir();
        for (old, new) in &plan.rekey {
            if let Some(p) = roster.instances.get(old) {
                eprintln!(
                    "sandbox: {}: now stands for instance {new} (the emulator replaced {old})",
                    p.host
                );
            }
            roster.rekey(old, new);
        }
        for id in &plan.remove {
            let Some(part) = roster.instances.remove(id) else {
                continue;
            };
            if let Some(h) = hosts.iter().find(|h| h.name == part.host) {
                remove_host(&sandbox, h).await?;
                eprintln!("sandbox: {}: removed (instance {id} is gone)", part.host);
            }
        }
        let mut pairs = Vec::new();
        if !plan.add.is_empty() {
            let count = plan.add.len();
            let sb = sandbox.clone();
            let mut added = if sandbox.exists() {
                blocking(move || sb.add_hosts(count)).await?
            } else {
                let public_key = cluster_key(cluster)?.0.public_openssh();
                let metrics = self.monitoring;
                blocking(move || sb.create_with(count, &public_key, metrics)).await?
            };
            added.sort_by_key(|h| h.index);
            for ((id, r), h) in plan.add.iter().zip(added) {
                roster.assign(id, &h.name, *r);
                pairs.push((id.clone(), h));
            }
            eprintln!(
                "sandbox: {} host(s) started for new instance(s)",
                pairs.len()
            );
        }
        roster.save(&dir)?;
        Ok(pairs)
    }

    /// The sandbox playing the groups' and EC2's part between the CLI's own bootstraps: the
    /// instances of `inv` that have no host yet (a replacement of a killed host, one a group
    /// added) get one, which runs its launch template's user data (read back from the emulator
    /// through `clients`, with credentials of its instance role) and joins by itself: no SSH from
    /// the CLI. Hosts of instances that went are removed. The cluster verbs call this first.
    pub async fn follow_groups(
        &self,
        cluster: &str,
        inv: &Inventory,
        clients: &Clients,
    ) -> Result<(), Error> {
        let (_, _, _, plan) = Self::sync_plan(cluster, inv)?;
        if plan.is_noop() {
            return Ok(());
        }
        // Before any host is made: what the boots need.
        let cli = if plan.add.is_empty() {
            None
        } else {
            Some(instance_boot::aws_cli_dir()?)
        };
        let added = self.follow(cluster, inv).await?;
        let Some(cli) = cli.filter(|_| !added.is_empty()) else {
            return Ok(());
        };
        let sandbox = Sandbox::new(cluster)?;
        let roster = Roster::load(&sandbox.state_dir())?.unwrap_or_default();
        let endpoint = emulator::endpoint();
        let sb = sandbox.clone();
        let endpoint_url = blocking(move || sb.emulator_for_hosts(&endpoint)).await?;
        for (id, host) in added {
            let group = inv
                .instances
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.group.clone())
                .unwrap_or_default();
            let boot = instance_boot::instance_boot(clients, &group, &id).await?;
            let env = BootEnv {
                endpoint_url: endpoint_url.clone(),
                region: clients.region.clone(),
                instance_id: id.clone(),
                hostname: roster
                    .instances
                    .get(&id)
                    .map(|p| p.hostname.clone())
                    .unwrap_or_else(|| host.name.clone()),
                credentials: boot.credentials,
                aws_cli_dir: cli.clone(),
                swarmd_start: daemon_start_command(&RemoteLayout::under(&host.dir)),
                guide_start: crate::bootstrap::guide::daemon_start_command(&RemoteLayout::under(
                    &host.dir,
                )),
            };
            let log = host.dir.join(BOOT_LOG);
            let name = host.name.clone();
            let sb = sandbox.clone();
            let user_data = boot.user_data;
            blocking(move || sb.boot(&host, &user_data, &env)).await?;
            eprintln!(
                "sandbox: {name}: instance {id} boots through its user data as {} (log {})",
                boot.role_arn,
                log.display()
            );
        }
        Ok(())
    }
}

impl SandboxProvider {
    /// `up --monitoring`: checks that the sandbox of `cluster` (if it exists already) was made
    /// with metrics on; its hosts' swarmd read `--metrics-addr` only when they start.
    pub fn check_monitoring(&self, cluster: &str) -> Result<(), Error> {
        let sandbox = Sandbox::new(cluster)?;
        if sandbox.exists() && !sandbox.metrics() {
            return Err(Error::Fields(vec![crate::spec::FieldError::new(
                "--monitoring",
                "true",
                format!(
                    "the sandbox {cluster} was made without --monitoring, so its nodes serve no \
                     metrics; remove it (swarm-aws down --sandbox --name {cluster} --yes) and \
                     run up --sandbox --monitoring again"
                ),
            )]));
        }
        Ok(())
    }

    /// Starts (or reloads) the sandbox's Prometheus, scraping every host of `cluster`, after
    /// a manager of `inv` signed its own admin certificate (CN `prometheus@<cluster>`); its URL.
    pub async fn start_monitoring(&self, cluster: &str, inv: &Inventory) -> Result<String, Error> {
        let sandbox = Sandbox::new(cluster)?;
        let managers = self.managers(cluster, inv)?;
        let mut opts = self.api_options(cluster, "root")?;
        opts.config_dir = sandbox.monitoring_tls_dir();
        opts.admin_name = format!("prometheus@{cluster}");
        // Connecting signs the certificate (or checks the one there fits the cluster's CA).
        let api = crate::cluster_api::ClusterApi::connect(&managers, &opts).await?;
        api.close().await;
        let addr = blocking(move || sandbox.start_monitoring()).await?;
        Ok(format!("http://{addr}"))
    }
}

impl SandboxProvider {
    /// Starts the sandbox load balancer of `cluster` (nothing when it runs), standing for the
    /// stack's ELB in `region`; its first status.
    pub async fn start_lb(
        &self,
        cluster: &str,
        region: &str,
    ) -> Result<crate::sandbox::lb::LbStatus, Error> {
        let lb = Sandbox::new(cluster)?.lb();
        let exe = std::env::current_exe().map_err(|e| ProviderError::Local {
            path: PathBuf::from("/proc/self/exe"),
            detail: e.to_string(),
        })?;
        let (cluster, region) = (cluster.to_string(), region.to_string());
        blocking(move || lb.start(&exe, &cluster, &region)).await
    }

    /// The status of the sandbox load balancer of `cluster`, while it runs.
    pub fn lb_status(&self, cluster: &str) -> Option<crate::sandbox::lb::LbStatus> {
        Sandbox::new(cluster)
            .ok()
            .filter(Sandbox::exists)
            .and_then(|sb| sb.lb().status())
    }
}

/// One line for a sandbox LB: its listeners (`127.213.5.2:80 -> :80`) and targets in service.
pub fn lb_text(s: &crate::sandbox::lb::LbStatus) -> String {
    let listeners = if s.listeners.is_empty() {
        "no listener (publish a port: --publish)".to_string()
    } else {
        s.listeners
            .iter()
            .map(|l| match &l.error {
                None => format!("{} -> :{}", l.local, l.instance_port),
                Some(e) => format!("{} -> :{} ({e})", l.local, l.instance_port),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let up = s.targets.iter().filter(|t| t.in_service).count();
    format!(
        "{listeners}; {up}/{} target(s) in service (health check {}), for ELB {}",
        s.targets.len(),
        s.health_check,
        s.load_balancer
    )
}

/// A sandbox's state with the plan that makes it follow the instances.
type SyncState = (Sandbox, Roster, Vec<SandboxHost>, SyncPlan);

impl HostProvider for SandboxProvider {
    fn aws_options(&mut self, cluster: &str, mut base: AwsOptions) -> Result<AwsOptions, Error> {
        let emu = emulator::emulator(self.usage)?;
        if emu.started {
            emulator::mark_started(cluster)?;
        }
        base.region.get_or_insert_with(|| DEFAULT_REGION.into());
        base.emulator_credentials = !emulator::user_has_credentials(base.profile.as_deref());
        if emu.endpoint_url.is_some() {
            base.endpoint_url = emu.endpoint_url;
        }
        Ok(base)
    }

    fn spec_defaults(&self, flags: &mut RawSpec) {
        flags.name.get_or_insert_with(|| DEFAULT_NAME.into());
        flags.region.get_or_insert_with(|| DEFAULT_REGION.into());
        flags.ssh_cidr.get_or_insert_with(|| SSH_CIDR.into());
        flags.managers.get_or_insert(DEFAULT_MANAGERS);
        flags.workers.get_or_insert(DEFAULT_WORKERS);
    }

    async fn sync(&self, cluster: &str, inv: &Inventory) -> Result<(), Error> {
        self.follow(cluster, inv).await.map(|_| ())
    }

    fn hosts(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        let (roster, hosts) = Self::live_hosts(cluster, inv)?;
        Ok(roster.inventory(&hosts))
    }

    fn managers(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        let (roster, hosts) = Self::live_hosts(cluster, inv)?;
        Ok(sandbox_candidates(&roster, &hosts))
    }

    fn options(&self, cluster: &str, swarmd: &[PathBuf]) -> Result<BootstrapOptions, Error> {
        let sandbox = Sandbox::new(cluster)?;
        let (key, _) = cluster_key(cluster)?;
        // No build: an engine the hosts bring themselves (docker) installs nothing.
        let binary = swarmd.first().cloned().unwrap_or_default();
        Ok(sandbox_options(&sandbox, &key, &binary))
    }

    fn api_options(&self, cluster: &str, _ssh_user: &str) -> Result<ApiOptions, Error> {
        let sandbox = Sandbox::new(cluster)?;
        let config_dir = cluster_config_dir(cluster).map_err(|e| ClusterApiError::Inventory {
            cluster: cluster.to_string(),
            reason: e.to_string(),
        })?;
        let key =
            ClusterKey::load(&crate::keypair::private_key_path(&config_dir)).map_err(|e| {
                ClusterApiError::Inventory {
                    cluster: cluster.to_string(),
                    reason: format!(
                        "cannot load the cluster's SSH key ({e}); it is created by `swarm-aws up`"
                    ),
                }
            })?;
        let known_hosts = KnownHosts::new(sandbox.state_dir().join("known_hosts"));
        let mut opts = ApiOptions::new(cluster, key, known_hosts, &config_dir);
        opts.connect.user = "root".into();
        Ok(opts)
    }

    async fn remove(&self, cluster: &str, gone: &[String]) -> Result<(), Error> {
        let (sandbox, mut roster, hosts) = Self::state(cluster)?;
        for name in gone {
            if let Some(h) = hosts.iter().find(|h| &h.name == name) {
                remove_host(&sandbox, h).await?;
            }
            roster.remove_host(name);
            roster.save(&sandbox.state_dir())?;
            eprintln!("scale: {name}: sandbox host removed");
        }
        Ok(())
    }

    async fn teardown(&self, cluster: &str) -> Result<(), Error> {
        sandbox_down(cluster).await?;
        eprintln!("sandbox: hosts of {cluster} removed");
        let others = Sandbox::list_all(&sandbox_state_root()).unwrap_or_default();
        if emulator::stop_if_ours(cluster, !others.is_empty())? {
            eprintln!("sandbox: stopped the local AWS emulator it had started");
        }
        Ok(())
    }

    fn stack_gone(&self, e: &Error) -> bool {
        match e {
            Error::Stack(StackError::NotFound { .. }) => true,
            Error::Stack(s) => s
                .aws_source()
                .is_some_and(|a| a.kind == AwsErrorKind::Dispatch),
            _ => false,
        }
    }

    fn next_step(&self, cluster: &str) -> Option<String> {
        Some(format!(
            "Remove it all with: swarm-aws down --sandbox --name {cluster} --yes"
        ))
    }

    fn prometheus(&self, cluster: &str) -> Option<String> {
        Sandbox::new(cluster)
            .ok()
            .filter(Sandbox::exists)
            .and_then(|sb| sb.prometheus_addr())
            .map(|a| format!("http://{a}"))
    }

    fn registry(&self, cluster: &str) -> Option<String> {
        Sandbox::new(cluster)
            .ok()
            .filter(Sandbox::exists)
            .and_then(|sb| sb.registry_addr().ok())
            .map(|a| a.to_string())
    }
}

/// Stops and removes one host; its engine, and the task containers in it, go with it.
async fn remove_host(sandbox: &Sandbox, h: &SandboxHost) -> Result<(), Error> {
    let sb = sandbox.clone();
    let name = h.name.clone();
    blocking(move || sb.remove_host(&name)).await
}
