//! Address management of overlay networks (pure): default subnets, VNIs and per-address
//! allocation.
//!
//! An address is never handed out while it is in use (the caller passes every address in use
//! on the network), and a released address is reused only after the rest of the pool was
//! handed out once: each subnet keeps a cursor (the last address given) and allocation
//! continues after it, wrapping around, like swarmkit's IPAM allocating serially. The
//! network address, the broadcast address and the gateway are never handed out.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::network::{IpamConfig, Network, Prefix};

/// The first VNI given to a network (Docker's overlay starts at 4096 too).
pub const FIRST_VNI: u32 = 4097;

/// Why no address could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network {network} has no free address left in {pools}; create a network with a larger --subnet")]
pub struct Exhausted {
    /// The network's name.
    pub network: String,
    /// Its pools, comma-separated.
    pub pools: String,
}

/// The smallest VNI at or above [`FIRST_VNI`] that no network in `taken` uses.
pub fn free_vni(taken: impl IntoIterator<Item = u32>) -> u32 {
    let taken: BTreeSet<u32> = taken.into_iter().collect();
    (FIRST_VNI..)
        .find(|v| !taken.contains(v))
        .unwrap_or(FIRST_VNI)
}

/// The first `10.0.N.0/24` (N from `first`) that overlaps no subnet in `taken`, with its
/// gateway `.1`; `None` when all are taken.
pub fn default_subnet<'a>(
    first: u8,
    taken: impl IntoIterator<Item = &'a IpamConfig>,
) -> Option<IpamConfig> {
    let taken: Vec<Prefix> = taken
        .into_iter()
        .filter_map(|c| Prefix::parse("subnet", &c.subnet).ok())
        .collect();
    (first..=255).find_map(|n| {
        let p = Prefix {
            base: u32::from(Ipv4Addr::new(10, 0, n, 0)),
            len: 24,
        };
        (!taken.iter().any(|t| t.overlaps(&p))).then(|| IpamConfig {
            subnet: format!("10.0.{n}.0/24"),
            gateway: format!("10.0.{n}.1"),
            ip_range: None,
        })
    })
}

