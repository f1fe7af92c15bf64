//! Overlay networks: what `network create` asks for ([`NetworkSpec`]), what the managers store
//! ([`Network`]), and what a task or a service is given on a network ([`Attachment`],
//! [`VirtualIp`]).
//!
//! Addresses are IPv4 (`10.0.1.5/24` strings on the wire, as Docker shows them). Every address
//! is allocated by the Raft state machine itself (see `swarm-store`'s network state), so an
//! allocation is committed with the change that needed it and survives a leader change.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::spec_error::SpecError;

/// The name of the built-in routing-mesh network.
pub const INGRESS: &str = "ingress";

/// One subnet of a network (`--subnet`, `--gateway`, `--ip-range`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IpamConfig {
    /// The subnet, `10.0.1.0/24`.
    pub subnet: String,
    /// The gateway (the node-side address of the network's bridge); default: the first
    /// address of the subnet.
    pub gateway: String,
    /// Tasks get addresses from this range only (`--ip-range`); default: the whole subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
}

/// What `network create` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// The network's name (unique).
    pub name: String,
    /// The driver: `overlay` (the only one a swarm network has).
    pub driver: String,
    /// Subnets; empty: the manager picks a free `10.0.N.0/24`.
    #[serde(default)]
    pub ipam: Vec<IpamConfig>,
    /// `--internal`: no route out of the network.
    #[serde(default)]
    pub internal: bool,
    /// `--attachable`: recorded (standalone containers are not managed here).
    #[serde(default)]
    pub attachable: bool,
    /// `--label`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `--opt` (driver options, e.g. `encrypted`).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// The built-in ingress network (`--ingress`).
    #[serde(default)]
    pub ingress: bool,
}

/// A network as the managers store it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Cluster-unique id.
    pub id: String,
    /// The spec, with the subnets filled in.
    pub spec: NetworkSpec,
    /// The VXLAN network identifier of this network.
    pub vni: u32,
    /// Creation time, Unix milliseconds.
    pub created_at_ms: u64,
    /// Per subnet (same order as `spec.ipam`), the last address handed out, so addresses
    /// are reused only after every other one was used once (a freed address is not handed out
    /// again at once).
    #[serde(default)]
    pub cursors: Vec<u32>,
}

/// One network a service's tasks join (`--network name=..,alias=..`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkAttachmentConfig {
    /// The network id (the manager resolves the name the user gave).
    pub target: String,
    /// Extra DNS names of the service on that network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The network is `--internal` (filled in by the manager, so a node knows before it
    /// creates the container).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// Whether a task on `networks` has no way out: it joins networks and all are internal (its
/// container then gets no Docker bridge at all).
pub fn isolated(networks: &[NetworkAttachmentConfig]) -> bool {
    !networks.is_empty() && networks.iter().all(|n| n.internal)
}

/// How other tasks find a service's tasks (`--endpoint-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointMode {
    /// One virtual IP per network; connections spread over the running tasks.
    #[default]
    Vip,
    /// DNS round robin: the name answers with the running tasks' addresses.
    Dnsrr,
}

impl EndpointMode {
    /// Parses `--endpoint-mode vip|dnsrr`.
    pub fn parse(value: &str) -> Result<Self, SpecError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "vip" => Ok(EndpointMode::Vip),
            "dnsrr" => Ok(EndpointMode::Dnsrr),
            _ => Err(SpecError::new(
                "--endpoint-mode",
                value,
                "unknown endpoint mode",
                "use --endpoint-mode vip or --endpoint-mode dnsrr",
            )),
        }
    }

    /// `vip` or `dnsrr`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointMode::Vip => "vip",
            EndpointMode::Dnsrr => "dnsrr",
        }
    }
}

/// A task's address on one network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// The network id.
    pub network_id: String,
    /// `10.0.1.5/24`.
    pub addr: String,
}

/// A service's virtual IP on one network.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VirtualIp {
    /// The network id.
    pub network_id: String,
    /// `10.0.1.2/24`.
    pub addr: String,
}

/// A parsed IPv4 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// The network address (host bits zero).
    pub base: u32,
    /// Prefix length.
    pub len: u8,
}

