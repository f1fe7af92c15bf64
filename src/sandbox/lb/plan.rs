//! The sandbox load balancer's decisions, apart from any socket (pure): which listeners to open
//! and close when the ELB's change, what its health check target means, which targets are in
//! service, and which one takes the next connection.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::Serialize;

/// One ELB listener: the load balancer's port and the instances' port (TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Listener {
    /// `LoadBalancerPort`: where the LB listens.
    pub port: u16,
    /// `InstancePort`: where it connects on a target.
    pub instance_port: u16,
}

/// What to change to go from the open listeners to the ELB's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListenerDiff {
    /// Ports to open, with their instance port.
    pub open: Vec<Listener>,
    /// Ports to close.
    pub close: Vec<u16>,
    /// Open ports whose instance port changed (the listener keeps its socket).
    pub retarget: Vec<Listener>,
}

impl ListenerDiff {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.close.is_empty() && self.retarget.is_empty()
    }
}

/// The diff from `open` (listening now) to `wanted` (the ELB's listeners). A port listed twice
/// in `wanted` keeps its first instance port (the ELB refuses duplicates anyway).
pub fn diff(open: &[Listener], wanted: &[Listener]) -> ListenerDiff {
    let now: BTreeMap<u16, u16> = open.iter().map(|l| (l.port, l.instance_port)).collect();
    let mut want: BTreeMap<u16, u16> = BTreeMap::new();
    for l in wanted {
        want.entry(l.port).or_insert(l.instance_port);
    }
    let mut d = ListenerDiff::default();
    for (&port, &instance_port) in &want {
        let l = Listener {
            port,
            instance_port,
        };
        match now.get(&port) {
            None => d.open.push(l),
            Some(&p) if p != instance_port => d.retarget.push(l),
            Some(_) => {}
        }
    }
    d.close = now
        .keys()
        .filter(|p| !want.contains_key(p))
        .copied()
        .collect();
    d
}

/// The ELB's health check target (`HTTP:44554/`, `TCP:44554`, ...), as a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum Probe {
    /// `GET path` answering 200.
    Http {
        /// Port on the target.
        port: u16,
        /// Path (`/`).
        path: String,
    },
    /// A TCP connection that opens.
    Tcp {
        /// Port on the target.
        port: u16,
    },
}

impl Probe {
    /// Parses an ELB health check target: `PROTOCOL:PORT[/PATH]` (HTTP, HTTPS, TCP, SSL;
    /// HTTPS and SSL are probed as HTTP and TCP: the sandbox's nodes serve no certificate there).
    pub fn parse(target: &str) -> Result<Probe, String> {
        let bad = || {
            format!(
                "health check target {target:?}: expected PROTOCOL:PORT[/PATH], e.g. HTTP:44554/"
            )
        };
        let (proto, rest) = target.split_once(':').ok_or_else(bad)?;
        let (port, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(bad)?;
        match proto.to_ascii_uppercase().as_str() {
            "HTTP" | "HTTPS" => Ok(Probe::Http {
                port,
                path: if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                },
            }),
            "TCP" | "SSL" => Ok(Probe::Tcp { port }),
            _ => Err(bad()),
        }
    }
}

/// A target's health as the LB sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Health {
    /// In service: gets connections.
    pub in_service: bool,
    /// Consecutive passed checks (reset by a failure).
    pub passes: u32,
}

/// The targets' health, by address: a target enters service after `healthy_threshold`
/// consecutive passed checks (the ELB's `HealthyThreshold`) and leaves it at its first failed
/// one (at once, so no connection goes to a node that stopped answering).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool {
    targets: BTreeMap<Ipv4Addr, Health>,
    next: usize,
}

impl Pool {
    /// Records one round of checks: `results` is every current target with whether its check
    /// passed; targets not listed are gone (their host went).
    pub fn record(&mut self, results: &[(Ipv4Addr, bool)], healthy_threshold: u32) {
        let mut next = BTreeMap::new();
        for &(addr, passed) in results {
            let old = self.targets.get(&addr).copied().unwrap_or(Health {
                in_service: false,
                passes: 0,
            });
            let h = if passed {
                let passes = old.passes.saturating_add(1);
                Health {
                    in_service: old.in_service || passes >= healthy_threshold.max(1),
                    passes,
                }
            } else {
                Health {
                    in_service: false,
                    passes: 0,
                }
            };
            next.insert(addr, h);
        }
        self.targets = next;
    }