/// Allocates one address on `net` not in `used` (addresses as `u32`), moving the subnet's
/// cursor. Answers `10.0.1.5/24`.
pub fn allocate(net: &mut Network, used: &BTreeSet<u32>) -> Result<String, Exhausted> {
    net.cursors.resize(net.spec.ipam.len(), 0);
    for (i, c) in net.spec.ipam.iter().enumerate() {
        let Ok(subnet) = Prefix::parse("--subnet", &c.subnet) else {
            continue;
        };
        let range = c
            .ip_range
            .as_deref()
            .and_then(|r| Prefix::parse("--ip-range", r).ok())
            .unwrap_or(subnet);
        let gateway = c.gateway.parse::<Ipv4Addr>().map(u32::from).ok();
        let (lo, hi) = (range.base, range.last());
        let size = u64::from(hi - lo) + 1;
        let start = net.cursors[i].clamp(lo, hi);
        for step in 1..=size {
            let cand = lo + ((u64::from(start - lo) + step) % size) as u32;
            if cand == subnet.base
                || cand == subnet.last()
                || Some(cand) == gateway
                || used.contains(&cand)
            {
                continue;
            }
            net.cursors[i] = cand;
            return Ok(format!("{}/{}", Ipv4Addr::from(cand), subnet.len));
        }
    }
    Err(Exhausted {
        network: net.spec.name.clone(),
        pools: net
            .spec
            .ipam
            .iter()
            .map(|c| c.ip_range.clone().unwrap_or_else(|| c.subnet.clone()))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The `u32` of an address string `10.0.1.5/24` (or `10.0.1.5`).
pub fn addr_u32(addr: &str) -> Option<u32> {
    let ip = addr.split('/').next()?;
    ip.parse::<Ipv4Addr>().ok().map(u32::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkSpec;

    fn net(subnet: &str, range: Option<&str>) -> Network {
        let p = Prefix::parse("s", subnet).unwrap();
        Network {
            id: "n1".into(),
            spec: NetworkSpec {
                name: "backend".into(),
                driver: "overlay".into(),
                ipam: vec![IpamConfig {
                    subnet: subnet.into(),
                    gateway: Ipv4Addr::from(p.base + 1).to_string(),
                    ip_range: range.map(str::to_string),
                }],
                ..Default::default()
            },
            vni: FIRST_VNI,
            created_at_ms: 0,
            cursors: vec![],
        }
    }

    #[test]
    fn never_twice_skips_gateway_and_exhausts() {
        let mut n = net("10.0.9.0/29", None);
        let mut used = BTreeSet::new();
        let mut got = Vec::new();
        // /29: .0 network, .1 gateway, .7 broadcast: .2 to .6 are the five host addresses.
        for _ in 0..5 {
            let a = allocate(&mut n, &used).unwrap();
            assert!(used.insert(addr_u32(&a).unwrap()), "{a} handed out twice");
            got.push(a);
        }
        assert_eq!(
            got,
            [
                "10.0.9.2/29",
                "10.0.9.3/29",
                "10.0.9.4/29",
                "10.0.9.5/29",
                "10.0.9.6/29"
            ]
        );
        let e = allocate(&mut n, &used).unwrap_err();
        assert_eq!(e.network, "backend");
        assert!(e.to_string().contains("10.0.9.0/29"), "{e}");
    }

    #[test]
    fn released_address_comes_back_only_after_the_others() {
        let mut n = net("10.0.9.0/24", None);
        let mut used = BTreeSet::new();
        let a = allocate(&mut n, &used).unwrap();
        let b = allocate(&mut n, &used).unwrap();
        used.insert(addr_u32(&b).unwrap());
        // a was released (never added to used): the next address is a new one.
        let c = allocate(&mut n, &used).unwrap();
        assert_ne!(c, a);
        assert_eq!(c, "10.0.9.4/24");
        // Walk the whole pool: a comes back only after every other free address was given.
        used.insert(addr_u32(&c).unwrap());
        let mut seen = Vec::new();
        loop {
            let x = allocate(&mut n, &used).unwrap();
            if x == a {
                break;
            }
            used.insert(addr_u32(&x).unwrap());
            seen.push(x);
        }
        // 253 host addresses (.2 to .254), less a, b and c.
        assert_eq!(seen.len(), 253 - 3, "every other address first");
    }

    #[test]
    fn ip_range_bounds_the_pool_and_subnets_chain() {
        let mut n = net("10.0.9.0/24", Some("10.0.9.128/30"));
        let used = BTreeSet::new();
        let a = allocate(&mut n, &used).unwrap();
        assert_eq!(a, "10.0.9.129/24");
        let mut used = BTreeSet::from([addr_u32(&a).unwrap()]);
        for _ in 0..3 {
            let x = addr_u32(&allocate(&mut n, &used).unwrap()).unwrap();
            assert!((u32::from(Ipv4Addr::new(10, 0, 9, 128))
                ..=u32::from(Ipv4Addr::new(10, 0, 9, 131)))
                .contains(&x));
            used.insert(x);
        }
        assert!(allocate(&mut n, &used).is_err());
        // A second subnet takes over when the first is full.
        n.spec.ipam.push(IpamConfig {
            subnet: "10.0.10.0/24".into(),
            gateway: "10.0.10.1".into(),
            ip_range: None,
        });
        assert_eq!(allocate(&mut n, &used).unwrap(), "10.0.10.2/24");
    }

    #[test]
    fn default_subnets_and_vnis_skip_taken_ones() {
        let taken = [
            IpamConfig {
                subnet: "10.0.1.0/24".into(),
                gateway: "10.0.1.1".into(),
                ip_range: None,
            },
            IpamConfig {
                subnet: "10.0.2.0/23".into(),
                gateway: "10.0.2.1".into(),
                ip_range: None,
            },
        ];
        assert_eq!(default_subnet(1, &taken).unwrap().subnet, "10.0.4.0/24");
        assert_eq!(free_vni([4097, 4098, 4100]), 4099);
        assert_eq!(free_vni([]), FIRST_VNI);
    }
}
