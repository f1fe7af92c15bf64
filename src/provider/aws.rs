//! The AWS provider: the stack's live instances are the hosts.

use std::path::PathBuf;

use super::HostProvider;
use crate::aws::AwsOptions;
use crate::bootstrap::{aws_hosts, aws_options, BootstrapHost, BootstrapOptions};
use crate::cluster_api::hosts::aws_candidates;
use crate::cluster_api::{ApiOptions, ClusterApiError};
use crate::inventory::Inventory;
use crate::spec::raw::RawSpec;
use crate::ssh::{cluster_config_dir, ClusterKey, KnownHosts};
use crate::Error;

/// Hosts are EC2 instances, reached over SSH as `ec2-user` (or `--ssh-user`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsProvider;

impl HostProvider for AwsProvider {
    fn aws_options(&mut self, _cluster: &str, base: AwsOptions) -> Result<AwsOptions, Error> {
        Ok(base)
    }

    fn spec_defaults(&self, _flags: &mut RawSpec) {}

    async fn sync(&self, _cluster: &str, _inv: &Inventory) -> Result<(), Error> {
        Ok(())
    }

    fn hosts(&self, _cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        Ok(aws_hosts(inv)?)
    }

    fn managers(&self, _cluster: &str, inv: &Inventory) -> Result<Vec<BootstrapHost>, Error> {
        Ok(aws_candidates(inv))
    }

    fn options(&self, cluster: &str, swarmd: &[PathBuf]) -> Result<BootstrapOptions, Error> {
        Ok(aws_options(cluster, swarmd)?)
    }

    fn api_options(&self, cluster: &str, ssh_user: &str) -> Result<ApiOptions, Error> {
        let inv_err = |reason: String| ClusterApiError::Inventory {
            cluster: cluster.to_string(),
            reason,
        };
        let config_dir = cluster_config_dir(cluster).map_err(|e| inv_err(e.to_string()))?;
        let key_path = crate::keypair::private_key_path(&config_dir);
        let key = ClusterKey::load(&key_path).map_err(|e| {
            inv_err(format!(
                "cannot load the cluster's SSH key ({e}); it is created by `swarm-aws up`"
            ))
        })?;
        let known_hosts = KnownHosts::for_cluster(cluster).map_err(|e| inv_err(e.to_string()))?;
        let mut opts = ApiOptions::new(cluster, key, known_hosts, &config_dir);
        opts.connect.user = ssh_user.to_string();
        Ok(opts)
    }

    async fn remove(&self, _cluster: &str, _hosts: &[String]) -> Result<(), Error> {
        Ok(())
    }

    async fn teardown(&self, _cluster: &str) -> Result<(), Error> {
        Ok(())
    }

    fn stack_gone(&self, _e: &Error) -> bool {
        false
    }

    fn next_step(&self, _cluster: &str) -> Option<String> {
        None
    }

    fn registry(&self, _cluster: &str) -> Option<String> {
        None
    }

    fn prometheus(&self, _cluster: &str) -> Option<String> {
        None
    }
}
