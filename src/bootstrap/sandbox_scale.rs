//! An existing sandbox cluster, for `scale --sandbox` and `bootstrap --sandbox`: read the
//! membership, take leaving nodes out, remove their hosts, add hosts for new instances and join
//! them, or re-run the bootstrap.

use std::path::Path;

use super::members::{read_members, take_out};
use super::nodes::NodeRole;
use super::roster::Roster;
use super::run::{bootstrap_report, BootstrapHost, BootstrapOptions, BootstrapReport};
use super::sandbox::sandbox_options;
use super::scale_plan::{Member, ScalePlan};
use super::shrink::LeaveReport;
use super::BootstrapError;
use crate::sandbox::{Sandbox, SandboxError, SandboxHost};
use crate::ssh::{cluster_config_dir, ClusterKey};

/// A cluster's sandbox with its hosts, roster and SSH settings.
#[derive(Debug)]
pub struct SandboxCluster {
    sandbox: Sandbox,
    opts: BootstrapOptions,
    roster: Roster,
    hosts: Vec<SandboxHost>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, BootstrapError> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BootstrapError::Task(e.to_string()))??)
}

impl SandboxCluster {
    /// Opens the sandbox of `cluster` (it must exist), installing `swarmd_binary` on new hosts.
    pub async fn open(cluster: &str, swarmd_binary: &Path) -> Result<Self, BootstrapError> {
        Self::open_in(Sandbox::new(cluster)?, swarmd_binary).await
    }

    /// Like [`SandboxCluster::open`] for a sandbox with its own state root.
    pub async fn open_in(sandbox: Sandbox, swarmd_binary: &Path) -> Result<Self, BootstrapError> {
        let cluster = sandbox.cluster().to_string();
        let sb = sandbox.clone();
        let hosts = blocking(move || sb.hosts()).await?;
        let key_err = |source| BootstrapError::Ssh {
            host: "local".into(),
            step: "load the cluster's SSH key".into(),
            source,
        };
        let dir = cluster_config_dir(&cluster).map_err(key_err)?;
        let (key, _) =
            ClusterKey::load_or_create(&dir, &format!("swarm-aws-{cluster}")).map_err(key_err)?;
        let roster = Roster::load(&sandbox.state_dir())?.ok_or(BootstrapError::Input {
            field: "sandbox",
            value: cluster.clone(),
            fix: "the sandbox has no roster (made by an older swarm-aws); recreate it with \
                  `down --sandbox` and `up --sandbox`",
        })?;
        let opts = sandbox_options(&sandbox, &key, swarmd_binary);
        Ok(SandboxCluster {
            sandbox,
            opts,
            roster,
            hosts,
        })
    }

    /// The bootstrap options (progress, timeouts) used for every step.
    pub fn options_mut(&mut self) -> &mut BootstrapOptions {
        &mut self.opts
    }

    /// The bootstrap inventory: every host with its role.
    pub fn inventory(&self) -> Vec<BootstrapHost> {
        self.roster.inventory(&self.hosts)
    }

    /// Every host with its node row (if it is in the cluster), for [`super::scale_plan()`].
    pub async fn members(&self) -> Result<Vec<Member>, BootstrapError> {
        let index = |id: &str| {
            self.hosts
                .iter()
                .find(|h| h.name == id)
                .map_or(0, |h| h.index)
        };
        read_members(&self.inventory(), &self.opts, index).await
    }

    /// Drains, demotes and removes the nodes `plan` lets go (before the stack shrinks).
    pub async fn shrink(
        &self,
        plan: &ScalePlan,
        members: &[Member],
    ) -> Result<Vec<LeaveReport>, BootstrapError> {
        take_out(&self.inventory(), plan, members, &self.opts).await
    }

    /// Removes the hosts of the nodes that left (after the stack shrank).
    pub async fn remove_hosts(&mut self, plan: &ScalePlan) -> Result<(), BootstrapError> {
        for d in &plan.leave {
            let sb = self.sandbox.clone();
            let name = d.host.clone();
            // Its engine, and the task containers in it, go with the host.
            blocking(move || sb.remove_host(&name)).await?;
            self.roster.hosts.remove(&d.host);
            self.roster.save(&self.sandbox.state_dir())?;
            if self.opts.progress {
                eprintln!("scale: {}: sandbox host removed", d.host);
            }
        }
        let sb = self.sandbox.clone();
        self.hosts = blocking(move || sb.hosts()).await?;
        Ok(())
    }

    /// Adds hosts for the new instances and joins them (managers one by one as voters, workers
    /// in parallel); nodes already in the cluster are skipped.
    pub async fn grow(&mut self, plan: &ScalePlan) -> Result<BootstrapReport, BootstrapError> {
        let count = plan.join_managers + plan.join_workers;
        if count > 0 {
            let sb = self.sandbox.clone();
            let added = blocking(move || sb.add_hosts(count)).await?;
            let names: Vec<String> = added.iter().map(|h| h.name.clone()).collect();
            let (m, w) = names.split_at(plan.join_managers);
            self.roster.assign(m, NodeRole::Manager);
            self.roster.assign(w, NodeRole::Worker);
            self.roster.save(&self.sandbox.state_dir())?;
            self.hosts.extend(added);
        }
        self.bootstrap().await
    }

    /// Bootstraps every host of the roster: resumable, skips the nodes already in the cluster.
    pub async fn bootstrap(&self) -> Result<BootstrapReport, BootstrapError> {
        bootstrap_report(&self.inventory(), &self.opts).await
    }
}
