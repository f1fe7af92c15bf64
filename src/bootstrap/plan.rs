//! What a bootstrap run must do, from the hosts and the cluster's current membership (pure).
//!
//! A host is "in the cluster" when `node ls` lists a node advertising its address. Such hosts are
//! skipped, so a re-run after a complete bootstrap does nothing and a re-run after an interrupted
//! one finishes the rest.

use std::collections::BTreeSet;

use super::nodes::{NodeRole, NodeTable};

/// What the planner knows about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// The host's name in the inventory (instance id, sandbox host name).
    pub id: String,
    /// The role it should have.
    pub role: NodeRole,
    /// The address swarmd advertises there (`ip:port`).
    pub advertise_addr: String,
    /// Whether a swarmd state dir (a node identity) already exists on the host.
    pub has_state: bool,
}

/// The steps of a bootstrap run; host positions index the input slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The manager that creates the cluster (`swarmd init`), if there is no cluster yet.
    pub init: Option<usize>,
    /// The manager that joins go through and that is asked for `node ls`: the existing leader
    /// if it is one of the hosts, else another member manager, else the one that initialises.
    pub leader: usize,
    /// Managers to join, one at a time, in this order.
    pub managers: Vec<usize>,
    /// Workers to join (in parallel).
    pub workers: Vec<usize>,
    /// Hosts already in the cluster.
    pub skipped: Vec<usize>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_noop(&self) -> bool {
        self.init.is_none() && self.managers.is_empty() && self.workers.is_empty()
    }
}

/// Why no plan can be made. Each names the host and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The inventory holds no manager.
    #[error("no manager among the {count} hosts: a cluster needs at least one manager (--managers >= 1)")]
    NoManager {
        /// How many hosts there are.
        count: usize,
    },
    /// Two hosts share an id or an advertise address.
    #[error("hosts {first} and {second} both use {what} {value}: every host needs its own")]
    Duplicate {
        /// What is shared (`id`, `advertise address`).
        what: &'static str,
        /// The shared value.
        value: String,
        /// One host.
        first: String,
        /// The other.
        second: String,
    },
    /// A host is a member with the other role.
    #[error(
        "host {host} ({addr}) is a {actual} in the cluster but the inventory wants a {wanted}; \
         change it with `swarmd node promote|demote` first, or fix the inventory"
    )]
    RoleMismatch {
        /// The host.
        host: String,
        /// Its address.
        addr: String,
        /// The role in the inventory.
        wanted: NodeRole,
        /// The role in the cluster.
        actual: NodeRole,
    },
    /// A host has swarmd state but the cluster does not list it (removed, or from another cluster).
    #[error(
        "host {host} ({addr}) has swarmd state but is not in the cluster{why}; remove its state \
         dir on the host to let it join again"
    )]
    Stranger {
        /// The host.
        host: String,
        /// Its address.
        addr: String,
        /// ": no manager answers" when there is no membership at all.
        why: String,
    },
    /// The cluster exists but none of its member managers is in the inventory.
    #[error("the cluster has no member manager among the hosts (members: {members}); cannot join through any")]
    NoMemberManager {
        /// The member addresses.
        members: String,
    },
}

