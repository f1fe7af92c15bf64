//! swarmd and Docker Swarm mode side by side, in one run, on the same 3 sandbox hosts (all
//! managers) and the same hosts' engines (issue #19): Docker Swarm first (`docker swarm init`/
//! `join` in the hosts' dockerd), then every host leaves it and swarmd is bootstrapped onto the
//! same hosts, whose dockerd then runs swarmd's tasks. Both use the same image (the test image,
//! pushed to the sandbox registry) and the same CLI verbs (`docker -H <host's socket>` and
//! `swarmd` on the host's local socket). Rows, each timed from the verb to the condition, read on
//! the hosts' engines (running containers of the service, labelled alike by both):
//! create N → N running; scale N→2N → 2N running; rolling update of 2N (parallelism 10, delay 0,
//! a container label changed) → 2N running with the new label; `service ls` latency (median of
//! 10); the real docker CLI against each engine's API on the same host (Docker: the engine's
//! socket; swarmd: its Docker-compatible `<state>/docker.sock`): `service ls` latency and
//! `service create` of one replica (with `--detach`, and waiting for it to run); manager RSS (the
//! leader's daemon, 2N tasks); `service rm` → no container left; leader
//! failover (kill -9 the leader's daemon) → a write accepted by another manager; node loss (a
//! new N-replica service, then the host with most of its tasks loses its dockerd and, for swarmd, its swarmd) → N running
//! on the other hosts. After `service rm` it prints the hosts' engine events (kill/die/destroy,
//! first..last, relative to the verb) to show where its time goes.
//!
//! Needs root, the sandbox's tools and a swarmd binary (`$SWARMD_BIN`, else next to this bench
//! in the target dir). `BENCH_N` (default 50) sets N.
//! Run: `cargo build --release -p swarmd && cargo bench --bench engines`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use swarm_aws::bootstrap::remote::daemon_start_command;
use swarm_aws::bootstrap::{sandbox_inventory, sandbox_options};
use swarm_aws::engine::{ClusterEngine, Engine, EngineKind};
use swarm_aws::sandbox::{Sandbox, SandboxHost};
use swarm_aws::ssh::ClusterKey;

const HOSTS: usize = 3;
const SERVICE: &str = "benchweb";
const LIMIT: Duration = Duration::from_secs(600);

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
        eprintln!("no swarmd at {}: build it or set SWARMD_BIN", bin.display());
        std::process::exit(2);
    }
    bin
}

/// Destroys the sandbox even if the run panics.
struct Guard(Sandbox);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.destroy();
    }
}

/// The CLI of one engine on one host.
#[derive(Clone)]
enum Cli {
    Docker(PathBuf),
    Swarmd { bin: PathBuf, state: String },
}

