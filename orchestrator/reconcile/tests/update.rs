//! The rolling updater over a simulated cluster: batches, failure actions, rollback,
//! start-first, --force, and resumption by a new leader from the stored state alone.

mod common;

use std::collections::BTreeMap;

use common::{replicated, update_config, Sim};
use swarm_api::service::{FailureAction, Service, UpdateConfig, UpdateOrder, UpdateState};
use swarm_api::task::{Task, TaskState};
use swarm_reconcile::{rollback, Action, Reason, SlotKey};

const REPLICAS: u64 = 6;

/// Six v1 replicas running on three nodes.
fn running_v1(cfg: UpdateConfig) -> Sim {
    let mut s = replicated("web:v1", REPLICAS);
    s.update_config = Some(cfg);
    s.rollback_config = Some(cfg);
    let mut sim = Sim::new(s, &["n1", "n2", "n3"]);
    sim.converge(1_000, 20);
    assert_eq!(sim.running_with_image("web:v1"), REPLICAS as usize);
    sim
}

/// Slots without a running task.
fn down(sim: &Sim) -> usize {
    let mut up = std::collections::BTreeSet::new();
    for t in sim
        .active()
        .filter(|t| t.status.state == TaskState::Running)
    {
        up.insert(t.slot.unwrap());
    }
    REPLICAS as usize - up.len()
}

fn state(sim: &Sim) -> Option<UpdateState> {
    sim.service.update_status.as_ref().map(|s| s.state)
}

/// Steps until the update status is `until` (checking `check` after every phase), at most
/// `max` steps of `tick` ms. Returns the number of steps.
fn run_until(
    sim: &mut Sim,
    until: UpdateState,
    tick: u64,
    max: usize,
    mut check: impl FnMut(&Sim),
) -> usize {
    for i in 0..max {
        let plan = sim.plan();
        sim.apply(&plan);
        check(sim);
        sim.schedule();
        check(sim);
        sim.agents();
        check(sim);
        if state(sim) == Some(until) {
            return i;
        }
        sim.now += tick;
    }
    panic!(
        "not {until:?} after {max} steps: {:#?}",
        sim.service.update_status
    );
}

