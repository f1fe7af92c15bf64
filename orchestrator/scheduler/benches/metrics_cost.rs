//! The cost of metrics on scheduler placements (issue 21's closing note): scheduler rounds as
//! the leader's loop runs them (`manager/src/orchestrator.rs`: `swarm_metrics::start()`, the
//! pure `schedule`, `placements.inc_by`, `scheduler_seconds.observe_since`), first with
//! recording off (a node without `--metrics-addr`) and on (`swarm_metrics::enable()`), the two
//! alternating run by run so that load from other processes hits both alike. Rounds of 1, 100
//! and 1,000 pending tasks on 100 nodes; also the cost of one recording on its own. Prints a
//! table.
//!
//! Run with `cargo bench -p swarm-scheduler --bench metrics_cost`; `SCHED_BENCH_TASKS` the
//! placements per variant and round size (default 200000), `SCHED_BENCH_RUNS` runs of each
//! (default 9; the median is printed).

use std::hint::black_box;
use std::time::{Duration, Instant};

use swarm_api::resources::Resources;
use swarm_api::task::Task;
use swarm_metrics::prometheus_client::metrics::counter::Counter;
use swarm_metrics::{AtomicHistogram, LATENCY_BUCKETS};
use swarm_scheduler::{schedule, NodeInfo, Outcome, Snapshot};

const NODES: usize = 100;
const ROUND_SIZES: [usize; 3] = [1, 100, 1_000];

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn snapshot() -> Snapshot {
    let nodes = (0..NODES)
        .map(|i| {
            NodeInfo::new(
                &format!("node-{i:03}"),
                Resources {
                    nano_cpus: 64_000_000_000,
                    memory_bytes: 256 << 30,
                },
            )
        })
        .collect();
    Snapshot { nodes }
}

fn batch(n: usize) -> Vec<Task> {
    let spec = swarm_testkit::reserving(
        "swarm-test/web:v1",
        Resources {
            nano_cpus: 10_000_000,
            memory_bytes: 16 << 20,
        },
    );
    swarm_testkit::pending("t", "svc", n, &spec)
}

/// The leader loop's scheduling step around the pure scheduler, metrics as it records them.
fn round(snap: &Snapshot, tasks: &[Task], hist: &AtomicHistogram, placements: &Counter) -> u64 {
    let t = swarm_metrics::start();
    let decisions = schedule(snap, tasks);
    let placed = decisions
        .iter()
        .filter(|d| matches!(d.outcome, Outcome::Assigned { .. }))
        .count() as u64;
    if t.is_some() {
        placements.inc_by(placed);
    }
    hist.observe_since(t);
    placed
}

/// Placements per second over `total` placements in rounds of `tasks`.
fn rate(snap: &Snapshot, tasks: &[Task], total: usize, h: &AtomicHistogram, c: &Counter) -> f64 {
    let rounds = (total / tasks.len()).max(1);
    let start = Instant::now();
    let mut placed = 0;
    for _ in 0..rounds {
        placed += round(snap, black_box(tasks), h, c);
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(placed as usize, rounds * tasks.len(), "every task fits");
    placed as f64 / secs
}

/// Nanoseconds of one `start()` + `observe_since` pair (the recording of one round).
fn recording_ns(h: &AtomicHistogram) -> f64 {
    let n = 2_000_000u32;
    let start = Instant::now();
    for _ in 0..n {
        let t = swarm_metrics::start();
        h.observe_since(black_box(t));
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// One run of every cell: the rates of each round size, then the recording's cost.
fn cells(snap: &Snapshot, batches: &[Vec<Task>], total: usize, h: &AtomicHistogram) -> Vec<f64> {
    let c = Counter::default();
    let before = h.count();
    let mut out: Vec<f64> = batches
        .iter()
        .map(|b| rate(snap, b, total, h, &c))
        .collect();
    out.push(recording_ns(h));
    if swarm_metrics::enabled() {
        assert!(h.count() > before, "recorded while enabled");
    } else {
        assert_eq!(h.count(), before, "nothing recorded while disabled");
    }
    out
}

fn medians(runs: &[Vec<f64>]) -> Vec<f64> {
    (0..runs[0].len())
        .map(|i| median(runs.iter().map(|r| r[i]).collect()))
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let total = env_num("SCHED_BENCH_TASKS", 200_000);
    let runs = env_num("SCHED_BENCH_RUNS", 9).max(1);
    let snap = snapshot();
    let batches: Vec<Vec<Task>> = ROUND_SIZES.iter().map(|&n| batch(n)).collect();
    let h = AtomicHistogram::new(LATENCY_BUCKETS);
    // Warm-up, not measured.
    let _ = cells(&snap, &batches, total / 10, &h);
    let started = Instant::now();
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        swarm_metrics::disable();
        off.push(cells(&snap, &batches, total, &h));
        swarm_metrics::enable();
        on.push(cells(&snap, &batches, total, &h));
    }
    let (off, on) = (medians(&off), medians(&on));
    let took = started.elapsed();

    println!(
        "\nscheduler rounds on {NODES} nodes, {total} placements per cell, median of {runs} runs \
         ({:.0?} in all)\n",
        Duration::from_secs(took.as_secs())
    );
    println!("| bench | without metrics | with metrics | change |");
    println!("|---|---|---|---|");
    for (i, n) in ROUND_SIZES.iter().enumerate() {
        println!(
            "| placements/s, rounds of {n} task(s) | {:.0} | {:.0} | {:+.1}% |",
            off[i],
            on[i],
            (on[i] / off[i] - 1.0) * 100.0
        );
    }
    let k = ROUND_SIZES.len();
    println!(
        "| one round's recording (start + observe_since) | {:.1} ns | {:.1} ns | {:+.1} ns |",
        off[k],
        on[k],
        on[k] - off[k]
    );
}
