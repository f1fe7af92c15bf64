//! Node addresses as `docker swarm init|join` takes them (pure; the interface list is passed in).
//!
//! `--listen-addr` and `--advertise-addr` take an IP, `IP:PORT`, an interface name or
//! `INTERFACE:PORT` (`--listen-addr` also `:PORT`); the listen port defaults to 2377 and the
//! advertise port to the listen port. An interface name stands for its one IPv4 address (else
//! its one global IPv6 address), and is refused when it has several, as moby's
//! `resolveInterfaceAddr` does. Without `--advertise-addr` and with a wildcard listen address,
//! `init` takes the system's only non-loopback address (refused when there are several, with
//! Docker's message) and `join` the local address of the route to the manager. The manager
//! address of `join` is `HOST` or `HOST:PORT` (port 2377).

use std::net::{IpAddr, SocketAddr};

/// A flag value was refused (exit status 2, like a usage error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// The swarm port when none is given.
pub const DEFAULT_PORT: u16 = 2377;

/// One address of a network interface, as `getifaddrs` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceAddr {
    /// Interface name (`eth0`).
    pub name: String,
    /// One of its addresses.
    pub ip: IpAddr,
}

/// The host part of an address as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// An IP address.
    Ip(IpAddr),
    /// An interface name (resolved against the interface list).
    Interface(String),
}

/// An address as typed: a host (absent for `:PORT`) and an optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrArg {
    /// IP or interface; `None` for `:PORT`.
    pub host: Option<Host>,
    /// The port, when given.
    pub port: Option<u16>,
}

fn bad(flag: &str, value: &str, why: &str) -> String {
    format!(
        "invalid {flag} {value:?}: {why}; give an IP, IP:PORT, an interface name or \
         INTERFACE:PORT (e.g. 10.0.0.5, 10.0.0.5:2377 or eth0)"
    )
}

fn parse_port(flag: &str, value: &str, p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(bad(
            flag,
            value,
            &format!("port {p:?} is not a number from 1 to 65535"),
        )),
    }
}

/// An interface name as Linux allows it: 1 to 15 characters, no `/`, `:` or whitespace.
fn is_interface_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
}

/// Parses `IP`, `IP:PORT`, `[IPv6]:PORT`, `IPv6`, `NAME`, `NAME:PORT`, or (if `allow_port_only`)
/// `:PORT`. `flag` names the option in errors.
pub fn parse_addr(flag: &str, value: &str, allow_port_only: bool) -> Result<AddrArg, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(bad(flag, value, "it is empty"));
    }
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(AddrArg {
            host: Some(Host::Ip(ip)),
            port: None,
        });
    }
    if let Ok(sa) = v.parse::<SocketAddr>() {
        if sa.port() == 0 {
            return Err(bad(flag, value, "port 0 is not a port others can reach"));
        }
        return Ok(AddrArg {
            host: Some(Host::Ip(sa.ip())),
            port: Some(sa.port()),
        });
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(ip) => Ok(AddrArg {
                host: Some(Host::Ip(IpAddr::V6(ip))),
                port: None,
            }),
            Err(_) => Err(bad(flag, value, "not an IPv6 address in brackets")),
        };
    }
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => (h, Some(parse_port(flag, value, p)?)),
        None => (v, None),
    };
    if host.is_empty() {
        if allow_port_only {
            return Ok(AddrArg { host: None, port });
        }
        return Err(bad(flag, value, "it has a port but no host"));
    }
    if host.parse::<IpAddr>().is_ok() || host.starts_with('[') {
        return Err(bad(
            flag,
            value,
            "an IPv6 address with a port needs brackets",
        ));
    }
    if !is_interface_name(host) || host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad(
            flag,
            value,
            &format!("{host:?} is neither an IP address nor an interface name"),
        ));
    }
    Ok(AddrArg {
        host: Some(Host::Interface(host.to_string())),
        port,
    })
}

fn is_usable_v6(ip: &std::net::Ipv6Addr) -> bool {
    // Link-local unicast (fe80::/10) is not reachable from other hosts without a zone.
    !ip.is_loopback() && (ip.segments()[0] & 0xffc0) != 0xfe80
}

