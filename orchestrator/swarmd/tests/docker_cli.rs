//! The real docker CLI (the machine's `docker` 28.x client, unmodified) drives swarmd through
//! the Docker-compatible API (issue #17), on the docker socket of a manager
//! (`DOCKER_HOST=unix://STATE/docker.sock`): node, service and network verbs exit 0 and print
//! what swarmd's own CLI reports; bad requests get docker's status and message and change
//! nothing; `docker service logs -f` streams new lines from the tasks on every node,
//! including a task started after the stream began (`service scale`).
//!
//! The tasks run on this machine's Docker daemon (as in `services.rs`); the client is only
//! ever pointed at swarmd's socket (`DOCKER_HOST` is always set, `DOCKER_CONTEXT` and the
//! user's config are not used).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::docker::{docker, docker_cmd, raw, raw_text};
use common::svc::{agents_ready, Containers};
use common::{test_image, wait_for, Cluster, Node, Out, WAIT};
use serde_json::{json, Value};

const V2: &str = "swarm-test/web:v2";
const TICKER: &str = "swarm-test/ticker:v1";

fn ok(o: Out, what: &str) -> Out {
    assert!(o.ok, "docker {what} failed: {o:?}");
    o
}

fn swarmd_json(n: &Node, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    n.cli(&all).json()
}

fn swarmd_service(n: &Node, name: &str) -> Value {
    let o = common::svc(n, &["inspect", name, "--format", "json"]);
    let v = o.json();
    if v.is_array() {
        v[0].clone()
    } else {
        v
    }
}

fn swarmd_nodes(n: &Node) -> Vec<Value> {
    n.nodes().expect("swarmd node ls")
}

fn node_of<'a>(nodes: &'a [Value], host: &str) -> &'a Value {
    nodes
        .iter()
        .find(|v| v["hostname"] == host)
        .unwrap_or_else(|| panic!("no node {host} in {nodes:?}"))
}

