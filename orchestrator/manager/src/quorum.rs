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

/// Why a manager's `leave` without `--force` is refused: Docker's message (moby
/// `daemon/cluster/swarm.go`, `Leave`), with the quorum arithmetic of `voters` (`me` among them).
pub fn manager_leave_refusal(voters: &[Voter], me: NodeId) -> String {
    let mut msg = String::from(
        "You are attempting to leave the swarm on a node that is participating as a manager. ",
    );
    let reachable = voters.iter().filter(|v| v.reachable || v.id == me).count();
    let unreachable = voters.len() - reachable;
    // moby's removingManagerCausesLossOfQuorum and isLastManager.
    if reachable.saturating_sub(2) <= unreachable {
        if reachable == 1 && unreachable == 0 {
            msg.push_str(
                "Removing the last manager erases all current state of the swarm. Use `--force` \
                 to ignore this message.",
            );
            return msg;
        }
        msg.push_str(&format!(
            "Removing this node leaves {} managers out of {}. Without a Raft quorum your swarm \
             will be inaccessible. ",
            reachable - 1,
            reachable + unreachable
        ));
    }
    msg.push_str(
        "The only way to restore a swarm that has lost consensus is to reinitialize it with \
         `--force-new-cluster`. Use `--force` to suppress this message.",
    );
    msg
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

    #[test]
    fn manager_leave_messages_are_dockers() {
        let one = [v(1, true)];
        let m = manager_leave_refusal(&one, 1);
        assert_eq!(
            m,
            "You are attempting to leave the swarm on a node that is participating as a \
             manager. Removing the last manager erases all current state of the swarm. Use \
             `--force` to ignore this message."
        );
        // Three healthy managers: no quorum loss, only the general warning.
        let three = [v(1, true), v(2, true), v(3, true)];
        let m = manager_leave_refusal(&three, 3);
        assert!(!m.contains("Removing this node"), "{m}");
        assert!(
            m.ends_with("Use `--force` to suppress this message."),
            "{m}"
        );
        // Two managers (or three with one down): leaving costs the quorum.
        let m = manager_leave_refusal(&[v(1, true), v(2, true)], 2);
        assert!(
            m.contains("Removing this node leaves 1 managers out of 2. Without a Raft quorum"),
            "{m}"
        );
        let m = manager_leave_refusal(&[v(1, true), v(2, true), v(3, false)], 2);
        assert!(m.contains("leaves 1 managers out of 3"), "{m}");
    }
}
