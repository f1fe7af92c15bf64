//! Which hosts to try as managers, from a sandbox or from an AWS inventory (pure).

use crate::bootstrap::roster::Roster;
use crate::bootstrap::{aws_host, BootstrapHost, NodeRole};
use crate::inventory::{Inventory, Role};
use crate::sandbox::SandboxHost;

/// The sandbox hosts the roster gives the manager role, oldest first.
pub fn sandbox_candidates(roster: &Roster, hosts: &[SandboxHost]) -> Vec<BootstrapHost> {
    roster
        .inventory(hosts)
        .into_iter()
        .filter(|h| h.role == NodeRole::Manager)
        .collect()
}

/// The manager instances of an AWS inventory: SSH to the public IP when there is one (else the
/// private one), the API at the private IP, swarmd in the system layout. Instances without a
/// private IP (not running) are left out.
pub fn aws_candidates(inv: &Inventory) -> Vec<BootstrapHost> {
    inv.with_role(Role::Manager)
        .filter_map(|i| aws_host(i).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Instance;

    fn instance(id: &str, role: Role, private: Option<&str>, public: Option<&str>) -> Instance {
        Instance {
            id: id.into(),
            role,
            group: "g".into(),
            az: "us-east-1a".into(),
            lifecycle: "InService".into(),
            private_ip: private.map(str::to_string),
            public_ip: public.map(str::to_string),
        }
    }

    #[test]
    fn sandbox_workers_are_not_manager_candidates() {
        // A sandbox of 1 manager and 2 workers (host-0 is the manager).
        let hosts: Vec<SandboxHost> = (0..3)
            .map(|i| SandboxHost {
                name: format!("host-{i}"),
                index: i,
                addr: std::net::Ipv4Addr::new(10, 213, 1, 10 + i as u8),
                netns: format!("ns{i}"),
                dir: format!("/sb/host-{i}").into(),
            })
            .collect();
        let mut roster = Roster::default();
        roster.assign("i-0", "host-0", NodeRole::Manager);
        roster.assign("i-1", "host-1", NodeRole::Worker);
        roster.assign("i-2", "host-2", NodeRole::Worker);
        let c = sandbox_candidates(&roster, &hosts);
        let ids: Vec<&str> = c.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["host-0"], "only the manager is a candidate");
    }

    #[test]
    fn aws_managers_ssh_to_public_and_api_on_private() {
        let inv = Inventory {
            groups: Vec::new(),
            instances: vec![
                instance("i-1", Role::Manager, Some("10.0.1.5"), Some("203.0.113.7")),
                instance("i-2", Role::Manager, Some("10.0.2.5"), None),
                instance("i-3", Role::Manager, None, None),
                instance("i-4", Role::Worker, Some("10.0.3.5"), Some("203.0.113.9")),
            ],
        };
        let c = aws_candidates(&inv);
        let ids: Vec<&str> = c.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["i-1", "i-2"]);
        assert_eq!(c[0].ssh_addr.to_string(), "203.0.113.7:22");
        assert_eq!(c[0].advertise_ip.to_string(), "10.0.1.5");
        assert_eq!(c[1].ssh_addr.to_string(), "10.0.2.5:22");
        assert_eq!(c[1].layout.state_dir(), "/var/lib/swarmd");
    }
}
