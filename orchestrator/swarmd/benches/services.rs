//! Service benchmarks (issues #6 and #7) with real `swarmd` processes on loopback and the
//! local Docker daemon; prints a table.
//!
//! - convergence: `service create --replicas N` (N = 50 and 200) to all N tasks RUNNING on
//!   1 manager + 2 workers, with the time to all tasks placed on the way;
//! - node loss: kill -9 a worker holding half of 40 worker-only replicas; time until the
//!   manager marks it Down (detection) and until its tasks run elsewhere (total), with
//!   `--down-after-ms` 1500 (the tests' value) and 5000 (the default);
//! - rolling update: 100 replicas v1 → v2, parallelism 10, delay 0, monitor 500 ms: time to
//!   status `completed` and the running tasks sampled through the roll (min / p10 / median);
//!   then the same with an image whose PID 1 ignores SIGTERM and `--stop-grace-period 2s`
//!   (each stop takes the whole grace period, as with many real images), with the most
//!   containers seen running at once (stop-first: never more than the 100 replicas);
//! - memory: VmRSS of the leader idle and with 200 tasks running.
//!
//! Run with `cargo bench -p swarmd --bench services`. `SWARMD_BENCH_RUNS=N` sets the runs per
//! convergence point (default 3); `SWARMD_BENCH_ONLY=converge|loss|update` runs one part;
//! `SWARMD_BENCH_VERBOSE=1` prints the task states once a second while a service converges.
//! Every container is removed at the end (label `com.docker.swarm.node.id`).

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::svc::{agents_ready, create, spec, tasks, update, Containers};
use common::{api, wait_for, Cluster, Node, WAIT};
use serde_json::{json, Value};

const V1: &str = "swarm-test/web:v1";
const V2: &str = "swarm-test/web:v2";
/// v1 and v2 of an image whose PID 1 ignores SIGTERM.
const STUBBORN: [&str; 2] = ["swarm-test/web:stubborn-v1", "swarm-test/web:stubborn-v2"];
/// How often the bench polls the leader's API.
const POLL: Duration = Duration::from_millis(50);
/// Longest wait for any measured event.
const LIMIT: Duration = Duration::from_secs(180);

fn images() {
    let mut variants: Vec<(&str, &[&str])> = vec![(V1, &[]), (V2, &["--port", "80"])];
    variants.extend(STUBBORN.iter().map(|&tag| (tag, &["--ignore-sigterm"][..])));
    swarm_testkit::images::ensure(Path::new(env!("CARGO_TARGET_TMPDIR")), &variants);
}

/// Running containers of the service on this machine's daemon.
fn running_containers(service: &str) -> usize {
    common::running_labelled(&format!("com.docker.swarm.service.name={service}")).len()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Index `p` (0..=1) of a sorted slice.
fn pct<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// VmRSS of a process in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn is_running(t: &Value) -> bool {
    t["desired_state"] == "running" && t["status"]["state"] == "running"
}

fn is_placed(t: &Value) -> bool {
    t["desired_state"] == "running"
        && !matches!(t["status"]["state"].as_str(), Some("new" | "pending"))
}

/// A cluster and its containers' cleanup. Fields drop in order: the daemons die first, so
/// no agent recreates a container the cleanup just removed.
struct Env {
    c: Cluster,
    _cleanup: Containers,
}

/// 1 manager + 2 workers with `extra` daemon arguments; the cleanup guard comes with it.
fn three_nodes(net: u8, extra: &[&str]) -> Env {
    let mut c = Cluster::new(net);
    c.extra = extra.iter().map(|s| s.to_string()).collect();
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    c.join("w2", "worker", m1);
    let ids = agents_ready(&c, m1, 3);
    Env {
        c,
        _cleanup: Containers(ids),
    }
}

/// Polls `f` every [`POLL`] until it returns `Some`; panics after [`LIMIT`].
fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

fn remove_service(m: &Node, name: &str, id: &str) {
    api(m, &format!("/v1/services/{name}/rm"), Some(json!(null))).expect("service rm");
    wait_for("the service's containers to go", WAIT * 3, || {
        (common::svc::running_containers(id) == 0).then_some(())
    });
}