fn link_exists(dev: &str) -> bool {
    Command::new("ip")
        .args(["link", "show", dev])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn replicas(s: &Value) -> u64 {
    s["spec"]["mode"]["replicated"]["replicas"]
        .as_u64()
        .unwrap_or_else(|| panic!("replicas of {s}"))
}

#[test]
fn the_docker_cli_drives_nodes_services_and_networks() {
    swarm_testkit::images::ensure(Path::new(env!("CARGO_TARGET_TMPDIR")), &[(V2, &[])]);
    let image = test_image();
    let mut cleanup = Containers(Vec::new());
    let (c, [m1, _w1, _w2]) = Cluster::start(90, ["m1", "w1", "w2"]);
    cleanup.0 = agents_ready(&c, m1, 3);
    let m = &c.nodes[m1];

    // The socket is private and its path is shown by `swarmd info`.
    let sock = m.dir.join("docker.sock");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&sock).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "docker.sock mode {mode:o}");
    let info = m.cli(&["info"]);
    assert!(
        info.stdout.contains(&format!("unix://{}", sock.display())),
        "{info:?}"
    );

    // docker info: this node, a manager of an active swarm.
    let i: Value = serde_json::from_str(
        &ok(docker(m, &["info", "--format", "{{json .Swarm}}"]), "info").stdout,
    )
    .unwrap();
    let nodes = swarmd_nodes(m);
    assert_eq!(i["NodeID"], node_of(&nodes, "m1")["id"]);
    assert_eq!(i["LocalNodeState"], "active");
    assert_eq!(i["ControlAvailable"], true);
    assert_eq!(i["Nodes"], 3);
    assert!(
        i["Cluster"]["ID"].as_str().is_some_and(|s| !s.is_empty()),
        "{i}"
    );

    // node ls: the same nodes and roles as swarmd's.
    let ls = ok(
        docker(
            m,
            &[
                "node",
                "ls",
                "--format",
                "{{.ID}} {{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}} {{.Self}}",
            ],
        ),
        "node ls",
    );
    for n in &nodes {
        let host = n["hostname"].as_str().unwrap();
        let line = ls
            .stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(host))
            .unwrap_or_else(|| panic!("{host} missing from {ls:?}"));
        assert!(line.starts_with(n["id"].as_str().unwrap()), "{line}");
        assert!(line.contains("Ready") && line.contains("Active"), "{line}");
        assert_eq!(line.contains("Leader"), host == "m1", "{line}");
        assert_eq!(line.ends_with("true"), host == "m1", "{line}");
    }

    // node inspect, update --label-add, promote, demote.
    let w1: Value =
        serde_json::from_str(&ok(docker(m, &["node", "inspect", "w1"]), "node inspect").stdout)
            .unwrap();
    assert_eq!(w1[0]["ID"], node_of(&nodes, "w1")["id"]);
    assert_eq!(w1[0]["Spec"]["Role"], "worker");
    ok(
        docker(m, &["node", "update", "--label-add", "zone=a", "w1"]),
        "node update",
    );
    assert_eq!(node_of(&swarmd_nodes(m), "w1")["labels"]["zone"], "a");
    let pretty = ok(
        docker(m, &["node", "inspect", "--pretty", "w1"]),
        "node inspect --pretty",
    );
    assert!(pretty.stdout.contains("zone=a"), "{pretty:?}");
    ok(
        docker(m, &["node", "update", "--availability", "drain", "w2"]),
        "node update --availability",
    );
    assert_eq!(node_of(&swarmd_nodes(m), "w2")["availability"], "drain");
    ok(
        docker(m, &["node", "update", "--availability", "active", "w2"]),
        "node update --availability",
    );
    ok(docker(m, &["node", "promote", "w2"]), "node promote");
    assert_eq!(node_of(&swarmd_nodes(m), "w2")["role"], "manager");
    ok(docker(m, &["node", "demote", "w2"]), "node demote");
    assert_eq!(node_of(&swarmd_nodes(m), "w2")["role"], "worker");

    // network create, ls.
    ok(
        docker(m, &["network", "create", "-d", "overlay", "n1"]),
        "network create",
    );
    let nets = ok(
        docker(
            m,
            &[
                "network",
                "ls",
                "--format",
                "{{.Name}} {{.Driver}} {{.Scope}}",
            ],
        ),
        "network ls",
    );
    assert!(
        nets.stdout.lines().any(|l| l == "n1 overlay swarm"),
        "{nets:?}"
    );
    let own = swarmd_json(m, &["network", "ls"]);
    assert!(own.to_string().contains("\"n1\""), "{own}");
    let n1_vni = own
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["Name"] == "n1")
        .and_then(|n| n["Options"]["com.docker.network.driver.overlay.vxlanid_list"].as_str())
        .unwrap_or_else(|| panic!("n1 has a VNI: {own}"));

    // service create (waits until converged, as docker does without --detach), ls, ps.
    ok(
        docker(
            m,
            &[
                "service",
                "create",
                "--name",
                "web",
                "--replicas",
                "3",
                "--publish",
                "18090:80",
                "--network",
                "n1",
                image,
            ],
        ),
        "service create",
    );
    let s = swarmd_service(m, "web");
    assert_eq!(replicas(&s), 3);
    assert_eq!(s["spec"]["task"]["container"]["image"], image);
    let ls = ok(
        docker(
            m,
            &[
                "service",
                "ls",
                "--format",
                "{{.Name}} {{.Mode}} {{.Replicas}} {{.Image}} {{.Ports}}",
            ],
        ),
        "service ls",
    );
    assert_eq!(
        ls.stdout.trim(),
        format!("web replicated 3/3 {image} *:18090->80/tcp"),
        "{ls:?}"
    );
    let ps = ok(
        docker(
            m,
            &[
                "service",
                "ps",
                "web",
                "--format",
                "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}",
            ],
        ),
        "service ps",
    );
    let own_tasks = common::svc(m, &["ps", "web", "--format", "json"]).json();
    let running: Vec<&str> = ps
        .stdout
        .lines()
        .filter(|l| l.contains("Running Running"))
        .collect();
    assert_eq!(running.len(), 3, "{ps:?}");
    for t in own_tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["desired_state"] == "running")
    {
        let name = format!("web.{}", t["slot"]);
        assert!(
            running.iter().any(|l| l.starts_with(&format!("{name} "))),
            "{name} not in {ps:?}"
        );
    }
    let pretty = ok(
        docker(m, &["service", "inspect", "--pretty", "web"]),
        "service inspect --pretty",
    );
    assert!(pretty.stdout.contains("Replicas:\t3"), "{pretty:?}");
    assert!(pretty.stdout.contains(image), "{pretty:?}");

    // logs: every task's first line, named by task and node.
    let logs = ok(docker(m, &["service", "logs", "web"]), "service logs");
    let listening: Vec<&str> = logs
        .stdout
        .lines()
        .filter(|l| l.contains("swarm-test-web: listening on port 80"))
        .collect();
    assert_eq!(listening.len(), 3, "{logs:?}");
    assert!(
        listening
            .iter()
            .all(|l| l.starts_with("web.") && l.contains('@')),
        "{logs:?}"
    );

    // Bad requests: docker's status and message, nothing changed.
    let before = swarmd_service(m, "web");
    let e = docker(m, &["service", "inspect", "nosuch"]);
    assert!(
        !e.ok && e.stderr.contains("no such service: nosuch"),
        "{e:?}"
    );
    let e = docker(m, &["service", "update", "--image", V2, "nosuch"]);
    assert!(
        !e.ok && e.stderr.contains("service nosuch not found"),
        "{e:?}"
    );
    let (status, cur) = raw(m, "GET", "/v1.50/services/web", None);
    assert_eq!(status, 200);
    let stale = cur["Version"]["Index"].as_u64().unwrap() - 1;
    let (status, body) = raw(
        m,
        "POST",
        &format!("/v1.50/services/web/update?version={stale}"),
        Some(cur["Spec"].clone()),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("out of sequence"),
        "{body}"
    );
    // (Init, Healthcheck and StopSignal are mapped since issue 16; Sysctls has no place.)
    let mut init = cur["Spec"].clone();
    init["TaskTemplate"]["ContainerSpec"]["Sysctls"] = json!({"net.core.somaxconn": "1024"});
    let (status, body) = raw(
        m,
        "POST",
        &format!(
            "/v1.50/services/web/update?version={}",
            cur["Version"]["Index"]
        ),
        Some(init),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("TaskTemplate.ContainerSpec.Sysctls"),
        "{body}"
    );
    let e = docker(
        m,
        &[
            "service",
            "create",
            "--detach",
            "--name",
            "other",
            "--sysctl",
            "net.core.somaxconn=1024",
            image,
        ],
    );
    assert!(
        !e.ok && e.stderr.contains("TaskTemplate.ContainerSpec.Sysctls"),
        "{e:?}"
    );
    let (status, body) = raw(m, "GET", "/v1.50/services/nosuch", None);
    assert_eq!(
        (status, body["message"].as_str().is_some()),
        (404, true),
        "{body}"
    );
    assert_eq!(swarmd_service(m, "web"), before);
    assert_eq!(
        swarmd_json(m, &["service", "ls"]).as_array().unwrap().len(),
        1
    );

    // update --image, scale, rollback.
    ok(
        docker(m, &["service", "update", "--image", V2, "web"]),
        "service update --image",
    );
    assert_eq!(
        swarmd_service(m, "web")["spec"]["task"]["container"]["image"],
        V2
    );
    ok(docker(m, &["service", "scale", "web=2"]), "service scale");
    let s = swarmd_service(m, "web");
    assert_eq!(replicas(&s), 2);
    ok(
        docker(m, &["service", "rollback", "web"]),
        "service rollback",
    );
    let s = swarmd_service(m, "web");
    assert_eq!(
        replicas(&s),
        3,
        "rolled back to the spec before the scale: {s}"
    );
    assert_eq!(s["spec"]["task"]["container"]["image"], V2);

    // rm: the service and the network.
    ok(docker(m, &["service", "rm", "web"]), "service rm");
    assert_eq!(
        swarmd_json(m, &["service", "ls"]).as_array().unwrap().len(),
        0
    );
    ok(docker(m, &["network", "rm", "n1"]), "network rm");
    assert!(!swarmd_json(m, &["network", "ls"])
        .to_string()
        .contains("\"n1\""));
    // The nodes share this machine's namespace: once no task uses n1, its bridge and VXLAN
    // device go from it (else they outlive the test).
    for dev in [format!("swbr{n1_vni}"), format!("swvx{n1_vni}")] {
        wait_for(&format!("{dev} to be removed"), WAIT, || {
            (!link_exists(&dev)).then_some(())
        });
    }

    // node rm (a Ready node needs --force, as in docker).
    let e = docker(m, &["node", "rm", "w2"]);
    assert!(!e.ok, "{e:?}");
    ok(
        docker(m, &["node", "rm", "--force", "w2"]),
        "node rm --force",
    );
    assert!(swarmd_nodes(m).iter().all(|n| n["hostname"] != "w2"));
}

