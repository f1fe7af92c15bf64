//! The per-node data plane of swarmd's overlay networks (issue 15).
//!
//! Background: Docker's overlay driver joins a network's tasks across hosts with a Linux
//! bridge per network and a VXLAN device (one VNI per network), and gives names through an
//! embedded DNS server and VIPs through IPVS. These hosts have no IPVS, so VIPs are nftables
//! DNAT rules in each task's namespace.
//!
//! Design: [`Overlay`] implements the agent's `OverlayHook`: after every dispatcher answer it
//! makes this node match the [`OverlayView`]: for each network a task here uses, the bridge
//! (holding the gateway) and the VXLAN port with static forwarding and proxy-ARP entries for
//! every remote task ([`netdev`]); for each running task container, a veth moved into its
//! namespace with its allocated address, the task's resolver pointed at the gateway (with its
//! `--dns-search` domains and `--dns-option`s), and its
//! VIP table ([`vip`]); a DNS server on each gateway ([`dns`]). Task containers keep Docker's
//! default bridge for the outside world and published ports (so the routing mesh works as
//! before); the overlay interface only carries the network's subnet.
//!
//! Links, addresses, neighbours and forwarding entries are made over netlink ([`netlink`],
//! the `rtnetlink` crate) from pure plans ([`plan`]). Two rule sets stay with their tools:
//! the VIP table with `nft` in the task's namespace (the maintained Rust nftables crates
//! either shell out to `nft` themselves or are GPL-licensed and lack `numgen` maps), and
//! the bridge's accept rule in Docker's `FORWARD` chain with `iptables`, which owns it.
//!
//! Limits: no IPsec (`--opt encrypted` is refused by the manager). A task whose
//! networks are all `--internal` is created without Docker's bridge (`NetworkMode: none`, by
//! the agent), so it has no way out; a task with any other network keeps Docker's bridge.

pub mod cmd;
pub mod dns;
pub mod error;
pub mod metrics;
pub mod names;
pub mod netdev;
pub mod netlink;
pub mod plan;
pub mod vip;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use bollard::Docker;
use swarm_agent::overlay_hook::{BoxFut, OverlayHook};
use swarm_api::network::split_addr;
use swarm_api::network_api::OverlayView;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

pub use error::OverlayError;
use netdev::Peer;

struct NetState {
    peers: BTreeSet<Peer>,
    dns: Vec<JoinHandle<()>>,
}

struct Attached {
    container_id: String,
    pid: u32,
    nets: BTreeSet<String>,
    vip_rules: String,
    /// The task's `--dns` servers (from its container's `HostConfig.Dns`).
    dns_servers: Vec<SocketAddr>,
}

/// What the overlay reads back from a task's container.
struct ContainerInfo {
    pid: u32,
    resolv_conf_path: Option<String>,
    /// `HostConfig.Dns`, `DnsSearch`, `DnsOptions` (the service's `--dns*` flags).
    dns: Vec<String>,
    dns_search: Vec<String>,
    dns_options: Vec<String>,
}

#[derive(Default)]
struct State {
    /// By VNI.
    networks: BTreeMap<u32, NetState>,
    /// By task id.
    tasks: BTreeMap<String, Attached>,
}

/// The overlay data plane of this node.
pub struct Overlay {
    docker: Docker,
    records: Arc<RwLock<dns::Records>>,
    per_task: Arc<RwLock<dns::TaskUpstreams>>,
    upstreams: Arc<Vec<SocketAddr>>,
    state: Mutex<State>,
}

impl Overlay {
    /// A data plane whose containers are found through `docker` (the node's engine); names
    /// it does not know are forwarded to the task's `--dns` servers, or (none given) to the
    /// resolvers of this host's `/etc/resolv.conf`.
    pub fn new(docker: Docker) -> Self {
        let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        Overlay {
            docker,
            records: Arc::default(),
            per_task: Arc::default(),
            upstreams: Arc::new(dns::upstreams(&conf)),
            state: Mutex::default(),
        }
    }

