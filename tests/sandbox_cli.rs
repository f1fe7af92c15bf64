//! The README's main command through the real binary: `swarm-aws up --sandbox` against the
//! emulator (`AWS_ENDPOINT_URL`, started by `scripts/test`), real sshd hosts in network namespaces
//! and real swarmd processes; `node ...` reaches the leader's API through an SSH tunnel with an
//! admin certificate (key kept here, mode 0600), refuses a changed host key and a revoked
//! certificate (with the fix); `service create
//! --replicas 3` of a locally built image runs three containers; `scale --sandbox --workers 3`
//! joins a node and `scale --sandbox --managers 1` demotes and removes two managers while the
//! service keeps its replicas; then `down --sandbox` leaves no host, namespace, swarmd or
//! container behind (issue #8's end-to-end test).
//! With `--monitoring` (issue 21): the real Prometheus `up` starts shows every node `up` in
//! `/api/v1/targets` (following `scale`), `swarmd_tasks{state="running"}` rises after
//! `service create`, and `down` leaves no Prometheus; `events --cluster` prints a scripted
//! scenario (service create, scale, rm) in order.
//! Needs root, as in CI. Cluster key and sandbox state go to a temporary XDG home.

#[path = "common/prom_http.rs"]
mod prom_http;
#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use sandbox_home::{json_docs, netns, push_test_image, swarmd_processes_under, Home};
use serde_json::Value;

#[test]
fn up_sandbox_boots_a_ready_cluster_and_down_removes_it() {
    let home = Home::new(format!("sbxcli{}", std::process::id() % 100_000));
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "3",
        "--workers",
        "2",
        "--monitoring",
        "--output",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "up --sandbox failed:\n{stderr}");
    // Two documents: the stack (as `up` prints it), then the nodes.
    let docs = json_docs(&up);
    assert_eq!(docs.len(), 2, "{}", String::from_utf8_lossy(&up.stdout));
    assert_eq!(
        docs[0]["inventory"]["instances"].as_array().map(Vec::len),
        Some(5),
        "{}",
        docs[0]
    );
    let nodes = docs[1]["nodes"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", docs[1]));
    assert_eq!(nodes.len(), 5, "{}", docs[1]);
    assert!(nodes.iter().all(|n| n["status"] == "ready"), "{}", docs[1]);
    let leaders = nodes
        .iter()
        .filter(|n| n["manager_status"] == "leader")
        .count();
    let managers = nodes.iter().filter(|n| n["role"] == "manager").count();
    assert_eq!((leaders, managers), (1, 3), "{}", docs[1]);
    assert!(!stderr.contains("SWMTKN-1-"), "a join token was printed");

    let registry = docs[1]["registry"].as_str().expect("the registry address");
    let prom = docs[1]["prometheus"]
        .as_str()
        .and_then(|u| u.strip_prefix("http://127.0.0.1:"))
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("a Prometheus on 127.0.0.1: {}", docs[1]));
    let status = home.json(&["status", "--sandbox"]);
    assert_eq!(
        status["prometheus"].as_str(),
        docs[1]["prometheus"].as_str(),
        "{status}"
    );
    node_verbs_through_the_tunnel(&home);
    let node_ids = service_survives_scaling(&home, registry, &prom);
    events_of_a_scripted_scenario(&home, registry);

    let state = home.dir.path().join("state");
    assert!(
        swarmd_processes_under(&state) >= 4,
        "swarmd daemons run from the sandbox dirs"
    );
    // Only this sandbox's namespaces: other sandboxes may come and go on this machine meanwhile.
    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    assert_eq!(
        created.len(),
        4,
        "one namespace per instance (3 removed managers' hosts are gone): {created:?}"
    );

    home.down_leaves_nothing(&created);
    assert!(
        prom_http::http_get(&prom, "/-/ready").is_none(),
        "Prometheus still answers on {prom} after down"
    );
    for id in &node_ids {
        assert_eq!(containers_of(id), 0, "containers of node {id} left behind");
    }
}

/// Containers (running or not) labelled with a swarmd node id on this machine's daemon.
fn containers_of(node_id: &str) -> usize {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.swarm.node.id={node_id}"),
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .count()
}

/// `service ps` through the tunnel: tasks desired and observed RUNNING.
fn running_tasks(home: &Home, service: &str) -> Vec<Value> {
    let ps = home.run(&[
        "service",
        "--cluster",
        &home.name,
        "ps",
        service,
        "--output",
        "json",
    ]);
    json_of(&ps, "service ps")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
        .collect()
}

/// `scale --sandbox` with JSON output; the last document (the node table).
fn scale(home: &Home, what: &str, n: &str) -> Value {
    home.json(&["scale", "--sandbox", what, n])
}

