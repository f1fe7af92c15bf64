//! Cluster benchmarks with real `swarmd` processes on loopback; prints a table.
//!
//! - leader failover: kill -9 the leader, time until a survivor commits a write (20 trials);
//! - commit throughput and latency on 3 managers (fsync on log appends), for each count of
//!   concurrent writers (default 1, 16, 64), with the disk's fsync latency measured in the same
//!   run (the floor of a durable commit);
//! - idle RSS of one manager.
//!
//! Run with `cargo bench -p swarmd --bench cluster`. `SWARMD_BENCH_QUICK=1` does fewer trials;
//! `SWARMD_BENCH_ONLY=failover|throughput|rss` runs one part; `SWARMD_BENCH_WRITERS=1,16,64` sets
//! the counts of concurrent writers; `SWARMD_BENCH_SECS` the seconds per count (default 10).

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{wait_for, Cluster, WAIT};
use swarm_api::client::{Client, Target};
use swarm_api::control::UpdateNodeRequest;

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
        // ... and has applied the same log (a restarted manager caught up).
        wait_for("managers caught up", WAIT, || {
            let applied: Vec<_> = managers
                .iter()
                .map(|&i| c.nodes[i].info().map(|v| v["last_applied"].clone()))
                .collect::<Option<_>>()?;
            applied.windows(2).all(|w| w[0] == w[1]).then_some(())
        });
        if let Some(ms) = std::env::var("SWARMD_BENCH_SETTLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            std::thread::sleep(Duration::from_millis(ms));
        }
        let survivor = managers.iter().copied().find(|&i| i != leader).unwrap_or(0);
        let cl = client(&c, survivor);
        let start = Instant::now();
        c.nodes[leader].kill9();
        let elapsed = rt.block_on(async {
            loop {
                let a = Instant::now();
                let r = cl.nodes().update("m1", &write_req(t)).await;
                match r {
                    Ok(_) => return start.elapsed(),
                    Err(e) if std::env::var_os("SWARMD_BENCH_VERBOSE").is_some() => eprintln!(
                        "  attempt at {} took {}: {e}",
                        ms(a - start),
                        ms(a.elapsed())
                    ),
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        eprintln!("failover trial {t}: {}", ms(elapsed));
        times.push(elapsed);
        c.nodes[leader].run();
        c.nodes[leader].wait_up();
    }
    times.sort();
    times
}

/// One throughput run: `writers` concurrent clients writing to the leader for `secs` seconds.
/// Returns (acknowledged writes, elapsed, sorted latencies, errors).
fn throughput(
    rt: &tokio::runtime::Runtime,
    c: &Cluster,
    leader: usize,
    writers: usize,
    secs: u64,
) -> (usize, Duration, Vec<Duration>, usize) {
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<Arc<Client>> = (0..writers).map(|_| Arc::new(client(c, leader))).collect();
    let (n, elapsed, mut lat) = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (w, cl) in clients.into_iter().enumerate() {
            let errors = errors.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut k = w;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    let r = cl.nodes().update("m2", &write_req(k)).await;
                    if r.is_ok() {
                        lat.push(t0.elapsed());
                    } else {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
    let errors = errors.load(std::sync::atomic::Ordering::Relaxed);
    (n, elapsed, lat, errors)
}

/// Latency of a 4 KiB write + fdatasync on the file system of the cluster's state (the floor
/// of one durable commit), over `n` trials, sorted.
fn fsync_floor(dir: &std::path::Path, n: usize) -> Vec<Duration> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("fsync probe file");
    let block = [7u8; 4096];
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        f.write_all(&block).expect("probe write");
        f.sync_data().expect("probe fdatasync");
        lat.push(t0.elapsed());
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    lat.sort();
    lat
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
    let only = std::env::var("SWARMD_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    let trials = if quick { 5 } else { 20 };
    let writers: Vec<usize> = std::env::var("SWARMD_BENCH_WRITERS")
        .unwrap_or_else(|_| "1,16,64".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let secs: u64 = std::env::var("SWARMD_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 3 } else { 10 });
    let f = if run("failover") {
        failover(&rt, trials)
    } else {
        Vec::new()
    };
    let mut runs = Vec::new();
    let mut floor = Vec::new();
    if run("throughput") {
        let (c, managers) = three_managers(42);
        let leader = wait_for("leader", WAIT, || c.leader(&managers));
        floor = fsync_floor(c.tmp(), 200);
        for &w in &writers {
            runs.push((w, throughput(&rt, &c, leader, w, secs)));
        }
        let after = fsync_floor(c.tmp(), 200);
        floor.extend(after);
        floor.sort();
    }
    let rss = if run("rss") { idle_rss() } else { 0 };
    println!();
    println!("{:<44} {:>14}", "benchmark", "result");
    println!("{}", "-".repeat(59));
    if run("failover") {
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
    }
    if run("throughput") {
        println!(
            "{:<44} {:>14}",
            "disk fsync (4 KiB + fdatasync) p50",
            format!("{:.2} ms", pct(&floor, 0.5).as_secs_f64() * 1000.0)
        );
        println!(
            "{:<44} {:>14}",
            "disk fsync (4 KiB + fdatasync) p99",
            format!("{:.2} ms", pct(&floor, 0.99).as_secs_f64() * 1000.0)
        );
        for (w, (n, elapsed, lat, errors)) in &runs {
            let rate = *n as f64 / elapsed.as_secs_f64();
            println!(
                "{:<44} {:>14}",
                format!("commit throughput, 3 managers, {w} writers"),
                format!("{rate:.0} w/s")
            );
            println!(
                "{:<44} {:>14}",
                format!("  latency p50 ({w} writers)"),
                ms(pct(lat, 0.5))
            );
            println!(
                "{:<44} {:>14}",
                format!("  latency p99 ({w} writers)"),
                ms(pct(lat, 0.99))
            );
            println!("{:<44} {:>14}", format!("  errors ({w} writers)"), errors);
        }
    }
    if run("rss") {
        println!(
            "{:<44} {:>14}",
            "idle RSS of one manager",
            format!("{:.1} MiB", rss as f64 / 1024.0)
        );
    }
}
