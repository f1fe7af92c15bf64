//! The sandbox roster: which sandbox host stands for which EC2 instance of the cluster's stack
//! (the emulator's instance ids, read from the stack's inventory), with the role the instance's
//! auto-scaling group gives it and the host name its node shows. Kept as `roster.json` in the
//! sandbox state dir. The groups are the one source of truth: [`Roster::sync_plan`] (pure) says
//! which hosts to add, re-key or remove so that there is exactly one host per live instance.
//!
//! Emulator limit: moto applies a stack update of a group by recreating it, so every instance of
//! a resized group gets a new id although nothing left. A host whose instance vanished is handed
//! to a new instance of the same role (re-keyed, its node keeps running) before hosts are added or
//! removed; on AWS, where the instances that stay keep their ids, nothing is ever re-keyed.

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

/// One instance's host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// The sandbox host standing for it (`host-3`).
    pub host: String,
    /// Manager or worker (its group's role).
    pub role: NodeRole,
    /// The node's host name (`manager-1`, `worker-2`, ...).
    pub hostname: String,
}

/// EC2 instance id → its host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The parts, by instance id.
    pub instances: BTreeMap<String, Part>,
}

/// How to make the hosts follow the live instances (see [`Roster::sync_plan`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// (vanished instance, new instance of the same role): the host changes hands.
    pub rekey: Vec<(String, String)>,
    /// New instances that need a host, with their role.
    pub add: Vec<(String, NodeRole)>,
    /// Vanished instances whose host goes.
    pub remove: Vec<String>,
}

impl SyncPlan {
    /// Whether nothing changes.
    pub fn is_noop(&self) -> bool {
        self.rekey.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }
}

impl Roster {
    /// Gives `instance` the host `host` with the role `role` and the lowest free `<role>-<n>`
    /// host name (pure).
    pub fn assign(&mut self, instance: &str, host: &str, role: NodeRole) {
        let mut n = 1;
        while self
            .instances
            .values()
            .any(|p| p.hostname == format!("{role}-{n}"))
        {
            n += 1;
        }
        self.instances.insert(
            instance.to_string(),
            Part {
                host: host.to_string(),
                role,
                hostname: format!("{role}-{n}"),
            },
        );
    }

    /// How many instances have `role`.
    pub fn count(&self, role: NodeRole) -> usize {
        self.instances.values().filter(|p| p.role == role).count()
    }

    /// Forgets the instance whose host is `host`; returns its id.
    pub fn remove_host(&mut self, host: &str) -> Option<String> {
        let id = self
            .instances
            .iter()
            .find(|(_, p)| p.host == host)
            .map(|(id, _)| id.clone())?;
        self.instances.remove(&id);
        Some(id)
    }

    /// Hands the host of `old` to `new`.
    pub fn rekey(&mut self, old: &str, new: &str) {
        if let Some(part) = self.instances.remove(old) {
            self.instances.insert(new.to_string(), part);
        }
    }

    /// What makes the roster hold exactly the `live` instances (id, role), in their order
    /// (pure): per role, vanished instances hand their hosts to new ones first (in host-name
    /// order), then new instances get hosts and the vanished rest lose theirs.
    pub fn sync_plan(&self, live: &[(String, NodeRole)]) -> SyncPlan {
        let mut plan = SyncPlan::default();
        for role in [NodeRole::Manager, NodeRole::Worker] {
            let mut gone: Vec<(&String, &Part)> = self
                .instances
                .iter()
                .filter(|(id, p)| p.role == role && !live.iter().any(|(l, _)| l == *id))
                .collect();
            gone.sort_by(|a, b| natural(&a.1.host).cmp(&natural(&b.1.host)));
            let mut gone = gone.into_iter().map(|(id, _)| id.clone());
            for (id, r) in live {
                if *r != role || self.instances.contains_key(id) {
                    continue;
                }
                match gone.next() {
                    Some(old) => plan.rekey.push((old, id.clone())),
                    None => plan.add.push((id.clone(), role)),
                }
            }
            plan.remove.extend(gone);
        }
        plan
    }

