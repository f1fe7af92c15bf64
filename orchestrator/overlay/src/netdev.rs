//! The devices of one network on this node: a bridge holding the gateway addresses, a
//! unicast VXLAN port on it (no flooding: remote tasks are static forwarding and proxy-ARP
//! neighbour entries, as libnetwork's overlay driver does), and one veth per task moved into
//! the task's namespace with its allocated address.

use std::net::Ipv4Addr;

use swarm_api::network::split_addr;

use crate::cmd::{in_netns, link_exists, run};
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

/// Creates the bridge and the VXLAN device of the network `vni` if missing and puts the
/// gateways (`10.0.9.1/24`) on the bridge.
pub async fn ensure_network(vni: u32, gateways: &[String]) -> Result<(), OverlayError> {
    let br = names::bridge(vni);
    let vx = names::vxlan(vni);
    if !link_exists(&br).await {
        run("ip", &["link", "add", &br, "type", "bridge"], None).await?;
    }
    for gw in gateways {
        run("ip", &["addr", "replace", gw, "dev", &br], None).await?;
    }
    run("ip", &["link", "set", &br, "up"], None).await?;
    if !link_exists(&vx).await {
        let id = vni.to_string();
        let port = VXLAN_PORT.to_string();
        run(
            "ip",
            &[
                "link",
                "add",
                &vx,
                "type",
                "vxlan",
                "id",
                &id,
                "dstport",
                &port,
                "proxy",
                "nolearning",
            ],
            None,
        )
        .await?;
        run("ip", &["link", "set", &vx, "master", &br], None).await?;
    }
    run("ip", &["link", "set", &vx, "up"], None).await?;
    // Docker's engine loads br_netfilter and drops forwarded frames by default: let frames
    // bridged within this network through (idempotent: checked first).
    let rule = [
        "FORWARD",
        "-i",
        br.as_str(),
        "-o",
        br.as_str(),
        "-j",
        "ACCEPT",
    ];
    let mut check = vec!["-C"];
    check.extend_from_slice(&rule);
    if run("iptables", &check, None).await.is_err() {
        let mut insert = vec!["-I"];
        insert.extend_from_slice(&rule);
        if let Err(e) = run("iptables", &insert, None).await {
            tracing::debug!(error = %e, "no iptables FORWARD rule for the overlay bridge");
        }
    }
    Ok(())
}

/// Removes the network's devices (the veths of its tasks went with their namespaces).
pub async fn remove_network(vni: u32) -> Result<(), OverlayError> {
    let br = names::bridge(vni);
    let _ = run(
        "iptables",
        &["-D", "FORWARD", "-i", &br, "-o", &br, "-j", "ACCEPT"],
        None,
    )
    .await;
    for dev in [names::vxlan(vni), br] {
        if link_exists(&dev).await {
            run("ip", &["link", "del", &dev], None).await?;
        }
    }
    Ok(())
}

/// Makes the VXLAN device reach `peer`'s task: forwarding entry to its node, neighbour entry
/// answered by proxy ARP.
pub async fn add_peer(vni: u32, peer: &Peer) -> Result<(), OverlayError> {
    let vx = names::vxlan(vni);
    let mac = names::mac(peer.ip);
    let ip = peer.ip.to_string();
    run(
        "bridge",
        &[
            "fdb",
            "replace",
            &mac,
            "dev",
            &vx,
            "dst",
            &peer.node_ip,
            "self",
            "permanent",
        ],
        None,
    )
    .await?;
    run(
        "ip",
        &[
            "neigh",
            "replace",
            &ip,
            "lladdr",
            &mac,
            "dev",
            &vx,
            "nud",
            "permanent",
        ],
        None,
    )
    .await?;
    Ok(())
}

/// Forgets a remote task.
pub async fn remove_peer(vni: u32, peer: &Peer) -> Result<(), OverlayError> {
    let vx = names::vxlan(vni);
    let mac = names::mac(peer.ip);
    let ip = peer.ip.to_string();
    let _ = run("bridge", &["fdb", "del", &mac, "dev", &vx, "self"], None).await;
    let _ = run("ip", &["neigh", "del", &ip, "dev", &vx], None).await;
    Ok(())
}

/// Attaches the task whose container runs as `pid` to the network `vni` with `addr`
/// (`10.0.9.3/24`): a veth whose host end joins the bridge and whose other end, named
/// `ov<vni>`, carries the address and the task's MAC inside the task's namespace.
pub async fn attach(task_id: &str, pid: u32, vni: u32, addr: &str) -> Result<(), OverlayError> {
    let (host, peer) = names::veth(task_id, vni);
    let Some((ip, _)) = split_addr(addr) else {
        return Err(OverlayError::Command {
            command: format!("attach {task_id}"),
            stderr: format!("bad address {addr}"),
        });
    };
    if link_exists(&host).await {
        run("ip", &["link", "del", &host], None).await?;
    }
    run(
        "ip",
        &["link", "add", &host, "type", "veth", "peer", "name", &peer],
        None,
    )
    .await?;
    let pid_s = pid.to_string();
    run("ip", &["link", "set", &peer, "netns", &pid_s], None).await?;
    run(
        "ip",
        &["link", "set", &host, "master", &names::bridge(vni), "up"],
        None,
    )
    .await?;
    let inner = names::task_if(vni);
    let mac = names::mac(ip);
    in_netns(
        pid,
        "ip",
        &["link", "set", &peer, "name", &inner, "address", &mac],
        None,
    )
    .await?;
    in_netns(pid, "ip", &["addr", "add", addr, "dev", &inner], None).await?;
    in_netns(pid, "ip", &["link", "set", &inner, "up"], None).await?;
    Ok(())
}