    async fn container(&self, id: &str) -> Result<ContainerInfo, OverlayError> {
        let c =
            self.docker
                .inspect_container(id, None)
                .await
                .map_err(|e| OverlayError::Docker {
                    id: id.into(),
                    cause: e.to_string(),
                })?;
        let pid = c
            .state
            .and_then(|s| s.pid)
            .filter(|p| *p > 0)
            .ok_or_else(|| OverlayError::NoProcess(id.into()))?;
        let hc = c.host_config.unwrap_or_default();
        Ok(ContainerInfo {
            pid: pid as u32,
            resolv_conf_path: c.resolv_conf_path,
            dns: hc.dns.unwrap_or_default(),
            dns_search: hc.dns_search.unwrap_or_default(),
            dns_options: hc.dns_options.unwrap_or_default(),
        })
    }

    /// Makes the node match `view`; `running` are `(task id, container id)` of the running
    /// task containers. Everything is attempted; the first error is returned.
    pub async fn reconcile(
        &self,
        view: &OverlayView,
        running: &[(String, String)],
    ) -> Result<(), OverlayError> {
        *self.records.write().unwrap_or_else(|e| e.into_inner()) = dns::Records::from_view(view);
        let mut st = self.state.lock().await;
        let nl = netlink::Netlink::open()?;
        let mut first: Option<OverlayError> = None;
        let local: BTreeSet<&str> = view.attachments.keys().map(String::as_str).collect();
        // Networks.
        let wanted: BTreeSet<u32> = view.networks.iter().map(|n| n.vni).collect();
        for net in &view.networks {
            let gateways: Vec<String> = net
                .ipam
                .iter()
                .filter_map(|c| {
                    let len = c.subnet.split('/').nth(1)?;
                    Some(format!("{}/{len}", c.gateway))
                })
                .collect();
            // Made once per network while this process runs (a restarted agent re-checks).
            if !st.networks.contains_key(&net.vni) {
                if let Err(e) = netdev::ensure_network(&nl, net.vni, &gateways).await {
                    first.get_or_insert(e);
                    continue;
                }
            }
            let ns = st.networks.entry(net.vni).or_insert_with(|| NetState {
                peers: BTreeSet::new(),
                dns: Vec::new(),
            });
            if ns.dns.is_empty() {
                for c in &net.ipam {
                    let Ok(gw) = c.gateway.parse::<Ipv4Addr>() else {
                        continue;
                    };
                    let addr = SocketAddr::from((gw, 53));
                    match std::net::UdpSocket::bind(addr)
                        .and_then(|s| s.set_nonblocking(true).map(|()| s))
                        .and_then(UdpSocket::from_std)
                    {
                        Ok(sock) => ns.dns.push(tokio::spawn(dns::serve(
                            sock,
                            self.records.clone(),
                            self.per_task.clone(),
                            self.upstreams.clone(),
                        ))),
                        Err(cause) => {
                            first.get_or_insert(OverlayError::Dns {
                                addr: addr.to_string(),
                                cause,
                            });
                        }
                    }
                }
            }
            let want: BTreeSet<Peer> = net
                .endpoints
                .iter()
                .filter(|e| !local.contains(e.task_id.as_str()))
                .filter_map(|e| {
                    Some(Peer {
                        ip: split_addr(&e.addr)?.0,
                        node_ip: e.node_ip.clone(),
                    })
                })
                .collect();
            for gone in ns.peers.difference(&want).cloned().collect::<Vec<_>>() {
                let _ = netdev::remove_peer(&nl, net.vni, &gone).await;
                ns.peers.remove(&gone);
            }
            for new in want.difference(&ns.peers.clone()) {
                match netdev::add_peer(&nl, net.vni, new).await {
                    Ok(()) => {
                        ns.peers.insert(new.clone());
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
        }
        for vni in st.networks.keys().copied().collect::<Vec<_>>() {
            if !wanted.contains(&vni) {
                if let Some(ns) = st.networks.remove(&vni) {
                    ns.dns.iter().for_each(JoinHandle::abort);
                }
                if let Err(e) = netdev::remove_network(&nl, vni).await {
                    first.get_or_insert(e);
                }
            }
        }
        // Tasks.
        let running_ids: BTreeSet<&str> = running.iter().map(|(t, _)| t.as_str()).collect();
        st.tasks.retain(|t, _| running_ids.contains(t.as_str()));
        for (task_id, container_id) in running {
            let Some(atts) = view.attachments.get(task_id) else {
                continue;
            };
            if st
                .tasks
                .get(task_id)
                .is_some_and(|a| &a.container_id != container_id)
            {
                st.tasks.remove(task_id);
            }
            if !st.tasks.contains_key(task_id) {
                match self.container(container_id).await {
                    Ok(info) => {
                        st.tasks.insert(
                            task_id.clone(),
                            Attached {
                                container_id: container_id.clone(),
                                pid: info.pid,
                                nets: BTreeSet::new(),
                                vip_rules: String::new(),
                                dns_servers: dns::servers(&info.dns),
                            },
                        );
                        // The task's resolver is the node's DNS on its first network's gateway.
                        let gw = atts.first().and_then(|a| {
                            view.networks
                                .iter()
                                .find(|n| n.id == a.network_id)
                                .and_then(|n| n.ipam.first())
                                .map(|c| c.gateway.clone())
                        });
                        if let (Some(path), Some(gw)) = (info.resolv_conf_path, gw) {
                            let text = dns::resolv_conf(&gw, &info.dns_search, &info.dns_options);
                            if let Err(cause) = std::fs::write(&path, text) {
                                first.get_or_insert(OverlayError::Io { path, cause });
                            }
                        }
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                        continue;
                    }
                }
            }
            let Some(a) = st.tasks.get_mut(task_id) else {
                continue;
            };
            for att in atts {
                if a.nets.contains(&att.network_id) {
                    continue;
                }
                let Some(net) = view.networks.iter().find(|n| n.id == att.network_id) else {
                    continue;
                };
                match netdev::attach(&nl, task_id, a.pid, net.vni, &att.addr).await {
                    Ok(()) => {
                        a.nets.insert(att.network_id.clone());
                        tracing::info!(task = %task_id, network = %net.name, addr = %att.addr, "task attached");
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            // VIPs of the services on the task's networks.
            let mut vips = Vec::new();
            for net in view.networks.iter().filter(|n| a.nets.contains(&n.id)) {
                for s in &net.services {
                    let Some(vip) = s.vip.as_deref().and_then(split_addr) else {
                        continue;
                    };
                    let backends: Vec<Ipv4Addr> = net
                        .endpoints
                        .iter()
                        .filter(|e| e.service_id == s.service_id && e.running)
                        .filter_map(|e| split_addr(&e.addr).map(|x| x.0))
                        .collect();
                    vips.push((vip.0, backends));
                }
            }
            let rules = vip::ruleset(&vips);
            if rules != a.vip_rules {
                match cmd::in_netns(a.pid, "nft", &["-f", "-"], Some(&rules)).await {
                    Ok(_) => a.vip_rules = rules,
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
        }
        // The `--dns` servers of the attached tasks, by their overlay addresses.
        let mut per_task = dns::TaskUpstreams::new();
        for (task_id, a) in st.tasks.iter().filter(|(_, a)| !a.dns_servers.is_empty()) {
            for att in view.attachments.get(task_id).into_iter().flatten() {
                if let Some((ip, _)) = split_addr(&att.addr) {
                    per_task.insert(ip, a.dns_servers.clone());
                }
            }
        }
        *self.per_task.write().unwrap_or_else(|e| e.into_inner()) = per_task;
        first.map_or(Ok(()), Err)
    }
}

impl OverlayHook for Overlay {
    fn apply<'a>(
        &'a self,
        view: &'a OverlayView,
        running: &'a [(String, String)],
    ) -> BoxFut<'a, Result<(), String>> {
        Box::pin(async move {
            self.reconcile(view, running)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        if let Ok(st) = self.state.try_lock() {
            for ns in st.networks.values() {
                ns.dns.iter().for_each(JoinHandle::abort);
            }
        }
    }
}
