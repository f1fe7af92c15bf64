//! The host's network facts the address rules need: the interface list and the local address
//! of the route to a manager (I/O; the rules themselves are in [`crate::addr`]).

use std::net::{IpAddr, ToSocketAddrs, UdpSocket};

use crate::addr::IfaceAddr;

/// Every address of every interface that is up (`getifaddrs`).
pub fn interfaces() -> Vec<IfaceAddr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    list.filter(|i| i.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP))
        .filter_map(|i| {
            let a = i.address?;
            let ip = if let Some(v4) = a.as_sockaddr_in() {
                IpAddr::V4(v4.ip())
            } else {
                IpAddr::V6(a.as_sockaddr_in6()?.ip())
            };
            Some(IfaceAddr {
                name: i.interface_name,
                ip,
            })
        })
        .collect()
}

/// The local IP the kernel picks to reach `manager` (`host:port`): a UDP "connect" sends
/// nothing, it only selects the route and the source address (what moby does to find the
/// address a joining node is reached at).
pub fn route_ip(manager: &str) -> Result<IpAddr, String> {
    let target = manager
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve the manager address {manager}: {e}"))?
        .next()
        .ok_or_else(|| format!("the manager address {manager} resolves to no address"))?;
    let bind = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(bind)
        .and_then(|s| s.connect(target).map(|_| s))
        .map_err(|e| format!("no route to the manager {manager}: {e}"))?;
    sock.local_addr()
        .map(|a| a.ip())
        .map_err(|e| format!("no local address towards the manager {manager}: {e}"))
}
