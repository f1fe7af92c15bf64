//! Admin certificates with real processes: `swarmd admin-cert` on a manager signs a CSR made
//! elsewhere; the certificate reaches the control API over mutual TLS and nothing else (Raft,
//! join, heartbeat, leave, dispatcher); a certificate of another CA is refused in the handshake;
//! only the local socket of a manager signs; signed certificates are listed and a revoked one is
//! refused. Also the load balancer's health check on each node.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{remote_node_ls, swarmd, wait_for, Cluster, WAIT};
use serde_json::Value;
use swarm_api::admin::AdminCertRequest;
use swarm_api::client::{Client, Target};
use swarm_api::command::Command;
use swarm_api::control::{ForceRequest, HeartbeatRequest, JoinRequest};
use swarm_api::dispatch::SyncRequest;
use swarm_api::error::{ClientError, ErrorKind};
use swarm_api::node::parse_node_id;
use swarm_api::tls::client_config;
use swarm_manager::ca::{new_key_and_csr, new_root_ca, sign_admin_csr};

fn write_cert_dir(dir: &std::path::Path, ca: &str, cert: &str, key: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.pem"), ca).unwrap();
    std::fs::write(dir.join("node.pem"), cert).unwrap();
    std::fs::write(dir.join("node-key.pem"), key).unwrap();
}

/// `GET /` on a health address: the HTTP status, or `None` if nothing answers.
fn health(addr: &str) -> Option<u16> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_whitespace().nth(1)?.parse().ok()
}

fn refused(r: Result<Value, ClientError>, what: &str) {
    match r {
        Err(ClientError::Api(e)) => assert!(
            matches!(e.kind, ErrorKind::Forbidden | ErrorKind::Unauthorized),
            "{what}: {e:?}"
        ),
        other => panic!("{what} was not refused: {other:?}"),
    }
}

