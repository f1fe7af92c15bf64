//! `--engine docker` end to end (issue #19): `up --sandbox --engine docker` with 3 managers and 2
//! workers bootstraps Docker's own Swarm mode in the hosts' own engines over SSH and ends with 5
//! Ready nodes and one Leader in `docker node ls` asked on a manager's engine; the engine is
//! recorded with the cluster (a mismatching `--engine` is an exit-2 error); `swarm-aws service
//! create --replicas 4` runs 4 tasks on the hosts' engines (each asked on its own socket) and none
//! on this machine's daemon; `scale --sandbox --managers 1` drains, demotes and removes two
//! managers while a staying manager answers `docker node ls` with a Leader at every poll (quorum
//! throughout), and the service keeps 4 tasks; `down --sandbox` leaves nothing.
//! Needs root, the emulator (scripts/test) and Docker.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandbox_home::{json_docs, netns, push_test_image, Home};
use serde_json::Value;
use swarm_aws::sandbox::Sandbox;

/// `docker ARGS` on this machine's CLI against one host's own engine.
fn docker_on(socket: &Path, args: &[&str]) -> Output {
    Command::new("docker")
        .arg("-H")
        .arg(format!("unix://{}", socket.display()))
        .args(args)
        .output()
        .expect("docker runs")
}

fn ok_stdout(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `docker node ls` on a manager's engine: (status, manager status) per node.
fn node_ls(socket: &Path) -> Result<Vec<(String, String)>, String> {
    let out = docker_on(
        socket,
        &["node", "ls", "--format", "{{.Status}}|{{.ManagerStatus}}"],
    );
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (s, m) = l.split_once('|').unwrap_or((l, ""));
            (s.to_string(), m.to_string())
        })
        .collect())
}