    /// The targets in service, in address order.
    pub fn in_service(&self) -> Vec<Ipv4Addr> {
        self.targets
            .iter()
            .filter(|(_, h)| h.in_service)
            .map(|(a, _)| *a)
            .collect()
    }

    /// Every target with its health.
    pub fn targets(&self) -> impl Iterator<Item = (Ipv4Addr, Health)> + '_ {
        self.targets.iter().map(|(a, h)| (*a, *h))
    }

    /// The next target, round robin over those in service; `None` when none is.
    pub fn pick(&mut self) -> Option<Ipv4Addr> {
        let up = self.in_service();
        if up.is_empty() {
            return None;
        }
        let t = up[self.next % up.len()];
        self.next = self.next.wrapping_add(1);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(port: u16, instance_port: u16) -> Listener {
        Listener {
            port,
            instance_port,
        }
    }

    #[test]
    fn diff_opens_new_ports_closes_gone_ones_and_retargets_changed_ones() {
        let d = diff(
            &[l(80, 80), l(443, 443), l(8080, 80)],
            &[l(80, 80), l(8080, 8081), l(9000, 9000)],
        );
        assert_eq!(d.open, vec![l(9000, 9000)]);
        assert_eq!(d.close, vec![443]);
        assert_eq!(d.retarget, vec![l(8080, 8081)]);
        assert!(diff(&[l(80, 80)], &[l(80, 80)]).is_empty());
        // Everything goes when the ELB has no listener left.
        assert_eq!(diff(&[l(80, 80)], &[]).close, vec![80]);
        // A duplicate keeps the first.
        assert_eq!(diff(&[], &[l(80, 80), l(80, 81)]).open, vec![l(80, 80)]);
    }

    #[test]
    fn health_check_targets_parse_as_the_elb_writes_them() {
        assert_eq!(
            Probe::parse("HTTP:44554/").unwrap(),
            Probe::Http {
                port: 44554,
                path: "/".into()
            }
        );
        assert_eq!(
            Probe::parse("http:8080/health/x").unwrap(),
            Probe::Http {
                port: 8080,
                path: "/health/x".into()
            }
        );
        assert_eq!(Probe::parse("TCP:22").unwrap(), Probe::Tcp { port: 22 });
        for bad in ["HTTP", "HTTP:/", "UDP:53", "HTTP:0/", "TCP:70000"] {
            let e = Probe::parse(bad).unwrap_err();
            assert!(e.contains(bad) && e.contains("HTTP:44554/"), "{e}");
        }
    }

    #[test]
    fn targets_enter_after_the_threshold_and_leave_at_the_first_failure() {
        let (a, b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let mut p = Pool::default();
        p.record(&[(a, true), (b, true)], 2);
        assert!(p.in_service().is_empty(), "one pass is not enough");
        assert_eq!(p.pick(), None);
        p.record(&[(a, true), (b, true)], 2);
        assert_eq!(p.in_service(), vec![a, b]);
        // Round robin.
        let picks: Vec<_> = (0..4).map(|_| p.pick().unwrap()).collect();
        assert_eq!(picks, vec![a, b, a, b]);
        // One failure: out at once; everything goes to the other.
        p.record(&[(a, false), (b, true)], 2);
        assert_eq!(p.in_service(), vec![b]);
        assert_eq!((p.pick(), p.pick()), (Some(b), Some(b)));
        // Back after the threshold again.
        p.record(&[(a, true), (b, true)], 2);
        assert_eq!(p.in_service(), vec![b]);
        p.record(&[(a, true), (b, true)], 2);
        assert_eq!(p.in_service(), vec![a, b]);
        // A host that went leaves.
        p.record(&[(a, true)], 2);
        assert_eq!(p.targets().count(), 1);
    }
}