#[test]
fn admin_certificates_reach_the_control_api_only() {
    let mut c = Cluster::new(46);
    let m1 = c.init("m1");
    let w1 = c.join("w1", "worker", m1);
    let maddr = c.nodes[m1].addr.clone();
    let m1_dir = c.nodes[m1].dir.display().to_string();

    // The key stays here; only the CSR goes to the manager.
    let (key_pem, csr_pem) = new_key_and_csr().unwrap();
    let csr = c.tmp().join("admin.csr");
    std::fs::write(&csr, &csr_pem).unwrap();
    let csr = csr.display().to_string();
    let o = c.nodes[m1].cli(&[
        "admin-cert",
        "--csr-file",
        &csr,
        "--name",
        "alice",
        "--days",
        "7",
        "--format",
        "json",
    ]);
    let signed = o.json();
    let cert_pem = signed["cert_pem"].as_str().unwrap().to_string();
    let ca_pem = signed["ca_cert_pem"].as_str().unwrap().to_string();
    assert_eq!(signed["name"], "alice");
    assert!(!o.stdout.contains("PRIVATE KEY"));
    // Text output: the certificate, then the CA.
    let o = c.nodes[m1].cli(&["admin-cert", "--csr-file", &csr]);
    assert!(
        o.ok && o.stdout.matches("BEGIN CERTIFICATE").count() == 2,
        "{o:?}"
    );
    // Only a manager's local socket signs; bounds are checked.
    let o = c.nodes[w1].cli(&["admin-cert", "--csr-file", &csr]);
    assert!(!o.ok, "a worker signed an admin certificate: {o:?}");
    let o = swarmd(&[
        "admin-cert",
        "--csr-file",
        &csr,
        "--host",
        &maddr,
        "--state-dir",
        &m1_dir,
    ]);
    assert!(!o.ok && o.stderr.contains("local socket"), "{o:?}");
    let o = c.nodes[m1].cli(&["admin-cert", "--csr-file", &csr, "--days", "1000"]);
    assert!(!o.ok && o.stderr.contains("--days"), "{o:?}");
    let o = c.nodes[m1].cli(&["admin-cert", "--csr-file", &m1_dir]);
    assert!(!o.ok && o.stderr.contains("--csr-file"), "{o:?}");

    // The admin certificate lists the nodes over mutual TLS.
    let admin_dir = c.tmp().join("admin-client");
    write_cert_dir(&admin_dir, &ca_pem, &cert_pem, &key_pem);
    let admin_dir = admin_dir.display().to_string();
    let o = remote_node_ls(
        &maddr,
        std::path::Path::new(&admin_dir),
        &["--format", "json"],
    );
    assert_eq!(o.json().as_array().map(Vec::len), Some(2), "{o:?}");
    let o = swarmd(&[
        "info",
        "--host",
        &maddr,
        "--cert-dir",
        &admin_dir,
        "--format",
        "json",
    ]);
    assert!(o.json()["leader"].is_string(), "{o:?}");

    // Node endpoints refuse it, even with a valid join token.
    let w1_id = parse_node_id(&c.nodes[w1].id()).unwrap();
    let token = c.token(m1, "manager");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg = client_config(&ca_pem, &cert_pem, &key_pem).unwrap();
    let client = Client::new(Target::Tls {
        addr: maddr.clone(),
        config: cfg,
    });
    rt.block_on(async {
        let beat = HeartbeatRequest { node_id: w1_id };
        refused(
            client.post("/raft/heartbeat", &beat).await,
            "/raft/heartbeat",
        );
        refused(client.post("/v1/heartbeat", &beat).await, "/v1/heartbeat");
        refused(
            client
                .post("/raft/write", &Command::RemoveNode { id: w1_id })
                .await,
            "/raft/write",
        );
        refused(client.post("/v1/join/voter", &()).await, "/v1/join/voter");
        let sync = SyncRequest {
            node_id: w1_id,
            description: None,
            reports: Vec::new(),
        };
        refused(
            client.post("/v1/dispatcher/sync", &sync).await,
            "/v1/dispatcher/sync",
        );
        refused(
            client.get("/v1/agent/tasks/x/logs").await,
            "/v1/agent/tasks/x/logs",
        );
        refused(
            client
                .post("/v1/self/leave", &ForceRequest { force: true })
                .await,
            "/v1/self/leave",
        );
        let (_, node_csr) = new_key_and_csr().unwrap();
        let join = JoinRequest {
            token: token.clone(),
            csr_pem: node_csr,
            hostname: "sneaky".into(),
            addr: "127.0.46.99:2377".into(),
            availability: Default::default(),
            labels: Default::default(),
        };
        refused(client.post("/v1/join", &join).await, "/v1/join");
        let more = AdminCertRequest {
            csr_pem: csr_pem.clone(),
            name: "mallory".into(),
            days: 1,
        };
        refused(client.post("/v1/admin/cert", &more).await, "/v1/admin/cert");
        // The control API is open to it.
        let nodes: Value = client.get("/v1/nodes").await.unwrap();
        assert_eq!(nodes.as_array().map(Vec::len), Some(2));
    });
    let nodes = c.nodes[m1].nodes().unwrap();
    assert!(
        nodes.iter().any(|n| n["hostname"] == "w1"),
        "w1 was removed"
    );
    assert!(
        !nodes.iter().any(|n| n["hostname"] == "sneaky"),
        "a node joined"
    );

    // An admin certificate of another CA is refused in the TLS handshake.
    let rogue_ca = new_root_ca("rogue").unwrap();
    let (rogue_key, rogue_csr) = new_key_and_csr().unwrap();
    let rogue_cert = sign_admin_csr(&rogue_ca, &rogue_csr, "alice", 7)
        .unwrap()
        .cert_pem;
    let rogue_dir = c.tmp().join("rogue-client");
    write_cert_dir(&rogue_dir, &ca_pem, &rogue_cert, &rogue_key);
    let o = remote_node_ls(&maddr, &rogue_dir, &[]);
    assert!(!o.ok && !o.stdout.contains("HOSTNAME"), "{o:?}");

    // Every signed certificate is listed; revoked, alice's certificate is refused from its next
    // request on, while the one signed for "admin" still works. Revoking works over TLS too.
    let alice = signed["serial"].as_str().unwrap().to_string();
    assert_eq!(alice.len(), 32, "{signed}");
    let listed = c.nodes[m1]
        .cli(&["admin-cert", "ls", "--format", "json"])
        .json();
    let certs = listed.as_array().unwrap();
    assert_eq!(certs.len(), 2, "{listed}");
    assert!(
        certs.iter().any(|r| r["serial"] == alice.as_str()
            && r["name"] == "alice"
            && r["revoked"] == false),
        "{listed}"
    );
    let table = c.nodes[m1].cli(&["admin-cert", "ls"]).stdout;
    assert!(
        table.starts_with("SERIAL ") && table.contains("valid"),
        "{table}"
    );
    let o = c.nodes[m1].cli(&["admin-cert", "revoke", "nobody"]);
    assert!(!o.ok && o.stderr.contains("nobody"), "{o:?}");
    let o = swarmd(&[
        "admin-cert",
        "revoke",
        &alice[..12],
        "--host",
        &maddr,
        "--cert-dir",
        &admin_dir,
    ]);
    assert!(o.ok && o.stdout.contains(&alice), "{o:?}");
    let o = swarmd(&["node", "ls", "--host", &maddr, "--cert-dir", &admin_dir]);
    assert!(
        !o.ok && o.stderr.contains("revoked") && o.stderr.contains(&alice),
        "a revoked certificate still works: {o:?}"
    );
    let listed = c.nodes[m1]
        .cli(&["admin-cert", "ls", "--format", "json"])
        .json();
    let revoked: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["revoked"] == true)
        .collect();
    assert_eq!(revoked.len(), 1, "{listed}");
    assert_eq!(revoked[0]["serial"], alice.as_str());

    // Health check on the advertise IP, port 44554: 200 while Ready; a stopped worker's own
    // health turns 503 once its heartbeats go unanswered (here: the manager is stopped).
    let ip = |i: usize| c.nodes[i].addr.rsplit_once(':').unwrap().0.to_string();
    let (m_health, w_health) = (format!("{}:44554", ip(m1)), format!("{}:44554", ip(w1)));
    wait_for("manager health 200", WAIT, || {
        (health(&m_health) == Some(200)).then_some(())
    });
    wait_for("worker health 200", WAIT, || {
        (health(&w_health) == Some(200)).then_some(())
    });
    c.nodes[m1].signal("STOP");
    wait_for("worker health 503", WAIT, || {
        (health(&w_health) == Some(503)).then_some(())
    });
    c.nodes[m1].signal("CONT");
    wait_for("worker health 200 again", WAIT, || {
        (health(&w_health) == Some(200)).then_some(())
    });
    let logs = c.logs();
    assert!(!logs.contains("PRIVATE KEY"));
    assert!(
        logs.contains("admin connection"),
        "admin connections are logged"
    );
}