fn node_list(doc: &Value) -> Vec<Value> {
    doc["nodes"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no node table in {doc}"))
        .clone()
}

/// A 3-replica service through `swarm-aws service`, then growing the workers and shrinking the
/// managers: the service keeps 3 running replicas. Returns every node id seen (for the
/// container check after `down`).
fn service_survives_scaling(home: &Home, registry: &str, prom: &str) -> Vec<String> {
    let name = home.name.as_str();
    let image = push_test_image(registry);
    let image = image.as_str();
    // Prometheus scrapes every node (its own admin certificate: the user's was revoked and
    // re-signed meanwhile); no task runs yet.
    targets_all_up(prom, 5);
    let running = "max(swarmd_tasks{state=\"running\"})";
    let before = prom_http::query(prom, running).expect("Prometheus answers queries");
    assert!(before.iter().all(|(_, v)| *v == 0.0), "{before:?}");
    let created = home.run(&[
        "service",
        "--cluster",
        name,
        "create",
        "--name",
        "web",
        "--replicas",
        "3",
        "--output",
        "json",
        image,
    ]);
    let svc = json_of(&created, "service create");
    assert!(!svc.is_null(), "{svc}");
    let tasks = running_tasks(home, "web");
    assert_eq!(tasks.len(), 3, "{tasks:#?}");
    wait_until(&format!("{running} == 3 in Prometheus"), || {
        let r = prom_http::query(prom, running);
        match r.as_ref().and_then(|r| r.first()) {
            Some((_, v)) if *v == 3.0 => Ok(()),
            _ => Err(format!("{r:?}")),
        }
    });
    let mut ids: Vec<String> = Vec::new();
    let ls = json_of(
        &home.run(&["node", "ls", "--cluster", name, "--output", "json"]),
        "node ls",
    );
    for n in ls.as_array().unwrap() {
        ids.push(n["id"].as_str().unwrap().to_string());
    }
    // The tasks run on the hosts' own engines (tests/sandbox_engines.rs checks each one).
    for id in &ids {
        assert_eq!(
            containers_of(id),
            0,
            "this machine's daemon holds tasks of {id}"
        );
    }

    let grown = scale(home, "--workers", "3");
    let nodes = node_list(&grown);
    assert_eq!(nodes.len(), 6, "{grown}");
    targets_all_up(prom, 6);
    assert!(nodes.iter().all(|n| n["status"] == "ready"), "{grown}");
    for n in &nodes {
        let id = n["id"].as_str().unwrap().to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    let shrunk = scale(home, "--managers", "1");
    let nodes = node_list(&shrunk);
    let managers: Vec<&Value> = nodes.iter().filter(|n| n["role"] == "manager").collect();
    assert_eq!(managers.len(), 1, "{shrunk}");
    assert_eq!(managers[0]["manager_status"], "leader", "{shrunk}");
    assert_eq!(nodes.len(), 4, "two managers removed: {shrunk}");
    targets_all_up(prom, 4);

    // The service converges back to 3 replicas on the remaining nodes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let running = running_tasks(home, "web");
        let on_live = running
            .iter()
            .filter(|t| nodes.iter().any(|n| n["id"] == t["node_id"]))
            .count();
        if on_live == 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "web did not get back to 3 replicas: {running:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    ids
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
    let ls = home.run(&["node", "ls", "--cluster", name, "--output", "json"]);
    let nodes = json_of(&ls, "node ls");
    let nodes = nodes.as_array().expect("a list of nodes");
    assert_eq!(nodes.len(), 5, "{nodes:?}");
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
    let text = home.run(&["node", "ls", "--cluster", name]);
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
        "--cluster",
        name,
        "--output",
        "json",
    ]);
    assert_eq!(json_of(&upd, "node update")["labels"]["zone"], "a");
    let insp = home.run(&[
        "node",
        "inspect",
        "worker-1",
        "--cluster",
        name,
        "--output",
        "json",
    ]);
    // `node inspect` prints a JSON array, as `docker node inspect`.
    assert_eq!(json_of(&insp, "node inspect")[0]["labels"]["zone"], "a");

    // The service verbs go the same way (no service yet).
    let svc = home.run(&["service", "ls", "--cluster", name, "--output", "json"]);
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
    let refused = home.run(&["node", "ls", "--cluster", name, "--output", "json"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a changed host key was accepted");
    assert!(
        stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{stderr}"
    );
    std::fs::write(&kh, original).unwrap();

    // Revoked on a manager (its local socket; `admin-cert ls` lists the one certificate signed
    // for this machine), the certificate is refused with the fix; removing it has a manager sign
    // a new one over SSH on the next command.
    let swarmd = Path::new(env!("CARGO_BIN_EXE_swarm-aws")).with_file_name("swarmd");
    let state = home.host_dir("host-0").join("var/lib/swarmd");
    let state = state.to_str().unwrap();
    let ls = Command::new(&swarmd)
        .args(["admin-cert", "ls", "--format", "json", "--state-dir", state])
        .output()
        .unwrap();
    let certs = json_of(&ls, "admin-cert ls");
    let all = certs.as_array().expect("a list of certificates");
    // One for this machine's user, one for the sandbox's Prometheus (`--monitoring`).
    let prometheus = format!("prometheus@{name}");
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().any(|c| c["name"] == prometheus), "{all:?}");
    let certs: Vec<&Value> = all.iter().filter(|c| c["name"] != prometheus).collect();
    assert_eq!(certs.len(), 1, "{certs:?}");
    let serial = certs[0]["serial"].as_str().unwrap();
    let revoke = Command::new(&swarmd)
        .args(["admin-cert", "revoke", serial, "--state-dir", state])
        .output()
        .unwrap();
    assert!(revoke.status.success(), "{revoke:?}");
    let refused = home.run(&["node", "ls", "--cluster", name]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "a revoked certificate was accepted"
    );
    assert!(
        stderr.contains("revoked") && stderr.contains(serial) && stderr.contains("admin.pem"),
        "{stderr}"
    );
    std::fs::remove_file(dir.join("admin.pem")).unwrap();
    let again = home.run(&["node", "ls", "--cluster", name, "--output", "json"]);
    assert_eq!(
        json_of(&again, "node ls after re-signing")
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    assert_ne!(
        std::fs::read_to_string(dir.join("admin.pem")).unwrap(),
        cert
    );
}

/// Waits (90 s at most) until `f` is `Ok`; panics with what it last saw.
fn wait_until(what: &str, mut f: impl FnMut() -> Result<(), String>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let seen = match f() {
            Ok(()) => return,
            Err(seen) => seen,
        };
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 90 s; last seen {seen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Prometheus's active targets are `n` hosts, every one `up`.
fn targets_all_up(prom: &str, n: usize) {
    wait_until(&format!("{n} targets up in Prometheus"), || {
        let t = prom_http::targets(prom);
        match &t {
            Some(t) if t.len() == n && t.iter().all(|(_, h)| h == "up") => Ok(()),
            _ => Err(format!("{t:?}")),
        }
    });
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `events --cluster`: service create, scale and rm of a scripted scenario come out in that
/// order (JSON lines), filtered by type and action, and as `docker events` lines.
fn events_of_a_scripted_scenario(home: &Home, registry: &str) {
    let name = home.name.as_str();
    let image = push_test_image(registry);
    let since = (unix_now() - 1).to_string();
    let svc = |args: &[&str]| {
        let mut all = vec!["service", "--cluster", name];
        all.extend(args);
        let out = home.run(&all);
        assert!(
            out.status.success(),
            "service {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    svc(&[
        "create",
        "--name",
        "ev",
        "--replicas",
        "1",
        "--detach",
        &image,
    ]);
    svc(&["scale", "ev=2", "--detach"]);
    svc(&["rm", "ev"]);
    let until = (unix_now() + 1).to_string();
    let events = |extra: &[&str]| {
        let mut all = vec![
            "events",
            "--cluster",
            name,
            "--since",
            &since,
            "--until",
            &until,
        ];
        all.extend(extra);
        let out = home.run(&all);
        assert!(
            out.status.success(),
            "events {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json = events(&["--filter", "type=service", "--format", "json"]);
    let mine: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|e| e["Actor"]["Attributes"]["name"] == "ev")
        .collect();
    assert!(mine.iter().all(|e| e["Type"] == "service"), "{json}");
    let mut actions: Vec<&str> = mine.iter().filter_map(|e| e["Action"].as_str()).collect();
    actions.dedup();
    assert_eq!(actions, ["create", "update", "remove"], "{json}");
    let id = mine[0]["Actor"]["ID"].as_str().unwrap();
    assert!(mine.iter().all(|e| e["Actor"]["ID"] == id), "{json}");
    // Task events come too without the type filter.
    let all = events(&["--format", "json"]);
    assert!(
        all.lines().any(|l| l.contains("\"Type\":\"task\"")),
        "no task event: {all}"
    );
    // Text: `docker events` lines; two filters of one key are alternatives.
    let text = events(&[
        "--filter",
        "type=service",
        "--filter",
        "event=create",
        "--filter",
        "event=remove",
    ]);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("name=ev")).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains(&format!(" service create {id} ")),
        "{text}"
    );
    assert!(
        lines[1].contains(&format!(" service remove {id} ")),
        "{text}"
    );
    // A bad filter is the user's to fix, before anything is connected to.
    let bad = home.run(&["events", "--cluster", name, "--filter", "colour=blue"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--filter") && stderr.contains("colour"),
        "{stderr}"
    );
}
