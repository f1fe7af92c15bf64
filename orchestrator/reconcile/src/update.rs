//! The rolling updater (swarmkit `orchestrator/update/updater.go`), as a pure step function.
//!
//! swarmkit starts an updater per service when its tasks become dirty. `parallelism` workers
//! each take a dirty slot, replace its task (stop-first: shut the old one down, and start the
//! new one once the old one is observed stopped; start-first: create the new one and shut the
//! old one down once it runs),
//! wait for the new task to run, then sleep `delay` before taking the next slot. Tasks that
//! fail or stop early count as failures; when failures exceed `max_failure_ratio` of the slots
//! the failure action runs: `pause` (state paused, "update paused due to failure or early
//! termination of task X"), `continue`, or `rollback` (the service's spec becomes its previous
//! spec and the update status rollback_started; the rollback then runs with the rollback
//! config, and a failing rollback pauses). After the last slot the updater watches the new
//! tasks for `monitor` and then sets completed (or rollback_completed).
//!
//! Here every one of those facts is derived from the store at each step, so a new leader
//! resumes the update without any in-memory state:
//! - a slot is *in flight* while its old task is still stopping (stop-first: the slot is
//!   refilled only once the old container is gone, see [`crate::slots`]; start-first: the old
//!   task stops after the new one runs), while its new task (made from the current spec after
//!   the update started) is not running yet, or started running less than `delay` ago (a
//!   worker is busy with it); at most `parallelism` slots are in flight, which bounds the tasks
//!   down at once in stop-first and the extra tasks running at once in start-first;
//! - failures are the tasks of the current spec created since the update started that ended
//!   on their own (failed, rejected, completed);
//! - the update completes when no slot is dirty or in flight and every new task has run for
//!   `monitor`.
//!
//! Manager contract (as swarmkit's control API): `service update` sets `previous_spec` to the
//! old spec and clears the update status. If the new spec needs new tasks
//! ([`crate::slots::needs_new_tasks`]) the next step starts a fresh update; if not (replicas
//! only), nothing is dirty and no update starts; an update of a paused service resumes it.
//!
//! Differences: swarmkit only counts a failure within `monitor` after the task started, we
//! count any early end of a new task while the update runs; swarmkit divides failures by the
//! number of slots dirty when the updater started, we divide by the service's slot count
//! (stable across leader changes); slots on paused nodes of a global service are not rolled
//! until the node is active again. The running time of a task is its status timestamp while
//! its observed state is RUNNING (the agent reports state changes, not heartbeats, there).

use swarm_api::service::{
    FailureAction, Service, ServiceSpec, UpdateConfig, UpdateOrder, UpdateState, UpdateStatus,
};
use swarm_api::task::{Task, TaskState};

use crate::action::{Action, Plan, Reason};
use crate::restart::ended_on_its_own;
use crate::slots::{is_dirty, UpdSlot};

/// The monitor window of the default update config (Docker's `--update-monitor` default).
pub const DEFAULT_MONITOR_MS: u64 = 5_000;

/// The config used when the spec has none: one task at a time, no delay, 5 s monitor,
/// pause on failure, stop-first (Docker's defaults).
pub fn default_config() -> UpdateConfig {
    UpdateConfig {
        parallelism: 1,
        delay_ms: 0,
        failure_action: FailureAction::Pause,
        monitor_ms: DEFAULT_MONITOR_MS,
        max_failure_ratio: 0.0,
        order: UpdateOrder::StopFirst,
    }
}

/// The config for an update (`update_config`) or a rollback (`rollback_config`) of `spec`.
pub fn effective_config(spec: &ServiceSpec, rollback: bool) -> UpdateConfig {
    let c = if rollback {
        spec.rollback_config
    } else {
        spec.update_config
    };
    c.unwrap_or_else(default_config)
}

/// The updater's input for one service.
#[derive(Debug, Clone, Copy)]
pub struct UpdateInput<'a, 's> {
    /// The service.
    pub service: &'a Service,
    /// Its stored update status.
    pub status: Option<&'a UpdateStatus>,
    /// The slots the orchestrator kept, after housekeeping.
    pub slots: &'s [UpdSlot<'a>],
    /// All stored tasks of the service (for failure counting).
    pub tasks: &'a [Task],
    /// The number of slots the service should have (replicas, or eligible nodes).
    pub total_slots: usize,
    /// Now.
    pub now_ms: u64,
}

fn fail_message(rollback: bool, verb: &str, task: &str) -> String {
    let what = if rollback { "rollback" } else { "update" };
    format!("{what} {verb} due to failure or early termination of task {task}")
}

