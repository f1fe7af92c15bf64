//! Sandbox hosts are real hosts (issue #12): each runs its own `dockerd` in its namespace, and
//! the sandbox's registry serves images pushed from this machine. One cluster for all checks:
//! `up --sandbox` (1 manager + 2 workers) → every node Ready, one Leader; the test image is
//! pushed from this machine's daemon to the sandbox registry; a 6-replica service of it runs
//! spread over the hosts, and EACH host's engine (asked on its own socket) runs exactly that
//! host's tasks while this machine's daemon holds none; killing one host (SIGKILL to every process
//! in its namespace: engine, containerd, shims, swarmd, sshd) moves its tasks to the others'
//! engines; `down --sandbox` then leaves nothing (process, mount, cgroup, namespace, veth,
//! bridge, iptables rule, state). Needs root, the emulator (scripts/test) and Docker.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sandbox_home::{json_docs, netns, push_test_image, Home};
use serde_json::Value;

#[test]
fn hosts_run_their_tasks_on_their_own_engines_from_the_sandbox_registry() {
    let home = Home::new(format!("sbxeng{}", std::process::id() % 100_000));
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "1",
        "--workers",
        "2",
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "up --sandbox failed:\n{stderr}");
    let docs = json_docs(&up);
    let last = docs.last().expect("a JSON document");
    let nodes = last["nodes"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{last}"));
    assert_eq!(nodes.len(), 3, "{last}");
    assert!(nodes.iter().all(|n| n["status"] == "ready"), "{last}");
    let leaders = nodes
        .iter()
        .filter(|n| n["manager_status"] == "leader")
        .count();
    assert_eq!(leaders, 1, "{last}");
    let registry = last["registry"].as_str().expect("the registry address");
    assert!(registry.starts_with("127.213."), "{registry}");

    // The user's flow: tag and push from this machine, then name the image in a service.
    let image = push_test_image(registry);
    let hosts = hosts_of(&home, 3);
    let created = home.run(&[
        "service",
        "--cluster",
        &home.name,
        "create",
        "--name",
        "web",
        "--replicas",
        "6",
        "--output",
        "json",
        &image,
    ]);
    ok(&created, "service create");
    let tasks = wait_running(&home, &hosts, 6);
    let per_host: Vec<usize> = hosts
        .iter()
        .map(|h| tasks.iter().filter(|t| t.1 == h.node_id).count())
        .collect();
    assert!(
        per_host.iter().all(|&n| n == 2),
        "6 replicas spread 2/2/2 over the 3 hosts: {per_host:?}"
    );
    engines_run_exactly_their_tasks(&hosts, &tasks);
    machine_daemon_holds_none(&hosts);
    hosts_offer_their_share(&home, &hosts);

    // A host dies: every process in its namespace gets SIGKILL.
    let victim = &hosts[2];
    let pids = Command::new("ip")
        .args(["netns", "pids", &victim.netns])
        .output()
        .unwrap();
    let pids: Vec<String> = String::from_utf8_lossy(&pids.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(
        pids.len() >= 4,
        "dockerd, containerd, swarmd, sshd: {pids:?}"
    );
    for pid in &pids {
        let _ = Command::new("kill").args(["-KILL", pid]).status();
    }
    let live: Vec<Host> = hosts[..2].to_vec();
    let tasks = wait_running(&home, &live, 6);
    engines_run_exactly_their_tasks(&live, &tasks);
    machine_daemon_holds_none(&hosts);

    // Only this sandbox's namespaces: other sandboxes may come and go on this machine meanwhile.
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    assert_eq!(created.len(), 3, "{created:?}");
    home.down_leaves_nothing(&created);
}

/// One sandbox host as the test sees it.
#[derive(Debug, Clone)]
struct Host {
    netns: String,
    socket: PathBuf,
    node_id: String,
}

/// The sandbox's hosts with their engine sockets and swarmd node ids.
fn hosts_of(home: &Home, count: usize) -> Vec<Host> {
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &home.name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    let hosts: Vec<Host> = sandbox
        .hosts()
        .unwrap()
        .into_iter()
        .map(|h| {
            let node = std::fs::read_to_string(h.dir.join("var/lib/swarmd/node.json")).unwrap();
            let node: Value = serde_json::from_str(&node).unwrap();
            Host {
                netns: h.netns.clone(),
                socket: h.docker_socket(),
                node_id: format!("{:016x}", node["node_id"].as_u64().unwrap()),
            }
        })
        .collect();
    assert_eq!(hosts.len(), count);
    hosts
}

/// Waits (up to 120 s) until `want` tasks of `web` run, all on `hosts`; returns (task, node).
fn wait_running(home: &Home, hosts: &[Host], want: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ps = home.run(&[
            "service",
            "--cluster",
            &home.name,
            "ps",
            "web",
            "--output",
            "json",
        ]);
        let tasks: Vec<(String, String)> = if ps.status.success() {
            serde_json::from_slice::<Value>(&ps.stdout)
                .ok()
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
                .map(|t| {
                    (
                        t["id"].as_str().unwrap_or_default().to_string(),
                        t["node_id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let on_hosts = tasks
            .iter()
            .filter(|t| hosts.iter().any(|h| h.node_id == t.1))
            .count();
        if tasks.len() == want && on_hosts == want {
            return tasks;
        }
        assert!(
            Instant::now() < deadline,
            "web did not get {want} running tasks on {hosts:?}: {tasks:?}\n{}",
            String::from_utf8_lossy(&ps.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The task ids of the running containers in the engine at `socket`.
fn engine_tasks(socket: &Path) -> BTreeSet<String> {
    let out = Command::new("docker")
        .arg("-H")
        .arg(format!("unix://{}", socket.display()))
        .args([
            "ps",
            "--filter",
            "label=com.docker.swarm.service.name=web",
            "--format",
            "{{.Label \"com.docker.swarm.task.id\"}}",
        ])
        .output()
        .unwrap();
    ok(&out, "docker ps on a host's engine");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Each host's own engine runs exactly the tasks `service ps` places on that host.
fn engines_run_exactly_their_tasks(hosts: &[Host], tasks: &[(String, String)]) {
    for h in hosts {
        let want: BTreeSet<String> = tasks
            .iter()
            .filter(|t| t.1 == h.node_id)
            .map(|t| t.0.clone())
            .collect();
        // The agent reports RUNNING once the container started; give `docker ps` the same view.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let have = engine_tasks(&h.socket);
            if have == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "engine of {} runs {have:?}, service ps says {want:?}",
                h.netns
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// This machine's Docker daemon holds no container of any sandbox node.
fn machine_daemon_holds_none(hosts: &[Host]) {
    for h in hosts {
        let out = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=com.docker.swarm.node.id={}", h.node_id),
            ])
            .output()
            .unwrap();
        ok(&out, "docker ps on this machine's daemon");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "",
            "this machine's daemon holds containers of node {}",
            h.node_id
        );
    }
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each of the 3 hosts offers the scheduler a third of this machine's memory (not the whole
/// machine, as every node did when it read its engine's figures), so a reservation above one
/// host's share but below the machine's stays pending for lack of memory, as on instances.
fn hosts_offer_their_share(home: &Home, hosts: &[Host]) {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let total_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("MemTotal");
    let total = total_kib * 1024;
    let third_mib = total / 3 / (1 << 20);
    for h in hosts {
        let out = home.run(&["node", "--cluster", &home.name, "inspect", &h.node_id]);
        ok(&out, "node inspect");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mem = doc[0]["description"]["resources"]["memory_bytes"]
            .as_u64()
            .unwrap_or_else(|| panic!("{doc}"));
        assert_eq!(mem, third_mib << 20, "a third of {total} bytes: {doc}");
    }
    // More than a host has, less than the machine: no node can take it.
    let ask = format!("{}M", third_mib + 512);
    let created = home.run(&[
        "service",
        "--cluster",
        &home.name,
        "create",
        "--detach",
        "--name",
        "big",
        "--reserve-memory",
        &ask,
        "--replicas",
        "1",
        "127.0.0.1:1/none",
    ]);
    ok(&created, "service create --detach big");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let ps = home.run(&[
            "service",
            "--cluster",
            &home.name,
            "ps",
            "--no-trunc",
            "big",
        ]);
        let text = String::from_utf8_lossy(&ps.stdout).into_owned();
        if text.contains("insufficient memory on 3 nodes") {
            assert!(text.contains("Pending"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "big stayed without the pending reason: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let rm = home.run(&["service", "--cluster", &home.name, "rm", "big"]);
    ok(&rm, "service rm big");
}
