//! `scale --sandbox` through the real binary: the emulator's stack, real sshd hosts in network
//! namespaces and real swarmd processes. One cluster goes 1+1 → +1 worker → 3 managers → back to
//! 1 manager (two demoted and removed safely) → bootstrap re-run (no-op) → 1 worker (leaves by
//! itself) → down, which leaves nothing behind. Needs root
//! and `AWS_ENDPOINT_URL` (scripts/test sets both up). After every step, the sandbox holds exactly
//! one host per live instance of the stack (the roster is keyed by the emulator's instance ids). Serialize with other sandbox tests:
//! `flock /tmp/sandbox.lock cargo test --test scale_sandbox`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::time::Instant;

use sandbox_home::{netns, swarmd_processes_under, Home};
use serde_json::Value;

fn nodes(doc: &Value) -> Vec<Value> {
    doc["nodes"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no node table in {doc}"))
        .clone()
}

fn count(nodes: &[Value], key: &str, value: &str) -> usize {
    nodes.iter().filter(|n| n[key] == value).count()
}

/// The stack's live instances (as `status` reads them from the emulator) are exactly the keys of
/// the sandbox's roster, and each has its host.
fn hosts_follow_the_instances(home: &Home) {
    let status = home.json(&["status"]);
    let mut live: Vec<String> = status["instances"]
        .as_array()
        .unwrap_or_else(|| panic!("no instances in {status}"))
        .iter()
        .filter(|i| matches!(i["lifecycle"].as_str(), Some("InService" | "Pending")))
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    live.sort();
    let path = home
        .dir
        .path()
        .join("state/swarm-aws/sandbox")
        .join(&home.name)
        .join("roster.json");
    let roster: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let parts = roster["instances"].as_object().unwrap();
    let mut keyed: Vec<String> = parts.keys().cloned().collect();
    keyed.sort();
    assert_eq!(keyed, live, "one host per live instance: {roster}");
    for part in parts.values() {
        let host = part["host"].as_str().unwrap();
        assert!(home.host_dir(host).exists(), "{host} of {part} is missing");
    }
}

/// `scale --sandbox ARGS --dry-run` without any AWS variable in the environment: the sandbox
/// finds the emulator on 127.0.0.1:4566 itself (the endpoint goes into the SDK options).
/// Returns `None` when the tests use another endpoint.
fn dry_run_without_aws_env(home: &Home, args: &[&str]) -> Option<Value> {
    if std::env::var("AWS_ENDPOINT_URL").ok()? != "http://127.0.0.1:4566" {
        return None;
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_swarm-aws"));
    cmd.args(["scale", "--sandbox", "--dry-run", "--name", &home.name])
        .args(["--output", "json"])
        .args(args)
        .env("XDG_CONFIG_HOME", home.dir.path().join("config"))
        .env("XDG_STATE_HOME", home.dir.path().join("state"));
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_PROFILE",
        "SWARM_AWS_NAME",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sandbox_home::json_docs(&out).last().cloned()
}

#[test]
fn scale_joins_workers_and_managers_then_demotes_and_removes_managers() {
    let started = Instant::now();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    // Unique per run (pid and time): the stack on the shared emulator, the namespaces and the
    // bridge are all named after it.
    let home = Home::new(format!(
        "sc{}x{}",
        std::process::id() % 100_000,
        nanos % 10_000
    ));
    let before = netns();
    // Only this sandbox's namespaces: other sandboxes may come and go on this machine meanwhile.
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let up = home.json(&["up", "--sandbox", "--managers", "1", "--workers", "1"]);
    assert_eq!(nodes(&up).len(), 2, "{up}");
    eprintln!("up 1+1: {:?}", started.elapsed());
    hosts_follow_the_instances(&home);

    // Too few managers: refused before anything changes, naming the count and the fix.
    let out = home.run(&[
        "scale",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "0",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--managers") && err.contains("0 managers") && err.contains("at least 1"),
        "{err}"
    );

    let t = Instant::now();
    let grown = home.json(&["scale", "--sandbox", "--workers", "2"]);
    let n = nodes(&grown);
    assert_eq!((n.len(), count(&n, "status", "ready")), (3, 3), "{grown}");
    assert_eq!(grown["joined"]["workers"], 1, "{grown}");
    assert_eq!(grown["joined"]["skipped"], 2, "{grown}");
    eprintln!("scale --workers 2: {:?}", t.elapsed());
    hosts_follow_the_instances(&home);

    let t = Instant::now();
    let grown = home.json(&["scale", "--sandbox", "--managers", "3"]);
    let n = nodes(&grown);
    assert_eq!(n.len(), 5, "{grown}");
    assert_eq!(count(&n, "role", "manager"), 3, "{grown}");
    assert_eq!(count(&n, "manager_status", "leader"), 1, "{grown}");
    assert_eq!(
        count(&n, "manager_status", "reachable"),
        2,
        "voters: {grown}"
    );
    assert_eq!(count(&n, "status", "ready"), 5, "{grown}");
    eprintln!("scale --managers 3: {:?}", t.elapsed());
    hosts_follow_the_instances(&home);

    // The dry run names the two managers that would go and changes nothing.
    let dry = home.json(&["scale", "--sandbox", "--managers", "1", "--dry-run"]);
    let leave = dry["nodes"]["leave"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(leave.len(), 2, "{dry}");
    assert!(
        leave
            .iter()
            .all(|d| d["demote"] == true && d["role"] == "manager"),
        "{dry}"
    );
    if let Some(again) = dry_run_without_aws_env(&home, &["--managers", "1"]) {
        assert_eq!(again["nodes"]["leave"], dry["nodes"]["leave"], "{again}");
    }
    let ns_now = netns();
    assert_eq!(
        ns_now
            .iter()
            .filter(|n| !before.contains(n) && n.starts_with(&prefix))
            .count(),
        5,
        "the dry run removed nothing"
    );

    let t = Instant::now();
    let shrunk = home.json(&["scale", "--sandbox", "--managers", "1"]);
    eprintln!("scale --managers 1: {:?}", t.elapsed());
    let n = nodes(&shrunk);
    assert_eq!(n.len(), 3, "{shrunk}");
    assert_eq!(count(&n, "role", "manager"), 1, "{shrunk}");
    assert_eq!(count(&n, "manager_status", "leader"), 1, "{shrunk}");
    assert_eq!(count(&n, "status", "ready"), 3, "{shrunk}");
    let left = shrunk["left"].as_array().cloned().unwrap_or_default();
    assert_eq!(left.len(), 2, "{shrunk}");
    for l in &left {
        let steps: Vec<&str> = l["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            steps,
            ["drain", "demote", "stop swarmd", "node rm --force"],
            "{l}"
        );
        let addr = l["addr"].as_str().unwrap();
        assert!(
            n.iter().all(|node| node["addr"] != addr),
            "{addr} still listed"
        );
        let host = l["host"].as_str().unwrap();
        assert_eq!(
            swarmd_processes_under(&home.host_dir(host)),
            0,
            "swarmd of {host} still runs"
        );
        assert!(!home.host_dir(host).exists(), "{host}'s dir is left");
    }
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    assert_eq!(
        created.len(),
        3,
        "the removed hosts' namespaces are gone: {created:?}"
    );
    hosts_follow_the_instances(&home);

    // Re-running the bootstrap is a no-op: every node is already in.
    let again = home.json(&["bootstrap", "--sandbox"]);
    assert_eq!(again["skipped"], 3, "{again}");
    assert_eq!(again["joined"]["managers"], 0, "{again}");
    assert_eq!(again["joined"]["workers"], 0, "{again}");

    // A worker leaves by itself (drain, leave, stop). As in Docker, swarmd keeps a worker that
    // left listed as Down until `node rm`, so the node is then removed from the list.
    let t = Instant::now();
    let shrunk = home.json(&["scale", "--sandbox", "--workers", "1"]);
    eprintln!("scale --workers 1: {:?}", t.elapsed());
    assert_eq!(nodes(&shrunk).len(), 2, "{shrunk}");
    assert_eq!(
        shrunk["left"][0]["steps"],
        serde_json::json!(["drain", "leave", "stop swarmd", "node rm"]),
        "{shrunk}"
    );
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    assert_eq!(created.len(), 2, "{created:?}");
    hosts_follow_the_instances(&home);

    home.down_leaves_nothing(&created);
    eprintln!("whole test: {:?}", started.elapsed());
}
