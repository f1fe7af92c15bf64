//! The replicated orchestrator: keep exactly `replicas` slots.
//!
//! swarmkit (`orchestrator/replicated`): a slot is live while one of its tasks should run.
//! Too few live slots → new slots (reusing free slot numbers); too many → the extra slots are
//! shut down, preferring tasks on the nodes that run the most tasks of the service (counting
//! each task as the 1st, 2nd, ... copy on its node and removing the highest counts first) and,
//! between equals, tasks that are not running yet; tasks not placed on a node go first. Tasks
//! on nodes that are down or drained are shut down and their slot gets a new task, which the
//! scheduler places elsewhere.
//!
//! Differences: scale-down sets desired state SHUTDOWN (swarmkit has a separate REMOVE state);
//! ties are broken by slot number so the result is deterministic; a node-loss replacement does
//! not go through the restart policy (swarmkit's restart condition `none` leaves tasks of a
//! down node alone; the issue asks for them to be rescheduled).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use swarm_api::task::{Task, TaskState};

use crate::action::{Action, Plan, Reason, SlotKey};
use crate::error::ReconcileError;
use crate::slots::{is_live, refill_reason, stop_wait_until, tend, SlotRules, UpdSlot};
use crate::view::{ClusterView, Nodes};

/// The tasks of a replicated service grouped by slot number.
pub fn by_slot<'a>(view: &ClusterView<'a>) -> Result<BTreeMap<u64, Vec<&'a Task>>, ReconcileError> {
    let mut slots: BTreeMap<u64, Vec<&'a Task>> = BTreeMap::new();
    for t in view.tasks {
        let slot = t.slot.ok_or_else(|| ReconcileError::MissingSlot {
            task: t.id.clone(),
            service: view.service.spec.name.clone(),
        })?;
        slots.entry(slot).or_default().push(t);
    }
    Ok(slots)
}

/// Chooses which of `live` slots to keep when scaling down to `replicas`.
pub fn choose_kept(live: &BTreeMap<u64, &Vec<&Task>>, replicas: usize) -> BTreeSet<u64> {
    struct Cand<'a> {
        slot: u64,
        node: Option<&'a str>,
        running: bool,
        index: usize,
    }
    let mut cands: Vec<Cand> = live
        .iter()
        .map(|(slot, tasks)| {
            let active: Vec<&&Task> = tasks
                .iter()
                .filter(|t| t.desired_state == TaskState::Running)
                .collect();
            let node = match active.as_slice() {
                [t] => t.node_id.as_deref(),
                _ => None,
            };
            let running = active.iter().any(|t| t.status.state == TaskState::Running);
            Cand {
                slot: *slot,
                node,
                running,
                index: usize::MAX,
            }
        })
        .collect();
    cands.sort_by_key(|c| !c.running);
    let mut per_node: HashMap<&str, usize> = HashMap::new();
    for c in &mut cands {
        if let Some(n) = c.node {
            let count = per_node.entry(n).or_default();
            *count += 1;
            c.index = *count;
        }
    }
    cands.sort_by_key(|c| c.index);
    cands.iter().take(replicas).map(|c| c.slot).collect()
}