/// One step of the updater: start, continue, pause, roll back or complete the update.
pub fn step(input: &UpdateInput, plan: &mut Plan) {
    let now = input.now_ms;
    let spec = &input.service.spec;
    let any_dirty = input.slots.iter().any(|s| s.dirty.is_some());
    let (rollback, started_at) = match input.status {
        Some(s)
            if matches!(
                s.state,
                UpdateState::Updating | UpdateState::RollbackStarted
            ) =>
        {
            (s.state == UpdateState::RollbackStarted, s.started_at_ms)
        }
        Some(s) if matches!(s.state, UpdateState::Paused | UpdateState::RollbackPaused) => return,
        _ => {
            if !any_dirty {
                return;
            }
            plan.push(Action::SetUpdateStatus(UpdateStatus {
                state: UpdateState::Updating,
                started_at_ms: now,
                completed_at_ms: None,
                message: "update in progress".into(),
            }));
            (false, now)
        }
    };
    let cfg = effective_config(spec, rollback);

    let mut failed: Vec<&Task> = input
        .tasks
        .iter()
        .filter(|t| !is_dirty(t, spec) && t.created_at_ms >= started_at && ended_on_its_own(t))
        .collect();
    let ratio = failed.len() as f64 / input.total_slots.max(1) as f64;
    if !failed.is_empty() && ratio > cfg.max_failure_ratio {
        failed.sort_by(|a, b| (a.status.timestamp_ms, &a.id).cmp(&(b.status.timestamp_ms, &b.id)));
        let first = &failed[0].id;
        match cfg.failure_action {
            FailureAction::Continue => {}
            FailureAction::Rollback if !rollback && input.service.previous_spec.is_some() => {
                plan.push(Action::RollbackService {
                    status: UpdateStatus {
                        state: UpdateState::RollbackStarted,
                        started_at_ms: now,
                        completed_at_ms: None,
                        message: fail_message(false, "rolled back", first),
                    },
                });
                return;
            }
            FailureAction::Pause | FailureAction::Rollback => {
                plan.push(Action::SetUpdateStatus(UpdateStatus {
                    state: if rollback {
                        UpdateState::RollbackPaused
                    } else {
                        UpdateState::Paused
                    },
                    started_at_ms: started_at,
                    completed_at_ms: None,
                    message: fail_message(rollback, "paused", first),
                }));
                return;
            }
        }
    }

    let mut in_flight = 0usize;
    let mut settled = true;
    let mut candidates = Vec::new();
    for s in input.slots {
        if s.changing {
            // Stop-first: the old task is still stopping or its replacement was just made.
            in_flight += 1;
            settled = false;
            continue;
        }
        match (s.dirty, s.fresh) {
            (Some(_), Some(_)) => {
                // start-first pair whose new task is not running yet (housekeeping shuts the
                // old one down once it runs).
                in_flight += 1;
                settled = false;
            }
            (None, Some(new)) if new.created_at_ms >= started_at => {
                if new.status.state != TaskState::Running {
                    in_flight += 1;
                    settled = false;
                    continue;
                }
                let ran_at = new.status.timestamp_ms;
                if now < ran_at.saturating_add(cfg.delay_ms) {
                    in_flight += 1;
                    plan.wake_at(ran_at.saturating_add(cfg.delay_ms));
                }
                if now < ran_at.saturating_add(cfg.monitor_ms) {
                    settled = false;
                    plan.wake_at(ran_at.saturating_add(cfg.monitor_ms));
                }
            }
            (Some(old), None) => {
                settled = false;
                if !s.busy {
                    candidates.push((s, old));
                }
            }
            _ => {}
        }
    }
    let capacity = if cfg.parallelism == 0 {
        usize::MAX
    } else {
        usize::try_from(cfg.parallelism)
            .unwrap_or(usize::MAX)
            .saturating_sub(in_flight)
    };
    for (s, old) in candidates.iter().take(capacity) {
        let stop_first = cfg.order == UpdateOrder::StopFirst;
        if stop_first || old.status.state.is_terminal() {
            plan.push(Action::ShutdownTask {
                task_id: old.id.clone(),
                reason: Reason::Update,
            });
        }
        // Stop-first with a container still up: the slot is refilled (`slots::tend`) once
        // the old task is observed stopped, so old and new never run at once.
        if !stop_first || old.status.state.is_terminal() || old.status.state < TaskState::Assigned {
            plan.push(Action::CreateTask {
                key: s.key.clone(),
                service_version: input.service.version,
                reason: Reason::Update,
            });
        }
    }
    if candidates.is_empty() && in_flight == 0 && settled {
        plan.push(Action::SetUpdateStatus(UpdateStatus {
            state: if rollback {
                UpdateState::RollbackCompleted
            } else {
                UpdateState::Completed
            },
            started_at_ms: started_at,
            completed_at_ms: Some(now),
            message: if rollback {
                "rollback completed".into()
            } else {
                "update completed".into()
            },
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs() {
        let mut spec = ServiceSpec::default();
        assert_eq!(effective_config(&spec, false).parallelism, 1);
        assert_eq!(effective_config(&spec, true).monitor_ms, DEFAULT_MONITOR_MS);
        spec.rollback_config = Some(UpdateConfig {
            parallelism: 4,
            ..Default::default()
        });
        assert_eq!(effective_config(&spec, true).parallelism, 4);
        assert_eq!(effective_config(&spec, false).parallelism, 1);
    }
}
