//! Where a cluster's hosts come from: one [`HostProvider`] per command, chosen once from the
//! global flags and `--sandbox` ([`Target`]), so that every verb runs one path for AWS and the
//! sandbox alike: spec → template → deploy → inventory → provider hosts → bootstrap → cluster API.
//!
//! Design:
//! - [`AwsProvider`]: the stack's instances are the hosts (SSH as `ec2-user` to their public
//!   addresses, the cluster's known_hosts); the auto-scaling groups add and remove them.
//! - [`SandboxProvider`]: the stack lives in the local emulator ([`emulator`]: its endpoint goes
//!   into the SDK options, not into the environment) and one local host (a network namespace with
//!   a real sshd) stands for each of its instances, keyed by the emulator's instance ids in the
//!   [`crate::bootstrap::roster`]. [`HostProvider::sync`] adds and removes exactly the hosts of
//!   the instances that came and went: the groups are the one source of truth.
//!
//! Limits: the providers are chosen per command, not per host (no mixed clusters).

mod aws;
pub mod emulator;
mod error;
mod guide;
pub mod instance_boot;
pub mod sandbox;

use std::path::PathBuf;

pub use aws::AwsProvider;
pub use emulator::EmulatorUse;
pub use error::ProviderError;
pub use guide::guide_setup;
pub use sandbox::SandboxProvider;

use crate::aws::{AwsOptions, Clients};
use crate::bootstrap::{BootstrapHost, BootstrapOptions};
use crate::cluster_api::ApiOptions;
use crate::inventory::Inventory;
use crate::spec::raw::RawSpec;
use crate::Error;

