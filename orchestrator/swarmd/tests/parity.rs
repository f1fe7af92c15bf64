//! Behaving as Docker does (issues #14, #22, #12): real swarmd processes, the real Docker
//! daemon, every verb through the swarmd binary.
//!
//! - stop-first really stops first: with an image whose PID 1 ignores SIGTERM (so each stop
//!   takes the whole `--stop-grace-period`), the running containers of the service, sampled
//!   through the whole update, never exceed `replicas`; start-first never exceeds
//!   `replicas + parallelism`;
//! - Docker's container flags reach the container (inspected with `docker inspect`), and
//!   `service update --group-add/--host-rm/...`, `service update --rollback`, `service ps` of
//!   several services and `--no-resolve` work;
//! - `--init`, `--stop-signal` and the `--health-*` flags reach the container; a task is
//!   RUNNING once its container is healthy, and an unhealthy one fails and is replaced;
//! - `service create --mode global` returns once every node runs its task (`ls` says 3/3);
//! - a service whose image exists nowhere fails at once, naming the image and the registry;
//! - `node promote|demote|rm` take several nodes (a line per success, the failures at the
//!   end, exit non-zero) and `node promote|demote|update` echo the node as typed.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::{ok, svc, swarmd, Cluster, Node, Out};
use serde_json::Value;

const V1: &str = "swarm-test/parity:v1";
const V2: &str = "swarm-test/parity:v2";
const STUBBORN_V1: &str = "swarm-test/parity:stubborn-v1";
const STUBBORN_V2: &str = "swarm-test/parity:stubborn-v2";

fn images() {
    swarm_testkit::images::ensure(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &[
            (V1, &[]),
            (V2, &["--port", "80"]),
            (STUBBORN_V1, &["--ignore-sigterm"]),
            (STUBBORN_V2, &["--ignore-sigterm"]),
        ],
    );
}

/// Removes the containers (and named volumes) of the test's services, also after a panic.
struct Cleanup {
    services: Vec<&'static str>,
    volumes: Vec<&'static str>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for s in &self.services {
            common::remove_containers_labelled(&format!("com.docker.swarm.service.name={s}"));
        }
        for v in &self.volumes {
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", v])
                .output();
        }
    }
}

