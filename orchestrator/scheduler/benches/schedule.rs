//! Scheduler throughput: 100,000 tasks (100 services × 1,000) onto 1,000 nodes with
//! constraints and reservations, with and without a placement preference. Goal ≥ 100,000
//! placements/s on one core; criterion reports it as elements/s.

use std::collections::BTreeMap;

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use swarm_api::constraint::{Constraint, PlacementPreference};
use swarm_api::resources::Resources;
use swarm_api::task::Task;
use swarm_scheduler::{schedule, NodeInfo, NodeRole, Outcome, Snapshot};

const NODES: usize = 1_000;
const SERVICES: usize = 100;
const TASKS_PER_SERVICE: usize = 1_000;

fn snapshot() -> Snapshot {
    let zones = ["a", "b", "c", "d"];
    let nodes = (0..NODES)
        .map(|i| {
            let mut n = NodeInfo::new(
                &format!("node-{i:04}"),
                Resources {
                    nano_cpus: 64_000_000_000,
                    memory_bytes: 256 << 30,
                },
            );
            if i < 10 {
                n.role = NodeRole::Manager;
            }
            n.labels = BTreeMap::from([
                ("zone".to_string(), zones[i % zones.len()].to_string()),
                ("rack".to_string(), format!("r{}", i % 25)),
            ]);
            n
        })
        .collect();
    Snapshot { nodes }
}

fn tasks(with_pref: bool) -> Vec<Task> {
    let worker = Constraint::parse("node.role==worker").unwrap();
    let not_d = Constraint::parse("node.labels.zone!=d").unwrap();
    let pref = PlacementPreference::parse("spread=node.labels.zone").unwrap();
    let mut out = Vec::with_capacity(SERVICES * TASKS_PER_SERVICE);
    for s in 0..SERVICES {
        let mut spec = swarm_testkit::reserving(
            "swarm-test/web:v1",
            Resources {
                nano_cpus: 100_000_000,
                memory_bytes: 128 << 20,
            },
        );
        spec.placement.constraints = if s % 2 == 0 {
            vec![worker.clone()]
        } else {
            vec![worker.clone(), not_d.clone()]
        };
        if with_pref {
            spec.placement.preferences = vec![pref.clone()];
        }
        out.extend(swarm_testkit::pending(
            &format!("t{s}-"),
            &format!("svc{s}"),
            TASKS_PER_SERVICE,
            &spec,
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let snap = snapshot();
    let mut group = c.benchmark_group("schedule_100k_tasks_1k_nodes");
    group.sample_size(10);
    group.throughput(Throughput::Elements((SERVICES * TASKS_PER_SERVICE) as u64));
    for with_pref in [false, true] {
        let batch = tasks(with_pref);
        let placed = schedule(&snap, &batch)
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Assigned { .. }))
            .count();
        assert_eq!(placed, batch.len(), "every task fits in the bench cluster");
        let name = if with_pref {
            "spread_pref_zone"
        } else {
            "plain_spread"
        };
        group.bench_with_input(BenchmarkId::from_parameter(name), &batch, |b, batch| {
            b.iter(|| schedule(&snap, batch))
        });
    }
    group.finish();
}

/// criterion's generated group function has no doc comment of its own.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
