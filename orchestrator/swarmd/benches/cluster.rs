//! Cluster benchmarks with real `swarmd` processes on loopback; prints a table.
//!
//! - leader failover: kill -9 the leader, time until a survivor commits a write (20 trials);
//! - commit throughput and latency on 3 managers (fsync on every log append), 32 writers;
//! - idle RSS of one manager.
//!
//! Run with `cargo bench -p swarmd --bench cluster`. `SWARMD_BENCH_QUICK=1` does fewer trials.

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{wait_for, Cluster, WAIT};
use swarm_api::client::{Client, Target};
use swarm_api::control::UpdateNodeRequest;
use swarm_api::node::NodeView;

fn client(c: &Cluster, i: usize) -> Client {
    Client::new(Target::Unix(c.nodes[i].dir.join("swarmd.sock")))
        .with_timeout(Duration::from_secs(2))
}

fn write_req(k: usize) -> UpdateNodeRequest {
    UpdateNodeRequest {
        availability: None,
        label_add: BTreeMap::from([(format!("k{}", k % 16), k.to_string())]),
        label_rm: Vec::new(),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn three_managers(net: u8) -> (Cluster, [usize; 3]) {
    let mut c = Cluster::new(net);
    let m1 = c.init("m1");
    let m2 = c.join("m2", "manager", m1);
    let m3 = c.join("m3", "manager", m1);
    (c, [m1, m2, m3])
}

fn failover(rt: &tokio::runtime::Runtime, trials: usize) -> Vec<Duration> {
    let (mut c, managers) = three_managers(41);
    let mut times = Vec::new();
    for t in 0..trials {
        let leader = wait_for("leader", WAIT, || c.leader(&managers));
        // Make sure every manager is caught up and healthy before the kill.
        wait_for("all managers reachable", WAIT, || {
            let nodes = c.nodes[leader].nodes()?;
            nodes.iter().all(|n| n["status"] == "ready").then_some(())
        });
        let survivor = managers.iter().copied().find(|&i| i != leader).unwrap_or(0);
        let cl = client(&c, survivor);
        let start = Instant::now();
        c.nodes[leader].kill9();
        let elapsed = rt.block_on(async {
            loop {
                let r: Result<NodeView, _> = cl.post("/v1/nodes/m1/update", &write_req(t)).await;
                if r.is_ok() {
                    return start.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        times.push(elapsed);
        c.nodes[leader].run();
        c.nodes[leader].wait_up();
    }
    times.sort();
    times
}

fn throughput(
    rt: &tokio::runtime::Runtime,
    writers: usize,
    secs: u64,
) -> (usize, Duration, Vec<Duration>) {
    let (c, managers) = three_managers(42);
    let leader = wait_for("leader", WAIT, || c.leader(&managers));
    let clients: Vec<Arc<Client>> = (0..writers).map(|_| Arc::new(client(&c, leader))).collect();
    let (n, elapsed, mut lat) = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (w, cl) in clients.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut k = w;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    let r: Result<NodeView, _> =
                        cl.post("/v1/nodes/m2/update", &write_req(k)).await;
                    if r.is_ok() {
                        lat.push(t0.elapsed());
                    }
                    k += writers;
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap_or_default());
        }
        (all.len(), start.elapsed(), all)
    });
    lat.sort();
    drop(c);
    (n, elapsed, lat)
}

fn idle_rss() -> u64 {
    let mut c = Cluster::new(43);
    let m1 = c.init("m1");
    std::thread::sleep(Duration::from_secs(3));
    let pid = c.nodes[m1].pid().unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let quick = std::env::var_os("SWARMD_BENCH_QUICK").is_some();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let trials = if quick { 5 } else { 20 };
    let f = failover(&rt, trials);
    let (n, elapsed, lat) = throughput(&rt, 32, if quick { 3 } else { 10 });
    let rss = idle_rss();
    println!();
    println!("{:<44} {:>14}", "benchmark", "result");
    println!("{}", "-".repeat(59));
    println!(
        "{:<44} {:>14}",
        format!("leader failover p50 ({trials} trials)"),
        ms(pct(&f, 0.5))
    );
    println!(
        "{:<44} {:>14}",
        format!("leader failover p99 ({trials} trials)"),
        ms(pct(&f, 0.99))
    );
    println!(
        "{:<44} {:>14}",
        "leader failover max",
        ms(f.last().copied().unwrap_or_default())
    );
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "{:<44} {:>14}",
        "commit throughput, 3 managers, 32 writers",
        format!("{rate:.0} w/s")
    );
    println!("{:<44} {:>14}", "commit latency p50", ms(pct(&lat, 0.5)));
    println!("{:<44} {:>14}", "commit latency p99", ms(pct(&lat, 0.99)));
    println!(
        "{:<44} {:>14}",
        "idle RSS of one manager",
        format!("{:.1} MiB", rss as f64 / 1024.0)
    );
}
