//! Networks in the [`ClusterState`] and their address allocation (pure and deterministic).
//!
//! Allocation happens inside `apply`, after every command ([`ClusterState::sync_networks`]):
//! a task that should run and whose spec names networks gets one address per network, a
//! service in vip mode gets one virtual IP per network; addresses of tasks that stopped or
//! went and of services that went (or left the network) are released. Because the state
//! machine does it, an allocation is part of the same committed log entry as the change that
//! needed it: every replica computes the same addresses, a new leader continues from the
//! same state, and no address is ever handed out twice. The built-in `ingress` network is
//! created with the cluster.

use std::collections::{BTreeMap, BTreeSet};

use swarm_api::command::ApplyError;
use swarm_api::network::{
    Attachment, EndpointMode, IpamConfig, Network, NetworkSpec, Prefix, VirtualIp, INGRESS,
};
use swarm_api::network_alloc::{addr_u32, allocate, default_subnet, free_vni};

use crate::find::find_by_key;
use crate::state::ClusterState;

/// The subnet of the built-in ingress network (Docker's default).
pub const INGRESS_SUBNET: &str = "10.0.0.0/24";

impl ClusterState {
    pub(crate) fn create_network(&mut self, network: &Network) -> Result<(), ApplyError> {
        self.require_initialised()?;
        if self.networks.contains_key(&network.id)
            || self
                .networks
                .values()
                .any(|n| n.spec.name == network.spec.name)
        {
            return Err(ApplyError::NetworkExists {
                name: network.spec.name.clone(),
            });
        }
        let mut net = network.clone();
        let taken: Vec<IpamConfig> = self
            .networks
            .values()
            .flat_map(|n| n.spec.ipam.iter().cloned())
            .collect();
        if net.spec.ipam.is_empty() {
            let pick = default_subnet(1, &taken).ok_or_else(|| ApplyError::NetworkSubnet {
                message: "no free 10.0.N.0/24 subnet is left for a new network; give --subnet"
                    .into(),
            })?;
            net.spec.ipam.push(pick);
        }
        for c in &net.spec.ipam {
            let Ok(p) = Prefix::parse("--subnet", &c.subnet) else {
                return Err(ApplyError::NetworkSubnet {
                    message: format!("invalid subnet {}", c.subnet),
                });
            };
            for other in self.networks.values() {
                for oc in &other.spec.ipam {
                    if Prefix::parse("--subnet", &oc.subnet).is_ok_and(|o| o.overlaps(&p)) {
                        return Err(ApplyError::NetworkSubnet {
                            message: format!(
                                "subnet {} overlaps {} of network {}; give another --subnet",
                                c.subnet, oc.subnet, other.spec.name
                            ),
                        });
                    }
                }
            }
        }
        net.vni = free_vni(self.networks.values().map(|n| n.vni));
        net.cursors = vec![0; net.spec.ipam.len()];
        self.networks.insert(net.id.clone(), net);
        Ok(())
    }

    pub(crate) fn remove_network(&mut self, id: &str) -> Result<(), ApplyError> {
        let net = self
            .networks
            .get(id)
            .ok_or_else(|| ApplyError::NetworkNotFound { id: id.into() })?;
        let users = self.services_on(id);
        if !users.is_empty() {
            return Err(ApplyError::NetworkInUse {
                name: net.spec.name.clone(),
                services: users,
            });
        }
        self.networks.remove(id);
        self.network_attachments
            .values_mut()
            .for_each(|a| a.retain(|x| x.network_id != id));
        Ok(())
    }

    /// Names of the services whose tasks join network `id`, sorted.
    pub fn services_on(&self, id: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .services
            .values()
            .filter(|s| s.spec.task.networks.iter().any(|n| n.target == id))
            .map(|s| s.spec.name.clone())
            .collect();
        v.sort();
        v
    }

    /// Finds a network by id, name or unique id prefix.
    pub fn find_network(&self, key: &str) -> Option<&Network> {
        find_by_key(&self.networks, key, |n| &n.spec.name).ok()
    }

    fn require_initialised(&self) -> Result<(), ApplyError> {
        self.cluster
            .as_ref()
            .map(|_| ())
            .ok_or(ApplyError::NotInitialised)
    }

