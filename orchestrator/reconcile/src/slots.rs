//! Task classification and the per-slot housekeeping shared by both orchestrators.
//!
//! A *slot* is what one task fills: a replica number or, for global services, a node. A slot
//! keeps its history: every task ever made for it until the history is trimmed.
//!
//! Task classes (derived from the stored desired and observed states only):
//! - *live*: desired state RUNNING (or COMPLETE: the restart policy gave up; the slot stays
//!   filled). A task with desired SHUTDOWN is history, whatever the agent last reported.
//! - *exited*: live with desired RUNNING but observed terminal — it stopped on its own and
//!   waits for the restart supervisor.
//! - *dirty*: made from another task template or endpoint than the service's current spec
//!   (swarmkit's `IsTaskDirty`: image, env, labels, mounts, resources, restart policy,
//!   placement, command, ports or the `--force` counter). Changing only replicas does not
//!   make tasks dirty.
//! - *stopping*: told to stop (desired SHUTDOWN) while its container may still run (observed
//!   ASSIGNED..RUNNING on a node that still reports). A slot with a stopping task is not
//!   refilled until the task is observed terminal (or [`STOP_WAIT_MS`] passed): this is what
//!   makes a stop-first update stop first (swarmkit's `DelayStart(..., waitStop=true)`).

use swarm_api::service::ServiceSpec;
use swarm_api::task::{Task, TaskState};

use crate::action::{Action, Plan, Reason, SlotKey};
use crate::restart::{self, Decision};

/// How long a slot waits for a stopping task before it is refilled anyway (swarmkit's
/// `defaultOldTaskTimeout`): a node that stopped reporting but is not marked down yet.
pub const STOP_WAIT_MS: u64 = 60_000;

/// Desired RUNNING, or COMPLETE after the restart policy gave up.
pub fn is_live(t: &Task) -> bool {
    t.desired_state <= TaskState::Complete
}

/// Should run but was observed terminal: it exited on its own.
pub fn is_exited(t: &Task) -> bool {
    t.desired_state == TaskState::Running && t.status.state.is_terminal()
}

/// Told to stop, and its container may still run: desired SHUTDOWN (or beyond), observed
/// between ASSIGNED and RUNNING. Whether its node still reports is the caller's question.
pub fn is_stopping(t: &Task) -> bool {
    t.desired_state >= TaskState::Shutdown
        && t.status.state >= TaskState::Assigned
        && !t.status.state.is_terminal()
}

/// Why an empty slot is refilled: [`Reason::Update`] when its newest task was made from an
/// older spec (a stop-first update stopped it), else [`Reason::Missing`].
pub fn refill_reason(history: &[&Task], spec: &ServiceSpec) -> Reason {
    let newest = history
        .iter()
        .max_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
    match newest {
        Some(t) if is_dirty(t, spec) => Reason::Update,
        _ => Reason::Missing,
    }
}

/// Whether a service spec change needs new tasks (a rollout) rather than just a rescale.
pub fn needs_new_tasks(old: &ServiceSpec, new: &ServiceSpec) -> bool {
    old.task != new.task || old.endpoint != new.endpoint
}

/// The task was made from another template than `spec`'s.
pub fn is_dirty(t: &Task, spec: &ServiceSpec) -> bool {
    t.spec != spec.task || t.endpoint != spec.endpoint
}

/// What the updater needs to know about one slot after housekeeping.
#[derive(Debug, Clone)]
pub struct UpdSlot<'a> {
    /// The slot.
    pub key: SlotKey,
    /// A running-intent task of an old spec (running, starting, or exited and waiting for
    /// its restart).
    pub dirty: Option<&'a Task>,
    /// A running-intent task of the current spec (the newest one).
    pub fresh: Option<&'a Task>,
    /// A restart is pending in this slot: the updater leaves it alone.
    pub busy: bool,
    /// The slot is between two tasks: an old one is still stopping, or its replacement is
    /// created by this plan. The updater counts it in flight.
    pub changing: bool,
}

/// How housekeeping treats a slot's tasks.
#[derive(Clone, Copy)]
pub struct SlotRules<'f> {
    /// A live, not exited task on a lost node is replaced (replicated services).
    pub node_lost: &'f dyn Fn(&Task) -> bool,
    /// The task's node is down or gone: a stopping task there will never report its end.
    pub node_dead: &'f dyn Fn(&Task) -> bool,
    /// Exited tasks may be restarted here (false on a paused node of a global service).
    pub may_create: bool,
    /// The service's current spec.
    pub spec: &'f ServiceSpec,
    /// The service version new tasks get.
    pub version: u64,
    /// Now.
    pub now_ms: u64,
}

/// The earliest time a slot may be refilled when one of its tasks is still stopping on a
/// node that reports (`None`: nothing to wait for).
pub fn stop_wait_until(history: &[&Task], rules: &SlotRules<'_>) -> Option<u64> {
    history
        .iter()
        .filter(|t| is_stopping(t) && !(rules.node_dead)(t))
        .map(|t| t.updated_at_ms.saturating_add(STOP_WAIT_MS))
        .filter(|until| *until > rules.now_ms)
        .min()
}

