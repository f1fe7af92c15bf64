//! The bootstrap inventory of a stack on AWS (pure mapping), and the options to reach its
//! instances: the cluster's key from its config dir, its own known_hosts, `ec2-user`, and the
//! swarmd builds to pick from by architecture.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::nodes::NodeRole;
use super::remote::RemoteLayout;
use super::run::{BootstrapHost, BootstrapOptions};
use super::BootstrapError;
use crate::inventory::{Instance, Inventory, Role};
use crate::ssh::{cluster_config_dir, ClusterKey, ConnectOptions, KnownHosts};

/// The login user of the Amazon Linux 2023 images the template picks.
pub const AWS_SSH_USER: &str = "ec2-user";

/// The hosts to bootstrap: every live instance (see [`aws_host`]). An instance with no private
/// address is an error naming it.
#[allow(clippy::result_large_err)] // the bootstrap's one error type, as everywhere in it
pub fn aws_hosts(inv: &Inventory) -> Result<Vec<BootstrapHost>, BootstrapError> {
    inv.instances
        .iter()
        .filter(|i| i.is_live())
        .map(aws_host)
        .collect()
}

/// One instance as a host: reached over SSH at its public address (its private one when it has
/// none), advertising its private address, swarmd in the system layout (pure).
#[allow(clippy::result_large_err)] // the bootstrap's one error type, as everywhere in it
pub fn aws_host(i: &Instance) -> Result<BootstrapHost, BootstrapError> {
    let parse = |what: &'static str, ip: &str| -> Result<IpAddr, BootstrapError> {
        ip.parse().map_err(|_| BootstrapError::Remote {
            host: i.id.clone(),
            step: "read the inventory".into(),
            detail: format!("its {what} address {ip:?} is not an IP address"),
        })
    };
    let private = i
        .private_ip
        .as_deref()
        .ok_or_else(|| BootstrapError::Remote {
            host: i.id.clone(),
            step: "read the inventory".into(),
            detail: "the instance has no private address yet; wait for it to boot and run \
                     `swarm-aws bootstrap` again"
                .into(),
        })?;
    let advertise_ip = parse("private", private)?;
    let ssh_ip = match i.public_ip.as_deref() {
        Some(p) => parse("public", p)?,
        None => advertise_ip,
    };
    Ok(BootstrapHost {
        id: i.id.clone(),
        instance: i.id.clone(),
        role: match i.role {
            Role::Manager => NodeRole::Manager,
            Role::Worker => NodeRole::Worker,
        },
        ssh_addr: SocketAddr::new(ssh_ip, 22),
        advertise_ip,
        hostname: None,
        publish_ip: None,
        layout: RemoteLayout::system(),
    })
}

/// Bootstrap options for the instances of `cluster`: its key (which must exist: `up` made it),
/// its known_hosts, `ec2-user`, systemd where the host has it.
#[allow(clippy::result_large_err)] // the bootstrap's one error type, as everywhere in it
pub fn aws_options(
    cluster: &str,
    swarmd_builds: &[PathBuf],
) -> Result<BootstrapOptions, BootstrapError> {
    // No build: an engine the hosts bring themselves (docker) installs nothing.
    let (swarmd_binary, more) = match swarmd_builds.split_first() {
        Some((first, more)) => (first.clone(), more),
        None => (PathBuf::new(), &[][..]),
    };
    let key_err = |step: &str, source| BootstrapError::Ssh {
        host: "local".into(),
        step: step.to_string(),
        source,
    };
    let dir = cluster_config_dir(cluster).map_err(|e| key_err("find the config dir", e))?;
    // `--ssh-public-key` records where its private half is; otherwise the cluster's own key.
    let path = crate::keypair::private_key_path(&dir);
    if !path.exists() {
        return Err(BootstrapError::Input {
            field: "cluster key",
            value: path.display().to_string(),
            fix: "the cluster's private key is not there; `swarm-aws up` creates it with the key \
                  pair (with --key-name or --ssh-public-key, copy the matching private key there, \
                  mode 0600)",
        });
    }
    let key = ClusterKey::load(&path).map_err(|e| key_err("load the cluster's SSH key", e))?;
    let known = KnownHosts::for_cluster(cluster).map_err(|e| key_err("open known_hosts", e))?;
    let mut opts = BootstrapOptions::new(swarmd_binary, key, known);
    opts.connect = ConnectOptions::for_user(AWS_SSH_USER);
    opts.more_binaries = more.to_vec();
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(
        id: &str,
        role: Role,
        life: &str,
        private: Option<&str>,
        public: Option<&str>,
    ) -> Instance {
        Instance {
            id: id.into(),
            role,
            group: "g".into(),
            az: "us-east-1a".into(),
            lifecycle: life.into(),
            private_ip: private.map(String::from),
            public_ip: public.map(String::from),
        }
    }

    #[test]
    fn live_instances_become_hosts_reached_at_their_public_address() {
        let inv = Inventory {
            groups: Vec::new(),
            instances: vec![
                instance(
                    "i-m1",
                    Role::Manager,
                    "InService",
                    Some("10.0.1.5"),
                    Some("3.3.3.3"),
                ),
                instance("i-w1", Role::Worker, "Pending", Some("10.0.2.6"), None),
                instance(
                    "i-gone",
                    Role::Worker,
                    "Terminating",
                    Some("10.0.2.7"),
                    None,
                ),
            ],
        };
        let hosts = aws_hosts(&inv).unwrap();
        assert_eq!(hosts.len(), 2, "terminating instances are left out");
        assert_eq!(hosts[0].role, NodeRole::Manager);
        assert_eq!(hosts[0].ssh_addr.to_string(), "3.3.3.3:22");
        assert_eq!(hosts[0].advertise_ip.to_string(), "10.0.1.5");
        assert_eq!(hosts[1].ssh_addr.to_string(), "10.0.2.6:22");
        assert_eq!(hosts[1].layout, RemoteLayout::system());
    }

    #[test]
    fn an_instance_without_a_private_address_is_named() {
        let inv = Inventory {
            groups: Vec::new(),
            instances: vec![instance("i-new", Role::Worker, "Pending", None, None)],
        };
        let e = aws_hosts(&inv).unwrap_err().to_string();
        assert!(
            e.contains("i-new") && e.contains("no private address"),
            "{e}"
        );
        let inv = Inventory {
            groups: Vec::new(),
            instances: vec![instance(
                "i-bad",
                Role::Worker,
                "InService",
                Some("x"),
                None,
            )],
        };
        assert!(aws_hosts(&inv).unwrap_err().to_string().contains("i-bad"));
    }
}