/// The address of interface `name` (moby's `resolveInterfaceAddr`): its one IPv4 address, else
/// its one usable IPv6 address. `Ok(None)`: no interface of that name.
pub fn interface_ip(name: &str, ifaces: &[IfaceAddr]) -> Result<Option<IpAddr>, String> {
    let mine: Vec<IpAddr> = ifaces
        .iter()
        .filter(|i| i.name == name)
        .map(|i| i.ip)
        .collect();
    if mine.is_empty() {
        return Ok(None);
    }
    let v4: Vec<IpAddr> = mine.iter().copied().filter(IpAddr::is_ipv4).collect();
    match v4.as_slice() {
        [one] => return Ok(Some(*one)),
        [a, b, ..] => {
            return Err(format!(
                "interface {name} has more than one IPv4 address ({a} and {b}); give the IP \
                 to use instead of the interface name"
            ))
        }
        [] => {}
    }
    let v6: Vec<IpAddr> = mine
        .iter()
        .copied()
        .filter(|ip| matches!(ip, IpAddr::V6(v6) if is_usable_v6(v6)))
        .collect();
    match v6.as_slice() {
        [one] => Ok(Some(*one)),
        [a, b, ..] => Err(format!(
            "interface {name} has more than one IPv6 address ({a} and {b}); give the IP to \
             use instead of the interface name"
        )),
        [] => Err(format!(
            "interface {name} has no usable IPv4 or IPv6 address"
        )),
    }
}

fn resolve_host(flag: &str, host: &Host, ifaces: &[IfaceAddr]) -> Result<IpAddr, String> {
    match host {
        Host::Ip(ip) => Ok(*ip),
        Host::Interface(name) => interface_ip(name, ifaces)
            .map_err(|e| format!("{flag}: {e}"))?
            .ok_or_else(|| {
                format!(
                    "invalid {flag} {name:?}: no IP address parses from it and this system has \
                     no interface of that name; give an IP, IP:PORT or an existing interface"
                )
            }),
    }
}

/// `--listen-addr` resolved: `:PORT` listens on every address, the port defaults to 2377.
pub fn resolve_listen(value: &str, ifaces: &[IfaceAddr]) -> Result<SocketAddr, String> {
    let a = parse_addr("--listen-addr", value, true)?;
    let ip = match &a.host {
        None => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        Some(h) => resolve_host("--listen-addr", h, ifaces)?,
    };
    Ok(SocketAddr::new(ip, a.port.unwrap_or(DEFAULT_PORT)))
}

/// `--advertise-addr` resolved; the port defaults to the listen port. A wildcard is refused.
pub fn resolve_advertise(
    value: &str,
    listen_port: u16,
    ifaces: &[IfaceAddr],
) -> Result<SocketAddr, String> {
    let a = parse_addr("--advertise-addr", value, false)?;
    let host = a
        .host
        .as_ref()
        .ok_or_else(|| bad("--advertise-addr", value, "it has a port but no host"))?;
    let ip = resolve_host("--advertise-addr", host, ifaces)?;
    if ip.is_unspecified() {
        return Err(format!(
            "invalid --advertise-addr {value:?}: advertise address must be a non-zero IP \
             address or network interface (with optional port number)"
        ));
    }
    Ok(SocketAddr::new(ip, a.port.unwrap_or(listen_port)))
}

/// The system's address to advertise when none is given (`init` on a wildcard listen address,
/// moby's `resolveSystemAddr`): the only non-loopback, non-link-local address; several are
/// ambiguous and refused with Docker's message.
pub fn system_ip(ifaces: &[IfaceAddr]) -> Result<IpAddr, String> {
    let usable: Vec<&IfaceAddr> = ifaces
        .iter()
        .filter(|i| match i.ip {
            IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
            IpAddr::V6(_) => false,
        })
        .collect();
    let fix = "specify one with --advertise-addr";
    match usable.as_slice() {
        [] => Err(format!("could not find the system's IP address - {fix}")),
        [one] => Ok(one.ip),
        [a, b, ..] if a.name == b.name => Err(format!(
            "could not choose an IP address to advertise since this system has multiple \
             addresses on interface {} ({} and {}) - {fix}",
            a.name, a.ip, b.ip
        )),
        [a, b, ..] => Err(format!(
            "could not choose an IP address to advertise since this system has multiple \
             addresses on different interfaces ({} on {} and {} on {}) - {fix}",
            a.ip, a.name, b.ip, b.name
        )),
    }
}

