//! The sandbox plays the instances' part (issue 18): a replacement instance joins through its
//! user data alone. `up --sandbox` makes 1 manager + 1 worker (SSH bootstrap); then the worker's
//! host is killed and its instance terminated in the emulator without lowering the group's
//! desired capacity, so the emulator's group launches a replacement (moto does, as AWS does). The
//! next cluster verb (`node ls`) lets the sandbox follow the group: a new host for the new
//! instance runs the launch template's user data as read back from the emulator, with role
//! credentials, the emulator reachable, an IMDS stand-in and `systemctl`/`dnf` shims, and joins.
//! Asserted: it shows Ready in `node ls` with the new host's address, the CLI never opened SSH
//! to it (its sshd accepted no connection), the token was scrubbed from its env file, and `down`
//! leaves nothing. Printed: replacement host start → Ready (not asserted).
//!
//! Needs root, `AWS_ENDPOINT_URL` and the aws CLI venv (`scripts/setup`). Serialize with other
//! sandbox tests: `flock /tmp/sandbox.lock cargo test --test self_heal_sandbox`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::time::{Duration, Instant};

use sandbox_home::{netns, Home};
use serde_json::Value;
use swarm_aws::aws::{AwsOptions, Clients};

/// How long the replacement may take to show Ready before the test fails (a liveness bound;
/// measured ~10 s here, see the printed timing).
const READY_WITHIN: Duration = Duration::from_secs(240);

fn roster(home: &Home) -> Value {
    let path = home
        .dir
        .path()
        .join("state/swarm-aws/sandbox")
        .join(&home.name)
        .join("roster.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The (instance id, host) of the roster's only part of `role`.
fn only(roster: &Value, role: &str) -> (String, String) {
    let parts: Vec<(String, String)> = roster["instances"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| p["role"] == role)
        .map(|(id, p)| (id.clone(), p["host"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(parts.len(), 1, "one {role}: {roster}");
    parts[0].clone()
}

fn node_ls(home: &Home) -> Vec<Value> {
    let out = home.run(&["node", "ls", "--cluster", &home.name, "--output", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "node ls: {stderr}");
    assert!(!stderr.contains("SWMTKN-1-"), "a join token was printed");
    let doc = sandbox_home::json_docs(&out)
        .last()
        .cloned()
        .expect("a JSON document");
    doc.as_array()
        .unwrap_or_else(|| panic!("node ls: {doc}"))
        .clone()
}

fn terminate_keeping_capacity(instance: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let clients = Clients::connect(&AwsOptions {
            region: Some("us-east-1".into()),
            emulator_credentials: std::env::var_os("AWS_ACCESS_KEY_ID").is_none(),
            ..AwsOptions::default()
        })
        .await
        .expect("connect to the emulator");
        clients
            .autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id(instance)
            .should_decrement_desired_capacity(false)
            .send()
            .await
            .expect("terminate the worker's instance");
    });
}

#[test]
fn a_killed_workers_replacement_joins_through_its_user_data_alone() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let home = Home::new(format!(
        "he{}x{}",
        std::process::id() % 100_000,
        nanos % 10_000
    ));
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let up = home.json(&["up", "--sandbox", "--managers", "1", "--workers", "1"]);
    assert_eq!(
        up["nodes"]["nodes"].as_array().map(Vec::len),
        Some(2),
        "{up}"
    );
    let (old_instance, old_host) = only(&roster(&home), "worker");

    // The worker's host dies, and its instance goes; the group keeps its size.
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &home.name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    sandbox.remove_host(&old_host).unwrap();
    terminate_keeping_capacity(&old_instance);

    // The next verb lets the sandbox follow the group: a host for the replacement boots.
    let started = Instant::now();
    node_ls(&home);
    let (new_instance, new_host) = only(&roster(&home), "worker");
    assert_ne!(
        new_instance, old_instance,
        "the group launched a replacement"
    );
    assert_ne!(new_host, old_host, "the replacement has a host of its own");
    let host = sandbox.host(&new_host).unwrap();
    let addr_prefix = format!("{}:", host.addr);
    let boot_log = host.dir.join(swarm_aws::sandbox::boot::BOOT_LOG);
    let ready = loop {
        let nodes = node_ls(&home);
        if let Some(n) = nodes.iter().find(|n| {
            n["addr"]
                .as_str()
                .is_some_and(|a| a.starts_with(&addr_prefix))
                && n["status"] == "ready"
        }) {
            break n.clone();
        }
        assert!(
            started.elapsed() < READY_WITHIN,
            "the replacement did not join: {nodes:#?}\nits boot log:\n{}",
            std::fs::read_to_string(&boot_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!(
        "replacement host start -> Ready: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(ready["role"], "worker", "{ready}");
    // The user data ends once the node holds its state and the token left its env file.
    let deadline = Instant::now() + Duration::from_secs(60);
    let log = loop {
        let log = std::fs::read_to_string(&boot_log).unwrap();
        if log.contains("joined as a worker through the instance role") {
            break log;
        }
        assert!(
            Instant::now() < deadline,
            "the user data did not end: {log}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        !log.contains("SWMTKN-1-"),
        "the boot log holds a token: {log}"
    );
    // No SSH from the CLI to it: its sshd never accepted a connection.
    let sshd_log = std::fs::read_to_string(host.sshd_log()).unwrap_or_default();
    assert!(
        !sshd_log.contains("Accepted"),
        "the CLI opened SSH to the replacement: {sshd_log}"
    );
    // Its files are its own (the host's dir, where the SSH bootstrap's layout has them).
    let state = host.dir.join("var/lib/swarmd/node.json");
    assert!(state.is_file(), "{} missing", state.display());
    let env = std::fs::read_to_string(host.dir.join("etc/swarmd/swarmd.env")).unwrap();
    assert!(env.contains("SWARMD_MODE='join'"), "{env}");
    assert!(env.contains("SWARMD_JOIN_TOKEN=''"), "{env}");
    assert!(
        !std::path::Path::new("/etc/swarmd/swarmd.env").exists(),
        "the user data wrote to this machine's /etc"
    );

    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect();
    home.down_leaves_nothing(&created);
}
