//! Terminations drain first (issue 18), through the real binary: `up --sandbox` with 3 managers
//! and 2 workers installs `swarm-guide` beside swarmd on every manager over SSH (the sandbox's
//! stand-in for the instance role in its env file). The emulator has no lifecycle hooks and sends
//! nothing to the queue, so the test terminates an instance through the emulator and posts the
//! body Auto Scaling would send (`swarm_aws::lifecycle::post_termination`, the consumer's own
//! format); the leader's consumer takes it from there through the code it runs on AWS.
//!
//! Asserted: a terminated worker's node is drained, then removed, and the message is consumed;
//! a terminated manager of 3 is drained, demoted, then removed, and at every look in between the
//! cluster has a leader and a reachable majority; the managers parameter then lists the 2 left;
//! a worker whose host dies and whose instance is terminated without a notice is removed once it
//! has been Down for the grace period (`SWARM_GUIDE_DOWN_GRACE=6` here). moto has no
//! `CompleteLifecycleAction`: the consumer's log says so. Printed: notice → node removed.
//!
//! The membership is read from the leader's local socket (`swarmd node ls`), not through a
//! `swarm-aws` verb: a verb lets the sandbox follow the group, which removes the host of a
//! terminated instance at once (on AWS the hook keeps the instance until the consumer is done).
//!
//! Needs root, `AWS_ENDPOINT_URL`, the aws CLI venv (`scripts/setup`) and `swarm-guide` built
//! beside swarm-aws (`cargo build -p swarm-guide -p swarmd`). Serialize with other sandbox
//! tests: `flock /tmp/sandbox.lock cargo test --test lifecycle_sandbox`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sandbox_home::{netns, Home};
use serde_json::Value;
use swarm_aws::aws::{AwsOptions, Clients};
use swarm_aws::inventory::Role;

/// A liveness bound for each step (measured a few seconds; see the printed timings).
const WITHIN: Duration = Duration::from_secs(120);

fn roster(home: &Home) -> Value {
    let path = home
        .dir
        .path()
        .join("state/swarm-aws/sandbox")
        .join(&home.name)
        .join("roster.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (instance id, host) of every roster part of `role`.
fn parts(roster: &Value, role: &str) -> Vec<(String, String)> {
    roster["instances"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| p["role"] == role)
        .map(|(id, p)| (id.clone(), p["host"].as_str().unwrap().to_string()))
        .collect()
}

fn swarmd() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_swarm-aws")).with_file_name("swarmd")
}

/// `swarmd node ls` on the manager of host dir `dir`, through its local socket.
fn node_ls(dir: &Path) -> Option<Vec<Value>> {
    let out = std::process::Command::new(swarmd())
        .args(["node", "ls", "--format", "json", "--state-dir"])
        .arg(dir.join("var/lib/swarmd"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()?
        .as_array()
        .cloned()
}

fn labelled<'a>(nodes: &'a [Value], instance: &str) -> Option<&'a Value> {
    nodes
        .iter()
        .find(|n| n["labels"]["swarm-aws.instance-id"] == instance)
}

fn clients() -> (tokio::runtime::Runtime, Clients) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let clients = rt
        .block_on(Clients::connect(&AwsOptions {
            region: Some("us-east-1".into()),
            emulator_credentials: std::env::var_os("AWS_ACCESS_KEY_ID").is_none(),
            ..AwsOptions::default()
        }))
        .expect("connect to the emulator");
    (rt, clients)
}

fn terminate(rt: &tokio::runtime::Runtime, clients: &Clients, instance: &str) {
    rt.block_on(
        clients
            .autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id(instance)
            .should_decrement_desired_capacity(true)
            .send(),
    )
    .expect("terminate the instance");
}

fn group_of(up: &Value, instance: &str) -> String {
    up["inventory"]["instances"]
        .as_array()
        .or_else(|| up["inventory"].as_array())
        .and_then(|a| a.iter().find(|i| i["id"] == instance))
        .and_then(|i| i["group"].as_str())
        .unwrap_or_else(|| panic!("no group for {instance} in {up}"))
        .to_string()
}