impl Prefix {
    /// Parses `10.0.1.0/24`; `field` names the flag in the error.
    pub fn parse(field: &str, value: &str) -> Result<Self, SpecError> {
        let bad = |why: &str| {
            SpecError::new(
                field,
                value,
                why,
                format!("give {field} an IPv4 prefix such as 10.0.9.0/24"),
            )
        };
        let (ip, len) = value
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("no prefix length"))?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| bad("not an IPv4 address"))?;
        let len: u8 = len.parse().map_err(|_| bad("bad prefix length"))?;
        if !(8..=30).contains(&len) {
            return Err(bad("prefix length must be between 8 and 30"));
        }
        let base = u32::from(ip);
        if base & !mask(len) != 0 {
            return Err(bad("host bits are set"));
        }
        Ok(Prefix { base, len })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: u32) -> bool {
        ip & mask(self.len) == self.base
    }

    /// Whether the two prefixes share any address.
    pub fn overlaps(&self, other: &Prefix) -> bool {
        let len = self.len.min(other.len);
        self.base & mask(len) == other.base & mask(len)
    }

    /// The last address (broadcast).
    pub fn last(&self) -> u32 {
        self.base | !mask(self.len)
    }
}

/// The netmask of a prefix length.
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

/// `10.0.1.5/24` → (address, prefix length).
pub fn split_addr(addr: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, len) = addr.split_once('/')?;
    Some((ip.parse().ok()?, len.parse().ok()?))
}

impl NetworkSpec {
    /// Whether `--opt encrypted` was given (any value but `false`).
    pub fn encrypted(&self) -> bool {
        self.options.get("encrypted").is_some_and(|v| v != "false")
    }