    /// Creates `ingress` once the cluster exists, releases the addresses of what went and
    /// allocates the missing ones. Called after every applied command.
    pub(crate) fn sync_networks(&mut self) {
        let Some(cluster) = &self.cluster else {
            return;
        };
        if !self.networks.values().any(|n| n.spec.ingress) {
            let id: String = format!("ingress{}", cluster.id).chars().take(25).collect();
            let net = Network {
                id: id.clone(),
                spec: NetworkSpec {
                    name: INGRESS.into(),
                    driver: "overlay".into(),
                    ipam: vec![IpamConfig {
                        subnet: INGRESS_SUBNET.into(),
                        gateway: "10.0.0.1".into(),
                        ip_range: None,
                    }],
                    ingress: true,
                    ..Default::default()
                },
                vni: free_vni(self.networks.values().map(|n| n.vni)),
                created_at_ms: 0,
                cursors: vec![0],
            };
            self.networks.insert(id, net);
        }
        // Release.
        let tasks = &self.tasks;
        self.network_attachments
            .retain(|id, _| tasks.get(id).is_some_and(|t| !t.status.state.is_terminal()));
        let services = &self.services;
        self.service_vips.retain(|id, vips| {
            let Some(s) = services.get(id) else {
                return false;
            };
            if s.spec.endpoint.mode != EndpointMode::Vip {
                return false;
            }
            vips.retain(|v| {
                s.spec
                    .task
                    .networks
                    .iter()
                    .any(|n| n.target == v.network_id)
            });
            true
        });
        // In use, per network.
        let mut used: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        for a in self.network_attachments.values().flatten() {
            if let Some(ip) = addr_u32(&a.addr) {
                used.entry(a.network_id.clone()).or_default().insert(ip);
            }
        }
        for v in self.service_vips.values().flatten() {
            if let Some(ip) = addr_u32(&v.addr) {
                used.entry(v.network_id.clone()).or_default().insert(ip);
            }
        }
        // Virtual IPs first (a service's VIP exists before its tasks resolve it).
        let want_vips: Vec<(String, String)> = self
            .services
            .values()
            .filter(|s| s.spec.endpoint.mode == EndpointMode::Vip)
            .flat_map(|s| {
                s.spec
                    .task
                    .networks
                    .iter()
                    .map(|n| (s.id.clone(), n.target.clone()))
            })
            .collect();
        give_addresses(
            &mut self.service_vips,
            want_vips,
            &mut self.networks,
            &mut used,
            |v| &v.network_id,
            |network_id, addr| VirtualIp { network_id, addr },
        );
        // Task addresses.
        let want: Vec<(String, String)> = self
            .tasks
            .values()
            .filter(|t| {
                !t.status.state.is_terminal()
                    && t.desired_state <= swarm_api::task::TaskState::Running
            })
            .flat_map(|t| {
                t.spec
                    .networks
                    .iter()
                    .map(|n| (t.id.clone(), n.target.clone()))
            })
            .collect();
        give_addresses(
            &mut self.network_attachments,
            want,
            &mut self.networks,
            &mut used,
            |a| &a.network_id,
            |network_id, addr| Attachment { network_id, addr },
        );
    }
}

