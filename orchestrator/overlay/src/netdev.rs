//! The devices of one network on this node: a bridge holding the gateway addresses, a
//! unicast VXLAN port on it (no flooding: remote tasks are static forwarding and proxy-ARP
//! neighbour entries, as libnetwork's overlay driver does), and one veth per task moved into
//! the task's namespace with its allocated address. The plans come from [`crate::plan`]; the
//! kernel is asked through [`crate::netlink`]. The one rule left to a tool is Docker's
//! `FORWARD` chain, which belongs to `iptables` (see [`forward_rule`]).

use crate::cmd::run;
use crate::error::OverlayError;
use crate::netlink::{rename_addr_up_in, Netlink};
use crate::plan::{AttachPlan, NetworkPlan, PeerPlan};

pub use crate::plan::{Peer, VXLAN_PORT};

/// Creates the bridge and the VXLAN device of the network `vni` if missing and puts the
/// gateways (`10.0.9.1/24`) on the bridge.
pub async fn ensure_network(
    nl: &Netlink,
    vni: u32,
    gateways: &[String],
) -> Result<(), OverlayError> {
    let p = NetworkPlan::new(vni, gateways)?;
    let br = nl.ensure_bridge(&p.bridge).await?;
    for (ip, prefix) in &p.gateways {
        nl.replace_addr(br, *ip, *prefix).await?;
    }
    nl.set_up(br, None).await?;
    let vx = nl.ensure_vxlan(&p.vxlan, p.vni, p.port).await?;
    nl.set_up(vx, Some(br)).await?;
    forward_rule(&p.bridge, true).await;
    Ok(())
}

/// Docker's engine loads br_netfilter and drops forwarded frames by default: frames bridged
/// within this network are let through by a rule at the top of Docker's `FORWARD` chain
/// (idempotent: checked first). Docker owns that chain through `iptables`, so the rule is
/// made with the same tool; failing to add it is logged, not fatal (no Docker, no drop).
async fn forward_rule(bridge: &str, add: bool) {
    let rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
    let with = |op: &'static str| {
        let mut v = vec![op];
        v.extend_from_slice(&rule);
        v
    };
    if !add {
        let _ = run("iptables", &with("-D"), None).await;
        return;
    }
    if run("iptables", &with("-C"), None).await.is_err() {
        if let Err(e) = run("iptables", &with("-I"), None).await {
            tracing::debug!(error = %e, "no iptables FORWARD rule for the overlay bridge");
        }
    }
}

/// Removes the network's devices (the veths of its tasks went with their namespaces).
pub async fn remove_network(nl: &Netlink, vni: u32) -> Result<(), OverlayError> {
    let p = NetworkPlan::new(vni, &[])?;
    forward_rule(&p.bridge, false).await;
    nl.delete(&p.vxlan).await?;
    nl.delete(&p.bridge).await
}

/// Makes the VXLAN device reach `peer`'s task: forwarding entry to its node, neighbour entry
/// answered by proxy ARP.
pub async fn add_peer(nl: &Netlink, vni: u32, peer: &Peer) -> Result<(), OverlayError> {
    let p = PeerPlan::new(vni, peer)?;
    let Some(vx) = nl.index(&p.vxlan).await? else {
        return Err(OverlayError::Netlink {
            op: format!("get link {}", p.vxlan),
            cause: "no such device".into(),
        });
    };
    nl.fdb_replace(vx, p.mac, p.node).await?;
    nl.neigh_replace(vx, p.ip, p.mac).await
}

/// Forgets a remote task (entries already gone are fine).
pub async fn remove_peer(nl: &Netlink, vni: u32, peer: &Peer) -> Result<(), OverlayError> {
    let p = PeerPlan::new(vni, peer)?;
    if let Some(vx) = nl.index(&p.vxlan).await? {
        let _ = nl.fdb_del(vx, p.mac).await;
        let _ = nl.neigh_del(vx, p.ip).await;
    }
    Ok(())
}

/// Attaches the task whose container runs as `pid` to the network `vni` with `addr`
/// (`10.0.9.3/24`): a veth whose host end joins the bridge and whose other end, named
/// `ov<vni>`, carries the address and the task's MAC inside the task's namespace.
pub async fn attach(
    nl: &Netlink,
    task_id: &str,
    pid: u32,
    vni: u32,
    addr: &str,
) -> Result<(), OverlayError> {
    let p = AttachPlan::new(task_id, vni, addr)?;
    nl.delete(&p.host).await?;
    nl.add_veth(&p.host, &p.peer).await?;
    nl.move_to(&p.peer, p.mac, pid).await?;
    let Some(br) = nl.index(&p.bridge).await? else {
        return Err(OverlayError::Netlink {
            op: format!("get link {}", p.bridge),
            cause: "no such device".into(),
        });
    };
    let Some(host) = nl.index(&p.host).await? else {
        return Err(OverlayError::Netlink {
            op: format!("get link {}", p.host),
            cause: "no such device".into(),
        });
    };
    nl.set_up(host, Some(br)).await?;
    rename_addr_up_in(pid, p.peer, p.inner, p.ip, p.prefix).await
}