    /// Checks the name, driver, subnets, gateways and ranges; refuses `encrypted`, which the
    /// data plane cannot honour yet (never a silently plain network).
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            || self.name.starts_with(['-', '.'])
        {
            return Err(SpecError::new(
                "NAME",
                &self.name,
                "a network name is letters, digits, '-', '_' and '.'",
                "give a name such as backend",
            ));
        }
        if self.driver != "overlay" {
            return Err(SpecError::new(
                "--driver",
                &self.driver,
                "a swarm network uses the overlay driver",
                "use --driver overlay (the default)",
            ));
        }
        if self.encrypted() {
            return Err(SpecError::new(
                "--opt",
                "encrypted",
                "encrypted overlay networks are not supported yet: swarmd's data plane does not \
                 install IPsec ESP (XFRM states and policies) between nodes, nor generate and \
                 distribute their keys; refusing rather than creating a plain network",
                "create the network without --opt encrypted",
            ));
        }
        let mut seen: Vec<Prefix> = Vec::new();
        for c in &self.ipam {
            let p = Prefix::parse("--subnet", &c.subnet)?;
            if let Some(o) = seen.iter().find(|o| o.overlaps(&p)) {
                return Err(SpecError::new(
                    "--subnet",
                    &c.subnet,
                    format!(
                        "overlaps another subnet of this network ({}/{})",
                        Ipv4Addr::from(o.base),
                        o.len
                    ),
                    "give subnets that do not overlap",
                ));
            }
            seen.push(p);
            let gw: Ipv4Addr = c.gateway.parse().map_err(|_| {
                SpecError::new(
                    "--gateway",
                    &c.gateway,
                    "not an IPv4 address",
                    "give --gateway an address inside the subnet",
                )
            })?;
            let g = u32::from(gw);
            if !p.contains(g) || g == p.base || g == p.last() {
                return Err(SpecError::new(
                    "--gateway",
                    &c.gateway,
                    format!("not a host address of the subnet {}", c.subnet),
                    "give --gateway an address inside the subnet",
                ));
            }
            if let Some(r) = &c.ip_range {
                let rp = Prefix::parse("--ip-range", r)?;
                if !p.contains(rp.base) || !p.contains(rp.last()) {
                    return Err(SpecError::new(
                        "--ip-range",
                        r,
                        format!("not inside the subnet {}", c.subnet),
                        "give --ip-range a prefix inside --subnet",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The driver of a network that names none.
pub const DEFAULT_DRIVER: &str = "overlay";

impl IpamConfig {
    /// The subnets of `network create --subnet/--gateway/--ip-range`: gateways and ranges pair
    /// with the subnets in order, a missing gateway is the subnet's first address. Each value
    /// is checked alone here; [`NetworkSpec::validate`] checks them together.
    pub fn paired(
        subnets: &[String],
        gateways: &[String],
        ip_ranges: &[String],
    ) -> Result<Vec<IpamConfig>, SpecError> {
        if gateways.len() > subnets.len() {
            return Err(SpecError::new(
                "--gateway",
                gateways.join(","),
                "more gateways than subnets",
                "give one --subnet for every --gateway",
            ));
        }
        if ip_ranges.len() > subnets.len() {
            return Err(SpecError::new(
                "--ip-range",
                ip_ranges.join(","),
                "more ranges than subnets",
                "give one --subnet for every --ip-range",
            ));
        }
        let mut ipam = Vec::new();
        for (i, s) in subnets.iter().enumerate() {
            let p = Prefix::parse("--subnet", s)?;
            let gateway = match gateways.get(i) {
                Some(g) => g.clone(),
                None => Ipv4Addr::from(p.base + 1).to_string(),
            };
            ipam.push(IpamConfig {
                subnet: s.trim().to_string(),
                gateway,
                ip_range: ip_ranges.get(i).map(|r| r.trim().to_string()),
            });
        }
        Ok(ipam)
    }
}

/// `--opt k=v` values (`--opt encrypted`: `encrypted=true`).
pub fn driver_options(opts: &[String]) -> BTreeMap<String, String> {
    opts.iter()
        .map(|o| {
            let (k, v) = o.split_once('=').unwrap_or((o.as_str(), "true"));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

/// Parses one `--network` value: `NAME` or `name=NAME,alias=A[,alias=B]` (`target=` too).
/// The result holds the name in `target`; the manager resolves it to the id.
pub fn parse_network_flag(value: &str) -> Result<NetworkAttachmentConfig, SpecError> {
    let bad = |why: &str| {
        SpecError::new(
            "--network",
            value,
            why,
            "use --network NAME or --network name=NAME,alias=ALIAS",
        )
    };
    if !value.contains('=') {
        if value.trim().is_empty() {
            return Err(bad("empty network name"));
        }
        return Ok(NetworkAttachmentConfig {
            target: value.trim().to_string(),
            aliases: vec![],
            internal: false,
        });
    }
    let mut target = None;
    let mut aliases = Vec::new();
    for part in value.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("a field has no '='"))?;
        match k.trim() {
            "name" | "target" => target = Some(v.trim().to_string()),
            "alias" => aliases.push(v.trim().to_string()),
            "driver-opt" => {}
            other => return Err(bad(&format!("unknown field {other:?}"))),
        }
    }
    let target = target
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("no name="))?;
    Ok(NetworkAttachmentConfig {
        target,
        aliases,
        internal: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tasks_on_internal_networks_alone_are_isolated() {
        let net = |internal| NetworkAttachmentConfig {
            target: "n".into(),
            aliases: vec![],
            internal,
        };
        assert!(!isolated(&[]), "no network: Docker's bridge as before");
        assert!(isolated(&[net(true)]));
        assert!(isolated(&[net(true), net(true)]));
        assert!(!isolated(&[net(true), net(false)]));
    }

    #[test]
    fn network_flag_forms() {
        assert_eq!(parse_network_flag("backend").unwrap().target, "backend");
        let a = parse_network_flag("name=backend,alias=db,alias=mysql").unwrap();
        assert_eq!(a.target, "backend");
        assert_eq!(a.aliases, vec!["db", "mysql"]);
        assert!(parse_network_flag("alias=db").is_err());
        assert!(parse_network_flag("name=x,colour=red").is_err());
        assert_eq!(EndpointMode::parse("DNSRR").unwrap(), EndpointMode::Dnsrr);
        assert_eq!(
            EndpointMode::parse("x").unwrap_err().field,
            "--endpoint-mode"
        );
    }
}
