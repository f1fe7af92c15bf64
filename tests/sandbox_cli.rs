//! The README's main command through the real binary: `swarm-aws up --sandbox` against the
//! emulator (`AWS_ENDPOINT_URL`, started by `scripts/test`), real sshd hosts in network namespaces
//! and real swarmd processes; `node ...` reaches the leader's API through an SSH tunnel with an
//! admin certificate (key kept here, mode 0600) and refuses a changed host key; then
//! `down --sandbox` leaves no host, namespace or swarmd behind.
//! Needs root, as in CI. Cluster key and sandbox state go to a temporary XDG home.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Home {
    dir: tempfile::TempDir,
    name: String,
}

impl Home {
    fn run(&self, args: &[&str]) -> Output {
        let exe = env!("CARGO_BIN_EXE_swarm-aws");
        // swarmd is found next to swarm-aws (cargo test --workspace builds both).
        assert!(
            Path::new(exe).with_file_name("swarmd").exists()
                || std::env::var_os("SWARMD_BIN").is_some(),
            "build swarmd first: cargo build -p swarmd (or cargo test --workspace)"
        );
        Command::new(exe)
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("SWARM_AWS_NAME")
            .output()
            .expect("swarm-aws runs")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.run(&["down", "--sandbox", "--name", &self.name, "--yes"]);
    }
}

fn swarmd_processes_under(dir: &Path) -> usize {
    let out = Command::new("pgrep")
        .args(["-af", "swarmd"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&*dir.to_string_lossy()))
        .count()
}

#[test]
fn up_sandbox_boots_a_ready_cluster_and_down_removes_it() {
    assert!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: start the emulator with `eval \"$(localstack/start)\"` (scripts/test does)"
    );
    let home = Home {
        dir: tempfile::tempdir().unwrap(),
        name: format!("sbxcli{}", std::process::id() % 100_000),
    };
    let netns = || -> Vec<String> {
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "3",
        "--workers",
        "1",
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "up --sandbox failed:\n{stderr}");
    // Two documents: the stack (as `up` prints it), then the nodes.
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(&up.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 2, "{}", String::from_utf8_lossy(&up.stdout));
    assert_eq!(
        docs[0]["inventory"]["instances"].as_array().map(Vec::len),
        Some(4),
        "{}",
        docs[0]
    );
    let nodes = docs[1]["nodes"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", docs[1]));
    assert_eq!(nodes.len(), 4, "{}", docs[1]);
    assert!(nodes.iter().all(|n| n["status"] == "ready"), "{}", docs[1]);
    let leaders = nodes
        .iter()
        .filter(|n| n["manager_status"] == "leader")
        .count();
    let managers = nodes.iter().filter(|n| n["role"] == "manager").count();
    assert_eq!((leaders, managers), (1, 3), "{}", docs[1]);
    assert!(!stderr.contains("SWMTKN-1-"), "a join token was printed");

    node_verbs_through_the_tunnel(&home);

    let state = home.dir.path().join("state");
    assert!(
        swarmd_processes_under(&state) >= 4,
        "swarmd daemons run from the sandbox dirs"
    );
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n))
        .collect();
    assert_eq!(created.len(), 4, "one namespace per instance: {created:?}");

    let down = home.run(&["down", "--sandbox", "--name", &home.name, "--yes"]);
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let after = netns();
    for n in &created {
        assert!(!after.contains(n), "namespace {n} left behind");
    }
    assert_eq!(swarmd_processes_under(&state), 0, "swarmd left running");
}

fn json_of(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: bad JSON {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `node ls|inspect|update` against the sandbox's leader through the SSH-forwarded API.
fn node_verbs_through_the_tunnel(home: &Home) {
    let name = home.name.as_str();
    let ls = home.run(&["node", "ls", "--name", name, "--output", "json"]);
    let nodes = json_of(&ls, "node ls");
    let nodes = nodes.as_array().expect("a list of nodes");
    assert_eq!(nodes.len(), 4, "{nodes:?}");
    assert!(nodes.iter().all(|n| n["status"] == "ready"), "{nodes:?}");
    let leaders = nodes
        .iter()
        .filter(|n| n["manager_status"] == "leader")
        .count();
    let managers = nodes.iter().filter(|n| n["role"] == "manager").count();
    assert_eq!((leaders, managers), (1, 3), "{nodes:?}");

    // The admin key was made here, is private, and is never printed.
    let dir = home.dir.path().join("config/swarm-aws/clusters").join(name);
    let key = dir.join("admin-key.pem");
    let mode = std::fs::metadata(&key)
        .expect("admin key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    for out in [&ls.stdout, &ls.stderr] {
        assert!(!String::from_utf8_lossy(out).contains("PRIVATE KEY"));
    }
    let cert = std::fs::read_to_string(dir.join("admin.pem")).expect("admin certificate");

    // Text table; the certificate is reused.
    let text = home.run(&["node", "ls", "--name", name]);
    let table = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success() && table.contains("HOSTNAME") && table.contains("worker-1"),
        "{table}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("admin.pem")).unwrap(),
        cert,
        "certificate renewed"
    );

    // Writes go through too.
    let upd = home.run(&[
        "node",
        "update",
        "worker-1",
        "--label-add",
        "zone=a",
        "--name",
        name,
        "--output",
        "json",
    ]);
    assert_eq!(json_of(&upd, "node update")["labels"]["zone"], "a");
    let insp = home.run(&[
        "node", "inspect", "worker-1", "--name", name, "--output", "json",
    ]);
    assert_eq!(json_of(&insp, "node inspect")["labels"]["zone"], "a");

    // The service verbs go the same way (no service yet).
    let svc = home.run(&["service", "ls", "--name", name, "--output", "json"]);
    assert_eq!(json_of(&svc, "service ls"), serde_json::json!([]));

    // A changed host key (every entry swapped with another host's) stops it with the warning.
    let kh = home
        .dir
        .path()
        .join("state/swarm-aws/sandbox")
        .join(name)
        .join("known_hosts");
    let original = std::fs::read_to_string(&kh).expect("known_hosts");
    let lines: Vec<(&str, &str)> = original.lines().filter_map(|l| l.split_once(' ')).collect();
    assert!(lines.len() >= 3, "{original}");
    let tampered: String = (0..lines.len())
        .map(|i| format!("{} {}\n", lines[i].0, lines[(i + 1) % lines.len()].1))
        .collect();
    std::fs::write(&kh, tampered).unwrap();
    let refused = home.run(&["node", "ls", "--name", name, "--output", "json"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a changed host key was accepted");
    assert!(
        stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{stderr}"
    );
    std::fs::write(&kh, original).unwrap();
}
