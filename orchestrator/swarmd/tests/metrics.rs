//! Prometheus metrics (issue 21) scraped by the real Prometheus (Debian's `prometheus`): three
//! managers on 127.0.109.x with `--metrics-addr`, a Prometheus process of the test on 127.0.110.1
//! scraping every node each second; its HTTP API shows every series on every node, running tasks
//! going up after `service create --replicas 3`, and leader changes after the leader is killed.
//! With `--metrics-addr tls`, `/metrics` on the TLS port refuses a client with no certificate or
//! a node certificate and serves one with an admin certificate.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{svc, wait_for, Cluster, WAIT};
use serde_json::Value;

const NET: u8 = 109;
/// The second test's net (tests of one file run in parallel).
const OFF_NET: u8 = 111;
const PROM_IP: &str = "127.0.110.1";

/// Series every node must expose (histograms by their `_count`, counters by `_total`).
pub const SERIES: &[&str] = &[
    "swarmd_raft_term",
    "swarmd_raft_is_leader",
    "swarmd_raft_leader_changes_total",
    "swarmd_raft_commit_index",
    "swarmd_raft_applied_index",
    "swarmd_raft_apply_lag",
    "swarmd_raft_last_log_index",
    "swarmd_raft_voters",
    "swarmd_raft_append_seconds_count",
    "swarmd_raft_fsync_seconds_count",
    "swarmd_raft_appended_entries_total",
    "swarmd_store_objects",
    "swarmd_orchestrator_round_seconds_count",
    "swarmd_scheduler_round_seconds_count",
    "swarmd_scheduler_placements_total",
    "swarmd_dispatcher_connected_nodes",
    "swarmd_dispatcher_sync_seconds_count",
    "swarmd_heartbeat_seconds_count",
    "swarmd_agent_image_pulls_total",
    "swarmd_agent_executor_errors_total",
    "swarmd_agent_containers",
    "swarmd_mesh_connections_total",
    "swarmd_dns_answered_queries_total",
];

/// The test's Prometheus, killed on drop (its data dir is in the test's temp dir).
struct Prometheus {
    child: Child,
    addr: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(dir: &Path, targets: &[String]) -> Prometheus {
        let list = targets
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: swarmd\n    static_configs:\n      - targets: [{list}]\n"
        );
        let cfg = dir.join("prometheus.yml");
        std::fs::write(&cfg, config).expect("write prometheus.yml");
        let port = std::net::TcpListener::bind((PROM_IP, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let addr = format!("{PROM_IP}:{port}");
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("log");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus (apt-get install prometheus; see scripts/setup)");
        Prometheus { child, addr }
    }

    /// `GET /api/v1/query?query=Q`: the result vector as (instance, value).
    fn query(&self, q: &str) -> Option<Vec<(String, f64)>> {
        let enc: String = q
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let body = http_get(&self.addr, &format!("/api/v1/query?query={enc}"))?;
        let v: Value = serde_json::from_str(&body).ok()?;
        if v["status"] != "success" {
            return None;
        }
        let rows = v["data"]["result"].as_array()?;
        Some(
            rows.iter()
                .filter_map(|r| {
                    let inst = r["metric"]["instance"].as_str().unwrap_or("").to_string();
                    let val = r["value"][1].as_str()?.parse().ok()?;
                    Some((inst, val))
                })
                .collect(),
        )
    }

    /// The value per instance of `q`, once every one of `instances` has one.
    fn per_instance(&self, q: &str, instances: &[String]) -> Option<Vec<f64>> {
        let rows = self.query(q)?;
        instances
            .iter()
            .map(|i| rows.iter().find(|(x, _)| x == i).map(|(_, v)| *v))
            .collect()
    }
}

/// A plain HTTP/1.0 GET (the body), or `None` if the server does not answer 200.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200")
        .then(|| body.to_string())
        .or_else(|| head.starts_with("HTTP/1.0 200").then(|| body.to_string()))
}