/// One convergence run: (to all placed, to all running, leader RSS KiB at the end).
fn converge_once(c: &Cluster, name: &str, replicas: usize) -> (Duration, Duration, u64) {
    let m = &c.nodes[0];
    let t0 = Instant::now();
    let svc = create(m, spec(name, Some(replicas as u64)));
    let mut placed = None;
    let verbose = std::env::var_os("SWARMD_BENCH_VERBOSE").is_some();
    let mut shown = 0;
    let running = poll(&format!("{replicas} tasks of {name} running"), || {
        let ts = tasks(m, name);
        if verbose && t0.elapsed().as_secs() >= shown {
            shown = t0.elapsed().as_secs() + 1;
            let mut hist = std::collections::BTreeMap::new();
            for t in &ts {
                *hist
                    .entry(t["status"]["state"].as_str().unwrap_or("?").to_string())
                    .or_insert(0) += 1;
            }
            eprintln!("  {:>5.1} s {hist:?}", t0.elapsed().as_secs_f64());
        }
        if placed.is_none() && ts.iter().filter(|t| is_placed(t)).count() >= replicas {
            placed = Some(t0.elapsed());
        }
        (ts.iter().filter(|t| is_running(t)).count() >= replicas).then(|| t0.elapsed())
    });
    let rss = rss_kib(m.pid().unwrap_or(0));
    remove_service(m, name, svc["id"].as_str().unwrap_or_default());
    (placed.unwrap_or(running), running, rss)
}

struct Converge {
    runs: usize,
    idle_rss: u64,
    rss_200: u64,
    /// (replicas, median placed, median running, all running times)
    points: Vec<(usize, Duration, Duration, Vec<Duration>)>,
}

fn converge(runs: usize) -> Converge {
    let env = three_nodes(60, &[]);
    let c = &env.c;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_kib(c.nodes[0].pid().unwrap_or(0));
    let mut out = Converge {
        runs,
        idle_rss,
        rss_200: 0,
        points: Vec::new(),
    };
    for replicas in [50, 200] {
        let mut placed = Vec::new();
        let mut running = Vec::new();
        for r in 0..runs {
            let (p, t, rss) = converge_once(c, &format!("c{replicas}-{r}"), replicas);
            eprintln!(
                "converge {replicas} run {r}: placed {}, running {}, leader RSS {} KiB",
                secs(p),
                secs(t),
                rss
            );
            placed.push(p);
            running.push(t);
            if replicas == 200 {
                out.rss_200 = out.rss_200.max(rss);
            }
        }
        let all = running.clone();
        out.points
            .push((replicas, median(&mut placed), median(&mut running), all));
    }
    out
}

/// Node loss with `--down-after-ms down_ms`: (detection, total, tasks moved).
fn node_loss(net: u8, down_ms: u64) -> (Duration, Duration, usize) {
    let mut env = three_nodes(net, &["--down-after-ms", &down_ms.to_string()]);
    let c = &mut env.c;
    let replicas = 40;
    let mut s = spec("loss", Some(replicas as u64));
    s["task"]["placement"] = json!({ "constraints": ["node.role==worker"] });
    create(&c.nodes[0], s);
    wait_for("40 worker tasks running", LIMIT, || {
        (tasks(&c.nodes[0], "loss")
            .iter()
            .filter(|t| is_running(t))
            .count()
            == replicas)
            .then_some(())
    });
    let w2_id = c.nodes[2].id();
    let on_w2 = tasks(&c.nodes[0], "loss")
        .iter()
        .filter(|t| is_running(t) && t["node_id"] == w2_id.as_str())
        .count();
    let t0 = Instant::now();
    c.nodes[2].kill9();
    let m = &c.nodes[0];
    let mut detected = None;
    let total = poll("the lost worker's tasks to run on w1", || {
        if detected.is_none() {
            let nodes = api(m, "/v1/nodes", None).ok()?;
            let down = nodes
                .as_array()?
                .iter()
                .any(|n| n["id"] == w2_id.as_str() && n["status"] == "down");
            if down {
                detected = Some(t0.elapsed());
            }
        }
        let elsewhere = tasks(m, "loss")
            .iter()
            .filter(|t| is_running(t) && t["node_id"] != w2_id.as_str())
            .count();
        (elsewhere == replicas).then(|| t0.elapsed())
    });
    eprintln!(
        "node loss (down after {down_ms} ms): {on_w2} tasks, detected {}, running elsewhere {}",
        secs(detected.unwrap_or(total)),
        secs(total)
    );
    (detected.unwrap_or(total), total, on_w2)
}

struct Roll {
    took: Duration,
    state: String,
    min: usize,
    p10: usize,
    median: usize,
    samples: usize,
    /// Most containers of the service seen running at once (stubborn run only).
    most_containers: usize,
}