/// Gives each `(owner, network)` of `want` that has no address on that network yet one from the
/// network's pool (marked in `used`), recorded in `have` with `make`. An exhausted pool leaves
/// the owner without one.
fn give_addresses<T>(
    have: &mut BTreeMap<String, Vec<T>>,
    want: Vec<(String, String)>,
    networks: &mut BTreeMap<String, Network>,
    used: &mut BTreeMap<String, BTreeSet<u32>>,
    network_of: impl Fn(&T) -> &String,
    make: impl Fn(String, String) -> T,
) {
    for (owner, nid) in want {
        let has = have
            .get(&owner)
            .is_some_and(|v| v.iter().any(|x| *network_of(x) == nid));
        if has {
            continue;
        }
        let Some(net) = networks.get_mut(&nid) else {
            continue;
        };
        let u = used.entry(nid.clone()).or_default();
        if let Ok(addr) = allocate(net, u) {
            u.extend(addr_u32(&addr));
            have.entry(owner).or_default().push(make(nid, addr));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::cluster::ClusterInfo;
    use swarm_api::command::Command;
    use swarm_api::network::NetworkAttachmentConfig;
    use swarm_api::service::ServiceSpec;
    use swarm_api::task::{Task, TaskState};

    fn init() -> ClusterState {
        let mut s = ClusterState::default();
        let r = s.apply(&Command::InitCluster {
            cluster: ClusterInfo {
                id: "c1".into(),
                ca_cert_pem: String::new(),
                ca_key_pem: String::new(),
                worker_secret: "w".into(),
                manager_secret: "m".into(),
            },
            node: swarm_api::node::Node {
                id: 1,
                hostname: "m1".into(),
                addr: "127.0.0.1:2377".into(),
                role: swarm_api::node::Role::Manager,
                availability: swarm_api::node::Availability::Active,
                status: swarm_api::node::NodeStatus::Ready,
                labels: Default::default(),
                description: Default::default(),
            },
        });
        assert_eq!(r.error, None);
        s
    }

    fn network(id: &str, name: &str, subnet: Option<&str>) -> Command {
        Command::CreateNetwork {
            network: Network {
                id: id.into(),
                spec: NetworkSpec {
                    name: name.into(),
                    driver: "overlay".into(),
                    ipam: subnet
                        .map(|s| {
                            let p = Prefix::parse("s", s).unwrap();
                            vec![IpamConfig {
                                subnet: s.into(),
                                gateway: std::net::Ipv4Addr::from(p.base + 1).to_string(),
                                ip_range: None,
                            }]
                        })
                        .unwrap_or_default(),
                    ..Default::default()
                },
                vni: 0,
                created_at_ms: 0,
                cursors: vec![],
            },
        }
    }

    fn service(id: &str, nets: &[&str]) -> Command {
        let mut spec = ServiceSpec {
            name: id.into(),
            ..Default::default()
        };
        spec.task.container.image = "img".into();
        spec.task.networks = nets
            .iter()
            .map(|n| NetworkAttachmentConfig {
                target: n.to_string(),
                aliases: vec![],
                internal: false,
            })
            .collect();
        Command::CreateService {
            service: swarm_testkit::service(id, spec),
        }
    }

    fn task(id: &str, s: &ClusterState, service: &str) -> Task {
        Task {
            spec: s.services[service].spec.task.clone(),
            ..swarm_testkit::task(id, service, "", TaskState::New)
        }
    }

    fn addrs(s: &ClusterState, net: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .network_attachments
            .values()
            .flatten()
            .map(|a| (&a.network_id, &a.addr))
            .chain(
                s.service_vips
                    .values()
                    .flatten()
                    .map(|v| (&v.network_id, &v.addr)),
            )
            .filter(|(n, _)| *n == net)
            .map(|(_, a)| a.clone())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn ingress_exists_and_default_subnets_and_vnis_differ() {
        let mut s = init();
        let ingress = s.find_network(INGRESS).unwrap().clone();
        assert!(ingress.spec.ingress);
        assert_eq!(ingress.spec.ipam[0].subnet, INGRESS_SUBNET);
        assert_eq!(s.apply(&network("n1", "a", None)).error, None);
        assert_eq!(s.apply(&network("n2", "b", None)).error, None);
        assert_eq!(s.networks["n1"].spec.ipam[0].subnet, "10.0.1.0/24");
        assert_eq!(s.networks["n2"].spec.ipam[0].subnet, "10.0.2.0/24");
        let vnis: BTreeSet<u32> = s.networks.values().map(|n| n.vni).collect();
        assert_eq!(vnis.len(), 3, "one VNI per network");
        assert_eq!(
            s.apply(&network("n3", "a", None)).error,
            Some(ApplyError::NetworkExists { name: "a".into() })
        );
        let e = s
            .apply(&network("n4", "c", Some("10.0.1.0/25")))
            .error
            .unwrap();
        assert!(
            e.to_string().contains("overlaps 10.0.1.0/24 of network a"),
            "{e}"
        );
    }

    #[test]
    fn tasks_and_vips_get_distinct_addresses_released_when_they_go() {
        let mut s = init();
        s.apply(&network("n1", "a", Some("10.0.9.0/24")));
        assert_eq!(s.apply(&service("web", &["n1"])).error, None);
        assert_eq!(s.service_vips["web"][0].addr, "10.0.9.2/24");
        let tasks: Vec<Task> = (1..=3).map(|i| task(&format!("t{i}"), &s, "web")).collect();
        s.apply(&Command::CreateTasks { tasks });
        let all = addrs(&s, "n1");
        assert_eq!(all.len(), 4);
        assert_eq!(
            all.iter().collect::<BTreeSet<_>>().len(),
            4,
            "no address twice"
        );
        // A task that stopped gives its address back; its replacement gets a new one.
        let t1 = s.network_attachments["t1"][0].addr.clone();
        s.tasks.get_mut("t1").unwrap().status.state = TaskState::Failed;
        s.apply(&Command::CreateTasks {
            tasks: vec![task("t4", &s, "web")],
        });
        assert!(!s.network_attachments.contains_key("t1"));
        assert_ne!(
            s.network_attachments["t4"][0].addr, t1,
            "not reused at once"
        );
        // In use: refused, naming the service.
        let e = s
            .apply(&Command::RemoveNetwork { id: "n1".into() })
            .error
            .unwrap();
        assert_eq!(
            e,
            ApplyError::NetworkInUse {
                name: "a".into(),
                services: vec!["web".into()]
            }
        );
        assert!(e.to_string().contains("web"));
        // Removing the service releases its VIP at once, its tasks' once they stopped.
        s.apply(&Command::RemoveService { id: "web".into() });
        assert!(!s.service_vips.contains_key("web"));
        for t in s.tasks.values_mut() {
            t.status.state = TaskState::Shutdown;
        }
        s.apply(&Command::DeleteTasks { ids: vec![] });
        assert!(addrs(&s, "n1").is_empty());
        assert_eq!(
            s.apply(&Command::RemoveNetwork { id: "n1".into() }).error,
            None
        );
    }

    #[test]
    fn a_new_leader_from_a_snapshot_continues_without_handing_out_an_address_twice() {
        let mut s = init();
        s.apply(&network("n1", "a", Some("10.0.9.0/28")));
        s.apply(&service("web", &["n1"]));
        let first: Vec<Task> = (1..=4).map(|i| task(&format!("t{i}"), &s, "web")).collect();
        s.apply(&Command::CreateTasks { tasks: first });
        s.tasks.get_mut("t2").unwrap().status.state = TaskState::Failed;
        s.apply(&Command::DeleteTasks {
            ids: vec!["t2".into()],
        });
        // The state as a snapshot installs it on another manager, which then leads.
        let json = serde_json::to_string(&s).unwrap();
        let mut next: ClusterState = serde_json::from_str(&json).unwrap();
        let more: Vec<Task> = (5..=9)
            .map(|i| task(&format!("t{i}"), &next, "web"))
            .collect();
        next.apply(&Command::CreateTasks { tasks: more });
        let all = addrs(&next, "n1");
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(
            all.len(),
            unique.len(),
            "an address handed out twice: {all:?}"
        );
        // /28: 13 host addresses; the VIP and 8 live tasks hold 9 of them.
        assert_eq!(all.len(), 9);
        // The cursor came with the snapshot: t2's released address is not reused at once.
        assert_eq!(next.network_attachments["t5"][0].addr, "10.0.9.7/28");
        assert!(!all.contains(&"10.0.9.4/28".to_string()), "{all:?}");
    }

    #[test]
    fn dnsrr_services_have_no_vip_and_every_replica_computes_the_same() {
        let mut a = init();
        a.apply(&network("n1", "a", None));
        let mut cmd = service("db", &["n1"]);
        if let Command::CreateService { service } = &mut cmd {
            service.spec.endpoint.mode = EndpointMode::Dnsrr;
        }
        a.apply(&cmd);
        assert!(!a.service_vips.contains_key("db"));
        let mut b = a.clone();
        let t = vec![task("x", &a, "db"), task("y", &a, "db")];
        a.apply(&Command::CreateTasks { tasks: t.clone() });
        b.apply(&Command::CreateTasks { tasks: t });
        assert_eq!(a, b, "deterministic on every replica");
    }
}
