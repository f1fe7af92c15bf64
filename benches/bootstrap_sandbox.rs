//! Sandbox `up` to all-nodes-Ready for 3 managers + 5 workers (goal: <= 15 s with a release build,
//! each host with its own dockerd and the sandbox registry), the bootstrap's share of it by phase,
//! and parallel vs sequential worker joins. Prints a table, then the memory (RSS and PSS from
//! `/proc/PID/smaps_rollup`) of one idle worker host: every process in its namespace (its dockerd,
//! containerd, sshd, swarmd), 5 s after all nodes were Ready.
//!
//! Needs root, iproute2, openssh-server/-client and a swarmd binary: `$SWARMD_BIN`, else `swarmd`
//! in this bench's target dir (`cargo build --release -p swarmd`). `BENCH_RUNS` (default 1) runs
//! each row that many times and reports the median.
//!
//! Run: `cargo build --release -p swarmd && cargo bench --bench bootstrap_sandbox`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use swarm_aws::bootstrap::{bootstrap_report, sandbox_inventory, sandbox_options, PhaseTimings};
use swarm_aws::sandbox::Sandbox;
use swarm_aws::ssh::ClusterKey;

const MANAGERS: usize = 3;
const WORKERS: usize = 5;

fn swarmd_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SWARMD_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("swarmd");
    if !bin.exists() {
        eprintln!(
            "no swarmd at {}: run `cargo build --release -p swarmd` or set SWARMD_BIN",
            bin.display()
        );
        std::process::exit(2);
    }
    bin
}

struct Sample {
    create: Duration,
    bootstrap: Duration,
    phases: PhaseTimings,
    /// (process name, RSS kB, PSS kB) of one idle worker host.
    memory: Vec<(String, u64, u64)>,
}

/// RSS and PSS (kB) of every process in `netns`.
fn host_memory(netns: &str) -> Vec<(String, u64, u64)> {
    let out = std::process::Command::new("ip")
        .args(["netns", "pids", netns])
        .output()
        .expect("ip netns pids");
    let mut rows = Vec::new();
    for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |name: &str| {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        rows.push((comm.trim().to_string(), field("Rss:"), field("Pss:")));
    }
    rows.sort();
    rows
}

/// Destroys the sandbox even if the run panics.
struct Guard(Sandbox);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(e) = self.0.destroy() {
            eprintln!("cleanup failed: {e}");
        }
    }
}

fn one(rt: &tokio::runtime::Runtime, binary: &Path, parallelism: usize, n: usize) -> Sample {
    let tmp = tempfile::tempdir().expect("tempdir");
    let name = format!("bb{}x{n}", std::process::id() % 100_000);
    let sandbox = Sandbox::with_state_root(&name, tmp.path().join("s")).expect("sandbox");
    let key = ClusterKey::generate("bench").expect("key");
    let t0 = Instant::now();
    let hosts = sandbox
        .create(MANAGERS + WORKERS, &key.public_openssh())
        .expect("create hosts");
    let guard = Guard(sandbox);
    let create = t0.elapsed();
    let mut opts = sandbox_options(&guard.0, &key, binary);
    opts.parallelism = parallelism;
    opts.progress = false;
    let t1 = Instant::now();
    let report = rt
        .block_on(bootstrap_report(
            &sandbox_inventory(&hosts, MANAGERS),
            &opts,
        ))
        .expect("bootstrap");
    let bootstrap = t1.elapsed();
    assert_eq!(report.nodes.ready_count(), MANAGERS + WORKERS);
    std::thread::sleep(Duration::from_secs(5));
    let memory = host_memory(&hosts[MANAGERS + WORKERS - 1].netns);
    drop(guard);
    Sample {
        create,
        bootstrap,
        phases: report.timings,
        memory,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let binary = swarmd_binary();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "sandbox up, {MANAGERS} managers + {WORKERS} workers, swarmd {} ({} MB), median of {runs}",
        binary.display(),
        std::fs::metadata(&binary)
            .map(|m| m.len() >> 20)
            .unwrap_or(0)
    );
    println!(
        "{:<22} {:>8} {:>8} {:>10} {:>8} {:>6} {:>9} {:>8} {:>7}",
        "worker joins",
        "total",
        "hosts",
        "bootstrap",
        "install",
        "init",
        "managers",
        "workers",
        "verify"
    );
    let mut n = 0;
    let mut memory = Vec::new();
    for (label, parallelism) in [("parallel (8 at once)", 8), ("sequential (1)", 1)] {
        let samples: Vec<Sample> = (0..runs)
            .map(|_| {
                n += 1;
                one(&rt, &binary, parallelism, n)
            })
            .collect();
        let pick = |f: &dyn Fn(&Sample) -> Duration| median(samples.iter().map(f).collect());
        let s = |d: Duration| format!("{:.2}s", d.as_secs_f64());
        println!(
            "{:<22} {:>8} {:>8} {:>10} {:>8} {:>6} {:>9} {:>8} {:>7}",
            label,
            s(pick(&|x| x.create + x.bootstrap)),
            s(pick(&|x| x.create)),
            s(pick(&|x| x.bootstrap)),
            s(pick(&|x| x.phases.install)),
            s(pick(&|x| x.phases.init)),
            s(pick(&|x| x.phases.managers)),
            s(pick(&|x| x.phases.workers)),
            s(pick(&|x| x.phases.verify)),
        );
        if memory.is_empty() {
            memory = samples[0].memory.clone();
        }
    }
    println!("\none idle worker host (every process in its namespace):");
    println!("{:<16} {:>10} {:>10}", "process", "RSS MB", "PSS MB");
    let mb = |kb: u64| format!("{:.1}", kb as f64 / 1024.0);
    for (comm, rss, pss) in &memory {
        println!("{comm:<16} {:>10} {:>10}", mb(*rss), mb(*pss));
    }
    let (rss, pss) = memory
        .iter()
        .fold((0, 0), |(r, p), (_, rss, pss)| (r + rss, p + pss));
    println!("{:<16} {:>10} {:>10}", "total", mb(rss), mb(pss));
}