/// Plans a bootstrap of `hosts` given the membership read from the cluster (`None`: no manager
/// answered, so there is no cluster yet).
pub fn plan(hosts: &[HostFacts], membership: Option<&NodeTable>) -> Result<Plan, PlanError> {
    check_unique(hosts)?;
    let first_manager = hosts
        .iter()
        .position(|h| h.role == NodeRole::Manager)
        .ok_or(PlanError::NoManager { count: hosts.len() })?;

    let Some(members) = membership else {
        if let Some(h) = hosts.iter().find(|h| h.has_state) {
            return Err(PlanError::Stranger {
                host: h.id.clone(),
                addr: h.advertise_addr.clone(),
                why: ": no manager answers `node ls`".into(),
            });
        }
        let by_role = |role| {
            (0..hosts.len())
                .filter(|&i| i != first_manager && hosts[i].role == role)
                .collect::<Vec<_>>()
        };
        return Ok(Plan {
            init: Some(first_manager),
            leader: first_manager,
            managers: by_role(NodeRole::Manager),
            workers: by_role(NodeRole::Worker),
            skipped: Vec::new(),
        });
    };

    let mut plan = Plan {
        init: None,
        leader: usize::MAX,
        managers: Vec::new(),
        workers: Vec::new(),
        skipped: Vec::new(),
    };
    for (i, h) in hosts.iter().enumerate() {
        match members.by_addr(&h.advertise_addr) {
            Some(node) if node.role != h.role => {
                return Err(PlanError::RoleMismatch {
                    host: h.id.clone(),
                    addr: h.advertise_addr.clone(),
                    wanted: h.role,
                    actual: node.role,
                })
            }
            Some(_) => plan.skipped.push(i),
            None if h.has_state => {
                return Err(PlanError::Stranger {
                    host: h.id.clone(),
                    addr: h.advertise_addr.clone(),
                    why: String::new(),
                })
            }
            None if h.role == NodeRole::Manager => plan.managers.push(i),
            None => plan.workers.push(i),
        }
    }
    let member_manager = |pred: &dyn Fn(&super::nodes::NodeRow) -> bool| {
        plan.skipped.iter().copied().find(|&i| {
            members
                .by_addr(&hosts[i].advertise_addr)
                .is_some_and(|n| n.role == NodeRole::Manager && pred(n))
        })
    };
    let leader_addr = members.leader().map(|n| n.addr.clone());
    plan.leader = member_manager(&|n| Some(&n.addr) == leader_addr.as_ref())
        .or_else(|| member_manager(&|n| n.is_voter()))
        .or_else(|| member_manager(&|_| true))
        .ok_or_else(|| PlanError::NoMemberManager {
            members: members
                .nodes
                .iter()
                .map(|n| n.addr.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    Ok(plan)
}

fn check_unique(hosts: &[HostFacts]) -> Result<(), PlanError> {
    for (what, key) in [
        (
            "id",
            (|h: &HostFacts| h.id.clone()) as fn(&HostFacts) -> String,
        ),
        ("advertise address", |h: &HostFacts| {
            h.advertise_addr.clone()
        }),
    ] {
        let mut seen = BTreeSet::new();
        for h in hosts {
            if !seen.insert(key(h)) {
                let first = hosts
                    .iter()
                    .find(|o| key(o) == key(h))
                    .map(|o| o.id.clone());
                return Err(PlanError::Duplicate {
                    what,
                    value: key(h),
                    first: first.unwrap_or_default(),
                    second: h.id.clone(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::nodes::{ManagerStatus, NodeRow, NodeStatus};

    fn host(i: usize, role: NodeRole) -> HostFacts {
        HostFacts {
            id: format!("h{i}"),
            role,
            advertise_addr: format!("10.0.0.{i}:2377"),
            has_state: false,
        }
    }

    /// 3 managers (h0..h2) and 2 workers (h3, h4).
    fn hosts() -> Vec<HostFacts> {
        (0..5)
            .map(|i| {
                host(
                    i,
                    if i < 3 {
                        NodeRole::Manager
                    } else {
                        NodeRole::Worker
                    },
                )
            })
            .collect()
    }

    fn row(h: &HostFacts, ms: Option<ManagerStatus>) -> NodeRow {
        NodeRow {
            id: format!("{:016x}", h.id.len()),
            hostname: h.id.clone(),
            addr: h.advertise_addr.clone(),
            role: h.role,
            availability: "active".into(),
            status: NodeStatus::Ready,
            manager_status: ms,
        }
    }

    #[test]
    fn fresh_cluster_inits_the_first_manager() {
        let p = plan(&hosts(), None).unwrap();
        assert_eq!(p.init, Some(0));
        assert_eq!(p.leader, 0);
        assert_eq!(p.managers, vec![1, 2]);
        assert_eq!(p.workers, vec![3, 4]);
        assert!(p.skipped.is_empty() && !p.is_noop());
    }

    #[test]
    fn first_manager_need_not_be_first_host() {
        let mut hs = hosts();
        hs.rotate_left(3); // workers first
        let p = plan(&hs, None).unwrap();
        assert_eq!(p.init, Some(2));
        assert_eq!(p.managers, vec![3, 4]);
        assert_eq!(p.workers, vec![0, 1]);
    }

    #[test]
    fn complete_cluster_is_a_noop_through_its_leader() {
        let mut hs = hosts();
        let members = NodeTable {
            nodes: hs
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let ms = match (h.role, i) {
                        (NodeRole::Worker, _) => None,
                        (_, 1) => Some(ManagerStatus::Leader),
                        _ => Some(ManagerStatus::Reachable),
                    };
                    row(h, ms)
                })
                .collect(),
        };
        hs.iter_mut().for_each(|h| h.has_state = true);
        let p = plan(&hs, Some(&members)).unwrap();
        assert!(p.is_noop());
        assert_eq!(p.skipped, vec![0, 1, 2, 3, 4]);
        assert_eq!(p.leader, 1, "the existing leader, not the first manager");
    }

    #[test]
    fn resume_after_managers_only_joins_the_workers() {
        let mut hs = hosts();
        let members = NodeTable {
            nodes: vec![
                row(&hs[0], Some(ManagerStatus::Leader)),
                row(&hs[1], Some(ManagerStatus::Reachable)),
                row(&hs[2], Some(ManagerStatus::Reachable)),
            ],
        };
        (0..3).for_each(|i| hs[i].has_state = true);
        let p = plan(&hs, Some(&members)).unwrap();
        assert_eq!(p.init, None);
        assert_eq!(p.leader, 0);
        assert!(p.managers.is_empty());
        assert_eq!(p.workers, vec![3, 4]);
        assert_eq!(p.skipped, vec![0, 1, 2]);
    }

    #[test]
    fn resume_after_init_joins_the_other_managers_in_order() {
        let mut hs = hosts();
        hs[0].has_state = true;
        let members = NodeTable {
            nodes: vec![row(&hs[0], Some(ManagerStatus::Leader))],
        };
        let p = plan(&hs, Some(&members)).unwrap();
        assert_eq!(p.managers, vec![1, 2]);
        assert_eq!(p.workers, vec![3, 4]);
    }

    #[test]
    fn leader_outside_inventory_falls_back_to_a_member_voter() {
        let mut hs = hosts();
        hs[2].has_state = true;
        let gone = host(9, NodeRole::Manager);
        let members = NodeTable {
            nodes: vec![
                row(&gone, Some(ManagerStatus::Leader)),
                row(&hs[2], Some(ManagerStatus::Reachable)),
            ],
        };
        let p = plan(&hs, Some(&members)).unwrap();
        assert_eq!(p.leader, 2);
        assert_eq!(p.managers, vec![0, 1]);
    }

    #[test]
    fn errors_name_the_host_and_the_fix() {
        let workers: Vec<HostFacts> = (0..2).map(|i| host(i, NodeRole::Worker)).collect();
        let e = plan(&workers, None).unwrap_err();
        assert!(e.to_string().contains("--managers >= 1"), "{e}");

        let mut dup = hosts();
        dup[4].advertise_addr = dup[1].advertise_addr.clone();
        let e = plan(&dup, None).unwrap_err().to_string();
        assert!(
            e.contains("h1") && e.contains("h4") && e.contains("10.0.0.1:2377"),
            "{e}"
        );

        let mut hs = hosts();
        hs[3].has_state = true;
        let e = plan(&hs, None).unwrap_err().to_string();
        assert!(e.contains("h3") && e.contains("no manager answers"), "{e}");

        let members = NodeTable {
            nodes: vec![
                row(&hs[0], Some(ManagerStatus::Leader)),
                NodeRow {
                    role: NodeRole::Worker,
                    manager_status: None,
                    ..row(&hs[1], None)
                },
            ],
        };
        let e = plan(&hosts(), Some(&members)).unwrap_err().to_string();
        assert!(e.contains("h1") && e.contains("promote"), "{e}");

        let members = NodeTable {
            nodes: vec![row(&hs[0], Some(ManagerStatus::Leader))],
        };
        let e = plan(&hs, Some(&members)).unwrap_err().to_string();
        assert!(e.contains("h3") && e.contains("remove its state"), "{e}");

        let stranger = host(9, NodeRole::Manager);
        let members = NodeTable {
            nodes: vec![row(&stranger, Some(ManagerStatus::Leader))],
        };
        let e = plan(&hosts(), Some(&members)).unwrap_err().to_string();
        assert!(e.contains("10.0.0.9:2377"), "{e}");
    }
}
