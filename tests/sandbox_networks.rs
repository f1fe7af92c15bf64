//! Overlay networks and service discovery across real hosts (issue #15). One sandbox cluster
//! (1 manager + 1 worker, each host with its own engine): `network create` makes two overlay
//! networks; a 2-replica `server` service on the worker joins `backend` with an alias; a
//! `client` task on the manager host reaches it across hosts by service name (its VIP), by
//! `tasks.server` and by the alias (and the server's published port answers on every node
//! through the routing mesh), and a dnsrr `db` service by its tasks' addresses; a task on the `other` network never resolves or reaches
//! it; a task on an `--internal` network has no way out while one on another network has;
//! `network rm` of a network in use is refused naming the services; after the server's
//! tasks are replaced (`service update --force`) the name reaches a new task; once the
//! services are gone the networks are removed (`rm`, `prune`). Needs root, the emulator
//! (scripts/test) and Docker; run under `flock /tmp/sandbox.lock`.

#[path = "common/sandbox_home.rs"]
mod sandbox_home;

use std::collections::BTreeSet;
use std::process::Output;
use std::time::{Duration, Instant};

use sandbox_home::{json_docs, netns, push_test_image, Home};
use serde_json::Value;

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Cluster<'a> {
    home: &'a Home,
}

impl Cluster<'_> {
    fn verb(&self, family: &str, args: &[&str]) -> Output {
        let mut all = vec![family, "--cluster", &self.home.name];
        all.extend_from_slice(args);
        self.home.run(&all)
    }

    fn json(&self, family: &str, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let out = self.verb(family, &all);
        ok(&out, &format!("{family} {args:?}"));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Ids of the running tasks of `service`.
    fn running(&self, service: &str) -> BTreeSet<String> {
        let v = self.json("service", &["ps", service]);
        v.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["desired_state"] == "running" && t["status"]["state"] == "running")
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn logs(&self, service: &str) -> String {
        let out = self.verb("service", &["logs", service]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (up to `secs`) until `cond` holds on the logs of `service`; returns them.
    fn wait_logs(
        &self,
        service: &str,
        secs: u64,
        what: &str,
        cond: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let logs = self.logs(service);
            if cond(&logs) {
                return logs;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not in the logs of {service} within {secs} s:\n{}",
                tail(&logs, 40)
            );
            std::thread::sleep(Duration::from_millis(1000));
        }
    }

    fn wait_running(&self, service: &str, want: usize) -> BTreeSet<String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let r = self.running(service);
            if r.len() == want {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "{service}: {} of {want} tasks running",
                r.len()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The `got=task=<id>` answers for `probe` in `logs`, and the addresses they came from.
fn answers(logs: &str, probe: &str) -> Vec<(String, String)> {
    let prefix = format!("probe {probe} ip=");
    logs.lines()
        .filter_map(|l| {
            let rest = &l[l.find(&prefix)? + prefix.len()..];
            let (ip, rest) = rest.split_once(' ')?;
            let task = rest.strip_prefix("got=task=")?.split_whitespace().next()?;
            Some((ip.to_string(), task.to_string()))
        })
        .collect()
}

#[test]
fn tasks_find_and_reach_each_other_across_hosts_by_name_on_their_networks_only() {
    let home = Home::new(format!("sbxnet{}", std::process::id() % 100_000));
    let before = netns();
    let up = home.run(&[
        "up",
        "--sandbox",
        "--name",
        &home.name,
        "--managers",
        "1",
        "--workers",
        "1",
        "--output",
        "json",
    ]);
    ok(&up, "up --sandbox");
    let docs = json_docs(&up);
    let registry = docs.last().unwrap()["registry"]
        .as_str()
        .expect("the registry address")
        .to_string();
    let image = push_test_image(&registry);
    let c = Cluster { home: &home };
    // The sandbox registry's address on the hosts' bridge: outside every overlay network.
    let outside = format!(
        "{}:5000",
        registry
            .trim_end_matches(":5000")
            .replacen("127.213.", "10.213.", 1)
    );

    // Networks: a default subnet, a given one; encrypted refused; ingress is built in.
    let backend = c.json("network", &["create", "-d", "overlay", "backend"]);
    assert_eq!(backend["Name"], "backend");
    assert_eq!(backend["Scope"], "swarm");
    let other = c.json(
        "network",
        &[
            "create",
            "--driver",
            "overlay",
            "--subnet",
            "10.0.77.0/24",
            "other",
        ],
    );
    assert_eq!(other["IPAM"]["Config"][0]["Gateway"], "10.0.77.1");
    let enc = c.verb("network", &["create", "--opt", "encrypted", "secret"]);
    assert!(!enc.status.success(), "{enc:?}");
    let enc_err = String::from_utf8_lossy(&enc.stderr);
    assert!(
        enc_err.contains("encrypted") && enc_err.contains("not supported"),
        "{enc_err}"
    );
    ok(
        &c.verb("network", &["create", "--internal", "sealed"]),
        "network create --internal",
    );
    let ls = c.verb("network", &["ls"]);
    ok(&ls, "network ls");
    let ls = String::from_utf8_lossy(&ls.stdout);
    assert!(ls.starts_with("NETWORK ID"), "{ls}");
    for name in ["backend", "other", "ingress"] {
        assert!(ls.contains(name), "{name} in:\n{ls}");
    }

    // The server on the worker, the clients on the manager host: every answer crosses hosts.
    ok(
        &c.verb(
            "service",
            &[
                "create",
                "--name",
                "server",
                "--replicas",
                "2",
                "--constraint",
                "node.role==worker",
                "--network",
                "name=backend,alias=api",
                "--publish",
                "18080:80",
                &image,
            ],
        ),
        "service create server",
    );
    let servers = c.wait_running("server", 2);
    ok(
        &c.verb(
            "service",
            &[
                "create",
                "--name",
                "db",
                "--replicas",
                "2",
                "--endpoint-mode",
                "dnsrr",
                "--constraint",
                "node.role==worker",
                "--network",
                "backend",
                &image,
            ],
        ),
        "service create db",
    );
    let dbs = c.wait_running("db", 2);
    for (name, net, probes) in [
        (
            "client",
            "backend",
            vec!["server:80", "tasks.server:80", "api:80", "db:80"],
        ),
        ("outsider", "other", vec!["server:80", outside.as_str()]),
        ("inmate", "sealed", vec![outside.as_str()]),
    ] {
        let mut args = vec![
            "create",
            "--name",
            name,
            "--constraint",
            "node.role==manager",
            "--network",
            net,
            "--detach",
            &image,
        ];
        for p in &probes {
            args.extend(["--probe", p]);
        }
        ok(&c.verb("service", &args), &format!("service create {name}"));
    }

    // The routing mesh still publishes a service on a custom network on every node.
    let sandbox = swarm_aws::sandbox::Sandbox::with_state_root(
        &home.name,
        home.dir.path().join("state/swarm-aws/sandbox"),
    )
    .unwrap();
    for h in sandbox.hosts().unwrap() {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body = http_get(&format!("{}:18080", h.addr));
            if let Some(task) = body.as_deref().and_then(|b| b.split("task=").nth(1)) {
                let task = task.split_whitespace().next().unwrap_or_default();
                assert!(servers.contains(task), "{task} via the mesh on {}", h.name);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "port 18080 on {} ({}) never answered: {body:?}",
                h.name,
                h.addr
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    // Removing a network in use is refused, naming its services.
    let rm = c.verb("network", &["rm", "backend"]);
    assert!(!rm.status.success());
    let err = String::from_utf8_lossy(&rm.stderr);
    assert!(
        err.contains("in use") && err.contains("client") && err.contains("server"),
        "{err}"
    );

    // By name (the VIP), by tasks.NAME (a task address), by alias: a server task answers.
    let vip = backend_vip(&c);
    let logs = c.wait_logs(
        "client",
        120,
        "answers by name, tasks.NAME and alias",
        |l| {
            ["server:80", "tasks.server:80", "api:80"]
                .iter()
                .all(|p| answers(l, p).iter().any(|(_, t)| servers.contains(t)))
        },
    );
    for (ip, task) in answers(&logs, "server:80") {
        assert_eq!(ip, vip, "the name answers with the service's VIP");
        assert!(servers.contains(&task), "{task} is not a server task");
    }
    let by_tasks: BTreeSet<String> = answers(&logs, "tasks.server:80")
        .into_iter()
        .map(|(ip, _)| ip)
        .collect();
    assert!(
        !by_tasks.contains(&vip),
        "tasks.server answers task addresses"
    );
    // The VIP spreads connections: both replicas answer through it (the name and the alias
    // both resolve to the VIP, so their connections share one rotation).
    let logs = c.wait_logs("client", 60, "both replicas behind the VIP", |l| {
        let seen: BTreeSet<String> = answers(l, "server:80")
            .into_iter()
            .chain(answers(l, "api:80"))
            .map(|x| x.1)
            .collect();
        seen == servers
    });
    assert!(logs.contains("resolve tasks.server ips="));
    // dnsrr: the name answers with both tasks' addresses, no VIP.
    let logs = c.wait_logs("client", 60, "db by its task addresses", |l| {
        l.lines().any(|x| {
            x.split_once("resolve db ips=")
                .is_some_and(|(_, ips)| ips.trim().split(',').count() == 2)
        }) && answers(l, "db:80").iter().any(|(_, t)| dbs.contains(t))
    });
    for (ip, task) in answers(&logs, "db:80") {
        assert_ne!(ip, vip);
        assert!(dbs.contains(&task), "{task} is not a db task");
    }

    // The other network's task never resolves nor reaches the server.
    let outsider = c.wait_logs("outsider", 60, "three lookups", |l| {
        l.matches("resolve server").count() >= 3
    });
    assert!(
        answers(&outsider, "server:80").is_empty(),
        "a task on another network reached the server:\n{}",
        tail(&outsider, 20)
    );
    assert!(!outsider.contains("got=task="), "{}", tail(&outsider, 20));

    // A task on a normal network reaches the outside world; one on an internal network only
    // does not.
    let probe = format!("probe {outside} ip=");
    c.wait_logs("outsider", 60, "the outside reached", |l| {
        l.lines().any(|x| x.contains(&probe) && x.contains(" got="))
    });
    let inmate = c.wait_logs("inmate", 60, "three failed tries", |l| {
        l.lines()
            .filter(|x| x.contains(&probe) && x.contains(" error="))
            .count()
            >= 3
    });
    assert!(
        !inmate.lines().any(|x| x.contains(" got=")),
        "a task on an internal network reached the outside:\n{}",
        tail(&inmate, 20)
    );

    // Replaced server tasks (new tasks, new addresses) are reachable by name again.
    ok(
        &c.verb("service", &["update", "--force", "server"]),
        "service update --force server",
    );
    let new_servers = c.wait_running("server", 2);
    assert!(new_servers.is_disjoint(&servers), "every task was replaced");
    c.wait_logs("client", 120, "an answer from a new server task", |l| {
        answers(l, "tasks.server:80")
            .iter()
            .any(|(_, t)| new_servers.contains(t))
            && answers(l, "server:80")
                .iter()
                .any(|(_, t)| new_servers.contains(t))
    });

    // Once no service uses them, the networks go.
    ok(
        &c.verb(
            "service",
            &["rm", "client", "server", "outsider", "db", "inmate"],
        ),
        "service rm",
    );
    ok(
        &c.verb("network", &["rm", "backend", "sealed"]),
        "network rm backend sealed",
    );
    let pruned = c.verb("network", &["prune", "--force"]);
    ok(&pruned, "network prune");
    assert!(
        String::from_utf8_lossy(&pruned.stdout).contains("other"),
        "{pruned:?}"
    );
    let left: Vec<String> = c
        .json("network", &["ls"])
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["Name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec!["ingress"]);

    let prefix = swarm_aws::sandbox::plan::Plan::new(&home.name, 0).netns_prefix();
    let created: Vec<String> = netns()
        .into_iter()
        .filter(|n| !before.contains(n) && n.starts_with(&prefix))
        .collect();
    home.down_leaves_nothing(&created);
}

/// `GET /` on `addr`; the answer's text, or None when nothing answered.
fn http_get(addr: &str) -> Option<String> {
    use std::io::{Read, Write};
    let sock: std::net::SocketAddr = addr.parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// The VIP of `server` on `backend` (from `network inspect`).
fn backend_vip(c: &Cluster) -> String {
    let v = c.json("network", &["inspect", "backend"]);
    let eps = v[0]["Endpoints"].as_array().unwrap();
    let vip = eps
        .iter()
        .find(|e| e["Kind"] == "vip" && e["Name"] == "server")
        .unwrap_or_else(|| panic!("no VIP of server in {v}"));
    vip["IPv4Address"]
        .as_str()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}
