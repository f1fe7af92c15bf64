//! Security with real processes: wrong, rotated and foreign tokens are refused; worker tokens
//! never make managers; only certificates of the cluster CA (of managers) reach the control API;
//! secrets stay out of the logs.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{remote_node_ls, Cluster, Out, BIN};

/// Runs a `swarmd join` that must fail; kills it (and fails) if it keeps running.
fn join_must_fail(c: &Cluster, name: &str, token: &str, manager: &str, ip: &str) -> Out {
    let dir = c.tmp().join(name);
    let mut child = Command::new(BIN)
        .args([
            "join",
            "--token",
            token,
            "--listen-addr",
            &format!("{ip}:2377"),
            "--hostname",
            name,
        ])
        .args(["--state-dir", &dir.display().to_string(), manager])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn join");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("join with token for {name} did not fail");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("join output");
    let o = Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!o.ok, "join unexpectedly succeeded: {o:?}");
    o
}

fn copy_certs(from: &std::path::Path, ca_from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::copy(ca_from.join("certs/ca.pem"), to.join("ca.pem")).unwrap();
    std::fs::copy(from.join("certs/node.pem"), to.join("node.pem")).unwrap();
    std::fs::copy(from.join("certs/node-key.pem"), to.join("node-key.pem")).unwrap();
}

#[test]
fn tokens_and_certificates() {
    let mut c = Cluster::new(33);
    let m1 = c.init("m1");
    let maddr = c.nodes[m1].addr.clone();
    let worker = c.token(m1, "worker");
    let manager = c.token(m1, "manager");
    assert!(worker.starts_with("SWMTKN-1-") && manager.starts_with("SWMTKN-1-"));
    assert_ne!(worker, manager);

    // A wrong secret is refused.
    let mut bad = worker.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'a' { 'b' } else { 'a' });
    let o = join_must_fail(&c, "bad", &bad, &maddr, "127.0.33.101");
    assert!(o.stderr.contains("invalid join token"), "{o:?}");
    // A malformed token is refused before connecting.
    let o = join_must_fail(&c, "garbage", "not-a-token", &maddr, "127.0.33.102");
    assert!(o.stderr.contains("SWMTKN-1-"), "{o:?}");

    // Rotation: the old worker token stops working at once, the new one works.
    let o = c.nodes[m1].cli(&["join-token", "--rotate", "-q", "worker"]);
    assert!(o.ok, "{o:?}");
    let rotated = o.stdout.trim().to_string();
    assert_ne!(rotated, worker);
    let o = join_must_fail(&c, "old", &worker, &maddr, "127.0.33.103");
    assert!(o.stderr.contains("rotated"), "{o:?}");
    assert_eq!(
        c.token(m1, "manager"),
        manager,
        "rotating the worker token keeps the manager token"
    );
    let w1 = c.join("w1", "worker", m1);

    // A worker token never makes a manager.
    let nodes = c.nodes[m1].nodes().unwrap();
    let w = nodes.iter().find(|n| n["hostname"] == "w1").unwrap();
    assert_eq!(w["role"], "worker");
    assert_eq!(
        c.nodes[m1].info().unwrap()["voters"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A token of another cluster is refused by CA pinning before anything is sent.
    let mut other = Cluster::new(34);
    let o1 = other.init("o1");
    let foreign = other.token(o1, "worker");
    let o = join_must_fail(&c, "foreign", &foreign, &maddr, "127.0.33.104");
    assert!(o.stderr.contains("fingerprint"), "{o:?}");

    // Remote control API over mTLS: a manager certificate works...
    let m1_dir = c.nodes[m1].dir.clone();
    let o = remote_node_ls(&maddr, &m1_dir.join("certs"), &[]);
    assert!(o.ok, "{o:?}");
    // ...a worker certificate of this cluster is forbidden...
    let wdir = c.tmp().join("w1-client");
    copy_certs(&c.nodes[w1].dir, &m1_dir, &wdir);
    let o = remote_node_ls(&maddr, &wdir, &[]);
    assert!(!o.ok && o.stderr.contains("only managers"), "{o:?}");
    // ...and a certificate from another CA is refused in the TLS handshake.
    let fdir = c.tmp().join("foreign-client");
    copy_certs(&other.nodes[o1].dir, &m1_dir, &fdir);
    let o = remote_node_ls(&maddr, &fdir, &[]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stderr.contains("failed") && !o.stdout.contains("HOSTNAME"),
        "{o:?}"
    );

    // Secrets never reach the logs.
    let logs = c.logs() + &other.logs();
    for secret in [&worker, &manager, &rotated, &foreign] {
        let s = secret.rsplit('-').next().unwrap();
        assert!(!logs.contains(s), "a token secret appears in the logs");
    }
    assert!(!logs.contains("PRIVATE KEY"));
}