/// Scales, replaces lost tasks and restarts exited ones; returns the kept slots for the
/// updater. `slots` are all stored tasks by slot (see [`by_slot`]).
pub fn orchestrate<'a>(
    view: &ClusterView<'a>,
    replicas: u64,
    slots: &BTreeMap<u64, Vec<&'a Task>>,
    nodes: &Nodes,
    plan: &mut Plan,
) -> (Vec<UpdSlot<'a>>, BTreeSet<u64>) {
    let replicas = usize::try_from(replicas).unwrap_or(usize::MAX);
    let node_lost = |t: &Task| nodes.is_lost(t.node_id.as_deref());
    let node_dead = |t: &Task| nodes.is_dead(t.node_id.as_deref());
    let rules = SlotRules {
        node_lost: &node_lost,
        node_dead: &node_dead,
        may_create: true,
        spec: &view.service.spec,
        version: view.service.version,
        now_ms: view.now_ms,
    };
    // A slot whose task is still stopping stays occupied: it is refilled (by `tend`) once the
    // old container is gone, not reused at once.
    let live: BTreeMap<u64, &Vec<&'a Task>> = slots
        .iter()
        .filter(|(_, ts)| ts.iter().any(|t| is_live(t)) || stop_wait_until(ts, &rules).is_some())
        .map(|(s, ts)| (*s, ts))
        .collect();
    let kept: BTreeSet<u64> = if live.len() > replicas {
        let kept = choose_kept(&live, replicas);
        for (slot, tasks) in &live {
            if kept.contains(slot) {
                continue;
            }
            for t in tasks.iter().filter(|t| is_live(t)) {
                plan.push(Action::ShutdownTask {
                    task_id: t.id.clone(),
                    reason: Reason::ScaleDown,
                });
            }
        }
        kept
    } else {
        live.keys().copied().collect()
    };
    let mut upd = Vec::with_capacity(kept.len());
    for slot in &kept {
        upd.push(tend(&SlotKey::Replica(*slot), live[slot], &rules, plan));
    }
    let mut all = kept.clone();
    let mut next = 1u64;
    for _ in kept.len()..replicas {
        while live.contains_key(&next) {
            next += 1;
        }
        let history = slots.get(&next).map_or(&[][..], Vec::as_slice);
        let reason = refill_reason(history, &view.service.spec);
        plan.push(Action::CreateTask {
            key: SlotKey::Replica(next),
            service_version: view.service.version,
            reason,
        });
        if reason == Reason::Update {
            // A stop-first replacement: the updater counts it in flight.
            upd.push(UpdSlot {
                key: SlotKey::Replica(next),
                dirty: None,
                fresh: None,
                busy: true,
                changing: true,
            });
        }
        all.insert(next);
        next += 1;
    }
    (upd, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(slot: u64, node: Option<&str>, state: TaskState) -> Task {
        let mut t = swarm_testkit::task(&format!("t{slot}"), "s", "", state);
        t.service_name = "web".into();
        t.slot = Some(slot);
        t.node_id = node.map(str::to_string);
        t
    }

    #[test]
    fn scale_down_choice() {
        use TaskState::{Pending, Running, Starting};
        // (tasks as (slot, node, state), replicas, slots expected to be kept)
        type Case = (Vec<(u64, Option<&'static str>, TaskState)>, usize, Vec<u64>);
        let cases: Vec<Case> = vec![
            // 3 on a, 1 on b, keep 2: the first copy on each node is kept before any second copy.
            (
                vec![
                    (1, Some("a"), Running),
                    (2, Some("a"), Running),
                    (3, Some("a"), Running),
                    (4, Some("b"), Running),
                ],
                2,
                vec![1, 4],
            ),
            // Unplaced tasks go first.
            (
                vec![
                    (1, None, Pending),
                    (2, Some("a"), Running),
                    (3, Some("b"), Running),
                ],
                2,
                vec![2, 3],
            ),
            // Same node count: the not-yet-running one goes.
            (
                vec![(1, Some("a"), Starting), (2, Some("a"), Running)],
                1,
                vec![2],
            ),
            // Balanced 2/2/2 down to 3: one per node.
            (
                (1..=6)
                    .map(|s| (s, Some(["a", "b", "c"][(s as usize - 1) % 3]), Running))
                    .collect(),
                3,
                vec![1, 2, 3],
            ),
            (vec![(1, Some("a"), Running)], 0, vec![]),
        ];
        for (i, (tasks, replicas, want)) in cases.into_iter().enumerate() {
            let owned: Vec<Task> = tasks.iter().map(|(s, n, st)| t(*s, *n, *st)).collect();
            let slots: Vec<(u64, Vec<&Task>)> =
                owned.iter().map(|t| (t.slot.unwrap(), vec![t])).collect();
            let live: BTreeMap<u64, &Vec<&Task>> = slots.iter().map(|(s, v)| (*s, v)).collect();
            let kept: Vec<u64> = choose_kept(&live, replicas).into_iter().collect();
            assert_eq!(kept, want, "case {i}");
        }
    }
}
