//! Sandbox hosts with swarmd bootstrapped onto them over SSH, exactly as on instances: the
//! bootstrap inventory and options of sandbox hosts, a stack-less `sandbox_up_with` for tests and
//! benches, and `down --sandbox`'s teardown.
//!
//! Every host keeps swarmd's files under its own sandbox dir (the hosts share this machine's
//! filesystem) and runs it as a plain daemon inside its network namespace, so destroying the
//! sandbox stops it. The sandbox's known_hosts lives in the sandbox state dir: host keys are new
//! with every sandbox, and go with it.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use super::nodes::NodeRole;
use super::remote::{RemoteLayout, ServiceMode};
use super::roster::Roster;
use super::run::{bootstrap_report, BootstrapHost, BootstrapOptions, BootstrapReport};
use super::BootstrapError;
use crate::sandbox::{Sandbox, SandboxHost};
use crate::ssh::{ClusterKey, KnownHosts};

/// The bootstrap inventory of sandbox hosts: the first `managers` are managers (pure).
pub fn sandbox_inventory(hosts: &[SandboxHost], managers: usize) -> Vec<BootstrapHost> {
    let mut worker_n = 0;
    hosts
        .iter()
        .map(|h| {
            let (role, hostname) = if h.index < managers {
                (NodeRole::Manager, format!("manager-{}", h.index + 1))
            } else {
                worker_n += 1;
                (NodeRole::Worker, format!("worker-{worker_n}"))
            };
            BootstrapHost {
                id: h.name.clone(),
                instance: h.name.clone(),
                role,
                ssh_addr: SocketAddr::new(IpAddr::V4(h.addr), 22),
                advertise_ip: IpAddr::V4(h.addr),
                hostname: Some(hostname),
                // Its own engine publishes container ports on the host's own address.
                publish_ip: None,
                layout: RemoteLayout::under(&h.dir),
            }
        })
        .collect()
}

/// Bootstrap options for a sandbox: plain daemons, known_hosts in the sandbox state dir.
pub fn sandbox_options(
    sandbox: &Sandbox,
    key: &ClusterKey,
    swarmd_binary: &Path,
) -> BootstrapOptions {
    let mut opts = BootstrapOptions::new(
        swarmd_binary,
        key.clone(),
        KnownHosts::new(sandbox.state_dir().join("known_hosts")),
    );
    opts.service = ServiceMode::Daemon;
    opts
}

/// Creates `managers + workers` hosts in `sandbox` (or reuses the ones it has, if as many) and
/// bootstraps swarmd onto them with `opts`, the first `managers` hosts as managers. Idempotent: a
/// re-run joins only what is missing. Without a stack: each host stands for an instance of its
/// own name (`swarm-aws up --sandbox` keys the hosts by the stack's instances instead).
pub async fn sandbox_up_with(
    sandbox: &Sandbox,
    key: &ClusterKey,
    managers: usize,
    workers: usize,
    opts: &BootstrapOptions,
) -> Result<BootstrapReport, BootstrapError> {
    if managers == 0 {
        return Err(BootstrapError::Input {
            field: "managers",
            value: "0".into(),
            fix: "a cluster needs at least one manager; give --managers 1 or more",
        });
    }
    let count = managers + workers;
    let sb = sandbox.clone();
    let public_key = key.public_openssh();
    let hosts = tokio::task::spawn_blocking(move || {
        if sb.exists() {
            sb.hosts()
        } else {
            sb.create(count, &public_key)
        }
    })
    .await
    .map_err(|e| BootstrapError::Task(e.to_string()))??;
    if hosts.len() != count {
        return Err(BootstrapError::Input {
            field: "managers + workers",
            value: format!("{managers} + {workers}"),
            fix: "the sandbox exists with other sizes; change them with `swarm-aws scale --sandbox`, \
                  or run `down --sandbox` first",
        });
    }
    let dir = sandbox.state_dir();
    let roster = match Roster::load(&dir)? {
        Some(r) => r,
        None => {
            let mut r = Roster::default();
            let mut sorted: Vec<&SandboxHost> = hosts.iter().collect();
            sorted.sort_by_key(|h| h.index);
            for (n, h) in sorted.into_iter().enumerate() {
                let role = if n < managers {
                    NodeRole::Manager
                } else {
                    NodeRole::Worker
                };
                r.assign(&h.name, &h.name, role);
            }
            r.save(&dir)?;
            r
        }
    };
    bootstrap_report(&roster.inventory(&hosts), opts).await
}

/// `down --sandbox`: stops every swarmd and sshd of the sandbox and removes its namespaces,
/// links and state (idempotent).
pub async fn sandbox_down(cluster: &str) -> Result<(), BootstrapError> {
    let sandbox = Sandbox::new(cluster)?;
    // Each host's engine goes with its host, and its task containers with the engine.
    tokio::task::spawn_blocking(move || sandbox.destroy())
        .await
        .map_err(|e| BootstrapError::Task(e.to_string()))??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::path::PathBuf;

    #[test]
    fn first_hosts_are_managers_with_their_own_layout() {
        let hosts: Vec<SandboxHost> = (0..4)
            .map(|i| SandboxHost {
                name: format!("host-{i}"),
                index: i,
                addr: Ipv4Addr::new(10, 213, 1, 10 + i as u8),
                netns: format!("ns{i}"),
                dir: PathBuf::from(format!("/sb/c/host-{i}")),
            })
            .collect();
        let inv = sandbox_inventory(&hosts, 2);
        let roles: Vec<NodeRole> = inv.iter().map(|h| h.role).collect();
        assert_eq!(
            roles,
            [
                NodeRole::Manager,
                NodeRole::Manager,
                NodeRole::Worker,
                NodeRole::Worker
            ]
        );
        assert_eq!(inv[3].hostname.as_deref(), Some("worker-2"));
        assert_eq!(inv[1].ssh_addr.to_string(), "10.213.1.11:22");
        assert_eq!(inv[2].layout.binary(), "/sb/c/host-2/usr/local/bin/swarmd");
    }
}
