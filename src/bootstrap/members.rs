//! A cluster's membership against its hosts, for `scale`: the node table (read through the
//! cluster's API), each host matched to its node by advertised address, and the managers that
//! stay (the verbs of a shrink run on them, leader first).

use std::net::SocketAddr;

use super::nodes::{ManagerStatus, NodeRole, NodeTable};
use super::run::{BootstrapHost, BootstrapOptions, SWARMD_PORT};
use super::scale_plan::{Member, ScalePlan};
use super::shrink::{remove_nodes, LeaveReport};
use super::BootstrapError;

/// Every host with its node row, if it is in the cluster (pure). `index` gives a host's age
/// rank (higher: newer), which [`super::scale_plan()`] uses to pick who leaves.
pub fn members_of(
    hosts: &[BootstrapHost],
    table: &NodeTable,
    index: impl Fn(&str) -> usize,
) -> Vec<Member> {
    hosts
        .iter()
        .map(|h| {
            let addr = SocketAddr::new(h.advertise_ip, SWARMD_PORT).to_string();
            Member {
                index: index(&h.id),
                node: table.by_addr(&addr).cloned(),
                host: h.id.clone(),
                role: h.role,
                addr,
            }
        })
        .collect()
}

/// The managers that stay after `plan`, the Raft leader first (pure).
pub fn staying_managers<'a>(
    hosts: &'a [BootstrapHost],
    plan: &ScalePlan,
    members: &[Member],
) -> Vec<&'a BootstrapHost> {
    let leaving = |id: &str| plan.leave.iter().any(|d| d.host == id);
    let is_leader = |id: &str| {
        members
            .iter()
            .find(|m| m.host == id)
            .and_then(|m| m.node.as_ref())
            .is_some_and(|n| n.manager_status == Some(ManagerStatus::Leader))
    };
    let mut staying: Vec<&BootstrapHost> = hosts
        .iter()
        .filter(|h| h.role == NodeRole::Manager && !leaving(&h.id))
        .collect();
    staying.sort_by_key(|h| !is_leader(&h.id));
    staying
}

/// Drains, demotes and removes the nodes `plan` lets go, before their instances or hosts go.
pub async fn take_out(
    hosts: &[BootstrapHost],
    plan: &ScalePlan,
    members: &[Member],
    opts: &BootstrapOptions,
) -> Result<Vec<LeaveReport>, BootstrapError> {
    let staying = staying_managers(hosts, plan, members);
    remove_nodes(hosts, &staying, &plan.leave, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::nodes::{NodeRow, NodeStatus};
    use crate::bootstrap::{Departure, RemoteLayout};

    fn host(id: &str, role: NodeRole, ip: &str) -> BootstrapHost {
        BootstrapHost {
            id: id.into(),
            instance: id.into(),
            role,
            ssh_addr: format!("{ip}:22").parse().unwrap(),
            advertise_ip: ip.parse().unwrap(),
            hostname: None,
            publish_ip: None,
            layout: RemoteLayout::system(),
        }
    }

    fn row(id: &str, addr: &str, role: NodeRole, status: Option<ManagerStatus>) -> NodeRow {
        NodeRow {
            id: id.into(),
            hostname: id.into(),
            addr: addr.into(),
            role,
            availability: "active".into(),
            status: NodeStatus::Ready,
            manager_status: status,
        }
    }

    #[test]
    fn hosts_match_nodes_by_address_and_the_leader_stays_first() {
        let hosts = vec![
            host("i-1", NodeRole::Manager, "10.0.0.1"),
            host("i-2", NodeRole::Manager, "10.0.0.2"),
            host("i-3", NodeRole::Manager, "10.0.0.3"),
            host("i-4", NodeRole::Worker, "10.0.0.4"),
        ];
        let table = NodeTable {
            nodes: vec![
                row(
                    "a1",
                    "10.0.0.1:2377",
                    NodeRole::Manager,
                    Some(ManagerStatus::Reachable),
                ),
                row(
                    "a2",
                    "10.0.0.2:2377",
                    NodeRole::Manager,
                    Some(ManagerStatus::Reachable),
                ),
                row(
                    "a3",
                    "10.0.0.3:2377",
                    NodeRole::Manager,
                    Some(ManagerStatus::Leader),
                ),
            ],
        };
        let members = members_of(&hosts, &table, |id| id[2..].parse().unwrap());
        assert_eq!(members[2].node.as_ref().unwrap().id, "a3");
        assert_eq!(members[2].index, 3);
        assert!(members[3].node.is_none(), "the worker never joined");

        let plan = ScalePlan {
            leave: vec![Departure {
                host: "i-2".into(),
                role: NodeRole::Manager,
                addr: "10.0.0.2:2377".into(),
                node_id: Some("a2".into()),
                demote: true,
            }],
            ..ScalePlan::default()
        };
        let staying: Vec<&str> = staying_managers(&hosts, &plan, &members)
            .iter()
            .map(|h| h.id.as_str())
            .collect();
        assert_eq!(staying, ["i-3", "i-1"]);
    }
}
