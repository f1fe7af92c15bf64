//! The restart supervisor: what happens to a task that exited on its own.
//!
//! swarmkit (`orchestrator/restart`): condition `none` never restarts, `on-failure` restarts
//! unless the task completed (exit 0), `any` always restarts; the replacement starts after
//! `delay`; with `max_attempts` set, restarts are counted per slot within `window` (0 = since
//! the beginning) and the supervisor gives up once they reach the maximum. `max_attempts` 0
//! means unlimited, as in swarmkit and the Docker CLI.
//!
//! Difference: swarmkit keeps the restart history in memory (lost on a leader change) and
//! measures the window against the clock. Here the history is the slot's stored tasks: every
//! earlier task of the slot that ended on its own (failed, rejected or completed) is one
//! restart attempt, counted when it exited within `window` before the exit being judged. The
//! history retention keeps enough tasks for that count (see [`crate::history`]). The restart
//! time is the exit time plus the delay, so the decision does not depend on when it is asked.

use swarm_api::restart::{RestartCondition, RestartPolicy};
use swarm_api::task::{Task, TaskState};

/// The task stopped without being asked to (failed, rejected, or completed).
pub fn ended_on_its_own(t: &Task) -> bool {
    matches!(
        t.status.state,
        TaskState::Failed | TaskState::Rejected | TaskState::Complete
    )
}

/// The supervisor's answer for one exited task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Create the replacement at (or after) this time, Unix milliseconds.
    RestartAt(u64),
    /// Do not restart; the slot stays as it is.
    GiveUp,
}

/// How many restart attempts of the slot count against `policy` when `exited` is judged.
pub fn attempts_in_window(policy: &RestartPolicy, exited: &Task, slot_history: &[&Task]) -> u64 {
    let exit_at = exited.status.timestamp_ms;
    let since = if policy.window_ms == 0 {
        0
    } else {
        exit_at.saturating_sub(policy.window_ms)
    };
    slot_history
        .iter()
        .filter(|t| t.id != exited.id && ended_on_its_own(t))
        .filter(|t| t.status.timestamp_ms <= exit_at && t.status.timestamp_ms >= since)
        .count() as u64
}

/// Decides whether `exited` (desired RUNNING, observed terminal) is restarted, and when.
/// `slot_history` holds the slot's stored tasks (it may include `exited`).
pub fn decide(policy: &RestartPolicy, exited: &Task, slot_history: &[&Task]) -> Decision {
    match policy.condition {
        RestartCondition::None => return Decision::GiveUp,
        RestartCondition::OnFailure if exited.status.state == TaskState::Complete => {
            return Decision::GiveUp
        }
        RestartCondition::OnFailure | RestartCondition::Any => {}
    }
    if let Some(max) = policy.max_attempts.filter(|m| *m > 0) {
        if attempts_in_window(policy, exited, slot_history) >= max {
            return Decision::GiveUp;
        }
    }
    Decision::RestartAt(exited.status.timestamp_ms.saturating_add(policy.delay_ms))
}
