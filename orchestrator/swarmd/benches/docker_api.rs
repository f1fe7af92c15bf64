//! Docker-compatible API benchmarks (issue #17) with real `swarmd` processes on loopback, the
//! machine's `docker` 28 CLI and the local Docker daemon; prints a table.
//!
//! - `docker service ls` with 0 and 20 services, next to `swarmd service ls` (the same
//!   manager, its own API): the latency of one CLI run (process start included);
//! - `docker service create --detach` of a 1-replica service (the answer, not convergence),
//!   next to `swarmd service create --detach`;
//! - log streaming: 10 tasks on 3 nodes, each printing 20 000 lines at start; the lines per
//!   second `docker service logs` receives (stdcopy frames through the manager from every
//!   node), next to `swarmd service logs --timestamps` (the same stream, newline JSON).
//!
//! The comparison with Docker's own swarm on the same hosts is not here yet.
//!
//! Run with `cargo bench -p swarmd --bench docker_api`; `SWARMD_BENCH_RUNS=N` sets the runs
//! per latency row (default 20). Every container is removed at the end.

#[allow(missing_docs)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::svc::{agents_ready, Containers};
use common::{wait_for, Cluster, Node, WAIT};

const CHATTY: &str = "swarm-test/chatter:v1";
const LINES_PER_TASK: u64 = 20_000;

/// A client command run against a node.
type Cli = fn(&Node, &[&str]) -> std::process::Output;

fn docker(n: &Node, args: &[&str]) -> std::process::Output {
    let config = n.dir.join("docker-cli-config");
    std::fs::create_dir_all(&config).expect("config dir");
    Command::new("docker")
        .env(
            "DOCKER_HOST",
            format!("unix://{}", n.dir.join("docker.sock").display()),
        )
        .env("DOCKER_CONFIG", &config)
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("docker")
}

fn swarmd(n: &Node, args: &[&str]) -> std::process::Output {
    let dir = n.dir.display().to_string();
    let mut all = vec!["service", "--state-dir", &dir];
    all.extend(args);
    Command::new(env!("CARGO_BIN_EXE_swarmd"))
        .args(&all)
        .stdin(Stdio::null())
        .output()
        .expect("swarmd")
}

fn timed(mut f: impl FnMut() -> std::process::Output) -> Duration {
    let t = Instant::now();
    let o = f();
    let d = t.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    d
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:>8.1} {:>8.1} {:>8.1} {:>8.1}",
        ms(v[0]),
        ms(p(0.5)),
        ms(p(0.9)),
        ms(v[v.len() - 1])
    )
}

fn main() {
    let runs: usize = std::env::var("SWARMD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let chatter = LINES_PER_TASK.to_string();
    swarm_testkit::images::ensure(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &[(CHATTY, &["--chatter", &chatter])],
    );
    let image = common::test_image();
    let mut cleanup = Containers(Vec::new());
    let (c, [m1, _, _]) = Cluster::start(92, ["m1", "w1", "w2"]);
    cleanup.0 = agents_ready(&c, m1, 3);
    let m = &c.nodes[m1];
    // Warm both paths once.
    docker(m, &["service", "ls"]);
    swarmd(m, &["ls"]);

    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>8}",
        "latency (ms, runs)", "min", "median", "p90", "max"
    );
    let row = |name: &str, d: Vec<Duration>| println!("{name:<44} {}", stats(d));
    for services in [0usize, 20] {
        let have = String::from_utf8_lossy(&docker(m, &["service", "ls", "-q"]).stdout)
            .lines()
            .count();
        for k in have..services {
            let name = format!("s{k}");
            let o = docker(
                m,
                &[
                    "service",
                    "create",
                    "--detach",
                    "--name",
                    &name,
                    "--replicas",
                    "0",
                    image,
                ],
            );
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        row(
            &format!("docker service ls ({services} services, {runs})"),
            (0..runs)
                .map(|_| timed(|| docker(m, &["service", "ls"])))
                .collect(),
        );
        row(
            &format!("swarmd service ls ({services} services, {runs})"),
            (0..runs).map(|_| timed(|| swarmd(m, &["ls"]))).collect(),
        );
    }
    // The same creation through either client: docker's `service create`, swarmd's `create`.
    let clients: [(&str, Cli, &[&str]); 2] = [
        ("docker service", docker, &["service", "create"]),
        ("swarmd service", swarmd, &["create"]),
    ];
    let mut k = 0;
    for (label, client, verb) in clients {
        row(
            &format!("{label} create --detach ({runs})"),
            (0..runs)
                .map(|_| {
                    k += 1;
                    let name = format!("d{k}");
                    let mut args = verb.to_vec();
                    args.extend(["--detach", "--name", &name, "--replicas", "0", image]);
                    timed(|| client(m, &args))
                })
                .collect(),
        );
    }

    // Log streaming: 10 tasks over the 3 nodes, all their lines written before reading.
    let o = docker(
        m,
        &[
            "service",
            "create",
            "--name",
            "chat",
            "--replicas",
            "10",
            CHATTY,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let total = 10 * LINES_PER_TASK as usize;
    wait_for("every task to have written its lines", WAIT, || {
        // The last two lines of each task: its last chatter line, then "listening".
        let out = docker(m, &["service", "logs", "--tail", "2", "chat"]);
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        (s.lines()
            .filter(|l| l.ends_with(&format!(" chatter {LINES_PER_TASK}/{LINES_PER_TASK}")))
            .count()
            == 10)
            .then_some(())
    });
    println!(
        "\n{:<44} {:>10} {:>10} {:>12}",
        "log streaming (10 tasks, 3 nodes)", "lines", "seconds", "lines/s"
    );
    for (name, args) in [
        ("docker service logs chat", vec!["service", "logs", "chat"]),
        (
            "swarmd service logs --timestamps chat",
            vec!["logs", "--timestamps", "chat"],
        ),
    ] {
        let t = Instant::now();
        let out = if name.starts_with("docker") {
            docker(m, &args)
        } else {
            swarmd(m, &args)
        };
        let secs = t.elapsed().as_secs_f64();
        let lines = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("chatter "))
            .count();
        // At least every line of the 10 tasks (a task replaced meanwhile adds its own).
        assert!(
            lines >= total,
            "{name}: {lines} lines: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{name:<44} {lines:>10} {secs:>10.2} {:>12.0}",
            lines as f64 / secs
        );
    }
}