/// The rolling update; `stubborn`: images that ignore SIGTERM, a 2 s stop grace period.
fn rolling_update(net: u8, stubborn: bool) -> Roll {
    let env = three_nodes(net, &[]);
    let c = &env.c;
    let m = &c.nodes[0];
    let replicas = 100;
    let (v1, v2) = if stubborn {
        (STUBBORN[0], STUBBORN[1])
    } else {
        (V1, V2)
    };
    let mut s = spec("roll", Some(replicas as u64));
    s["task"]["container"]["image"] = json!(v1);
    if stubborn {
        s["task"]["container"]["stop_grace_period_ms"] = json!(2_000);
    }
    s["task"]["restart_policy"] = json!({ "condition": "any", "delay_ms": 200 });
    s["update_config"] = json!({ "parallelism": 10, "delay_ms": 0, "monitor_ms": 500 });
    create(m, s);
    wait_for("100 v1 tasks running", LIMIT, || {
        (tasks(m, "roll").iter().filter(|t| is_running(t)).count() == replicas).then_some(())
    });
    let t0 = Instant::now();
    update(m, "roll", |s| s["task"]["container"]["image"] = json!(v2));
    let mut samples = Vec::new();
    let mut most_containers = 0;
    let (took, state) = poll("the update to finish", || {
        let n = tasks(m, "roll").iter().filter(|t| is_running(t)).count();
        samples.push(n);
        if stubborn {
            most_containers = most_containers.max(running_containers("roll"));
        }
        let svc = api(m, "/v1/services/roll", None).ok()?;
        let state = svc["update_status"]["state"].as_str()?.to_string();
        matches!(
            state.as_str(),
            "completed" | "paused" | "rollback_completed"
        )
        .then(|| (t0.elapsed(), state))
    });
    samples.sort_unstable();
    eprintln!("rolling update: {state} in {}", secs(took));
    Roll {
        took,
        state,
        min: samples.first().copied().unwrap_or(0),
        p10: pct(&samples, 0.1),
        median: pct(&samples, 0.5),
        samples: samples.len(),
        most_containers,
    }
}

fn row(name: &str, value: String) {
    println!("{name:<58} {value:>16}");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let only = std::env::var("SWARMD_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;
    let runs: usize = std::env::var("SWARMD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    images();
    let conv = run("converge").then(|| converge(runs));
    let loss = run("loss").then(|| (node_loss(61, 1500), node_loss(63, 5000)));
    let roll = run("update").then(|| rolling_update(62, false));
    let stubborn = run("update").then(|| rolling_update(64, true));

    println!();
    println!(
        "{:<58} {:>16}",
        "benchmark (1 manager + 2 workers)", "result"
    );
    println!("{}", "-".repeat(75));
    if let Some(c) = &conv {
        for (replicas, placed, running, all) in &c.points {
            row(
                &format!(
                    "create --replicas {replicas}: all placed, p50 of {}",
                    c.runs
                ),
                secs(*placed),
            );
            row(
                &format!(
                    "create --replicas {replicas}: all RUNNING, p50 of {}",
                    c.runs
                ),
                secs(*running),
            );
            let all: Vec<String> = all
                .iter()
                .map(|d| format!("{:.1}", d.as_secs_f64()))
                .collect();
            row(&format!("  runs (s): {}", all.join(" ")), String::new());
        }
        row(
            "leader RSS idle (3 nodes, no service)",
            format!("{:.1} MiB", c.idle_rss as f64 / 1024.0),
        );
        row(
            "leader RSS with 200 tasks running",
            format!("{:.1} MiB", c.rss_200 as f64 / 1024.0),
        );
    }
    if let Some(((d1, t1, n1), (d5, t5, n5))) = loss {
        row(
            &format!("node loss, down-after 1500 ms: detected ({n1} tasks)"),
            secs(d1),
        );
        row(
            "node loss, down-after 1500 ms: tasks RUNNING elsewhere",
            secs(t1),
        );
        row(
            &format!("node loss, down-after 5000 ms: detected ({n5} tasks)"),
            secs(d5),
        );
        row(
            "node loss, down-after 5000 ms: tasks RUNNING elsewhere",
            secs(t5),
        );
    }
    if let Some(r) = &roll {
        row(
            &format!("rolling update 100 replicas, par 10, delay 0: {}", r.state),
            secs(r.took),
        );
        row(
            &format!(
                "  running tasks during roll min/p10/median ({} samples)",
                r.samples
            ),
            format!("{}/{}/{}", r.min, r.p10, r.median),
        );
    }
    if let Some(r) = &stubborn {
        row(
            &format!("same, SIGTERM ignored, grace 2 s, stop-first: {}", r.state),
            secs(r.took),
        );
        row(
            "  most containers running at once (100 replicas)",
            r.most_containers.to_string(),
        );
        row(
            &format!(
                "  running tasks during roll min/p10/median ({} samples)",
                r.samples
            ),
            format!("{}/{}/{}", r.min, r.p10, r.median),
        );
    }
}
