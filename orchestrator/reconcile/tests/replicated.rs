//! The replicated orchestrator over a simulated cluster (real scheduler, fake agents).

mod common;

use common::{counts, replicated, Sim};
use swarm_api::task::TaskState;
use swarm_reconcile::{Action, Reason, SlotKey};
use swarm_scheduler::{Availability, NodeStatus};

fn created(plan: &swarm_reconcile::Plan) -> Vec<(SlotKey, Reason)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTask { key, reason, .. } => Some((key.clone(), *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn six_replicas_over_three_nodes_land_two_each() {
    let mut sim = Sim::new(replicated("web:v1", 6), &["n1", "n2", "n3"]);
    let plan = sim.plan();
    let keys: Vec<_> = created(&plan).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, (1..=6).map(SlotKey::Replica).collect::<Vec<_>>());
    sim.converge(100, 20);
    assert_eq!(
        sim.running_per_node(),
        counts(&[("n1", 2), ("n2", 2), ("n3", 2)])
    );
    // Converged: nothing more to do.
    assert!(sim.plan().is_empty());
}

#[test]
fn drain_moves_tasks_and_pause_takes_no_new_ones() {
    let mut sim = Sim::new(replicated("web:v1", 6), &["n1", "n2", "n3"]);
    sim.converge(100, 20);
    sim.node_mut("n2").availability = Availability::Pause;
    sim.drain("n3");
    let plan = sim.plan();
    let moved: Vec<_> = created(&plan)
        .into_iter()
        .filter(|(_, r)| *r == Reason::NodeLost)
        .collect();
    assert_eq!(moved.len(), 2, "{plan:#?}");
    sim.converge(100, 20);
    // n3 drained, n2 paused keeps its two: the moved ones go to n1.
    assert_eq!(sim.running_per_node(), counts(&[("n1", 4), ("n2", 2)]));
    let on_n3: Vec<_> = sim
        .tasks
        .iter()
        .filter(|t| t.node_id.as_deref() == Some("n3"))
        .collect();
    assert!(on_n3
        .iter()
        .all(|t| t.desired_state == TaskState::Shutdown && t.status.state == TaskState::Shutdown));
    // Slots keep their numbers: still exactly slots 1..=6 live.
    let mut slots: Vec<u64> = sim.active().map(|t| t.slot.unwrap()).collect();
    slots.sort();
    assert_eq!(slots, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn node_down_reschedules_its_tasks() {
    let mut sim = Sim::new(replicated("web:v1", 6), &["n1", "n2", "n3"]);
    sim.converge(100, 20);
    sim.node_mut("n1").status = NodeStatus::Down;
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n2", 3), ("n3", 3)]));
    // The tasks of the dead node never report SHUTDOWN; they are history all the same.
    let stale = sim
        .tasks
        .iter()
        .filter(|t| t.node_id.as_deref() == Some("n1"))
        .count();
    assert_eq!(stale, 2);
    assert!(sim
        .tasks
        .iter()
        .filter(|t| t.node_id.as_deref() == Some("n1"))
        .all(|t| t.desired_state == TaskState::Shutdown));
}

#[test]
fn scale_down_removes_from_the_most_loaded_nodes_and_not_running_first() {
    let mut sim = Sim::new(replicated("web:v1", 4), &["n1", "n2"]);
    sim.converge(100, 20);
    // A third node joins: scale up to 6 puts both new tasks there (spread).
    sim.nodes.push(common::node("n3"));
    sim.service.spec.mode = swarm_api::service::ServiceMode::Replicated { replicas: 6 };
    sim.converge(100, 20);
    assert_eq!(
        sim.running_per_node(),
        counts(&[("n1", 2), ("n2", 2), ("n3", 2)])
    );
    // Make one n1 task not running yet (restarting): it is the first to go.
    let starting = sim
        .active()
        .find(|t| t.node_id.as_deref() == Some("n1"))
        .unwrap()
        .id
        .clone();
    sim.tasks
        .iter_mut()
        .find(|t| t.id == starting)
        .unwrap()
        .status
        .state = TaskState::Starting;
    sim.service.spec.mode = swarm_api::service::ServiceMode::Replicated { replicas: 3 };
    let plan = sim.plan();
    let removed: Vec<&str> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::ShutdownTask {
                task_id,
                reason: Reason::ScaleDown,
            } => Some(task_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(removed.len(), 3, "{plan:#?}");
    assert!(removed.contains(&starting.as_str()));
    sim.converge(100, 20);
    assert_eq!(
        sim.running_per_node(),
        counts(&[("n1", 1), ("n2", 1), ("n3", 1)])
    );
    // Removed slots' tasks are deleted once stopped; 3 live slots remain.
    assert_eq!(sim.active().count(), 3);
    assert_eq!(sim.tasks.len(), 3, "{:#?}", sim.tasks);
}

#[test]
fn changing_only_replicas_scales_without_rolling() {
    let mut sim = Sim::new(replicated("web:v1", 3), &["n1", "n2", "n3"]);
    sim.converge(100, 20);
    let before: Vec<String> = sim.active().map(|t| t.id.clone()).collect();
    sim.update_spec(|s| s.mode = swarm_api::service::ServiceMode::Replicated { replicas: 5 });
    sim.converge(100, 20);
    let after: Vec<String> = sim.active().map(|t| t.id.clone()).collect();
    assert_eq!(after.len(), 5);
    assert!(before.iter().all(|id| after.contains(id)), "old tasks kept");
    assert!(
        sim.service.update_status.is_none(),
        "no update ran: {:?}",
        sim.service.update_status
    );
}

#[test]
fn pending_task_stays_in_its_slot_with_the_reason() {
    let mut s = replicated("web:v1", 2);
    s.task.resources.reservations.memory_bytes = 64 * common::GIB;
    let mut sim = Sim::new(s, &["n1"]);
    sim.converge(100, 20);
    assert_eq!(sim.tasks.len(), 2);
    for t in &sim.tasks {
        assert_eq!(t.status.state, TaskState::Pending);
        assert!(
            t.status.message.contains("insufficient memory on 1 node"),
            "{}",
            t.status.message
        );
    }
}

#[test]
fn task_history_is_bounded_per_slot() {
    let mut s = replicated("crash:v1", 1);
    s.task.restart_policy.delay_ms = 0;
    let mut sim = Sim::new(s, &["n1"]);
    sim.failing_images.insert("crash:v1".into());
    for _ in 0..40 {
        sim.step(100);
        // The reaper trims what it saw; the replacement created in the same step makes one more.
        let limit = swarm_reconcile::history::TASK_HISTORY_RETENTION_LIMIT;
        assert!(
            sim.tasks.len() <= limit + 1,
            "{} tasks kept",
            sim.tasks.len()
        );
    }
    let deleted = sim
        .log
        .iter()
        .filter(|a| matches!(a, Action::DeleteTask { .. }))
        .count();
    assert!(deleted >= 5, "old tasks were deleted ({deleted})");
    assert!(sim.tasks.iter().all(|t| t.slot == Some(1)));
}

#[test]
fn tasks_of_another_service_are_refused() {
    let mut sim = Sim::new(replicated("web:v1", 1), &["n1"]);
    sim.converge(100, 20);
    sim.tasks[0].service_id = "other".into();
    let err = swarm_reconcile::reconcile(&swarm_reconcile::ClusterView {
        service: &sim.service,
        tasks: &sim.tasks,
        nodes: &sim.nodes,
        now_ms: sim.now,
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("belongs to service other"),
        "{err}"
    );
}