fn docker(args: &[&str]) -> String {
    let o = Command::new("docker").args(args).output().expect("docker");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Ids of the service's running containers on this machine's daemon.
fn running_containers(service: &str) -> Vec<String> {
    let label = format!("label=com.docker.swarm.service.name={service}");
    docker(&["ps", "-q", "--filter", &label])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// `docker inspect` of the service's one running container.
fn inspect_the_container(service: &str) -> Value {
    let ids = running_containers(service);
    assert_eq!(ids.len(), 1, "one running container of {service}: {ids:?}");
    let v: Value = serde_json::from_str(&docker(&["inspect", &ids[0]])).expect("inspect json");
    v[0].clone()
}

/// Runs `service update ARGS` in the background and samples the service's running containers
/// until it returns; returns the most seen at once and the update's output.
fn sample_update(n: &Node, service: &str, args: &[&str]) -> (usize, Out) {
    let dir = n.dir.display().to_string();
    let mut all: Vec<String> = ["service", "--state-dir", &dir, "update"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(args.iter().map(|s| s.to_string()));
    all.push(service.to_string());
    let update = std::thread::spawn(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        swarmd(&refs)
    });
    let mut most = 0;
    while !update.is_finished() {
        most = most.max(running_containers(service).len());
    }
    (most, update.join().expect("update thread"))
}

#[test]
fn stop_first_never_overlaps_and_start_first_overlaps_at_most_parallelism() {
    images();
    let name = "parity-roll";
    let _cleanup = Cleanup {
        services: vec![name],
        volumes: vec![],
    };
    let mut c = Cluster::new(71);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    let m = &c.nodes[m1];
    let replicas = 4;
    ok(
        svc(
            m,
            &[
                "create",
                "--name",
                name,
                "--replicas",
                "4",
                "--stop-grace-period",
                "2s",
                "--update-parallelism",
                "2",
                "--update-monitor",
                "500ms",
                STUBBORN_V1,
            ],
        ),
        "create",
        &c,
    );
    assert_eq!(running_containers(name).len(), replicas);

    // Default order (stop-first): a slot's new container starts only after its old one,
    // which ignores SIGTERM, was killed at the end of the 2 s grace period.
    let started = Instant::now();
    let (most, o) = sample_update(m, name, &["--image", STUBBORN_V2]);
    let stop_first = started.elapsed();
    assert!(o.ok, "update failed: {o:?}\n{}", c.logs());
    assert!(
        most <= replicas,
        "stop-first ran {most} containers at once for {replicas} replicas"
    );
    assert_eq!(running_containers(name).len(), replicas);

    // start-first: new before old, at most `parallelism` (2) extra at any moment.
    let started = Instant::now();
    let (most, o) = sample_update(
        m,
        name,
        &["--image", STUBBORN_V1, "--update-order", "start-first"],
    );
    let start_first = started.elapsed();
    assert!(o.ok, "update failed: {o:?}\n{}", c.logs());
    assert!(
        most <= replicas + 2,
        "start-first ran {most} containers at once (replicas {replicas}, parallelism 2)"
    );
    assert_eq!(running_containers(name).len(), replicas);
    eprintln!(
        "4 replicas, parallelism 2, 2 s grace: stop-first {stop_first:?}, start-first {start_first:?}"
    );
}

#[test]
fn dockers_flags_global_convergence_and_fail_fast() {
    images();
    let (web, other, global, missing) = ("parity-flags", "parity-other", "parity-g", "parity-x");
    let (health, healthy, sick) = ("parity-health", "parity-healthy", "parity-sick");
    let volume = "parity-flags-vol";
    let _cleanup = Cleanup {
        services: vec![web, other, global, missing, health, healthy, sick],
        volumes: vec![volume],
    };
    let mut c = Cluster::new(72);
    let m1 = c.init("m1");
    c.join("w1", "worker", m1);
    c.join("w2", "worker", m1);
    // Every agent reported its engine: all 3 nodes are eligible (a node that did not report
    // yet is not counted, by Docker either).
    common::svc::agents_ready(&c, m1, 3);
    let m = &c.nodes[m1];

    // --mode global returns once each of the 3 nodes runs its task; ls agrees right away.
    let o = ok(
        svc(m, &["create", "--name", global, "--mode", "global", V1]),
        "create global",
        &c,
    );
    assert!(
        o.stdout.contains("overall progress: 3 out of 3 tasks"),
        "{o:?}"
    );
    assert_eq!(running_containers(global).len(), 3, "{o:?}");
    let ls = ok(svc(m, &["ls"]), "ls", &c).stdout;
    let row = ls.lines().find(|l| l.contains(global)).expect("ls row");
    assert!(row.contains(" 3/3 "), "{ls}");
    // An update straight after waits for the 3 new tasks too.
    ok(svc(m, &["update", "--image", V2, global]), "update", &c);
    let images: Vec<String> = running_containers(global)
        .iter()
        .map(|id| {
            docker(&["inspect", "-f", "{{.Config.Image}}", id])
                .trim()
                .to_string()
        })
        .collect();
    assert_eq!(images, [V2, V2, V2], "{images:?}");

    // Fail fast: the image exists nowhere, every slot is rejected at once; create says so
    // (image and registry) instead of waiting out its 120 s timeout.
    let o = svc(
        m,
        &[
            "create",
            "--name",
            missing,
            "--replicas",
            "2",
            "swarm-test/parity:nowhere",
        ],
    );
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stderr.contains("no retry can cure")
            && o.stderr.contains(
                "image swarm-test/parity:nowhere not found locally nor in registry docker.io"
            ),
        "{o:?}"
    );
    assert!(!o.stderr.contains("did not converge within"), "{o:?}");

    // Many of Docker's flags on one service, checked on the container itself.
    let env_file = c.tmp().join("web.env");
    std::fs::write(&env_file, "# settings\nFROM_FILE=1\nOVERRIDDEN=file\n").unwrap();
    let env_file = env_file.display().to_string();
    let mount =
        format!("type=volume,source={volume},target=/data,volume-label=color=red,volume-nocopy");
    let o = svc(
        m,
        &[
            "create",
            "--name",
            web,
            "--hostname",
            "parity-host",
            "-u",
            "1000:1000",
            "-w",
            "/scratch",
            "--read-only",
            "-t",
            "--env-file",
            &env_file,
            "-e",
            "OVERRIDDEN=flag",
            "--group",
            "1234",
            "--group",
            "5678",
            "--host",
            "db:10.0.0.5",
            "--host",
            "cache:10.0.0.6",
            "--log-driver",
            "json-file",
            "--log-opt",
            "max-size=1m",
            "--mount",
            &mount,
            "--mount",
            "type=tmpfs,target=/scratch,tmpfs-mode=1770",
            "--stop-grace-period",
            "3s",
            "--cap-add",
            "net_admin",
            "--cap-drop",
            "MKNOD",
            "--dns",
            "10.0.0.2",
            "--dns-search",
            "example.com",
            "--dns-option",
            "ndots:2",
            V1,
            "--port",
            "8080",
        ],
    );
    let o = ok(o, "create with flags", &c);
    assert!(o.stdout.contains("verify: Service"), "{o:?}");
    let ct = inspect_the_container(web);
    let (cfg, host) = (&ct["Config"], &ct["HostConfig"]);
    assert_eq!(cfg["Hostname"], "parity-host", "{cfg}");
    assert_eq!(cfg["User"], "1000:1000");
    assert_eq!(cfg["WorkingDir"], "/scratch");
    assert_eq!(cfg["Tty"], true);
    assert_eq!(host["ReadonlyRootfs"], true);
    let env: Vec<&str> = cfg["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"FROM_FILE=1"), "{env:?}");
    // --env after --env-file: the later entry wins in the container.
    let last = env.iter().rev().find(|e| e.starts_with("OVERRIDDEN="));
    assert_eq!(last, Some(&"OVERRIDDEN=flag"), "{env:?}");
    assert_eq!(host["GroupAdd"], serde_json::json!(["1234", "5678"]));
    assert_eq!(
        host["ExtraHosts"],
        serde_json::json!(["db:10.0.0.5", "cache:10.0.0.6"])
    );
    assert_eq!(host["LogConfig"]["Type"], "json-file");
    assert_eq!(host["LogConfig"]["Config"]["max-size"], "1m");
    assert_eq!(
        host["CapAdd"],
        serde_json::json!(["CAP_NET_ADMIN"]),
        "{host}"
    );
    assert_eq!(host["CapDrop"], serde_json::json!(["CAP_MKNOD"]), "{host}");
    // --dns* on a task with no overlay network: the engine's resolv.conf has them.
    assert_eq!(host["Dns"], serde_json::json!(["10.0.0.2"]), "{host}");
    assert_eq!(
        host["DnsSearch"],
        serde_json::json!(["example.com"]),
        "{host}"
    );
    assert_eq!(host["DnsOptions"], serde_json::json!(["ndots:2"]), "{host}");
    let resolv_path = ct["ResolvConfPath"].as_str().expect("ResolvConfPath");
    let resolv = std::fs::read_to_string(resolv_path).expect("the container's resolv.conf");
    for line in [
        "nameserver 10.0.0.2",
        "search example.com",
        "options ndots:2",
    ] {
        assert!(
            resolv.lines().any(|l| l.trim() == line),
            "{line:?} in {resolv}"
        );
    }
    let mounts = host["Mounts"].as_array().unwrap();
    let data = mounts.iter().find(|m| m["Target"] == "/data").unwrap();
    assert_eq!(data["VolumeOptions"]["NoCopy"], true, "{data}");
    let scratch = mounts.iter().find(|m| m["Target"] == "/scratch").unwrap();
    assert_eq!(scratch["TmpfsOptions"]["Mode"], 0o1770, "{scratch}");
    let labels = docker(&["volume", "inspect", "-f", "{{json .Labels}}", volume]);
    assert!(labels.contains("\"color\":\"red\""), "{labels}");

    // update --group-add/--group-rm, --host-add/--host-rm: the new container has them.
    ok(
        svc(
            m,
            &[
                "update",
                "--group-rm",
                "1234",
                "--group-add",
                "9999",
                "--host-rm",
                "db",
                "--host-add",
                "queue:10.0.0.7",
                "--tty=false",
                "--cap-drop",
                "net_admin",
                "--dns-rm",
                "10.0.0.2",
                "--dns-add",
                "10.0.0.3",
                "--dns-search-add",
                "corp.example.com",
                web,
            ],
        ),
        "update groups and hosts",
        &c,
    );
    let ct = inspect_the_container(web);
    let host = &ct["HostConfig"];
    assert_eq!(host["GroupAdd"], serde_json::json!(["5678", "9999"]));
    assert_eq!(
        host["ExtraHosts"],
        serde_json::json!(["cache:10.0.0.6", "queue:10.0.0.7"])
    );
    assert_eq!(ct["Config"]["Tty"], false);
    assert_eq!(host["Dns"], serde_json::json!(["10.0.0.3"]), "{host}");
    assert_eq!(
        host["DnsSearch"],
        serde_json::json!(["example.com", "corp.example.com"]),
        "{host}"
    );
    // update --cap-drop of an added capability: no longer added, dropped.
    assert!(
        host["CapAdd"].as_array().is_none_or(Vec::is_empty),
        "{host}"
    );
    assert_eq!(
        host["CapDrop"],
        serde_json::json!(["CAP_MKNOD", "CAP_NET_ADMIN"]),
        "{host}"
    );
    // update --rollback is `service rollback`; other flags with it are refused.
    let o = svc(m, &["update", "--rollback", "--group-add", "1", web]);
    assert!(!o.ok && o.stderr.contains("--rollback"), "{o:?}");
    ok(
        svc(m, &["update", "--rollback", web]),
        "update --rollback",
        &c,
    );
    let ct = inspect_the_container(web);
    assert_eq!(
        ct["HostConfig"]["GroupAdd"],
        serde_json::json!(["1234", "5678"])
    );

    // service ps of several services; --no-resolve shows node ids instead of host names.
    ok(
        svc(
            m,
            &[
                "create",
                "--name",
                other,
                "--constraint",
                "node.role==manager",
                V1,
            ],
        ),
        "create other",
        &c,
    );
    let ps = ok(svc(m, &["ps", web, other]), "ps of two", &c).stdout;
    assert!(
        ps.contains(&format!("{web}.1 ")) && ps.contains(&format!("{other}.1 ")),
        "{ps}"
    );
    assert!(ps.contains(" m1 "), "{ps}");
    let raw = ok(
        svc(m, &["ps", "--no-resolve", other]),
        "ps --no-resolve",
        &c,
    )
    .stdout;
    let m1_id = m.id();
    assert!(
        !raw.contains(" m1 ") && raw.contains(&m1_id[..m1_id.len().min(12)]),
        "{raw}"
    );
    let o = svc(m, &["ps", web, "parity-none"]);
    assert!(!o.ok && o.stderr.contains("parity-none"), "{o:?}");

    // --init, --stop-signal and the --health-* flags reach the container. The check runs
    // first after its start interval (an hour): the task stays STARTING meanwhile, as in
    // Docker's swarm, so the create does not wait (-d).
    ok(
        svc(
            m,
            &[
                "create",
                "-d",
                "--name",
                health,
                "--constraint",
                "node.role==manager",
                "--init",
                "--stop-signal",
                "SIGINT",
                "--health-cmd",
                "/web --exit-immediately",
                "--health-interval",
                "1h",
                "--health-timeout",
                "5s",
                "--health-retries",
                "2",
                "--health-start-period",
                "1h",
                "--health-start-interval",
                "1h",
                V1,
                "--port",
                "8081",
            ],
        ),
        "create with --init, --stop-signal, --health-*",
        &c,
    );
    let ct = common::wait_for("the healthcheck container", common::WAIT, || {
        (running_containers(health).len() == 1).then(|| inspect_the_container(health))
    });
    assert_eq!(ct["HostConfig"]["Init"], true, "{ct}");
    assert_eq!(ct["Config"]["StopSignal"], "SIGINT", "{ct}");
    let hc = &ct["Config"]["Healthcheck"];
    assert_eq!(
        hc["Test"],
        serde_json::json!(["CMD-SHELL", "/web --exit-immediately"]),
        "{hc}"
    );
    assert_eq!(hc["Interval"], 3_600_000_000_000_i64, "{hc}");
    assert_eq!(hc["Timeout"], 5_000_000_000_i64, "{hc}");
    assert_eq!(hc["Retries"], 2, "{hc}");
    assert_eq!(hc["StartPeriod"], 3_600_000_000_000_i64, "{hc}");
    // StartInterval needs engine API 1.44; an older engine (this machine's 20.10 speaks
    // 1.41) drops it, as it drops it from `docker run --health-start-interval`.
    assert!(
        hc["StartInterval"].is_null() || hc["StartInterval"] == 3_600_000_000_000_i64,
        "{hc}"
    );
    let state = |name: &str| -> Vec<String> {
        common::svc::tasks(m, name)
            .iter()
            .map(|t| {
                t["status"]["state"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        state(health),
        ["starting"],
        "not RUNNING before it is healthy"
    );
    let shown = ok(svc(m, &["inspect", "--pretty", health]), "inspect", &c).stdout;
    assert!(
        shown.contains(" Init:\t\ttrue") && shown.contains("  Retries = 2"),
        "{shown}"
    );
    // --no-healthcheck turns the check off: the new container has none and runs.
    ok(
        svc(m, &["update", "--no-healthcheck", health]),
        "update --no-healthcheck",
        &c,
    );
    let ct = inspect_the_container(health);
    assert_eq!(
        ct["Config"]["Healthcheck"]["Test"],
        serde_json::json!(["NONE"]),
        "{ct}"
    );
    assert!(ct["State"]["Health"].is_null(), "{ct}");

    // A check that passes (exec form, through the API): RUNNING once healthy. One that
    // fails: the task fails as unhealthy and is replaced, as Docker's swarm does.
    let mut spec = common::svc::spec(healthy, Some(1));
    spec["task"]["container"]["image"] = V1.into();
    spec["task"]["placement"] = serde_json::json!({"constraints": ["node.role==manager"]});
    spec["task"]["container"]["healthcheck"] = serde_json::json!({
        "test": ["CMD", "/web", "--exit-immediately"], "interval_ms": 200, "retries": 1});
    common::svc::create(m, spec.clone());
    common::wait_for("the healthy task to run", common::WAIT, || {
        (state(healthy) == ["running"]).then_some(())
    });
    let ct = inspect_the_container(healthy);
    assert_eq!(ct["State"]["Health"]["Status"], "healthy", "{ct}");
    spec["name"] = sick.into();
    spec["task"]["container"]["healthcheck"]["test"] =
        serde_json::json!(["CMD", "/web", "--exit-immediately", "--exit-code", "1"]);
    common::svc::create(m, spec);
    let failed = common::wait_for(
        "the unhealthy task to fail and be replaced",
        common::WAIT,
        || {
            let tasks = common::svc::tasks(m, sick);
            let failed = tasks
                .iter()
                .find(|t| t["status"]["state"] == "failed")?
                .clone();
            (tasks.len() >= 2).then_some(failed)
        },
    );
    assert!(
        failed["status"]["err"]
            .as_str()
            .is_some_and(|e| e.contains("unhealthy container")),
        "{failed}"
    );

    // node promote|demote of several nodes: each in turn, echoed as typed, failures last.
    let o = m.cli(&["node", "promote", "w1", "parity-nonode"]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stdout
            .contains("Node w1 promoted to a manager in the swarm."),
        "{o:?}"
    );
    assert!(o.stderr.contains("parity-nonode"), "{o:?}");
    common::wait_for("w1 a voter", common::WAIT, || {
        (m.info()?["voters"].as_array()?.len() == 2).then_some(())
    });
    let o = m.cli(&["node", "demote", "parity-nonode", "w1"]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stdout.contains("Manager w1 demoted in the swarm."),
        "{o:?}"
    );
    assert!(o.stderr.contains("parity-nonode"), "{o:?}");
    let o = ok(
        m.cli(&["node", "update", "--availability", "active", "w2"]),
        "node update",
        &c,
    );
    assert_eq!(o.stdout.trim(), "w2");
    let o = m.cli(&["node", "rm", "parity-gone1", "parity-gone2"]);
    assert!(
        !o.ok && o.stderr.contains("parity-gone1") && o.stderr.contains("parity-gone2"),
        "{o:?}"
    );
}
