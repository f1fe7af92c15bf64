//! The netlink I/O of the data plane (the `rtnetlink` crate): links, addresses, neighbours
//! and bridge forwarding entries, in this namespace or (for a task's end of its veth) in the
//! namespace of a task's process. Every function executes a plan from [`crate::plan`] and
//! names the request in its error.

use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::AddressFamily;
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth, LinkVxlan};

use crate::error::OverlayError;

/// `ENODEV`: the kernel's answer for a link that does not exist.
const ENODEV: i32 = 19;

fn fail(op: impl Display) -> impl FnOnce(rtnetlink::Error) -> OverlayError {
    move |e| OverlayError::Netlink {
        op: op.to_string(),
        cause: match &e {
            rtnetlink::Error::NetlinkError(m) => m.to_io().to_string(),
            other => other.to_string(),
        },
    }
}

/// A route-netlink connection in the namespace it was opened in.
pub struct Netlink {
    handle: Handle,
}

impl Netlink {
    /// Opens a connection in the calling thread's network namespace (needs a Tokio runtime).
    pub fn open() -> Result<Self, OverlayError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(|e| OverlayError::Netlink {
            op: "open a route netlink socket".into(),
            cause: e.to_string(),
        })?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// The index of the link `name`, `None` if there is none.
    pub async fn index(&self, name: &str) -> Result<Option<u32>, OverlayError> {
        let mut links = self.handle.link().get().match_name(name).execute();
        match links.try_next().await {
            Ok(l) => Ok(l.map(|l| l.header.index)),
            Err(rtnetlink::Error::NetlinkError(m)) if m.raw_code().abs() == ENODEV => Ok(None),
            Err(e) => Err(fail(format!("get link {name}"))(e)),
        }
    }

    async fn must_index(&self, name: &str) -> Result<u32, OverlayError> {
        self.index(name)
            .await?
            .ok_or_else(|| OverlayError::Netlink {
                op: format!("get link {name}"),
                cause: "no such device".into(),
            })
    }

    /// Creates the bridge `name` unless it exists; answers its index.
    pub async fn ensure_bridge(&self, name: &str) -> Result<u32, OverlayError> {
        if let Some(i) = self.index(name).await? {
            return Ok(i);
        }
        self.handle
            .link()
            .add(LinkBridge::new(name).build())
            .execute()
            .await
            .map_err(fail(format!("add bridge {name}")))?;
        self.must_index(name).await
    }

    /// Creates the unicast VXLAN device `name` (`vni`, UDP `port`, proxy ARP, no learning)
    /// unless it exists; answers its index.
    pub async fn ensure_vxlan(&self, name: &str, vni: u32, port: u16) -> Result<u32, OverlayError> {
        if let Some(i) = self.index(name).await? {
            return Ok(i);
        }
        let msg = LinkVxlan::new(name, vni)
            .port(port)
            .proxy(true)
            .learning(false)
            .build();
        self.handle
            .link()
            .add(msg)
            .execute()
            .await
            .map_err(fail(format!("add vxlan {name} id {vni}")))?;
        self.must_index(name).await
    }

    /// Sets the link `index` up, under the bridge `master` if given.
    pub async fn set_up(&self, index: u32, master: Option<u32>) -> Result<(), OverlayError> {
        let mut b = LinkUnspec::new_with_index(index).up();
        if let Some(m) = master {
            b = b.controller(m);
        }
        self.handle
            .link()
            .set(b.build())
            .execute()
            .await
            .map_err(fail(format!("set link {index} up")))
    }

    /// Puts `ip/prefix` on the link `index` (replacing it if present).
    pub async fn replace_addr(
        &self,
        index: u32,
        ip: Ipv4Addr,
        prefix: u8,
    ) -> Result<(), OverlayError> {
        self.handle
            .address()
            .add(index, IpAddr::V4(ip), prefix)
            .replace()
            .execute()
            .await
            .map_err(fail(format!(
                "replace address {ip}/{prefix} on link {index}"
            )))
    }

    /// Deletes the link `name` if it exists.
    pub async fn delete(&self, name: &str) -> Result<(), OverlayError> {
        let Some(i) = self.index(name).await? else {
            return Ok(());
        };
        self.handle
            .link()
            .del(i)
            .execute()
            .await
            .map_err(fail(format!("delete link {name}")))
    }

    /// A permanent forwarding entry on the VXLAN device `index`: frames to `mac` go to the
    /// node `dst` (`bridge fdb replace MAC dev VX dst DST self permanent`).
    pub async fn fdb_replace(
        &self,
        index: u32,
        mac: [u8; 6],
        dst: Ipv4Addr,
    ) -> Result<(), OverlayError> {
        self.handle
            .neighbours()
            .add_bridge(index, &mac)
            .destination(IpAddr::V4(dst))
            .flags(NeighbourFlags::Own)
            .state(NeighbourState::Permanent)
            .replace()
            .execute()
            .await
            .map_err(fail(format!(
                "fdb {} dst {dst} on link {index}",
                mac_str(mac)
            )))
    }

