//! What the kernel must hold for a network, a remote task and a local task (pure): device
//! names, MACs and parsed addresses, computed before any netlink request is sent, so a bad
//! address is refused naming its value and the I/O in [`crate::netlink`] only executes.

use std::net::Ipv4Addr;

use swarm_api::network::split_addr;

use crate::error::OverlayError;
use crate::names;

/// The UDP port of the VXLAN underlay (IANA's, as Docker).
pub const VXLAN_PORT: u16 = 4789;

/// A remote task as the VXLAN device must know it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Peer {
    /// The task's overlay address.
    pub ip: Ipv4Addr,
    /// Its node's underlay address.
    pub node_ip: String,
}

/// The devices of one network: a bridge holding the gateways and a unicast VXLAN port on it
/// (no learning, proxy ARP: remote tasks are static entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPlan {
    /// The VXLAN id.
    pub vni: u32,
    /// The bridge's name.
    pub bridge: String,
    /// The VXLAN device's name.
    pub vxlan: String,
    /// The underlay UDP port.
    pub port: u16,
    /// `(gateway, prefix length)` of every subnet, put on the bridge.
    pub gateways: Vec<(Ipv4Addr, u8)>,
}

impl NetworkPlan {
    /// The plan of network `vni` whose gateways are `10.0.9.1/24`-style strings.
    pub fn new(vni: u32, gateways: &[String]) -> Result<Self, OverlayError> {
        let gateways = gateways
            .iter()
            .map(|g| cidr("gateway", g))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NetworkPlan {
            vni,
            bridge: names::bridge(vni),
            vxlan: names::vxlan(vni),
            port: VXLAN_PORT,
            gateways,
        })
    }
}

/// The two entries that make a remote task reachable: a forwarding entry on the VXLAN
/// device (its MAC → its node) and a permanent neighbour (its address → its MAC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPlan {
    /// The VXLAN device.
    pub vxlan: String,
    /// The remote task's MAC.
    pub mac: [u8; 6],
    /// Its overlay address.
    pub ip: Ipv4Addr,
    /// Its node's underlay address.
    pub node: Ipv4Addr,
}

impl PeerPlan {
    /// The entries for `peer` on network `vni`.
    pub fn new(vni: u32, peer: &Peer) -> Result<Self, OverlayError> {
        let node = peer
            .node_ip
            .parse::<Ipv4Addr>()
            .map_err(|_| OverlayError::BadAddress {
                what: "node address",
                value: peer.node_ip.clone(),
            })?;
        Ok(PeerPlan {
            vxlan: names::vxlan(vni),
            mac: names::mac_bytes(peer.ip),
            ip: peer.ip,
            node,
        })
    }
}

/// A local task's attachment: a veth whose host end joins the bridge and whose other end,
/// moved into the task's namespace, is renamed [`names::task_if`] and carries the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachPlan {
    /// The host end.
    pub host: String,
    /// The container end's name while it is still in the host's namespace.
    pub peer: String,
    /// Its name inside the task's namespace.
    pub inner: String,
    /// The network's bridge.
    pub bridge: String,
    /// The task's MAC (derived from its address).
    pub mac: [u8; 6],
    /// The task's address.
    pub ip: Ipv4Addr,
    /// The subnet's prefix length.
    pub prefix: u8,
}

impl AttachPlan {
    /// The attachment of `task_id` to network `vni` with `addr` (`10.0.9.3/24`).
    pub fn new(task_id: &str, vni: u32, addr: &str) -> Result<Self, OverlayError> {
        let (ip, prefix) = cidr("task address", addr)?;
        let (host, peer) = names::veth(task_id, vni);
        Ok(AttachPlan {
            host,
            peer,
            inner: names::task_if(vni),
            bridge: names::bridge(vni),
            mac: names::mac_bytes(ip),
            ip,
            prefix,
        })
    }
}

fn cidr(what: &'static str, s: &str) -> Result<(Ipv4Addr, u8), OverlayError> {
    split_addr(s)
        .filter(|(_, len)| *len <= 32)
        .ok_or_else(|| OverlayError::BadAddress {
            what,
            value: s.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_plan_parses_its_gateways_and_names_its_devices() {
        let p = NetworkPlan::new(4097, &["10.0.9.1/24".into(), "10.1.0.1/16".into()]).unwrap();
        assert_eq!(p.bridge, "swbr4097");
        assert_eq!(p.vxlan, "swvx4097");
        assert_eq!(p.port, 4789);
        assert_eq!(
            p.gateways,
            vec![
                (Ipv4Addr::new(10, 0, 9, 1), 24),
                (Ipv4Addr::new(10, 1, 0, 1), 16)
            ]
        );
        let e = NetworkPlan::new(1, &["10.0.9.1".into()]).unwrap_err();
        assert!(e.to_string().contains("gateway 10.0.9.1"), "{e}");
    }

    #[test]
    fn a_peer_plan_derives_the_mac_and_parses_the_node() {
        let peer = Peer {
            ip: Ipv4Addr::new(10, 0, 9, 3),
            node_ip: "127.0.128.2".into(),
        };
        let p = PeerPlan::new(7, &peer).unwrap();
        assert_eq!(p.mac, [0x02, 0x42, 10, 0, 9, 3]);
        assert_eq!(p.node, Ipv4Addr::new(127, 0, 128, 2));
        assert_eq!(p.vxlan, "swvx7");
        let bad = Peer {
            node_ip: "node-2".into(),
            ..peer
        };
        let e = PeerPlan::new(7, &bad).unwrap_err();
        assert!(e.to_string().contains("node address node-2"), "{e}");
    }

    #[test]
    fn an_attach_plan_names_both_veth_ends_and_the_inner_interface() {
        let p = AttachPlan::new("abcdefghij", 4097, "10.0.9.3/24").unwrap();
        assert_eq!(
            (p.host.as_str(), p.peer.as_str(), p.inner.as_str()),
            ("svabcdefg4097", "scabcdefg4097", "ov4097")
        );
        assert_eq!(p.bridge, "swbr4097");
        assert_eq!((p.ip, p.prefix), (Ipv4Addr::new(10, 0, 9, 3), 24));
        assert_eq!(p.mac, [0x02, 0x42, 10, 0, 9, 3]);
        assert!(AttachPlan::new("t", 1, "10.0.9.3/40").is_err());
    }
}