impl Cli {
    fn of(kind: EngineKind, h: &SandboxHost, swarmd: &Path) -> Cli {
        match kind {
            EngineKind::Docker => Cli::Docker(h.docker_socket()),
            EngineKind::Swarmd => Cli::Swarmd {
                bin: swarmd.to_path_buf(),
                state: h.dir.join("var/lib/swarmd").display().to_string(),
            },
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = match self {
            Cli::Docker(sock) => Command::new("docker")
                .arg("-H")
                .arg(format!("unix://{}", sock.display()))
                .args(args)
                .output(),
            Cli::Swarmd { bin, state } => Command::new(bin)
                .args(args)
                .env("SWARMD_STATE_DIR", state)
                .output(),
        };
        out.expect("the CLI runs")
    }

    fn ok(&self, args: &[&str]) {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Containers of the service on the hosts' engines: (running, running with label bench=v2, all).
fn containers(sockets: &[PathBuf]) -> (usize, usize, usize) {
    let count = |sock: &PathBuf, extra: &[&str]| {
        let mut args = vec![
            "-H".to_string(),
            format!("unix://{}", sock.display()),
            "ps".into(),
            "-q".into(),
            "--filter".into(),
            format!("label=com.docker.swarm.service.name={SERVICE}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = Command::new("docker")
            .args(&args)
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .count()
    };
    let mut t = (0, 0, 0);
    for s in sockets {
        t.0 += count(s, &[]);
        t.1 += count(s, &["--filter", "label=bench=v2"]);
        t.2 += count(s, &["-a"]);
    }
    t
}

/// Prints where the time of `service rm` goes, from each host engine's events (container
/// `kill`/`die` = stopping, `destroy` = removed), relative to the verb.
fn rm_timeline(
    kind: EngineKind,
    sockets: &[PathBuf],
    since: SystemTime,
    verb: Duration,
    none_running: Duration,
) {
    let t0 = since.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let until = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    eprintln!(
        "{kind}: rm timeline: verb returned {:.2}s, no container running {:.2}s",
        verb.as_secs_f64(),
        none_running.as_secs_f64()
    );
    for (i, sock) in sockets.iter().enumerate() {
        let out = Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}", sock.display()))
            .args(["events", "--since", &format!("{t0:.3}")])
            .args(["--until", &format!("{:.3}", until + 1.0)])
            .args(["--filter", "type=container"])
            .args([
                "--filter",
                &format!("label=com.docker.swarm.service.name={SERVICE}"),
            ])
            .args(["--format", "{{.TimeNano}} {{.Action}}"])
            .output()
            .expect("docker events");
        let mut by_action: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut it = line.split_whitespace();
            let (Some(ns), Some(action)) = (it.next(), it.next()) else {
                continue;
            };
            let Ok(ns) = ns.parse::<f64>() else { continue };
            let action = action.split(':').next().unwrap_or(action).to_string();
            by_action.entry(action).or_default().push(ns / 1e9 - t0);
        }
        let summary: Vec<String> = by_action
            .iter()
            .map(|(a, ts)| {
                let first = ts.iter().copied().fold(f64::INFINITY, f64::min);
                let last = ts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("{a} x{} {first:.2}..{last:.2}s", ts.len())
            })
            .collect();
        eprintln!("{kind}: rm timeline host-{i}: {}", summary.join(", "));
    }
}

fn until(what: &str, ok: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < LIMIT, "{what}: not done after {LIMIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .expect("a pid")
}

/// The leader daemon's pid on host `h`.
fn daemon_pid(kind: EngineKind, h: &SandboxHost) -> u32 {
    match kind {
        EngineKind::Docker => read_pid(&h.docker_socket().with_file_name("docker.pid")),
        EngineKind::Swarmd => read_pid(&h.dir.join("run/swarmd.pid")),
    }
}

#[derive(Default, Clone)]
struct Row {
    name: String,
    docker: f64,
    swarmd: f64,
    unit: &'static str,
}

fn measure(
    kind: EngineKind,
    hosts: &[SandboxHost],
    sandbox: &Sandbox,
    swarmd: &Path,
    image: &str,
    n: usize,
) -> Vec<(String, f64, &'static str)> {
    let cli: Vec<Cli> = hosts.iter().map(|h| Cli::of(kind, h, swarmd)).collect();
    let sockets: Vec<PathBuf> = hosts.iter().map(|h| h.docker_socket()).collect();
    let mut rows = Vec::new();
    let secs = |d: Duration| d.as_secs_f64();
    let (n_s, n2_s) = (n.to_string(), (2 * n).to_string());

    let t = Instant::now();
    cli[0].ok(&[
        "service",
        "create",
        "--detach",
        "--name",
        SERVICE,
        "--replicas",
        &n_s,
        "--update-parallelism",
        "10",
        "--update-delay",
        "0s",
        image,
    ]);
    until("create", || containers(&sockets).0 >= n);
    rows.push((
        format!("service create --replicas {n} → all running"),
        secs(t.elapsed()),
        "s",
    ));

    let t = Instant::now();
    cli[0].ok(&["service", "scale", "--detach", &format!("{SERVICE}={n2_s}")]);
    until("scale", || containers(&sockets).0 >= 2 * n);
    rows.push((
        format!("scale {n} → {} → all running", 2 * n),
        secs(t.elapsed()),
        "s",
    ));

    let t = Instant::now();
    cli[0].ok(&[
        "service",
        "update",
        "--detach",
        "--container-label-add",
        "bench=v2",
        SERVICE,
    ]);
    until("rolling update", || {
        let (running, new, _) = containers(&sockets);
        running == 2 * n && new == 2 * n
    });
    rows.push((
        format!("rolling update of {} (par. 10, delay 0) → done", 2 * n),
        secs(t.elapsed()),
        "s",
    ));

    let mut ls: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            cli[0].ok(&["service", "ls"]);
            t.elapsed()
        })
        .collect();
    ls.sort();
    rows.push((
        "service ls latency (median of 10, CLI process)".into(),
        ls[5].as_secs_f64() * 1000.0,
        "ms",
    ));

    rows.extend(docker_cli_rows(kind, &hosts[0], image));

    rows.push((
        format!("leader daemon RSS with {} tasks", 2 * n),
        rss_kb(daemon_pid(kind, &hosts[0])) as f64 / 1024.0,
        "MiB",
    ));

    let since = SystemTime::now();
    let t = Instant::now();
    cli[0].ok(&["service", "rm", SERVICE]);
    let verb = t.elapsed();
    let none_running = std::cell::Cell::new(None);
    until("rm", || {
        let (running, _, all) = containers(&sockets);
        if running == 0 && none_running.get().is_none() {
            none_running.set(Some(t.elapsed()));
        }
        all == 0
    });
    let took = t.elapsed();
    rows.push(("service rm → no container left".into(), secs(took), "s"));
    rm_timeline(
        kind,
        &sockets,
        since,
        verb,
        none_running.get().unwrap_or(took),
    );

    // Leader failover: kill -9 host-0's daemon (it made the cluster and leads), then a write
    // (a 0-replica service) through host-1 until one is accepted.
    let pid = daemon_pid(kind, &hosts[0]);
    let t = Instant::now();
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    // Each attempt is a new name: an attempt that failed on the client may still have been
    // committed, and a retry of the same name would then fail for ever.
    let attempt = std::cell::Cell::new(0usize);
    let errors = std::cell::RefCell::new(Vec::new());
    until("failover write", || {
        let i = attempt.get();
        attempt.set(i + 1);
        let name = format!("benchfo{i}");
        let out = cli[1].run(&[
            "service",
            "create",
            "--detach",
            "--name",
            &name,
            "--replicas",
            "0",
            image,
        ]);
        if !out.status.success() && errors.borrow().len() < 3 {
            errors
                .borrow_mut()
                .push(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        out.status.success()
    });
    let took = t.elapsed();
    eprintln!(
        "{kind}: failover: {} attempt(s); first errors: {:?}",
        attempt.get(),
        errors.borrow()
    );
    rows.push((
        "leader failover (kill -9) → write accepted".into(),
        secs(took),
        "s",
    ));
    for i in 0..attempt.get() {
        cli[1].run(&["service", "rm", &format!("benchfo{i}")]);
    }
    // Bring host-0's daemon back (docker: its engine; swarmd: swarmd in its namespace).
    match kind {
        EngineKind::Docker => {
            sandbox.stop_host(&hosts[0].name).unwrap();
            sandbox.start_host(&hosts[0].name).unwrap();
        }
        EngineKind::Swarmd => {
            let layout = swarm_aws::bootstrap::RemoteLayout::under(&hosts[0].dir);
            let st = Command::new("nsenter")
                .arg(format!("--net=/run/netns/{}", hosts[0].netns))
                .args(["sh", "-c", &daemon_start_command(&layout)])
                .status()
                .unwrap();
            assert!(st.success());
        }
    }
    rows.push(node_loss(kind, &cli, hosts, sandbox, image, n));
    rows
}

/// The real docker CLI against the engine's API on host `h`: Docker's own engine socket, or
/// swarmd's Docker-compatible socket in its state dir (`<state>/docker.sock`).
fn docker_api_socket(kind: EngineKind, h: &SandboxHost) -> PathBuf {
    match kind {
        EngineKind::Docker => h.docker_socket(),
        EngineKind::Swarmd => h.dir.join("var/lib/swarmd/docker.sock"),
    }
}

/// Rows of the real docker CLI on both engines (the same client, the same verbs): `service ls`
/// latency (median of 10, with the 2N tasks of the service running), `service create` of one
/// replica with `--detach` (median of 5: until the call returns), and without it (the CLI
/// waits until the task runs; median of 3). The created services are removed again.
fn docker_cli_rows(
    kind: EngineKind,
    h: &SandboxHost,
    image: &str,
) -> Vec<(String, f64, &'static str)> {
    let cli = Cli::Docker(docker_api_socket(kind, h));
    let median_ms = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let ls: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            cli.ok(&["service", "ls"]);
            t.elapsed()
        })
        .collect();
    let mut made = Vec::new();
    let mut create = |detach: bool, runs: usize| -> Vec<Duration> {
        (0..runs)
            .map(|i| {
                let name = format!("benchdc{}{i}", if detach { "d" } else { "w" });
                let mut args = vec!["service", "create", "--quiet", "--name", &name];
                args.extend(["--replicas", "1"]);
                if detach {
                    args.push("--detach");
                }
                args.push(image);
                let t = Instant::now();
                cli.ok(&args);
                let took = t.elapsed();
                made.push(name.clone());
                took
            })
            .collect()
    };
    let detached = create(true, 5);
    let waited = create(false, 3);
    for name in &made {
        cli.ok(&["service", "rm", name]);
    }
    vec![
        (
            "docker CLI: service ls latency (median of 10)".into(),
            median_ms(ls),
            "ms",
        ),
        (
            "docker CLI: service create 1 replica --detach (median of 5)".into(),
            median_ms(detached),
            "ms",
        ),
        (
            "docker CLI: service create 1 replica, waits running (med. 3)".into(),
            median_ms(waited),
            "ms",
        ),
    ]
}

/// Node loss: a service of N replicas, then the host (0 or 2) with most of its tasks loses its
/// engine and its manager (docker: its dockerd, which is both; swarmd: its dockerd and its swarmd, kill -9) →
/// N running on the other two hosts. The lost host's engine is started again afterwards.
fn node_loss(
    kind: EngineKind,
    cli: &[Cli],
    hosts: &[SandboxHost],
    sandbox: &Sandbox,
    image: &str,
    n: usize,
) -> (String, f64, &'static str) {
    const LOST: &str = "benchnl";
    let sockets: Vec<PathBuf> = hosts.iter().map(|h| h.docker_socket()).collect();
    let running = |socks: &[PathBuf]| {
        socks
            .iter()
            .map(|s| {
                let out = Command::new("docker")
                    .arg("-H")
                    .arg(format!("unix://{}", s.display()))
                    .args(["ps", "-q", "--filter"])
                    .arg(format!("label=com.docker.swarm.service.name={LOST}"))
                    .output()
                    .expect("docker ps");
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .count()
            })
            .collect::<Vec<usize>>()
    };
    cli[1].ok(&[
        "service",
        "create",
        "--detach",
        "--name",
        LOST,
        "--replicas",
        &n.to_string(),
        image,
    ]);
    until("node-loss service running", || {
        running(&sockets).iter().sum::<usize>() >= n
    });
    // The host to lose: the one (other than host-1, whose CLI is used) with most of the tasks
    // (a scheduler may put them all on one node, e.g. a node that was just restarted).
    let counts = running(&sockets);
    let lost = if counts[0] >= counts[2] { 0 } else { 2 };
    let others: Vec<PathBuf> = (0..sockets.len())
        .filter(|&i| i != lost)
        .map(|i| sockets[i].clone())
        .collect();
    let on_lost = counts[lost];
    let swarmd_pid = (kind == EngineKind::Swarmd).then(|| daemon_pid(kind, &hosts[lost]));
    let t = Instant::now();
    if let Some(pid) = swarmd_pid {
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
    }
    sandbox.stop_host(&hosts[lost].name).unwrap();
    until("node loss → rescheduled", || {
        running(&others).iter().sum::<usize>() >= n
    });
    let took = t.elapsed();
    eprintln!("{kind}: node loss: host-{lost} lost, {on_lost} of {n} tasks were on it");
    cli[1].ok(&["service", "rm", LOST]);
    until("node-loss service removed", || {
        running(&others).iter().sum::<usize>() == 0
    });
    sandbox.start_host(&hosts[lost].name).unwrap();
    (
        format!("node loss (1 of 3 hosts) → {n} running elsewhere"),
        took.as_secs_f64(),
        "s",
    )
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let swarmd = swarmd_binary();
    let root = tempfile::tempdir().expect("temp dir");
    let sandbox =
        Sandbox::with_state_root("bnch-engines", root.path().join("sandbox")).expect("sandbox");
    let key_dir = root.path().join("key");
    std::fs::create_dir_all(&key_dir).unwrap();
    let (key, _) = ClusterKey::load_or_create(&key_dir, "bench-engines").expect("key");
    let guard = Guard(sandbox.clone());
    let mut hosts = sandbox.create(HOSTS, &key.public_openssh()).expect("hosts");
    hosts.sort_by_key(|h| h.index);
    let inv = sandbox_inventory(&hosts, HOSTS);
    let mut opts = sandbox_options(&sandbox, &key, &swarmd);
    opts.progress = false;

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("testimg");
    swarm_testimg::build_image(&dir, swarm_testimg::IMAGE).expect("build the test image");
    let image = format!(
        "{}/{}",
        sandbox.registry_addr().unwrap(),
        swarm_testimg::IMAGE
    );
    for args in [
        vec!["tag", swarm_testimg::IMAGE, &image],
        vec!["push", &image],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        assert!(out.status.success(), "docker {args:?}: {out:?}");
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut table: Vec<Row> = Vec::new();
    for kind in [EngineKind::Docker, EngineKind::Swarmd] {
        let engine = Engine::of(kind);
        let t = Instant::now();
        rt.block_on(engine.bootstrap(&inv, &opts))
            .expect("bootstrap");
        eprintln!(
            "{kind}: {HOSTS} managers Ready in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        let rows = measure(kind, &hosts, &sandbox, &swarmd, &image, n);
        for (i, (name, v, unit)) in rows.into_iter().enumerate() {
            eprintln!("{kind}: {name}: {v:.3} {unit}");
            if table.len() <= i {
                table.push(Row {
                    name,
                    unit,
                    ..Row::default()
                });
            }
            match kind {
                EngineKind::Docker => table[i].docker = v,
                EngineKind::Swarmd => table[i].swarmd = v,
            }
        }
        if kind == EngineKind::Docker {
            // The same hosts go to swarmd: every engine leaves Docker's swarm.
            for h in &hosts {
                let _ = Cli::Docker(h.docker_socket()).run(&["swarm", "leave", "--force"]);
            }
        }
    }
    println!(
        "\nswarmd vs Docker Swarm mode, {HOSTS} sandbox hosts (all managers), N = {n}, same hosts' engines\n"
    );
    println!(
        "{:<62} {:>12} {:>12} {:>16}",
        "row", "docker", "swarmd", "swarmd/docker"
    );
    for r in &table {
        println!(
            "{:<62} {:>9.2} {:<3}{:>9.2} {:<3}{:>15.2}x",
            r.name,
            r.docker,
            r.unit,
            r.swarmd,
            r.unit,
            if r.docker > 0.0 {
                r.swarmd / r.docker
            } else {
                f64::NAN
            }
        );
    }
    drop(guard);
}
