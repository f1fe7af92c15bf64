//! What `scale` does to the cluster's membership (pure): how many managers and workers join, and
//! which nodes leave — drained, demoted if managers, removed — before the instances go.
//!
//! Nodes that leave are picked so the cluster loses as little as possible: hosts that never
//! joined first, then nodes that are Down or unreachable, then the newest; the Raft leader last.
//! A shrink that would leave no manager, or that needs a quorum the managers do not have, is
//! refused with the counts and the fix.

use serde::Serialize;

use super::nodes::{ManagerStatus, NodeRole, NodeRow, NodeStatus};

/// One host of the cluster as `scale` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Inventory id (instance id, sandbox host name).
    pub host: String,
    /// Position in the inventory (higher: newer).
    pub index: usize,
    /// The role its group gives it.
    pub role: NodeRole,
    /// The address swarmd advertises there (`ip:port`).
    pub addr: String,
    /// Its row in `node ls`, if it is in the cluster.
    pub node: Option<NodeRow>,
}

/// A node that leaves the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Departure {
    /// Inventory id.
    pub host: String,
    /// Its role now.
    pub role: NodeRole,
    /// Its advertised address.
    pub addr: String,
    /// Its node id, when it is in the cluster (otherwise there is nothing to drain or remove).
    pub node_id: Option<String>,
    /// Whether it is demoted first (a manager in the cluster).
    pub demote: bool,
}

/// The membership changes of one `scale`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScalePlan {
    /// Managers to add (joined one by one after the stack update).
    pub join_managers: usize,
    /// Workers to add (joined in parallel after the stack update).
    pub join_workers: usize,
    /// Nodes to drain, demote and remove before the stack update, in this order.
    pub leave: Vec<Departure>,
    /// Managers after the change.
    pub managers_after: usize,
    /// Workers after the change.
    pub workers_after: usize,
}

impl ScalePlan {
    /// Whether the membership does not change.
    pub fn is_noop(&self) -> bool {
        self.join_managers == 0 && self.join_workers == 0 && self.leave.is_empty()
    }
}

impl ScaleError {
    /// The exit code: 2 when the asked size must change, 1 when the cluster must be repaired.
    pub fn exit_code(&self) -> u8 {
        match self {
            ScaleError::NoManagerLeft { .. } => 2,
            _ => 1,
        }
    }
}

/// Why a scale is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScaleError {
    /// No manager would remain.
    #[error(
        "--managers {asked}: the cluster would keep 0 of its {current} managers and lose its Raft \
         quorum; keep at least 1 (an odd count: --managers 1, 3, 5 or 7)"
    )]
    NoManagerLeft {
        /// The requested count.
        asked: usize,
        /// Managers now.
        current: usize,
    },
    /// The managers have no quorum now, so no demotion can commit.
    #[error(
        "only {healthy} of the {voters} managers answer, fewer than the {need} a Raft quorum needs: \
         no manager can be demoted safely; bring the unreachable managers back ({unreachable}) and \
         retry, or recover with `swarmd init --force-new-cluster` on a surviving manager"
    )]
    NoQuorum {
        /// Voters that answer.
        healthy: usize,
        /// All voters.
        voters: usize,
        /// Majority of `voters`.
        need: usize,
        /// The addresses that do not answer.
        unreachable: String,
    },
    /// A manager that would remain does not answer: the smaller group could lose its quorum.
    #[error(
        "--managers {asked}: manager {host} ({addr}) would remain but is {state}; {asked} \
         manager(s) would remain and the cluster could lose its quorum. Bring it back first, or \
         keep more managers (e.g. --managers {current})"
    )]
    UnhealthyRemains {
        /// The requested count.
        asked: usize,
        /// Managers now.
        current: usize,
        /// The host.
        host: String,
        /// Its address.
        addr: String,
        /// `Down`, `unreachable` or `not in the cluster`.
        state: String,
    },
}