#[test]
fn the_docker_cli_reaches_the_tls_port_with_an_admin_certificate() {
    let mut c = Cluster::new(93);
    let m1 = c.init("m1");
    let m = &c.nodes[m1];
    let (key_pem, csr_pem) = swarm_manager::ca::new_key_and_csr().unwrap();
    let csr = c.tmp().join("admin.csr");
    std::fs::write(&csr, &csr_pem).unwrap();
    let signed = m
        .cli(&[
            "admin-cert",
            "--csr-file",
            &csr.display().to_string(),
            "--name",
            "ci",
            "--format",
            "json",
        ])
        .json();
    let certs = c.tmp().join("docker-certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(
        certs.join("ca.pem"),
        signed["ca_cert_pem"].as_str().unwrap(),
    )
    .unwrap();
    std::fs::write(certs.join("cert.pem"), signed["cert_pem"].as_str().unwrap()).unwrap();
    std::fs::write(certs.join("key.pem"), &key_pem).unwrap();
    let config = c.tmp().join("docker-cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let tls_docker = |args: &[&str], cert_path: &Path| {
        let o = Command::new("docker")
            .env("DOCKER_HOST", format!("tcp://{}", m.addr))
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_path)
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("docker");
        Out {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    };
    // The TLS port answers docker's paths and swarmd's own beside them.
    let ls = ok(
        tls_docker(
            &["node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}"],
            &certs,
        ),
        "node ls over TLS",
    );
    assert_eq!(ls.stdout.trim(), "m1 Leader", "{ls:?}");
    let v = ok(
        tls_docker(&["version", "--format", "{{.Server.APIVersion}}"], &certs),
        "version over TLS",
    );
    assert_eq!(v.stdout.trim(), "1.50");
    // Through a local tunnel (a forwarded port on 127.0.0.1, as an SSH tunnel to the leader
    // is): the manager's certificate carries the names the CLI dials there.
    let tunnel = forward_local(&m.addr);
    for host in [format!("127.0.0.1:{tunnel}"), format!("localhost:{tunnel}")] {
        let o = Command::new("docker")
            .env("DOCKER_HOST", format!("tcp://{host}"))
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", &certs)
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_CONTEXT")
            .args(["node", "ls", "--format", "{{.Hostname}}"])
            .stdin(Stdio::null())
            .output()
            .expect("docker");
        assert!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "m1",
            "docker node ls via {host}: {o:?}"
        );
    }
    let own = common::remote_node_ls(&m.addr, &m.dir.join("certs"), &["--format", "json"]);
    assert!(own.ok, "swarmd's own API on the same port: {own:?}");
    // Without a client certificate of the cluster CA: refused.
    let bare = c.tmp().join("ca-only");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::write(bare.join("ca.pem"), signed["ca_cert_pem"].as_str().unwrap()).unwrap();
    let e = tls_docker(
        &[
            "--tlscacert",
            &bare.join("ca.pem").display().to_string(),
            "node",
            "ls",
        ],
        &bare,
    );
    assert!(!e.ok, "{e:?}");
}

