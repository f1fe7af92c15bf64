//! The restart supervisor: table-driven decisions, and delays through the whole loop.

mod common;

use common::{replicated, Sim};
use swarm_api::restart::{RestartCondition, RestartPolicy};
use swarm_api::task::{Task, TaskState};
use swarm_reconcile::restart::{decide, Decision};
use swarm_reconcile::{Action, Reason};

fn task(id: &str, state: TaskState, exit_at: u64) -> Task {
    let mut t = swarm_testkit::task(id, "svc1", "", state);
    t.service_name = "web".into();
    t.node_id = Some("n1".into());
    t.desired_state = TaskState::Shutdown;
    t.status.timestamp_ms = exit_at;
    (t.created_at_ms, t.updated_at_ms) = (exit_at.saturating_sub(1), exit_at);
    t
}

fn policy(condition: RestartCondition, max: Option<u64>, window_ms: u64) -> RestartPolicy {
    RestartPolicy {
        condition,
        delay_ms: 500,
        max_attempts: max,
        window_ms,
    }
}

#[test]
fn decisions() {
    use RestartCondition::{Any, OnFailure};
    const NEVER: RestartCondition = RestartCondition::None;
    use TaskState::*;
    // (policy, exited state at t=100_000, earlier exits (state, time), expected)
    type Case = (RestartPolicy, TaskState, Vec<(TaskState, u64)>, Decision);
    let cases: Vec<Case> = vec![
        (
            policy(Any, None, 0),
            Failed,
            vec![],
            Decision::RestartAt(100_500),
        ),
        (
            policy(Any, None, 0),
            Complete,
            vec![],
            Decision::RestartAt(100_500),
        ),
        (policy(NEVER, None, 0), Failed, vec![], Decision::GiveUp),
        (
            policy(OnFailure, None, 0),
            Complete,
            vec![],
            Decision::GiveUp,
        ),
        (
            policy(OnFailure, None, 0),
            Failed,
            vec![],
            Decision::RestartAt(100_500),
        ),
        (
            policy(OnFailure, None, 0),
            Rejected,
            vec![],
            Decision::RestartAt(100_500),
        ),
        // max 2 attempts, unbounded window: two earlier exits = two restarts done.
        (
            policy(Any, Some(2), 0),
            Failed,
            vec![(Failed, 10), (Failed, 20)],
            Decision::GiveUp,
        ),
        (
            policy(Any, Some(2), 0),
            Failed,
            vec![(Failed, 10)],
            Decision::RestartAt(100_500),
        ),
        // Tasks stopped on request are not restart attempts.
        (
            policy(Any, Some(2), 0),
            Failed,
            vec![(Shutdown, 10), (Shutdown, 20), (Failed, 30)],
            Decision::RestartAt(100_500),
        ),
        // Window 10 s: only exits since t=90_000 count.
        (
            policy(Any, Some(2), 10_000),
            Failed,
            vec![(Failed, 50_000), (Failed, 89_999), (Failed, 95_000)],
            Decision::RestartAt(100_500),
        ),
        (
            policy(Any, Some(2), 10_000),
            Failed,
            vec![(Failed, 90_000), (Failed, 95_000)],
            Decision::GiveUp,
        ),
        // max_attempts 0 is unlimited (swarmkit, Docker CLI).
        (
            policy(Any, Some(0), 0),
            Failed,
            vec![(Failed, 10), (Failed, 20)],
            Decision::RestartAt(100_500),
        ),
    ];
    for (i, (p, state, earlier, want)) in cases.into_iter().enumerate() {
        let mut exited = task("now", state, 100_000);
        exited.desired_state = TaskState::Running;
        let hist: Vec<Task> = earlier
            .iter()
            .enumerate()
            .map(|(j, (s, at))| task(&format!("old{j}"), *s, *at))
            .collect();
        let mut refs: Vec<&Task> = hist.iter().collect();
        refs.push(&exited);
        assert_eq!(decide(&p, &exited, &refs), want, "case {i}");
    }
}

#[test]
fn restart_waits_for_the_delay_then_gives_up_after_max_attempts() {
    let mut s = replicated("crash:v1", 1);
    s.task.restart_policy = RestartPolicy {
        condition: RestartCondition::OnFailure,
        delay_ms: 5_000,
        max_attempts: Some(3),
        window_ms: 3_600_000,
    };
    let mut sim = Sim::new(s, &["n1"]);
    sim.failing_images.insert("crash:v1".into());
    let mut restarts = 0;
    for _ in 0..200 {
        let plan = sim.step(1_000);
        for a in &plan.actions {
            if let Action::CreateTask {
                reason: Reason::Restart,
                ..
            } = a
            {
                restarts += 1;
                // Each restart happens at least 5 s after the previous exit.
                let last_exit = sim
                    .tasks
                    .iter()
                    .filter(|t| t.status.state == TaskState::Failed)
                    .map(|t| t.status.timestamp_ms)
                    .max()
                    .unwrap();
                assert!(sim.now - 1_000 >= last_exit + 5_000);
            }
        }
        if let Some(w) = plan.wake_at_ms {
            assert!(w > sim.now - 1_000, "wake-up in the future");
        }
    }
    assert_eq!(restarts, 3);
    // The last task is retired: desired COMPLETE, the slot is not refilled.
    let live: Vec<&Task> = sim
        .tasks
        .iter()
        .filter(|t| t.desired_state <= TaskState::Complete)
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].desired_state, TaskState::Complete);
    assert!(sim.plan().is_empty());
    // History keeps enough tasks to count the attempts (max_attempts + 1).
    assert_eq!(sim.tasks.len(), 4);
}

#[test]
fn window_counts_only_recent_exits() {
    // (restart delay, expected restarts in 100 s): max 1 attempt within a 10 s window.
    // Exits 15 s apart never see an earlier exit in their window: restarts go on forever.
    // Exits 1 s apart: the second exit sees the first, the supervisor gives up for good.
    for (delay_ms, want) in [(15_000u64, 6usize), (0, 1)] {
        let mut s = replicated("crash:v1", 1);
        s.task.restart_policy = RestartPolicy {
            condition: RestartCondition::Any,
            delay_ms,
            max_attempts: Some(1),
            window_ms: 10_000,
        };
        let mut sim = Sim::new(s, &["n1"]);
        sim.failing_images.insert("crash:v1".into());
        let mut restarts = 0;
        for _ in 0..100 {
            let plan = sim.step(1_000);
            restarts += plan
                .actions
                .iter()
                .filter(|a| {
                    matches!(
                        a,
                        Action::CreateTask {
                            reason: Reason::Restart,
                            ..
                        }
                    )
                })
                .count();
        }
        assert_eq!(restarts, want, "delay {delay_ms}");
        let retired = sim
            .tasks
            .iter()
            .any(|t| t.desired_state == TaskState::Complete);
        assert_eq!(retired, want == 1, "delay {delay_ms}");
    }
}

#[test]
fn completed_task_with_on_failure_is_not_restarted() {
    let mut s = replicated("job:v1", 2);
    s.task.restart_policy.condition = RestartCondition::OnFailure;
    let mut sim = Sim::new(s, &["n1"]);
    sim.converge(100, 20);
    let now = sim.now;
    for t in &mut sim.tasks {
        t.status.state = TaskState::Complete;
        t.status.exit_code = Some(0);
        t.status.timestamp_ms = now;
    }
    let plan = sim.plan();
    assert_eq!(plan.actions.len(), 2);
    assert!(plan
        .actions
        .iter()
        .all(|a| matches!(a, Action::RetireTask { .. })));
    sim.apply(&plan);
    assert!(sim.plan().is_empty());
}