    /// The bootstrap inventory: the host of every instance in the roster whose host is in
    /// `hosts`, oldest host first (pure).
    pub fn inventory(&self, hosts: &[SandboxHost]) -> Vec<BootstrapHost> {
        let mut sorted: Vec<&SandboxHost> = hosts.iter().collect();
        sorted.sort_by_key(|h| h.index);
        sorted
            .into_iter()
            .filter_map(|h| {
                let (instance, part) = self.instances.iter().find(|(_, p)| p.host == h.name)?;
                Some(BootstrapHost {
                    id: h.name.clone(),
                    instance: instance.clone(),
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

    /// Reads `dir/roster.json`; `None` when absent. A roster of an older swarm-aws (keyed by host
    /// names) is refused with the way out.
    pub fn load(dir: &Path) -> Result<Option<Self>, SandboxError> {
        load_json(dir, ROSTER_FILE).map_err(|e| match e {
            SandboxError::State { path, reason } => SandboxError::State {
                path,
                reason: format!(
                    "{reason}; a sandbox made by an older swarm-aws has no instance ids: remove it \
                     with `swarm-aws down --sandbox --yes` and run `up --sandbox` again"
                ),
            },
            e => e,
        })
    }

    /// Writes `dir/roster.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), SandboxError> {
        save_json(dir, ROSTER_FILE, self)
    }
}

/// Sort key of `host-<n>`: its number, then the name.
fn natural(host: &str) -> (usize, &str) {
    let n = host
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    (n, host)
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

    fn live(ids: &[(&str, NodeRole)]) -> Vec<(String, NodeRole)> {
        ids.iter().map(|(i, r)| (i.to_string(), *r)).collect()
    }

    use NodeRole::{Manager as M, Worker as W};

    #[test]
    fn new_managers_after_workers_keep_roles_and_fresh_names() {
        let mut r = Roster::default();
        r.assign("i-0", "host-0", M);
        r.assign("i-1", "host-1", W);
        r.assign("i-2", "host-2", W);
        assert_eq!(r.instances["i-0"].hostname, "manager-1");
        assert_eq!(r.instances["i-2"].hostname, "worker-2");
        r.assign("i-3", "host-3", M);
        r.assign("i-4", "host-4", M);
        assert_eq!(r.instances["i-4"].hostname, "manager-3");
        assert_eq!((r.count(M), r.count(W)), (3, 2));
        // A removed worker's name is free again; a host outside the roster is not bootstrapped.
        assert_eq!(r.remove_host("host-1").as_deref(), Some("i-1"));
        r.assign("i-5", "host-5", W);
        assert_eq!(r.instances["i-5"].hostname, "worker-1");
        let all: Vec<SandboxHost> = (0..7).map(host).collect();
        let inv = r.inventory(&all);
        let ids: Vec<&str> = inv.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["host-0", "host-2", "host-3", "host-4", "host-5"]);
        assert_eq!(inv[2].role, M);
        assert_eq!(inv[2].instance, "i-3");
        assert_eq!(inv[2].ssh_addr.to_string(), "10.213.1.13:22");
    }

    #[test]
    fn hosts_follow_the_instances_that_came_and_went() {
        let mut r = Roster::default();
        assert_eq!(r.sync_plan(&[]), SyncPlan::default());
        let first = live(&[("i-m1", M), ("i-w1", W)]);
        let p = r.sync_plan(&first);
        assert_eq!(p.add, first);
        assert!(p.rekey.is_empty() && p.remove.is_empty());
        r.assign("i-m1", "host-0", M);
        r.assign("i-w1", "host-1", W);
        assert!(
            r.sync_plan(&first).is_noop(),
            "same instances: nothing to do"
        );

        // The worker group grew by one and kept its instance (AWS): one host more.
        let grown = live(&[("i-m1", M), ("i-w1", W), ("i-w2", W)]);
        let p = r.sync_plan(&grown);
        assert_eq!(p.add, live(&[("i-w2", W)]));
        assert!(p.rekey.is_empty() && p.remove.is_empty());

        // The emulator recreated the worker group with two new instances: the old worker's host
        // goes to the first new one, the second gets a new host.
        let replaced = live(&[("i-m1", M), ("i-w7", W), ("i-w8", W)]);
        let p = r.sync_plan(&replaced);
        assert_eq!(p.rekey, [("i-w1".to_string(), "i-w7".to_string())]);
        assert_eq!(p.add, live(&[("i-w8", W)]));
        assert!(p.remove.is_empty());

        // The worker group shrank to nothing: its host goes; a manager never takes it.
        let p = r.sync_plan(&live(&[("i-m1", M), ("i-m2", M)]));
        assert_eq!(p.remove, ["i-w1"]);
        assert_eq!(p.add, live(&[("i-m2", M)]));
        assert!(p.rekey.is_empty());

        r.rekey("i-w1", "i-w7");
        assert_eq!(r.instances["i-w7"].host, "host-1");
        assert!(!r.instances.contains_key("i-w1"));
    }

    #[test]
    fn round_trips_through_its_file() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(Roster::load(tmp.path()).unwrap(), None);
        // The older format, keyed by host names, names the way out.
        std::fs::write(
            tmp.path().join(ROSTER_FILE),
            r#"{"hosts":{"host-0":{"role":"manager","hostname":"manager-1"}}}"#,
        )
        .unwrap();
        let e = Roster::load(tmp.path()).unwrap_err().to_string();
        assert!(
            e.contains("roster.json") && e.contains("down --sandbox"),
            "{e}"
        );
        let mut r = Roster::default();
        r.assign("i-0", "host-0", M);
        r.save(tmp.path()).unwrap();
        assert_eq!(Roster::load(tmp.path()).unwrap(), Some(r));
    }
}
