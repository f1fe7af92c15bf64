//! Quorum arithmetic and the guards for demote, rm and leave (pure).

use swarm_api::node::{format_node_id, NodeId};

/// Votes needed for a majority of `n` voters.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}

/// A manager as the guard sees it.
#[derive(Debug, Clone, Copy)]
pub struct Voter {
    /// Node id.
    pub id: NodeId,
    /// Whether its heartbeats arrive.
    pub reachable: bool,
}

/// Checks that removing `target` from the voters keeps a reachable majority.
/// `action` names the operation for the message ("demote", "remove", "leave").
pub fn check_removal(voters: &[Voter], target: NodeId, action: &str) -> Result<(), String> {
    let Some(t) = voters.iter().find(|v| v.id == target) else {
        return Ok(());
    };
    let n = voters.len() - 1;
    if n == 0 {
        return Err(format!(
            "cannot {action} node {}: it is the last manager and the cluster would have none. \
             Promote another node first (`swarmd node promote NODE`), or use `swarmd leave --force` \
             to abandon the cluster",
            format_node_id(target)
        ));
    }
    let reachable = voters.iter().filter(|v| v.reachable).count() - usize::from(t.reachable);
    if reachable < majority(n) {
        return Err(format!(
            "cannot {action} node {}: the remaining {n} managers would have only {reachable} \
             reachable, below the quorum of {}. Restore the unreachable managers, or demote \
             them first, then retry",
            format_node_id(target),
            majority(n)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: NodeId, reachable: bool) -> Voter {
        Voter { id, reachable }
    }

    #[test]
    fn guards() {
        let all_up = [v(1, true), v(2, true), v(3, true)];
        assert!(check_removal(&all_up, 2, "demote").is_ok());
        let one_down = [v(1, true), v(2, true), v(3, false)];
        let err = check_removal(&one_down, 2, "demote").unwrap_err();
        assert!(err.contains("quorum of 2"), "{err}");
        assert!(check_removal(&one_down, 3, "demote").is_ok());
        let last = [v(1, true)];
        assert!(check_removal(&last, 1, "leave")
            .unwrap_err()
            .contains("last manager"));
        assert_eq!(majority(3), 2);
        assert_eq!(majority(4), 3);
        assert_eq!(majority(5), 3);
    }
}
