//! The join parameters the leader keeps current (pure): the managers' addresses a new instance
//! joins through, and the join tokens after a rotation.
//!
//! Names are the template's contract (`src/template/self_join.rs` of the CLI:
//! `/swarm-aws/<stack>/{managers,manager-token,worker-token}`); the user data joins through the
//! first address, so the leader comes first.

use swarm_api::node::{NodeStatus, Role};

use crate::plan::View;

/// The parameter of the managers' addresses.
pub const MANAGERS: &str = "managers";
/// The manager join token (`SecureString`).
pub const MANAGER_TOKEN: &str = "manager-token";
/// The worker join token (`SecureString`).
pub const WORKER_TOKEN: &str = "worker-token";

/// The full name of parameter `name` of `stack`.
pub fn parameter_name(stack: &str, name: &str) -> String {
    format!("/swarm-aws/{stack}/{name}")
}

/// The managers parameter's value: the Ready managers' addresses, the leader's first, then in
/// address order, comma-separated. Empty when no manager is Ready (never written then).
pub fn managers_value(view: &View) -> String {
    let mut managers: Vec<(bool, &str)> = view
        .nodes
        .iter()
        .filter(|n| n.role == Role::Manager && n.status == NodeStatus::Ready)
        .map(|n| (Some(n.id) != view.leader, n.addr.as_str()))
        .collect();
    managers.sort();
    managers
        .iter()
        .map(|(_, a)| *a)
        .collect::<Vec<_>>()
        .join(",")
}

/// The parameters to write: those whose `want` differs from what the store holds (`have`;
/// `None`: absent). Empty wants are never written.
pub fn changed<'a>(
    wants: &'a [(&'a str, String)],
    have: impl Fn(&str) -> Option<String>,
) -> Vec<&'a (&'a str, String)> {
    wants
        .iter()
        .filter(|(name, want)| !want.is_empty() && have(name).as_deref() != Some(want.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::cluster;
    use swarm_api::node::ManagerStatus;

    #[test]
    fn the_leader_comes_first_and_down_managers_and_workers_not_at_all() {
        let mut v = cluster();
        assert_eq!(
            managers_value(&v),
            "10.0.0.1:2377,10.0.0.2:2377,10.0.0.3:2377"
        );
        v.leader = Some(3);
        v.nodes[1].status = NodeStatus::Down;
        v.nodes[1].manager = Some(ManagerStatus::Unreachable);
        assert_eq!(managers_value(&v), "10.0.0.3:2377,10.0.0.1:2377");
        v.nodes.retain(|n| n.role == Role::Worker);
        assert_eq!(managers_value(&v), "");
    }

    #[test]
    fn only_changed_non_empty_values_are_written() {
        let wants = vec![
            (MANAGERS, "10.0.0.1:2377".to_string()),
            (MANAGER_TOKEN, "SWMTKN-1-new".to_string()),
            (WORKER_TOKEN, String::new()),
        ];
        let have = |n: &str| match n {
            MANAGERS => Some("10.0.0.1:2377".to_string()),
            MANAGER_TOKEN => Some("SWMTKN-1-old".to_string()),
            _ => None,
        };
        let names: Vec<&str> = changed(&wants, have).iter().map(|(n, _)| *n).collect();
        assert_eq!(names, vec![MANAGER_TOKEN]);
        assert_eq!(parameter_name("c1", MANAGERS), "/swarm-aws/c1/managers");
    }
}