fn update_creates(log: &[Action]) -> Vec<SlotKey> {
    log.iter()
        .filter_map(|a| match a {
            Action::CreateTask {
                key,
                reason: Reason::Update,
                ..
            } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn parallelism_two_never_has_more_than_two_down() {
    let mut sim = running_v1(update_config(2, 10_000, 5_000));
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    let mut max_down = 0;
    let mut create_times = Vec::new();
    let start = sim.now;
    let mut last_log = sim.log.len();
    run_until(&mut sim, UpdateState::Completed, 1_000, 200, |sim| {
        max_down = max_down.max(down(sim));
        assert!(down(sim) <= 2, "{} slots down at {}", down(sim), sim.now);
        for a in &sim.log[last_log..] {
            if let Action::CreateTask {
                reason: Reason::Update,
                ..
            } = a
            {
                create_times.push(sim.now);
            }
        }
        last_log = sim.log.len();
    });
    assert_eq!(max_down, 2, "the roll used its parallelism");
    assert_eq!(sim.running_with_image("web:v2"), REPLICAS as usize);
    assert_eq!(sim.running(), REPLICAS as usize);
    // Each slot replaced exactly once, two at a time, 10 s apart.
    let mut slots = update_creates(&sim.log);
    slots.sort();
    assert_eq!(
        slots,
        (1..=REPLICAS).map(SlotKey::Replica).collect::<Vec<_>>()
    );
    assert_eq!(create_times.len(), 6);
    for w in create_times.windows(3) {
        assert!(w[2] - w[0] >= 10_000, "batches too close: {create_times:?}");
    }
    let st = sim.service.update_status.clone().unwrap();
    assert_eq!(st.message, "update completed");
    assert_eq!(st.started_at_ms, start);
    // Completion waits for the monitor window after the last new task started.
    assert!(st.completed_at_ms.unwrap() >= create_times[5] + 5_000);
    // Converged: nothing more to do, old tasks are history.
    assert!(sim
        .plan()
        .actions
        .iter()
        .all(|a| matches!(a, Action::DeleteTask { .. })));
}

#[test]
fn failed_batch_pauses_with_the_reason() {
    let cfg = update_config(2, 3_000, 5_000);
    let mut sim = running_v1(cfg);
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    sim.failing_images.insert("web:v3".into());
    sim.update_spec(|s| s.task.container.image = "web:v3".into());
    run_until(&mut sim, UpdateState::Paused, 1_000, 100, |_| {});
    let st = sim.service.update_status.clone().unwrap();
    let failed: Vec<&Task> = sim
        .tasks
        .iter()
        .filter(|t| t.status.state == TaskState::Failed)
        .collect();
    assert!(!failed.is_empty());
    assert_eq!(
        st.message,
        format!(
            "update paused due to failure or early termination of task {}",
            failed[0].id
        )
    );
    // Only the first batch was touched: 4 slots still run v2.
    for _ in 0..30 {
        sim.step(1_000);
    }
    assert_eq!(state(&sim), Some(UpdateState::Paused));
    assert_eq!(sim.running_with_image("web:v2"), 4);
    let touched: std::collections::BTreeSet<SlotKey> =
        update_creates(&sim.log).into_iter().skip(6).collect();
    assert_eq!(touched.len(), 2, "{touched:?}");
    // `service update` with no change resumes the paused update; once v3 stops failing
    // (say its database came back) the roll finishes.
    sim.failing_images.clear();
    sim.update_spec(|_| {});
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    assert_eq!(sim.running_with_image("web:v3"), REPLICAS as usize);
    // A new update starts over from the completed state.
    sim.update_spec(|s| s.task.container.image = "web:v4".into());
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    assert_eq!(sim.running_with_image("web:v4"), REPLICAS as usize);
}

#[test]
fn failure_action_rollback_returns_to_the_previous_spec() {
    let cfg = UpdateConfig {
        failure_action: FailureAction::Rollback,
        ..update_config(2, 0, 5_000)
    };
    let mut sim = running_v1(cfg);
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    sim.failing_images.insert("web:v3".into());
    sim.update_spec(|s| s.task.container.image = "web:v3".into());
    let mut saw_rollback_started = false;
    run_until(
        &mut sim,
        UpdateState::RollbackCompleted,
        1_000,
        200,
        |sim| {
            if let Some(st) = &sim.service.update_status {
                if st.state == UpdateState::RollbackStarted {
                    saw_rollback_started = true;
                    assert!(
                        st.message.starts_with(
                            "update rolled back due to failure or early termination of task"
                        ),
                        "{}",
                        st.message
                    );
                }
            }
        },
    );
    assert!(saw_rollback_started);
    assert_eq!(sim.service.spec.task.container.image, "web:v2");
    assert!(sim.service.previous_spec.is_none());
    assert_eq!(
        sim.service.update_status.as_ref().unwrap().message,
        "rollback completed"
    );
    // Let the rolled-back tasks settle: all v2 and stable.
    sim.converge(1_000, 50);
    assert_eq!(sim.running_with_image("web:v2"), REPLICAS as usize);
    assert_eq!(state(&sim), Some(UpdateState::RollbackCompleted));
}

#[test]
fn failure_action_continue_goes_through_every_slot() {
    let cfg = UpdateConfig {
        failure_action: FailureAction::Continue,
        ..update_config(2, 0, 1_000)
    };
    let mut sim = running_v1(cfg);
    sim.failing_images.insert("web:v3".into());
    sim.update_spec(|s| s.task.container.image = "web:v3".into());
    run_until(&mut sim, UpdateState::Completed, 1_000, 300, |_| {});
    let mut slots: Vec<SlotKey> = update_creates(&sim.log);
    slots.sort();
    slots.dedup();
    assert_eq!(slots.len(), REPLICAS as usize);
    assert_eq!(sim.running_with_image("web:v1"), 0);
}

#[test]
fn start_first_keeps_full_capacity() {
    let cfg = UpdateConfig {
        order: UpdateOrder::StartFirst,
        ..update_config(2, 0, 2_000)
    };
    let mut sim = running_v1(cfg);
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    let mut max_running = 0;
    run_until(&mut sim, UpdateState::Completed, 1_000, 200, |sim| {
        assert_eq!(down(sim), 0, "a slot went down at {}", sim.now);
        max_running = max_running.max(sim.running());
    });
    assert!(
        max_running > REPLICAS as usize,
        "new tasks overlapped old ones"
    );
    assert!(max_running <= REPLICAS as usize + 2, "at most 2 extra");
    sim.converge(1_000, 50);
    assert_eq!(sim.running_with_image("web:v2"), REPLICAS as usize);
    assert_eq!(sim.running(), REPLICAS as usize);
}

#[test]
fn force_replaces_every_task_once() {
    let mut sim = running_v1(update_config(3, 0, 0));
    let before: Vec<String> = sim.active().map(|t| t.id.clone()).collect();
    sim.update_spec(|s| s.task.force_update += 1);
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    sim.converge(1_000, 50);
    let after: Vec<String> = sim.active().map(|t| t.id.clone()).collect();
    assert_eq!(after.len(), REPLICAS as usize);
    assert!(after.iter().all(|id| !before.contains(id)));
    let mut slots = update_creates(&sim.log);
    slots.sort();
    assert_eq!(
        slots,
        (1..=REPLICAS).map(SlotKey::Replica).collect::<Vec<_>>()
    );
}

#[test]
fn manual_rollback_swaps_specs_and_completes() {
    let mut sim = running_v1(update_config(2, 0, 0));
    let err = rollback::manual(&sim.service, sim.now).unwrap_err();
    assert!(err.to_string().contains("has no previous spec"), "{err}");
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    run_until(&mut sim, UpdateState::Completed, 1_000, 100, |_| {});
    let r = rollback::manual(&sim.service, sim.now).unwrap();
    assert_eq!(r.spec.task.container.image, "web:v1");
    assert_eq!(
        r.previous_spec.as_ref().unwrap().task.container.image,
        "web:v2"
    );
    assert_eq!(r.update_status.message, "manually requested rollback");
    sim.service.spec = r.spec;
    sim.service.previous_spec = r.previous_spec;
    sim.service.version += 1;
    sim.service.update_status = Some(r.update_status);
    run_until(
        &mut sim,
        UpdateState::RollbackCompleted,
        1_000,
        100,
        |sim| {
            assert!(down(sim) <= 2);
        },
    );
    sim.converge(1_000, 50);
    assert_eq!(sim.running_with_image("web:v1"), REPLICAS as usize);
}

/// What the store holds (service with its update status, tasks): a new leader reads only this.
fn persist(sim: &Sim) -> String {
    serde_json::to_string(&(&sim.service, &sim.tasks)).unwrap()
}

fn restore(stored: &str, old: &Sim) -> Sim {
    let (service, tasks): (Service, Vec<Task>) = serde_json::from_str(stored).unwrap();
    let mut sim = Sim::new(service.spec.clone(), &[]);
    sim.service = service;
    sim.tasks = tasks;
    sim.nodes = old.nodes.clone();
    sim.now = old.now;
    sim.next_id = 1_000;
    sim
}

#[test]
fn a_new_leader_resumes_the_update_from_the_store() {
    let mut sim = running_v1(update_config(2, 3_000, 2_000));
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    // Run part of the update: until at least 2 slots and at most 4 are on v2.
    let mut steps = 0;
    while sim.running_with_image("web:v2") < 2 || update_creates(&sim.log).len() < 4 {
        sim.step(1_000);
        steps += 1;
        assert!(steps < 100);
    }
    assert_eq!(state(&sim), Some(UpdateState::Updating));
    let first_leader_creates = update_creates(&sim.log);
    assert!(first_leader_creates.len() < REPLICAS as usize);
    // The leader dies; the next one has only the replicated state.
    let mut next = restore(&persist(&sim), &sim);
    drop(sim);
    run_until(&mut next, UpdateState::Completed, 1_000, 200, |sim| {
        assert!(down(sim) <= 2);
    });
    next.converge(1_000, 50);
    assert_eq!(next.running_with_image("web:v2"), REPLICAS as usize);
    // Together the two leaders replaced every slot exactly once.
    let mut all = first_leader_creates;
    all.extend(update_creates(&next.log));
    all.sort();
    assert_eq!(
        all,
        (1..=REPLICAS).map(SlotKey::Replica).collect::<Vec<_>>()
    );
}

#[test]
fn scaling_during_an_update_creates_new_slots_with_the_new_spec() {
    let mut sim = running_v1(update_config(1, 0, 0));
    sim.update_spec(|s| {
        s.task.container.image = "web:v2".into();
        s.mode = swarm_api::service::ServiceMode::Replicated { replicas: 8 };
    });
    let plan = sim.plan();
    let reasons: BTreeMap<Reason, usize> = plan.actions.iter().fold(BTreeMap::new(), |mut m, a| {
        if let Action::CreateTask { reason, .. } = a {
            *m.entry(*reason).or_insert(0) += 1;
        }
        m
    });
    assert_eq!(reasons.get(&Reason::Missing), Some(&2));
    // Stop-first: the first old task is told to stop; its replacement comes once it stopped.
    assert_eq!(reasons.get(&Reason::Update), None);
    let update_stops = plan
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::ShutdownTask {
                    reason: Reason::Update,
                    ..
                }
            )
        })
        .count();
    assert_eq!(update_stops, 1);
    sim.apply(&plan);
    sim.converge(1_000, 100);
    assert_eq!(sim.running_with_image("web:v2"), 8);
    assert_eq!(state(&sim), Some(UpdateState::Completed));
}