/// Housekeeping of one kept slot: restart exited tasks (restart policy), replace tasks on lost
/// nodes, refill an empty slot once no task of it is stopping, drop duplicate tasks. Returns
/// the slot as the updater sees it.
pub fn tend<'a>(
    key: &SlotKey,
    history: &[&'a Task],
    rules: &SlotRules<'_>,
    plan: &mut Plan,
) -> UpdSlot<'a> {
    let mut running: Vec<&'a Task> = Vec::new();
    let mut create: Option<Reason> = None;
    let mut waiting = false;
    let mut waiting_dirty: Option<&'a Task> = None;
    let mut retired = false;
    for &t in history.iter().filter(|t| is_live(t)) {
        if t.desired_state == TaskState::Complete {
            retired = true;
        } else if is_exited(t) {
            if !rules.may_create {
                waiting = true;
                continue;
            }
            match restart::decide(&t.spec.restart_policy, t, history) {
                Decision::RestartAt(at) if at <= rules.now_ms => {
                    plan.push(Action::ShutdownTask {
                        task_id: t.id.clone(),
                        reason: Reason::Restart,
                    });
                    create = create.or(Some(Reason::Restart));
                }
                Decision::RestartAt(at) => {
                    plan.wake_at(at);
                    waiting = true;
                    if is_dirty(t, rules.spec) {
                        waiting_dirty = Some(t);
                    }
                }
                Decision::GiveUp => {
                    plan.push(Action::RetireTask {
                        task_id: t.id.clone(),
                    });
                    retired = true;
                }
            }
        } else if (rules.node_lost)(t) {
            plan.push(Action::ShutdownTask {
                task_id: t.id.clone(),
                reason: Reason::NodeLost,
            });
            create = Some(Reason::NodeLost);
        } else {
            running.push(t);
        }
    }
    let mut slot = UpdSlot {
        key: key.clone(),
        dirty: None,
        fresh: None,
        busy: waiting,
        changing: false,
    };
    if running.is_empty() {
        if let Some(until) = stop_wait_until(history, rules) {
            // Stop first: the replacement starts once the old container is gone.
            plan.wake_at(until);
            slot.changing = true;
            return slot;
        }
        let refill = refill_reason(history, rules.spec);
        let reason = create.or((!waiting && !retired).then_some(refill));
        if let (Some(reason), true) = (reason, rules.may_create) {
            slot.changing = reason == Reason::Update;
            plan.push(Action::CreateTask {
                key: key.clone(),
                service_version: rules.version,
                reason,
            });
        }
        // An exited task of an old spec waiting for its restart delay: the updater may
        // replace it right away (swarmkit's updater takes such slots too).
        slot.dirty = waiting_dirty.filter(|_| create.is_none() && !retired);
        slot.busy = slot.dirty.is_none();
        return slot;
    }
    // Newest first: the newest fresh task and the newest dirty task are kept; any other
    // running-intent task of the slot is superseded (left over from an interrupted step).
    running.sort_by(|a, b| (b.created_at_ms, &b.id).cmp(&(a.created_at_ms, &a.id)));
    for t in running {
        let keep = if is_dirty(t, rules.spec) {
            &mut slot.dirty
        } else {
            &mut slot.fresh
        };
        if keep.is_none() {
            *keep = Some(t);
        } else {
            plan.push(Action::ShutdownTask {
                task_id: t.id.clone(),
                reason: Reason::Superseded,
            });
        }
    }
    // A start-first replacement runs: the old task goes (even if the update paused since).
    // The slot stays in flight until the old container is gone, so that start-first runs at
    // most `parallelism` extra tasks.
    if let (Some(old), Some(new)) = (slot.dirty, slot.fresh) {
        if new.status.state == TaskState::Running {
            plan.push(Action::ShutdownTask {
                task_id: old.id.clone(),
                reason: Reason::Update,
            });
            slot.dirty = None;
            slot.changing = true;
        }
    }
    if let Some(until) = stop_wait_until(history, rules) {
        plan.wake_at(until);
        slot.changing = true;
    }
    slot
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_api::constraint::Constraint;

    #[test]
    fn which_changes_need_new_tasks() {
        let base = ServiceSpec {
            name: "web".into(),
            ..Default::default()
        };
        type Change = fn(&mut ServiceSpec);
        // (change, needs new tasks)
        let cases: Vec<(&str, Change, bool)> = vec![
            (
                "replicas",
                |s| s.mode = swarm_api::service::ServiceMode::Replicated { replicas: 9 },
                false,
            ),
            (
                "service label",
                |s| {
                    s.labels.insert("a".into(), "b".into());
                },
                false,
            ),
            (
                "update config",
                |s| s.update_config = Some(Default::default()),
                false,
            ),
            ("image", |s| s.task.container.image = "web:v2".into(), true),
            ("env", |s| s.task.container.env.push("A=1".into()), true),
            (
                "container label",
                |s| {
                    s.task.container.labels.insert("a".into(), "b".into());
                },
                true,
            ),
            (
                "command",
                |s| s.task.container.command = vec!["sh".into()],
                true,
            ),
            (
                "resources",
                |s| s.task.resources.limits.memory_bytes = 1 << 20,
                true,
            ),
            (
                "constraint",
                |s| {
                    s.task
                        .placement
                        .constraints
                        .push(Constraint::parse("node.role==worker").unwrap())
                },
                true,
            ),
            ("force", |s| s.task.force_update += 1, true),
            (
                "ports",
                |s| {
                    s.endpoint
                        .ports
                        .push(swarm_api::publish::PortConfig::parse("80:80").unwrap())
                },
                true,
            ),
        ];
        for (name, change, want) in cases {
            let mut new = base.clone();
            change(&mut new);
            assert_eq!(needs_new_tasks(&base, &new), want, "{name}");
        }
    }
}
