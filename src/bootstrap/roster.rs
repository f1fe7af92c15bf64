//! The sandbox roster: which sandbox host plays which instance role, and the host name its node
//! shows. Kept as `roster.json` in the sandbox state dir so that `scale` can add managers after
//! workers exist (roles no longer follow host order) and removed hosts' names are not reused.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::nodes::NodeRole;
use super::remote::RemoteLayout;
use super::run::BootstrapHost;
use crate::sandbox::{load_json, save_json, SandboxError, SandboxHost};

/// File name in the sandbox state dir.
pub const ROSTER_FILE: &str = "roster.json";

/// One host's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Manager or worker.
    pub role: NodeRole,
    /// The node's host name (`manager-1`, `worker-2`, ...).
    pub hostname: String,
}

/// Sandbox host name → part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The parts, by sandbox host name.
    pub hosts: BTreeMap<String, Part>,
}

impl Roster {
    /// The roster of a new sandbox: its first `managers` hosts are managers (pure).
    pub fn initial(hosts: &[SandboxHost], managers: usize) -> Self {
        let mut sorted: Vec<&SandboxHost> = hosts.iter().collect();
        sorted.sort_by_key(|h| h.index);
        let mut r = Roster::default();
        let names = |manager: bool| -> Vec<String> {
            sorted
                .iter()
                .filter(|h| (h.index < managers) == manager)
                .map(|h| h.name.clone())
                .collect()
        };
        r.assign(&names(true), NodeRole::Manager);
        r.assign(&names(false), NodeRole::Worker);
        r
    }

    /// Gives `hosts` the role `role`, each with the lowest free `<role>-<n>` host name (pure).
    pub fn assign(&mut self, hosts: &[String], role: NodeRole) {
        let mut n = 1;
        for host in hosts {
            while self
                .hosts
                .values()
                .any(|p| p.hostname == format!("{role}-{n}"))
            {
                n += 1;
            }
            self.hosts.insert(
                host.clone(),
                Part {
                    role,
                    hostname: format!("{role}-{n}"),
                },
            );
        }
    }

    /// How many hosts have `role`.
    pub fn count(&self, role: NodeRole) -> usize {
        self.hosts.values().filter(|p| p.role == role).count()
    }

    /// The bootstrap inventory of `hosts` (those in the roster), in host order (pure).
    pub fn inventory(&self, hosts: &[SandboxHost]) -> Vec<BootstrapHost> {
        let mut sorted: Vec<&SandboxHost> = hosts.iter().collect();
        sorted.sort_by_key(|h| h.index);
        sorted
            .into_iter()
            .filter_map(|h| {
                let part = self.hosts.get(&h.name)?;
                Some(BootstrapHost {
                    id: h.name.clone(),
                    role: part.role,
                    ssh_addr: SocketAddr::new(IpAddr::V4(h.addr), 22),
                    advertise_ip: IpAddr::V4(h.addr),
                    hostname: Some(part.hostname.clone()),
                    // Its own engine publishes container ports on the host's own address.
                    publish_ip: None,
                    layout: RemoteLayout::under(&h.dir),
                })
            })
            .collect()
    }

    /// Reads `dir/roster.json`; `None` when absent.
    pub fn load(dir: &Path) -> Result<Option<Self>, SandboxError> {
        load_json(dir, ROSTER_FILE)
    }

    /// Writes `dir/roster.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), SandboxError> {
        save_json(dir, ROSTER_FILE, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::path::PathBuf;

    fn host(i: usize) -> SandboxHost {
        SandboxHost {
            name: format!("host-{i}"),
            index: i,
            addr: Ipv4Addr::new(10, 213, 1, 10 + i as u8),
            netns: format!("ns{i}"),
            dir: PathBuf::from(format!("/sb/host-{i}")),
        }
    }

    #[test]
    fn new_managers_after_workers_keep_roles_and_fresh_names() {
        let hosts: Vec<SandboxHost> = (0..3).map(host).collect();
        let mut r = Roster::initial(&hosts, 1);
        assert_eq!(r.hosts["host-0"].hostname, "manager-1");
        assert_eq!(r.hosts["host-2"].hostname, "worker-2");
        r.assign(&["host-3".into(), "host-4".into()], NodeRole::Manager);
        assert_eq!(r.hosts["host-4"].hostname, "manager-3");
        assert_eq!(
            (r.count(NodeRole::Manager), r.count(NodeRole::Worker)),
            (3, 2)
        );
        // A removed worker's name is free again; a host outside the roster is not bootstrapped.
        r.hosts.remove("host-1");
        r.assign(&["host-5".into()], NodeRole::Worker);
        assert_eq!(r.hosts["host-5"].hostname, "worker-1");
        let all: Vec<SandboxHost> = (0..7).map(host).collect();
        let inv = r.inventory(&all);
        let ids: Vec<&str> = inv.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["host-0", "host-2", "host-3", "host-4", "host-5"]);
        assert_eq!(inv[2].role, NodeRole::Manager);
        assert_eq!(inv[2].ssh_addr.to_string(), "10.213.1.13:22");
    }

    #[test]
    fn round_trips_through_its_file() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(Roster::load(tmp.path()).unwrap(), None);
        let r = Roster::initial(&[host(0), host(1)], 1);
        r.save(tmp.path()).unwrap();
        assert_eq!(Roster::load(tmp.path()).unwrap(), Some(r));
    }
}