#[test]
fn a_failing_rollback_pauses() {
    let cfg = UpdateConfig {
        failure_action: FailureAction::Rollback,
        ..update_config(2, 3_000, 5_000)
    };
    let mut sim = running_v1(cfg);
    // Both images fail from now on: the update rolls back, and the rollback fails too.
    sim.failing_images.insert("web:v1".into());
    sim.failing_images.insert("web:v2".into());
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    run_until(&mut sim, UpdateState::RollbackPaused, 1_000, 200, |_| {});
    let st = sim.service.update_status.clone().unwrap();
    assert!(
        st.message
            .starts_with("rollback paused due to failure or early termination of task"),
        "{}",
        st.message
    );
    assert_eq!(sim.service.spec.task.container.image, "web:v1");
    // Paused stays paused: no more update creates.
    let creates = update_creates(&sim.log).len();
    for _ in 0..20 {
        sim.step(1_000);
    }
    assert_eq!(update_creates(&sim.log).len(), creates);
    assert_eq!(state(&sim), Some(UpdateState::RollbackPaused));
}

/// Steps through a whole update whose stops take `stop_ms` (SIGTERM ignored, the grace
/// period runs out); returns the most containers seen running at once and the update creates.
fn update_with_slow_stops(order: UpdateOrder, parallelism: u64, stop_ms: u64) -> (usize, Sim) {
    let cfg = UpdateConfig {
        order,
        ..update_config(parallelism, 0, 1_000)
    };
    let mut sim = running_v1(cfg);
    sim.stop_ms = stop_ms;
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    let mut most = 0;
    run_until(&mut sim, UpdateState::Completed, 500, 400, |sim| {
        most = most.max(sim.containers_running());
    });
    sim.converge(500, 100);
    assert_eq!(sim.running_with_image("web:v2"), REPLICAS as usize);
    assert_eq!(sim.containers_running(), REPLICAS as usize);
    (most, sim)
}

