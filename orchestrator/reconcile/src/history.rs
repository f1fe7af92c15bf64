//! Task history retention (swarmkit's task reaper).
//!
//! swarmkit keeps `TaskHistoryRetentionLimit` (default 5) tasks per slot — the live one and
//! the most recent dead ones — and deletes older dead tasks; the tasks of removed slots
//! (scale-down) are deleted once they stopped. We do the same, with two differences: a task
//! whose node is down or gone counts as dead even though it never reports a terminal state
//! (swarmkit waits for the orphan timeout), and when the restart policy counts attempts the
//! limit grows to `max_attempts + 1` so that the restart supervisor can count them from the
//! stored tasks (it has no in-memory history, see [`crate::restart`]).

use swarm_api::restart::RestartPolicy;
use swarm_api::task::Task;

use crate::action::{Action, Plan};
use crate::slots::is_live;
use crate::view::Nodes;

/// swarmkit's default `TaskHistoryRetentionLimit`: tasks kept per slot.
pub const TASK_HISTORY_RETENTION_LIMIT: usize = 5;

/// Tasks kept per slot for this restart policy.
pub fn retention_limit(policy: &RestartPolicy) -> usize {
    let needed = match policy.max_attempts {
        Some(m) if m > 0 => usize::try_from(m).unwrap_or(usize::MAX).saturating_add(1),
        _ => 0,
    };
    TASK_HISTORY_RETENTION_LIMIT.max(needed)
}

/// Dead history: not live, and terminal or on a node that will never report again.
fn is_dead(t: &Task, nodes: &Nodes) -> bool {
    !is_live(t) && (t.status.state.is_terminal() || nodes.is_dead(t.node_id.as_deref()))
}

/// Deletes the slot's dead tasks beyond `limit` tasks in total (oldest first); when the slot
/// no longer exists (`slot_exists` false) every dead task of it is deleted.
pub fn trim(history: &[&Task], slot_exists: bool, limit: usize, nodes: &Nodes, plan: &mut Plan) {
    let mut dead: Vec<&Task> = history
        .iter()
        .copied()
        .filter(|t| is_dead(t, nodes))
        .collect();
    let excess = if slot_exists {
        history.len().saturating_sub(limit).min(dead.len())
    } else {
        dead.len()
    };
    if excess == 0 {
        return;
    }
    dead.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
    for t in &dead[..excess] {
        plan.push(Action::DeleteTask {
            task_id: t.id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_grows_with_counted_attempts() {
        let mut p = RestartPolicy::default();
        assert_eq!(retention_limit(&p), 5);
        p.max_attempts = Some(0);
        assert_eq!(retention_limit(&p), 5);
        p.max_attempts = Some(3);
        assert_eq!(retention_limit(&p), 5);
        p.max_attempts = Some(9);
        assert_eq!(retention_limit(&p), 10);
    }
}