fn healthy(m: &Member) -> bool {
    m.node.as_ref().is_some_and(|n| {
        n.status == NodeStatus::Ready && (m.role == NodeRole::Worker || n.is_voter())
    })
}

fn is_leader(m: &Member) -> bool {
    m.node
        .as_ref()
        .is_some_and(|n| n.manager_status == Some(ManagerStatus::Leader))
}

/// The order in which members of one role leave: not joined, then unhealthy, then newest; the
/// leader last.
fn leave_order(members: &[&Member]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|&i| {
        let m = members[i];
        (
            is_leader(m),
            m.node.is_some(),
            healthy(m),
            std::cmp::Reverse(m.index),
        )
    });
    order
}

/// Plans the membership changes that take the cluster `members` to `managers` / `workers`
/// (`None`: unchanged).
pub fn scale_plan(
    members: &[Member],
    managers: Option<usize>,
    workers: Option<usize>,
) -> Result<ScalePlan, ScaleError> {
    let of = |role| -> Vec<&Member> { members.iter().filter(|m| m.role == role).collect() };
    let (cur_m, cur_w) = (of(NodeRole::Manager), of(NodeRole::Worker));
    let want_m = managers.unwrap_or(cur_m.len());
    let want_w = workers.unwrap_or(cur_w.len());
    if want_m == 0 {
        return Err(ScaleError::NoManagerLeft {
            asked: 0,
            current: cur_m.len(),
        });
    }
    let mut plan = ScalePlan {
        join_managers: want_m.saturating_sub(cur_m.len()),
        join_workers: want_w.saturating_sub(cur_w.len()),
        managers_after: want_m,
        workers_after: want_w,
        ..ScalePlan::default()
    };

    if cur_m.len() > want_m {
        let voters: Vec<&&Member> = cur_m
            .iter()
            .filter(|m| m.node.as_ref().is_some_and(|n| n.manager_status.is_some()))
            .collect();
        let healthy_voters = voters.iter().filter(|m| healthy(m)).count();
        let need = voters.len() / 2 + 1;
        if healthy_voters < need {
            return Err(ScaleError::NoQuorum {
                healthy: healthy_voters,
                voters: voters.len(),
                need,
                unreachable: voters
                    .iter()
                    .filter(|m| !healthy(m))
                    .map(|m| format!("{} {}", m.host, m.addr))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let order = leave_order(&cur_m);
        let (going, staying) = order.split_at(cur_m.len() - want_m);
        if let Some(&i) = staying.iter().find(|&&i| !healthy(cur_m[i])) {
            let m = cur_m[i];
            return Err(ScaleError::UnhealthyRemains {
                asked: want_m,
                current: cur_m.len(),
                host: m.host.clone(),
                addr: m.addr.clone(),
                state: match &m.node {
                    None => "not in the cluster".into(),
                    Some(n) if n.status == NodeStatus::Down => "Down".into(),
                    Some(_) => "unreachable".into(),
                },
            });
        }
        plan.leave
            .extend(going.iter().map(|&i| departure(cur_m[i], true)));
    }
    if cur_w.len() > want_w {
        let order = leave_order(&cur_w);
        plan.leave.extend(
            order[..cur_w.len() - want_w]
                .iter()
                .map(|&i| departure(cur_w[i], false)),
        );
    }
    Ok(plan)
}

fn departure(m: &Member, manager: bool) -> Departure {
    Departure {
        host: m.host.clone(),
        role: m.role,
        addr: m.addr.clone(),
        node_id: m.node.as_ref().map(|n| n.id.clone()),
        demote: manager && m.node.as_ref().is_some_and(|n| n.role == NodeRole::Manager),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(i: usize, role: NodeRole, ms: Option<ManagerStatus>) -> Member {
        let addr = format!("10.0.0.{}:2377", 10 + i);
        Member {
            host: format!("host-{i}"),
            index: i,
            role,
            addr: addr.clone(),
            node: Some(NodeRow {
                id: format!("{i:016x}"),
                hostname: format!("h{i}"),
                addr,
                role,
                availability: "active".into(),
                status: NodeStatus::Ready,
                manager_status: ms,
            }),
        }
    }

    fn cluster() -> Vec<Member> {
        vec![
            member(0, NodeRole::Manager, Some(ManagerStatus::Leader)),
            member(1, NodeRole::Worker, None),
            member(2, NodeRole::Worker, None),
            member(3, NodeRole::Manager, Some(ManagerStatus::Reachable)),
            member(4, NodeRole::Manager, Some(ManagerStatus::Reachable)),
        ]
    }

    fn hosts(p: &ScalePlan) -> Vec<&str> {
        p.leave.iter().map(|d| d.host.as_str()).collect()
    }

    #[test]
    fn growing_only_joins() {
        let p = scale_plan(&cluster(), Some(5), Some(4)).unwrap();
        assert_eq!((p.join_managers, p.join_workers), (2, 2));
        assert!(p.leave.is_empty());
        assert_eq!((p.managers_after, p.workers_after), (5, 4));
        assert!(scale_plan(&cluster(), Some(3), None).unwrap().is_noop());
    }

    #[test]
    fn shrinking_removes_newest_non_leaders_and_demotes_managers() {
        let p = scale_plan(&cluster(), Some(1), Some(1)).unwrap();
        assert_eq!(hosts(&p), ["host-4", "host-3", "host-2"]);
        assert!(p.leave[0].demote && p.leave[1].demote && !p.leave[2].demote);
        assert_eq!(p.leave[0].node_id.as_deref(), Some("0000000000000004"));
    }

    #[test]
    fn the_leader_goes_last_and_broken_nodes_first() {
        let mut c = cluster();
        // The newest manager leads; an older one is unreachable.
        c[4].node.as_mut().unwrap().manager_status = Some(ManagerStatus::Leader);
        c[0].node.as_mut().unwrap().manager_status = Some(ManagerStatus::Unreachable);
        let p = scale_plan(&c, Some(1), None).unwrap();
        assert_eq!(hosts(&p), ["host-0", "host-3"]);
        // A worker that never joined goes before a Ready one.
        c[1].node = None;
        let p = scale_plan(&c, None, Some(1)).unwrap();
        assert_eq!(hosts(&p), ["host-1"]);
        assert_eq!(p.leave[0].node_id, None);
    }

    #[test]
    fn refuses_to_leave_no_manager() {
        let e = scale_plan(&cluster(), Some(0), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--managers 0") && e.contains("0 of its 3") && e.contains("at least 1"),
            "{e}"
        );
    }

    #[test]
    fn refuses_without_quorum_or_with_an_unhealthy_survivor() {
        let mut c = cluster();
        for i in [3, 4] {
            c[i].node.as_mut().unwrap().manager_status = Some(ManagerStatus::Unreachable);
        }
        let e = scale_plan(&c, Some(1), None).unwrap_err().to_string();
        assert!(
            e.contains("only 1 of the 3") && e.contains("host-3 10.0.0.13:2377"),
            "{e}"
        );
        // 5 -> 3 with the unreachable one kept would be unsafe: it is removed first instead.
        let mut c = cluster();
        c.push(member(5, NodeRole::Manager, Some(ManagerStatus::Reachable)));
        c.push(member(6, NodeRole::Manager, Some(ManagerStatus::Reachable)));
        c[3].node.as_mut().unwrap().manager_status = Some(ManagerStatus::Unreachable);
        c[4].node.as_mut().unwrap().manager_status = Some(ManagerStatus::Unreachable);
        let p = scale_plan(&c, Some(3), None).unwrap();
        assert_eq!(hosts(&p), ["host-4", "host-3"]);
        let e = scale_plan(&c, Some(4), None).unwrap_err().to_string();
        assert!(
            e.contains("host-3 (10.0.0.13:2377) would remain but is unreachable"),
            "{e}"
        );
    }
}