/// Whether `nodes` has a leader and a reachable majority of its managers.
fn quorum(nodes: &[Value]) -> bool {
    let managers: Vec<&Value> = nodes.iter().filter(|n| n["role"] == "manager").collect();
    let reachable = managers
        .iter()
        .filter(|n| matches!(n["manager_status"].as_str(), Some("leader" | "reachable")))
        .count();
    managers.iter().any(|n| n["manager_status"] == "leader") && reachable > managers.len() / 2
}

fn guide_log(home: &Home, hosts: &[(String, String)]) -> String {
    hosts
        .iter()
        .map(|(_, h)| {
            std::fs::read_to_string(home.host_dir(h).join("var/log/swarm-guide.log"))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn terminated_instances_are_drained_demoted_and_removed_and_gone_ones_reaped() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let home = Home::new(format!(
        "lc{}x{}",
        std::process::id() % 100_000,
        nanos % 10_000
    ));
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let guide = Path::new(env!("CARGO_BIN_EXE_swarm-aws")).with_file_name("swarm-guide");
    assert!(
        guide.is_file(),
        "build swarm-guide first: cargo build -p swarm-guide"
    );
    let out = home
        .command(&[
            "up",
            "--sandbox",
            "--managers",
            "3",
            "--workers",
            "2",
            "--name",
            &home.name,
            "--output",
            "json",
        ])
        .env("SWARM_GUIDE_DOWN_GRACE", "6")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "up: {stderr}");
    assert!(
        stderr.contains("swarm-guide runs beside swarmd on every manager"),
        "{stderr}"
    );
    // The stack's document (outputs, inventory) comes before the bootstrap's report.
    let up = sandbox_home::json_docs(&out)
        .into_iter()
        .find(|d| d.get("outputs").is_some())
        .unwrap_or_else(|| panic!("no stack document: {stderr}"));
    let r = roster(&home);
    let managers = parts(&r, "manager");
    let workers = parts(&r, "worker");
    assert_eq!((managers.len(), workers.len()), (3, 2), "{r}");
    let (rt, clients) = clients();
    let queue = up["outputs"]["LifecycleQueueUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no LifecycleQueueUrl output in {up}"))
        .to_string();

    // The leader's host, to read the membership from.
    let first = node_ls(&home.host_dir(&managers[0].1)).expect("node ls on a manager");
    let leader_addr = first
        .iter()
        .find(|n| n["manager_status"] == "leader")
        .and_then(|n| n["addr"].as_str())
        .unwrap()
        .to_string();
    let leader_host = managers
        .iter()
        .find(|(_, h)| {
            let addr = std::fs::read_to_string(home.host_dir(h).join("etc/swarmd/swarmd.env"))
                .unwrap_or_default();
            addr.contains(&format!("SWARMD_ADVERTISE_ADDR='{leader_addr}'"))
        })
        .map(|(_, h)| home.host_dir(h))
        .expect("the leader's host");
    for (id, _) in managers.iter().chain(&workers) {
        assert!(
            labelled(&first, id).is_some(),
            "node of {id} has no instance label: {first:#?}"
        );
    }

    // 1. A worker's instance terminates: drained, then removed; the message is consumed.
    let (w_id, _) = workers[0].clone();
    terminate(&rt, &clients, &w_id);
    let posted = Instant::now();
    rt.block_on(swarm_aws::lifecycle::post_termination(
        &clients,
        &queue,
        &w_id,
        &group_of(&up, &w_id),
        Role::Worker,
    ))
    .unwrap();
    let mut saw_drain = false;
    loop {
        let nodes = node_ls(&leader_host).unwrap_or_default();
        match labelled(&nodes, &w_id) {
            Some(n) => saw_drain |= n["availability"] == "drain",
            None if !nodes.is_empty() => break,
            None => {}
        }
        assert!(
            posted.elapsed() < WITHIN,
            "worker not removed: {nodes:#?}\n{}",
            guide_log(&home, &managers)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let worker_secs = posted.elapsed().as_secs_f64();
    let log = guide_log(&home, &managers);
    let drain_at = log.find(&format!("instance {w_id}: draining node"));
    let remove_at = log.find(&format!("instance {w_id}: removing node"));
    assert!(
        drain_at.is_some() && remove_at > drain_at,
        "drain, then remove: {log}"
    );
    let _ = saw_drain;
    eprintln!("worker: termination notice -> node removed: {worker_secs:.1} s");

    // 2. A manager (not the leader) of 3 terminates: drained, demoted, removed; quorum kept.
    let (m_id, _) = managers
        .iter()
        .find(|(_, h)| home.host_dir(h) != leader_host)
        .cloned()
        .unwrap();
    terminate(&rt, &clients, &m_id);
    let posted = Instant::now();
    rt.block_on(swarm_aws::lifecycle::post_termination(
        &clients,
        &queue,
        &m_id,
        &group_of(&up, &m_id),
        Role::Manager,
    ))
    .unwrap();
    let mut looks = 0;
    loop {
        let Some(nodes) = node_ls(&leader_host) else {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        looks += 1;
        assert!(quorum(&nodes), "quorum lost: {nodes:#?}");
        if labelled(&nodes, &m_id).is_none() {
            break;
        }
        assert!(
            posted.elapsed() < WITHIN,
            "manager not removed: {nodes:#?}\n{}",
            guide_log(&home, &managers)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let manager_secs = posted.elapsed().as_secs_f64();
    let log = guide_log(&home, &managers);
    let at = |what: &str| log.find(&format!("instance {m_id}: {what}"));
    assert!(
        at("draining node").is_some()
            && at("demoting manager") > at("draining node")
            && at("removing node") > at("demoting manager"),
        "drain, demote, remove: {log}"
    );
    assert!(
        log.contains("CompleteLifecycleAction") && log.contains("does not implement it"),
        "the emulator's missing CompleteLifecycleAction is said: {log}"
    );
    let nodes = node_ls(&leader_host).unwrap();
    assert_eq!(
        nodes.iter().filter(|n| n["role"] == "manager").count(),
        2,
        "{nodes:#?}"
    );
    eprintln!(
        "manager: termination notice -> node removed: {manager_secs:.1} s ({looks} looks, quorum at each)"
    );
    // The leader keeps the managers parameter current (2 addresses now).
    let deadline = Instant::now() + WITHIN;
    loop {
        let v = rt
            .block_on(
                clients
                    .ssm
                    .get_parameter()
                    .name(format!("/swarm-aws/{}/managers", home.name))
                    .send(),
            )
            .ok()
            .and_then(|o| o.parameter().and_then(|p| p.value()).map(str::to_string))
            .unwrap_or_default();
        if v.split(',').count() == 2 && v.starts_with(&leader_addr) {
            break;
        }
        assert!(Instant::now() < deadline, "managers parameter: {v}");
        std::thread::sleep(Duration::from_millis(500));
    }

    // 3. A worker's host dies and its instance goes without a notice: removed after the grace.
    let (g_id, g_host) = workers[1].clone();
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &home.name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    sandbox.remove_host(&g_host).unwrap();
    terminate(&rt, &clients, &g_id);
    let killed = Instant::now();
    loop {
        let nodes = node_ls(&leader_host).unwrap_or_default();
        if !nodes.is_empty() && labelled(&nodes, &g_id).is_none() {
            break;
        }
        assert!(
            killed.elapsed() < WITHIN,
            "Down node not reaped: {nodes:#?}\n{}",
            guide_log(&home, &managers)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let reaped = killed.elapsed();
    assert!(
        reaped >= Duration::from_secs(6),
        "removed before the grace: {reaped:?}"
    );
    eprintln!(
        "gone worker: host killed -> node removed: {:.1} s (Down after 5 s, grace 6 s)",
        reaped.as_secs_f64()
    );

    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    home.down_leaves_nothing(&created);
}
