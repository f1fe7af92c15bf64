//! Names and addresses of a cluster's sandbox resources, derived from the cluster name (pure).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

use super::SandboxError;

/// Most hosts one sandbox can hold (addresses .10 to .209 of its /24).
pub const MAX_HOSTS: usize = 200;

/// First octet pair of every sandbox subnet: `10.213.<k>.0/24`.
pub const SUBNET_PREFIX: [u8; 2] = [10, 213];

/// First octet pair of every sandbox registry's name: `127.213.<k>.1:5000` (see
/// [`Plan::registry_addr`]).
pub const REGISTRY_PREFIX: [u8; 2] = [127, 213];

/// The registry's port, on the gateway and on its loopback name.
pub const REGISTRY_PORT: u16 = 5000;

/// Where the hosts' engines keep their sockets, pid files and exec roots: one dir per host,
/// named after its namespace (short, as unix socket paths are limited to 108 bytes; on tmpfs).
pub const ENGINE_RUN_ROOT: &str = "/run/swarm-aws/engines";

/// Checks that a cluster name can name sandbox resources: 1-64 of `[A-Za-z0-9_-]`.
pub fn validate_cluster_name(name: &str) -> Result<(), SandboxError> {
    let bad = |reason: &str| SandboxError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() || name.len() > 64 {
        return Err(bad("must be 1 to 64 characters long"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(bad("may contain only letters, digits, '-' and '_'"));
    }
    Ok(())
}

/// A stable 8-hex-digit id for a cluster name (FNV-1a, 32 bit), used in interface names (which are
/// limited to 15 bytes) and namespace names.
pub fn cluster_id(cluster: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in cluster.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// The preferred subnet index for a cluster (1..=254); the next free one is used when it is taken.
pub fn preferred_subnet(cluster: &str) -> u8 {
    let id = u32::from_str_radix(&cluster_id(cluster), 16).unwrap_or(0);
    (id % 254) as u8 + 1
}

/// Every name and address of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The cluster's stable id.
    pub id: String,
    /// The subnet index `k` of `10.213.<k>.0/24`.
    pub subnet: u8,
}

impl Plan {
    /// The plan for `cluster` on subnet `subnet`.
    pub fn new(cluster: &str, subnet: u8) -> Self {
        Plan {
            id: cluster_id(cluster),
            subnet,
        }
    }

    /// The bridge in the root namespace.
    pub fn bridge(&self) -> String {
        format!("swb{}", self.id)
    }

    /// The bridge's address (the hosts' gateway), in the root namespace.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::new(SUBNET_PREFIX[0], SUBNET_PREFIX[1], self.subnet, 1)
    }

    /// The prefix every namespace of this sandbox starts with.
    pub fn netns_prefix(&self) -> String {
        format!("swaws-{}-", self.id)
    }

    /// The namespace of host `index` (0-based).
    pub fn netns(&self, index: usize) -> String {
        format!("{}{index}", self.netns_prefix())
    }

    /// The prefix of every root-side veth of this sandbox.
    pub fn veth_prefix(&self) -> String {
        format!("swv{}h", self.id)
    }

    /// The root-side veth of host `index` (at most 15 bytes for index < 1000).
    pub fn veth(&self, index: usize) -> String {
        format!("{}{index}", self.veth_prefix())
    }

    /// The address of host `index`.
    pub fn host_addr(&self, index: usize) -> Ipv4Addr {
        Ipv4Addr::new(
            SUBNET_PREFIX[0],
            SUBNET_PREFIX[1],
            self.subnet,
            10 + u8::try_from(index.min(MAX_HOSTS - 1)).unwrap_or(0),
        )
    }

    /// An address in the subnet that no host ever gets (for "unreachable host" drills).
    pub fn unused_addr(&self) -> Ipv4Addr {
        Ipv4Addr::new(SUBNET_PREFIX[0], SUBNET_PREFIX[1], self.subnet, 250)
    }

    /// The run dir of host `index`'s container engine (socket, pid file, exec root).
    pub fn engine_run_dir(&self, index: usize) -> PathBuf {
        Path::new(ENGINE_RUN_ROOT).join(self.netns(index))
    }

    /// The address the registry listens on: the gateway, port 5000 (plain HTTP).
    pub fn registry_listen(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.gateway(), REGISTRY_PORT)
    }

    /// The registry's name in image references, `127.213.<k>.1:5000`: a loopback address, so
    /// this machine's Docker daemon pushes to it over plain HTTP without any configuration
    /// (Docker trusts 127.0.0.0/8 as insecure by default); a DNAT rule in the root namespace and
    /// one in each host's namespace send it to [`Plan::registry_listen`].
    pub fn registry_addr(&self) -> SocketAddrV4 {
        SocketAddrV4::new(
            Ipv4Addr::new(REGISTRY_PREFIX[0], REGISTRY_PREFIX[1], self.subnet, 1),
            REGISTRY_PORT,
        )
    }

    /// Where the sandbox's load balancer (`lb/`) listens, `127.213.<k>.2`: a loopback address of
    /// its own per sandbox, so every cluster's LB serves the ELB's own listener ports and a DNS
    /// answer (the failover website's) names one cluster.
    pub fn lb_addr(&self) -> Ipv4Addr {
        Ipv4Addr::new(REGISTRY_PREFIX[0], REGISTRY_PREFIX[1], self.subnet, 2)
    }

    /// The comment on every iptables rule of this sandbox, so that teardown finds them by name.
    pub fn rule_comment(&self) -> String {
        format!("swarm-aws-sandbox-{}", self.id)
    }

    /// The host name of host `index` (what `list` shows).
    pub fn host_name(&self, index: usize) -> String {
        format!("host-{index}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_linux_limits_and_are_stable() {
        let p = Plan::new("prod-eu", 7);
        assert_eq!(p.id, cluster_id("prod-eu"));
        assert_eq!(p.id.len(), 8);
        assert!(p.bridge().len() <= 15);
        assert!(p.veth(199).len() <= 15, "{}", p.veth(199));
        assert_eq!(p.gateway(), Ipv4Addr::new(10, 213, 7, 1));
        assert_eq!(p.host_addr(0), Ipv4Addr::new(10, 213, 7, 10));
        assert_eq!(p.host_addr(199), Ipv4Addr::new(10, 213, 7, 209));
        assert!(p.unused_addr() > p.host_addr(MAX_HOSTS - 1));
        assert!(p.netns(3).starts_with(&p.netns_prefix()));
        assert_ne!(cluster_id("a"), cluster_id("b"));
        // Known FNV-1a vector.
        assert_eq!(cluster_id("a"), "e40c292c");
        assert_eq!(p.registry_addr().to_string(), "127.213.7.1:5000");
        assert_eq!(p.registry_listen().to_string(), "10.213.7.1:5000");
        assert_eq!(p.lb_addr(), Ipv4Addr::new(127, 213, 7, 2));
        let sock = p
            .engine_run_dir(199)
            .join("exec/containerd/containerd.sock");
        assert!(sock.as_os_str().len() < 100, "{}", sock.display());
        let k = preferred_subnet("anything");
        assert!((1..=254).contains(&k));
    }

    #[test]
    fn cluster_names_are_checked() {
        assert!(validate_cluster_name("prod_1-a").is_ok());
        let err = validate_cluster_name("a b").unwrap_err().to_string();
        assert!(
            err.contains("\"a b\"") && err.contains("letters, digits"),
            "{err}"
        );
        assert!(validate_cluster_name("").is_err());
        assert!(validate_cluster_name(&"x".repeat(65)).is_err());
    }
}
