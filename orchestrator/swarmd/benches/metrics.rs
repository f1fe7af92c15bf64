//! The cost of metrics (issue 21), real `swarmd` processes on 127.0.111.x / 127.0.112.x; prints
//! a table.
//!
//! - commit throughput of 3 managers (16 concurrent writers through the leader, `node update`
//!   writes) without and with `--metrics-addr`, alternating runs;
//! - scrape of `/metrics` on a leader holding 10,000 tasks: time and size.
//!
//! (Scheduler placements are not measured here: `--no-executor` nodes report no resources, so
//! nothing is placed on them, and thousands of real containers are too many for this machine.)
//!
//! Run with `cargo bench -p swarmd --bench metrics`. `SWARMD_BENCH_ONLY=throughput|scrape` runs
//! one part; `SWARMD_BENCH_SECS` the seconds per throughput run (default 5); `SWARMD_BENCH_RUNS`
//! the runs of each variant (default 3); `SWARMD_BENCH_TASKS` the tasks of the scrape part
//! (default 10000).

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{wait_for, Cluster, WAIT};
use swarm_api::client::{Client, Target};
use swarm_api::control::UpdateNodeRequest;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn client(c: &Cluster, i: usize) -> Client {
    Client::new(Target::Unix(c.nodes[i].dir.join("swarmd.sock")))
        .with_timeout(Duration::from_secs(5))
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts the nodes `names` (first inits, `m*` join as managers) on `net`, each with its own
/// `--metrics-addr` when `metrics`; returns the cluster and the metrics addresses.
fn cluster(net: u8, names: &[&str], metrics: bool, extra: &[&str]) -> (Cluster, Vec<String>) {
    let mut c = Cluster::new(net);
    let mut addrs = Vec::new();
    let mut first = 0;
    for (k, n) in names.iter().enumerate() {
        let ip = format!("127.0.{net}.{}", k + 1);
        c.extra = extra.iter().map(|s| s.to_string()).collect();
        if metrics {
            let a = format!("{ip}:{}", free_port(&ip));
            c.extra.extend(["--metrics-addr".to_string(), a.clone()]);
            addrs.push(a);
        }
        if k == 0 {
            first = c.init(n);
        } else {
            c.join(n, "manager", first);
        }
    }
    (c, addrs)
}

/// Acknowledged writes per second of `writers` clients on the leader for `secs`.
fn throughput(rt: &tokio::runtime::Runtime, c: &Cluster, leader: usize, secs: u64) -> f64 {
    let writers = 16;
    let clients: Vec<Arc<Client>> = (0..writers).map(|_| Arc::new(client(c, leader))).collect();
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (w, cl) in clients.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let mut ok = 0usize;
                let mut k = w;
                while Instant::now() < deadline {
                    let req = UpdateNodeRequest {
                        availability: None,
                        label_add: BTreeMap::from([(format!("k{}", k % 16), k.to_string())]),
                        label_rm: Vec::new(),
                    };
                    if cl.nodes().update("m2", &req).await.is_ok() {
                        ok += 1;
                    }
                    k += writers;
                }
                ok
            }));
        }
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap_or(0);
        }
        n as f64 / start.elapsed().as_secs_f64()
    })
}

fn bench_throughput(rt: &tokio::runtime::Runtime, runs: u64, secs: u64) -> [Vec<f64>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for run in 0..runs {
        for (v, metrics) in [(0, false), (1, true)] {
            let (c, _) = cluster(111, &["m1", "m2", "m3"], metrics, &["--no-executor"]);
            let leader = wait_for("leader", WAIT, || c.leader(&[0, 1, 2]));
            let w = throughput(rt, &c, leader, secs);
            eprintln!("throughput run {run} metrics={metrics}: {w:.0} writes/s");
            out[v].push(w);
        }
    }
    out
}

/// (time, bytes) of one plain-HTTP GET of `/metrics` at `addr`.
fn scrape(addr: &str) -> (Duration, usize) {
    let t0 = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect metrics");
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let elapsed = t0.elapsed();
    let body = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| out.len() - i - 4);
    (elapsed, body)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let only = std::env::var("SWARMD_BENCH_ONLY").unwrap_or_default();
    let runs = env_num("SWARMD_BENCH_RUNS", 3);
    let secs = env_num("SWARMD_BENCH_SECS", 5);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut rows = Vec::new();
    if only.is_empty() || only == "throughput" {
        let [mut off, mut on] = bench_throughput(&rt, runs, secs);
        let (a, b) = (median(&mut off), median(&mut on));
        rows.push(format!(
            "commit throughput, 3 managers, 16 writers | {a:.0} writes/s | {b:.0} writes/s | {:+.1}%",
            (b - a) / a * 100.0
        ));
    }
    if only.is_empty() || only == "scrape" {
        let n = env_num("SWARMD_BENCH_TASKS", 10_000);
        let (c, addrs) = cluster(112, &["m1"], true, &["--no-executor"]);
        let m = &c.nodes[0];
        let o = m.cli(&[
            "service",
            "create",
            "--detach",
            "--name",
            "bulk",
            "--replicas",
            &n.to_string(),
            "busybox",
        ]);
        assert!(o.ok, "{o:?}");
        wait_for("the tasks in the store", Duration::from_secs(600), || {
            let v = common::api(m, "/v1/services/bulk/tasks", None).ok()?;
            (v.as_array()?.len() as u64 >= n).then_some(())
        });
        let mut times: Vec<f64> = Vec::new();
        let mut size = 0;
        for _ in 0..20 {
            let (d, b) = scrape(&addrs[0]);
            times.push(d.as_secs_f64() * 1000.0);
            size = b;
        }
        times.sort_by(|a, b| a.total_cmp(b));
        rows.push(format!(
            "scrape /metrics, leader with {n} tasks | median {:.2} ms, max {:.2} ms | {size} bytes |",
            times[times.len() / 2],
            times[times.len() - 1]
        ));
    }
    println!("\n| bench | without metrics | with metrics | change |");
    println!("|---|---|---|---|");
    for r in rows {
        println!("| {r} |");
    }
}
