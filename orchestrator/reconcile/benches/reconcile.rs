//! Reconciliation benchmarks (harness = false, prints a table):
//! - one `reconcile` of a 10,000-task replicated service on 1,000 nodes, at rest and right
//!   after 100 nodes went down (1,000 tasks to replace);
//! - a simulated roll of 100 replicas with parallelism 10 and zero delay: steps needed and
//!   the wall time spent in the pure logic (reconcile) and in reconcile + real scheduler.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{replicated, update_config, Sim};
use swarm_api::service::UpdateState;
use swarm_api::task::TaskState;
use swarm_reconcile::{reconcile, Action, ClusterView, Reason};
use swarm_scheduler::NodeStatus;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn big_cluster() -> Sim {
    let nodes: Vec<String> = (0..1_000).map(|i| format!("n{i:04}")).collect();
    let refs: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let mut sim = Sim::new(replicated("web:v1", 10_000), &refs);
    let spec = sim.service.spec.task.clone();
    sim.tasks = (0..10_000u64)
        .map(|i| {
            let mut t =
                swarm_testkit::task(&format!("t{i}"), &sim.service.id, "", TaskState::Running);
            t.service_name = "web".into();
            t.slot = Some(i + 1);
            t.node_id = Some(nodes[(i % 1_000) as usize].clone());
            t.spec = spec.clone();
            t.status.timestamp_ms = 1_000;
            (t.created_at_ms, t.updated_at_ms) = (1_000, 1_000);
            t
        })
        .collect();
    sim.next_id = 100_000;
    sim
}

fn time_reconcile(sim: &Sim, iters: usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(iters);
    let mut n = 0;
    for i in 0..iters + 5 {
        let view = ClusterView {
            service: &sim.service,
            tasks: &sim.tasks,
            nodes: &sim.nodes,
            now_ms: sim.now,
        };
        let t = Instant::now();
        let plan = black_box(reconcile(black_box(&view)).unwrap());
        if i >= 5 {
            times.push(t.elapsed()); // the first 5 runs warm up caches and the allocator
        }
        n = plan.actions.len();
    }
    (median(times), n)
}

fn roll(replicas: u64, parallelism: u64) -> (usize, Duration, Duration, usize) {
    let mut s = replicated("web:v1", replicas);
    s.update_config = Some(update_config(parallelism, 0, 0));
    let nodes: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
    let refs: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let mut sim = Sim::new(s, &refs);
    sim.converge(1_000, 50);
    sim.update_spec(|s| s.task.container.image = "web:v2".into());
    let mut pure = Duration::ZERO;
    let mut total = Duration::ZERO;
    let mut min_running = usize::MAX;
    for step in 1..10_000 {
        let t = Instant::now();
        let plan = sim.plan();
        pure += t.elapsed();
        sim.apply(&plan);
        min_running = min_running.min(sim.running());
        sim.schedule();
        total += t.elapsed();
        sim.agents();
        if sim.service.update_status.as_ref().map(|s| s.state) == Some(UpdateState::Completed) {
            assert_eq!(sim.running_with_image("web:v2"), replicas as usize);
            return (step, pure, total, min_running);
        }
        sim.now += 1_000;
    }
    panic!("roll did not complete");
}

fn main() {
    let mut sim = big_cluster();
    let (rest, n_rest) = time_reconcile(&sim, 31);
    assert_eq!(n_rest, 0);
    for n in sim.nodes.iter_mut().take(100) {
        n.status = NodeStatus::Down;
    }
    let (lost, n_lost) = time_reconcile(&sim, 31);
    let plan = sim.plan();
    let replaced = plan
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::CreateTask {
                    reason: Reason::NodeLost,
                    ..
                }
            )
        })
        .count();
    assert_eq!(replaced, 1_000);
    assert_eq!(n_lost, 2_000);
    sim.apply(&plan);
    assert_eq!(sim.running(), 9_000);

    println!("| benchmark | result |");
    println!("|---|---|");
    println!("| reconcile 10,000 tasks / 1,000 nodes, at rest (median of 31) | {rest:.2?} |");
    println!(
        "| reconcile after losing 100 of 1,000 nodes: {n_lost} actions (median of 31) | {lost:.2?} |"
    );
    for (replicas, par) in [(100u64, 10u64), (1_000, 100)] {
        let (steps, pure, total, min_running) = roll(replicas, par);
        println!(
            "| roll {replicas} replicas, parallelism {par}, delay 0: {steps} steps, min replicas running {min_running} | reconcile {pure:.2?}; with the test harness's apply + real scheduler {total:.2?} |"
        );
    }
}