/// The `swarmd_*` series names the dashboard's queries use.
fn dashboard_series(json: &str) -> std::collections::BTreeSet<String> {
    let v: Value = serde_json::from_str(json).expect("dashboard JSON");
    let mut names = std::collections::BTreeSet::new();
    for p in v["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().expect("targets") {
            let expr = t["expr"].as_str().expect("expr");
            let mut rest = expr;
            while let Some(i) = rest.find("swarmd_") {
                let tail = &rest[i..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                names.insert(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
    }
    names
}

/// Removes the test's containers when it ends, also after a panic.
struct Containers(&'static str);

impl Drop for Containers {
    fn drop(&mut self) {
        common::remove_containers_labelled(&format!("com.docker.swarm.service.name={}", self.0));
    }
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn prometheus_scrapes_every_node_and_the_series_move() {
    let image = common::test_image();
    let name = "obsweb";
    let _cleanup = Containers(name);
    let mut c = Cluster::new(NET);
    let mut targets = Vec::new();
    let names = ["m1", "m2", "m3"];
    let mut idx = Vec::new();
    for (k, n) in names.iter().enumerate() {
        // (Cluster gives node k the address 127.0.NET.k+1.)
        let ip = format!("127.0.{NET}.{}", k + 1);
        let target = format!("{ip}:{}", free_port(&ip));
        c.extra = vec!["--metrics-addr".into(), target.clone()];
        targets.push(target);
        idx.push(if k == 0 {
            c.init(n)
        } else {
            c.join(n, "manager", idx[0])
        });
    }

    // Served as plain HTTP on each loopback address, in the OpenMetrics text format.
    let text = http_get(&targets[0], "/metrics").expect("GET /metrics");
    assert!(text.contains("# TYPE swarmd_raft_term gauge"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");

    // Every series the shipped Grafana dashboard reads is in a real node's scrape.
    let dashboard = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/grafana-dashboard.json"
    );
    let used = dashboard_series(&std::fs::read_to_string(dashboard).expect("dashboard"));
    assert!(used.len() >= 20, "{used:?}");
    for name in &used {
        // A series, or the family's TYPE line (a family with no series yet, such as pending
        // tasks by reason, or the base name of a histogram's or counter's series).
        let base = ["_bucket", "_count", "_sum", "_total"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} "))
                || l.starts_with(&format!("{name}{{"))
                || l.starts_with(&format!("# TYPE {base} "))),
            "{name} (used by the dashboard) is not in a node's scrape:\n{text}"
        );
    }

    let prom = Prometheus::start(c.tmp(), &targets);
    let all_up = || {
        let up = prom.per_instance("up", &targets)?;
        up.iter().all(|v| *v == 1.0).then_some(())
    };
    wait_for("prometheus to scrape every node", WAIT, all_up);

    // Every series exists on every node.
    for s in SERIES {
        wait_for(&format!("{s} on every node"), WAIT, || {
            prom.per_instance(&format!("count by (instance) ({s})"), &targets)
        });
    }
    // One leader among the three; three voters seen by each.
    wait_for("one leader", WAIT, || {
        let l = prom.per_instance("swarmd_raft_is_leader", &targets)?;
        (l.iter().sum::<f64>() == 1.0).then_some(())
    });
    let voters = prom.per_instance("swarmd_raft_voters", &targets).unwrap();
    assert_eq!(voters, vec![3.0; 3]);
    let nodes = prom
        .per_instance("swarmd_store_objects{kind=\"node\"}", &targets)
        .unwrap();
    assert_eq!(nodes, vec![3.0; 3]);

    // No running task yet: the family has no running series.
    let running = "sum by (instance) (swarmd_tasks{state=\"running\"})";
    assert_eq!(prom.query(running), Some(vec![]));
    let placed0: f64 = prom
        .query("sum(swarmd_scheduler_placements_total)")
        .and_then(|r| r.first().map(|x| x.1))
        .unwrap_or(0.0);

    let o = svc(
        &c.nodes[idx[0]],
        &[
            "create",
            "--name",
            name,
            "--replicas",
            "3",
            "--timeout",
            "90s",
            image,
        ],
    );
    assert!(o.ok, "service create: {o:?}\n{}", c.logs());
    // Every manager's store shows the 3 running tasks; the agents run 3 containers in all; the
    // leader's scheduler placed 3 tasks.
    wait_for("3 running tasks on every node", WAIT, || {
        let r = prom.per_instance(running, &targets)?;
        (r == vec![3.0; 3]).then_some(())
    });
    wait_for("3 running containers over the agents", WAIT, || {
        let r = prom.query("sum(swarmd_agent_containers{state=\"running\"})")?;
        (r.first()?.1 == 3.0).then_some(())
    });
    let placed = prom
        .query("sum(swarmd_scheduler_placements_total)")
        .and_then(|r| r.first().map(|x| x.1))
        .unwrap();
    assert_eq!(placed - placed0, 3.0, "placements");
    let services = prom
        .per_instance("swarmd_store_objects{kind=\"service\"}", &targets)
        .unwrap();
    assert_eq!(services, vec![1.0; 3]);

    // Kill the leader: the survivors see a new one and count the change; commits go on.
    let managers = idx.clone();
    let old = wait_for("a leader", WAIT, || c.leader(&managers));
    let rest: Vec<usize> = managers.iter().copied().filter(|&i| i != old).collect();
    let rest_targets: Vec<String> = rest.iter().map(|&i| targets[i].clone()).collect();
    let before = prom
        .per_instance("swarmd_raft_leader_changes_total", &rest_targets)
        .unwrap();
    let term_before = prom
        .per_instance("swarmd_raft_term", &rest_targets)
        .unwrap();
    c.nodes[old].kill9();
    wait_for("a new leader", WAIT, || c.leader(&rest));
    wait_for("leader changes counted on the survivors", WAIT, || {
        let now = prom.per_instance("swarmd_raft_leader_changes_total", &rest_targets)?;
        now.iter().zip(&before).all(|(n, b)| n > b).then_some(())
    });
    wait_for("a higher term on the survivors", WAIT, || {
        let now = prom.per_instance("swarmd_raft_term", &rest_targets)?;
        now.iter()
            .zip(&term_before)
            .all(|(n, b)| n > b)
            .then_some(())
    });
    wait_for("the killed node down for prometheus", WAIT, || {
        let up = prom.per_instance("up", &[targets[old].clone()])?;
        (up == vec![0.0]).then_some(())
    });
    wait_for("one leader among the survivors", WAIT, || {
        let l = prom.per_instance("swarmd_raft_is_leader", &rest_targets)?;
        (l.iter().sum::<f64>() == 1.0).then_some(())
    });
    let _ = svc(&c.nodes[rest[0]], &["rm", name]);
}

#[test]
fn metrics_are_off_by_default_and_refused_on_public_addresses() {
    let mut c = Cluster::new(OFF_NET);
    let dir = c.tmp().join("bad");
    let o = common::swarmd(&[
        "init",
        "--listen-addr",
        &format!(
            "127.0.{OFF_NET}.9:{}",
            free_port(&format!("127.0.{OFF_NET}.9"))
        ),
        "--metrics-addr",
        "0.0.0.0:9323",
        "--state-dir",
        &dir.display().to_string(),
    ]);
    assert!(!o.ok, "{o:?}");
    assert!(
        o.stderr.contains("--metrics-addr \"0.0.0.0:9323\"")
            && o.stderr.contains("--metrics-addr tls"),
        "{o:?}"
    );
    assert!(!dir.join("node.json").exists(), "nothing made");

    // Without the flag: /metrics on the node's socket says how to turn it on.
    let m1 = c.init("m1");
    let e = common::api(&c.nodes[m1], "/metrics", None).unwrap_err();
    assert!(e.contains("--metrics-addr"), "{e}");

    // `--metrics-addr tls`: no plain listener; /metrics on the node's socket (root) and on its
    // TLS port, where a caller without an admin certificate is refused.
    c.extra = vec!["--metrics-addr".into(), "tls".into()];
    let m2 = c.join("m2", "manager", m1);
    let sock = c.nodes[m2].dir.join("swarmd.sock");
    let curl = |args: &[&str]| {
        let o = std::process::Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}"])
            .args(args)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = curl(&[
        "--unix-socket",
        &sock.display().to_string(),
        "http://node/metrics",
    ]);
    assert!(out.ends_with("\n200"), "{out}");
    assert!(out.contains("# TYPE swarmd_raft_term gauge"), "{out}");
    let url = format!("https://{}/metrics", c.nodes[m2].addr);
    let out = curl(&["-k", &url]);
    assert!(!out.contains("swarmd_raft_term"), "{out}");
    assert!(out.ends_with("\n401") || out.ends_with("\n403"), "{out}");

    // A node certificate of this cluster (m1's, a manager's) is not an admin's: refused too.
    let certs = c.nodes[m1].dir.join("certs");
    let ca = certs.join("ca.pem").display().to_string();
    let node = [
        "--cacert",
        &ca,
        "--cert",
        &certs.join("node.pem").display().to_string(),
        "--key",
        &certs.join("node-key.pem").display().to_string(),
    ]
    .map(str::to_string);
    let mut args: Vec<&str> = node.iter().map(String::as_str).collect();
    args.push(&url);
    let out = curl(&args);
    assert!(!out.contains("swarmd_raft_term"), "{out}");
    assert!(out.ends_with("\n403"), "node certificate: {out}");

    // An admin certificate (key made here, signed on m1's socket) gets the exposition, with
    // the node's certificate checked against the address dialled (no -k).
    let (key_pem, csr_pem) = swarm_manager::ca::new_key_and_csr().unwrap();
    let dir = c.tmp().join("metrics-admin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("admin.csr"), &csr_pem).unwrap();
    std::fs::write(dir.join("admin-key.pem"), &key_pem).unwrap();
    let csr = dir.join("admin.csr").display().to_string();
    let o = c.nodes[m1].cli(&[
        "admin-cert",
        "--csr-file",
        &csr,
        "--name",
        "scraper",
        "--format",
        "json",
    ]);
    let signed = o.json();
    std::fs::write(dir.join("admin.pem"), signed["cert_pem"].as_str().unwrap()).unwrap();
    let admin = [
        "--cacert",
        &ca,
        "--cert",
        &dir.join("admin.pem").display().to_string(),
        "--key",
        &dir.join("admin-key.pem").display().to_string(),
    ]
    .map(str::to_string);
    let mut args: Vec<&str> = admin.iter().map(String::as_str).collect();
    args.push(&url);
    let out = curl(&args);
    assert!(out.ends_with("\n200"), "admin certificate: {out}");
    assert!(out.contains("# TYPE swarmd_raft_term gauge"), "{out}");
}