/// `join`'s manager address: `HOST` or `HOST:PORT` (`[IPv6]:PORT`), port 2377 by default.
/// Returns `host:port` as the client dials it.
pub fn manager_addr(value: &str) -> Result<String, String> {
    let v = value.trim();
    let fail = |why: &str| {
        format!(
            "invalid manager address {value:?}: {why}; give HOST or HOST:PORT (e.g. \
             172.30.5.70 or 172.30.5.70:2377)"
        )
    };
    if v.is_empty() {
        return Err(fail("it is empty"));
    }
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT).to_string());
    }
    if let Ok(sa) = v.parse::<SocketAddr>() {
        return Ok(sa.to_string());
    }
    let (host, port) = match v.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) if p != 0 => (h, p),
            _ => return Err(fail(&format!("port {p:?} is not a number from 1 to 65535"))),
        },
        None => (v, DEFAULT_PORT),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !host_ok {
        return Err(fail(&format!("{host:?} is not a host name or IP address")));
    }
    Ok(format!("{host}:{port}"))
}

/// The address to advertise when `--advertise-addr` is not given: the listen address if it is
/// not a wildcard, else (`join`) `route_ip`, the local address of the route to the manager, or
/// (`init`) the system's only address.
pub fn default_advertise(
    listen: SocketAddr,
    route_ip: Option<IpAddr>,
    ifaces: &[IfaceAddr],
) -> Result<SocketAddr, String> {
    if !listen.ip().is_unspecified() {
        return Ok(listen);
    }
    let ip = match route_ip {
        Some(ip) => ip,
        None => system_ip(ifaces)?,
    };
    Ok(SocketAddr::new(ip, listen.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifs() -> Vec<IfaceAddr> {
        let a = |n: &str, ip: &str| IfaceAddr {
            name: n.into(),
            ip: ip.parse().unwrap(),
        };
        vec![
            a("lo", "127.0.0.1"),
            a("lo", "::1"),
            a("eth0", "172.30.5.70"),
            a("eth0", "fe80::1"),
            a("eth1", "10.0.0.1"),
            a("eth1", "10.0.0.2"),
            a("v6only", "fe80::2"),
            a("v6only", "2001:db8::7"),
            a("ll", "fe80::3"),
        ]
    }

    #[test]
    fn book_first_command_ip_without_port() {
        let listen = resolve_listen("0.0.0.0:2377", &ifs()).unwrap();
        let adv = resolve_advertise("172.30.5.70", listen.port(), &ifs()).unwrap();
        assert_eq!(adv.to_string(), "172.30.5.70:2377");
    }

    #[test]
    fn advertise_forms() {
        let i = ifs();
        // The port follows the listen port when not given.
        for (given, listen, want) in [
            ("172.30.5.70:4000", 2377, "172.30.5.70:4000"),
            ("eth0", 4500, "172.30.5.70:4500"),
            ("eth0:2400", 2377, "172.30.5.70:2400"),
            ("v6only", 2377, "[2001:db8::7]:2377"),
            ("[2001:db8::9]:2377", 1, "[2001:db8::9]:2377"),
            ("2001:db8::9", 2377, "[2001:db8::9]:2377"),
        ] {
            let got = resolve_advertise(given, listen, &i).unwrap().to_string();
            assert_eq!(got, want, "{given} (listening on {listen})");
        }
    }

    #[test]
    fn advertise_errors_name_the_flag_and_value() {
        let i = ifs();
        let e = resolve_advertise("eth1", 2377, &i).unwrap_err();
        assert!(
            e.contains("more than one IPv4 address (10.0.0.1 and 10.0.0.2)"),
            "{e}"
        );
        let e = resolve_advertise("ll", 2377, &i).unwrap_err();
        assert!(e.contains("no usable IPv4 or IPv6 address"), "{e}");
        let e = resolve_advertise("wlan9", 2377, &i).unwrap_err();
        assert!(
            e.contains("--advertise-addr \"wlan9\"") && e.contains("no interface"),
            "{e}"
        );
        let e = resolve_advertise("0.0.0.0", 2377, &i).unwrap_err();
        assert!(e.contains("non-zero IP"), "{e}");
        let e = resolve_advertise("172.30.5.70:0", 2377, &i).unwrap_err();
        assert!(e.contains("port 0"), "{e}");
        let e = resolve_advertise("172.30.5.70:99999", 2377, &i).unwrap_err();
        assert!(e.contains("--advertise-addr") && e.contains("99999"), "{e}");
        let e = resolve_advertise(":2377", 2377, &i).unwrap_err();
        assert!(e.contains("no host"), "{e}");
        let e = resolve_advertise("300.1.2.3", 2377, &i).unwrap_err();
        assert!(e.contains("neither an IP address nor an interface"), "{e}");
        let e = resolve_advertise("2001:db8::1:2377x", 2377, &i).unwrap_err();
        assert!(e.contains("--advertise-addr"), "{e}");
    }

    #[test]
    fn listen_forms() {
        let i = ifs();
        assert_eq!(
            resolve_listen("0.0.0.0:2377", &i).unwrap().to_string(),
            "0.0.0.0:2377"
        );
        assert_eq!(
            resolve_listen(":4000", &i).unwrap().to_string(),
            "0.0.0.0:4000"
        );
        assert_eq!(
            resolve_listen("10.9.8.7", &i).unwrap().to_string(),
            "10.9.8.7:2377"
        );
        assert_eq!(
            resolve_listen("eth0", &i).unwrap().to_string(),
            "172.30.5.70:2377"
        );
        assert_eq!(
            resolve_listen("eth0:7", &i).unwrap().to_string(),
            "172.30.5.70:7"
        );
        let e = resolve_listen("nope0", &i).unwrap_err();
        assert!(e.contains("--listen-addr"), "{e}");
    }

    #[test]
    fn system_ip_is_the_only_one_or_ambiguous() {
        let one = vec![
            IfaceAddr {
                name: "lo".into(),
                ip: "127.0.0.1".parse().unwrap(),
            },
            IfaceAddr {
                name: "eth0".into(),
                ip: "172.30.5.70".parse().unwrap(),
            },
            IfaceAddr {
                name: "eth0".into(),
                ip: "169.254.0.9".parse().unwrap(),
            },
        ];
        assert_eq!(system_ip(&one).unwrap().to_string(), "172.30.5.70");
        let e = system_ip(&ifs()).unwrap_err();
        assert!(
            e.contains("multiple addresses on different interfaces (172.30.5.70 on eth0 and 10.0.0.1 on eth1)"),
            "{e}"
        );
        assert!(e.contains("--advertise-addr"), "{e}");
        let e = system_ip(&one[..1]).unwrap_err();
        assert!(e.contains("could not find the system's IP address"), "{e}");
    }

    #[test]
    fn default_advertise_prefers_listen_then_route_then_system() {
        let i = ifs();
        let l: SocketAddr = "10.1.1.1:2377".parse().unwrap();
        assert_eq!(default_advertise(l, None, &i).unwrap(), l);
        let w: SocketAddr = "0.0.0.0:2377".parse().unwrap();
        let r = default_advertise(w, Some("172.30.5.71".parse().unwrap()), &i).unwrap();
        assert_eq!(r.to_string(), "172.30.5.71:2377");
        assert!(default_advertise(w, None, &i).is_err());
    }

    #[test]
    fn manager_addresses() {
        assert_eq!(manager_addr("172.30.5.70").unwrap(), "172.30.5.70:2377");
        assert_eq!(
            manager_addr("172.30.5.70:2377").unwrap(),
            "172.30.5.70:2377"
        );
        assert_eq!(manager_addr("mgr-1.example").unwrap(), "mgr-1.example:2377");
        assert_eq!(manager_addr("mgr1:4000").unwrap(), "mgr1:4000");
        assert_eq!(manager_addr("2001:db8::1").unwrap(), "[2001:db8::1]:2377");
        assert_eq!(manager_addr("[2001:db8::1]:9").unwrap(), "[2001:db8::1]:9");
        for bad in ["", "mgr:0", "mgr:x", "a b", ":2377"] {
            let e = manager_addr(bad).unwrap_err();
            assert!(e.contains("HOST or HOST:PORT"), "{bad}: {e}");
        }
    }
}