#[test]
fn stop_first_starts_a_replacement_only_once_the_old_task_stopped() {
    let (most, sim) = update_with_slow_stops(UpdateOrder::StopFirst, 2, 3_000);
    assert_eq!(
        most, REPLICAS as usize,
        "stop-first ran old and new containers of a slot at once"
    );
    // Each replacement was created after its slot's old task was observed stopped.
    for new in sim
        .tasks
        .iter()
        .filter(|t| t.spec.container.image == "web:v2")
    {
        let old = sim
            .tasks
            .iter()
            .find(|t| t.slot == new.slot && t.spec.container.image == "web:v1")
            .unwrap();
        assert_eq!(old.status.state, TaskState::Shutdown);
        assert!(
            old.status.timestamp_ms <= new.created_at_ms,
            "slot {:?}: v2 created at {} before v1 stopped at {}",
            new.slot,
            new.created_at_ms,
            old.status.timestamp_ms
        );
    }
    let mut slots = update_creates(&sim.log);
    slots.sort();
    assert_eq!(
        slots,
        (1..=REPLICAS).map(SlotKey::Replica).collect::<Vec<_>>(),
        "every slot replaced once, as an update"
    );
}

#[test]
fn start_first_overlap_is_bounded_by_parallelism_even_when_stops_are_slow() {
    let (most, _) = update_with_slow_stops(UpdateOrder::StartFirst, 2, 3_000);
    assert!(most > REPLICAS as usize, "start-first overlapped: {most}");
    assert!(
        most <= REPLICAS as usize + 2,
        "{most} containers ran at once with parallelism 2"
    );
}

#[test]
fn a_stopping_task_on_a_silent_node_is_given_up_on_after_the_stop_wait() {
    let mut sim = running_v1(update_config(1, 0, 0));
    // The agents never report the stop (as if the node went silent without being marked down).
    sim.stop_ms = u64::MAX / 2;
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    sim.step(1_000);
    let t0 = sim.now;
    // Nothing new for the stopping slot until the wait ends; then its replacement comes.
    while sim.now < t0 + swarm_reconcile::slots::STOP_WAIT_MS - 2_000 {
        sim.step(1_000);
        assert_eq!(sim.running_with_image("web:v2"), 0, "at {}", sim.now);
    }
    for _ in 0..10 {
        sim.step(1_000);
    }
    assert_eq!(sim.running_with_image("web:v2"), 1);
}