/// Reads lines of a child's stdout on a thread, into a channel.
/// A port on 127.0.0.1 (chosen by the system) whose connections are forwarded to `to`,
/// for the life of the test process: a local tunnel.
fn forward_local(to: &str) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().unwrap().port();
    let to = to.to_string();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let Ok(up) = std::net::TcpStream::connect(&to) else {
                continue;
            };
            let (mut c2, mut up2) = (c.try_clone().unwrap(), up.try_clone().unwrap());
            let (mut c, mut up) = (c, up);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c, &mut up);
                let _ = up.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

fn line_reader(out: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Established TCP connections to `addr` (`ip:port`) on this machine, from `/proc/net/tcp`.
fn connections_to(addr: &str) -> usize {
    let (ip, port) = addr.rsplit_once(':').unwrap();
    let ip: std::net::Ipv4Addr = ip.parse().unwrap();
    let port: u16 = port.parse().unwrap();
    let want = format!("{:08X}:{port:04X}", u32::from_le_bytes(ip.octets()));
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // local address, remote address, state (01 = ESTABLISHED): the client side.
            f.len() > 3 && f[2] == want && f[3] == "01"
        })
        .count()
}

#[test]
fn docker_service_logs_follow_streams_new_lines_from_every_node() {
    // A task that prints two lines a second (a probe of a closed port).
    swarm_testkit::images::ensure(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &[(TICKER, &["--probe", "127.0.0.1:9"])],
    );
    let mut cleanup = Containers(Vec::new());
    let (c, [m1, _w1]) = Cluster::start(91, ["m1", "w1"]);
    cleanup.0 = agents_ready(&c, m1, 2);
    let m = &c.nodes[m1];
    ok(
        docker(
            m,
            &[
                "service",
                "create",
                "--name",
                "tick",
                "--replicas",
                "1",
                "--replicas-max-per-node",
                "1",
                TICKER,
            ],
        ),
        "service create",
    );

    let sock: PathBuf = m.dir.join("docker.sock");
    let mut child = docker_cmd(&sock, &m.dir.join("docker-cli-config"))
        .args([
            "service",
            "logs",
            "--follow",
            "--tail",
            "0",
            "--timestamps",
            "tick",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker service logs -f");
    let rx = line_reader(child.stdout.take().unwrap());
    let mut seen = std::collections::BTreeSet::new();
    let mut lines = Vec::new();
    let deadline = std::time::Instant::now() + WAIT;
    let mut scaled = false;
    while seen.len() < 2 && std::time::Instant::now() < deadline {
        // One task, one node: once its lines come, a second task starts (on the other node,
        // one per node) and the stream that is already open must take it in.
        if seen.len() == 1 && !scaled {
            ok(
                docker(m, &["service", "scale", "--detach", "tick=2"]),
                "service scale tick=2",
            );
            scaled = true;
        }
        if let Ok(l) = rx.recv_timeout(Duration::from_secs(1)) {
            // TIME tick.N.ID@HOST    | probe 127.0.0.1:9 ...
            let host = l
                .split('@')
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string);
            assert!(
                l.contains("| resolve 127.0.0.1") || l.contains("| probe 127.0.0.1:9"),
                "{l}"
            );
            assert!(
                l.split_whitespace()
                    .next()
                    .is_some_and(|t| t.ends_with('Z')),
                "no timestamp: {l}"
            );
            seen.extend(host);
            lines.push(l);
        }
    }
    assert_eq!(
        seen.len(),
        2,
        "new lines from both nodes, one from a task started after the stream began: {seen:?} in {lines:?}"
    );
    // Still streaming: more lines keep coming.
    rx.recv_timeout(Duration::from_secs(10))
        .expect("more lines");
    // The client goes: the stream from w1's node to the manager closes with it.
    let w1_addr = c.nodes[_w1].addr.clone();
    assert!(connections_to(&w1_addr) > 0, "no log stream from w1 open");
    child.kill().expect("kill docker service logs");
    child.wait().ok();
    wait_for("the log stream from w1 to close", WAIT, || {
        (connections_to(&w1_addr) == 0).then_some(())
    });
    // swarmd's own `service logs -f` follows the same stream.
    let mut own = Command::new(env!("CARGO_BIN_EXE_swarmd"))
        .args([
            "service",
            "--state-dir",
            &m.dir.display().to_string(),
            "logs",
            "-f",
            "--tail",
            "0",
            "tick",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("swarmd service logs -f");
    let rx = line_reader(own.stdout.take().unwrap());
    let mut hosts = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + WAIT;
    while hosts.len() < 2 && std::time::Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_secs(1)) {
            // tick.N.ID@HOST | text
            let host = l
                .split('@')
                .nth(1)
                .and_then(|r| r.split(" | ").next())
                .map(str::to_string);
            hosts.extend(host);
        }
    }
    own.kill().ok();
    own.wait().ok();
    assert_eq!(
        hosts.len(),
        2,
        "swarmd service logs -f: lines from both nodes: {hosts:?}"
    );

    // --since bounds the lines (and the API's until, which the CLI has no flag for).
    let recent = ok(
        docker(
            m,
            &["service", "logs", "--timestamps", "--since", "1h", "tick"],
        ),
        "logs --since 1h",
    );
    assert!(recent.stdout.lines().count() > 0, "{recent:?}");
    let none = ok(
        docker(
            m,
            &["service", "logs", "--since", "2099-01-01T00:00:00Z", "tick"],
        ),
        "logs --since 2099",
    );
    assert_eq!(none.stdout.trim(), "", "{none:?}");
    let (status, body) = raw_text(m, "/v1.50/services/tick/logs?stdout=1&stderr=1&until=1");
    assert_eq!(
        (status, body.len()),
        (200, 0),
        "lines before 1970-01-01T00:00:01Z: {body:?}"
    );
    let (status, body) = raw_text(m, "/v1.50/services/tick/logs?stdout=1&stderr=1&details=1");
    assert_eq!(status, 200);
    assert!(body.contains("com.docker.swarm.service.id="), "{body:?}");
}