/// Running containers of service `web` on each of `sockets` (the hosts' own engines).
fn web_containers(sockets: &[PathBuf]) -> Vec<usize> {
    sockets
        .iter()
        .map(|s| {
            let out = docker_on(
                s,
                &[
                    "ps",
                    "-q",
                    "--filter",
                    "label=com.docker.swarm.service.name=web",
                ],
            );
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .count()
        })
        .collect()
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match ok() {
            Ok(()) => return,
            Err(last) if Instant::now() >= deadline => panic!("{what}: {last}"),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

#[test]
fn docker_engine_up_service_scale_down() {
    let home = Home::new(format!("dkeng{}", std::process::id() % 100_000));
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--engine",
        "docker",
        "--name",
        &home.name,
        "--managers",
        "3",
        "--workers",
        "2",
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(
        up.status.success(),
        "up --sandbox --engine docker failed:\n{stderr}"
    );
    assert!(!stderr.contains("SWMTKN-1-"), "a join token was printed");
    let docs = json_docs(&up);
    assert_eq!(docs.len(), 2, "{}", String::from_utf8_lossy(&up.stdout));
    assert_eq!(docs[1]["engine"], "docker", "{}", docs[1]);
    let registry = docs[1]["registry"].as_str().expect("the registry address");

    let sandbox =
        Sandbox::with_state_root(&home.name, home.dir.path().join("state/swarm-aws/sandbox"))
            .unwrap();
    let mut hosts = sandbox.hosts().unwrap();
    hosts.sort_by_key(|h| h.index);
    assert_eq!(hosts.len(), 5);
    let sockets: Vec<PathBuf> = hosts.iter().map(|h| h.docker_socket()).collect();
    // Docker's own view, on a manager's engine (not through swarm-aws).
    let nodes = node_ls(&sockets[1]).expect("docker node ls on manager host-1");
    assert_eq!(nodes.len(), 5, "{nodes:?}");
    assert!(nodes.iter().all(|(s, _)| s == "Ready"), "{nodes:?}");
    let leaders = nodes.iter().filter(|(_, m)| m == "Leader").count();
    let reachable = nodes.iter().filter(|(_, m)| m == "Reachable").count();
    assert_eq!((leaders, reachable), (1, 2), "{nodes:?}");
    // No swarmd was installed or started: the hosts' engines are the cluster.
    assert_eq!(
        sandbox_home::swarmd_processes_under(&home.dir.path().join("state")),
        0
    );

    // The engine is recorded: asking for another one is an input error.
    let wrong = home.run(&[
        "scale",
        "--sandbox",
        "--name",
        &home.name,
        "--engine",
        "swarmd",
        "--workers",
        "2",
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    let msg = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        msg.contains("--engine") && msg.contains("runs docker"),
        "{msg}"
    );

    // A service through swarm-aws, run by the hosts' engines.
    let image = push_test_image(registry);
    let name = home.name.as_str();
    let created = home.run(&[
        "service",
        "--cluster",
        name,
        "create",
        "--name",
        "web",
        "--replicas",
        "4",
        &image,
    ]);
    ok_stdout(&created, "service create");
    wait_for(
        "4 web containers on the hosts' engines",
        Duration::from_secs(90),
        || {
            let per_host = web_containers(&sockets);
            (per_host.iter().sum::<usize>() == 4)
                .then_some(())
                .ok_or(format!("{per_host:?}"))
        },
    );
    let local = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            "label=com.docker.swarm.service.name=web",
        ])
        .output()
        .unwrap();
    assert!(
        local.stdout.is_empty(),
        "this machine's daemon runs web tasks"
    );
    let ls = home.run(&["service", "--cluster", name, "ls", "--output", "json"]);
    let ls: Value = serde_json::from_str(&ok_stdout(&ls, "service ls")).unwrap();
    assert_eq!(ls[0]["Name"], "web", "{ls}");
    assert_eq!(ls[0]["Replicas"], "4/4", "{ls}");
    let ls = home.run(&["node", "--cluster", name, "ls", "--output", "json"]);
    let ls: Value = serde_json::from_str(&ok_stdout(&ls, "node ls")).unwrap();
    assert_eq!(ls.as_array().map(Vec::len), Some(5), "{ls}");
    // A flag of ours docker lacks is refused by name.
    let refused = home.run(&[
        "service",
        "--cluster",
        name,
        "scale",
        "--timeout",
        "5s",
        "web=4",
    ]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--timeout"));

    // Shrink the managers while a staying manager (host-0, which made the swarm) is polled.
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let (stop, socket) = (stop.clone(), sockets[0].clone());
        std::thread::spawn(move || {
            let mut polls = 0usize;
            let mut lost = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                match node_ls(&socket) {
                    Ok(n) if n.iter().any(|(_, m)| m == "Leader") => {}
                    Ok(n) => lost.push(format!("no leader: {n:?}")),
                    Err(e) => lost.push(e),
                }
                polls += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            (polls, lost)
        })
    };
    let shrunk = home.json(&["scale", "--sandbox", "--managers", "1"]);
    stop.store(true, Ordering::SeqCst);
    let (polls, lost) = poller.join().unwrap();
    assert!(polls > 0);
    assert_eq!(lost, Vec::<String>::new(), "quorum lost during the scale");
    let left = shrunk["left"].as_array().cloned().unwrap_or_default();
    assert_eq!(left.len(), 2, "{shrunk}");
    for l in &left {
        let steps: Vec<&str> = l["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(steps.first(), Some(&"drain"), "{l}");
        assert!(steps.contains(&"demote"), "{l}");
        assert!(
            steps.last().is_some_and(|s| s.starts_with("node rm")),
            "{l}"
        );
    }
    let nodes = node_ls(&sockets[0]).expect("docker node ls after the scale");
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    assert!(nodes.iter().all(|(s, _)| s == "Ready"), "{nodes:?}");
    assert_eq!(
        nodes.iter().filter(|(_, m)| !m.is_empty()).count(),
        1,
        "{nodes:?}"
    );
    // The service keeps its 4 tasks on the hosts that stay.
    let staying: Vec<PathBuf> = sandbox
        .hosts()
        .unwrap()
        .iter()
        .map(|h| h.docker_socket())
        .collect();
    assert_eq!(staying.len(), 3, "the leaving managers' hosts are removed");
    wait_for(
        "web back to 4 tasks on the staying hosts",
        Duration::from_secs(90),
        || {
            let per_host = web_containers(&staying);
            (per_host.iter().sum::<usize>() == 4)
                .then_some(())
                .ok_or(format!("{per_host:?}"))
        },
    );

    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    assert_eq!(
        created.len(),
        3,
        "the two removed managers' hosts are gone: {created:?}"
    );
    home.down_leaves_nothing(&created);
}