    /// Removes the forwarding entry of `mac` from the VXLAN device `index`.
    pub async fn fdb_del(&self, index: u32, mac: [u8; 6]) -> Result<(), OverlayError> {
        let mut m = NeighbourMessage::default();
        m.header.family = AddressFamily::Bridge;
        m.header.ifindex = index;
        m.header.flags = NeighbourFlags::Own;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
        self.handle
            .neighbours()
            .del(m)
            .execute()
            .await
            .map_err(fail(format!("delete fdb {} on link {index}", mac_str(mac))))
    }

    /// A permanent neighbour `ip` → `mac` on the link `index` (answered by proxy ARP).
    pub async fn neigh_replace(
        &self,
        index: u32,
        ip: Ipv4Addr,
        mac: [u8; 6],
    ) -> Result<(), OverlayError> {
        self.handle
            .neighbours()
            .add(index, IpAddr::V4(ip))
            .link_layer_address(&mac)
            .state(NeighbourState::Permanent)
            .replace()
            .execute()
            .await
            .map_err(fail(format!("neighbour {ip} on link {index}")))
    }

    /// Removes the neighbour `ip` from the link `index`.
    pub async fn neigh_del(&self, index: u32, ip: Ipv4Addr) -> Result<(), OverlayError> {
        let mut m = NeighbourMessage::default();
        m.header.family = AddressFamily::Inet;
        m.header.ifindex = index;
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(ip)));
        self.handle
            .neighbours()
            .del(m)
            .execute()
            .await
            .map_err(fail(format!("delete neighbour {ip} on link {index}")))
    }

    /// Creates the veth pair `host`/`peer`.
    pub async fn add_veth(&self, host: &str, peer: &str) -> Result<(), OverlayError> {
        self.handle
            .link()
            .add(LinkVeth::new(host, peer).build())
            .execute()
            .await
            .map_err(fail(format!("add veth {host} peer {peer}")))
    }

    /// Gives the link `name` the MAC `mac` and moves it into the network namespace of the
    /// process `pid`.
    pub async fn move_to(&self, name: &str, mac: [u8; 6], pid: u32) -> Result<(), OverlayError> {
        let i = self.must_index(name).await?;
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(i).address(mac.to_vec()).build())
            .execute()
            .await
            .map_err(fail(format!("set {name} address {}", mac_str(mac))))?;
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(i).setns_by_pid(pid).build())
            .execute()
            .await
            .map_err(fail(format!("move {name} to the namespace of pid {pid}")))
    }

    /// Renames the link `from` to `to`, puts `ip/prefix` on it and sets it up.
    pub async fn rename_addr_up(
        &self,
        from: &str,
        to: &str,
        ip: Ipv4Addr,
        prefix: u8,
    ) -> Result<(), OverlayError> {
        let i = self.must_index(from).await?;
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(i).name(to).build())
            .execute()
            .await
            .map_err(fail(format!("rename {from} to {to}")))?;
        self.replace_addr(i, ip, prefix).await?;
        self.set_up(i, None).await
    }
}

/// Runs [`Netlink::rename_addr_up`] inside the network namespace of the process `pid`: on a
/// thread of its own that enters the namespace (`setns`), opens its netlink socket there
/// and ends, so no other thread ever changes namespace.
pub async fn rename_addr_up_in(
    pid: u32,
    from: String,
    to: String,
    ip: Ipv4Addr,
    prefix: u8,
) -> Result<(), OverlayError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let op = format!("enter the network namespace of pid {pid}");
    let spawned = std::thread::Builder::new()
        .name("overlay-netns".into())
        .spawn(move || {
            let run = || -> Result<(), OverlayError> {
                let ns_fail = |cause: String| OverlayError::Netlink {
                    op: format!("enter the network namespace of pid {pid}"),
                    cause,
                };
                let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))
                    .map_err(|e| ns_fail(e.to_string()))?;
                nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(|e| ns_fail(e.to_string()))?;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                    .map_err(|e| ns_fail(e.to_string()))?;
                rt.block_on(async {
                    let nl = Netlink::open()?;
                    nl.rename_addr_up(&from, &to, ip, prefix).await
                })
            };
            let _ = tx.send(run());
        });
    if let Err(e) = spawned {
        return Err(OverlayError::Netlink {
            op,
            cause: e.to_string(),
        });
    }
    rx.await.map_err(|_| OverlayError::Netlink {
        op,
        cause: "the namespace thread ended without an answer".into(),
    })?
}

fn mac_str(mac: [u8; 6]) -> String {
    mac.map(|b| format!("{b:02x}")).join(":")
}