/// The hosts of a cluster's instances and how to reach them.
#[allow(async_fn_in_trait)] // used through the `Provider` enum, never as a trait object
pub trait HostProvider {
    /// The AWS options for this provider's stack (the sandbox's emulator endpoint and region;
    /// `up` may start the emulator here).
    fn aws_options(&mut self, cluster: &str, base: AwsOptions) -> Result<AwsOptions, Error>;
    /// Defaults the spec's flags get before validation (the sandbox's name, sizes, SSH range).
    fn spec_defaults(&self, flags: &mut RawSpec);
    /// Makes the hosts follow the live instances of `inv`: adds hosts for new instances and
    /// removes the hosts of instances that went (nothing to do on AWS: instances are hosts).
    async fn sync(&self, cluster: &str, inv: &Inventory) -> Result<(), Error>;
    /// The hosts of the live instances of `inv`, oldest first (changes nothing).
    fn hosts(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error>;
    /// The managers to try for the cluster's API: the manager hosts that have an address.
    fn managers(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error>;
    /// How the bootstrap reaches the hosts (key, known_hosts, user, service mode).
    fn options(&self, cluster: &str, swarmd: &[PathBuf]) -> Result<BootstrapOptions, Error>;
    /// How the cluster API's tunnel reaches the managers (`ssh_user` applies on AWS).
    fn api_options(&self, cluster: &str, ssh_user: &str) -> Result<ApiOptions, Error>;
    /// Removes the hosts (inventory ids) whose nodes left the cluster, before the stack shrinks
    /// (on AWS the groups terminate their instances).
    async fn remove(&self, cluster: &str, hosts: &[String]) -> Result<(), Error>;
    /// After the stack is deleted: whatever the provider keeps locally goes.
    async fn teardown(&self, cluster: &str) -> Result<(), Error>;
    /// Whether `e`, met while looking for the stack, means it is gone already (the sandbox's
    /// emulator keeps its stacks in memory: when it is down, they went with it).
    fn stack_gone(&self, e: &Error) -> bool;
    /// A line to print after `up`, when there is a next step worth naming.
    fn next_step(&self, cluster: &str) -> Option<String>;
    /// The image registry the cluster's engines pull from, when the provider runs one (the
    /// sandbox's; on AWS that role is ECR's, reached through the instance role).
    fn registry(&self, cluster: &str) -> Option<String>;
    /// The URL of the Prometheus that scrapes the cluster, when the provider runs one (the
    /// sandbox's, with `up --monitoring`).
    fn prometheus(&self, cluster: &str) -> Option<String>;
}

/// The provider of one command.
#[derive(Debug)]
pub enum Provider {
    /// The stack's EC2 instances.
    Aws(AwsProvider),
    /// Local sandbox hosts for the emulator's instances.
    Sandbox(SandboxProvider),
}

macro_rules! delegate {
    ($self:ident, $p:ident => $e:expr) => {
        match $self {
            Provider::Aws($p) => $e,
            Provider::Sandbox($p) => $e,
        }
    };
}

impl HostProvider for Provider {
    fn aws_options(&mut self, cluster: &str, base: AwsOptions) -> Result<AwsOptions, Error> {
        delegate!(self, p => p.aws_options(cluster, base))
    }
    fn spec_defaults(&self, flags: &mut RawSpec) {
        delegate!(self, p => p.spec_defaults(flags))
    }
    async fn sync(&self, cluster: &str, inv: &Inventory) -> Result<(), Error> {
        delegate!(self, p => p.sync(cluster, inv).await)
    }
    fn hosts(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        delegate!(self, p => p.hosts(cluster, inv))
    }
    fn managers(&self, cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        delegate!(self, p => p.managers(cluster, inv))
    }
    fn options(&self, cluster: &str, swarmd: &[PathBuf]) -> Result<BootstrapOptions, Error> {
        delegate!(self, p => p.options(cluster, swarmd))
    }
    fn api_options(&self, cluster: &str, ssh_user: &str) -> Result<ApiOptions, Error> {
        delegate!(self, p => p.api_options(cluster, ssh_user))
    }
    async fn remove(&self, cluster: &str, hosts: &[String]) -> Result<(), Error> {
        delegate!(self, p => p.remove(cluster, hosts).await)
    }
    async fn teardown(&self, cluster: &str) -> Result<(), Error> {
        delegate!(self, p => p.teardown(cluster).await)
    }
    fn stack_gone(&self, e: &Error) -> bool {
        delegate!(self, p => p.stack_gone(e))
    }
    fn next_step(&self, cluster: &str) -> Option<String> {
        delegate!(self, p => p.next_step(cluster))
    }
    fn registry(&self, cluster: &str) -> Option<String> {
        delegate!(self, p => p.registry(cluster))
    }
    fn prometheus(&self, cluster: &str) -> Option<String> {
        delegate!(self, p => p.prometheus(cluster))
    }
}

/// What one command acts on: the AWS options from the global flags and the hosts' provider.
#[derive(Debug)]
pub struct Target {
    /// `--profile` / `--region` (the provider adds its endpoint when connecting).
    pub aws: AwsOptions,
    /// Where the hosts come from.
    pub provider: Provider,
}

impl Target {
    /// The target for `sandbox` (a local sandbox, using the emulator as `usage` says) or AWS.
    pub fn new(
        profile: Option<String>,
        region: Option<String>,
        sandbox: bool,
        usage: EmulatorUse,
    ) -> Self {
        let provider = if sandbox {
            Provider::Sandbox(SandboxProvider::new(usage))
        } else {
            Provider::Aws(AwsProvider)
        };
        Target {
            aws: AwsOptions {
                profile,
                region,
                ..AwsOptions::default()
            },
            provider,
        }
    }

    /// Connects to the stack's AWS (`region` overrides `--region`) for `cluster`.
    pub async fn connect(&mut self, cluster: &str, region: Option<&str>) -> Result<Clients, Error> {
        let mut base = self.aws.clone();
        if let Some(r) = region {
            base.region = Some(r.to_string());
        }
        let opts = self.provider.aws_options(cluster, base)?;
        Ok(Clients::connect(&opts).await?)
    }
}

/// Every `swarmd` build to choose from by architecture: `$SWARMD_BIN` (paths separated by `:`,
/// e.g. an x86_64 and an aarch64 build), else the one built next to this binary. Never empty.
pub fn swarmd_builds() -> Result<Vec<PathBuf>, ProviderError> {
    if let Some(list) = std::env::var_os("SWARMD_BIN") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Ok(paths);
        }
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("swarmd")))
        .filter(|p| p.is_file());
    sibling.map(|p| vec![p]).ok_or(ProviderError::NoSwarmd)
}
