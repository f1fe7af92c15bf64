//! The global orchestrator over a simulated cluster.

mod common;

use common::{counts, spec, Sim};
use swarm_api::constraint::Constraint;
use swarm_api::service::ServiceMode;
use swarm_api::task::TaskState;
use swarm_reconcile::{Action, Reason, SlotKey};
use swarm_scheduler::{Availability, NodeStatus};

fn global_sim(nodes: &[&str]) -> Sim {
    Sim::new(spec("agent", "agent:v1", ServiceMode::Global), nodes)
}

#[test]
fn one_task_per_node_including_nodes_that_join_later() {
    let mut sim = global_sim(&["n1", "n2"]);
    let plan = sim.plan();
    let keys: Vec<SlotKey> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateTask { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        vec![SlotKey::Node("n1".into()), SlotKey::Node("n2".into())]
    );
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n1", 1), ("n2", 1)]));
    // A node joins: status unknown first (nothing), then ready (a task).
    let mut n3 = common::node("n3");
    n3.status = NodeStatus::Unknown;
    sim.nodes.push(n3);
    assert!(sim.plan().is_empty());
    sim.node_mut("n3").status = NodeStatus::Ready;
    sim.converge(100, 20);
    assert_eq!(
        sim.running_per_node(),
        counts(&[("n1", 1), ("n2", 1), ("n3", 1)])
    );
    assert!(sim.tasks.iter().all(|t| t.slot.is_none()));
}

#[test]
fn drain_down_and_leave_remove_tasks_pause_keeps_them() {
    let mut sim = global_sim(&["n1", "n2", "n3", "n4"]);
    sim.converge(100, 20);
    sim.drain("n1");
    sim.node_mut("n2").status = NodeStatus::Down;
    sim.node_mut("n3").availability = Availability::Pause;
    let plan = sim.plan();
    let mut shut: Vec<(String, Reason)> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::ShutdownTask { task_id, reason } => {
                Some((sim.task(task_id).node_id.clone().unwrap(), *reason))
            }
            _ => None,
        })
        .collect();
    shut.sort();
    assert_eq!(
        shut,
        vec![
            ("n1".to_string(), Reason::Ineligible),
            ("n2".to_string(), Reason::Ineligible)
        ]
    );
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n3", 1), ("n4", 1)]));
    // n4 leaves the cluster: its task is shut down, and deleted once it is history.
    sim.nodes.retain(|n| n.id != "n4");
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n3", 1)]));
    assert!(!sim.tasks.iter().any(|t| t.node_id.as_deref() == Some("n4")));
    // The paused node's task exits: it is not restarted while paused...
    let t3 = sim.active().next().unwrap().id.clone();
    let now = sim.now;
    {
        let t = sim.tasks.iter_mut().find(|t| t.id == t3).unwrap();
        t.status.state = TaskState::Failed;
        t.status.timestamp_ms = now;
    }
    sim.now += 60_000;
    assert!(sim.plan().is_empty(), "{:#?}", sim.plan());
    // ...and is once the node is active again; drained n1 comes back too.
    sim.node_mut("n3").availability = Availability::Active;
    sim.node_mut("n1").availability = Availability::Active;
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n1", 1), ("n3", 1)]));
}

#[test]
fn constraints_choose_the_nodes() {
    let mut s = spec("agent", "agent:v1", ServiceMode::Global);
    s.task.placement.constraints = vec![Constraint::parse("node.labels.zone==a").unwrap()];
    let mut sim = Sim::new(s, &["n1", "n2", "n3"]);
    for (id, zone) in [("n1", "a"), ("n2", "b"), ("n3", "a")] {
        sim.node_mut(id).labels.insert("zone".into(), zone.into());
    }
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n1", 1), ("n3", 1)]));
    // Relabel n3: its task goes, n2 gets one.
    sim.node_mut("n3").labels.insert("zone".into(), "b".into());
    sim.node_mut("n2").labels.insert("zone".into(), "a".into());
    sim.converge(100, 20);
    assert_eq!(sim.running_per_node(), counts(&[("n1", 1), ("n2", 1)]));
}

#[test]
fn global_update_rolls_node_by_node() {
    let mut sim = global_sim(&["n1", "n2", "n3"]);
    sim.converge(100, 20);
    sim.update_spec(|s| {
        s.task.container.image = "agent:v2".into();
        s.update_config = Some(common::update_config(1, 0, 0));
    });
    let mut max_down = 0;
    for _ in 0..50 {
        sim.step(100);
        max_down = max_down.max(3 - sim.running());
        if sim
            .service
            .update_status
            .as_ref()
            .is_some_and(|s| s.message == "update completed")
        {
            break;
        }
    }
    let st = sim.service.update_status.as_ref().unwrap();
    assert_eq!(st.state, swarm_api::service::UpdateState::Completed);
    assert_eq!(sim.running_with_image("agent:v2"), 3);
    assert_eq!(
        sim.running_per_node(),
        counts(&[("n1", 1), ("n2", 1), ("n3", 1)])
    );
    assert!(max_down <= 1, "{max_down} nodes down at once");
}
